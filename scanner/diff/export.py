"""Export a ref's tree in a child process, so writing the files overlaps with the other side's scan.

``python -m mlscan.diff.export ROOT COMMIT DEST [SUBDIR]`` runs ``safegit.export_tree`` (only the
subdirectory project's scope when SUBDIR is given) and prints the number of files written. Exporting
is file creation, I/O the parent's scan does not need the CPU for.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..errors import ScanError


class Export:
    """A running export; ``wait()`` raises ScanError when it failed."""

    def __init__(self, root: Path, sha: str, dest: Path, subdir: str) -> None:
        self.dest = dest
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlscan.diff.export", str(root), sha, str(dest), subdir],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def wait(self) -> int:
        out, err = self.proc.communicate(timeout=1800)
        if self.proc.returncode != 0:
            last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {self.proc.returncode}"]
            raise ScanError(f"cannot read the base tree from Git: {last[0][:300]}")
        return int(out.strip() or 0)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def main(argv: list[str]) -> int:
    from .. import safegit
    from .scope import in_scope

    root, sha, dest = Path(argv[0]), argv[1], Path(argv[2])
    sub = argv[3] if len(argv) > 3 else ""
    n = safegit.export_tree(root, sha, dest, keep=(lambda p: in_scope(sub, p)) if sub else None)
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
