#!/usr/bin/env python3
"""Dump every finding and warning of a set of scans, or compare two dumps: the check that a speed-up
changed nothing.

    python scripts/findings_diff.py dump OUT.json [--cache DIR] [--fixtures]
    python scripts/findings_diff.py compare BEFORE.json AFTER.json

``dump`` scans every snapshot under --cache (made by ../shared/corpus/materialize.py; the
mlops-zoomcamp entry also at its labelled subdirectory) and, with --fixtures, every detector and level
fixture of this repository, recording (signal, detector, evidence locations, attributes, strength) of
each finding and each warning. ``compare`` prints what differs per target and exits 1 if anything does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _targets(cache: Path | None, fixtures: bool) -> list[Path]:
    out: list[Path] = []
    if cache is not None:
        out += sorted(p for p in cache.iterdir() if p.is_dir())
        out += [p / "06-best-practices" / "code" for p in out if "mlops-zoomcamp" in p.name]
    if fixtures:
        out += sorted(p for p in (ROOT / "fixtures" / "detectors").glob("*/*") if p.is_dir())
        out += sorted((ROOT / "fixtures" / "levels").glob("*/repo"))
    return out


def dump(out: Path, cache: Path | None, fixtures: bool) -> int:
    from mlscan.engine import scan

    result: dict[str, dict[str, list[str]]] = {}
    for t in _targets(cache, fixtures):
        try:
            r = scan(str(t))
        except Exception as e:  # a crash is a difference too
            result[str(t)] = {"error": [repr(e)]}
            continue
        result[str(t)] = {
            "findings": sorted(
                json.dumps([f.signal, f.detector, [(e.path, e.line) for e in f.evidence], dict(f.attrs), str(f.strength)],
                           sort_keys=True, default=str)
                for f in r.findings
            ),
            "warnings": sorted(f"{w.code}|{w.path}|{w.message}" for w in r.warnings),
        }
    out.write_text(json.dumps(result, indent=0, sort_keys=True))
    print(f"{len(result)} targets -> {out}")
    return 0


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    differences = 0
    for target in sorted(set(a) | set(b)):
        for kind in ("findings", "warnings", "error"):
            x, y = set(a.get(target, {}).get(kind, [])), set(b.get(target, {}).get(kind, []))
            if x != y:
                differences += 1
                print(f"== {target} {kind}")
                for line in sorted(x - y)[:10]:
                    print("  -", line[:300])
                for line in sorted(y - x)[:10]:
                    print("  +", line[:300])
    print("differences:", differences)
    return 1 if differences else 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--cache", type=Path)
    d.add_argument("--fixtures", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        return dump(args.out, args.cache, args.fixtures)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
