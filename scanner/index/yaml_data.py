"""What YAML documents are made of once loaded (``LineDict``, ``LineList``: values that remember their lines) and the
checks made on a text before loading it, without PyYAML: ``formats`` re-exports them, and ``yaml_load``, the only
module that imports PyYAML, builds them."""

from __future__ import annotations

import re
from typing import Any

from ..lazyre import lazy_re


class LineDict(dict):
    """A YAML mapping that remembers the line (1-based) of itself and of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.line: int = 0
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that remembers its line and the line of each item."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.line: int = 0
        self.item_lines: list[int] = []

    def line_of(self, i: int) -> int:
        return self.item_lines[i] if i < len(self.item_lines) else self.line


MAX_YAML_ALIASES = 200
MAX_YAML_EXPANDED_NODES = 250_000  # nodes once aliases are expanded (a plain 1 MiB file stays far below)


# An anchor (``&name``) or an alias (``*name``) where the YAML grammar can place one: at the start of a line, after white
# space or a line break (PyYAML's too: NEL, LS, PS), a byte order mark, a flow indicator (``[``, ``{``, ``,``) or the
# ``:`` of a JSON-like key (``{"k":*a}``), its name made of ASCII letters, digits, ``_`` and ``-`` (all that PyYAML and
# libyaml accept in a name). Every real one matches; most ``&`` and ``*`` of real files do not (``a && b`` and ``*.py``
# in commands, ``\"`` and ``*\n`` in quoted scalars), and their documents take the direct converter.
# Written as the mark first, then what may not stand before it (a character outside that set; none at the text's start,
# and a line break is white space, so ``^`` needs no case of its own): a pattern that starts with a literal is searched
# for that character, one that starts with an alternation is tried at every position of the text (kubeflow/pipelines'
# compiled pipelines, full of ``&&`` and ``*``: 60 ms of the scanning process's YAML loads, now ~3 ms).
_NOT_BEFORE_MARK = r"[^\s\x85\u2028\u2029\ufeff\[{,:]"
_ANCHOR_MARK = lazy_re(r"&(?<!" + _NOT_BEFORE_MARK + r"&)[\w-]", re.A)
_ALIAS_MARK = lazy_re(r"\*(?<!" + _NOT_BEFORE_MARK + r"\*)[\w-]", re.A)


def may_alias(text: str) -> bool:
    """Can a YAML text hold an alias (of an anchor it defines)? False only when it cannot: no anchor, or no alias, can
    be written where ``_ANCHOR_MARK`` and ``_ALIAS_MARK`` do not look."""
    return "&" in text and "*" in text and _ANCHOR_MARK.search(text) is not None and _ALIAS_MARK.search(text) is not None
