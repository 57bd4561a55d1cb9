"""The detector contract: declared metadata and a pure ``detect(index)`` that yields findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .index import FileIndex
from .model import Evidence, Finding, Source, Strength


class Detector:
    """Subclass, set ``id``/``questions``/``globs`` and a one-line docstring, implement ``detect``.

    A detector keeps no state on ``self`` and does no I/O of its own: it asks the index.
    """

    id: ClassVar[str] = ""
    questions: ClassVar[tuple[str, ...]] = ()
    globs: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ()  # the signals it can emit (documentation, `mlscan detectors`)

    def detect(self, index: FileIndex) -> Iterable[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

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
