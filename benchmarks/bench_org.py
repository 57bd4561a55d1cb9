#!/usr/bin/env python3
"""Org scan at scale: generate N local Git repositories and time ``mlscan org scan --dir`` on them, then the
rerun with nothing changed.

    python benchmarks/bench_org.py [--out DIR] [--count 1000] [--workers 2] [--sample N] [--facts-cache rescans|all|none]
                                   [--floor] [--json OUT]

The repositories (made once into --out, reused when they are already there; every one distinct, with its own
seeded content): half tiny (4-8 files), 40 % about 1,000 files and the rest "real-sized" (about 4,000 files,
the size of the real repositories in ../shared/bench/README.md): Python packages importing an ML stack (some
log to MLflow), tests, Markdown, Kubernetes YAML, JSON, a Dockerfile, requirements and a CI workflow.

``--sample N`` scans only N of them with the same mix (every k-th of each kind, through a ``--repos`` list): a
quicker A/B on a busy machine, where CPU seconds and the utilisation (CPU / (wall x workers)) say more than wall.

Prints the generation time, the first scan's wall time (target <= 300 s on 2 cores), the rerun's
(target <= 60 s), the time each skipped repository took (the head check and the database look-up, from the
jobs table; target well under 50 ms), scanned/failed counts, and with --floor the floor script's summed time
over every repository divided by the workers (``../shared/bench/floor_scan.py``: list, read, one regex) as a
yardstick. Exit 0 always: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FLOOR = REPO_ROOT.parent / "shared" / "bench" / "floor_scan.py"
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
WORDS = ("data model train feature store pipeline batch stream user order item price score predict label metric config client "
         "server cache queue job task worker schema table column record window split sample weight loss epoch step layer token "
         "vector index search query report alert monitor drift health latency request response handler service").split()
COMMON = ("json", "logging", "os", "typing", "requests", "yaml", "fastapi", "pydantic", "sqlalchemy", "datetime", "pathlib", "re",
          "collections.defaultdict", "dataclasses.dataclass")
ML = ("numpy as np", "pandas as pd", "sklearn.linear_model", "torch", "mlflow", "wandb", "xgboost", "scipy.stats", "boto3")
ML_SHARE = 0.2  # files that import an ML or data library: the rest is service, glue and test code


def _name(r: random.Random) -> str:
    return f"{r.choice(WORDS)}_{r.choice(WORDS)}"


def _python(r: random.Random, tag: str) -> str:
    imports = r.sample(COMMON, 3) + ([r.choice(ML)] if r.random() < ML_SHARE else [])
    lines = [f'"""{tag}: {" ".join(r.choices(WORDS, k=8))}."""', ""]
    lines += [f"import {m}" if " as " in m or "." not in m else f"from {m.rsplit('.', 1)[0]} import {m.rsplit('.', 1)[1]}" for m in imports]
    lines.append("")
    for _ in range(r.randint(2, 6)):
        fn = _name(r)
        args = ", ".join(r.sample(WORDS, r.randint(1, 3)))
        lines.append(f"def {fn}({args}):")
        lines.append(f'    """{" ".join(r.choices(WORDS, k=6))}."""')
        for _ in range(r.randint(2, 8)):
            a, b = r.sample(WORDS, 2)
            lines.append(f"    {a}_{r.randint(0, 99)} = {b} * {r.randint(1, 9)} + len(str({a}))" if r.random() < 0.7 else f"    print({a!r}, {b})")
        if "mlflow" in imports and r.random() < 0.3:
            lines.append(f"    mlflow.log_metric({r.choice(WORDS)!r}, {r.random():.3f})")
        lines.append(f"    return {r.choice(WORDS)}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _yaml(r: random.Random, tag: str) -> str:
    n = _name(r).replace("_", "-")
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  labels: {{app: {n}, tag: {tag}}}\nspec:\n  replicas: {r.randint(1, 5)}\n"
            f"  template:\n    spec:\n      containers:\n        - name: {n}\n          image: registry.example/{n}:{r.randint(1, 300)}\n"
            f"          resources: {{limits: {{cpu: '{r.randint(1, 4)}', memory: {r.randint(1, 8)}Gi}}}}\n")


def _markdown(r: random.Random, tag: str) -> str:
    return f"# {_name(r)}\n\n{tag}. " + " ".join(r.choices(WORDS, k=r.randint(40, 200))) + "\n"


def _json(r: random.Random, tag: str) -> str:
    return json.dumps({"tag": tag, **{w: r.randint(0, 1000) for w in r.sample(WORDS, 8)}}, indent=2) + "\n"


def files_for(kind: str, seed: int) -> dict[str, str]:
    r = random.Random(seed)
    tag = f"repo{seed}"
    out = {
        "README.md": _markdown(r, tag) + "\n## Setup\n\n```sh\npip install -r requirements.txt\npython -m pytest\n```\n",
        "requirements.txt": "\n".join(sorted(r.sample(["mlflow==2.9.2", "pandas==2.1.4", "scikit-learn==1.3.2", "fastapi==0.110.0", "torch==2.2.0",
                                                       "pytest==8.0.0", "requests==2.31.0"], 4))) + "\n",
        "train.py": _python(r, tag),
    }
    if kind == "tiny":
        if r.random() < 0.5:
            out[".github/workflows/ci.yml"] = "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pytest\n"
        if r.random() < 0.5:
            out["tests/test_train.py"] = "def test_train():\n    assert True\n"
        return out
    total = 1000 if kind == "medium" else 4000
    out["Dockerfile"] = "FROM python:3.11-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\nCMD [\"python\", \"/app/train.py\"]\n"
    out[".github/workflows/ci.yml"] = ("on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                                       "      - uses: actions/checkout@v4\n      - run: pip install -r requirements.txt\n      - run: pytest -q\n")
    services = [f"svc_{_name(r)}" for _ in range(max(2, total // 150))]
    while len(out) < total:
        svc = r.choice(services)
        roll = r.random()
        if roll < 0.6:
            out[f"services/{svc}/{svc}/{_name(r)}_{len(out)}.py"] = _python(r, tag)
        elif roll < 0.7:
            out[f"services/{svc}/tests/test_{_name(r)}_{len(out)}.py"] = f"from {svc} import *\n\n\ndef test_{_name(r)}():\n    assert {r.randint(0, 9)} >= 0\n"
        elif roll < 0.85:
            out[f"docs/{svc}/{_name(r)}_{len(out)}.md"] = _markdown(r, tag)
        elif roll < 0.95:
            out[f"deploy/{svc}/{_name(r)}_{len(out)}.yaml"] = _yaml(r, tag)
        else:
            out[f"services/{svc}/config/{_name(r)}_{len(out)}.json"] = _json(r, tag)
    return out


def make_repo(args: tuple[Path, str, int]) -> None:
    dest, kind, seed = args
    if (dest / ".git").is_dir():
        return
    for rel, text in files_for(kind, seed).items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "init"]):
        subprocess.run(["git", *cmd], cwd=dest, env=GIT_ENV, check=True, capture_output=True)


def plan(out: Path, count: int) -> list[tuple[Path, str, int]]:
    tiny, medium = count // 2, count * 2 // 5
    kinds = ["tiny"] * tiny + ["medium"] * medium + ["real"] * (count - tiny - medium)
    return [(out / f"{i:04d}-{k}", k, i) for i, k in enumerate(kinds)]


def sample(jobs: list[tuple[Path, str, int]], n: int) -> list[tuple[Path, str, int]]:
    """``n`` of the planned repositories with the plan's mix: every k-th of each kind."""
    out = []
    for kind in ("tiny", "medium", "real"):
        of_kind = [j for j in jobs if j[1] == kind]
        want = max(1, round(n * len(of_kind) / len(jobs))) if of_kind else 0
        out += of_kind[:: max(1, len(of_kind) // want)][:want] if want else []
    return out


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds (the process and its children: the machine may be shared) and the result."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cp = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime), cp


def skip_sample(db: Path, n: int) -> list[float]:
    """Seconds of the skip decision (head check + last-scan look-up + comparison) for ``n`` repositories of the
    last run, one at a time in this process, as a worker makes it (the benchmark scans with the default settings)."""
    try:
        from mlscan.org.interface import Job, Limits, Repo, RepoKind, Settings
        from mlscan.org.store import open_store
        from mlscan.org.worker import decide_skip, fingerprint, head_of
    except ImportError:
        return []
    store = open_store(str(db))
    fp = fingerprint(Settings())
    with sqlite3.connect(db) as con:
        run_id = con.execute("select max(id) from runs").fetchone()[0]
        rows = con.execute("select id, name, url from jobs where run_id=? order by id", (run_id,)).fetchall()
    out = []
    for jid, name, url in rows[:: max(1, len(rows) // n)][:n]:
        job = Job(jid, run_id, Repo(name, url, RepoKind.LOCAL), 1)
        t0 = time.perf_counter()
        outcome = decide_skip(store, job, fp, Limits(), head_of(job.repo, {}), None, 0.0)
        out.append(time.perf_counter() - t0)
        assert outcome is not None, f"{name} was not unchanged"
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "mlscan-bench-org"), help="where the repositories are made (reused)")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--floor", action="store_true", help="also time the floor script over every repository")
    ap.add_argument("--json", dest="json_out", help="write the numbers here")
    ap.add_argument("--db", help="reuse this database of an earlier run: time only the rerun (and the serial skips)")
    ap.add_argument("--skip-sample", type=int, default=100, help="repositories whose skip decision is timed one at a time")
    ap.add_argument("--sample", type=int, help="scan only this many of the repositories, with the same mix of kinds")
    ap.add_argument("--facts-cache", choices=("rescans", "all", "none"), help="passed to mlscan org scan (default: its own)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = plan(out, a.count)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(make_repo, jobs, chunksize=8))
    gen = time.perf_counter() - t0
    files = {k: len(files_for(k, seed)) for _, k, seed in {k: (None, k, seed) for _, k, seed in jobs}.values()}
    print(f"repositories: {len(jobs)} in {out} (files per kind: {files}); generated or found in {gen:.1f} s")
    work = Path(tempfile.mkdtemp(prefix="mlscan-bench-org-"))
    db = Path(a.db) if a.db else work / "org.sqlite"
    if a.sample:
        picked = sample(jobs, a.sample)
        listing = work / "repos.txt"
        listing.write_text("".join(f"{d}\n" for d, _, _ in picked))
        source = ["--repos", str(listing)]
    else:
        picked, source = jobs, ["--dir", str(out)]
    cmd = [sys.executable, "-m", "mlscan", "org", "scan", *source, "--db", str(db), "--workers", str(a.workers), "--cache", str(work / "cache")]
    if a.facts_cache:
        cmd += ["--facts-cache", a.facts_cache]
    first = cpu1 = None
    if not a.db:
        first, cpu1, cp1 = timed(cmd)
        print(f"first scan: {first:.1f} s wall, {cpu1:.1f} s CPU (target <= 300 s wall on 2 cores; CPU/2 = {cpu1 / 2:.1f} s is what an"
              f" unshared 2-core machine would need at best; utilisation {cpu1 / (first * a.workers):.0%}) —"
              f" {cp1.stdout.strip().splitlines()[0] if cp1.stdout.strip() else cp1.stderr[-300:]}")
    rerun, cpu2, cp2 = timed(cmd)
    print(f"rerun, nothing changed: {rerun:.1f} s wall, {cpu2:.1f} s CPU (target <= 60 s) —"
          f" {cp2.stdout.strip().splitlines()[0] if cp2.stdout.strip() else cp2.stderr[-300:]}")
    load = os.getloadavg()
    serial = skip_sample(db, a.skip_sample)
    if serial:
        print(f"one skip decision at a time (head check + database look-up, {len(serial)} repositories): median"
              f" {1000 * statistics.median(serial):.1f} ms, max {1000 * max(serial):.1f} ms")
    con = sqlite3.connect(db)
    skips = sorted(s for (s,) in con.execute("select seconds from jobs where status='skipped'") if s is not None)
    by_kind = {k: [s for (s,) in con.execute("select j.seconds from jobs j where j.status='done' and j.name like ?", (f"%-{k}",))]
               for k in ("tiny", "medium", "real")}
    failed = con.execute("select name, reason from jobs where status='failed' limit 5").fetchall()
    con.close()
    res = {
        "count": len(picked), "workers": a.workers, "utilisation": first and round(cpu1 / (first * a.workers), 3), "generate_s": round(gen, 1), "first_scan_s": first and round(first, 1), "first_scan_cpu_s": cpu1 and round(cpu1, 1),
        "serial_skip_ms_median": round(1000 * statistics.median(serial), 1) if serial else None,
        "rerun_s": round(rerun, 1), "rerun_cpu_s": round(cpu2, 1), "loadavg_after": [round(x, 1) for x in load],
        "skip_ms_median": round(1000 * statistics.median(skips), 1) if skips else None,
        "skip_ms_p95": round(1000 * skips[int(len(skips) * 0.95) - 1], 1) if skips else None,
        "skip_ms_max": round(1000 * skips[-1], 1) if skips else None,
        "scan_s_median": {k: round(statistics.median(v), 2) for k, v in by_kind.items() if v},
        "failed_examples": failed,
    }
    print(f"per skipped repository: median {res['skip_ms_median']} ms, p95 {res['skip_ms_p95']} ms, max {res['skip_ms_max']} ms (target well under 50 ms)")
    print(f"per scanned repository (child wall time, median): {res['scan_s_median']}")
    print(f"load average at the end: {res['loadavg_after']} (2 cores)")
    if failed:
        print(f"failed (first 5): {failed}")
    if a.floor and FLOOR.exists():
        t0 = time.perf_counter()
        for d, _, _ in picked:
            subprocess.run([sys.executable, str(FLOOR), str(d)], capture_output=True, check=False)
        floor = time.perf_counter() - t0
        res["floor_serial_s"] = round(floor, 1)
        res["first_scan_over_floor_per_worker"] = round(first / (floor / a.workers), 2) if first else None
        print(f"floor: {floor:.1f} s serial over every repository ({floor / a.workers:.1f} s per worker); first scan / that = {res['first_scan_over_floor_per_worker']}")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
