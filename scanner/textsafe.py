"""Text from a scanned repository, made safe for every report format.

File names and contents are untrusted: a name may hold bytes that are not UTF-8 (the index keeps them as lone
surrogates, ``surrogateescape``), control characters or terminal escape sequences. Every reporter shows them one
way: an undecodable byte or a control character becomes ``\\xNN`` (``caf\\xc3.py``, ``new\\x0aline.yml``), so each
format is valid in its own encoding and a terminal never receives an escape sequence from a repository.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .lazyre import lazy_re

ELLIPSIS = "…"
# lone surrogates (undecodable bytes), C0 controls, DEL and C1 controls, and the invisible characters that reorder or
# hide text (bidirectional overrides, zero-width characters, line/paragraph separators: "Trojan Source" names);
# ``keep`` below decides about tab and newline
_UNSAFE = lazy_re("[\ud800-\udfff\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# ANSI/VT100 sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-character ESC sequences
_ANSI = lazy_re(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # an undecodable byte, as surrogateescape keeps it
        return f"\\x{c - 0xDC00:02x}"
    if c > 0xFF:
        return f"\\u{c:04x}"
    return f"\\x{c:02x}"


def printable(text: str, keep: str = "") -> str:
    """Text from a repository (a message, a snippet) with undecodable bytes and control characters (except those in
    ``keep``, e.g. ``"\\n\\t"``) written as ``\\xNN``; terminal escape sequences are dropped first."""
    if text.isascii() and text.isprintable():
        return text
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return _UNSAFE.sub(_escape, text)


def display_path(path: str) -> str:
    """A repository path as every format shows it: each undecodable byte and control character (an escape sequence's
    ESC too) as ``\\xNN``, nothing dropped, so two odd names never show the same."""
    if path.isascii() and path.isprintable():
        return path
    return _UNSAFE.sub(_escape, path)


def truncate(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """At most ``limit`` characters, ending in ``marker`` when cut. Never splits a character, a surrogate pair or an
    ``\\xNN``/``\\uNNNN`` escape written by :func:`printable`."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(marker))
    head = text[:cut]
    if head and "\ud800" <= head[-1] <= "\udbff":  # a high surrogate without its low half
        head = head[:-1]
    tail = head[-6:]
    slash = tail.rfind("\\")
    if slash >= 0 and re.fullmatch(r"\\(x[0-9a-f]{0,1}|u[0-9a-f]{0,3})", tail[slash:]):
        head = head[: len(head) - len(tail) + slash]  # an escape cut short: drop it whole
    return head + marker


PATH_KEYS = frozenset({"path", "root", "subdir", "examples", "paths", "config"})


def clean_tree(value: Any, keep: str = "\n\t", path: bool = False) -> Any:
    """A JSON-like value with every string passed through :func:`printable` (values of PATH_KEYS through
    :func:`display_path`), mapping keys too."""
    if isinstance(value, str):
        return display_path(value) if path else printable(value, keep)
    if isinstance(value, Mapping):
        return {(printable(k) if isinstance(k, str) else k): clean_tree(v, keep, k in PATH_KEYS) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v, keep, path) for v in value]
    return value


def first_line(snippet: str) -> str:
    """A snippet's first non-blank line, stripped (the cited line itself: snippets start at it)."""
    return next((ln.strip() for ln in snippet.splitlines() if ln.strip()), "")


def more(count: int) -> str:
    """``…and 9,990 more``: what a capped list left out."""
    return f"{ELLIPSIS}and {count:,} more"
