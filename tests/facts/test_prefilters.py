"""Pre-filters that keep files out of a parse: each lets through every file the parse could find something in."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.facts.data_checks import may_check
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

CHECK = '''import pandas as pd


def validate_data(df):
    if df{access}:
        raise ValueError("missing values")


validate_data(pd.read_csv("train.csv"))
'''
# a function named like a data check that looks at no table: never a custom check, not worth a parse
NAMED_ONLY = '''def validate_schema(config):
    assert config.get("schema"), "no schema"
    return config
'''


def test_may_check_needs_a_table_attribute_as_python_can_write_it(tmp_path: Path) -> None:
    files = {
        "plain.py": CHECK.format(access=".isnull().any().any()"),
        "spaced.py": CHECK.format(access=" . isna().values.any()"),
        "continued.py": CHECK.format(access=".\\\n            empty"),
        "bracketed.py": CHECK.format(access="[(df.  # the frame's\n            columns)]"),
        "named_only.py": NAMED_ONLY,
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    got = {e.path: may_check(index, e) for e in index.select(("**/*.py",))}
    assert got == {"plain.py": True, "spaced.py": True, "continued.py": True, "bracketed.py": True, "named_only.py": False}
    found = run_detectors(index, load_detectors({"data.validation"}), 1)
    assert sorted(f.evidence[0].path for f in found if f.attrs.get("tool") == "custom") == [
        "bracketed.py", "continued.py", "plain.py", "spaced.py"]
    assert ("named_only.py", "python") not in index.parse_counts


def test_names_any_finds_whole_names_only(tmp_path: Path) -> None:
    from mlscan.facts import ops

    files = {
        "a.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n",
        "b.py": "catalog_model = 1  # the log of the model\nlog_models = []\n",
        "c.py": "x = élog_model\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    got = {e.path: ops.names_any(index, e, ("log_model",)) for e in index.select(("**/*.py",))}
    assert got == {"a.py": True, "b.py": False, "c.py": False}


SERVE = '''from flask import Flask
import joblib

app = Flask(__name__)
model = joblib.load("models/model.pkl")
'''
# a serving module with the words of a load (``load``, ``model``) but no load call: nothing to parse for
SERVE_NO_LOAD = '''from flask import Flask

app = Flask(__name__)


def load_config(model_name):
    """Load the config of the model."""
    return {"model": model_name}
'''


def test_served_models_parse_only_serving_files_that_can_load_a_model(tmp_path: Path) -> None:
    from mlscan.facts.served import served_models

    root = git_repo(tmp_path / "r", {"serve.py": SERVE, "api/app.py": SERVE_NO_LOAD})
    index = FileIndex(resolve_target(str(root)))
    assert [(s.path, s.kind, s.ref) for s in served_models(index)] == [("serve.py", "file", "models/model.pkl")]
    assert ("api/app.py", "python") not in index.parse_counts


ROWS = '''import pandas as pd
from pydantic import BaseModel, ValidationError


class Trip(BaseModel):
    passengers: int


def keep_valid(raw):
    valid = []
    for _, row in raw.{loop}():
        try:
            valid.append(Trip(**row.to_dict()))
        except ValidationError:
            continue
    return valid


keep_valid(pd.read_csv("train.csv"))
'''
REQUEST = '''from pydantic import BaseModel, ValidationError


class Item(BaseModel):
    name: str


def parse_item(body):
    try:
        return Item(**body)
    except ValidationError as err:
        raise ValueError(str(err)) from err
'''


def test_validation_error_files_are_parsed_only_with_a_row_loop(tmp_path: Path) -> None:
    files = {"rows.py": ROWS.format(loop="iterrows"), "tuples.py": ROWS.format(loop="itertuples").replace("**row.to_dict()", "**row._asdict()"),
             "request.py": REQUEST}
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"data.validation"}), 1)
    assert sorted(f.evidence[0].path for f in found if f.attrs.get("tool") == "pydantic") == ["rows.py", "tuples.py"]
    assert ("request.py", "python") not in index.parse_counts


HELPER = '''import boto3


def _put_object_file(bucket, key, file_path):
    boto3.client("s3").upload_file(file_path, bucket, key)
'''


def test_helper_calls_are_looked_for_where_the_helper_name_stands(tmp_path: Path) -> None:
    files = {
        "store.py": HELPER,
        "train.py": "from store import _put_object_file\n\n_put_object_file('b', 'models/model.pkl', 'model.pkl')\n",
        # the helper's words (put, object, file), never its name: not parsed for its calls
        "other.py": "def put(obj, file):\n    return object, file, put\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"artifact.store"}), 1)
    assert [f.evidence[0].path for f in found if f.attrs.get("via") == "helper"] == ["train.py"]
    assert ("other.py", "python") not in index.parse_counts


def test_a_helper_named_outside_the_vocabulary_splits_no_file_again(tmp_path: Path) -> None:
    from mlscan.vocabulary import harvest

    files = {
        "store.py": HELPER.replace("_put_object_file", "_zqxv_push"),
        "train.py": "from store import _zqxv_push\n\n_zqxv_push('b', 'models/model.pkl', 'model.pkl')\n",
        "other.py": "def put(obj, file):\n    return object, file, put\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    detectors = load_detectors({"artifact.store"})
    index.register_vocabulary(sorted(harvest(detectors)))
    found = run_detectors(index, detectors, 1)
    assert [f.evidence[0].path for f in found if f.attrs.get("via") == "helper"] == ["train.py"]
    assert ("other.py", "python") not in index.parse_counts and not index.late_needles


# the make targets the runbook pages below run (a target no Makefile defines is a claim, not a step)
_RUNBOOK_MAKEFILE = "".join(f"{t}:\n\tpython run.py {t}\n\n" for t in ("retrain", "re-train", "refit", "rollback", "previous", "score", "check"))


def test_runbook_pages_are_parsed_only_for_the_kind_they_can_hold(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlscan.facts import doc_blocks

    files = {
        "Makefile": _RUNBOOK_MAKEFILE,
        "docs/retrain.md": "# Retraining the model\n\n1. Run `make retrain`\n2. Check the metrics on the dashboard\n",
        # an HTML comment inside the heading: the parse joins "Rol" and "lback" (the page passes _candidate on "trigger")
        "docs/rollback.md": "# Rol<!-- keep -->lback\n\n1. Run `kubectl apply -f previous.yaml`\n2. Trigger a health check\n",
        # words _candidate admits (schedule, cron, submit), none a retraining or rollback needs
        "docs/batch.md": "# Batch scoring\n\n1. Run `make score`, scheduled by cron\n2. Submit the report\n",
    }
    parsed: list[str] = []
    real = doc_blocks.parse
    monkeypatch.setattr(doc_blocks, "parse", lambda text, path="": parsed.append(path) or real(text, path))
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"docs.runbook"}), 1)
    assert sorted((f.signal, f.evidence[0].path) for f in found) == [
        ("docs.retraining", "docs/retrain.md"), ("docs.rollback", "docs/rollback.md")]
    assert "docs/batch.md" not in parsed


def test_runbook_pages_need_the_words_a_hit_is_made_of(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from mlscan.facts import doc_blocks

    def nb(markdown: str, code: str) -> str:
        return json.dumps({"cells": [{"cell_type": "markdown", "source": markdown}, {"cell_type": "code", "source": code}]})

    files = {
        # hits without "train": continual learning, refreshing the model, a rollout undone
        "Makefile": _RUNBOOK_MAKEFILE,
        "docs/learning.md": "# Continual learning\n\n1. Run `make refit`\n2. Check the metrics on the dashboard\n",
        "docs/refresh.md": "# Refreshing the model\n\n1. Run `make refit`\n2. Check the metrics on the dashboard\n",
        "docs/undo.md": "# Serving\n\n```bash\nkubectl rollout undo deployment/model\n```\n",
        # _candidate admits them ("continue", "scroll" + "schedule", "submit"): no retraining or rollback can be made of them
        "docs/usage.md": "# Usage\n\n1. Continue to the next page, scroll down\n2. Submit the form on schedule\n",
        "notebooks/explore.ipynb": nb("## Explore\n\nContinue below; scroll to the plot.", "print('submit')"),
        "notebooks/rollback.ipynb": nb("## Rolling back\n\n1. Run `make rollback`\n2. Verify the endpoint", "x = 1"),
    }
    parsed: list[str] = []
    real = doc_blocks.parse
    monkeypatch.setattr(doc_blocks, "parse", lambda text, path="": parsed.append(path) or real(text, path))
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"docs.runbook"}), 1)
    assert sorted((f.signal, f.evidence[0].path) for f in found) == [
        ("docs.retraining", "docs/learning.md"), ("docs.retraining", "docs/refresh.md"), ("docs.rollback", "docs/undo.md"),
        ("docs.rollback", "notebooks/rollback.ipynb")]
    assert "docs/usage.md" not in parsed
    assert ("notebooks/explore.ipynb", "json") not in index.parse_counts  # its JSON is not decoded for markdown cells


def test_runbook_pages_are_words_of_a_hit_not_pieces_of_them(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlscan.facts import doc_blocks

    files = {
        # hits whose words stand beside punctuation, an underscore, a non-ASCII dash, inside a longer option word
        "Makefile": _RUNBOOK_MAKEFILE,
        "docs/a_retrain.md": "# Operations\n\n1. Run `make re-train` when the data changes\n2. Check the metrics\n",
        "docs/b_undo.md": "# Serving\n\n```bash\nhelm upgrade model ./chart --auto-rollback\n```\n",
        "docs/c_dash.md": "# Ops\u2014Rollback\n\n1. Run `make previous`\n2. Verify the endpoint\n",
        "docs/d_emphasis.md": "# Ops\n\n1. Run `make refit` to _retrain_ the model\n2. Verify the endpoint\n",
        # pieces of the literals only: control, constraint, continue, scroll back, restrained (none a word a hit needs)
        "docs/near.md": "# Usage\n\n1. Run `make check` on every constraint, scroll back, continue\n2. Control the schedule, restrained\n",
    }
    parsed: list[str] = []
    real = doc_blocks.parse
    monkeypatch.setattr(doc_blocks, "parse", lambda text, path="": parsed.append(path) or real(text, path))
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"docs.runbook"}), 1)
    assert sorted((f.signal, f.evidence[0].path) for f in found) == [
        ("docs.retraining", "docs/a_retrain.md"), ("docs.retraining", "docs/d_emphasis.md"),
        ("docs.rollback", "docs/b_undo.md"), ("docs.rollback", "docs/c_dash.md")]
    assert "docs/near.md" not in parsed


def test_runbook_page_words_admit_every_text_a_hit_pattern_finds() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from mlscan.detectors.docs_runbook import _RETRAIN, _ROLLBACK, _TRAIN, _page_kinds, _plain

    pieces = st.sampled_from(["re", "train", "training", "retrain", "-", " ", "_", "*", "`", "\u2014", "\u00e9", "roll", "back",
                              "revert", "to", "the", "previous", "restore", "downgrade", "undo", "deploy", "release", "rollout",
                              "continual", "continuous", "learning", "improving", "refresh", "model", "new", "a", "con", "s",
                              "ing", "ed", "2", "\n", "x", "R", "T"])

    @settings(max_examples=600, deadline=None)
    @given(st.lists(pieces, max_size=10).map("".join))
    def check(text: str) -> None:
        plain = _plain(text)
        retrain, rollback = _page_kinds(text.lower())
        if _RETRAIN.search(plain) or _TRAIN.search(plain):
            assert retrain, text
        if _ROLLBACK.search(plain):
            assert rollback, text

    check()


def test_runbook_stops_reading_pages_once_both_signals_have_theirs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlscan.detectors.docs_runbook import MAX_FILES
    from mlscan.facts import doc_blocks

    page = "# Retraining and rollback\n\n1. Run `make retrain`\n2. Run `helm rollback model`\n"
    files = {f"docs/p{i}.md": page for i in range(MAX_FILES + 2)}
    parsed: list[str] = []
    real = doc_blocks.parse
    monkeypatch.setattr(doc_blocks, "parse", lambda text, path="": parsed.append(path) or real(text, path))
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"docs.runbook"}), 1)
    assert sorted((f.signal, f.evidence[0].path) for f in found) == sorted(
        (signal, f"docs/p{i}.md") for i in range(MAX_FILES) for signal in ("docs.retraining", "docs.rollback"))
    assert sorted(parsed) == [f"docs/p{i}.md" for i in range(MAX_FILES)]
    assert f"docs/p{MAX_FILES}.md" not in index._read_paths


def test_walk_dicts_visits_every_mapping_in_document_order() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from mlscan.facts.ops import walk_dicts

    def reference(node, depth=0):  # type: ignore[no-untyped-def]
        if depth > 40:
            return
        if isinstance(node, dict):
            yield node
            for v in node.values():
                yield from reference(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                yield from reference(v, depth + 1)

    docs = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=3), kids, max_size=4) | st.tuples(kids),
                        max_leaves=30)

    @settings(max_examples=200, deadline=None)
    @given(docs)
    def same(doc) -> None:  # type: ignore[no-untyped-def]
        assert [id(d) for d in walk_dicts(doc)] == [id(d) for d in reference(doc)]
        assert [id(d) for d in walk_dicts(doc, 39)] == [id(d) for d in reference(doc, 39)]

    same()
    deep: dict = {}
    node = deep
    for _ in range(60):
        node["k"] = node = {}
    assert [id(d) for d in walk_dicts([deep])] == [id(d) for d in reference([deep])]
    assert len(list(walk_dicts(deep))) == 41


def test_databricks_jobs_read_only_files_naming_a_job_key(tmp_path: Path) -> None:
    files = {
        "resources/train.yml": "resources:\n  jobs:\n    train_model:\n      name: train-model\n      schedule:\n"
                               "        quartz_cron_expression: 0 0 3 * * ?\n      tasks:\n        - task_key: train\n"
                               "          notebook_task:\n            notebook_path: ./train.py\n",
        # an Argo DAG: ``tasks`` but no job key
        "argo/dag.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n    - name: main\n      dag:\n"
                         "        tasks:\n          - name: a\n            template: a\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"databricks.job"}), 1)
    assert [(f.signal, f.evidence[0].path) for f in found if f.signal == "schedule.training"] == [("schedule.training", "resources/train.yml")]
    assert ("argo/dag.yaml", "yaml") not in index.parse_counts


def test_reload_routes_are_read_only_for_a_task_that_posts(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[2] / "fixtures/detectors/orchestrator.deploy/positive/flyte_hot_reload"
    app = (fixture / "service/app.py").read_text()
    pipeline = (fixture / "pipeline.py").read_text()
    quiet = pipeline.replace('res = requests.post(f"http://{SERVING_HOST}:5050/v1/update-model", json={"model_uri": model_uri})',
                             'res = requests.get(f"http://{SERVING_HOST}:5050/health")')
    assert quiet != pipeline
    for name, source, hit in (("posts", pipeline, True), ("quiet", quiet, False)):
        index = FileIndex(resolve_target(str(git_repo(tmp_path / name, {"pipeline.py": source, "service/app.py": app}))))
        found = run_detectors(index, load_detectors({"orchestrator.deploy"}), 1)
        assert [f.attrs.get("target") for f in found] == (["serving-reload"] if hit else [])
        assert (("service/app.py", "python") in index.parse_counts) is hit  # the web app is parsed only to match a POST


def test_call_sites_are_looked_for_where_the_name_is_a_whole_identifier(tmp_path: Path) -> None:
    from mlscan.facts.orchestration import only_in_uncalled_tasks

    files = {
        "checks.py": "def validate(df):\n    assert df.notnull().all().all()\n",
        "caller.py": "from checks import validate\n\nvalidate(load())\n",
        "other.py": "validated = _validate = validate_all = 1\n",  # the name only inside longer identifiers
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    e = index.entry("checks.py")
    tree = index.python("checks.py")
    assert e is not None and tree is not None
    assert only_in_uncalled_tasks(index, e, tree, 2) is False  # called at module level in caller.py
    assert ("caller.py", "python") in index.parse_counts
    assert ("other.py", "python") not in index.parse_counts


def test_telemetry_reads_only_files_naming_a_telemetry_image(tmp_path: Path) -> None:
    from mlscan.facts.telemetry import telemetry_configs

    files = {
        "compose.yaml": "services:\n  grafana:\n    image: grafana/grafana:10.2.0\n  app:\n    image: python:3.11\n",
        "ci/build.yaml": "steps:\n  - name: build\n    image: python:3.11\n    script: make test\n",  # an image, no telemetry
        "monitoring/prometheus.yml": "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: api\n",
        # a Helm template is read as before: rendered without values it does not parse, and the scan says so
        "chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        "chart/templates/deployment.yaml": "spec:\n  containers:\n    - image: {{ .Values.image }}\n      {{- toYaml .Values.x | nindent 6 }}\n  bad: [\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    assert sorted(telemetry_configs(index)) == [("compose.yaml", 3, "grafana"), ("monitoring/prometheus.yml", 3, "prometheus")]
    assert ("ci/build.yaml", "yaml") not in index.parse_counts
    assert any(w.code == "template-unrendered" and w.path == "chart/templates/deployment.yaml" for w in index.warnings)
