"""The not-shown leads of session 16's blind samples (issue #17, session 17, evidL), fixed generally. Each case has a
positive and a near miss; answers do not change, only which item leads and what it shows.

- the deciding line: D2's item spans the logged data and the model call beside it; a TOML/INI ``key = [`` opener is bare
  (E4 cites the pinned entries); a ZenML step output named as an artifact leads D1 before an unnamed one; E3 reads
  docker/metadata-action's ``type=ref``/``type=semver`` tag rules; a monitor's creation is cited before a read of monitors;
- deploys: a docstring above a statement is no deciding line; a Cloud Build ``args:`` list is read as the command it is
  (folded items too), not as its key and first word;
- code reached only by a job a person starts ranks after code a push or a schedule runs (the chain says so);
- tests: the test command a step takes from its matrix leads, not the step's ``. .venv/bin/activate``;
- O2 names where its second signal (the input-data drift) is.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mlscan.evidence import HAND_STARTED, _hinted_in, argument_list_end, deciding_line, is_bare, line_fact, started_by_hand
from mlscan.model import Evidence, Finding, Strength
from mlscan.scoring.conditions import Findings
from mlscan.scoring.rulepack import load_packs
from mlscan.scoring.score import answer_questions

from .test_evidence_deciding import _lead, _scan

_README = "# Churn\n\nRun `pip install -r requirements.txt` then `python src/train.py`.\n"


def _pack() -> Any:
    return load_packs([])["checklist20"]


# ---------------------------------------------------------------- D2: the data line and the model call, one item

_D2 = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def main():
        df = pd.read_csv("data/train.csv")
        with mlflow.start_run():
            dataset = mlflow.data.from_pandas(df, source="data/train.csv")
            mlflow.log_input(dataset, context="training")
            model = LogisticRegression().fit(df[["a"]], df["y"])
            mlflow.log_metric("accuracy", model.score(df[["a"]], df["y"]))
            mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name="churn")


    if __name__ == "__main__":
        main()
    """


def test_d2_item_spans_the_logged_data_and_the_model_call_beside_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _D2, "README.md": _README})
    assert qs["D2"]["answer"] == "yes"
    lead = qs["D2"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("src/train.py", 10, 13)
    assert "log_input" in lead["snippet"] and "log_model" in lead["snippet"]
    assert len(lead["snippet"].splitlines()) <= 3


def test_d2_near_miss_a_model_call_far_below_the_data_line_is_not_spanned(tmp_path: Path) -> None:
    far = _D2.replace('            mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name="churn")\n', "")
    far = far.replace('    if __name__', '        print("done")\n        print("done")\n        print("done")\n'
                      '        mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name="churn")\n\n\n    if __name__')
    qs = _scan(tmp_path, {"src/train.py": far, "README.md": _README})
    assert qs["D2"]["answer"] == "yes"
    lead = qs["D2"]["evidence"][0]
    assert _lead(qs["D2"]) == ("src/train.py", 10) and "log_model" not in lead["snippet"]


# ---------------------------------------------------------------- E4: a TOML array opener is bare


def test_toml_and_ini_openers_are_bare_and_lead_to_their_entries() -> None:
    assert is_bare("dependencies = [", "pyproject.toml")
    assert is_bare("install_requires =", "setup.cfg")
    lines = ["[project]", 'name = "churn"', "dependencies = [", '    "numpy==2.1.0",', '    "pandas==2.2.3",', "]"]
    assert deciding_line(lines, 3, "pyproject.toml") == 4


def test_toml_near_miss_a_one_line_array_a_value_and_python_are_not_bare() -> None:
    assert not is_bare('dependencies = ["numpy==2.1.0", "pandas==2.2.3"]', "pyproject.toml")
    assert not is_bare('name = "churn"', "pyproject.toml")
    assert not is_bare("steps = [", "pipeline.py")


_PYPROJECT = """\
    [project]
    name = "churn"
    version = "0.1.0"
    dependencies = [
        "numpy==2.1.0",
        "pandas==2.2.3",
        "scikit-learn==1.5.2",
    ]
    """


def test_e4_pinned_pyproject_leads_with_its_first_entry(tmp_path: Path) -> None:
    train = "import numpy\nimport pandas\nimport sklearn\n"
    qs = _scan(tmp_path, {"pyproject.toml": _PYPROJECT, "src/train.py": train, "README.md": _README})
    assert qs["E4"]["answer"] == "yes"
    lead = qs["E4"]["evidence"][0]
    assert lead["path"] == "pyproject.toml" and lead["line"] == 5 and "numpy==2.1.0" in lead["snippet"]


# ---------------------------------------------------------------- D1: a named step output before an unnamed one

_ZENML_STEP = """\
    from typing import Annotated

    import pandas as pd
    from zenml import pipeline, step


    @step
    def load_data(path: str = "data/train.csv") -> {returns}:
        return pd.read_csv(path)


    @step
    def train_model(df: pd.DataFrame) -> float:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression().fit(df[["a"]], df["y"]).score(df[["a"]], df["y"])


    @pipeline
    def training():
        train_model(load_data())


    if __name__ == "__main__":
        training()
    """


def _zenml(first: str, second: str) -> dict[str, str]:
    return {"alpha/run.py": _ZENML_STEP.replace("{returns}", first), "beta/run.py": _ZENML_STEP.replace("{returns}", second),
            "README.md": _README}


def test_d1_a_named_zenml_output_leads_before_an_unnamed_one(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _zenml("pd.DataFrame", 'Annotated[pd.DataFrame, "raw_data"]'))
    assert qs["D1"]["answer"] == "yes"
    lead = qs["D1"]["evidence"][0]
    assert lead["path"] == "beta/run.py" and '"raw_data"' in lead["snippet"]


def test_d1_near_miss_two_named_outputs_keep_the_path_order(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _zenml('Annotated[pd.DataFrame, "raw"]', 'Annotated[pd.DataFrame, "raw_data"]'))
    assert qs["D1"]["answer"] == "yes"
    assert qs["D1"]["evidence"][0]["path"] == "alpha/run.py"


# ---------------------------------------------------------------- E3: metadata-action tag rules


def _e3_line() -> re.Pattern[str]:
    q = next(q for q in _pack().questions if q.id == "E3")
    return re.compile(str(next(sel["line"] for sel in q.decisive if sel.get("line"))))


def test_e3_reads_metadata_action_release_tag_rules() -> None:
    rx = _e3_line()
    for line in ("type=ref,event=tag", "type=semver,pattern={{version}}", "type=sha", "type=ref,event=tag,suffix=-with-model"):
        assert rx.search(line), line


def test_e3_near_miss_raw_and_schedule_tags_name_no_code_version() -> None:
    rx = _e3_line()
    for line in ("type=raw,value=latest", "type=schedule,pattern=nightly", "images: ghcr.io/acme/churn"):
        assert not rx.search(line), line


# ---------------------------------------------------------------- O1: a monitor's creation, not a read of monitors

_VERTEX_MONITOR = """\
    from google.cloud import aiplatform
    from google.cloud.aiplatform import model_monitoring


    def create_monitoring(endpoint, email):
        existing = aiplatform.ModelDeploymentMonitoringJob.list(filter='display_name="churn"')
        if existing:
            return existing[0]
        alerting = model_monitoring.EmailAlertConfig(user_emails=[email])
        drift = model_monitoring.DriftDetectionConfig(drift_thresholds={"age": 0.1})
        objective = model_monitoring.ObjectiveConfig(drift_detection_config=drift)
        return aiplatform.ModelDeploymentMonitoringJob.create(
            display_name="churn",
            endpoint=endpoint,
            objective_configs=objective,
            alert_config=alerting,
            logging_sampling_strategy=model_monitoring.RandomSampleConfig(sample_rate=0.5),
            schedule_config=model_monitoring.ScheduleConfig(monitor_interval=1),
        )


    if __name__ == "__main__":
        create_monitoring("projects/p/locations/l/endpoints/1", "ml@acme.io")
    """


def _findings(tmp_path: Path, files: dict[str, str], signal: str) -> list[dict[str, Any]]:
    from mlscan.engine import ScanOptions, scan
    from mlscan.report import build_report

    from .conftest import git_repo

    repo = git_repo(tmp_path, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return [f for f in report["findings"] if f["signal"] == signal]


def test_o1_a_vertex_monitor_is_cited_at_its_create_not_at_a_list_of_monitors(tmp_path: Path) -> None:
    fs = _findings(tmp_path, {"monitoring/create.py": _VERTEX_MONITOR}, "monitoring.model")
    assert fs and "ModelDeploymentMonitoringJob.create(" in fs[0]["evidence"][0]["snippet"]


def test_o1_near_miss_a_file_that_only_lists_monitors_is_still_cited_at_the_list(tmp_path: Path) -> None:
    only_list = "\n".join(ln for ln in _VERTEX_MONITOR.splitlines()[:8]) + "\n"
    fs = _findings(tmp_path, {"monitoring/create.py": only_list}, "monitoring.model")
    assert fs and ".list(" in fs[0]["evidence"][0]["snippet"]


# ---------------------------------------------------------------- M2: a docstring above a deploy action decides nothing

_RX_DEPLOY = re.compile(r"(?i)deploy|CloudFormation")
_FACT = line_fact(_RX_DEPLOY.pattern)

_CDK_ACTION = '''\
def create_cloudformation_action(action_name, stack_name, source_output, template_file):
    """
    Build a CloudFormation action.

    :template_file: name of the Cloudformation template to be deployed
    """

    action = codepipeline_actions.CloudFormationCreateUpdateStackAction(
        action_name=action_name,
        stack_name=stack_name,
    )
    return action
'''


def test_a_docstring_above_a_statement_is_not_its_deciding_line() -> None:
    lines = _CDK_ACTION.splitlines()
    e = Evidence("deploy_actions.py", 8, lines[7], "t", Strength.STRONG)
    hit = _hinted_in(lines, e, re.compile(r"(?i)deployed"), _FACT)
    assert hit is None


def test_near_miss_a_statement_above_still_sets_up_the_cited_one() -> None:
    lines = _CDK_ACTION.replace('    """\n    Build a CloudFormation action.\n\n    :template_file: name of the Cloudformation template to be deployed\n    """\n',
                                '    target = "deployed-stack"\n').splitlines()
    at = next(i for i, t in enumerate(lines, 1) if "CloudFormationCreateUpdateStackAction" in t)
    e = Evidence("deploy_actions.py", at, lines[at - 1], "t", Strength.STRONG)
    hit = _hinted_in(lines, e, re.compile(r"(?i)deployed"), _FACT)
    assert hit is not None and hit.line == at - 2


# ---------------------------------------------------------------- M2: a Cloud Build argument list is the command

_CLOUDBUILD = """\
    steps:
      - name: gcr.io/kaniko-project/executor
        args:
          - --destination=us-docker.pkg.dev/$PROJECT_ID/app/api:$COMMIT_SHA
      - name: "gcr.io/google.com/cloudsdktool/cloud-sdk:slim"
        entrypoint: gcloud
        args:
          - run
          - services
          - update
          - churn-api
          - >-
            --image=us-docker.pkg.dev/$PROJECT_ID/app/api:$COMMIT_SHA
          - "--region=us-central1"
    """


def test_argument_list_reads_folded_items_as_their_value() -> None:
    lines = textwrap.dedent(_CLOUDBUILD).splitlines()
    assert argument_list_end(lines, 8) == 14


def test_argument_list_near_miss_a_list_of_paths_is_no_command() -> None:
    lines = ["on:", "  push:", "    paths:", "      - src", "      - tests"]
    assert argument_list_end(lines, 4) is None


def test_m2_cloud_build_args_lead_as_the_deploy_command(tmp_path: Path) -> None:
    api = "import joblib\nfrom fastapi import FastAPI\n\napp = FastAPI()\nmodel = joblib.load('model.pkl')\n\n\n@app.post('/predict')\n" \
          "def predict(x: float):\n    return {'y': float(model.predict([[x]])[0])}\n"
    qs = _scan(tmp_path, {"cloudbuild.yaml": _CLOUDBUILD, "main.py": api, "Dockerfile": "FROM python:3.11-slim\nCOPY . .\n",
                          "README.md": _README})
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    assert lead["path"] == "cloudbuild.yaml" and lead["snippet"].startswith("run, services, update, churn-api")
    assert "--image=" in lead["snippet"] and ">-" not in lead["snippet"]


# ---------------------------------------------------------------- M3: the test command, not the venv activation


def test_venv_activation_lines_are_bare_commands_after_them_are_not() -> None:
    for line in (". .venv/bin/activate", "source venv/bin/activate", "conda activate ml", "source activate ml"):
        assert is_bare(line, ".github/workflows/ci.yml"), line
    for line in ("source .venv/bin/activate && pytest", "pytest tests", ". ./scripts/activate_env.sh"):
        assert not is_bare(line, ".github/workflows/ci.yml"), line
    assert not is_bare("source venv/bin/activate", "README.md")  # documentation keeps its lines


_MATRIX_WORKFLOW = """\
    on: [push]
    jobs:
      checks:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            task:
              - name: Test
                run: |
                  pytest -v tests/
              - name: Lint
                run: ruff check .
        steps:
          - uses: actions/checkout@v4
          - run: python -m venv .venv && .venv/bin/pip install -r requirements.txt
          - name: ${{ matrix.task.name }}
            run: |
              . .venv/bin/activate
              ${{ matrix.task.run }}
    """

_TEST = "from src.train import main\n\n\ndef test_main():\n    assert main() == 1\n"


def test_m3_a_matrix_test_command_leads_before_the_step_that_activates_a_venv(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _MATRIX_WORKFLOW, "tests/test_train.py": _TEST,
                          "src/train.py": "def main():\n    return 1\n", "README.md": _README})
    assert qs["M3"]["answer"] == "yes"
    lead = qs["M3"]["evidence"][0]
    assert lead["path"] == ".github/workflows/ci.yml" and lead["line"] == 10 and "pytest" in lead["snippet"]


def test_m3_near_miss_a_plain_step_leads_with_its_own_command(tmp_path: Path) -> None:
    wf = "on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n" \
         "          . .venv/bin/activate\n          pytest -v tests/\n"
    qs = _scan(tmp_path, {".github/workflows/ci.yml": wf, "tests/test_train.py": _TEST, "src/train.py": "def main():\n    return 1\n",
                          "README.md": _README})
    lead = qs["M3"]["evidence"][0]
    assert lead["path"] == ".github/workflows/ci.yml" and "pytest" in lead["snippet"] and "activate" not in lead["snippet"]


# ---------------------------------------------------------------- code reached only by a job a person starts

_TRAIN = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv("data/train.csv")
    with mlflow.start_run():
        mlflow.log_param("C", 1.0)
        model = LogisticRegression().fit(df[["a"]], df["y"])
        mlflow.log_metric("accuracy", model.score(df[["a"]], df["y"]))
    """

_BUNDLE = """\
    bundle:
      name: churn
    resources:
      jobs:
        train:
          name: train
          {timing}
          tasks:
            - task_key: train
              spark_python_task:
                python_file: ../src/train.py
        lesson:
          name: lesson
          tasks:
            - task_key: run_lesson
              spark_python_task:
                python_file: ../a_lessons/train.py
    """


def _bundle_repo(timing: str) -> dict[str, str]:
    return {"databricks.yml": "bundle:\n  name: churn\ninclude:\n  - resources/*.yml\n",
            "resources/jobs.yml": _BUNDLE.replace("{timing}", timing),
            "src/train.py": _TRAIN, "a_lessons/train.py": _TRAIN,
            "README.md": _README}


def test_a_scheduled_job_leads_before_a_job_started_by_hand(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _bundle_repo('schedule: {quartz_cron_expression: "0 0 6 ? * MON", timezone_id: UTC}'))
    assert qs["E1"]["answer"] == "yes"
    assert qs["E1"]["evidence"][0]["path"] == "src/train.py"
    demo = next(e for e in qs["E1"]["evidence"] if e["path"] == "a_lessons/train.py")
    assert demo["chain"][-1].endswith(HAND_STARTED)


def test_near_miss_without_any_timed_job_the_path_order_stays(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _bundle_repo(""))
    assert qs["E1"]["evidence"][0]["path"] == "a_lessons/train.py"  # both are started by hand: nothing to tell them apart


def test_hand_started_ci_roots() -> None:
    assert started_by_hand(Evidence("a.py", 1, "x", "t", Strength.STRONG, chain=("called from CI step w.yml:9" + HAND_STARTED,)))
    assert not started_by_hand(Evidence("a.py", 1, "x", "t", Strength.STRONG, chain=("called from CI step w.yml:9",)))


def test_a_workflow_dispatch_only_job_is_started_by_hand(tmp_path: Path) -> None:
    from mlscan.facts.hand_started import hand_started
    from mlscan.index import FileIndex
    from mlscan.target import resolve_target

    from .conftest import git_repo

    wf = "on:\n  {on}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python src/train.py\n"
    for on, manual in (("workflow_dispatch:", True), ("push:", False)):
        repo = git_repo(tmp_path / on.rstrip(":"), {".github/workflows/t.yml": wf.replace("{on}", on), "src/train.py": "print(1)\n"})
        ix = FileIndex(resolve_target(str(repo)))
        assert hand_started(ix, "ci .github/workflows/t.yml:7") is manual


# ---------------------------------------------------------------- O2: both signals shown


def _f(signal: str, path: str, line: int, snippet: str) -> Finding:
    ev = (Evidence(path, line, snippet, "t", Strength.STRONG),)
    return Finding(signal, "t", ev, MappingProxyType({}), Strength.STRONG)


def test_o2_lead_names_where_the_data_drift_is() -> None:
    model = _f("monitoring.model_drift", "monitor.py", 238, "quality = CfnModelQualityJobDefinition(")
    data = _f("monitoring.data_drift", "monitor.py", 174, "data_quality = CfnDataQualityJobDefinition(")
    a = answer_questions(_pack(), Findings([model, data]))["O2"]
    assert a.evidence[0].line == 238 and a.evidence[0].chain == ("with data drift at monitor.py:174",)


def test_o2_near_miss_both_signals_beside_each_other_add_nothing() -> None:
    model = _f("monitoring.model_drift", "monitor.py", 12, "report = Report(metrics=[TargetDriftPreset()])")
    data = _f("monitoring.data_drift", "monitor.py", 11, "report = Report(metrics=[DataDriftPreset()])")
    a = answer_questions(_pack(), Findings([model, data]))["O2"]
    assert a.evidence[0].line == 12 and a.evidence[0].chain == ()


# ---------------------------------------------------------------- D3: a TaskFlow DAG's edge where data passes

_TASKFLOW = """\
    from datetime import datetime

    from airflow.decorators import dag, task


    @dag(
        schedule="@daily",
        start_date=datetime(2024, 1, 1),
        catchup=False,
    )
    def load_requests():
        @task()
        def extract() -> list:
            return [("a", 1)]

        @task()
        def load(rows: list) -> None:
            print(len(rows))

        {body}


    load_requests()
    """


def _dag_findings(tmp_path: Path, body: str) -> list[dict[str, Any]]:
    return _findings(tmp_path, {"dags/load.py": _TASKFLOW.replace("{body}", body), "README.md": _README}, "pipeline.dag")


def test_d3_a_taskflow_dag_carries_the_call_where_data_passes(tmp_path: Path) -> None:
    fs = _dag_findings(tmp_path, "load(extract())")
    assert fs and [e["snippet"] for e in fs[0]["evidence"]][-1] == "load(extract())"


def test_d3_near_miss_a_taskflow_dag_ordering_tasks_without_data_has_no_edge_item(tmp_path: Path) -> None:
    fs = _dag_findings(tmp_path, "extract() >> load([])")
    assert fs and not any(e["snippet"].startswith("load(") and e["line"] != fs[0]["evidence"][0]["line"] for e in fs[0]["evidence"])


# ---------------------------------------------------------------- T1: a test script is no set-up step


def test_t1_a_test_script_is_a_test_command_a_build_script_is_not() -> None:
    from detectors.docs_setup import _tests_only

    for cmd in ("./run-unit-tests.sh", "bash scripts/run_tests.sh", "sh test.sh --fast"):
        assert _tests_only(cmd), cmd
    for cmd in ("./build-s3-dist.sh bucket name v1", "bash scripts/setup.sh", "./deploy.sh", "./latest.sh"):
        assert not _tests_only(cmd), cmd


# ---------------------------------------------------------------- T2: an app's folder uploaded to the Hub is no model store

_HUB = """\
    from huggingface_hub import HfApi


    def publish(repo_id: str, {param}: str) -> None:
        HfApi().upload_folder(folder_path={param}, repo_id=repo_id, repo_type="model")


    if __name__ == "__main__":
        publish("acme/churn", "out")
    """


def test_t2_an_uploaded_app_folder_is_no_model_store(tmp_path: Path) -> None:
    assert not _findings(tmp_path, {"src/publish.py": _HUB.replace("{param}", "gradio_folder_path")}, "model.registry")


def test_t2_near_miss_an_uploaded_model_folder_is_a_model_store(tmp_path: Path) -> None:
    fs = _findings(tmp_path, {"src/publish.py": _HUB.replace("{param}", "model_dir")}, "model.registry")
    assert fs and fs[0]["attrs"]["tool"] == "huggingface"


# ---------------------------------------------------------------- E3: a commit handed to a training task, and where it is tagged

_CD_SHA = """\
    on:
      push:
        branches: [main]
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: databricks bundle deploy --target prd --var="git_sha=${{ github.sha }}"
    """

_SHA_BUNDLE = """\
    bundle:
      name: churn
    variables:
      git_sha:
        default: abcd
    include:
      - resources/*.yml
    """

_SHA_JOB = """\
    resources:
      jobs:
        training:
          name: training
          schedule:
            quartz_cron_expression: "0 0 6 ? * MON"
            timezone_id: UTC
          tasks:
            - task_key: train
              spark_python_task:
                python_file: ../src/train.py
                parameters:
                  - "--git_sha"
                  - "${var.git_sha}"
    """

_SHA_TRAIN = """\
    import argparse

    import mlflow

    parser = argparse.ArgumentParser()
    parser.add_argument("--git_sha")
    args = parser.parse_args()
    {tagging}
    with mlflow.start_run():
        mlflow.log_metric("accuracy", 0.9)
    """


def _sha_repo(tagging: str) -> dict[str, str]:
    return {".github/workflows/cd.yml": _CD_SHA, "databricks.yml": _SHA_BUNDLE, "resources/training.yml": _SHA_JOB,
            "src/train.py": _SHA_TRAIN.replace("{tagging}", tagging), "README.md": _README}


def test_e3_a_commit_handed_to_a_training_task_names_where_its_code_tags_the_run(tmp_path: Path) -> None:
    fs = _findings(tmp_path, _sha_repo('tags = {"git_sha": args.git_sha}\n    mlflow.set_tags(tags)'), "model.code_version")
    var = [f for f in fs if str(f["attrs"].get("how", "")).startswith("bundle-var")]
    assert var and var[0]["evidence"][0]["path"] == "resources/training.yml"
    assert var[0]["evidence"][0]["chain"] == ['tagged by mlflow.set_tags(): tags = {"git_sha": args.git_sha} at src/train.py:8']


def test_e3_near_miss_a_commit_the_code_only_prints_is_no_code_version(tmp_path: Path) -> None:
    fs = _findings(tmp_path, _sha_repo("print(args.git_sha)"), "model.code_version")
    assert not [f for f in fs if str(f["attrs"].get("how", "")).startswith("bundle-var")]
