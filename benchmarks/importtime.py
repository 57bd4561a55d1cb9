#!/usr/bin/env python3
"""Start-up cost of mlscan, from ``python -X importtime``.

    python benchmarks/importtime.py [--top N] [--python PYTHON]

Prints the cumulative import time of ``import mlscan.cli`` and of ``python -m mlscan --help``, the
slowest modules by their own import time, and checks that a JSON scan of a tiny repository imports
none of the heavy optional libraries (kubernetes, boto3, mlflow, sqlalchemy, rich, jsonschema) nor
GitPython (not a dependency: git runs as a subprocess). Prints ``FAIL`` and exits 1 when one is
imported; exits 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORBIDDEN = ("kubernetes", "boto3", "botocore", "mlflow", "git", "sqlalchemy", "rich", "jsonschema")
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def importtime(args: list[str], python: str, cwd: str | None = None) -> tuple[list[tuple[str, int, int, int]], float, int]:
    """(module, self us, cumulative us, depth) per import, wall seconds, exit code."""
    t0 = time.perf_counter()
    cp = subprocess.run([python, "-X", "importtime", *args], capture_output=True, cwd=cwd, env={**os.environ, "NO_COLOR": "1"}, check=False)
    wall = time.perf_counter() - t0
    rows = []
    for line in cp.stderr.decode("utf-8", "replace").splitlines():
        m = _LINE.match(line)
        if m:
            rows.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2))
    return rows, wall, cp.returncode


def tiny_repo(dest: Path) -> Path:
    (dest / "src").mkdir(parents=True)
    (dest / "src" / "train.py").write_text("import mlflow\n\nif __name__ == '__main__':\n    mlflow.log_metric('a', 1)\n")
    (dest / "requirements.txt").write_text("mlflow==2.9.2\n")
    (dest / "README.md").write_text("# tiny\n\nRun `python src/train.py`.\n")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True, env=env)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "x", "--no-gpg-sign"], cwd=dest, check=True, env=env)
    return dest


def forbidden_in(modules: list[str]) -> list[str]:
    return sorted({m for m in modules if m.split(".")[0] in FORBIDDEN})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=15, help="slowest modules to list")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args(argv)
    failed = False

    rows, wall, _ = importtime(["-c", "import mlscan.cli"], args.python)
    cli = next((cum for mod, _s, cum, _d in rows if mod == "mlscan.cli"), None)
    total = sum(s for _m, s, _c, _d in rows)
    print(f"import mlscan.cli: {cli / 1000 if cli else float('nan'):.1f} ms cumulative; all imports {total / 1000:.1f} ms; process {wall * 1000:.0f} ms")

    rows_h, wall_h, rc = importtime(["-m", "mlscan", "--help"], args.python)
    total_h = sum(s for _m, s, _c, _d in rows_h)
    print(f"mlscan --help: all imports {total_h / 1000:.1f} ms; process {wall_h * 1000:.0f} ms (exit {rc})")

    with tempfile.TemporaryDirectory(prefix="mlscan-importtime-") as tmp:
        repo = tiny_repo(Path(tmp) / "tiny")
        rows_s, wall_s, rc_s = importtime(["-m", "mlscan", "scan", str(repo), "--format", "json"], args.python)
    total_s = sum(s for _m, s, _c, _d in rows_s)
    mods = [m for m, _s, _c, _d in rows_s]
    print(f"mlscan scan TINY --format json: {len(mods)} modules, imports {total_s / 1000:.1f} ms; process {wall_s * 1000:.0f} ms (exit {rc_s})")
    print("\nslowest imports of the scan (self time, ms):")
    for mod, self_us, cum_us, _d in sorted(rows_s, key=lambda r: -r[1])[: args.top]:
        print(f"  {self_us / 1000:7.1f}  (cumulative {cum_us / 1000:7.1f})  {mod}")
    heavy = forbidden_in(mods)
    if rc_s != 0:
        print(f"\nFAIL: the scan exited {rc_s}")
        failed = True
    if heavy:
        print(f"\nFAIL: heavy optional modules imported at start-up of a JSON scan: {', '.join(heavy)}")
        failed = True
    else:
        print(f"\nOK: none of {', '.join(FORBIDDEN)} imported by a JSON scan")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
