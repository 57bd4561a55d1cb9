"""Repository text made safe for Markdown (a pull-request comment, a wiki page): code spans and escaped prose."""

from __future__ import annotations

import re
from html import escape as html_escape
from typing import Any

from ..lazyre import lazy_re

_CONTROL = lazy_re(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MD_INLINE = lazy_re(r"([\\`*_\[\]|#!~])")


def one_line(text: Any) -> str:
    """``text`` on one line: control characters and runs of white space as one space."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def code(text: Any) -> str:
    """``text`` as one inline code span, whatever backticks it holds."""
    s = one_line(text)
    if not s:
        return "` `"
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def prose(text: Any) -> str:
    """Plain text for Markdown that may hold inline HTML: one line, ``& < >`` as entities, the other specials
    (emphasis, links, code, table pipes, headings) backslash-escaped, so nothing in it renders as markup."""
    return _MD_INLINE.sub(r"\\\1", html_escape(one_line(text or ""), quote=False))


def cell_code(text: Any) -> str:
    """A code span inside a table cell (GFM splits cells at ``|`` even inside code spans unless it is escaped)."""
    return code(text).replace("|", "\\|")
