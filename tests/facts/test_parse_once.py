"""Each Python file is parsed once per scan: facts derived from it outlive its tree in the parse cache."""

from __future__ import annotations

import ast
from pathlib import Path

import mlscan.index as index_mod
import pytest
from mlscan.detectors.ci_tests import TEST_FACTS
from mlscan.engine import run_detectors
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

WORKFLOW = """on: [push]
jobs:
{jobs}
"""
JOB = """  {name}:
    runs-on: ubuntu-latest
    steps:
      - run: pytest tests/
"""


@pytest.fixture()
def tiny_parse_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "PARSE_CACHE_CHARS", 1)  # every tree leaves the parse cache at once


def _repo(tmp_path: Path) -> Path:
    jobs = "".join(JOB.format(name=n) for n in ("unit", "lint", "nightly"))
    return git_repo(tmp_path / "r", {
        ".github/workflows/ci.yml": WORKFLOW.format(jobs=jobs),
        "tests/test_a.py": "def test_a():\n    try:\n        print(1)\n    except Exception:\n        assert False\n",
        "tests/test_b.py": "from src.app import add\n\ndef test_b():\n    assert add(1, 2) == 3\n",
        "src/app.py": "def add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n    print('x')\n",
    })


def test_test_commands_parse_each_test_file_once(tmp_path: Path, tiny_parse_cache: None) -> None:
    ix = FileIndex(resolve_target(str(_repo(tmp_path))))
    found = run_detectors(ix, load_detectors({"ci.tests"}), 1)
    tests = [f for f in found if f.signal == "ci.tests"]
    assert len(tests) == 3 and all(f.attrs["asserts"] for f in tests)
    assert ix.parse_counts[("tests/test_a.py", "python")] == 1
    assert ix.parse_counts[("tests/test_b.py", "python")] == 1


def test_fact_of_a_file_parsed_earlier_needs_no_second_parse(tmp_path: Path, tiny_parse_cache: None) -> None:
    ix = FileIndex(resolve_target(str(_repo(tmp_path))))
    assert ix.python("tests/test_a.py") is not None  # another consumer parsed it first; the tree is gone at once
    assert ix.fact("tests/test_a.py", TEST_FACTS) == [False, False, False]  # the assert sits in a handler
    assert ix.parse_counts[("tests/test_a.py", "python")] == 1
    run_detectors(ix, load_detectors(), 1)
    assert max(n for (p, kind), n in ix.parse_counts.items() if p.startswith("tests/")) == 1


def test_test_facts(tmp_path: Path) -> None:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "tests/test_true.py": "def test():\n    assert True\n    self.assertEqual(1, 1)\n",
        "tests/test_sum.py": "def test():\n    assert 1 == 1\n    self.assertEqual(add(1, 1), 2)\n",
        "tests/test_raise.py": "if x:\n    raise SystemExit(1)\n",
        "tests/test_ep.py": "try:\n    rt.invoke_endpoint(EndpointName='e')\nexcept E:\n    raise\n",
        "tests/test_bad.py": "def (:\n",
    }))))
    assert ix.fact("tests/test_true.py", TEST_FACTS) == [False, False, False]  # assertions on literals only check nothing
    assert ix.fact("tests/test_sum.py", TEST_FACTS) == [True, False, False]  # an assertEqual on a computed value does
    assert ix.fact("tests/test_raise.py", TEST_FACTS) == [False, True, False]
    assert ix.fact("tests/test_ep.py", TEST_FACTS) == [False, False, True]  # the raise in the handler does not count
    assert ix.fact("tests/test_bad.py", TEST_FACTS) is None


def test_yaml_files_are_parsed_once_while_the_kept_budget_lasts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               tiny_parse_cache: None) -> None:
    docs = {f"conf/c{i}.yaml": f"name: c{i}\nsteps: [a, b]\n" for i in range(4)}
    size = len(docs["conf/c0.yaml"])
    monkeypatch.setattr(index_mod, "YAML_KEPT_CHARS", 2 * size)  # room for the first two files parsed
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "y", docs))))
    for _ in range(3):  # three passes over every YAML file, as detectors make them
        for path in sorted(docs):
            assert ix.yaml(path)[0]["name"] == path[5:-5]
    counts = [ix.parse_counts[(p, "yaml")] for p in sorted(docs)]
    assert counts == [1, 1, 3, 3]  # the kept ones once; the others leave the (tiny) parse cache at once


def test_yaml_documents_are_not_kept_in_a_very_large_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                tiny_parse_cache: None) -> None:
    monkeypatch.setattr(index_mod, "YAML_KEPT_MAX_FILES", 1)
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "y", {"a.yaml": "a: 1\n", "b.yaml": "b: 2\n"}))))
    for path in ("a.yaml", "b.yaml", "a.yaml"):
        ix.yaml(path)
    assert ix.parse_counts[("a.yaml", "yaml")] == 2


def test_test_facts_walk_the_calls_only_when_one_can_change_the_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlscan.detectors.ci_tests as ci_tests

    walked: list[int] = []
    monkeypatch.setattr(ci_tests, "walk", lambda node: (isinstance(node, ast.Module) and walked.append(node.body[0].lineno)) or walk(node))
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "tests/test_stmt.py": "def test():\n    assert add(1, 1) == 2\n    print(check(3))\n",  # a statement decides
        "tests/test_none.py": "\ndef test():\n    print(add(1, 1))\n",  # no assertion word, no endpoint: no call can count
        "tests/test_call.py": "\n\ndef test():\n    self.assertEqual(add(1, 1), 2)\n",  # only a call can assert
        "tests/test_unicode.py": "\n\n\ndef test():\n    ｓelf.assertEqual(add(1, 1), 2)  # é\n",  # not ASCII: walked
    }))))
    assert ix.fact("tests/test_stmt.py", TEST_FACTS) == [True, False, False]
    assert ix.fact("tests/test_none.py", TEST_FACTS) == [False, False, False]
    assert ix.fact("tests/test_call.py", TEST_FACTS) == [True, False, False]
    assert ix.fact("tests/test_unicode.py", TEST_FACTS) == [True, False, False]
    assert walked == [3, 4]  # the first statement's line tells the files apart: test_call and test_unicode only


def test_the_scanning_process_keeps_yaml_while_its_workers_run(tmp_path: Path, tiny_parse_cache: None) -> None:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "y", {"a.yaml": "a: 1\n", "b.yaml": "b: 2\n", "c.yaml": "c: 3\n"}))))
    ix.share_caches(2)  # before the workers are forked: no process keeps more (a worker copies what it keeps)
    for _ in range(2):
        ix.yaml("a.yaml")
        ix.yaml("c.yaml")
    assert ix.parse_counts[("a.yaml", "yaml")] == 2
    ix.keep_yaml_here()  # the scanning process, its workers forked: its detector passes read every YAML file in turn
    for _ in range(2):
        ix.yaml("b.yaml")
        ix.yaml("c.yaml")
    ix.share_caches(1)
    assert ix.yaml("b.yaml") == [{"b": 2}]
    assert ix.parse_counts[("b.yaml", "yaml")] == 1


def test_eager_facts_only_for_files_their_askers_read(tmp_path: Path) -> None:
    """served.loads and artifact.store.server_logs are derived as a file is parsed only where their passes will ask:
    not for a test file, nor for one that names no load (the words ``load``, ``log`` and ``model`` are everywhere)."""
    serve = "from fastapi import FastAPI\nimport joblib\nmodel = joblib.load('model.pkl')\n"
    logs = "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n"
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "app/serve.py": serve, "tests/test_serve.py": serve, "app/api.py": "from fastapi import FastAPI\ndef load_data(): ...\n",
        "train.py": logs, "tests/test_train.py": logs, "report.py": "# log the model's metrics\nlog(model)\n",
    }))))
    ix.start_fact_log()
    for path in ("app/serve.py", "tests/test_serve.py", "app/api.py", "train.py", "tests/test_train.py", "report.py"):
        assert ix.python(path) is not None
    derived = {(path, name) for name, path, _value, _stored in ix.take_fact_log()}
    assert {p for p, n in derived if n == "served.loads"} == {"app/serve.py"}
    assert {p for p, n in derived if n == "artifact.store.server_logs"} == {"train.py"}
    assert ix.fact("app/serve.py", "served.loads") == [True, [[3, "file", "model.pkl", ""]]]
    assert ix.fact("train.py", "artifact.store.server_logs") == [2, [], []]


def test_orchestrated_deploys_are_read_from_a_fact_of_the_first_parse(tmp_path: Path, tiny_parse_cache: None) -> None:
    flow = ("from prefect import flow, task\nimport requests\nfrom sagemaker.model import Model\n\n"
            "@task\ndef deploy(uri):\n    Model(uri).deploy(instance_type='ml.m5.large')\n\n"
            "@task\ndef reload(uri):\n    requests.post('http://serve:5000/v1/reload', json={'model_uri': uri})\n\n"
            "@flow\ndef main():\n    deploy('s3://m')\n    reload('s3://m')\n")
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {"flows/deploy.py": flow}))))
    assert ix.python("flows/deploy.py") is not None  # the wiring graph parses it first; the tree is gone at once
    found = run_detectors(ix, load_detectors({"orchestrator.deploy"}), 1)
    assert [(f.signal, f.evidence[0].line, f.attrs["target"], f.attrs["job"]) for f in found] == [("deploy.automated", 7, "sagemaker", "deploy")]
    assert ix.parse_counts[("flows/deploy.py", "python")] == 1
    assert ix.fact("flows/deploy.py", "orchestrator.deploy.file") == [None, "prefect", [
        ["deploy", [7, None, "sagemaker"], []],
        ["reload", None, [[11, None, "http://serve:5000/v1/reload", True]]],
        ["main", [7, None, "sagemaker"], []]], []]  # the flow and the local helpers it calls; no Airflow bash task


def test_step_edges_are_file_facts_of_the_first_parse(tmp_path: Path, tiny_parse_cache: None) -> None:
    from mlscan.facts.step_edges import feeds_training, step_edges

    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "pipe.py": ("def pipe():\n    data = fetch().outputs['data']\n    prep = clean(data=data)\n"
                    "    train_model(x=prep.outputs['out'])\n    report(y=prep.output)\n"),
        "other.py": "def f(out):\n    return out.outputs\n",  # an output read, no step consuming it
        "plain.py": "def g():\n    print('output')\n",
    }))))
    for path in ("pipe.py", "other.py", "plain.py"):
        assert ix.python(path) is not None  # parsed first by another consumer; the trees leave the cache at once
    assert step_edges(ix) == {("fetch", "clean"), ("clean", "train_model"), ("clean", "report")}
    assert feeds_training(ix, "fetch") and not feeds_training(ix, "report")
    assert max(ix.parse_counts.values()) == 1


def test_services_are_read_from_a_fact_of_the_first_parse(tmp_path: Path, tiny_parse_cache: None) -> None:
    """served.services reads a file fact derived as the service is first parsed (the module names it imports), not its
    tree again. Near misses: a file naming a serving library only in a comment, and a test importing one, derive none."""
    from mlscan.facts.served import service_loads, services

    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "app/main.py": "from fastapi import FastAPI\nfrom app.predictor import Predictor\n\napp = FastAPI()\n",
        "app/predictor.py": "import joblib\n\nclass Predictor:\n    def __init__(self):\n        self.m = joblib.load('model.pkl')\n",
        "tools/notes.py": "# run it behind flask some day\nprint('load')\n",
        "tests/test_api.py": "from fastapi.testclient import TestClient\nfrom app.main import app\n",
    }))))
    ix.start_fact_log()
    for path in ("app/main.py", "tools/notes.py", "tests/test_api.py"):
        assert ix.python(path) is not None  # parsed first by another consumer (the wiring graph); the trees leave at once
    derived = {(path, name) for name, path, _value, _stored in ix.take_fact_log()}
    assert {p for p, n in derived if n == "served.service"} == {"app/main.py"}
    assert ix.fact("app/main.py", "served.service") == [True, ["app.predictor", "app.predictor.Predictor", "fastapi", "fastapi.FastAPI"]]
    assert services(ix) == (frozenset({"app/main.py"}),
                            frozenset({"app", "app.predictor", "app.predictor.Predictor", "fastapi", "fastapi.FastAPI"}))
    assert [(ld.path, ld.kind, ld.ref) for ld in service_loads(ix)] == [("app/predictor.py", "file", "model.pkl")]
    assert ix.parse_counts[("app/main.py", "python")] == 1


KFP_COMPONENTS = '''from kfp import dsl


@dsl.component
def train(data: str) -> str:
    return data


@dsl.component
def deploy(model: str) -> None:
    pass
'''
KFP_PIPELINE = '''from kfp import dsl
from kfp.client import Client

from components import deploy, train


@dsl.component
def evaluate(model: str) -> bool:
    accuracy = 0.9
    passed = accuracy >= 0.8
    return passed


@dsl.pipeline(name="training")
def training(data: str):
    t = train(data=data).set_display_name("train")
    e = evaluate(model=t.output)
    helper(e)  # a plain function: no step
    verdict = e.output
    with dsl.If(verdict == True):
        deploy(model=t.output)


Client().create_recurring_run(experiment_id="x", job_name="nightly-training", pipeline_func=training, cron_expression="0 0 * * *")
'''
# a near miss: a pipeline of plain functions (none a component of the repository), scheduled by a job named for nothing
KFP_NEAR = '''from kfp import dsl
from kfp.client import Client


@dsl.pipeline(name="report")
def report(data: str):
    rows = load(data=data)
    with dsl.If(rows.output == True):
        publish(rows=rows.output)


Client().create_recurring_run(experiment_id="x", job_name="nightly-report", pipeline_func=report)
'''


def test_kubeflow_pipelines_are_read_from_file_facts_once_parsed(tmp_path: Path, tiny_parse_cache: None) -> None:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "k", {
        "pipelines/components.py": KFP_COMPONENTS, "pipelines/pipeline.py": KFP_PIPELINE, "other/report.py": KFP_NEAR}))))
    found = run_detectors(ix, load_detectors({"kubeflow.pipeline"}), 1)
    got = sorted((f.signal, [(e.path, e.line) for e in f.evidence], f.attrs.get("steps"), f.attrs.get("guards"), f.attrs.get("cron"))
                 for f in found)
    assert got == [
        # the condition reads the evaluation's output: the line deciding it is in the component (the condition beside it)
        ("gate.metric", [("pipelines/pipeline.py", 10), ("pipelines/pipeline.py", 20)], None, 1, None),
        ("pipeline.dag", [("pipelines/pipeline.py", 15)], 3, None, None),
        # the report pipeline takes no training step, but the repository has a training pipeline: its schedule counts
        ("schedule.training", [("other/report.py", 12)], None, None, "schedule"),
        ("schedule.training", [("pipelines/pipeline.py", 24)], None, None, "0 0 * * *"),
    ]
    assert all(n == 1 for (p, kind), n in ix.parse_counts.items() if kind == "python")


SPEC = '''pipelineInfo:
  name: {name}
root:
  dag:
    tasks:
      train-model:
        taskInfo: {{name: train-model}}
      evaluate:
        dependentTasks: [train-model]
        inputs:
          artifacts:
            model: {{taskOutputArtifact: {{producerTask: train-model}}}}
'''
# a near miss: one task, no edge (a compiled component, not a graph)
SPEC_ONE = '''pipelineInfo:
  name: single
root:
  dag:
    tasks:
      train-model:
        taskInfo: {name: train-model}
'''


def test_compiled_pipeline_specs_are_loaded_once_for_their_yaml_fact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     tiny_parse_cache: None) -> None:
    monkeypatch.setattr(index_mod, "YAML_KEPT_CHARS", 0)  # no YAML kept: a second reader would load the file again
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "s", {
        "specs/training.yaml": SPEC.format(name="training"), "specs/single.yaml": SPEC_ONE, "specs/broken.yaml": "pipelineInfo: [\n"}))))
    for path in ("specs/training.yaml", "specs/single.yaml", "specs/broken.yaml"):
        ix.yaml(path)  # another reader loads them first (the wiring graph does in a scan): the fact is derived then
    found = run_detectors(ix, load_detectors({"kubeflow.pipeline"}), 1)
    assert [(f.signal, f.evidence[0].path, f.evidence[0].line, f.attrs["steps"], f.attrs["with_io"], f.attrs["training"]) for f in found] == [
        ("pipeline.dag", "specs/training.yaml", 3, 2, True, True)]
    assert all(n == 1 for (p, kind), n in ix.parse_counts.items() if kind == "yaml")
    assert [w.path for w in ix.warnings if w.code == "parse-error"] == ["specs/broken.yaml"]


BUNDLE = '''resources:
  registered_models:
    churn: {name: churn, catalog_name: main, schema_name: ml}
  jobs:
    retrain:
      name: retrain
      schedule: {quartz_cron_expression: "0 0 2 * * ?", pause_status: UNPAUSED}
      tasks:
        - task_key: train
          spark_python_task: {python_file: ../src/train.py}
        - task_key: evaluate
          depends_on: [{task_key: train}]
          spark_python_task: {python_file: ../src/evaluate.py}
'''
DVC_ARTIFACTS = '''artifacts:
  churn-model:
    path: models/model.pkl
    type: model
'''
# a compiled pipeline names the words both detectors' word tests ask (artifacts:, tasks, a trigger policy) and holds neither
SPEC_TRIGGERED = SPEC.format(name="training") + '''        triggerPolicy: {condition: "true"}
schedule: weekly
'''


def test_registry_configs_and_databricks_jobs_are_yaml_facts_of_the_first_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                               tiny_parse_cache: None) -> None:
    monkeypatch.setattr(index_mod, "YAML_KEPT_CHARS", 0)  # no YAML kept: a second reader would load the file again
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "s", {
        "bundle/resources/retrain.yml": BUNDLE, "dvc.yaml": DVC_ARTIFACTS, "config/artifacts-copy.yaml": DVC_ARTIFACTS,
        "specs/training.yaml": SPEC_TRIGGERED, "src/train.py": "print(1)\n", "src/evaluate.py": "print(2)\n"}))))
    detectors = load_detectors({"model.registry", "databricks.job"})
    for e in ix.entries:
        if e.path.endswith((".yml", ".yaml")):
            ix.yaml(e.path)  # another reader loads them first (the wiring graph does in a scan): the facts are derived then
    found = run_detectors(ix, detectors, 1)
    got = sorted((f.signal, f.evidence[0].path, f.evidence[0].line, f.attrs.get("tool")) for f in found)
    assert ("model.registry", "bundle/resources/retrain.yml", 3, "databricks-uc") in got  # the registered model itself
    assert ("model.registry", "dvc.yaml", 2, "dvc") in got
    assert not any(p == "config/artifacts-copy.yaml" for _s, p, _l, _t in got)  # the same artifacts in a file of another name
    assert ("schedule.training", "bundle/resources/retrain.yml", 7, "databricks") in got
    assert ("pipeline.dag", "bundle/resources/retrain.yml", 5, "databricks") in got
    assert not any(p == "specs/training.yaml" for _s, p, _l, _t in got)  # the compiled pipeline is no registry and no job
    assert ix.parse_counts[("specs/training.yaml", "yaml")] == 1  # (each detector loaded it again to find nothing)
    assert ix.parse_counts[("config/artifacts-copy.yaml", "yaml")] == 1


def test_cloud_scheduler_parses_only_files_that_can_create_a_job(tmp_path: Path) -> None:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "g", {
        "jobs/schedule.py": 'import os\nJOB = "retrain-model"\nos.system(f"gcloud scheduler jobs create pubsub {JOB} --schedule=\'0 2 * * *\' --topic=train")\n',
        "jobs/client.py": "from google.cloud import scheduler_v1\nc = scheduler_v1.CloudSchedulerClient()\n"
                          "c.create_job(parent='p', job=scheduler_v1.Job(name='train-model', schedule='0 3 * * *',"
                          " pubsub_target=scheduler_v1.PubsubTarget(topic_name='projects/p/topics/train')))\n",
        "src/train.py": "from torch.optim import lr_scheduler\nsched = lr_scheduler.StepLR(opt, 1)\n"}))))  # near miss: a scheduler
    found = run_detectors(ix, load_detectors({"cloud.scheduler"}), 1)
    assert sorted((f.signal, f.evidence[0].path, f.attrs["cron"]) for f in found) == [
        ("schedule.training", "jobs/client.py", "0 3 * * *"), ("schedule.training", "jobs/schedule.py", "0 2 * * *")]
    assert ("src/train.py", "python") not in ix.parse_counts  # names no gcloud command and no create_job: not parsed for them
