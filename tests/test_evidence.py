"""Evidence a reviewer accepts at a glance: the deciding line, its context, the wiring chain, caveats, and the
scorer's ranking by what decides a question (scanner/evidence.py, scanner/score.py)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from mlscan.engine import ScanOptions, scan
from mlscan.evidence import (
    caveats_of,
    course_path,
    deciding_line,
    doc_rank,
    focus,
    is_bare,
    leading_problem,
    non_product_path,
    pack_hints,
    pin_line,
    structural_path,
)
from mlscan.index import FileIndex
from mlscan.model import AnswerValue, Evidence, Finding, Strength
from mlscan.report import build_report
from mlscan.scoring.conditions import Findings
from mlscan.scoring.rulepack import parse_pack
from mlscan.scoring.score import answer_questions
from mlscan.target import resolve_target

from .conftest import git_repo


@pytest.mark.parametrize(
    "line",
    ["prepare:", "stages:", "jobs:", '"rules": [', "version = 1", "{", "- |", "  - name: Train model", "# nightly", "run: |",
     "[[package]]", '"lockfileVersion": 3,', "def train(cfg):", "class Trainer:", "try:", "fi", "", "   ", "key: &defaults", "outs:  # models",
     "working-directory: ${{ env.PROJECT_DIR }}", "  needs: [test]", '\t@echo "Installing dependencies..."', "shell: bash"],
)
def test_bare_lines(line: str) -> None:
    assert is_bare(line, "x.yaml")


@pytest.mark.parametrize("line", ["p_logger = get_run_logger()", 'logger.info("training")', 'print(f"auc={auc}")',
                                  "log = logging.getLogger(__name__)"])
def test_python_lines_that_only_log_are_bare(line: str) -> None:
    assert is_bare(line, "src/flow.py") and not is_bare("run_id = task_train()", "src/flow.py")


@pytest.mark.parametrize(
    "line",
    ["cmd: python train.py", "- cron: '0 3 * * *'", "- path: model.pkl", "md5: 22a1a2931c83", "FROM python:3.11-slim", "if auc < 0.8:",
     'name = "numpy"', "* @ml-platform", "mlflow.log_metric('auc', auc)", "image: ghcr.io/acme/model:1.4.2",
     "with mlflow.start_run():", "docker build -t repo/model:${{ github.sha }} .", "if: github.ref == 'refs/heads/main'",
     "environment: production", "- scores.json:", "- models/model.pkl:"],  # a list item keyed by a file names the file
)
def test_informative_lines(line: str) -> None:
    assert not is_bare(line, "x.yaml")


def test_markdown_headings_are_evidence_of_docs() -> None:
    assert not is_bare("## Rolling back a model", "docs/runbook.md")
    assert is_bare("```", "README.md")


DVC_YAML = textwrap.dedent("""\
    stages:
      prepare:
        cmd: python src/prepare.py data/raw.csv
        deps:
        - data/raw.csv
      train:
        # the model
        outs:
        - model.pkl
    """).splitlines()


def test_deciding_line_moves_into_the_block_and_names_its_path() -> None:
    assert deciding_line(DVC_YAML, 1, "dvc.yaml") == 3  # stages: -> prepare: -> cmd
    assert deciding_line(DVC_YAML, 6, "dvc.yaml") == 9  # train: -> comment -> outs: -> - model.pkl
    assert deciding_line(DVC_YAML, 3, "dvc.yaml") == 3  # already informative
    assert structural_path(DVC_YAML, 3) == "stages.prepare.cmd"
    assert structural_path(DVC_YAML, 9) == "stages.train.outs"


def test_a_lone_bracket_holds_keys_written_at_its_own_depth() -> None:
    devcontainer = ['{', '  "name": "platform",', '"image": "mcr.microsoft.com/devcontainers/python:3.12",', '}']
    assert deciding_line(devcontainer, 1, ".devcontainer/devcontainer.json") == 3
    assert deciding_line(["{", "}", "x = 1"], 1, "a.json") == 1  # nothing inside: the bracket closed before the next line
    assert deciding_line(["stages:", "other: 1"], 1, "dvc.yaml") == 1  # a key opener still ends at its own depth


def test_step_name_moves_to_its_command_not_the_next_step() -> None:
    wf = textwrap.dedent("""\
        jobs:
          deploy:
            steps:
              - name: Build and push
                run: |
                  docker build -t ghcr.io/acme/m:${{ github.sha }} .
              - name: Next
                run: echo next
        """).splitlines()
    assert deciding_line(wf, 4, "wf.yml") == 6
    assert deciding_line(wf[:5], 4, "wf.yml") == 4  # nothing informative inside: the line stays


def test_table_header_and_version_line_move_to_their_first_setting() -> None:
    toml = ["[tool.poetry]", 'name = "churn"', 'version = "0.1.0"']
    assert deciding_line(toml, 1, "pyproject.toml") == 2
    compose = ['version: "3.8"', "services:", "  api:", "    image: ghcr.io/acme/api:1.2.0"]
    assert deciding_line(compose, 1, "docker-compose.yml") == 4


def test_lock_file_cites_a_pinned_package() -> None:
    uv = ["version = 1", 'requires-python = ">=3.11"', "", "[[package]]", 'name = "numpy"', 'version = "1.26.4"']
    assert pin_line(uv) == 5
    pip = ['{', '    "_meta": {', '        "hash": {', '            "sha256": "ab12"', "    },", '    "default": {', '        "numpy": {',
           '            "version": "==1.26.4"']
    assert pin_line(pip) == 8


def test_non_product_paths() -> None:
    for p in ("tests/data/test_dataset.py", "examples/train.py", "CONTRIBUTING.md", "third_party/x/ci.yml", "demo/serve.py",
              "test/cfn_templates/pipeline.yaml"):
        assert non_product_path(p), p
    for p in ("src/train.py", "charts/model/templates/deployment.yaml", ".github/workflows/ci.yml", "dvc.lock",
              ".azure-pipelines/templates/deploy.yml", "template/{{.name}}/resources/job.yml.tmpl"):
        assert not non_product_path(p), p


def test_leading_problem_reads_the_first_snippet_line() -> None:
    assert leading_problem({"path": "dvc.yaml", "snippet": "stages:\n  train:"})
    assert not leading_problem({"path": "dvc.yaml", "snippet": "cmd: python train.py"})
    assert not leading_problem({"path": "OWNERS", "snippet": ""})


# ---------------------------------------------------------------- the pass over a real scan


def _repo(root: Path, files: dict[str, str]) -> Path:
    return git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]


def test_focus_cites_deciding_line_chain_and_caveats(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {
        ".github/workflows/train.yml": """\
            on: push
            jobs:
              train:
                runs-on: ubuntu-latest
                steps:
                  - run: bash scripts/train.sh
            """,
        "scripts/train.sh": "set -e\necho start\npython src/train.py --epochs 3\n",
        "src/train.py": "import mlflow\n\nwith mlflow.start_run():\n    mlflow.log_metric('auc', 0.9)\n",
        "dvc.yaml": "stages:\n  train:\n    cmd: python src/train.py\n",
        "poetry.lock": '# generated\n[[package]]\nname = "numpy"\nversion = "1.26.4"\n',
    })
    index = FileIndex(resolve_target(str(repo)))

    def ev(path: str, line: int | None) -> Evidence:
        return Evidence(path, line, index.snippet(path, line), "t")

    findings = [
        Finding("t.a", "t", (ev("dvc.yaml", 1),)),
        Finding("t.b", "t", (ev("src/train.py", 3),), MappingProxyType({"optional": True})),
        Finding("t.c", "t", (ev("poetry.lock", None),)),
    ]
    a, b, c = focus(index, findings)
    assert (a.evidence[0].line, a.evidence[0].context) == (3, "stages.train.cmd")
    assert a.evidence[0].snippet.startswith("cmd: python src/train.py")
    assert b.evidence[0].chain == ("run by scripts/train.sh:3", "called from CI step .github/workflows/train.yml:6")
    assert b.evidence[0].wiring() == (
        "defined at src/train.py:3 ← run by scripts/train.sh:3 ← called from CI step .github/workflows/train.yml:6"
    )
    assert b.evidence[0].caveats == ("optional: runs only when enabled or installed",)
    assert (c.evidence[0].line, c.evidence[0].snippet.splitlines()[0]) == (3, 'name = "numpy"')


# ---------------------------------------------------------------- ranking and downgrades in the scorer

PACK = """\
schema: mlscan.rules/v1
framework: t
title: t
scoring: {method: bands, bands: [{min: 0, max: 9, level: 0, name: x}]}
questions:
  - id: Q1
    text: data linked to the model?
    yes_if: {any: [{signal: lock}, {signal: logged}]}
    decisive:
      - {signal: lock, attrs: {data_deps: true}, fact: data_deps, label: a hashed data dependency}
      - {signal: logged, attrs: {linked: true}}
  - id: Q2
    text: tracked?
    yes_if: {any: [{signal: run}, {answer: Q1}]}
  - id: Q3
    text: compared, even when the tracker is opt-in?
    yes_if: {signal: opt_in_run}
    accepts_caveats: [install_gated, optional]
"""


def _f(signal: str, path: str, attrs: dict[str, Any] | None = None, strength: Strength = Strength.MEDIUM,
       items: tuple[Evidence, ...] = ()) -> Finding:
    return Finding(signal, "t", items or (Evidence(path, 1, "x = 1", "t", strength),), MappingProxyType(attrs or {}), strength)


def _answers(*findings: Finding) -> dict[str, Any]:
    return answer_questions(parse_pack(PACK, "t.yaml"), Findings(findings))


def test_decisive_finding_leads_and_shows_its_fact() -> None:
    lock = _f("lock", "dvc.lock", {"data_deps": True}, items=(
        Evidence("dvc.lock", 2, "cmd: python prepare.py", "t"), Evidence("dvc.lock", 5, "- path: data/raw.csv", "t", fact="data_deps")))
    strong_other = _f("logged", "a/strong.py", {"linked": False}, Strength.STRONG)
    q1 = _answers(strong_other, lock)["Q1"]
    assert q1.value == AnswerValue.YES
    assert (q1.evidence[0].path, q1.evidence[0].line) == ("dvc.lock", 5)


def test_course_exercises_answer_partial_and_sink() -> None:
    """A practice shown only in a course's exercise or solution files is taught, not run: partial; beside a product
    file it stays yes and the product file leads."""
    q2 = _answers(_f("run", "s8_monitoring/exercise_files/drift.py"), _f("run", "homework_solution/train.py"))["Q2"]
    assert q2.value == AnswerValue.PARTIAL and "course exercise" in q2.reason
    q2 = _answers(_f("run", "exercises/train.py", strength=Strength.STRONG), _f("run", "src/train.py", strength=Strength.WEAK))["Q2"]
    assert q2.value == AnswerValue.YES and q2.evidence[0].path == "src/train.py"
    for p in ("src/exercise_mapper/app.py", "solution/app.py", "src/solutions.py"):  # names that only contain the words
        assert not course_path(p), p


def test_yes_without_decisive_finding_is_partial() -> None:
    q1 = _answers(_f("logged", "src/log.py", {"linked": False}))["Q1"]
    assert q1.value == AnswerValue.PARTIAL
    assert "nothing shows what decides it: a hashed data dependency" in q1.reason


def test_capping_caveat_makes_partial_and_non_product_paths_sink() -> None:
    q1 = _answers(_f("logged", "src/log.py", {"linked": True, "optional": True}))["Q1"]
    assert q1.value == AnswerValue.PARTIAL and "optional" in q1.reason
    q1 = _answers(_f("logged", "tests/test_log.py", {"linked": True}, Strength.STRONG), _f("logged", "src/log.py", {"linked": True}))["Q1"]
    assert q1.value == AnswerValue.YES and q1.evidence[0].path == "src/log.py"


def test_caveat_a_question_accepts_is_shown_but_does_not_cap() -> None:
    gated = {"install_gated": True, "optional": True}
    q3 = _answers(_f("opt_in_run", "src/train.py", gated))["Q3"]
    assert q3.value == AnswerValue.YES
    assert any(c.startswith("install-gated") for c in caveats_of(gated))
    q3 = _answers(_f("opt_in_run", "src/train.py", {**gated, "stub": True}))["Q3"]  # a caveat it does not accept still caps
    assert q3.value == AnswerValue.PARTIAL and "stub" in q3.reason


def test_borrowed_hit_never_leads() -> None:
    lock = _f("lock", "dvc.lock", {"data_deps": True}, Strength.STRONG)
    q2 = _answers(lock, _f("run", "src/train.py", strength=Strength.WEAK))["Q2"]
    assert q2.value == AnswerValue.YES and q2.evidence[0].path == "src/train.py"


# ---------------------------------------------------------------- the dev corpus, when it is materialized here


def _corpus() -> Path | None:
    for cand in (os.environ.get("CORPUS_CACHE"), "/work/corpus"):
        if cand and Path(cand).is_dir() and any(Path(cand).iterdir()):
            return Path(cand)
    return None


LABELS = next((p for p in (Path(__file__).resolve().parents[2] / "shared/corpus/dev.yaml",
                           Path(__file__).resolve().parents[3] / "shared/corpus/dev.yaml") if p.is_file()), None)


@pytest.mark.skipif(_corpus() is None or LABELS is None,
                    reason="the labelled dev corpus is not materialized here ($CORPUS_CACHE or /work/corpus; CI has none)")
def test_corpus_yes_answers_never_lead_with_a_bare_line() -> None:
    corpus = _corpus()
    assert corpus is not None and LABELS is not None
    bad = []
    for e in yaml.safe_load(LABELS.read_text("utf-8")):
        root = corpus / f"{e['repo'].replace('/', '+')}@{str(e['commit'])[:7]}"
        path = root / e["subdir"] if e.get("subdir") else root
        if not path.is_dir():
            continue
        report = build_report(scan(str(path), ScanOptions(jobs=1)))
        for q in report["questions"]:
            lead = q["evidence"][0] if q["answer"] == "yes" and q["evidence"] else None
            cited = Path(report["target"].get("root") or path) / lead["path"] if lead else None
            lines = cited.read_text("utf-8", "replace").splitlines() if cited is not None and cited.is_file() else []
            if lead and leading_problem(lead, lines):
                bad.append((root.name, q["id"], lead["path"], leading_problem(lead, lines)))
    assert not bad, bad


def test_pack_line_hint_cites_the_deciding_line_of_the_block(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {".github/workflows/cd.yml": """\
        on: push
        jobs:
          image:
            runs-on: ubuntu-latest
            steps:
              - name: Build and push image
                uses: docker/build-push-action@v6
                with:
                  push: true
                  tags: |
                    ghcr.io/acme/model:${{ github.sha }}
              - name: Other
                run: echo github.sha
        """})
    index = FileIndex(resolve_target(str(repo)))
    f = Finding("model.code_version", "t", (Evidence(".github/workflows/cd.yml", 6, index.snippet(".github/workflows/cd.yml", 6), "t"),))
    (got,) = focus(index, [f], [("model.code_version", r"(?i)sha\b")])
    first, hinted = got.evidence
    assert first.line == 7  # the step name moves to what the step does
    assert (hinted.line, hinted.fact, hinted.snippet) == (11, r"line:(?i)sha\b", "ghcr.io/acme/model:${{ github.sha }}")
    assert hinted.context == "jobs.image.steps.with.tags"


def test_pack_line_hint_skips_a_docstring(tmp_path: Path) -> None:
    """A function's docstring describes it: a deciding-line hint finds the statement below it, not words in it."""
    repo = _repo(tmp_path / "repo", {"pipeline/load.py": """\
        def load_data(dataset):
            \"\"\"
            Get the dataset from the UCI repository.
            \"\"\"
            df = fetch()
            df.to_csv(dataset.path)
        """})
    index = FileIndex(resolve_target(str(repo)))
    f = Finding("data.version_logged", "t", (Evidence("pipeline/load.py", 1, index.snippet("pipeline/load.py", 1), "t"),))
    (got,) = focus(index, [f], [("data.version_logged", r"(?i)dataset")])
    assert [e.line for e in got.evidence][-1] == 6


def test_pack_line_hint_must_be_a_regex() -> None:
    from mlscan.errors import RulePackError

    bad = PACK.replace("- {signal: logged, attrs: {linked: true}}", '- {signal: logged, line: "(unclosed"}')
    with pytest.raises(RulePackError, match="not a regular expression"):
        parse_pack(bad, "t.yaml")


def test_tests_run_through_a_submitted_job_spec_carry_the_chain_without_marking_code_automated(tmp_path: Path) -> None:
    from mlscan.facts.wiring import wiring

    repo = _repo(tmp_path / "repo", {
        ".github/workflows/workloads.yml": """\
            on: push
            jobs:
              w:
                runs-on: ubuntu-latest
                steps:
                  - run: anyscale job submit deploy/job.yaml --wait
            """,
        "deploy/job.yaml": "name: workloads\nentrypoint: bash deploy/workloads.sh\n",
        "deploy/workloads.sh": "set -e\npytest --dataset-loc=$LOC tests/data --verbose\npython src/train.py\n",
        "tests/data/test_dataset.py": "def test_dataset(df):\n    df.expect_column_values_to_not_be_null('id')\n",
        "src/train.py": "if __name__ == '__main__':\n    print('train')\n",
    })
    index = FileIndex(resolve_target(str(repo)))
    w = wiring(index)
    assert not w.automated("src/train.py")  # a job spec's entrypoint is followed for the tests it runs only
    r = w.test_run("tests/data/test_dataset.py")
    assert r is not None and r.chain == ("ci .github/workflows/workloads.yml:6", "deploy/job.yaml:2", "deploy/workloads.sh:2", "pytest tests/data")
    (f,) = focus(index, [Finding("data.validation", "t", (Evidence("tests/data/test_dataset.py", 2, "df.expect", "t"),))])
    assert f.evidence[0].wiring() == (
        "defined at tests/data/test_dataset.py:2 ← collected by pytest tests/data ← run by deploy/workloads.sh:2"
        " ← run by deploy/job.yaml:2 ← called from CI step .github/workflows/workloads.yml:6"
    )


def test_stub_and_synthetic_caveats_cap_answers_and_show_beside_the_evidence(tmp_path: Path) -> None:
    """A run tracked on generated data and a scheduled DAG whose tasks are placeholders: found, shown with their
    caveat, answered partial; the same repository with real data and real task bodies answers yes."""
    dag = """\
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from src.train import main as train_model

        def extract():
            {body}

        def train():
            {body}

        with DAG(dag_id="retrain_weekly", schedule="0 4 * * 1", start_date=datetime(2024, 1, 1)) as dag:
            a = PythonOperator(task_id="extract", python_callable=extract)
            b = PythonOperator(task_id="train", python_callable=train)
            a >> b
        """
    train = """\
        import mlflow
        import pandas as pd
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression

        def main():
            {data}
            with mlflow.start_run():
                mlflow.log_param("C", 1.0)
                model = LogisticRegression().fit(X, y)
                mlflow.log_metric("accuracy", model.score(X, y))

        if __name__ == "__main__":
            main()
        """
    answers = {}
    for kind, body, data in (("placeholder", "pass", "X, y = make_classification(n_samples=100)"),
                             ("real", "train_model()", "df = pd.read_csv('data/train.csv'); X, y = df.drop(columns=['y']), df['y']")):
        repo = _repo(tmp_path / kind, {"dags/retrain.py": dag.replace("{body}", body), "src/train.py": train.replace("{data}", data)})
        report = build_report(scan(str(repo), ScanOptions(jobs=1)))
        answers[kind] = {q["id"]: q for q in report["questions"]}
    fake = answers["placeholder"]
    assert fake["E1"]["answer"] == "partial" and "synthetic" in fake["E1"]["reason"]
    assert any(c.startswith("synthetic input") for c in fake["E1"]["evidence"][0]["caveats"])
    assert fake["M1"]["answer"] == "partial" and "stub" in fake["M1"]["reason"]
    assert any(c.startswith("stub") for c in fake["M1"]["evidence"][0]["caveats"])
    real = answers["real"]
    assert (real["E1"]["answer"], real["M1"]["answer"]) == ("yes", "yes")
    assert not real["E1"]["evidence"][0]["caveats"] and not real["M1"]["evidence"][0]["caveats"]


def test_chains_pass_through_ci_from_the_command_that_runs(tmp_path: Path) -> None:
    """M3 and M2 lead with the test/deploy command in the script or Makefile target a CI step calls, followed by how
    it is reached; the Python file a CI-run script trains with is defined first, then the script, then the CI step."""
    repo = _repo(tmp_path / "repo", {
        ".github/workflows/ci.yml": """\
            on: push
            jobs:
              test:
                runs-on: ubuntu-latest
                steps:
                  - run: make test
              deploy:
                needs: test
                runs-on: ubuntu-latest
                steps:
                  - name: Release
                    run: bash scripts/release.sh
            """,
        "Makefile": "test:\n\tpytest -q tests\n",
        "scripts/release.sh": "set -e\npython src/train.py\nkubectl apply -f k8s/serving.yaml\n",
        "tests/test_model.py": "def test_shape():\n    assert 1 + 1 == 2\n",
        "src/train.py": "import mlflow\n\nwith mlflow.start_run():\n    mlflow.log_metric('auc', 0.9)\n",
        "k8s/serving.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: model\n",
    })
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    qs = {q["id"]: q for q in report["questions"]}
    m3 = qs["M3"]["evidence"][0]
    assert (m3["path"], m3["line"], m3["chain"]) == ("Makefile", 2, ["called from CI step .github/workflows/ci.yml:6"])
    m2 = qs["M2"]["evidence"][0]
    assert (m2["path"], m2["line"], m2["chain"]) == ("scripts/release.sh", 3, ["called from CI step .github/workflows/ci.yml:12"])
    e1 = qs["E1"]["evidence"][0]
    assert e1["path"] == "src/train.py" and e1["chain"][0] == "run by scripts/release.sh:2"
    assert e1["chain"][1].startswith("called from CI step .github/workflows/ci.yml:1")  # the step (its name or run line)


@pytest.mark.parametrize(("path", "rank"), [
    ("README.md", 0), ("docs/operations_runbook.md", 0), ("docs/runbook/05_ops.md", 0), ("src/train.py", 0),
    ("docs/deployment_guide.md", 1), ("docs/ec2_release_update_guide.md", 1), ("docs/architecture.md", 2),
    ("docs/design/console/decisions.md", 3), ("docs/conventions/makefile.md", 3), ("notes/plan.md", 3),
])
def test_documents_rank_procedures_before_notes(path: str, rank: int) -> None:
    assert doc_rank(path) == rank


def test_training_run_leads_over_an_earlier_feature_run(tmp_path: Path) -> None:
    """A module that opens a run for feature engineering before the training run cites the run that logs metrics."""
    repo = _repo(tmp_path / "repo", {"src/train.py": """\
        import mlflow
        import pandas as pd
        from sklearn.linear_model import LogisticRegression


        def build_features(path):
            with mlflow.start_run(run_name="features"):
                df = pd.read_csv(path)
                mlflow.log_param("rows", len(df))
            return df


        def train(df):
            with mlflow.start_run(run_name="train"):
                model = LogisticRegression().fit(df.drop(columns=["y"]), df["y"])
                mlflow.log_metric("accuracy", model.score(df.drop(columns=["y"]), df["y"]))


        if __name__ == "__main__":
            train(build_features("data/train.csv"))
        """})
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    e1 = next(q for q in report["questions"] if q["id"] == "E1")
    assert (e1["evidence"][0]["path"], e1["evidence"][0]["line"]) == ("src/train.py", 14)


def test_setup_steps_lead_t1_over_a_sub_folder_task_runner(tmp_path: Path) -> None:
    """T1 leads with the README's install-and-run steps, then the project's own task runner; a web console's npm
    scripts or an infrastructure Makefile in a sub-folder come after."""
    files = {
        "Console/package.json": '{\n  "scripts": {\n    "dev": "vite",\n    "build": "vite build"\n  }\n}\n',
        "Deploy/Makefile": "apply:\n\tterraform apply -auto-approve\n",
        "src/train.py": "print('train')\n",
    }
    readme = "# Churn\n\n## Setup\n\n```bash\npip install -r requirements.txt\npython src/train.py\n```\n"
    for name, extra, lead in (("readme", {"README.md": readme}, "README.md"),
                              ("make", {"Makefile": "setup:\n\tpip install -r requirements.txt\ntrain:\n\tpython src/train.py\n"}, "Makefile")):
        report = build_report(scan(str(_repo(tmp_path / name, {**files, **extra})), ScanOptions(jobs=1)))
        t1 = next(q for q in report["questions"] if q["id"] == "T1")
        assert t1["answer"] == "yes" and t1["evidence"][0]["path"] == lead, (name, t1["evidence"][0])


def test_pack_line_hint_reads_past_a_multi_line_statement(tmp_path: Path) -> None:
    """A statement spread over lines (``mapping = ColumnMapping(`` ... ``)``) is set-up: the hint reads on to the
    statement that uses it; an argument inside an enclosing call is no statement and its siblings are not read."""
    repo = _repo(tmp_path / "repo", {"monitor/drift.py": """\
        def detect(ref, cur):
            mapping = ColumnMapping(
                numerical_features=["a", "b"],
            )
            # the report
            report = Report(metrics=[DataDriftPreset()])
            report.run(reference_data=ref, current_data=cur, column_mapping=mapping)
        stages = [
            Stage(
                name="a",
            ),
            Report(x=1),
        ]
        """})
    index = FileIndex(resolve_target(str(repo)))
    rx = r"(?i)Report\(|TestSuite"
    f = Finding("monitoring.drift", "t", (Evidence("monitor/drift.py", 2, index.snippet("monitor/drift.py", 2), "t"),))
    (got,) = focus(index, [f], [("monitoring.drift", rx)])
    assert [e.line for e in got.evidence] == [2, 6]
    g = Finding("monitoring.drift", "t", (Evidence("monitor/drift.py", 9, index.snippet("monitor/drift.py", 9), "t"),))
    (got,) = focus(index, [g], [("monitoring.drift", rx)])
    assert [e.line for e in got.evidence] == [9]



def test_pack_hints_cite_a_multi_line_call_s_deciding_argument(tmp_path: Path) -> None:
    """The built-in pack's hints cite a SageMaker pipeline's ``steps=`` (lineage) and a registered model's
    ``model_metrics=`` (tracking) ten lines below the opener, not the opener's settings."""
    from mlscan.scoring.rulepack import builtin_pack_files, load_pack_file

    repo = _repo(tmp_path / "repo", {"pipelines/pipeline.py": """\
        def get_pipeline(name):
            step_register = RegisterModel(
                name="Register",
                estimator=est,
                content_types=["text/csv"],
                model_metrics=model_metrics,
            )
            pipeline = Pipeline(
                name=name,
                parameters=[
                    input_data,
                    model_output,
                ],
                steps=[step_train, step_eval],
            )
            return pipeline
        """})
    index = FileIndex(resolve_target(str(repo)))
    hints = pack_hints(p for p in (load_pack_file(f) for f in builtin_pack_files()) if p is not None)
    p = "pipelines/pipeline.py"
    run, dag = focus(index, [Finding("tracking.run", "t", (Evidence(p, 2, index.snippet(p, 2), "t"),)),
                             Finding("pipeline.dag", "t", (Evidence(p, 8, index.snippet(p, 8), "t"),))], hints)
    # ``model_metrics=model_metrics`` passes a name defined nowhere above: it is shown with the call it is passed to
    hinted = [e for e in run.evidence if e.fact.startswith("line:")]
    assert hinted and all((e.line, e.end_line) == (2, 6) for e in hinted), hinted
    assert hinted[0].snippet.splitlines()[-1].strip() == "model_metrics=model_metrics,"
    assert [e.line for e in dag.evidence if e.fact.startswith("line:")][0] == 14


def test_pack_line_hint_skips_a_call_s_settings(tmp_path: Path) -> None:
    """A deploy action's settings (stack name, role, permissions) are not its deciding line: the hint finds the
    argument that says what it does, or nothing, and the action's constructor stays the lead."""
    repo = _repo(tmp_path / "repo", {"infra/pipeline.py": """\
        stage = Stage(
            actions=[
                actions.CloudFormationCreateUpdateStackAction(
                    action_name="Batch_Staging",
                    run_order=1,
                    stack_name=f"sagemaker-{name}-staging",
                    admin_permissions=False,
                    deployment_role=cfn_role,
                ),
                actions.CloudFormationCreateUpdateStackAction(
                    action_name="Deploy_Prod",
                    stack_name="sagemaker-prod",
                ),
            ],
        )
        """})
    index = FileIndex(resolve_target(str(repo)))
    p = "infra/pipeline.py"
    rx = r"(?i)deploy|sagemaker"
    fs = [Finding("deploy.automated", "t", (Evidence(p, n, index.snippet(p, n), "t"),)) for n in (3, 10)]
    a, b = focus(index, fs, [("deploy.automated", rx)])
    assert [e.line for e in a.evidence] == [3]
    assert a.evidence[0].snippet.splitlines()[:2] == ["actions.CloudFormationCreateUpdateStackAction(", '    action_name="Batch_Staging",']
    assert a.evidence[0].end_line == 5
    assert [e.line for e in b.evidence] == [10, 11]


_MONITOR_DAG = """\
    from datetime import datetime

    from airflow import DAG
    from airflow.operators.python import BranchPythonOperator, PythonOperator
    from airflow.operators.trigger_dagrun import TriggerDagRunOperator


    def check_thresholds():
        return "trigger_retraining" if drift_score() > 0.3 else "skip_retraining"


    with DAG("monitoring", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False):
        collect = PythonOperator(task_id="collect_predictions", python_callable=collect_predictions)
        check = BranchPythonOperator(task_id="check_thresholds", python_callable=check_thresholds)
        skip = PythonOperator(task_id="skip_retraining", python_callable=lambda: None)
        retrain = TriggerDagRunOperator(task_id="trigger_retraining", trigger_dag_id="train_model")
        collect >> check >> [skip, retrain]
    """

_TRAIN_DAG = """\
    from datetime import datetime

    from airflow import DAG
    from airflow.operators.python import {branch}PythonOperator


    def train_model():
        model = fit(load("data/features.parquet"))
        save(model)


    with DAG("train_model", start_date=datetime(2024, 1, 1), schedule="@weekly", catchup=False):
        prepare = PythonOperator(task_id="prepare_features", python_callable=prepare_features)
        train = PythonOperator(task_id="train_model", python_callable=train_model)
        {extra}prepare >> train
    """


def test_a_dag_that_trains_every_run_leads_over_a_monitoring_dag_that_may_retrain(tmp_path: Path) -> None:
    """M1 and D3 lead with the DAG whose own steps train on schedule, not with a sibling monitoring DAG (sorting
    first) that starts training only when its branch says the thresholds broke; a branch that picks between two ways
    of training does not make training conditional."""
    repo = _repo(tmp_path / "repo", {"dags/a_monitoring.py": _MONITOR_DAG,
                                     "dags/train.py": _TRAIN_DAG.format(branch="", extra="")})
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    found = {(f["signal"], f["evidence"][0]["path"]): f["attrs"] for f in report["findings"]}
    assert found[("schedule.training", "dags/a_monitoring.py")].items() >= {"trains": "trigger", "conditional": True}.items()
    assert found[("schedule.training", "dags/train.py")].items() >= {"trains": "tasks", "conditional": False}.items()
    q = {x["id"]: x for x in report["questions"]}
    assert q["M1"]["answer"] == "yes" and (q["M1"]["evidence"][0]["path"], q["M1"]["evidence"][0]["line"]) == ("dags/train.py", 12)
    assert q["D3"]["answer"] == "yes" and (q["D3"]["evidence"][0]["path"], q["D3"]["evidence"][0]["line"]) == ("dags/train.py", 15)
    # near miss: a branch choosing full training or fine-tuning trains either way
    both = _TRAIN_DAG.format(branch="Branch", extra=(
        'choose = BranchPythonOperator(task_id="choose", python_callable=lambda: "train_model")\n'
        '        tune = PythonOperator(task_id="fine_tune", python_callable=train_model)\n'
        '        choose >> [train, tune]\n        '))
    report = build_report(scan(str(_repo(tmp_path / "both", {"dags/train.py": both})), ScanOptions(jobs=1)))
    (attrs,) = [f["attrs"] for f in report["findings"] if f["signal"] == "schedule.training"]
    assert attrs["conditional"] is False and attrs["trains"] == "tasks"
    # the monitoring DAG alone still answers yes (a schedule that may retrain), led by its own schedule line
    report = build_report(scan(str(_repo(tmp_path / "alone", {"dags/a_monitoring.py": _MONITOR_DAG})), ScanOptions(jobs=1)))
    m1 = next(x for x in report["questions"] if x["id"] == "M1")
    assert m1["answer"] == "yes" and m1["evidence"][0]["line"] == 12


def test_t1_leads_with_install_and_run_steps_over_a_sub_folder_readme_s_optional_command(tmp_path: Path) -> None:
    """A page that installs and runs the project leads T1 ahead of a sub-folder README that only runs something; a
    command the page calls optional (its paragraph or its section) is an aside, not a setup step."""
    files = {
        "README.md": "# Drift\n\nA model that retrains itself. See BUILD.md to build it from source.\n",
        "BUILD.md": "# Build from source\n\n## Install\n\n```\npip install -r requirements.txt\n```\n\n"
                    "## Deploy\n\n```\ncdk deploy --all\n```\n",
        "pipeline/README.md": "# Training pipeline\n\n## Run the pipeline\n\nThe data sits in a default bucket. You can copy "
                              "additional records to the input folder like so:\n\n```\naws s3 cp data.csv s3://bucket/input/\n```\n\n"
                              "Then start it:\n\n```\npython run_pipeline.py\n```\n\n"
                              "## (Optional) Use your own cluster\n\n```\nkubectl apply -f cluster.yaml\n```\n",
        "pipeline/run_pipeline.py": "print('run')\n",
    }
    report = build_report(scan(str(_repo(tmp_path / "repo", files)), ScanOptions(jobs=1)))
    t1 = next(q for q in report["questions"] if q["id"] == "T1")
    assert t1["answer"] == "yes" and (t1["evidence"][0]["path"], t1["evidence"][0]["line"]) == ("BUILD.md", 6)
    (sub,) = [f for f in report["findings"] if f["signal"] == "docs.setup" and f["evidence"][0]["path"] == "pipeline/README.md"]
    assert sub["attrs"]["commands"] == 1 and sub["evidence"][0]["line"] == 14  # python run_pipeline.py, not the asides


def _pack_line(qid: str) -> str:
    """The first deciding-line hint the bundled checklist declares for ``qid``."""
    pack = parse_pack((Path(__file__).resolve().parents[1] / "rules" / "checklist20.yaml").read_text(), "checklist20.yaml")
    return next(str(s["line"]) for q in pack.questions if q.id == qid for s in q.decisive if s.get("line"))


def test_t2_cites_the_registration_argument_or_output_location_of_a_multi_line_call(tmp_path: Path) -> None:
    """T2 leads at what makes the store central: ``registered_model_name=`` of a multi-line ``log_model(``, the
    ``output_path=`` of a SageMaker estimator, not the call's opener and first settings."""
    files = {
        "train.py": """\
            import mlflow
            import mlflow.sklearn
            from sklearn.ensemble import RandomForestRegressor

            mlflow.set_tracking_uri("http://mlflow.internal:5000")
            with mlflow.start_run():
                model = RandomForestRegressor().fit(X, y)
                mlflow.log_metric("mse", 0.1)
                mlflow.sklearn.log_model(
                    sk_model=model,
                    artifact_path="model",
                    input_example=X,
                    registered_model_name="sk-learn-random-forest",
                )
            """,
    }
    report = build_report(scan(str(_repo(tmp_path / "mlflow", files)), ScanOptions(jobs=1)))
    t2 = next(q for q in report["questions"] if q["id"] == "T2")
    assert t2["answer"] == "yes" and (t2["evidence"][0]["path"], t2["evidence"][0]["line"]) == ("train.py", 13)
    assert "sk-learn-random-forest" in t2["evidence"][0]["snippet"]  # a model name is no key: not redacted
    index_files = {"train_job.py": """\
        from sagemaker.estimator import Estimator

        estimator = Estimator(
            image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/train:1",
            role=ROLE,
            instance_count=1,
            instance_type="ml.m5.large",
            output_path="s3://acme-models/churn/output/",
        )
        estimator.fit({"training": "s3://acme-data/churn/train.csv"})
        """}
    repo = _repo(tmp_path / "sm", index_files)
    index = FileIndex(resolve_target(str(repo)))
    rx = _pack_line("T2")
    f = Finding("artifact.store", "t", (Evidence("train_job.py", 3, index.snippet("train_job.py", 3), "t"),))
    (got,) = focus(index, [f], [("artifact.store", rx)])
    assert [e.line for e in got.evidence] == [3, 8]


def test_a_tensorboard_callback_is_the_tracker_not_the_compile_metrics_beside_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {"trainer.py": """\
        import tensorflow as tf


        def train(x, y, log_dir):
            tensorboard_callback = tf.keras.callbacks.TensorBoard(
                log_dir=log_dir, histogram_freq=1
            )
            model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
            model.compile(
                optimizer="adam",
                metrics=["accuracy"],
            )
            model.fit(x, y, callbacks=[tensorboard_callback])
        """})
    index = FileIndex(resolve_target(str(repo)))
    rx = _pack_line("E2")
    f = Finding("tracking.run", "t", (Evidence("trainer.py", 5, index.snippet("trainer.py", 5), "t"),))
    (got,) = focus(index, [f], [("tracking.run", rx)])
    assert [e.line for e in got.evidence] == [5]


def test_t1_cites_the_project_s_setup_past_machine_prerequisites_and_hurried_shortcuts(tmp_path: Path) -> None:
    """The machine's package manager (``sudo apt install curl`` for a VPN client) and a vendor's ``curl | sh`` installer
    are prerequisites that run nothing of the project: a page of such steps does not lead T1 ahead of one that installs
    and runs the project, and a page's cited line is its first command past them; a shortcut for
    readers "in a hurry" that runs an upstream example is an aside."""
    files = {
        "README.md": "# Cluster\n\n## Setup\n\n### Install the VPN\n\n```shell\nsudo apt install curl\n```\n\n"
                     "```shell\nsh <(curl -sSf https://downloads.example.com/apps/linux/install.sh)\n```\n",
        "src/model/README.md": "# Model\n\n## Install dependencies\n\n```shell\npip install .\n```\n\n## Build model\n\n"
                               "```shell\npython build_model.py\n```\n",
        "examples/README.md": "# Example\n\n## Run it locally\n\nIf you're really in a hurry, just run the following:\n\n"
                              "```shell\nzenml example run huggingface\n```\n\n### Prerequisites\n\n```shell\npip install zenml\n```\n",
        "src/model/build_model.py": "print('fit')\n",
    }
    report = build_report(scan(str(_repo(tmp_path / "repo", files)), ScanOptions(jobs=1)))
    t1 = next(q for q in report["questions"] if q["id"] == "T1")
    assert (t1["evidence"][0]["path"], t1["evidence"][0]["line"]) == ("src/model/README.md", 6)
    setup = {f["evidence"][0]["path"]: f for f in report["findings"] if f["signal"] == "docs.setup"}
    assert setup["README.md"]["attrs"]["run"] is False  # a vendor's installer piped from curl runs nothing of the project
    assert setup["examples/README.md"]["evidence"][0]["line"] == 14  # pip install zenml, not the hurried shortcut


def test_a_zenml_or_flyte_pipeline_is_cited_at_the_edge_into_its_training_step(tmp_path: Path) -> None:
    """ZenML's legacy pipelines take their steps as parameters; either way the pipeline is cited where the training
    step consumes another step's output, not at its ``def``."""
    repo = _repo(tmp_path / "repo", {
        "steps.py": "from zenml.steps import step\n\n\n@step\ndef importer():\n    return 1\n\n\n@step\ndef tokenization(data):\n    return data\n\n\n"
                    "@step\ndef trainer(tokenized):\n    return tokenized\n\n\n@step\ndef evaluator(model):\n    return model\n",
        "pipeline.py": """\
            from zenml.pipelines import pipeline


            @pipeline
            def train_eval_pipeline(
                importer, tokenization, trainer, evaluator
            ):
                datasets = importer()
                tokenized = tokenization(data=datasets)
                model = trainer(tokenized=tokenized)
                evaluator(model=model)
            """})
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    d3 = next(q for q in report["questions"] if q["id"] == "D3")
    assert d3["answer"] == "yes" and (d3["evidence"][0]["path"], d3["evidence"][0]["line"]) == ("pipeline.py", 10)


def test_a_flow_described_under_the_setup_heading_is_no_setup_steps(tmp_path: Path) -> None:
    """A README's setup section may hold a sub-section that describes the system ("Flow:", "Architecture"): its
    numbered list is the order things happen in, not steps a newcomer follows; the setup section's own steps count."""
    flow = ("# Pipeline\n\n## Setup Instructions\n\n### Flow:\n\n1. Code pushed to GitHub\n\n2. CI builds the image\n\n"
            "3. Amazon ECR stores the image\n\n4. SageMaker trains the model\n")
    steps = ("# Pipeline\n\n## Setup Instructions\n\n1. Create the ECR repository\n2. Add the AWS secrets to the repository\n"
             "3. Push to main to train and deploy\n")
    for name, readme, found in (("flow", flow, False), ("steps", steps, True)):
        report = build_report(scan(str(_repo(tmp_path / name, {"README.md": readme, "train.py": "print(1)\n"})), ScanOptions(jobs=1)))
        assert any(f["signal"] == "docs.setup" for f in report["findings"]) is found, name
