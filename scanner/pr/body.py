"""The sticky comment's body: hidden marker, sections (one per subproject), Markdown-only sanitising of
untrusted input and cutting to the platform's size limit."""

from __future__ import annotations

import re

from ..lazyre import lazy_re

GITHUB_LIMIT = 65_536  # characters of an issue comment body
GITLAB_LIMIT = 1_000_000  # characters of a note
_ID = lazy_re(r"[^A-Za-z0-9._/-]+")
_CONTROL = lazy_re(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_COMMENT = lazy_re(r"<!--.*?(-->|$)", re.DOTALL)
_TAG = lazy_re(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?(/?)>")
_SAFE_TAGS = frozenset({"details", "summary", "sub", "sup", "br", "b", "i", "em", "strong", "code", "pre", "p", "hr", "kbd"})
_FENCE = lazy_re(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


def marker(comment_id: str = "mlscan") -> str:
    """The hidden marker that, with the author, identifies the sticky comment."""
    return f"<!-- mlscan:sticky v1 id={_ID.sub('-', comment_id) or 'mlscan'} -->"


def sanitize(text: str) -> str:
    """Untrusted Markdown (e.g. a fork's artifact) made Markdown only: control characters and HTML
    comments (so no forged marker) removed, HTML tags other than a few attribute-less formatting ones
    escaped. Code spans and fenced blocks are left as they are (GitHub shows them literally)."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    out: list[str] = []
    for is_code, seg in _segments(text):
        if is_code:
            out.append(seg)
            continue
        seg = _COMMENT.sub("", seg)
        out.append(_TAG.sub(lambda m: m.group(0) if m.group(2).lower() in _SAFE_TAGS and not m.group(3) else "&lt;" + m.group(0)[1:], seg))
    return "".join(out)


def _segments(text: str) -> list[tuple[bool, str]]:
    """(is_code, text) pieces: fenced blocks and inline code spans are code."""
    pieces: list[tuple[bool, str]] = []
    lines = text.split("\n")
    buf: list[str] = []
    fence: str | None = None
    code: list[str] = []
    for line in lines:
        m = _FENCE.match(line)
        if fence is None and m:
            if buf:
                pieces += _inline("\n".join(buf) + "\n")
                buf = []
            fence = m.group(1)
            code = [line]
        elif fence is not None:
            code.append(line)
            if line.strip().startswith(fence[0] * len(fence)) and line.strip().strip(fence[0]) == "":
                pieces.append((True, "\n".join(code) + "\n"))
                fence, code = None, []
        else:
            buf.append(line)
    if fence is not None:
        pieces.append((True, "\n".join(code) + "\n"))
    if buf:
        pieces += _inline("\n".join(buf) + "\n")
    joined = "".join(s for _, s in pieces)
    if not text.endswith("\n") and joined.endswith("\n"):
        last_code, last = pieces[-1]
        pieces[-1] = (last_code, last[:-1])
    return pieces


def _inline(text: str) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    i = 0
    for m in re.finditer(r"(`+)(.+?)(?<!`)\1(?!`)", text, re.DOTALL):
        out.append((False, text[i : m.start()]))
        out.append((True, m.group(0)))
        i = m.end()
    out.append((False, text[i:]))
    return out


def _cut(section: str, budget: int, note: str) -> str:
    """``section`` cut at a line boundary to at most ``budget`` characters, open code fences and
    ``<details>`` closed, ``note`` appended."""
    if len(section) <= budget:
        return section
    room = max(0, budget - len(note) - 40)
    head = section[:room]
    if "\n" in head:
        head = head[: head.rfind("\n") + 1]
    tail = ""
    if len(_FENCE.findall(head)) % 2:
        tail += "\n```\n"
    opened = len(re.findall(r"<details\b", head, re.IGNORECASE)) - len(re.findall(r"</details>", head, re.IGNORECASE))
    tail += "\n</details>\n" * max(0, opened)
    return head + tail + "\n" + note + "\n"


def assemble(sections: list[str], *, comment_id: str = "mlscan", limit: int = GITHUB_LIMIT, report_url: str | None = None,
             title: str = "## mlscan: ML maturity") -> str:
    """The whole comment: marker, title, sections separated by rules, at most ``limit`` characters; when
    too long, each section is cut (the long ones first) with a note pointing to the full report."""
    top = f"{marker(comment_id)}\n{title}\n\n" if title else f"{marker(comment_id)}\n"
    sep = "\n\n---\n\n"
    parts = [s.strip("\n") + "\n" for s in sections if s.strip()] or ["Nothing to report.\n"]
    body = top + sep.join(parts)
    if len(body) <= limit:
        return body
    where = f"the full report: {report_url}" if report_url else "the full report is in the workflow run's artifacts"
    note = f"*Cut to fit the comment size limit; {where}.*"
    budget = limit - len(top) - len(sep) * (len(parts) - 1) - 16
    # water-filling: short sections keep everything, the rest share what is left equally
    order = sorted(range(len(parts)), key=lambda i: len(parts[i]))
    allowed = [0] * len(parts)
    left = budget
    for k, i in enumerate(order):
        share = left // (len(order) - k)
        allowed[i] = min(len(parts[i]), share)
        left -= allowed[i]
    cut = [_cut(p, allowed[i], note) for i, p in enumerate(parts)]
    body = top + sep.join(cut)
    return body[:limit]
