"""Hostile repositories, scanned as a directory and as a file:// URL: no code of theirs runs (build backends,
conftest.py, .pth files, notebook magics, modules named like mlscan's own imports), no secret reaches any format,
broken git states and long-line bombs end in a report (bounded memory) or a one-line error, never a traceback.
Git configuration and hook canaries are in test_git_safety.py."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlscan.engine import ScanOptions, scan
from mlscan.reporters import REPORTERS, get_reporter

from tests.conftest import git_repo
from tests.hostile_repos import long_line_files
from tests.test_hostile_output import assert_valid

MLSCAN = Path(sys.executable).with_name("mlscan")
MEMORY_LIMIT_MIB = 300


def mlscan(*args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
    """Run the installed ``mlscan`` command (its script puts its own directory, not the working directory, first on
    sys.path, so modules of a scanned checkout are never imported in its place)."""
    return subprocess.run([str(MLSCAN), *args], cwd=cwd, capture_output=True, timeout=timeout, env={**os.environ, "NO_COLOR": "1"})


def all_formats(path: str) -> dict[str, str]:
    """Scan in process and render every format; each is valid in its own encoding."""
    result = scan(path, ScanOptions(jobs=1))
    return {fmt: assert_valid(fmt, get_reporter(fmt)(result).encode("utf-8")) for fmt in REPORTERS}


# ---------------------------------------------------------------- code-execution canaries


def _canary_repo(root: Path, fired: Path) -> Path:
    touch = f"open({str(fired)!r} + '/' + __name__, 'w').write('ran')\n"
    files = {
        "conftest.py": "import mlflow\n" + touch,
        "setup.py": "from setuptools import setup\n" + touch + "setup(name='x')\n",
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "canary_backend"\nbackend-path = ["."]\n[project]\nname = "x"\n',
        "canary_backend.py": touch,
        "sitecustomize.py": touch,
        "usercustomize.py": touch,
        "evil.pth": f"import os; os.makedirs({str(fired)!r} + '/pth', exist_ok=True)\n",
        # modules named like what mlscan imports: a scan from inside the checkout must not pick them up
        "yaml.py": touch, "click.py": touch, "rich.py": touch, "jsonschema.py": touch, "mlscan.py": touch,
        "src/train.py": "import mlflow\n" + touch + "mlflow.log_metric('acc', 1)\nif __name__ == '__main__':\n    pass\n",
        "src/__init__.py": touch,
        "notebooks/train.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": [
            f"!touch {fired}/bang\n", f"%run -i {fired}/x.py\n", f"%%bash\ntouch {fired}/cellmagic\n"]},
            {"cell_type": "code", "source": [f"get_ipython().system('touch {fired}/ipython')\n", "import mlflow\n", "mlflow.autolog()\n"]}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        "Makefile": f"train:\n\ttouch {fired}/make\n",
        ".envrc": f"touch {fired}/direnv\n",
        "noxfile.py": touch, "tox.ini": f"[testenv]\ncommands = touch {fired}/tox\n",
        ".pre-commit-config.yaml": f"repos:\n  - repo: local\n    hooks:\n      - id: x\n        entry: touch {fired}/precommit\n        language: system\n",
        ".github/workflows/ci.yml": f"on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: touch {fired}/workflow\n      - run: pytest\n",
        # serving code whose model files would run a command if anything unpickled them (facts.served reads the
        # loader calls' paths from the syntax tree only)
        "app/serve.py": "import joblib\nimport pickle\nimport torch\nfrom fastapi import FastAPI\n\nMODEL_PATH = 'models/model.pkl'\n"
                        "app = FastAPI()\nmodel = joblib.load(MODEL_PATH)\nclf = pickle.load(open('models/clf.pickle', 'rb'))\n"
                        "net = torch.load('models/net.pt')\n",
        "models/model.pkl": pickle.dumps(_Fires(fired, "joblib")),
        "models/clf.pickle": pickle.dumps(_Fires(fired, "pickle")),
        "models/net.pt": pickle.dumps(_Fires(fired, "torch")),
        # a batch scoring flow (facts.orchestration.scores_only) and a sampling entry (facts.training_entries'
        # inference check) name their model loaders; both read the calls from the syntax tree only
        "flows/batch_score.py": "import joblib\nfrom prefect import flow, task\n\n\n@task\ndef load_model():\n"
                                "    return joblib.load('models/scorer.pkl')\n\n\n@task\ndef predict(model):\n"
                                "    return model.predict([[1]])\n\n\n@flow\ndef batch_predict():\n    predict(load_model())\n",
        "sample.py": "import torch\n\nmodel = torch.nn.Linear(1, 1)\nmodel.load_state_dict(torch.load('models/ckpt.pt'))\n"
                     "print(model.generate(torch.zeros(1)))\n",
        "models/scorer.pkl": pickle.dumps(_Fires(fired, "scorer")),
        "models/ckpt.pt": pickle.dumps(_Fires(fired, "ckpt")),
    }
    return git_repo(root, files)


class _Fires:
    """Pickles to a payload whose unpickling runs ``touch FIRED/NAME`` (building it here runs nothing)."""

    def __init__(self, fired: Path, name: str) -> None:
        self.cmd = f"touch {fired}/{name}"

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.cmd,)


@pytest.mark.parametrize("as_url", [False, True])
def test_no_repository_code_runs(tmp_path: Path, as_url: bool) -> None:
    fired = tmp_path / "fired"
    fired.mkdir()
    repo = _canary_repo(tmp_path / "repo", fired)
    target = f"file://{repo}" if as_url else "."
    cp = mlscan("scan", target, "-f", "json", cwd=repo)  # from inside the hostile checkout
    assert cp.returncode == 0, cp.stderr.decode()
    assert b"Traceback" not in cp.stderr
    report = json.loads(cp.stdout)
    assert len(report["questions"]) == 20
    loads = {f["attrs"].get("ref") for f in report["findings"] if f["signal"] == "serving.model"}
    assert {"models/model.pkl", "models/clf.pickle", "models/net.pt"} <= loads, loads  # the served model was read...
    scoring = [f["attrs"].get("scoring") for f in report["findings"] if f["signal"] == "pipeline.dag" and "batch_score" in json.dumps(f)]
    assert scoring == [True], scoring  # ...the scoring flow's loader was recognised...
    assert sorted(os.listdir(fired)) == []  # ...and nothing ran


# ---------------------------------------------------------------- escapes out of the repository


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_device_fifo_and_proc_links_are_never_read(tmp_path: Path) -> None:
    secret = "ENV-SECRET-19af3"
    repo = git_repo(tmp_path / "repo", {"src/app.py": "print(1)\n", ".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    (repo / "train.py").symlink_to("/dev/zero")
    (repo / "README.md").symlink_to("/proc/self/environ")
    (repo / "requirements.txt").symlink_to("/dev/urandom")
    (repo / "loop").symlink_to(repo / "loop")
    (repo / "up").symlink_to("..", target_is_directory=True)
    os.mkfifo(repo / "dvc.yaml")
    os.mkfifo(repo / "Dockerfile")
    try:
        os.mknod(repo / "params.yaml", 0o600 | 0o020000, os.makedev(1, 5))  # a character device (/dev/zero's numbers)
    except (PermissionError, OSError):
        pass  # not root: the symlinks to devices above stand for it
    env = {**os.environ, "LEAKED": secret}
    for target in (str(repo), f"file://{repo}"):
        cp = subprocess.run([str(MLSCAN), "scan", target, "-f", "json"], capture_output=True, timeout=120, env=env)
        assert cp.returncode == 0, cp.stderr.decode()
        assert secret.encode() not in cp.stdout + cp.stderr
        json.loads(cp.stdout)


@pytest.mark.parametrize("as_url", [False, True])
def test_a_tracked_directory_swapped_for_a_symlink_is_not_followed(tmp_path: Path, as_url: bool) -> None:
    secret = "SWAPPED-DIR-SECRET-7c1"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "dvc.yaml").write_text(f"stages:\n  {secret}:\n    cmd: python train.py\n")
    (outside / "train.py").write_text(f"import mlflow\nmlflow.set_tag('k', '{secret}')\nif __name__ == '__main__':\n    pass\n")
    repo = git_repo(tmp_path / "repo", {"conf/dvc.yaml": "stages: {}\n", "conf/train.py": "x = 1\n", "README.md": "# r\n"})
    shutil.rmtree(repo / "conf")
    (repo / "conf").symlink_to(outside, target_is_directory=True)  # git still lists conf/dvc.yaml and conf/train.py
    if as_url:
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "link"], cwd=repo, check=True)
        texts = {"json": json.dumps(json.loads(mlscan("scan", f"file://{repo}", "-f", "json").stdout))}
    else:
        texts = all_formats(str(repo))
    for fmt, text in texts.items():
        assert secret not in text, fmt


# ---------------------------------------------------------------- secrets


SECRETS = {
    "kube_token": "kubeTOKENa1b2c3d4e5f6",
    "key_data": "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVB",
    "bearer": "bearerZ9y8x7w6v5u4",
    "ghp": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "db": "dbPASSq1w2e3r4",
    "remote": "remoteTOKENz9x8c7v6",
}


def test_secrets_in_ci_kubeconfig_and_remotes_never_reach_a_report(tmp_path: Path) -> None:
    s = SECRETS
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: 'https://k8s.example.com'}\nusers:\n- name: ci\n  user:\n"
        f"    token: {s['kube_token']}\n    client-key-data: {s['key_data']}\n"
    )
    workflow = (
        "on:\n  push:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
        f"      - run: python train.py --db postgresql://ml:{s['db']}@db:5432/ml\n"
        f"      - run: curl -H 'Authorization: Bearer {s['bearer']}' https://models.example.com/register\n"
        f"      - run: kubectl --token={s['kube_token']} apply -f k8s/deploy.yaml\n"
        f"      - run: git push https://x:{s['ghp']}@github.com/acme/models.git\n"
        f"      - run: echo {s['ghp']} | docker login ghcr.io -u bot --password-stdin && docker push ghcr.io/acme/model:1\n"
    )
    repo = git_repo(
        tmp_path / "repo",
        {
            ".kube/config": kubeconfig,
            "kubeconfig.yaml": kubeconfig,
            ".github/workflows/deploy.yml": workflow,
            ".gitlab-ci.yml": f"train:\n  script:\n    - python train.py --api-key {s['bearer']}\n    - mlflow run . --env MLFLOW_TRACKING_TOKEN={s['kube_token']}\n",
            "k8s/deploy.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: model}\nspec:\n  template:\n    spec:\n      containers:\n"
                f"      - name: model\n        image: ghcr.io/acme/model:1\n        env:\n        - {{name: DB_PASSWORD, value: {s['db']}}}\n"
                f"        args: ['--token={s['kube_token']}']\n"
            ),
            "src/train.py": (
                "import mlflow\n"
                f"mlflow.set_tracking_uri('https://u:{s['db']}@mlflow.example.com')\n"
                "with mlflow.start_run():\n    mlflow.log_metric('acc', 0.9)\n"
            ),
            ".env": f"API_KEY={s['bearer']}\nHF_TOKEN=hf_{s['remote']}abcdefghij\n",
        },
    )
    subprocess.run(["git", "remote", "add", "origin", f"https://ci:{s['remote']}@github.com/acme/repo.git?token={s['remote']}"],
                   cwd=repo, check=True)
    texts = all_formats(str(repo))
    texts["url"] = json.dumps(build_url_report(repo))
    for fmt, text in texts.items():
        for name, secret in s.items():
            assert secret not in text, (fmt, name)


def build_url_report(repo: Path) -> dict:
    cp = mlscan("scan", f"file://{repo}", "-f", "json")
    assert cp.returncode == 0, cp.stderr.decode()
    for secret in SECRETS.values():
        assert secret.encode() not in cp.stderr
    return json.loads(cp.stdout)


# ---------------------------------------------------------------- broken git states


def _corrupt(repo: Path, how: str) -> None:
    git_dir = repo / ".git"
    if how == "index":
        (git_dir / "index").write_bytes(b"DIRC\x00\x00\x00\x02garbage" * 10)
    elif how == "objects":
        for d in (git_dir / "objects").iterdir():
            if len(d.name) == 2:
                shutil.rmtree(d)
    elif how == "head":
        (git_dir / "HEAD").write_text("ref: refs/heads/does-not-exist\n")
    elif how == "gitfile":
        shutil.rmtree(git_dir)
        (repo / ".git").write_text("gitdir: /nonexistent/worktree/.git\n")
    elif how == "config":
        (git_dir / "config").write_text("[core\n\tbare = maybe\n[[[\n")
    elif how == "packed-refs":
        (git_dir / "packed-refs").write_text("not a ref line\n" * 3)
        (git_dir / "refs" / "heads" / "main").write_text("zzzz\n") if (git_dir / "refs" / "heads" / "main").exists() else None


@pytest.mark.parametrize("how", ["index", "objects", "head", "gitfile", "config", "packed-refs"])
def test_broken_git_states_give_a_report_or_a_one_line_error(tmp_path: Path, how: str) -> None:
    repo = git_repo(tmp_path / "repo", {"src/train.py": "import mlflow\nmlflow.log_metric('a', 1)\n",
                                         ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n"})
    _corrupt(repo, how)
    cp = mlscan("scan", str(repo), "-f", "json", timeout=120)
    assert b"Traceback" not in cp.stderr
    assert cp.returncode == 0, cp.stderr.decode()  # a directory can always be walked
    assert len(json.loads(cp.stdout)["questions"]) == 20
    cp = mlscan("scan", f"file://{repo}", "-f", "json", timeout=120)
    assert b"Traceback" not in cp.stderr
    if cp.returncode != 0:  # a clone of a broken repository may fail: then as bad input
        assert cp.returncode in (2, 3) and len(cp.stderr.decode().strip().splitlines()) == 1, cp.stderr
    else:
        json.loads(cp.stdout)


# ---------------------------------------------------------------- bombs


def test_notebook_toml_and_python_bombs_are_warnings(tmp_path: Path) -> None:
    deep_nb = '{"cells": [{"cell_type": "code", "source": ' + "[" * 50_000 + "]" * 50_000 + "}]}"
    many_cells = json.dumps({"cells": [{"cell_type": "code", "source": f"x{i} = {i}\n"} for i in range(30_000)]})
    files = {
        "notebooks/deep.ipynb": deep_nb,
        "notebooks/many.ipynb": many_cells,
        "notebooks/magic_bomb.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": "a " * 4000}] * 50}),
        "pyproject.toml": "[project]\nname = 'x'\nx = " + "[" * 20_000 + "]" * 20_000 + "\n",
        "setup.cfg": "[metadata]\nname = " + "x" * 200_000 + "\n",
        "src/chain.py": "import mlflow\nx = " + "+".join(["1"] * 60_000) + "\nmlflow.log_metric('a', x)\n",
        "src/nest.py": "import mlflow\n" + "".join("    " * i + "if x:\n" for i in range(90)) + "    " * 90 + "mlflow.log_metric('a', 1)\n",
        "src/lambdas.py": "import mlflow\nf = " + "lambda: " * 3_000 + "1\n",
        "src/calls.py": "import mlflow\nmlflow.log_metric(" + "f(" * 180 + ")" * 180 + ")\n",
        "params.yaml": "base: &b {a: 1}\n" + "".join(f"k{i}: {{<<: [*b, *b, *b, *b], x: {i}}}\n" for i in range(2000)),
        "conf/merge.yaml": "a0: &a0 {x: 1}\n" + "".join(f"a{i}: &a{i} {{<<: *a{i - 1}, y{i}: *a{i - 1}}}\n" for i in range(1, 40)),
    }
    repo = git_repo(tmp_path / "repo", files)
    started = time.monotonic()
    texts = all_formats(str(repo))
    assert time.monotonic() - started < 120
    report = json.loads(texts["json"])
    assert len(report["questions"]) == 20
    assert {"notebooks/deep.ipynb", "pyproject.toml"} <= {w["path"] for w in report["warnings"]}


def test_long_lines_are_bounded(tmp_path: Path) -> None:
    """The issue's case: tens of thousands of repeated characters in requirements, a Dockerfile, a workflow and
    Python (and the other files detectors read), for the units that made patterns backtrack."""
    files: dict[str, str] = {}
    for i, unit in enumerate(("a", " ", "-", "${{ ", "if acc < ", "a=", "$A ", "é", "\\", "[", "'", "echo a=", '"\\')):
        files.update(long_line_files(unit, 30_000, f"u{i:02d}"))
    repo = git_repo(tmp_path / "repo", files)
    started = time.monotonic()
    # a fresh interpreter whose peak is its own: the largest child so far (RUSAGE_CHILDREN) is this one only if it
    # runs in a new process that starts no other scan first
    code = ("import resource, subprocess, sys; cp = subprocess.run([sys.argv[1], 'scan', sys.argv[2], '-f', 'json', '-o', sys.argv[3]]);"
            "print(cp.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(MLSCAN), str(repo), str(tmp_path / "r.json")], capture_output=True,
                         text=True, timeout=300, check=True)
    rc, peak_kib = (int(x) for x in out.stdout.split())
    elapsed = time.monotonic() - started
    assert rc == 0, out.stderr
    assert peak_kib / 1024 < MEMORY_LIMIT_MIB, peak_kib
    assert elapsed < 180  # the benchmark (benchmarks/bench_hostile.py) measures the 30 s target
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert any(w["code"] == "long-line" for w in report["warnings"])
    assert len((tmp_path / "r.json").read_bytes()) < 4 << 20
