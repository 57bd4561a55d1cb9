"""The detector contract: declared metadata and a pure ``detect(index)`` that yields findings."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .index import FileEntry, FileIndex
from .model import Evidence, Finding, Source, Strength


class Need:
    """One clause of a detector's gate (``Detector.needs_any``): a file matching ``globs`` that, with ``words``, mentions
    one of them (``index.mentions``) or, with ``text``, contains one (``index.contains``); neither: any such file."""

    __slots__ = ("globs", "words", "text")

    def __init__(self, globs: tuple[str, ...], words: tuple[bytes, ...] = (), text: tuple[bytes, ...] = ()) -> None:
        self.globs, self.words, self.text = tuple(globs), tuple(words), tuple(text)


def needs_of(clauses: Iterable[tuple[tuple[str, ...], tuple[bytes, ...]]]) -> tuple[Need, ...]:
    """Gate clauses from what a shared reader reads first, given as (globs, words) pairs (``ci.CI_NEEDS``,
    ``facts.ops.AUTOMATED_NEEDS``): a detector that starts from that reader needs any one of them."""
    return tuple(Need(globs, words) for globs, words in clauses)


class Detector:
    """Subclass, set ``id``/``questions``/``globs`` and a one-line docstring, implement ``detect`` (and/or
    ``wants`` + ``visit`` for per-file Python analysis in the engine's shared pass).

    A detector keeps no state on ``self`` and does no I/O of its own: it asks the index.
    """

    id: ClassVar[str] = ""
    questions: ClassVar[tuple[str, ...]] = ()
    globs: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ()  # the signals it can emit (documentation, `mlscan detectors`)

    # What the detector needs to find anything, for the detector manifest (scripts/build_manifest.py writes
    # detectors/_manifest.json): a scan imports the detector's module only when the repository holds a file matching
    # ``needs`` that, with ``needs_words``, mentions one of them (``index.mentions``) or, with ``needs_text``, contains
    # one (``index.contains``). Declare them only where the detector reads nothing and finds nothing otherwise
    # (tests/test_manifest.py checks it on every fixture); None: needed by every repository.
    needs: ClassVar[tuple[str, ...] | None] = None
    needs_words: ClassVar[tuple[bytes, ...]] = ()
    needs_text: ClassVar[tuple[bytes, ...]] = ()
    # A detector that reads several kinds of file needs any one of several such clauses (a CI file, OR a Python file
    # mentioning one of these words, OR a YAML file containing this key): ``needs_any`` lists them (``needs`` stays
    # None). tests/test_manifest.py also checks, on every fixture, that every file the detector reads or asks about
    # matches the globs of one of its clauses.
    needs_any: ClassVar[tuple[Need, ...] | None] = None

    def detect(self, index: FileIndex) -> Iterable[Finding]:
        """Findings from the whole index (everything but the shared Python pass). Implement this, ``visit``, or both."""
        return ()

    # Python analysis in the shared pass (optional). The engine walks the Python files and notebooks once, parses a
    # file once for every detector whose ``wants`` accepts it and hands the tree to each ``visit``: on a large
    # repository each parse (and each derived call list) then serves all detectors instead of being redone per
    # detector. Findings of ``visit`` come before those of ``detect``.
    def wants(self, index: FileIndex, entry: FileEntry) -> bool:
        """Cheap pre-filter (path, words; no parse): is the file worth a ``visit``?"""
        return False

    def visit(self, index: FileIndex, entry: FileEntry, tree: ast.Module | None) -> Iterable[Finding]:
        """Findings of one parsed Python file or notebook (``tree`` is None for a visitor that reads no tree)."""
        return ()

    # A visitor whose tree work is a file fact (``register_fact``, eager: derived at the file's first parse, by whichever
    # process parses it) and whose visit only finishes it (place, reach, evidence) sets this False: the pass then parses
    # a file only for the visitors that still read its tree, and hands the others None.
    visit_reads_tree: ClassVar[bool] = True

    def vocabulary(self, index: FileIndex) -> Iterable[bytes]:
        """Needles of this repository (names read from its files) that the detector will ask ``index.mentions`` about:
        registered before files are split into words, so asking reads no file again. Cheap (a few small files)."""
        return ()

    @classmethod
    def describe(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def evidence(
        self,
        index: FileIndex,
        path: str,
        line: int | None,
        *,
        end_line: int | None = None,
        snippet: str | None = None,
        strength: Strength = Strength.MEDIUM,
        source: Source = Source.DECLARED,
    ) -> Evidence:
        return Evidence(
            path=path,
            line=line,
            end_line=end_line,
            snippet=snippet if snippet is not None else index.snippet(path, line, end_line),
            detector=self.id,
            strength=strength,
            source=source,
        )

    def found(
        self,
        signal: str,
        index: FileIndex,
        path: str,
        line: int | None,
        *,
        strength: Strength = Strength.MEDIUM,
        snippet: str | None = None,
        end_line: int | None = None,
        extra: Iterable[Evidence] = (),
        attrs: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding with one evidence location (plus ``extra``), e.g. ``self.found("dvc.stage", ix, p, 3)``."""
        from types import MappingProxyType

        ev = self.evidence(index, path, line, end_line=end_line, snippet=snippet, strength=strength)
        return Finding(
            signal=signal,
            detector=self.id,
            evidence=(ev, *extra),
            attrs=MappingProxyType(dict(attrs or {})),
            strength=strength,
        )
