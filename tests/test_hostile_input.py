"""Bad input never ends in a traceback. Bad *user* input (a missing, unreadable or non-directory path, an unknown
framework or format, a malformed or missing rule pack) is a one-line error with a fixed exit code. A scanned
repository is untrusted input: malformed, hostile and odd files are scan warnings, never a crash; symlinks
never lead out of the repository; secrets never reach a report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import git_init, git_repo, write
from tests.test_report_schema import validate_report


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "mlscan", *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


def one_line_error(cp: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert cp.returncode == code, (cp.returncode, cp.stdout, cp.stderr)
    assert "Traceback" not in cp.stderr + cp.stdout
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1, cp.stderr
    assert cp.stdout == ""
    return lines[0]


# ---------------------------------------------------------------- usage errors


def test_missing_path(tmp_path: Path) -> None:
    line = one_line_error(run("scan", str(tmp_path / "nope"), "-f", "json"))
    assert line.startswith("mlscan: error: path does not exist")


def test_file_instead_of_directory(tmp_path: Path) -> None:
    f = write(tmp_path, {"x.txt": "x"}) / "x.txt"
    assert "not a directory" in one_line_error(run("scan", str(f)))
    res = CliRunner().invoke(main, ["scan", str(f)])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_unknown_framework(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    line = one_line_error(run("scan", str(repo), "--framework", "nope", "-f", "json"))
    assert "unknown framework 'nope'" in line


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    cp = run("scan", str(repo), "-f", "yaml")
    assert cp.returncode == 2 and "Traceback" not in cp.stderr


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("syntax.yaml", "framework: x\nquestions: [\n  - id: A\n", r"syntax\.yaml:\d+:\d+: invalid YAML"),
        ("schema.yaml", "framework: broken\ntitle: t\nscoring:\n  method: bands\nquestions:\n  - id: Q1\n", r"schema\.yaml:\d+:\d+: "),
        ("notamap.yaml", "- just\n- a list\n", r"notamap\.yaml:1:1: "),
        # an alias of its own anchor: the schema validator would recurse until Python's stack ran out
        ("recursive.yaml", "framework: x\ntitle: t\nscoring:\n  method: bands\nquestions:\n  - id: Q1\n    when: &w\n      any: [*w]\n",
         r"recursive\.yaml:1:1: invalid YAML: .*own anchor"),
        ("bomb.yaml", "framework: x\ntitle: t\nquestions:\n  - id: Q1\n    when:\n      any: &a0 [{signal: s}, {signal: s}, {signal: s}]\n"
         + "".join(f"  - id: Q{i}\n    when:\n      any: &a{i} [{', '.join(['{any: *a' + str(i - 1) + '}'] * 9)}]\n" for i in range(1, 8)),
         r"bomb\.yaml:1:1: invalid YAML: .*alias bomb"),
    ],
)
def test_malformed_rule_pack(tmp_path: Path, name: str, text: str, where: str) -> None:


    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    pack = write(tmp_path / "packs", {name: text}) / name
    line = one_line_error(run("scan", str(repo), "--rules", str(pack), "-f", "json"))
    assert re.search(where, line), line
    assert line.startswith("mlscan: error: ")


def test_missing_rule_pack_path(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    one_line_error(run("scan", str(repo), "--rules", str(tmp_path / "none.yaml"), "-f", "json"))


def test_unreadable_directory(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything; unreadable repository files are covered by FIFOs and dangling links below")
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        res = CliRunner().invoke(main, ["scan", str(d)])
        assert res.exit_code == 2 and "Traceback" not in res.output
    finally:
        d.chmod(0o755)


# ================================================================ hostile repository content

FORMATS = ("json", "markdown", "html", "sarif", "terminal", "badge-json", "badge-svg")
LAUGHS = "a0: &a0 [lol, mlflow]\n" + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]\n" for i in range(1, 9))
SECRET = "s3cr3t-TOKEN-4242"


def scan_json(path: Path, *extra: str, timeout: float = 120) -> dict:
    cp = run("scan", str(path), "--format", "json", *extra, timeout=timeout)
    assert cp.returncode == 0, cp.stderr
    assert "Traceback" not in cp.stderr
    return json.loads(cp.stdout)


def warned(report: dict, code: str | None = None) -> set[str]:
    return {w["path"] for w in report["warnings"] if code is None or w["code"] == code}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)




# ---------------------------------------------------------------- everything at once, in process


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"token: {SECRET}\nstages: {{train: {{cmd: python train.py}}}}\n")
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "src").mkdir()
    (repo / ".dvc").mkdir()
    (repo / ".github" / "workflows" / "broken.yml").write_text("on: [push\njobs: {test: {steps: [{run: pytest}]\n")
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        laughs += f"{cur}: &{cur} [{', '.join('*' + prev for _ in range(9))}]\n"
    (repo / "bomb.yaml").write_text(laughs)
    (repo / "deep.yaml").write_text("[" * 5000 + "]" * 5000 + "\n")
    (repo / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (repo / "huge.json").write_text('{"k": "' + "x" * (3 << 20) + '"}')
    (repo / "model.bin").write_bytes(b"\x00\x01\x02" * 1000)
    (repo / "latin1.py").write_bytes("# caf\xe9\nimport mlflow\nmlflow.log_metric('x', 1)\n".encode("latin-1"))
    (repo / "bad.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "import mlflow\\nmlflow.autolog()"')
    (repo / "weird.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["%%bash\n", "ls -la\n"]}, "junk", 3]}))
    (repo / "pyproject.toml").write_text("[project\nname = 'x'\n")
    # a training script with a syntax error: read for its tracking calls, so it must be reported
    (repo / "src" / "broken.py").write_text("import mlflow\n\ndef f(:\n    mlflow.log_metric('x', 1)\n")
    (repo / "dvc.yaml").write_text("stages: [unclosed\n")
    (repo / ".dvc" / "config").write_text(f"['remote \"s\"']\n    url = https://user:{SECRET}@dvc.example.com/store\n")
    (repo / "Dockerfile").write_text("FROM\n\\\n")
    os.symlink(outside / "secret.yaml", repo / "dvc.lock")
    os.symlink(outside, repo / "linked_dir")
    os.symlink(repo / "missing-target", repo / "dangling.yaml")
    (repo / "gone.yaml").write_text("a: 1\n")
    git_init(repo)
    (repo / "gone.yaml").unlink()  # listed by git, absent on disk (like a missing blob)
    os.mkfifo(repo / "pipe.yaml")
    _git(repo, "remote", "add", "origin", f"https://ci-bot:{SECRET}@github.com/acme/hostile.git")
    return repo


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal", "html", "sarif"])
def test_hostile_repo_scans_with_warnings(hostile: Path, fmt: str) -> None:
    res = CliRunner().invoke(main, ["scan", str(hostile), "-f", fmt])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert SECRET not in res.output
    if fmt == "json":
        report = json.loads(res.output)
        validate_report(report)
        assert {".github/workflows/broken.yml", "dvc.yaml", "pyproject.toml", "src/broken.py", "bad.ipynb"} <= warned(report)
        skipped = report["skipped"]
        assert "symlink" in skipped and "too-large" in skipped
        assert report["target"]["remote"] == "https://github.com/acme/hostile.git"
        cited = {e["path"] for f in report["findings"] for e in f["evidence"]}
        assert "dvc.lock" not in cited and not any(p.startswith("linked_dir") for p in cited)


# ---------------------------------------------------------------- unreadable files


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unreadable_file_is_a_warning(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not block reads (dangling symlinks and FIFOs are tested below)")
    repo = git_repo(tmp_path / "r", {".github/workflows/ci.yml": "on: push\njobs: {}\n", "dvc.yaml": "stages: {}\n"})
    (repo / "dvc.yaml").chmod(0)
    try:
        report = scan_json(repo)
    finally:
        (repo / "dvc.yaml").chmod(0o644)
    assert "dvc.yaml" in warned(report, "unreadable")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("use_git", [True, False])
def test_dangling_symlink_and_fifo_never_block(tmp_path: Path, use_git: bool) -> None:
    files = {"src/train.py": "import mlflow\n", "README.md": "# x\n"}
    repo = git_repo(tmp_path / "r", files) if use_git else write(tmp_path / "r", files)
    (repo / "params.yaml").symlink_to(repo / "does" / "not" / "exist.yaml")
    os.mkfifo(repo / "dvc.yaml")  # opening a FIFO for reading would block forever
    os.mkfifo(repo / "src" / "pipeline.py")
    report = scan_json(repo, timeout=60)
    assert report["questions"] and len(report["questions"]) == 20


# ---------------------------------------------------------------- malformed content


def test_malformed_files_are_warnings_not_crashes(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "r",
        {
            ".github/workflows/ci.yml": "on: [push\njobs:\n  test: {\n",
            "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n   deps: [\n",
            "pyproject.toml": "[project\nname = 'x'\n",
            "src/train.py": "import mlflow\nimport airflow\n\nif __name__ == '__main__':\n    def broken(:\n",
            "notebooks/train.ipynb": '{"cells": [{"cell_type": "code", "source": ["import mlflow\\n"]}',
            ".devcontainer/devcontainer.json": '{"image": ',
            "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: [\n",
            "requirements.txt": "mlflow==\n==\n-e .\n",
            "Dockerfile": "FROM\nRUN \\\n",
            "Makefile": "train:\n\tpython src/train.py\n\t\n:::\n",
        },
    )
    report = scan_json(repo)
    bad = warned(report, "parse-error")
    assert {".github/workflows/ci.yml", "dvc.yaml", "pyproject.toml", "src/train.py", "notebooks/train.ipynb"} <= bad
    assert all(w["message"] and "Traceback" not in w["message"] for w in report["warnings"])


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "r",
        {
            "models/model.pkl": b"\x80\x04\x95\x00\x00\x00mlflow\x00\xff\xfe",
            "src/train.py": "# caf\xe9\nimport mlflow\nmlflow.log_metric('a', 1)\n".encode("latin-1"),
            "params.yaml": "train:\n  lr: 0.1\n".encode("utf-16"),
            "data/raw.csv.dvc": b"\xff\xfe\x00o\x00u\x00t\x00s",
            "docs/notes.md": "\u30c6\u30b9\u30c8".encode("shift_jis"),
            "dvc.yaml": b"stages:\n  train:\n    cmd: python src/train.py\x00\x01\x02\n",
        },
    )
    report = scan_json(repo)
    assert len(report["questions"]) == 20
    assert "src/train.py" in warned(report, "not-utf8")


def test_billion_laughs_and_deep_nesting_finish_quickly(tmp_path: Path) -> None:
    deep_yaml = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 3000))
    deep_flow = "x: " + "[" * 20000 + "]" * 20000 + "\n"
    files: dict[str, str | bytes] = {
        ".github/workflows/laughs.yml": LAUGHS,
        "dvc.yaml": LAUGHS,
        "params.yaml": LAUGHS,
        "k8s/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\n" + LAUGHS + "data: *a8\nreceivers: *a8\n",
        ".gitlab-ci.yml": LAUGHS + "stages: *a8\n",
        "conf/deep.yaml": deep_yaml,
        "conf/flow.yaml": deep_flow,
        "conf/deep.json": "[" * 100000 + "]" * 100000,
        "src/deep.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\nimport mlflow\n",
    }
    repo = git_repo(tmp_path / "r", files)
    report = scan_json(repo, timeout=60)
    bombs = {w["path"] for w in report["warnings"] if "alias" in w["message"]}
    assert {".github/workflows/laughs.yml", "dvc.yaml"} <= bombs
    assert report["stats"]["duration_seconds"] < 30


def test_a_yaml_alias_of_its_own_anchor_is_a_warning_not_a_hang(tmp_path: Path) -> None:
    # the anchor's own content aliases it: a cyclic document; the expansion check once walked it forever (GBs of stack)
    cyclic = "on: &a0\n  jobs: *a0\njobs: &a1\n  build:\n    steps:\n      - run: *a1\n      - <<: *a1\n"
    names = (".github/workflows/ci.yml", ".gitlab-ci.yml", "dvc.yaml", "params.yaml", "k8s/deploy.yaml")
    repo = git_repo(tmp_path / "r", {**{n: cyclic for n in names}, "src/train.py": "import mlflow\n"})
    report = scan_json(repo, timeout=60)
    recursive = {w["path"] for w in report["warnings"] if "own anchor" in w["message"]}
    assert {".github/workflows/ci.yml", ".gitlab-ci.yml", "dvc.yaml", "params.yaml", "k8s/deploy.yaml"} <= recursive
    assert len(report["questions"]) == 20


def test_huge_one_line_json_is_listed_not_parsed(tmp_path: Path) -> None:
    big = json.dumps({"jobs": [{"name": f"job{i}", "notebook_task": {"notebook_path": "/x"}} for i in range(40000)]})
    assert len(big) > (1 << 20) and "\n" not in big
    repo = git_repo(tmp_path / "r", {"conf/databricks_jobs.json": big, "src/train.py": "x = 1\n"})
    report = scan_json(repo)
    assert report["skipped"].get("too-large", {}).get("examples") == ["conf/databricks_jobs.json"]
    assert warned(report, "too-large") == {"conf/databricks_jobs.json"}


# ---------------------------------------------------------------- confinement and secrets


@pytest.mark.parametrize("use_git", [True, False])
def test_symlinks_out_of_the_repository_are_never_read(tmp_path: Path, use_git: bool) -> None:
    secret = "OUTSIDE-SECRET-7f3a9c"
    outside = write(
        tmp_path / "outside",
        {
            "secret.yaml": f"apiVersion: v1\nkind: Secret\nstringData:\n  token: {secret}\n",
            "train.py": f"import mlflow\nmlflow.set_tag('k', '{secret}')\nif __name__ == '__main__':\n    pass\n",
            "dvc.yaml": f"stages:\n  {secret}:\n    cmd: python train.py\n",
            "README.md": f"# {secret}\n\n## Setup\n\nmake install\n",
        },
    )
    files = {"src/app.py": "print('hi')\n", ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: python src/train.py\n"}
    repo = git_repo(tmp_path / "r", files) if use_git else write(tmp_path / "r", files)
    (repo / "k8s").mkdir()
    (repo / "k8s" / "secret.yaml").symlink_to(outside / "secret.yaml")
    (repo / "src" / "train.py").symlink_to(outside / "train.py")
    (repo / "dvc.yaml").symlink_to(outside / "dvc.yaml")
    (repo / "README.md").symlink_to(outside / "README.md")
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    if use_git:
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "links"], cwd=repo, check=True)
    for fmt in FORMATS:
        cp = run("scan", str(repo), "-f", fmt)
        assert cp.returncode == 0, cp.stderr
        assert secret not in cp.stdout + cp.stderr, fmt


def test_credentials_never_reach_a_report(tmp_path: Path) -> None:
    token = "TOKENa1b2c3d4e5"
    repo = git_repo(
        tmp_path / "r",
        {
            ".dvc/config": (
                "[core]\n    remote = storage\n['remote \"storage\"']\n"
                f"    url = https://alice:{token}@dvc.example.com/store\n    user = alice\n    password = {token}pw\n"
                f"['remote \"s3\"']\n    url = s3://bucket/dvc\n    access_key_id = AKIA{token.upper()[:12]}X\n    secret_access_key = {token}sk\n"
            ),
            "data/raw.csv.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: raw.csv\n",
            ".github/workflows/train.yml": (
                "on:\n  push:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - run: git clone https://bob:{token}@github.com/acme/data.git\n"
                f"      - run: dvc remote modify storage password {token}cli\n"
                "      - run: dvc pull && python src/train.py\n"
                f"      - run: mlflow server --backend-store-uri postgresql://u:{token}db@db:5432/mlflow\n"
            ),
            "src/train.py": (
                "import mlflow\n\n"
                f"mlflow.set_tracking_uri('https://carol:{token}@mlflow.example.com')\n\n\n"
                "def main() -> None:\n    with mlflow.start_run():\n        mlflow.log_metric('acc', 0.9)\n\n\n"
                "if __name__ == '__main__':\n    main()\n"
            ),
            "docker-compose.yml": f"services:\n  mlflow:\n    image: ghcr.io/mlflow/mlflow:v2.9.2\n    environment:\n      MLFLOW_TRACKING_PASSWORD: {token}env\n      AWS_SECRET_ACCESS_KEY: {token}aws\n",
        },
    )
    subprocess.run(["git", "remote", "add", "origin", f"https://dave:{token}@github.com/acme/repo.git"], cwd=repo, check=True)
    for fmt in FORMATS:
        cp = run("scan", str(repo), "-f", fmt)
        assert cp.returncode == 0, cp.stderr
        assert token not in cp.stdout + cp.stderr, fmt
        assert token.upper()[:12] not in cp.stdout, fmt
    report = scan_json(repo)
    assert report["target"]["remote"] == "https://github.com/acme/repo.git"
    # and through a URL target
    cp = run("scan", f"file://{repo}", "-f", "json")
    assert token not in cp.stdout + cp.stderr
