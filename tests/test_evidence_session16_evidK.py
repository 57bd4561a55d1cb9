"""The not-shown leads evidI and evidJ left (issue #17, session 16, branch evidK), fixed generally. Each case has a positive
and a near miss; answers do not change, only which item leads and what is said beside it.

- T1: a Makefile's packaging (``dist``, ``publish``), test (``tests_training``) and data-transfer (``sync_data_up``) targets
  do not lead as "runs the project": the set-up target does; a template's control tag line (``{% if ... -%}``) is bare;
- M3: a known test runner's suite leads before a Make target of unknown content and a docs link check
  (``pytest --check-links``, ``links_only``);
- E2: a lead that is one run's metric logging says runs are compared only in the tracker's UI (a decisive selector's
  ``note``); a comparison leading says nothing;
- D1: a TFX ExampleGen leads as the run's versioned examples, not a split's ``hash_buckets`` below it;
- D3: a Metaflow flow leads with the artifact one step stores and a later training step reads, not a branch's ``self.next``.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlscan.evidence import is_bare

from .test_evidence_deciding import _lead, _scan

_README = "# Churn\n\nRun `make install` then `python src/train.py`.\n"

_TRAIN = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def main():
        df = pd.read_csv("data/train.csv")
        with mlflow.start_run():
            model = LogisticRegression().fit(df[["a"]], df["y"])
            mlflow.log_metric("accuracy", model.score(df[["a"]], df["y"]))


    if __name__ == "__main__":
        main()
    """

# ---------------------------------------------------------------- T1: the Makefile target that sets up or runs the project


def test_t1_packaging_and_test_targets_do_not_lead_the_setup_target_does() -> None:
    from detectors.docs_taskrunner import _categories, _runs_project

    for name in ("dist", "publish", "release", "build", "upload", "tests_training", "test-deploy", "sync_data_up", "upload-data"):
        assert not _runs_project(name, _categories(name)), name
    assert _categories("tests_training") == {"test"}
    assert "setup" in _categories("install")


def test_t1_near_miss_training_deploy_and_compose_up_targets_still_run_the_project() -> None:
    from detectors.docs_taskrunner import _categories, _runs_project

    for name in ("train", "deploy", "up", "docker-up", "run_pipeline", "train_test", "dvc_repro"):
        assert _runs_project(name, _categories(name)), name


_MAKE_PACKAGING = "install:\n\tpip install -e '.[dev]'\n\ntests:\n\tpytest tests\n\ndist:\n\tpython setup.py sdist\n"


def test_t1_a_makefile_with_install_and_dist_leads_with_install(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"Makefile": _MAKE_PACKAGING, "src/train.py": _TRAIN, "README.md": "# Lib\n"})
    assert qs["T1"]["answer"] == "yes"
    lead = qs["T1"]["evidence"][0]
    assert lead["path"] == "Makefile" and "pip install" in lead["snippet"]


def test_t1_near_miss_a_makefile_with_a_train_target_leads_with_it(tmp_path: Path) -> None:
    make = _MAKE_PACKAGING + "\ntrain:\n\tpython src/train.py\n"
    qs = _scan(tmp_path, {"Makefile": make, "src/train.py": _TRAIN, "README.md": "# Lib\n"})
    lead = qs["T1"]["evidence"][0]
    assert lead["path"] == "Makefile" and "python src/train.py" in lead["snippet"]


def test_template_control_lines_are_bare_rendered_lines_are_not() -> None:
    assert is_bare("\t{% if cookiecutter.dataset_storage.s3 -%}", "Makefile")
    assert is_bare("{%- endif %}", "Makefile")
    assert is_bare("{{- if .Values.ingress.enabled }}", "templates/ingress.yaml")
    assert is_bare("{{ end }}", "templates/ingress.yaml")
    # near misses: lines that render content
    assert not is_bare("\tuv pip install -r requirements.txt", "Makefile")
    assert not is_bare('{{- include "chart.labels" . | nindent 4 }}', "templates/deployment.yaml")
    assert not is_bare("PROJECT_NAME = {{ cookiecutter.repo_name }}", "Makefile")


# ---------------------------------------------------------------- M3: the suite, not a link check or a Make target's trainings

_TESTS = "from src.train import main\n\n\ndef test_main():\n    assert callable(main)\n"


def _workflow(*steps: str) -> str:
    body = "".join(f"      - run: {s}\n" for s in steps)
    return ("name: ci\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n" + body)


def test_m3_the_test_suite_leads_before_a_link_check(tmp_path: Path) -> None:
    files = {".github/workflows/links.yml": _workflow("pytest --check-links README.md docs"),
             ".github/workflows/tests.yml": _workflow("pytest tests/"),
             "tests/test_train.py": _TESTS, "src/train.py": _TRAIN, "src/__init__.py": "", "README.md": _README}
    qs = _scan(tmp_path, files)
    assert qs["M3"]["answer"] == "yes"
    assert _lead(qs["M3"])[0] == ".github/workflows/tests.yml"


def test_m3_near_miss_a_link_check_alone_still_leads(tmp_path: Path) -> None:
    files = {".github/workflows/links.yml": _workflow("pytest --check-links README.md docs"),
             "tests/test_train.py": _TESTS, "src/train.py": _TRAIN, "src/__init__.py": "", "README.md": _README}
    qs = _scan(tmp_path, files)
    assert _lead(qs["M3"])[0] == ".github/workflows/links.yml"  # the answer is not changed by the ranking


def test_m3_a_runner_suite_leads_before_a_make_target_of_unknown_content(tmp_path: Path) -> None:
    make = "tests:\n\tpython -m pytest tests\n\ntests_integ:\n\tpython -m src.train --epochs 1\n"
    files = {".github/workflows/tests.yml": _workflow("make tests_integ", "make tests"), "Makefile": make,
             "tests/test_train.py": _TESTS, "src/train.py": _TRAIN, "src/__init__.py": "", "README.md": _README}
    qs = _scan(tmp_path, files)
    lead = qs["M3"]["evidence"][0]
    assert "pytest tests" in lead["snippet"]


# ---------------------------------------------------------------- E2: one run's metrics say how runs are compared


def test_e2_a_per_run_metric_lead_says_runs_are_compared_in_the_ui(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "README.md": _README})
    e2 = qs["E2"]
    assert e2["answer"] == "yes"  # the answer stands
    assert "per-run metric logging" in e2["reason"]
    assert any("tracker's UI" in c for c in e2["evidence"][0]["caveats"])


def test_e2_near_miss_a_comparison_leads_and_says_nothing(tmp_path: Path) -> None:
    select = """\
    import mlflow


    def best():
        runs = mlflow.search_runs(order_by=["metrics.accuracy DESC"])
        return runs.iloc[0]


    if __name__ == "__main__":
        best()
    """
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "src/select_best.py": select, "README.md": _README})
    e2 = qs["E2"]
    assert e2["answer"] == "yes"
    assert "per-run metric logging" not in e2["reason"]
    assert not any("tracker's UI" in c for c in e2["evidence"][0]["caveats"])


# ---------------------------------------------------------------- D1: a TFX ExampleGen, not its split config

_TFX = """\
    from tfx.components import CsvExampleGen, SchemaGen, StatisticsGen, Trainer
    from tfx.orchestration import pipeline
    from tfx.proto import example_gen_pb2


    def create_pipeline(data_root, module_file, root):
        output_config = example_gen_pb2.Output(
            split_config=example_gen_pb2.SplitConfig(splits=[
                example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=4),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
            ])
        )
        example_gen = CsvExampleGen(input_base=data_root, output_config=output_config)
        statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
        schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"])
        trainer = Trainer(
            module_file=module_file,
            examples=example_gen.outputs["examples"],
            schema=schema_gen.outputs["schema"],
        )
        return pipeline.Pipeline(pipeline_name="p", pipeline_root=root,
                                 components=[example_gen, statistics_gen, schema_gen, trainer])
    """


def test_d1_a_tfx_pipeline_leads_with_its_example_gen(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _TFX, "README.md": _README})
    assert qs["D1"]["answer"] == "yes"
    assert "CsvExampleGen(" in qs["D1"]["evidence"][0]["snippet"]


def test_d1_hash_buckets_is_no_hash_a_hash_is() -> None:
    import yaml

    pack = yaml.safe_load(Path(__file__).resolve().parents[1].joinpath("rules", "checklist20.yaml").read_text())
    d1 = next(q for q in pack["questions"] if q["id"] == "D1")
    rx = re.compile(next(sel["line"] for sel in d1["decisive"] if sel.get("line")))
    assert not rx.search('example_gen_pb2.SplitConfig.Split(name="test", hash_buckets=1),')
    assert rx.search("    hash: md5") and rx.search("dataset_version = client.get_version()")


# ---------------------------------------------------------------- D3: a Metaflow step handing data on, not a branch

_FLOW = """\
    import pandas as pd
    from metaflow import FlowSpec, step
    from sklearn.linear_model import LogisticRegression


    class TrainFlow(FlowSpec):
        @step
        def start(self):
            self.next(self.compute_stats, self.prepare)

        @step
        def compute_stats(self):
            print("stats")
            self.next(self.join)

        @step
        def prepare(self):
            self.train_df = pd.read_csv("data/train.csv")
            self.next(self.join)

        @step
        def join(self, inputs):
            self.merge_artifacts(inputs)
            self.next(self.train)

        @step
        def train(self):
            self.model = LogisticRegression().fit(self.train_df[["a"]], self.train_df["y"])
            self.next(self.end)

        @step
        def end(self):
            print("done")


    if __name__ == "__main__":
        TrainFlow()
    """


def test_d3_a_metaflow_flow_leads_with_the_data_a_step_hands_to_training(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"flows/train.py": _FLOW, "requirements.txt": "metaflow==2.11.0\npandas==2.2.0\nscikit-learn==1.4.0\n",
                          "README.md": _README})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"]) == ("flows/train.py", 18)  # self.train_df = pd.read_csv(...)


def test_d3_near_miss_steps_passing_no_artifact_keep_the_edge(tmp_path: Path) -> None:
    flow = _FLOW.replace('self.train_df = pd.read_csv("data/train.csv")', 'print("prepare")').replace(
        'self.model = LogisticRegression().fit(self.train_df[["a"]], self.train_df["y"])',
        'model = LogisticRegression().fit(pd.read_csv("data/train.csv")[["a"]], [0, 1])')
    qs = _scan(tmp_path, {"flows/train.py": flow, "requirements.txt": "metaflow==2.11.0\npandas==2.2.0\nscikit-learn==1.4.0\n",
                          "README.md": _README})
    if qs["D3"]["answer"] == "yes":
        assert "self.next(" in qs["D3"]["evidence"][0]["snippet"]  # nothing handed on: the flow's edge stays
