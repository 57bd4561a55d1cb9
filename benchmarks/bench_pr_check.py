#!/usr/bin/env python3
"""Time a pull-request check against one scan of the same repository (process start-up included).

    python benchmarks/bench_pr_check.py [--repo DIR] [--files 1000] [-n RUNS] [--json OUT]

Without ``--repo`` a ~1,000-file ML monorepo is generated (``../shared/bench/make_synth_repo.py
--files N --seed 1 --no-hostile``) and given a pull request on a branch: a handful of Python files
edited, one CI workflow deleted, one file added (a typical PR). Then, alternately, RUNS times each:

- ``scan``:  ``mlscan scan REPO -f json`` (one scan of the head);
- ``diff``:  ``mlscan diff REPO --base main -f json`` (the base ref exported from Git and scanned, the
  work tree scanned, the diff computed): what the Action's check costs per subproject.

Prints both medians (wall time; CPU seconds of the process tree beside it, less sensitive to a busy
machine) and their ratio (target < 2x). Exit 0 always: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MAKE_SYNTH = REPO_ROOT.parent / "shared" / "bench" / "make_synth_repo.py"
RATIO_TARGET = 2.0


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def make_pr(repo: Path) -> None:
    """A branch ``pr`` off ``main``: five Python files edited, a workflow deleted, a file added."""
    git(repo, "checkout", "-q", "-B", "pr", "main")
    py = [p for p in git(repo, "ls-files", "*.py").split("\n") if p and "vendor" not in p and "site-packages" not in p][:5]
    for rel in py:
        p = repo / rel
        p.write_text(p.read_text(errors="replace") + "\n# touched by the pull request\n")
    wf = [p for p in git(repo, "ls-files", ".github/workflows/").split("\n") if p]
    if wf:
        git(repo, "rm", "-q", wf[0])
    (repo / "CHANGELOG.md").write_text("# Changes\n\n- a pull request\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "a pull request")


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and every child it waited for)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed: {r.stderr.strip()[-300:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", type=Path, help="a Git repository with branches main and pr (default: generated)")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--make-synth", type=Path, default=MAKE_SYNTH, help=f"the generator (default: {MAKE_SYNTH})")
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="bench-pr-")
    repo = args.repo
    if repo is None:
        repo = Path(tmp.name) / "repo"
        subprocess.run([sys.executable, str(args.make_synth), str(repo), "--files", str(args.files), "--seed", "1", "--no-hostile"],
                       check=True, capture_output=True)
        git(repo, "branch", "-M", "main")
        make_pr(repo)
    mlscan = [sys.executable, "-m", "mlscan"]
    scan_cmd = [*mlscan, "scan", str(repo), "-f", "json", "-o", os.devnull]
    diff_cmd = [*mlscan, "diff", str(repo), "--base", "main", "-f", "json", "-o", os.devnull]
    timed(scan_cmd)  # warm the page cache and byte-code
    scans, diffs = [], []
    for _ in range(args.runs):
        scans.append(timed(scan_cmd))
        diffs.append(timed(diff_cmd))
    s, d = statistics.median(w for w, _ in scans), statistics.median(w for w, _ in diffs)
    sc, dc = statistics.median(c for _, c in scans), statistics.median(c for _, c in diffs)
    files = len(git(repo, "ls-files").split("\n")) - 1
    ratio, cpu_ratio = d / s, dc / sc
    print(f"repository: {files} files; runs: {args.runs} each, alternating; load average {os.getloadavg()[0]:.1f}")
    print(f"one scan (mlscan scan):             wall median {s:.2f} s (min {min(w for w, _ in scans):.2f}), CPU {sc:.2f} s")
    print(f"PR check (mlscan diff --base main): wall median {d:.2f} s (min {min(w for w, _ in diffs):.2f}), CPU {dc:.2f} s")
    print(f"ratio: wall {ratio:.2f}x, CPU {cpu_ratio:.2f}x (target < {RATIO_TARGET:.0f}x) {'ok' if ratio < RATIO_TARGET else 'OVER'}")
    if args.json:
        args.json.write_text(json.dumps({"files": files, "scan": scans, "diff": diffs, "ratio": ratio, "cpu_ratio": cpu_ratio}, indent=2) + "\n")


if __name__ == "__main__":
    main()
