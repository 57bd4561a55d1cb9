"""What a unit of scan work observed and did, so a later scan can reuse it while nothing it observed changed.

A scan's detector work is split into units: each detector's own pass (``d:<detector>``), the shared Python pass of
each file (``p:<path>``), each scan-wide derived model (``m:<memo key>``: the CI model, the wiring graph, ...) and
the work done outside any of them (``top``). While a unit runs, the index records into its ``Recorder``:

- observations, the unit's inputs: the contents it read (any read or parse of a file), the answers of the
  word and substring pre-checks it asked (``mentions``/``contains``: a changed file that still gives the same answer
  does not invalidate the unit), the evidence snippets it took from files (``snippet``: an edit elsewhere in a cited
  file keeps the unit), the derived models it used (units themselves) and the file selections it made;
- effects, what it did to the index: warnings, skipped files, files read and parsed (the report's statistics).

The next scan of the same listing (same paths and file types, same mlscan code, detectors and options) compares the
content id of every observed file (``blobs.ContentIds``); a unit is reused when each of its observations on a changed
file gives the same answer again and every model it used is reusable; its findings are decoded and its effects
replayed into the index, so the report is the one a full scan gives. Everything else runs, recorded again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..model import Finding, Warning_
from . import codec

Needles = tuple[bytes, ...]
# an effect: ("w", code, message, path) | ("s", reason, path) | ("r", path, size) | ("p", path)
Effect = tuple[Any, ...]


class Recorder:
    """Observations and effects of one unit while it runs."""

    __slots__ = ("content", "answers", "memos", "selects", "effects")

    def __init__(self) -> None:
        self.content: set[str] = set()
        self.answers: dict[tuple[str, str, Any], Any] = {}  # (path, kind, argument) -> answer
        self.memos: set[str] = set()
        self.selects: set[tuple[tuple[str, ...], bool]] = set()
        self.effects: set[Effect] = set()

    def merge(self, other: Recorder) -> None:
        self.content |= other.content
        for k, v in other.answers.items():
            self.answers.setdefault(k, v)
        self.memos |= other.memos
        self.selects |= other.selects
        self.effects |= other.effects

    def to_plain(self) -> tuple[Any, ...]:
        """Plain containers only (a parallel scan's workers send them through a restricted unpickler)."""
        return (sorted(self.content), sorted(self.answers.items(), key=repr), sorted(self.memos), sorted(self.selects),
                sorted(self.effects, key=repr))

    @classmethod
    def from_plain(cls, plain: tuple[Any, ...]) -> Recorder:
        r = cls()
        content, answers, memos, selects, effects = plain
        r.content = set(content)
        r.answers = {tuple(k): v for k, v in answers}  # type: ignore[misc]
        r.memos = set(memos)
        r.selects = {(tuple(p), bool(i)) for p, i in selects}
        r.effects = {tuple(e) for e in effects}
        return r


class Tables:
    """Paths and needle tuples of a stored run, by number (a run names the same few thousand paths many times)."""

    def __init__(self, paths: list[str] | None = None, needles: list[list[str]] | None = None) -> None:
        self.paths = list(paths or [])
        self.needles = [tuple(n.encode("latin-1") for n in ns) for ns in needles or []]
        self._path_no = {p: i for i, p in enumerate(self.paths)}
        self._needle_no = {n: i for i, n in enumerate(self.needles)}

    def path(self, p: str) -> int:
        i = self._path_no.get(p)
        if i is None:
            i = self._path_no[p] = len(self.paths)
            self.paths.append(p)
        return i

    def needle(self, n: Needles) -> int:
        i = self._needle_no.get(n)
        if i is None:
            i = self._needle_no[n] = len(self.needles)
            self.needles.append(n)
        return i

    def to_json(self) -> dict[str, Any]:
        return {"paths": self.paths, "needles": [[b.decode("latin-1") for b in n] for n in self.needles]}


def encode_node(rec: Recorder, t: Tables, findings: Any) -> str:
    """A unit as stored: observations by table number, effects, findings, as one JSON text (compact in memory: a
    repository of 60,000 Python files has as many units)."""
    answers = []
    for (path, kind, arg), ans in rec.answers.items():
        answers.append([t.path(path), kind, t.needle(arg) if isinstance(arg, tuple) else arg, ans])
    effects = []
    for e in rec.effects:
        if e[0] == "w":
            effects.append(["w", e[1], e[2], None if e[3] is None else t.path(e[3])])
        elif e[0] == "s":
            effects.append(["s", e[1], t.path(e[2])])
        elif e[0] == "r":
            effects.append(["r", t.path(e[1]), e[2]])
        else:
            effects.append(["p", t.path(e[1])])
    return json.dumps({
        "c": sorted(t.path(p) for p in rec.content),
        "a": answers,
        "m": sorted(rec.memos),
        "s": sorted([list(p), inc] for p, inc in rec.selects),
        "e": effects,
        "f": findings,
    }, separators=(",", ":"), ensure_ascii=False)


def encode_findings(found: Iterable[Finding]) -> list[Any]:
    return [codec.finding(f) for f in found]


def decode_findings(stored: list[Any]) -> list[Finding]:
    return [codec.unfinding(f) for f in stored]


def effects_ok(node: dict[str, Any], t: Tables) -> bool:
    """Does every stored effect name a path of the table (a damaged entry's index out of range is a miss, not a crash)?"""
    n = len(t.paths)
    for e in node["e"]:
        i = e[3] if e[0] == "w" else e[2] if e[0] == "s" else e[1]
        if not (i is None and e[0] == "w" or isinstance(i, int) and 0 <= i < n):
            return False
    return True


def replay_effects(index: Any, node: dict[str, Any], t: Tables) -> None:
    """Apply a stored unit's effects and selections to the index, as if it had run."""
    for patterns, include_root in node["s"]:
        index.select(tuple(patterns), include_root=include_root)
    for e in node["e"]:
        kind = e[0]
        if kind == "w":
            index.warn(e[1], e[2], None if e[3] is None else t.paths[e[3]])
        elif kind == "s":
            index.stats.skip(e[1], t.paths[e[2]])
        elif kind == "r":
            index.mark_read(t.paths[e[1]], e[2])
        else:
            index.mark_parsed(t.paths[e[1]])


def warning_effect(w: Warning_) -> Effect:
    return ("w", w.code, w.message, w.path)
