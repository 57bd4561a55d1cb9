#!/usr/bin/env python3
"""Audit the evidence of "yes" answers: does the first item show the practice on its own?

    python scripts/evidence_audit.py [TARGET ...] [--corpus DIR] [--labels FILE] [--fixtures]
                                     [--sample N] [--seed S] [--context N] [--only SUBSTR ...] [--json OUT]

It scans each target (directories given, every entry of the labelled dev corpus materialized at
``--corpus`` — default ``$CORPUS_CACHE`` or ``/work/corpus`` when it exists — and, with ``--fixtures``,
every level fixture), takes every ``yes`` answer of the primary framework, and prints a random sample
(``--sample``, reproducible with ``--seed``) of their first evidence items: location, structural
context, wiring chain, caveats, and the lines around the cited line read from the scanned tree, for a
person to judge. Before the sample it prints how many leading items are a bare key, bracket, block opener,
step name, merge key or comment line, a cited line with an empty snippet, or a line inside a statement continued over lines
(``mlscan.evidence.leading_problem`` with the file's lines), how many lead with a non-product path
(tests, templates, vendored or demo trees, contributor docs), and how many answers of a stricter question (E2, O2, D2,
E3, M4, T4) lead with the same item as the question they build on, and how many of those say so (a rule pack's
``distinct_lead`` question whose only decisive line is its base's: ``reason_shared_lead`` beside the snippet). It always
exits 0: it is a review aid.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
# next to the repository (a checkout beside shared/), or two levels up (a worktree under wt/)
DEFAULT_LABELS = next((p for p in (REPO_ROOT.parent / "shared" / "corpus" / "dev.yaml", REPO_ROOT.parent.parent / "shared" / "corpus" / "dev.yaml")
                       if p.is_file()), REPO_ROOT.parent / "shared" / "corpus" / "dev.yaml")
FIXTURES = REPO_ROOT / "fixtures" / "levels"


@dataclass
class Target:
    name: str
    path: Path
    labels: dict[str, str] = field(default_factory=dict)  # question -> labelled answer
    expected_files: dict[str, list[str]] = field(default_factory=dict)  # question -> files a fixture names


@dataclass
class Item:
    target: str
    root: Path
    question: str
    label: str
    evidence: dict[str, Any]
    problem: str
    non_product: bool
    expected_files: list[str]
    reason: str = ""


def corpus_dir(arg: str | None) -> Path | None:
    for cand in (arg, os.environ.get("CORPUS_CACHE"), "/work/corpus"):
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None


def corpus_targets(cache: Path, labels: Path) -> list[Target]:
    out = []
    for e in yaml.safe_load(labels.read_text("utf-8")) or []:
        key = f"{e['repo'].replace('/', '+')}@{str(e['commit'])[:7]}"
        path = cache / key / e["subdir"] if e.get("subdir") else cache / key
        answers = {q: str((a or {}).get("value", "no")).lower() for q, a in (e.get("answers") or {}).items()}
        out.append(Target(key + (f"/{e['subdir']}" if e.get("subdir") else ""), path, answers))
    return out


def fixture_targets(work: Path) -> list[Target]:
    out = []
    for exp in sorted(FIXTURES.glob("*/expected.yaml")):
        data = yaml.load(exp.read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds strings only
        dest = work / exp.parent.name
        shutil.copytree(exp.parent / "repo", dest, symlinks=True)
        for cmd in (["git", "init", "-q"], ["git", "add", "-A", "-f"],
                    ["git", "-c", "user.name=a", "-c", "user.email=a@e", "commit", "-q", "-m", "fixture", "--no-gpg-sign"]):
            subprocess.run(cmd, cwd=dest, check=True)
        path = dest / data["subdir"] if data.get("subdir") else dest
        out.append(Target(f"fixture:{exp.parent.name}", path, dict(data.get("answers") or {}), dict(data.get("evidence") or {})))
    return out


def scan_yes(t: Target) -> list[Item]:
    from mlscan.engine import ScanOptions, scan
    from mlscan.evidence import leading_problem, non_product_path
    from mlscan.report import build_report

    report = build_report(scan(str(t.path), ScanOptions(jobs=1)))
    root = Path(report["target"].get("root") or t.path)
    items = []
    for q in report["questions"]:
        if q["answer"] != "yes" or q.get("attested") or not q["evidence"]:
            continue
        ev = q["evidence"][0]
        items.append(Item(t.name, root, q["id"], t.labels.get(q["id"], "?"), ev, leading_problem(ev, _lines(root, str(ev["path"]))),
                          non_product_path(str(ev["path"])), t.expected_files.get(q["id"], []), str(q.get("reason") or "")))
    return items


def _lines(root: Path, path: str) -> list[str]:
    """The cited file's lines (for the checks that read around the cited line: a continued statement); [] when unreadable."""
    try:
        return (root / path).read_text("utf-8", "replace").splitlines()
    except OSError:
        return []


# a stricter question and the question whose answer it builds on (issue #17, Build 4: the stricter question cites its
# own extra requirement: the runs compared, the model's drift, the data linked to the model, the code version, the gate)
STRICTER = {"E2": "E1", "O2": "O1", "D2": "D1", "E3": "E1", "M4": "M3", "T4": "T3"}


def borrowed_leads(items: list[Item]) -> list[tuple[Item, str]]:
    """Yes answers of a stricter question whose first item is the same location as its base question's first item."""
    lead = {(i.target, i.question): (i.evidence["path"], i.evidence.get("line")) for i in items}
    return [(i, STRICTER[i.question]) for i in items if i.question in STRICTER
            and lead.get((i.target, STRICTER[i.question])) == (i.evidence["path"], i.evidence.get("line"))]


def said_shared(item: Item) -> bool:
    """Does the answer say that it shares its base question's line (the rule pack's ``reason_shared_lead``, ending the
    reason and shown beside the snippet)?"""
    return any(item.reason.endswith(str(c)) for c in item.evidence.get("caveats") or [])


def show(item: Item, context: int) -> str:
    ev = item.evidence
    line, end = ev.get("line"), ev.get("end_line") or ev.get("line")
    loc = f"{ev['path']}:{line}" + (f"-{end}" if end and line and end > line else "") if line else ev["path"]
    out = [f"{item.target}  {item.question} yes (label: {item.label})",
           f"  lead: {loc}  [{ev.get('detector')}, {ev.get('strength')}]" + (f"  at {ev['context']}" if ev.get("context") else "")]
    if ev.get("chain"):
        out.append("  chain: " + " ← ".join((f"defined at {loc}", *ev["chain"])))
    if ev.get("caveats"):
        out.append("  caveats: " + "; ".join(ev["caveats"]))
    if item.problem:
        out.append(f"  PROBLEM: {item.problem}")
    if item.non_product:
        out.append("  note: non-product path")
    if item.expected_files and ev["path"] not in item.expected_files:
        out.append(f"  note: the fixture names {', '.join(item.expected_files)}")
    try:
        lines = (item.root / ev["path"]).read_text("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    if line and lines:
        lo, hi = max(1, line - context), min(len(lines), (end or line) + context)
        for n in range(lo, hi + 1):
            mark = ">" if line <= n <= (end or line) else " "
            out.append(f"  {mark}{n:5} | {lines[n - 1][:140]}")
    elif ev.get("snippet"):
        out += [f"        | {s}" for s in str(ev["snippet"]).splitlines()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", help="directories to scan")
    ap.add_argument("--corpus", help="materialized dev corpus (default: $CORPUS_CACHE or /work/corpus when present)")
    ap.add_argument("--no-corpus", action="store_true", help="do not scan the corpus")
    ap.add_argument("--labels", default=str(DEFAULT_LABELS))
    ap.add_argument("--fixtures", action="store_true", help="also scan every level fixture")
    ap.add_argument("--only", action="append", default=[], help="targets whose name contains this (repeatable)")
    ap.add_argument("--sample", type=int, default=40, help="yes answers to print (0: all)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--context", type=int, default=3, help="lines shown around the cited range")
    ap.add_argument("--json", help="write every audited item here")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    targets = [Target(p, Path(p)) for p in args.targets]
    cache = None if args.no_corpus else corpus_dir(args.corpus)
    if cache is not None and Path(args.labels).is_file():
        targets += corpus_targets(cache, Path(args.labels))
    with tempfile.TemporaryDirectory(prefix="mlscan-audit-") as tmp:
        if args.fixtures:
            targets += fixture_targets(Path(tmp))
        if args.only:
            targets = [t for t in targets if any(s.lower() in t.name.lower() for s in args.only)]
        items: list[Item] = []
        for t in targets:
            if not t.path.is_dir():
                print(f"skipped {t.name}: {t.path} is not a directory", file=sys.stderr)
                continue
            items += scan_yes(t)
        bare = [i for i in items if i.problem]
        other = [i for i in items if i.non_product]
        print(f"{len(targets)} target(s), {len(items)} yes answers")
        print(f"  leading item is a bare key/bracket/opener/step name/comment: {len(bare)}")
        print(f"  leading item on a non-product path: {len(other)}")
        borrowed = borrowed_leads(items)
        said = [i for i, _ in borrowed if said_shared(i)]
        print(f"  stricter question led by its base question's item: {len(borrowed)} ({len(said)} saying so beside the snippet)")
        for i, base in borrowed:
            print(f"  borrowed: {i.target} {i.question} = {base} {i.evidence['path']}:{i.evidence.get('line')}"
                  + (" (said)" if said_shared(i) else ""))
        wrong_label = [i for i in items if i.label not in ("yes", "?")]
        if wrong_label:
            print(f"  yes where the label says otherwise: {len(wrong_label)}")
        for i in bare:
            print(f"  bare: {i.target} {i.question} {i.evidence['path']}:{i.evidence.get('line')} {i.problem}")
        sample = items if args.sample <= 0 or args.sample >= len(items) else random.Random(args.seed).sample(items, args.sample)  # noqa: S311 - a review sample, not a secret
        for n, item in enumerate(sample, 1):
            print(f"\n[{n}/{len(sample)}] " + show(item, args.context))
        if args.json:
            Path(args.json).write_text(json.dumps([{
                "target": i.target, "question": i.question, "label": i.label, "problem": i.problem,
                "non_product": i.non_product, "evidence": i.evidence} for i in items], indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
