"""Globs as regular expressions: ``**/`` is zero or more directories, ``*`` and ``?`` stay inside one component."""

from __future__ import annotations

import random
import re

from mlscan.index.globs import _glob_to_regex


def _char_by_char(pattern: str) -> str:
    """The reading ``_glob_to_regex`` must equal: left to right, ``**/`` before ``**`` before ``*``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append(r"(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r".*")
            i += 2
        elif pattern[i] == "*":
            out.append(r"[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append(r"[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def test_globs_translate_as_read_left_to_right() -> None:
    for glob in ("**/*.py", "**/.github/workflows/*.yml", "***/x", "a/**", "a**b", "?*.[ch]", "dvc.yaml", "", "**/", "*?**/?*",
                 "src/**/test_*.py", "a+b(c)/{d}.txt", "\\*"):
        assert _glob_to_regex(glob) == _char_by_char(glob), glob
    rng = random.Random(15)
    for _ in range(2000):
        glob = "".join(rng.choice(["*", "**", "**/", "?", "/", "a", ".", "[", "]", "\\", "+", "é"]) for _ in range(rng.randint(0, 8)))
        assert _glob_to_regex(glob) == _char_by_char(glob), glob


def test_matches() -> None:
    rx = re.compile(_glob_to_regex("**/.github/workflows/*.yml"))
    assert rx.fullmatch(".github/workflows/ci.yml") and rx.fullmatch("sub/.github/workflows/ci.yml")
    assert not rx.fullmatch(".github/workflows/sub/ci.yml")
