"""Builders of hostile repositories for tests and benchmarks: long lines of one repeated character or token in
the files the detectors read, many small workflows, odd file names. Nothing here is special to one repository."""

from __future__ import annotations

import json
from pathlib import Path

# Repeated units: every printable ASCII punctuation character, letters, digits, blanks, and the tokens that
# start or end something the detectors look for (expressions, URLs, commands, markup).
UNITS: tuple[str, ...] = (
    *"aA0 \t",
    *"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "a ", "a.", "a=", "a:", "a/", "a-", "a_", "aA", "Aa", "a,", "a'", '"a', "1.", "a@", "- ", "-a ", ". ", ": ", "#!",
    "${{", "${{ ", "}}", "{{", "{%", "$(", "$((", "${", "((", "))", "[[", "<!--", "```", "\\n", "\\\\", "http://", "s3://",
    "--", "-x ", "--x=", "a==", "a>=1,", "mlflow ", "mlflow.", "pip install ", "python ", "docker ", "&& ", "| ", "; ",
    "# ", "//", "/*", "*/", "import ", "from ", "def ", "if ", "@@", "%%", "é", "\u202e", "日本", "$A ", "${A}", "$(A)", "%A%", "echo a=", '"\\',
)


def repeat(unit: str, n: int) -> str:
    """``unit`` repeated up to ``n`` characters."""
    return (unit * (n // len(unit) + 1))[:n]


def _yaml_scalar(s: str) -> str:
    return json.dumps(s)  # a double-quoted YAML scalar holds any text


def long_line_files(unit: str, n: int, tag: str) -> dict[str, str]:
    """One file of each kind the detectors read, whose lines hold ``unit`` repeated to ``n`` characters, bare
    and after the prefixes the detectors match on."""
    s = repeat(unit, n)
    q = _yaml_scalar(s)
    return {
        f"{tag}/requirements.txt": "\n".join([s, "mlflow" + s, "mlflow==" + s, "mlflow[" + s, "-r " + s, "git+" + s, "torch>=1" + s]),
        f"{tag}/Dockerfile": "\n".join(["FROM " + s, "RUN " + s, "RUN pip install " + s, "ENV A=" + s, "COPY " + s,
                                        "CMD " + s, "ENTRYPOINT [" + s, "RUN " + s + " \\", s, "LABEL " + s]),
        f".github/workflows/{tag}.yml": "\n".join([
            "on: push", "jobs:", "  t:", "    runs-on: ubuntu-latest", f"    env: {{A: {q}}}", "    steps:",
            f"      - run: {q}", f"      - run: {_yaml_scalar('python ' + s)}", f"      - run: {_yaml_scalar('docker build -t ' + s)}",
            f"      - uses: {q}", f"      - name: {q}", f"        if: {q}", f"        with: {{args: {q}}}",
            "      - run: |", "          " + s.replace("\n", " "),
        ]),
        f"{tag}/train.py": "\n".join(["import mlflow", f"x = {s!r}", "# " + s, f"mlflow.log_param({s!r}, 1)",
                                      f"mlflow.set_tracking_uri({s!r})", f"os.system({s!r})", f"y = '''{s}'''".replace("'''", '"""'),
                                      "if __name__ == '__main__':", "    main()"]),
        f"{tag}/README.md": "\n".join(["# " + s, s, "```sh", s, "```", "## Setup", s, "| " + s + " |", "[" + s + "](" + s + ")"]),
        f"{tag}/Makefile": "\n".join(["train:", "\t" + s, "\tpython " + s, s + ":"]),
        f"{tag}/params.yaml": "\n".join([f"a: {q}", f"{q}: 1", f"list: [{q}]"]),
        f"{tag}/dvc.yaml": "\n".join(["stages:", "  train:", f"    cmd: {_yaml_scalar('python ' + s)}", f"    deps: [{q}]"]),
        f"{tag}/pyproject.toml": "\n".join(["[project]", f"name = {json.dumps(s)}", f"dependencies = [{json.dumps(s)}]"]),
        f"{tag}/run.sh": "\n".join(["#!/bin/sh", s, "python " + s, "export A=" + s]),
        f"{tag}/k8s.yaml": "\n".join(["apiVersion: batch/v1", "kind: CronJob", "metadata:", f"  name: {q}", "spec:",
                                      f"  schedule: {q}", "  jobTemplate: {spec: {template: {spec: {containers: [{image: "
                                      + q + ", command: [" + q + "]}]}}}}"]),
        f"{tag}/.devcontainer/devcontainer.json": s + "\n" + json.dumps({"image": s, "postCreateCommand": "pip install " + s}),
        f"{tag}/nb.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": ["import mlflow\n", s + "\n", f"x = {s!r}\n"]},
                                                 {"cell_type": "markdown", "source": [s]}]}),
    }


def long_line_repo(root: Path, n: int = 20_000, units: tuple[str, ...] = UNITS) -> dict[str, str]:
    """Files for a repository full of long lines: one directory per repeated unit."""
    files: dict[str, str] = {}
    for i, unit in enumerate(units):
        files.update(long_line_files(unit, n, f"u{i:03d}"))
    return files


def many_workflows(count: int) -> dict[str, str]:
    """``count`` small, valid GitHub workflows (each a test job and a scheduled training run)."""
    return {
        f".github/workflows/wf{i:05d}.yml": (
            f"name: wf{i}\non:\n  push:\n  schedule:\n    - cron: '0 {i % 24} * * *'\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - uses: actions/checkout@v4\n      - run: pytest tests/test_{i}.py\n      - run: python train.py --seed {i}\n"
        )
        for i in range(count)
    }


def hostile_level_tree(src: Path, dest: Path) -> Path:
    """A copy of a level fixture ``src`` with files that must become scan warnings, not crashes: a broken workflow,
    a Python syntax error, a 1.4 MB JSON array (over the parse cap) and a Latin-1 source file."""
    import shutil

    shutil.copytree(src, dest)
    (dest / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (dest / ".github" / "workflows" / "broken.yml").write_text("on: [push\njobs: {\n")
    (dest / "broken.py").write_text("import mlflow\ndef (:\n")
    (dest / "big.json").write_bytes(b"[" + b"1," * 700_000 + b"1]")
    (dest / "latin1.py").write_bytes(b"# caf\xe9\nimport mlflow\n")
    return dest
