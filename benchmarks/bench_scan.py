#!/usr/bin/env python3
"""Time ``mlscan scan --format json`` end to end (process start-up included).

    python benchmarks/bench_scan.py [--small PATH] [-n RUNS]
                                    [--large DIR] [--large-runs N] [--floor PATH] [--timeout S] [--json OUT]

Small: a realistic 20-file ML project written to a temporary git repository (or ``--small PATH``) is
scanned RUNS times in a subprocess; the median wall time is compared with the 0.35 s target.

Large: ``--large DIR`` (made by ``python ../shared/bench/make_synth_repo.py DIR --files 100000 --seed 1``)
runs the floor (``../shared/bench/floor_scan.py DIR``) and mlscan alternately, N times each, and prints
both medians, their ratio (target <= 2x), mlscan's CPU seconds (its worker processes included), its peak
memory (target < 200 MiB) and the skipped-files summary and warning counts from mlscan's JSON report.

Memory: a large scan forks worker processes (``--jobs``), so one process's peak RSS would understate it.
On Linux the whole process tree is sampled: the peak of the summed PSS (``/proc/PID/smaps_rollup`` every
0.5 s: shared copy-on-write pages split between the processes that share them, the memory the scan really
holds) is compared with the target; the peak of the summed RSS (``statm`` every 50 ms: shared pages
counted in every process, an upper bound) and the largest single process (``wait4``) are printed beside it.
Reading smaps_rollup walks page tables and slows the scan it measures: every 50 ms it cost a 2-process scan
of the 100k repository 70 % more time; every 0.5 s it is within the noise.

Exit 0 always: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FLOOR = REPO_ROOT.parent / "shared" / "bench" / "floor_scan.py"
SMALL_TARGET_S = 0.35
RATIO_TARGET = 2.0
RSS_TARGET_MIB = 200

SMALL_REPO: dict[str, str] = {
    "README.md": "# churn-model\n\nPredict churn.\n\n## Setup\n\n```sh\npip install -r requirements.txt\ndvc pull\ndvc repro\n```\n",
    "requirements.txt": "mlflow==2.9.2\nscikit-learn==1.3.2\npandas==2.1.4\ndvc==3.38.1\n",
    "params.yaml": "train:\n  n_estimators: 100\n  seed: 1\n",
    "dvc.yaml": (
        "stages:\n  prepare:\n    cmd: python src/prepare.py\n    deps: [data/raw.csv, src/prepare.py]\n    outs: [data/prepared.csv]\n"
        "  train:\n    cmd: python src/train.py\n    deps: [data/prepared.csv, src/train.py]\n    params: [train]\n    outs: [model.pkl]\n"
        "    metrics:\n      - metrics.json:\n          cache: false\n"
    ),
    "dvc.lock": "schema: '2.0'\nstages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - path: data/prepared.csv\n      md5: 0123456789abcdef0123456789abcdef\n",
    "data/raw.csv.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 1024\n  path: raw.csv\n",
    ".dvc/config": "[core]\n    remote = store\n['remote \"store\"']\n    url = s3://example-bucket/dvc\n",
    "src/__init__.py": "",
    "src/prepare.py": (
        "import pandas as pd\n\n\ndef main() -> None:\n    df = pd.read_csv('data/raw.csv')\n    df.dropna().to_csv('data/prepared.csv', index=False)\n\n\n"
        "if __name__ == '__main__':\n    main()\n"
    ),
    "src/train.py": (
        "import json\n\nimport mlflow\nimport pandas as pd\nimport yaml\nfrom sklearn.ensemble import RandomForestClassifier\n\n\n"
        "def main() -> None:\n    params = yaml.safe_load(open('params.yaml'))['train']\n    df = pd.read_csv('data/prepared.csv')\n"
        "    with mlflow.start_run():\n        model = RandomForestClassifier(n_estimators=params['n_estimators']).fit(df.drop(columns='y'), df.y)\n"
        "        acc = model.score(df.drop(columns='y'), df.y)\n        mlflow.log_params(params)\n        mlflow.log_metric('accuracy', acc)\n"
        "        mlflow.sklearn.log_model(model, 'model', registered_model_name='churn')\n"
        "    json.dump({'accuracy': acc}, open('metrics.json', 'w'))\n\n\nif __name__ == '__main__':\n    main()\n"
    ),
    "src/serve.py": (
        "import mlflow\nfrom fastapi import FastAPI\n\napp = FastAPI()\nmodel = mlflow.pyfunc.load_model('models:/churn/Production')\n\n\n"
        "@app.post('/predict')\ndef predict(row: dict) -> dict:\n    return {'y': float(model.predict([row])[0])}\n"
    ),
    "tests/test_prepare.py": "from src import prepare\n\n\ndef test_import() -> None:\n    assert prepare.main\n",
    "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\nWORKDIR /app\nRUN pip install -r requirements.txt\nCMD [\"uvicorn\", \"src.serve:app\"]\n",
    ".github/workflows/ci.yml": (
        "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: pip install -r requirements.txt pytest\n      - run: pytest -q\n"
    ),
    ".gitignore": "data/raw.csv\nmodel.pkl\n",
    "notebooks/explore.ipynb": json.dumps(
        {
            "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1, "source": ["import pandas as pd\n", "df = pd.read_csv('data/raw.csv')\n"]}],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ),
}


def write_small_repo(dest: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (SMALL_REPO if files is None else files).items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True, env=env)
    subprocess.run(["git", "add", "-A", "-f"], cwd=dest, check=True, env=env)
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "init", "--no-gpg-sign"],
        cwd=dest,
        check=True,
        env=env,
    )
    return dest


def child_env(bytecode: bool = True, cache_prefix: str = "") -> dict[str, str]:
    """The children's environment. With ``bytecode`` (the default) PYTHONDONTWRITEBYTECODE is dropped so
    .pyc files are used as in a normal installation; otherwise every run compiles mlscan's sources (an empty
    ``cache_prefix`` directory that is never written)."""
    env = {**os.environ, "NO_COLOR": "1"}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = cache_prefix or tempfile.gettempdir()
    return env


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    return kids


def _tree_pids(root: int) -> list[int]:
    kids, todo, out = _children(), [root], []
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _rss_kib(pid: int) -> int:
    """Resident KiB from /proc/PID/statm: kernel counters, cheap to read."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def _pss_kib(pid: int) -> int:
    """Proportional KiB from /proc/PID/smaps_rollup: a walk of the page tables, so read sparingly (it slows the
    process it measures)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            return sum(int(line.split()[1]) for line in fh if line.startswith(b"Pss:"))
    except (OSError, ValueError, IndexError):
        return 0


class _TreeSampler(threading.Thread):
    """Peak summed RSS (every ``every`` s) and PSS (every ``pss_every`` s) of a process tree while it runs."""

    def __init__(self, pid: int, every: float = 0.05, pss_every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.pss_every = pid, every, pss_every
        self.pss = self.rss = 0.0
        self.done = threading.Event()
        self.works = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")

    def run(self) -> None:
        last_pss = 0.0
        while self.works and not self.done.wait(self.every):
            pids = _tree_pids(self.pid)
            self.rss = max(self.rss, sum(map(_rss_kib, pids)) / 1024)
            now = time.perf_counter()
            if now - last_pss >= self.pss_every:
                last_pss = now
                self.pss = max(self.pss, sum(map(_pss_kib, pids)) / 1024)


def run_measured(cmd: list[str], timeout: float | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd``; wall and CPU seconds (children included), exit code, peak RSS (MiB) of the largest process,
    peak summed PSS and RSS of the process tree (0 where /proc cannot tell), stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env or child_env())
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        rusage = None
        timed_out = False
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                proc.kill()
                pid, status, rusage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        maxrss = rusage.ru_maxrss if rusage else 0
        rss_mib = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
        return {
            "seconds": seconds,
            "rc": proc.returncode,
            "timed_out": timed_out,
            "rss_mib": rss_mib,
            "cpu_s": (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0,
            "tree_pss_mib": sampler.pss,
            "tree_rss_mib": sampler.rss,
            "stdout": out.read(),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def mlscan_cmd(path: Path, python: str, jobs: int | None = None) -> list[str]:
    return [python, "-m", "mlscan", "scan", str(path), "--format", "json", *(["--jobs", str(jobs)] if jobs is not None else [])]


def bench_small(path: Path | None, runs: int, python: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    print(f"small repo ({'built-in 20-file project' if path is None else path}), {runs} runs each, start-up included:")
    with tempfile.TemporaryDirectory(prefix="mlscan-bench-") as tmp:
        repo = path or write_small_repo(Path(tmp) / "churn-model")
        for label, bytecode in (("with .pyc (installed)", True), ("cold: no .pyc at all, stdlib included", False)):
            env = child_env(bytecode, os.path.join(tmp, "no-pyc"))
            run_measured(mlscan_cmd(repo, python), env=env)  # warm the page cache (and write .pyc files)
            results = [run_measured(mlscan_cmd(repo, python), env=env) for _ in range(runs)]
            secs = [r["seconds"] for r in results]
            med = statistics.median(secs)
            crashes = [r for r in results if r["rc"] != 0]
            verdict = ("OK" if med < SMALL_TARGET_S else "MISSED") if bytecode else "informative"
            print(f"  {label:38} median {med:.3f} s  min {min(secs):.3f}  max {max(secs):.3f}  "
                  f"peak RSS {max(r['rss_mib'] for r in results):.0f} MiB  target < {SMALL_TARGET_S} s: {verdict}")
            if crashes:
                print(f"  CRASH: exit {crashes[0]['rc']}: {crashes[0]['stderr'].strip().splitlines()[-1:]}")
            out["pyc" if bytecode else "no_pyc"] = {
                "median_s": round(med, 4), "min_s": round(min(secs), 4), "max_s": round(max(secs), 4), "runs": runs, "crashes": len(crashes),
            }
    return out


def bench_large(path: Path, runs: int, floor: Path, python: str, timeout: float, jobs: int | None = None) -> dict[str, Any]:
    floor_s: list[float] = []
    scan: list[dict[str, Any]] = []
    report: dict[str, Any] | None = None
    print(f"large repo {path}: floor and mlscan{'' if jobs is None else f' --jobs {jobs}'} alternately, {runs} run(s) each")
    run_measured([python, str(floor), str(path)])  # warm the page cache for both
    for i in range(runs):
        f = run_measured([python, str(floor), str(path)])
        floor_s.append(f["seconds"])
        m = run_measured(mlscan_cmd(path, python, jobs), timeout=timeout)
        scan.append(m)
        status = "timeout" if m["timed_out"] else f"exit {m['rc']}"
        print(f"  run {i + 1}: floor {f['seconds']:.2f} s | mlscan {m['seconds']:.2f} s ({status}), CPU {m['cpu_s']:.1f} s, "
              f"peak memory: PSS {m['tree_pss_mib']:.0f} MiB, RSS sum {m['tree_rss_mib']:.0f} MiB, largest process {m['rss_mib']:.0f} MiB",
              flush=True)
        if m["rc"] == 0 and report is None:
            try:
                report = json.loads(m["stdout"])
            except ValueError:
                report = None
        elif m["rc"] != 0 and m["stderr"].strip():
            print(f"    stderr: {m['stderr'].strip().splitlines()[-1][:300]}")
    fmed = statistics.median(floor_s)
    ok = [m for m in scan if m["rc"] == 0 and not m["timed_out"]]
    smed = statistics.median([m["seconds"] for m in ok]) if ok else None
    sampled = all(m["tree_pss_mib"] > 0 for m in scan)
    peak = max(m["tree_pss_mib"] if sampled else m["rss_mib"] for m in scan)
    rss_sum = max(m["tree_rss_mib"] for m in scan)
    print(f"  floor median   {fmed:.2f} s")
    if smed is None:
        print("  mlscan         no successful run (crash or timeout)")
    else:
        ratio = smed / fmed if fmed else float("inf")
        print(f"  mlscan median  {smed:.2f} s   ratio {ratio:.2f}x (target <= {RATIO_TARGET:.0f}x: {'OK' if ratio <= RATIO_TARGET else 'MISSED'})")
    what = "peak memory (PSS of all its processes)" if sampled else "peak RSS (largest process)"
    print(f"  mlscan {what} {peak:.0f} MiB (target < {RSS_TARGET_MIB} MiB: {'OK' if peak < RSS_TARGET_MIB else 'MISSED'})"
          + (f"; RSS summed over its processes {rss_sum:.0f} MiB" if sampled else ""))
    print(f"  mlscan CPU median {statistics.median([m['cpu_s'] for m in scan]):.1f} s (workers included)")
    skipped: dict[str, Any] = {}
    warnings: dict[str, int] = {}
    if report:
        skipped = report.get("skipped") or {}
        for w in report.get("warnings") or []:
            warnings[w.get("code", "?")] = warnings.get(w.get("code", "?"), 0) + 1
        print(f"  stats: {report.get('stats')}")
        print("  skipped files:")
        for reason, info in sorted(skipped.items()):
            ex = ", ".join(info.get("examples", [])[:3])
            print(f"    {reason:22} {info.get('count', 0):7}  e.g. {ex}")
        print(f"  warnings by code: {dict(sorted(warnings.items()))}")
    return {
        "floor_median_s": round(fmed, 3),
        "floor_s": [round(x, 3) for x in floor_s],
        "mlscan_median_s": round(smed, 3) if smed is not None else None,
        "mlscan_s": [round(m["seconds"], 3) for m in scan],
        "ratio": round(smed / fmed, 3) if smed is not None and fmed else None,
        "peak_memory_mib": round(peak, 1),
        "memory_measure": "tree PSS" if sampled else "largest process RSS",
        "peak_rss_sum_mib": round(rss_sum, 1),
        "peak_rss_largest_process_mib": round(max(m["rss_mib"] for m in scan), 1),
        "mlscan_cpu_s": [round(m["cpu_s"], 2) for m in scan],
        "crashes": sum(1 for m in scan if m["rc"] != 0 and not m["timed_out"]),
        "timeouts": sum(1 for m in scan if m["timed_out"]),
        "skipped": {k: v.get("count", 0) for k, v in skipped.items()},
        "warnings": warnings,
        "stats": report.get("stats") if report else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=Path, help="scan this repository instead of the built-in small project")
    ap.add_argument("-n", "--runs", type=int, default=7, help="runs on the small repository (default 7)")
    ap.add_argument("--no-small", action="store_true", help="skip the small-repository benchmark")
    ap.add_argument("--large", type=Path, help="the synthetic 100k-file repository")
    ap.add_argument("--large-runs", type=int, default=3, help="alternating floor/mlscan pairs (default 3)")
    ap.add_argument("--floor", type=Path, default=DEFAULT_FLOOR, help="floor_scan.py")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before one large mlscan run is killed")
    ap.add_argument("--python", default=sys.executable, help="interpreter with mlscan installed")
    ap.add_argument("--jobs", type=int, help="pass --jobs to the large mlscan runs (default: mlscan's own choice)")
    ap.add_argument("--json", dest="json_out", help="write the numbers as JSON")
    args = ap.parse_args(argv)
    out: dict[str, Any] = {"python": args.python}
    if not args.no_small:
        out["small"] = bench_small(args.small, args.runs, args.python)
    if args.large:
        if not args.floor.exists():
            print(f"bench: floor script not found: {args.floor}", file=sys.stderr)
        else:
            out["large"] = bench_large(args.large, args.large_runs, args.floor, args.python, args.timeout, args.jobs)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
