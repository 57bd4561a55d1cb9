#!/usr/bin/env python3
"""The speed table of docs/benchmarks.md in one run: every figure a ratio to the floor measured alternately.

    python benchmarks/bench_suite.py [--real DIR ...] [--real-root DIR] [--runs N]
                                     [--tiny] [--corpus DIR] [--cached REPO] [--large DIR]
                                     [--floor PATH] [--python PY] [--json OUT]

--real DIR / --real-root DIR  real repositories (snapshots made by ``../shared/corpus/materialize.py --corpus
                              ../shared/bench/real_repos.yaml``; --real-root takes every git directory below it):
                              floor, mlscan with its default ``--jobs`` and mlscan ``--jobs 1``, alternately, N runs
                              each; targets <= 3x (default jobs) and <= 5x (--jobs 1).
--tiny                        an 11-file project (start-up included): target <= 1.5x the floor.
--corpus DIR                  every snapshot below DIR (the dev corpus) once, floor and mlscan alternately: median
                              and max seconds (targets 0.25 s and 1 s) and the median ratio.
--cached REPO                 a copy of REPO (``git clone --shared`` into a temporary directory): cold scans (an
                              empty facts cache each), then rescans of the unchanged copy on a warm cache, then
                              rescans after one Python file changed; ratios to the cold scan (targets 0.25x and
                              0.35x) and whether each cached report equals a cold scan's (the JSON report without
                              ``stats.duration_seconds``).
--large DIR                   the 100k-file synthetic repository (``../shared/bench/make_synth_repo.py DIR --files
                              100000 --seed 1``): target <= 2x and < 200 MiB summed PSS.

Every mlscan run except the warm rescans gets its own empty cache directory (``MLSCAN_CACHE_DIR``), so "first scan"
figures include writing the cache and nothing is reused between runs. Memory is the peak PSS summed over mlscan's
process tree (see bench_scan.py). Exit 0 always: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import DEFAULT_FLOOR, SMALL_REPO, child_env, run_measured, write_small_repo  # noqa: E402

REAL_DEFAULT_TARGET, REAL_JOBS1_TARGET = 3.0, 5.0
TINY_TARGET = 1.5
CORPUS_MEDIAN_S, CORPUS_MAX_S = 0.25, 1.0
CACHED_UNCHANGED, CACHED_ONE_FILE = 0.25, 0.35
LARGE_TARGET, LARGE_MIB = 2.0, 200
TINY_FILES = 11
_GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


class Runner:
    """Runs floor and mlscan commands; every mlscan run gets a fresh cache directory unless one is given."""

    def __init__(self, python: str, floor: Path, tmp: Path) -> None:
        self.python, self.floor, self.tmp = python, floor, tmp
        self._n = 0

    def fresh_cache(self) -> Path:
        self._n += 1
        d = self.tmp / f"cache-{self._n}"
        d.mkdir()
        return d

    def floor_run(self, repo: Path) -> dict[str, Any]:
        return run_measured([self.python, str(self.floor), str(repo)])

    def scan(self, repo: Path, jobs: int | None = None, cache: Path | None = None, timeout: float | None = None) -> dict[str, Any]:
        own = cache is None
        cache = cache or self.fresh_cache()
        env = {**child_env(), "MLSCAN_CACHE_DIR": str(cache)}
        cmd = [self.python, "-m", "mlscan", "scan", str(repo), "--format", "json", *(["--jobs", str(jobs)] if jobs else [])]
        try:
            return run_measured(cmd, timeout=timeout, env=env)
        finally:
            if own:
                shutil.rmtree(cache, ignore_errors=True)


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _ok(value: float, target: float) -> str:
    return "OK" if value <= target else "MISSED"


def _report(stdout: bytes) -> dict[str, Any] | None:
    try:
        rep = json.loads(stdout)
    except ValueError:
        return None
    rep.get("stats", {}).pop("duration_seconds", None)
    return rep  # type: ignore[no-any-return]


def alternate(r: Runner, repo: Path, variants: dict[str, Callable[[], dict[str, Any]]], runs: int) -> dict[str, Any]:
    """floor, then each variant, ``runs`` times; medians, ratios and peak memory per variant."""
    r.floor_run(repo)  # warm the page cache
    floor: list[float] = []
    got: dict[str, list[dict[str, Any]]] = {k: [] for k in variants}
    for _ in range(runs):
        floor.append(r.floor_run(repo)["seconds"])
        for name, run in variants.items():
            got[name].append(run())
    fmed = _med(floor)
    out: dict[str, Any] = {"floor_median_s": round(fmed, 3), "floor_s": [round(x, 3) for x in floor]}
    for name, results in got.items():
        ok = [m for m in results if m["rc"] == 0]
        med = _med([m["seconds"] for m in ok])
        out[name] = {
            "median_s": round(med, 3), "s": [round(m["seconds"], 3) for m in results], "ratio": round(med / fmed, 2) if fmed else None,
            "peak_pss_mib": round(max((m["tree_pss_mib"] or m["rss_mib"]) for m in results), 1),
            "cpu_s": round(_med([m["cpu_s"] for m in results]), 2), "failures": len(results) - len(ok),
        }
        if len(ok) < len(results):
            bad = next(m for m in results if m["rc"] != 0)
            out[name]["error"] = bad["stderr"].strip().splitlines()[-1:] if bad["stderr"].strip() else f"exit {bad['rc']}"
    return out


def bench_real(r: Runner, repos: list[Path], runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    print(f"real repositories: floor, mlscan (default --jobs), mlscan --jobs 1; {runs} runs each")
    for repo in repos:
        res = alternate(r, repo, {"default": lambda repo=repo: r.scan(repo), "jobs1": lambda repo=repo: r.scan(repo, jobs=1)}, runs)
        d, j = res["default"], res["jobs1"]
        print(f"  {repo.name:45} floor {res['floor_median_s']:.2f} s | default {d['median_s']:.2f} s {d['ratio']}x "
              f"({_ok(d['ratio'], REAL_DEFAULT_TARGET)} <= {REAL_DEFAULT_TARGET}x) {d['peak_pss_mib']:.0f} MiB | --jobs 1 "
              f"{j['median_s']:.2f} s {j['ratio']}x ({_ok(j['ratio'], REAL_JOBS1_TARGET)} <= {REAL_JOBS1_TARGET}x) "
              f"{j['peak_pss_mib']:.0f} MiB", flush=True)
        out[repo.name] = res
    return out


def bench_tiny(r: Runner, runs: int) -> dict[str, Any]:
    repo = r.tmp / "tiny"
    repo.mkdir()
    write_small_repo(repo, dict(list(SMALL_REPO.items())[:TINY_FILES]))
    r.scan(repo)  # .pyc files written, page cache warm
    res = alternate(r, repo, {"mlscan": lambda: r.scan(repo)}, runs)
    m = res["mlscan"]
    print(f"{TINY_FILES}-file repository, start-up included: floor {res['floor_median_s']:.3f} s | mlscan {m['median_s']:.3f} s "
          f"{m['ratio']}x ({_ok(m['ratio'], TINY_TARGET)} <= {TINY_TARGET}x)", flush=True)
    return res


def bench_corpus(r: Runner, root: Path, runs: int) -> dict[str, Any]:
    repos = sorted(p for p in root.iterdir() if (p / ".git").exists())
    rows: dict[str, Any] = {}
    for repo in repos:
        rows[repo.name] = alternate(r, repo, {"mlscan": lambda repo=repo: r.scan(repo)}, runs)
    secs = [v["mlscan"]["median_s"] for v in rows.values()]
    ratios = [v["mlscan"]["ratio"] for v in rows.values()]
    slowest = max(rows, key=lambda k: rows[k]["mlscan"]["median_s"]) if rows else ""
    out = {"entries": len(rows), "median_s": round(_med(secs), 3), "max_s": round(max(secs, default=0), 3), "slowest": slowest,
           "median_ratio": round(_med(ratios), 2), "max_ratio": round(max(ratios, default=0), 2), "per_entry": rows}
    print(f"dev corpus ({len(rows)} entries): median {out['median_s']:.3f} s ({_ok(out['median_s'], CORPUS_MEDIAN_S)} <= "
          f"{CORPUS_MEDIAN_S} s), max {out['max_s']:.3f} s ({slowest}; {_ok(out['max_s'], CORPUS_MAX_S)} <= {CORPUS_MAX_S} s), "
          f"median ratio {out['median_ratio']}x, max {out['max_ratio']}x", flush=True)
    return out


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, env={**os.environ, **_GIT_ENV}, stdout=subprocess.DEVNULL)


def _edit_target(repo: Path, report: dict[str, Any] | None) -> Path:
    """A Python file to change: the largest one (under 64 KB, not a test) that the cold scan's findings cite, so the
    change lands on a file the detectors read (deterministic)."""
    cited = {ev["path"] for f in (report or {}).get("findings", []) for ev in f.get("evidence", [])
             if str(ev.get("path", "")).endswith(".py")}
    best: tuple[int, str] | None = None
    sources = {rel for rel in cited if "test" not in rel.lower()} or cited  # source code rather than its tests
    for rel in sources:
        p = repo / rel
        if p.is_symlink() or not p.is_file():
            continue
        size = p.stat().st_size
        if size < 64 << 10 and (best is None or (size, rel) > best):
            best = (size, rel)
    if best is None:
        raise SystemExit(f"bench: no Python file cited by the findings of {repo}")
    return repo / best[1]


def bench_cached(r: Runner, source: Path, runs: int, jobs: int | None) -> dict[str, Any]:
    repo = r.tmp / f"cached-{source.name}"
    _git(r.tmp, "clone", "-q", "--shared", str(source), str(repo))  # a copy to change; the snapshot stays as it is
    r.floor_run(repo)
    floor = [r.floor_run(repo)["seconds"] for _ in range(runs)]
    cold = [r.scan(repo, jobs) for _ in range(runs)]
    cold_report = _report(cold[0]["stdout"])
    target = _edit_target(repo, cold_report)
    rel = target.relative_to(repo).as_posix()
    print(f"cached rescans of {source.name} (copy), changing {rel} ({target.stat().st_size} bytes) for the one-file runs")
    cache = r.fresh_cache()
    r.scan(repo, jobs, cache=cache)  # fill the cache
    unchanged = [r.scan(repo, jobs, cache=cache) for _ in range(runs)]
    same_unchanged = all(_report(m["stdout"]) == cold_report for m in unchanged)
    one: list[dict[str, Any]] = []
    original = target.read_bytes()
    for i in range(runs):
        target.write_bytes(original + f"\n\ndef _bench_edit_{i}():\n    return {i}\n".encode())
        one.append(r.scan(repo, jobs, cache=cache))
    edited_cold = _report(r.scan(repo, jobs)["stdout"])
    same_one = _report(one[-1]["stdout"]) == edited_cold
    target.write_bytes(original)
    first = _med([m["seconds"] for m in cold])
    out = {
        "repo": source.name, "changed_file": rel, "floor_median_s": round(_med(floor), 3), "first_median_s": round(first, 3),
        "unchanged_median_s": round(_med([m["seconds"] for m in unchanged]), 3),
        "one_file_median_s": round(_med([m["seconds"] for m in one]), 3),
        "unchanged_peak_pss_mib": round(max(m["tree_pss_mib"] or m["rss_mib"] for m in unchanged), 1),
        "cpu_s": {"first": round(_med([m["cpu_s"] for m in cold]), 2), "unchanged": round(_med([m["cpu_s"] for m in unchanged]), 2),
                  "one_file": round(_med([m["cpu_s"] for m in one]), 2)},
        "reports_identical": {"unchanged": same_unchanged, "one_file": same_one},
    }
    out["unchanged_ratio"] = round(out["unchanged_median_s"] / first, 3) if first else None
    out["one_file_ratio"] = round(out["one_file_median_s"] / first, 3) if first else None
    print(f"  floor {out['floor_median_s']:.2f} s | first scan {first:.2f} s | unchanged {out['unchanged_median_s']:.2f} s "
          f"{out['unchanged_ratio']}x of first ({_ok(out['unchanged_ratio'], CACHED_UNCHANGED)} <= {CACHED_UNCHANGED}x) | one file "
          f"changed {out['one_file_median_s']:.2f} s {out['one_file_ratio']}x ({_ok(out['one_file_ratio'], CACHED_ONE_FILE)} <= "
          f"{CACHED_ONE_FILE}x) | reports identical to a cold scan: unchanged {same_unchanged}, one file {same_one}", flush=True)
    shutil.rmtree(cache, ignore_errors=True)
    return out


def bench_large(r: Runner, repo: Path, runs: int, timeout: float) -> dict[str, Any]:
    res = alternate(r, repo, {"mlscan": lambda: r.scan(repo, timeout=timeout)}, runs)
    m = res["mlscan"]
    print(f"large {repo}: floor {res['floor_median_s']:.2f} s | mlscan {m['median_s']:.2f} s {m['ratio']}x "
          f"({_ok(m['ratio'], LARGE_TARGET)} <= {LARGE_TARGET}x), peak PSS {m['peak_pss_mib']:.0f} MiB "
          f"({_ok(m['peak_pss_mib'], LARGE_MIB - 1e-9)} < {LARGE_MIB} MiB), CPU {m['cpu_s']:.1f} s", flush=True)
    return res


def _default_floor() -> Path:
    """../shared/bench/floor_scan.py beside the checkout (or beside the folder of worktrees holding it)."""
    for base in (DEFAULT_FLOOR, Path(__file__).resolve().parents[3] / "shared" / "bench" / "floor_scan.py"):
        if base.exists():
            return base
    return DEFAULT_FLOOR


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, action="append", default=[], help="a real repository snapshot (repeatable)")
    ap.add_argument("--real-root", type=Path, help="every git directory below this one is a real repository")
    ap.add_argument("--runs", type=int, default=3, help="alternating runs per measurement (default 3)")
    ap.add_argument("--tiny", action="store_true", help="the 11-file repository")
    ap.add_argument("--tiny-runs", type=int, default=9)
    ap.add_argument("--corpus", type=Path, help="the dev corpus snapshots (one directory per entry)")
    ap.add_argument("--corpus-runs", type=int, default=1)
    ap.add_argument("--cached", type=Path, action="append", default=[], help="measure cached rescans of a copy of this repository")
    ap.add_argument("--cached-jobs", type=int, help="--jobs for the cached measurements (default: mlscan's choice)")
    ap.add_argument("--large", type=Path, help="the 100k-file synthetic repository")
    ap.add_argument("--large-runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before one large run is killed")
    ap.add_argument("--floor", type=Path, default=_default_floor())
    ap.add_argument("--python", default=sys.executable, help="interpreter with mlscan installed")
    ap.add_argument("--json", dest="json_out", help="write every number as JSON")
    args = ap.parse_args(argv)
    if not args.floor.exists():
        print(f"bench: floor script not found: {args.floor}", file=sys.stderr)
        return 0
    real = list(args.real)
    if args.real_root:
        real += sorted(p for p in args.real_root.iterdir() if (p / ".git").exists())
    out: dict[str, Any] = {"python": args.python, "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="mlscan-suite-") as tmp:
        r = Runner(args.python, args.floor, Path(tmp))
        if args.tiny:
            out["tiny"] = bench_tiny(r, args.tiny_runs)
        if real:
            out["real"] = bench_real(r, real, args.runs)
        if args.corpus:
            out["corpus"] = bench_corpus(r, args.corpus, args.corpus_runs)
        for repo in args.cached:
            out.setdefault("cached", []).append(bench_cached(r, repo, args.runs, args.cached_jobs))
        if args.large:
            out["large"] = bench_large(r, args.large, args.large_runs, args.timeout)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
