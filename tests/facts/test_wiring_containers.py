"""Containers declared outside Dockerfiles and CI as wiring roots: a KFP container component's ``command``, a Kubernetes
CronJob's or an Argo/Tekton step's command, a Compose service, a Procfile line. Code they run by module name is reached,
so it carries no ``unreached`` caveat; a look-alike (the same module named in prose, a container running another module)
leaves it as it was."""

from __future__ import annotations

from pathlib import Path

from mlscan.facts.unreached import unreached
from mlscan.facts.wiring import AUTOMATED, ENTRYPOINT, wiring
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo

_MAIN = "import sys\n\n\ndef main():\n    print(sys.argv)\n\n\nif __name__ == '__main__':\n    main()\n"

_KFP = '''\
from kfp import dsl
from kfp.dsl import Input, Output, Artifact


@dsl.container_component
def save_model_op(name: str, model: Input[Artifact]):
    return dsl.ContainerSpec(
        image="europe-docker.pkg.dev/p/r/img:latest",
        command=["python", "-m", "src.components.save_model"],
        args=["--name", name, "--model", model.path],
    )


@dsl.container_component
def train_op(data: Input[Artifact], model: Output[Artifact]):
    return dsl.ContainerSpec("img:latest", ["python3", "src/components/train.py"], ["--data", data.path])


@dsl.pipeline(name="training")
def training_pipeline():
    save_model_op(name="m", model=train_op(data=None).output)
'''


def _index(root: Path, files: dict[str, str]) -> FileIndex:
    return FileIndex(resolve_target(str(git_repo(root, files))))  # type: ignore[arg-type]


def test_a_kfp_container_component_runs_its_module(tmp_path: Path) -> None:
    files = {"src/__init__.py": "", "src/components/__init__.py": "", "src/components/save_model.py": _MAIN,
             "src/components/train.py": _MAIN, "src/components/export.py": _MAIN, "src/pipelines/training.py": _KFP}
    ix = _index(tmp_path / "kfp", files)
    w = wiring(ix)
    assert w.of("src/components/save_model.py").kind == AUTOMATED
    assert w.of("src/components/save_model.py").chain[0] == "container src/pipelines/training.py:9"  # the command line
    assert w.automated("src/components/train.py")  # ContainerSpec's positional command
    assert not unreached(ix, "src/components/save_model.py")
    # near miss: a component module no container command runs stays unreached
    assert unreached(ix, "src/components/export.py")


def test_a_container_command_outside_a_pipeline_is_an_entry_point(tmp_path: Path) -> None:
    job = ("from kubernetes import client\n\n"
           "c = client.V1Container(name='t', image='img', command=['python', '-m', 'jobs.retrain'], args=['--full'])\n")
    # the module has no ``__main__`` block of its own: only the container reaches it
    ix = _index(tmp_path / "k", {"jobs/__init__.py": "", "jobs/retrain.py": "print('retrain')\n", "launch.py": job})
    r = wiring(ix).of("jobs/retrain.py")
    assert r is not None and r.kind == ENTRYPOINT  # the launcher is a script someone runs, no scheduled pipeline
    assert r.chain[0] == "container launch.py:3"
    assert not unreached(ix, "jobs/retrain.py")


def test_a_python_file_running_a_module_by_name_names_it(tmp_path: Path) -> None:
    run = "import subprocess\nimport sys\n\nsubprocess.run([sys.executable, '-m', 'tools.report'], check=True)\n"
    ix = _index(tmp_path / "s", {"tools/__init__.py": "", "tools/report.py": _MAIN, "tools/other.py": _MAIN, "run_all.py": run,
                                 "notes.py": "# git commit -m tools.other\n"})
    assert not unreached(ix, "tools/report.py")
    assert unreached(ix, "tools/other.py")  # ``git commit -m`` runs no module


def test_yaml_containers_and_procfiles_run_what_their_command_names(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/retrain.py": _MAIN, "pkg/drift.py": _MAIN, "pkg/serve.py": _MAIN, "pkg/worker.py": _MAIN, "pkg/score.py": _MAIN,
        "pkg/evaluate.py": _MAIN, "pkg/unused.py": _MAIN,
        "k8s/cronjob.yaml": """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: retrain}
spec:
  schedule: "0 3 * * 1"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: retrain
              image: registry.example.com/retrain:1.2
              command: ["python", "-m", "pkg.retrain"]
              args: ["--since", "7d"]
          restartPolicy: OnFailure
""",
        "argo/drift.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: drift}
spec:
  schedule: "0 * * * *"
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container:
          image: registry.example.com/monitor:1.0
          command: [sh, -c]
          args: ["pip list && python -m pkg.drift --window 1h"]
""",
        "tekton/task.yaml": """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: evaluate}
spec:
  steps:
    - name: evaluate
      image: python:3.11
      script: |
        #!/bin/sh
        python -m pkg.evaluate --out /workspace/metrics.json
""",
        "docker-compose.yml": """\
services:
  api:
    build: .
    command: python -m pkg.serve --port 8080
  worker:
    image: app:latest
    command: ["python", "-m", "pkg.worker"]
""",
        "Procfile": "web: python -m pkg.score\n",
        # near miss: a mapping with a command but no image is no container
        "config/tasks.yaml": "tasks:\n  cleanup:\n    command: python -m pkg.unused\n",
    }
    ix = _index(tmp_path / "y", files)
    w = wiring(ix)
    for mod in ("retrain", "drift", "serve", "worker", "score", "evaluate"):
        assert w.automated(f"pkg/{mod}.py"), mod
    assert w.of("pkg/retrain.py").chain[0] == "container k8s/cronjob.yaml:13"
    assert w.of("pkg/score.py").chain[0] == "container Procfile:1"
    assert not w.automated("pkg/unused.py")


def test_an_airflow_kubernetes_pod_operator_runs_its_module(tmp_path: Path) -> None:
    dag = ("from datetime import datetime\n\nfrom airflow import DAG\n"
           "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n\n"
           "with DAG(dag_id='retrain', schedule='@weekly', start_date=datetime(2024, 1, 1)) as dag:\n"
           "    KubernetesPodOperator(task_id='train', name='train', image='trainer:1.0',\n"
           "                          cmds=['python'], arguments=['-m', 'src.train', '--full'])\n")
    ix = _index(tmp_path / "a", {"dags/retrain.py": dag, "src/__init__.py": "", "src/train.py": _MAIN, "src/other.py": _MAIN})
    w = wiring(ix)
    assert w.automated("src/train.py")
    assert w.of("src/train.py").chain[0] == "container dags/retrain.py:8"
    assert not w.automated("src/other.py")


def test_containers_declared_in_python_are_read_from_the_words_phase_facts(tmp_path: Path) -> None:
    """The words phase (its workers in a parallel scan) derives the container facts of the files it splits: the graph,
    which the scanning process builds alone, parses none of them again."""
    from mlscan.facts.wiring import CONTAINER_FACTS, prefetch_roots

    job = ("from kubernetes import client\n\n"
           "c = client.V1Container(name='t', image='img', command=['python', '-m', 'jobs.retrain'], args=['--full'])\n")
    ix = _index(tmp_path / "k", {"jobs/__init__.py": "", "jobs/retrain.py": "print('retrain')\n", "launch.py": job})
    ix.register_vocabulary([b"command", b"cmds", b"python", b"python3", b"prefect", b"__main__"])
    prefetch_roots(ix, ["launch.py", "jobs/retrain.py"])
    assert ix.fact("launch.py", CONTAINER_FACTS) == [["python -m jobs.retrain --full", 3]]
    ix.share_caches(2)  # the trees are gone, as in the scanning process of a parallel scan
    ix.share_caches(1)
    assert wiring(ix).of("jobs/retrain.py").chain[0] == "container launch.py:3"
    assert ix.parse_counts[("launch.py", "python")] == 1
