#!/usr/bin/env python3
"""Measure mlscan against the labelled dev corpus.

    python scripts/accuracy.py [--cache DIR] [--labels FILE] [--only SUBSTR ...] [--json OUT] [-j N] [--reasons]

For every entry of the labels file (default ``../shared/corpus/dev.yaml`` next to the repository
root) it scans ``<cache>/<owner>+<name>@<sha7>[/<subdir>]`` with ``python -m mlscan scan DIR
--format json`` in a subprocess (120 s timeout) and compares the answers and the level with the
labels. A non-zero exit, a timeout, output that is not JSON or a missing snapshot counts as a crash:
the entry is wrong on every question (as in shared/corpus/README.md). Only ``yes`` counts as yes.

It prints per-question agreement (per question id and over entries x 20), level exact and within
+-1, crashes, median/max seconds per scan and every disagreement (question, expected, got, our
reason). It always exits 0: it is a measuring tool, not a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = REPO_ROOT.parent / "shared" / "corpus" / "dev.yaml"
QUESTION_IDS = [f"{d}{i}" for d in "DEMOT" for i in range(1, 5)]
TIMEOUT_S = 120


@dataclass
class Outcome:
    key: str  # owner+name@sha7[/subdir]
    repo: str
    path: Path
    expected_level: int
    expected: dict[str, str]
    label_reasons: dict[str, str]
    got_level: int | None = None
    got: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    crash: str = ""  # why the entry counts as a crash ("" when it ran)
    seconds: float = 0.0
    stderr_tail: str = ""

    @property
    def agree(self) -> dict[str, bool]:
        return {q: (not self.crash) and (self.got.get(q) == "yes") == (self.expected.get(q) == "yes") for q in QUESTION_IDS}


def level_rule(yes_count: int) -> int:
    """shared/corpus/README.md: 0-5 L0, 6-10 L1, 11-15 L2, 16-18 L3, 19-20 L4."""
    for top, lvl in ((5, 0), (10, 1), (15, 2), (18, 3)):
        if yes_count <= top:
            return lvl
    return 4


def parse_level(report: dict[str, Any]) -> int | None:
    raw = report.get("level")
    if raw is None and isinstance(report.get("score"), dict):
        raw = report["score"].get("level")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.upper().lstrip("L").isdigit():
        return int(raw.upper().lstrip("L"))
    return None


def parse_answers(report: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    qs = report.get("questions")
    answers: dict[str, str] = {}
    reasons: dict[str, str] = {}
    if isinstance(qs, list):
        for q in qs:
            if isinstance(q, dict) and "id" in q:
                answers[str(q["id"])] = str(q.get("answer", "")).lower()
                reasons[str(q["id"])] = str(q.get("reason", ""))
    elif isinstance(qs, dict):
        for k, v in qs.items():
            answers[str(k)] = str(v.get("answer", "") if isinstance(v, dict) else v).lower()
    return answers, reasons


def load_entries(labels: Path, cache: Path, only: list[str]) -> list[Outcome]:
    data = yaml.safe_load(labels.read_text("utf-8")) or []
    out: list[Outcome] = []
    for e in data:
        repo, commit, subdir = e["repo"], str(e["commit"]), e.get("subdir") or ""
        key = f"{repo.replace('/', '+')}@{commit[:7]}"
        if subdir:
            key += f"/{subdir}"
        if only and not any(s.lower() in key.lower() for s in only):
            continue
        answers = e.get("answers") or {}
        expected = {q: str((answers.get(q) or {}).get("value", "no")).lower() for q in QUESTION_IDS}
        level = e.get("level")
        if level is None:
            level = level_rule(sum(v == "yes" for v in expected.values()))
        out.append(
            Outcome(
                key=key,
                repo=repo,
                path=cache / key,
                expected_level=int(level),
                expected=expected,
                label_reasons={q: str((answers.get(q) or {}).get("reason", "")) for q in QUESTION_IDS},
            )
        )
    return out


def run_one(o: Outcome, python: str) -> Outcome:
    if not o.path.is_dir():
        o.crash = "snapshot missing (run shared/corpus/materialize.py)"
        return o
    env = {**os.environ, "NO_COLOR": "1"}
    t0 = time.perf_counter()
    try:
        cp = subprocess.run(
            [python, "-m", "mlscan", "scan", str(o.path), "--format", "json"],
            capture_output=True,
            timeout=TIMEOUT_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        o.seconds = time.perf_counter() - t0
        o.crash = f"timeout after {TIMEOUT_S} s"
        return o
    o.seconds = time.perf_counter() - t0
    o.stderr_tail = cp.stderr.decode("utf-8", "replace").strip()[-600:]
    if cp.returncode != 0:
        o.crash = f"exit {cp.returncode}: {o.stderr_tail.splitlines()[-1] if o.stderr_tail else ''}"
        return o
    try:
        report = json.loads(cp.stdout)
    except ValueError as e:
        o.crash = f"output is not JSON: {e}"
        return o
    if not isinstance(report, dict):
        o.crash = "output is not a JSON object"
        return o
    o.got, o.reasons = parse_answers(report)
    o.got_level = parse_level(report)
    return o


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    per_q = {q: sum(o.agree[q] for o in outcomes) for q in QUESTION_IDS}
    total = sum(per_q.values())
    ran = [o for o in outcomes if not o.crash]
    secs = [o.seconds for o in ran]
    exact = sum(1 for o in ran if o.got_level == o.expected_level)
    within = sum(1 for o in ran if o.got_level is not None and abs(o.got_level - o.expected_level) <= 1)
    return {
        "entries": n,
        "agreement": {"correct": total, "total": n * 20, "ratio": round(total / (n * 20), 4) if n else None},
        "per_question": {q: {"correct": c, "total": n} for q, c in per_q.items()},
        "level_exact": exact,
        "level_within_1": within,
        "crashes": sum(1 for o in outcomes if o.crash),
        "median_seconds": round(statistics.median(secs), 3) if secs else None,
        "max_seconds": round(max(secs), 3) if secs else None,
    }


def entry_json(o: Outcome) -> dict[str, Any]:
    return {
        "entry": o.key,
        "path": str(o.path),
        "crash": o.crash or None,
        "seconds": round(o.seconds, 3),
        "expected_level": o.expected_level,
        "got_level": o.got_level,
        "agreement": sum(o.agree.values()),
        "differences": [
            {
                "question": q,
                "expected": o.expected.get(q),
                "got": o.got.get(q, "missing") if not o.crash else "crash",
                "reason": o.reasons.get(q, ""),
                "label_reason": o.label_reasons.get(q, ""),
            }
            for q in QUESTION_IDS
            if not o.agree[q]
        ],
    }


def _short(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(outcomes: list[Outcome], summary: dict[str, Any], show_label_reasons: bool) -> None:
    n = summary["entries"]
    print(f"mlscan accuracy on {n} labelled entries\n")
    print("per-entry:")
    for o in outcomes:
        if o.crash:
            status = f"CRASH ({o.crash})"
        else:
            status = f"L{o.got_level} (expected L{o.expected_level})  {sum(o.agree.values())}/20  {o.seconds:.2f}s"
        print(f"  {o.key:70} {status}")
    print("\ndifferences (question: expected -> got | our reason):")
    for o in outcomes:
        diffs = [q for q in QUESTION_IDS if not o.agree[q]]
        if not diffs:
            continue
        print(f"  {o.key}")
        if o.crash:
            print(f"    all 20 questions: crash: {o.crash}")
            continue
        for q in diffs:
            print(f"    {q}: {o.expected.get(q)} -> {o.got.get(q, 'missing')} | {_short(o.reasons.get(q, ''))}")
            if show_label_reasons:
                print(f"        label: {_short(o.label_reasons.get(q, ''), 140)}")
    print("\nper-question agreement:")
    row = "  " + "  ".join(f"{q}" for q in QUESTION_IDS)
    print(row)
    print("  " + "  ".join(f"{summary['per_question'][q]['correct']:>2}" for q in QUESTION_IDS) + f"   (of {n} each)")
    a = summary["agreement"]
    pct = f"{100 * a['ratio']:.1f}%" if a["ratio"] is not None else "n/a"
    print(f"\noverall agreement: {a['correct']}/{a['total']} = {pct}")
    print(f"level exact:       {summary['level_exact']}/{n}")
    print(f"level within +-1:  {summary['level_within_1']}/{n}")
    print(f"crashes:           {summary['crashes']}/{n}")
    med, mx = summary["median_seconds"], summary["max_seconds"]
    print(f"seconds per scan:  median {med if med is not None else 'n/a'}  max {mx if mx is not None else 'n/a'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.environ.get("CORPUS_CACHE", "/work/corpus-cache"), help="materialised snapshots")
    ap.add_argument("--labels", default=str(DEFAULT_LABELS), help="labels file (dev.yaml)")
    ap.add_argument("--only", action="append", default=[], help="only entries whose key contains SUBSTR (repeatable)")
    ap.add_argument("--json", dest="json_out", help="also write the full result as JSON to this file")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="parallel scans (timings are then less comparable)")
    ap.add_argument("--reasons", action="store_true", help="print the label's reason under each difference")
    ap.add_argument("--python", default=sys.executable, help="interpreter that has mlscan installed")
    args = ap.parse_args(argv)

    labels = Path(args.labels)
    try:
        outcomes = load_entries(labels, Path(args.cache), args.only)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        print(f"accuracy: cannot read labels {labels}: {e}", file=sys.stderr)
        return 0
    if not outcomes:
        print("accuracy: no entries selected", file=sys.stderr)
        return 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda o: run_one(o, args.python), outcomes))
    summary = summarise(outcomes)
    print_report(outcomes, summary, args.reasons)
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps({"summary": summary, "entries": [entry_json(o) for o in outcomes]}, indent=2) + "\n", "utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
