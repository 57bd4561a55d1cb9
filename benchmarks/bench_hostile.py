#!/usr/bin/env python3
"""Measure mlscan on hostile repositories: wall time, peak memory and report size.

    python benchmarks/bench_hostile.py [--chars N] [--workflows N] [--json OUT]

Three repositories are written to a temporary directory and scanned by the installed ``mlscan`` (``-f json``):

- ``long-lines``: the issue's case: a requirements file, a Dockerfile, a workflow and Python (plus the other files
  detectors read: Markdown, Makefile, YAML, TOML, shell, Kubernetes, a notebook) whose lines hold N (default
  30,000) repeated characters, for every unit of tests/hostile_repos.py (punctuation, blanks, letters, and the
  tokens that open an expression, a URL or a command); targets: < 30 s and < 300 MiB.
- ``long-lines-small``: the same files for the thirteen units of tests/test_hostile_repos.py only.
- ``workflows``: N (default 10,000) small workflows; target: every format < 4 MiB (all seven are rendered).

Peak memory is the scan process's (and its reaped workers') maximum RSS from wait4. Exit 0 always: this
measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
from tests.hostile_repos import UNITS, long_line_files, many_workflows  # noqa: E402

MLSCAN = Path(sys.executable).with_name("mlscan")
FORMATS = ("json", "markdown", "html", "sarif", "terminal", "badge-json", "badge-svg")
SMALL_UNITS = ("a", " ", "-", "${{ ", "if acc < ", "a=", "$A ", "é", "\\", "[", "'", "echo a=", '"\\')


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x", "--no-gpg-sign"], cwd=root, check=True, env=env)
    return root


def measure(repo: Path, fmt: str, out: Path) -> dict[str, float | int]:
    started = time.perf_counter()
    proc = subprocess.Popen([str(MLSCAN), "scan", str(repo), "-f", fmt, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    return {"rc": os.waitstatus_to_exitcode(status), "seconds": round(elapsed, 2), "peak_mib": round(usage.ru_maxrss / 1024, 1),
            "bytes": out.stat().st_size if out.exists() else 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=30_000)
    ap.add_argument("--workflows", type=int, default=10_000)
    ap.add_argument("--json", help="write the measurements here")
    args = ap.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="mlscan-hostile-") as tmp:
        base = Path(tmp)
        for name, units in (("long-lines-small", SMALL_UNITS), ("long-lines", UNITS)):
            files: dict[str, str] = {}
            for i, unit in enumerate(units):
                files.update(long_line_files(unit, args.chars, f"u{i:03d}"))
            repo = write_repo(base / name, files)
            size = sum(len(v.encode()) for v in files.values())
            r = measure(repo, "json", base / f"{name}.json")
            results[name] = {"files": len(files), "mib": round(size / 2**20, 1), **r}
            print(f"{name}: {len(files)} files, {size / 2**20:.1f} MiB: {r['seconds']} s, peak {r['peak_mib']} MiB, rc {r['rc']}"
                  f"  (targets < 30 s, < 300 MiB)", flush=True)
        repo = write_repo(base / "workflows", many_workflows(args.workflows))
        sizes = {}
        for fmt in FORMATS:
            r = measure(repo, fmt, base / f"wf.{fmt}")
            sizes[fmt] = r
            print(f"workflows x{args.workflows} -f {fmt}: {r['bytes']:,} bytes, {r['seconds']} s, peak {r['peak_mib']} MiB (target < 4 MiB)",
                  flush=True)
        results["workflows"] = sizes
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
