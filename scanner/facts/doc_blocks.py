"""A small block reader for Markdown and reStructuredText documentation.

Enough structure for documentation detectors: headings (ATX, setext, RST underlines), fenced /
indented / directive code blocks, list items and paragraphs, each with 1-based line numbers, grouped
into sections. Code inside a fence never becomes a heading; HTML comments (commented-out text) and
front matter are dropped. No inline rendering, no HTML, no dependency. Input is untrusted text.
"""

from __future__ import annotations

import re
from typing import Any

from ..agent_docs import agent_instructions
from ..lazyre import lazy_re
from ..valueclass import Value, setfield

HEADING, CODE, LIST, TEXT = "heading", "code", "list", "text"
# info strings of code blocks that hold shell commands ("" = no language given)
SHELL_LANGS = frozenset(
    {
        "", "sh", "bash", "shell", "console", "shell-session", "shellsession", "sh-session", "zsh", "fish",
        "terminal", "powershell", "ps1", "pwsh", "ps", "cmd", "bat", "batch", "bash-session", "ksh",
    }
)


class Block(Value, frozen=True):
    """One block of a Markdown/reST/AsciiDoc document: a heading, a code block, a list item or a paragraph."""

    kind: str  # heading | code | list | text
    line: int  # 1-based first line (the fence / directive line for code)
    end_line: int
    text: str  # heading title, list item / paragraph text, or the code body (dedented)
    level: int  # heading level, 1 = top
    lang: str  # code: first word of the info string or directive argument, lower-case
    body_line: int  # code: line of the first body line
    ordered: bool  # list: a numbered item

    _fields = ("kind", "line", "end_line", "text", "level", "lang", "body_line", "ordered")
    __slots__ = _fields

    def __init__(
        self,
        kind: str,
        line: int,
        end_line: int,
        text: str,
        level: int = 0,
        lang: str = "",
        body_line: int = 0,
        ordered: bool = False,
    ) -> None:
        setfield(self, "kind", kind)
        setfield(self, "line", line)
        setfield(self, "end_line", end_line)
        setfield(self, "text", text)
        setfield(self, "level", level)
        setfield(self, "lang", lang)
        setfield(self, "body_line", body_line)
        setfield(self, "ordered", ordered)

    @property
    def is_shell(self) -> bool:
        # an unlabelled block that is a YAML listing (a CI workflow pasted into a README: ``name: Deploy``, ``on:``,
        # ``jobs:``), or a configuration written in braces (HCL's ``terraform {``, a JSON object), shows a configuration,
        # not commands to type
        return self.kind == CODE and self.lang in SHELL_LANGS and not (
            not self.lang and (_yaml_listing(self.text) or _brace_listing(self.text)))


_YAML_KEY = lazy_re(r"^\s*(?:-\s+)?[A-Za-z_][\w.-]*:(?:\s|$)")


def _yaml_listing(text: str) -> bool:
    """The block starts with a YAML key and has another key line: a configuration file shown, not shell commands."""
    lines = [ln for ln in text.split("\n")[:200] if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and bool(_YAML_KEY.match(lines[0][:300])) and sum(1 for ln in lines[1:] if _YAML_KEY.match(ln[:300])) >= 1


# the first line of a configuration written in braces: an HCL block (``terraform {``, ``resource "aws_s3_bucket" "b" {``,
# ``locals {``), an assignment opening an object (``variable = {``) or a JSON document (``{``, ``[``); a shell function
# (``deploy() {``, ``function deploy {``) is a command listing
BRACE_OPENER = lazy_re(r"""^(?!function\s)(?:[A-Za-z_][\w.-]*|"[^"\n]*")(?:\s+(?:[A-Za-z_][\w.-]*|"[^"\n]*"))*\s*(?:=\s*)?\{\s*$""")


def _brace_listing(text: str) -> bool:
    """The block's first line opens a configuration in braces (HCL or JSON): a configuration shown, not shell commands."""
    first = next((ln.strip() for ln in text.split("\n")[:200] if ln.strip() and not ln.lstrip().startswith(("#", "//"))), "")
    return first in ("{", "[") or bool(BRACE_OPENER.match(first[:300]))


# a heading over work not done yet ("TODO:", "Roadmap", "Backlog", "Future work", "Wishlist"): its numbered items and
# checkboxes are plans, not steps to follow nor procedures the project has
_PLANNED = lazy_re(r"\b(todo|to[\s-]do|roadmap|backlog|future[\s-](work|plans?|improvements?|features?|scope)|wish[\s-]?list|"
                   r"planned[\s-](features?|work|improvements?|changes)|not yet implemented|work in progress|wip)\b", re.IGNORECASE)


def planned(trail: tuple[str, ...] | list[str]) -> bool:
    """A section under a heading for work not done yet (``# TODO:`` > ..., "Roadmap", "Future work")."""
    return any(_PLANNED.search(t) for t in trail)


class Section(Value, frozen=True):
    """A heading and the blocks under it, up to the next heading of any level."""

    title: str  # "" for the preamble before the first heading
    level: int  # 0 for the preamble
    line: int
    trail: tuple[str, ...]  # titles from the top heading down to this one
    blocks: tuple[Block, ...]  # the blocks up to the next heading of any level

    _fields = ("title", "level", "line", "trail", "blocks")
    __slots__ = _fields

    def __init__(self, title: str, level: int, line: int, trail: tuple[str, ...], blocks: tuple[Block, ...]) -> None:
        setfield(self, "title", title)
        setfield(self, "level", level)
        setfield(self, "line", line)
        setfield(self, "trail", trail)
        setfield(self, "blocks", blocks)


class Document(Value, frozen=True):
    """A parsed prose document: its blocks in order and the sections they fall into."""

    blocks: tuple[Block, ...]
    sections: tuple[Section, ...]

    _fields = ("blocks", "sections")

    def __init__(self, blocks: tuple[Block, ...], sections: tuple[Section, ...] = ()) -> None:
        setfield(self, "blocks", blocks)
        setfield(self, "sections", sections)

    def subtree(self, i: int) -> tuple[Section, ...]:
        """Section ``i`` and the deeper sections that follow it."""
        head = self.sections[i]
        out = [head]
        for s in self.sections[i + 1 :]:
            if head.level and s.level <= head.level:
                break
            if not head.level and s.level:
                break
            out.append(s)
        return tuple(out)

    @property
    def title(self) -> str:
        return next((s.title for s in self.sections if s.level), "")


def parse(text: str, path: str = "") -> Document:
    """Blocks and sections of a Markdown (default), reStructuredText (``.rst``) or AsciiDoc (``.adoc``) document."""
    low = path.lower()
    if low.endswith((".rst", ".rest")):
        blocks = _parse_rst(text)
    elif low.endswith((".adoc", ".asciidoc")):
        blocks = _parse_markdown(_asciidoc_as_markdown(text))
    else:
        blocks = _parse_markdown(text)
    return Document(tuple(blocks), tuple(_sections(blocks)))


_ADOC_HEADING = lazy_re(r"^(={1,6})\s+(\S.*)$")
_ADOC_SOURCE = lazy_re(r"^\[(?:source|listing)(?:,\s*([\w+-]+))?[^\]]*\]\s*$")
_ADOC_ORDERED = lazy_re(r"^(\.{1,5})\s+(\S.*)$")
_ADOC_DROP = lazy_re(r"^(//(?!/).*|:[\w-]+:.*|\[\[[^\]]*\]\]|\[[\w#.%,=\" -]*\])\s*$")


def _asciidoc_as_markdown(text: str) -> str:
    """An AsciiDoc page rewritten line for line as Markdown the Markdown reader understands (line numbers kept):
    ``== Title`` headings, ``[source,bash]`` + ``----`` listing blocks and ``....`` literal blocks as fences,
    ``. item`` ordered list items; comment lines and blocks (``//``, ``////``), attribute entries (``:toc:``),
    anchors and block attributes become blank lines."""
    out: list[str] = []
    fence: str | None = None  # the delimiter of the open listing/literal block
    lang = ""
    in_comment = False
    for line in text.splitlines():
        s = line.rstrip()
        if in_comment:
            in_comment = s != "////"
            out.append("")
            continue
        if fence is not None:
            if s == fence:
                fence = None
                out.append("```")
            else:
                out.append(line)
            continue
        if s == "////":
            in_comment = True
            out.append("")
            continue
        if s in ("----", "...."):
            fence = s
            out.append("```" + lang)
            lang = ""
            continue
        m = _ADOC_SOURCE.match(s)
        if m:
            lang = (m.group(1) or "").lower()
            out.append("")
            continue
        if _ADOC_DROP.match(s):
            out.append("")
            continue
        h = _ADOC_HEADING.match(s)
        if h:
            out.append("#" * len(h.group(1)) + " " + h.group(2))
            continue
        o = _ADOC_ORDERED.match(s)
        if o:
            out.append("   " * (len(o.group(1)) - 1) + "1. " + o.group(2))
            continue
        out.append(line)
    return "\n".join(out)


def _sections(blocks: list[Block]) -> list[Section]:
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    title, level, line, trail = "", 0, 1, ()
    current: list[Block] = []
    for b in blocks:
        if b.kind == HEADING:
            out.append(Section(title, level, line, trail, tuple(current)))
            while stack and stack[-1][0] >= b.level:
                stack.pop()
            stack.append((b.level, b.text))
            title, level, line, trail = b.text, b.level, b.line, tuple(t for _, t in stack)
            current = []
        else:
            current.append(b)
    out.append(Section(title, level, line, trail, tuple(current)))
    return out


# ---------------------------------------------------------------------- shell commands

_PROMPT = lazy_re(
    r"^\s*(?:\([\w.@-]+\)\s*)?(?:[\w.-]+@[\w.-]+(?::\S*)?\s*)?(?:\$|%|PS(?: [^>]*)?>|[A-Za-z]:\\[^>]*>|>(?!>))\s+(?P<cmd>.*)$"
)


def commands(block: Block) -> list[tuple[int, str]]:
    """Shell commands in a code block as ``(line, command)``: prompts stripped (when a block uses
    prompts, unprompted lines are output), comments and blank lines dropped, ``\\`` continuations
    joined."""
    if block.kind != CODE:
        return []
    lines = block.text.split("\n")
    prompted = [_prompt(ln) for ln in lines]
    use_prompt = any(p is not None for p in prompted)
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        cmd = prompted[i] if use_prompt else lines[i].strip()
        start = block.body_line + i
        i += 1
        if not cmd or cmd.startswith(("#", "//", "REM ", "::")):
            continue
        while cmd.endswith("\\") and i < len(lines):
            cmd = cmd[:-1].rstrip() + " " + lines[i].strip()
            i += 1
        out.append((start, cmd.strip()))
    return out


def comments(block: Block) -> list[tuple[int, str]]:
    """``# comment`` lines of a shell code block (they often title the command below them)."""
    if block.kind != CODE:
        return []
    return [
        (block.body_line + i, ln.strip().lstrip("#").strip())
        for i, ln in enumerate(block.text.split("\n"))
        if ln.strip().startswith("#") and not ln.strip().startswith("#!")
    ]


def _prompt(line: str) -> str | None:
    m = _PROMPT.match(line)
    return m.group("cmd").strip() if m else None


# ---------------------------------------------------------------------- Markdown

_FENCE = lazy_re(r"^(?P<ind>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATX = lazy_re(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = lazy_re(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = lazy_re(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = lazy_re(r"^(?P<ind>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)])(?P<sp>[ \t]+|$)(?P<rest>.*)$")
_COMMENT_INLINE = lazy_re(r"<!--.*?-->")
# ``<summary>Install</summary>`` (inline tags such as ``<b>`` around the title allowed) on a line of its own
_SUMMARY = lazy_re(r"^ {0,3}(?:<details[^>]*>\s*)?<summary[^>]*>(?:\s*<[a-z0-9]+>)*\s*([^<>]{1,120}?)\s*(?:</[a-z0-9]+>\s*)*</summary>\s*$", re.IGNORECASE)


def _indent(s: str) -> int:
    n = 0
    for ch in s:
        if ch == " ":
            n += 1
        elif ch == "\t":
            n += 4 - n % 4
        else:
            break
    return n


def _dedent(s: str, n: int) -> str:
    i = 0
    col = 0
    while i < len(s) and col < n and s[i] in " \t":
        col += 1 if s[i] == " " else 4 - col % 4
        i += 1
    return s[i:]


def _lang(info: str) -> str:
    word = info.strip().split()[0] if info.strip() else ""
    return word.strip("{}").lstrip(".").split(",")[0].lower()


class _Md:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.para: list[tuple[int, str]] = []
        self.item: tuple[int, list[str], bool, int] | None = None  # (line, texts, ordered, end)
        self.code: list[tuple[int, str]] = []
        self.list_indent: int | None = None

    def flush_para(self) -> None:
        if self.para:
            self.blocks.append(Block(TEXT, self.para[0][0], self.para[-1][0], " ".join(t.strip() for _, t in self.para)))
            self.para = []

    def flush_item(self) -> None:
        if self.item:
            line, texts, ordered, end = self.item
            self.blocks.append(Block(LIST, line, end, " ".join(t.strip() for t in texts), ordered=ordered))
            self.item = None

    def flush_code(self) -> None:
        while self.code and not self.code[-1][1].strip():
            self.code.pop()
        if self.code:
            first = self.code[0][0]
            self.blocks.append(Block(CODE, first, self.code[-1][0], "\n".join(t for _, t in self.code), body_line=first))
        self.code = []

    def flush(self) -> None:
        self.flush_para()
        self.flush_item()
        self.flush_code()


# ---------------------------------------------------------------------- HTML inside Markdown

# READMEs written in HTML block tags (GitHub renders them): headings, ordered/unordered lists, preformatted blocks
_HTML_BLOCKS = lazy_re(r"(?i)<(?:h[1-6]|li|pre)\b")
_HTML_HEADING = lazy_re(r"(?i)^ {0,3}<h([1-6])\b[^>]*>(.*?)</h\1\s*>\s*$")
_HTML_LIST = lazy_re(r"(?i)^\s*<(/?)(ol|ul)\b[^>]*>\s*$")
_HTML_ITEM = lazy_re(r"(?i)^(\s*)<li\b[^>]*>(.*)$")
_HTML_PRE_OPEN = lazy_re(r"(?i)^ {0,3}<pre\b[^>]*>\s*(?:<code\b[^>]*>)?\s*$")
_HTML_PRE_CLOSE = lazy_re(r"(?i)^\s*(?:</code>)?\s*</pre>\s*$")
_HTML_PRE_LINE = lazy_re(r"(?i)^ {0,3}<pre\b[^>]*>\s*(?:<code\b[^>]*>)?(.*?)(?:</code>)?\s*</pre>\s*$")
_HTML_CODE = lazy_re(r"(?i)<(code|kbd|tt|samp)\b[^>]*>(.*?)</\1>")
_HTML_EMPH = lazy_re(r"(?i)<(i|em)\b[^>]*>(.*?)</\1>")
_HTML_TAG = lazy_re(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'", "&nbsp;": " "}
_ENTITY = lazy_re(r"&(?:lt|gt|amp|quot|#39|nbsp);")
_CODE_SPAN = lazy_re(r"(`[^`\n]*`)")
_SPAN_TOKEN = lazy_re(r"\x00(\d+)\x00")


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def _inline_html(text: str, item: bool) -> str:
    """Inline HTML as Markdown: ``<code>``/``<kbd>`` spans become code spans, and so do ``<i>``/``<em>`` spans of a
    list item (a step list that writes its commands in italics: "Run <i>prefect deploy</i>"); other tags are dropped."""
    parts = _CODE_SPAN.split(text)  # Markdown code spans (odd parts) are kept as written: ``docker run <image>``
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:  # the span's text, tags dropped and entities decoded, set aside as code
        spans.append(f"`{_unescape(_HTML_TAG.sub('', m.group(2))).strip()}`")
        return f"\x00{len(spans) - 1}\x00"

    for i in range(0, len(parts), 2):
        t = _HTML_CODE.sub(keep, parts[i].replace("\x00", ""))
        if item:
            t = _HTML_EMPH.sub(keep, t)
        t = _unescape(_HTML_TAG.sub("", t))
        parts[i] = _SPAN_TOKEN.sub(lambda m: spans[int(m.group(1))], t)
    return "".join(parts)


def _html_as_markdown(lines: list[str]) -> list[str]:
    """The same lines (one for one, so line numbers hold) with HTML block tags written as Markdown: ``<h3>Setup</h3>``
    a heading, ``<ol><li>`` numbered items (``<ul>`` bullets), ``<pre>`` a fenced block, ``<code>`` a code span.
    Fenced code is left as it is."""
    out: list[str] = []
    lists: list[str] = []
    fence: str | None = None  # the fence of a Markdown code block being copied
    pre = False
    for raw in lines:
        m = _FENCE.match(raw)
        if fence is not None:
            out.append(raw)
            if m and m.group("fence")[0] == fence[0] and len(m.group("fence")) >= len(fence) and not m.group("info").strip():
                fence = None
            continue
        if pre:
            if _HTML_PRE_CLOSE.match(raw):
                out.append("```")
                pre = False
            else:
                out.append(_unescape(_HTML_TAG.sub("", raw)))
            continue
        if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
            fence = m.group("fence")
            out.append(raw)
            continue
        if not lists and _indent(raw) >= 4:  # an indented code block (or a paragraph's continuation): as written
            out.append(raw)
            continue
        if _HTML_PRE_OPEN.match(raw):
            out.append("```")
            pre = True
            continue
        one = _HTML_PRE_LINE.match(raw)
        if one:
            body = _unescape(_HTML_TAG.sub("", one.group(1))).strip()
            out.append(f"`{body}`" if body else "")
            continue
        h = _HTML_HEADING.match(raw)
        if h:
            out.append("#" * int(h.group(1)) + " " + _unescape(_HTML_TAG.sub("", h.group(2))).strip())
            continue
        lm = _HTML_LIST.match(raw)
        if lm and (lists or _indent(raw) <= 3):  # (indented 4 or more outside a list: an indented code block)
            if lm.group(1):
                if lists:
                    lists.pop()
            else:
                lists.append(lm.group(2).lower())
            out.append("")
            continue
        it = _HTML_ITEM.match(raw)
        if it and lists:
            marker = "1." if lists[-1] == "ol" else "-"
            out.append(f"{'  ' * (len(lists) - 1)}{marker} {_inline_html(it.group(2), True).strip()}")
            continue
        if "<" in raw and ">" in raw or "&" in raw:
            out.append(_inline_html(raw, bool(lists)))
        else:
            out.append(raw)
    return out


def _parse_markdown(text: str) -> list[Block]:
    lines = text.splitlines()
    if _HTML_BLOCKS.search(text):
        lines = _html_as_markdown(lines)
    st = _Md()
    i = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for j in range(1, min(len(lines), 300)):
            if lines[j].strip() in ("---", "..."):
                i = j + 1
                break
    in_comment = False
    prev_blank = True
    while i < len(lines):
        raw = lines[i]
        ln = i + 1
        i += 1
        # HTML comments hide text (commented-out instructions are not instructions)
        if in_comment:
            if "-->" not in raw:
                continue
            raw = raw.split("-->", 1)[1]
            in_comment = False
        if "<!--" in raw:
            raw = _COMMENT_INLINE.sub("", raw)
            if "<!--" in raw:
                raw, in_comment = raw.split("<!--", 1)[0], True
        line = raw.rstrip()
        if not line.strip():
            if st.code:
                st.code.append((ln, ""))
            else:
                st.flush_para()
            prev_blank = True
            continue
        ind = _indent(line)
        m = _FENCE.match(line)
        if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
            st.flush()
            if st.list_indent is not None and ind < st.list_indent:
                st.list_indent = None
            fch, flen, find = m.group("fence")[0], len(m.group("fence")), _indent(m.group("ind"))
            body: list[str] = []
            end = ln
            while i < len(lines):
                nxt = lines[i]
                i += 1
                end = i
                s = nxt.strip()
                if s and set(s) == {fch} and len(s) >= flen:
                    break
                body.append(_dedent(nxt, find))
            else:
                end = len(lines)
            st.blocks.append(Block(CODE, ln, end, "\n".join(body).rstrip("\n"), lang=_lang(m.group("info")), body_line=ln + 1))
            prev_blank = False
            continue
        # indented code (outside a list, or indented past the list item's content)
        code_col = 4 if st.list_indent is None else st.list_indent + 4
        after_heading = bool(st.blocks) and st.blocks[-1].kind == HEADING and st.item is None
        if ind >= code_col and (st.code or (not st.para and (prev_blank or after_heading))):
            if not st.code:
                st.flush_item()
            st.code.append((ln, _dedent(line, code_col)))
            prev_blank = False
            continue
        st.flush_code()
        h = _ATX.match(line)
        if h:
            st.flush()
            st.list_indent = None
            st.blocks.append(Block(HEADING, ln, ln, (h.group(2) or "").strip(), level=len(h.group(1))))
            prev_blank = False
            continue
        sm = _SUMMARY.match(line)
        if sm and sm.group(1).strip():
            # a collapsible section's ``<summary>Install</summary>`` titles what it folds: a heading below the one above it
            st.flush()
            st.list_indent = None
            st.blocks.append(Block(HEADING, ln, ln, sm.group(1).strip(), level=6))
            prev_blank = False
            continue
        s = _SETEXT.match(line)
        if s and st.para and st.item is None:
            first = st.para[0][0]
            title = " ".join(t.strip() for _, t in st.para)
            st.para = []
            st.blocks.append(Block(HEADING, first, ln, title, level=1 if s.group(1)[0] == "=" else 2))
            st.list_indent = None
            prev_blank = False
            continue
        if _BREAK.match(line):
            st.flush()
            st.list_indent = None
            prev_blank = False
            continue
        it = _ITEM.match(line)
        if it and (it.group("rest").strip() or not st.para):
            st.flush()
            sp = len(it.group("sp").expandtabs(4))
            marker = it.group("marker")
            st.list_indent = _indent(it.group("ind")) + len(marker) + (sp if 0 < sp <= 4 else 1)
            st.item = (ln, [it.group("rest")], marker[0].isdigit(), ln)
            prev_blank = False
            continue
        if st.item is not None and (not prev_blank or (st.list_indent is not None and ind >= st.list_indent)):
            line0, texts, ordered, _ = st.item
            texts.append(line)
            st.item = (line0, texts, ordered, ln)
            prev_blank = False
            continue
        if st.list_indent is not None and ind < st.list_indent:
            st.list_indent = None
        st.flush_item()
        st.para.append((ln, line))
        prev_blank = False
    st.flush()
    return st.blocks


# ---------------------------------------------------------------------- reStructuredText

_RST_ADORN = lazy_re(r"""^([=\-~^"'`#*+:._<>!$%&,;/?@\\|])\1{2,}\s*$""")
_RST_CODE = lazy_re(r"^(?P<ind>\s*)\.\.\s+(?:code-block|code|sourcecode|prompt)::\s*(?P<lang>\S*)")
_RST_DIRECTIVE = lazy_re(r"^\s*\.\.\s+[\w:-]+::")
_RST_COMMENT = lazy_re(r"^(?P<ind>\s*)\.\.(?:\s|$)")
_RST_ITEM = lazy_re(r"^\s*(?P<marker>[-*+\u2022]|\d{1,9}[.)]|#\.|\(\d{1,9}\))\s+(?P<rest>\S.*)$")
_RST_OPTION = lazy_re(r"^\s+:[\w-]+:")


def _parse_rst(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    styles: list[tuple[str, bool]] = []
    para: list[tuple[int, str]] = []
    literal_next = False

    def flush_para() -> None:
        nonlocal para, literal_next
        if para:
            body = " ".join(t.strip() for _, t in para)
            item = _RST_ITEM.match(para[0][1])
            if item:
                rest = " ".join([item.group("rest")] + [t.strip() for _, t in para[1:]])
                blocks.append(Block(LIST, para[0][0], para[-1][0], rest, ordered=item.group("marker")[0] not in "-*+\u2022"))
            else:
                blocks.append(Block(TEXT, para[0][0], para[-1][0], body))
            literal_next = body.endswith("::")
            para = []

    def level(style: tuple[str, bool]) -> int:
        if style not in styles:
            styles.append(style)
        return styles.index(style) + 1

    def indented_body(start: int, base: int) -> tuple[list[str], int]:
        """Lines after ``start`` (0-based) that are blank or indented past ``base``; returns the body
        (dedented, trailing blanks dropped) and the index after it."""
        j = start
        body: list[str] = []
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
            body.append(lines[j])
            j += 1
        while body and not body[-1].strip():
            body.pop()
            j -= 1
        while body and not body[0].strip():
            body.pop(0)
        cut = min((_indent(b) for b in body if b.strip()), default=0)
        return [_dedent(b, cut) for b in body], j

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        ln = i + 1
        if not line.strip():
            flush_para()
            i += 1
            continue
        # over- and underlined title
        if _RST_ADORN.match(line) and i + 2 < len(lines) and lines[i + 1].strip() and lines[i + 2].rstrip() == line and not para:
            blocks.append(Block(HEADING, ln + 1, ln + 2, lines[i + 1].strip(), level=level((line[0], True))))
            i += 3
            continue
        # underlined title: one paragraph line followed by an adornment
        if (
            i + 1 < len(lines)
            and not para
            and not line[0].isspace()
            and _RST_ADORN.match(lines[i + 1].rstrip())
            and len(lines[i + 1].rstrip()) >= min(len(line.strip()), 3)
            and not _RST_ADORN.match(line)
        ):
            blocks.append(Block(HEADING, ln, ln + 1, line.strip(), level=level((lines[i + 1].strip()[0], False))))
            i += 2
            continue
        c = _RST_CODE.match(line)
        if c:
            flush_para()
            j = i + 1
            while j < len(lines) and _RST_OPTION.match(lines[j]):
                j += 1
            body, nxt = indented_body(j, _indent(c.group("ind")))
            first = next((k + 1 for k in range(j, nxt) if lines[k].strip()), ln + 1)
            blocks.append(Block(CODE, ln, max(nxt, ln), "\n".join(body), lang=c.group("lang").lower(), body_line=first))
            literal_next = False
            i = max(nxt, i + 1)
            continue
        if _RST_COMMENT.match(line) and not _RST_DIRECTIVE.match(line):
            flush_para()
            _, nxt = indented_body(i + 1, _indent(line))
            i = max(nxt, i + 1)  # comments and their indented bodies are not text
            continue
        if literal_next and not para and _indent(line) > 0:
            body, nxt = indented_body(i, 0)
            blocks.append(Block(CODE, ln, nxt, "\n".join(body), body_line=ln))
            literal_next = False
            i = nxt
            continue
        if _RST_DIRECTIVE.match(line):
            flush_para()
            literal_next = False
            i += 1
            continue
        if para and _RST_ITEM.match(line):
            flush_para()
        literal_next = False
        para.append((ln, line))
        i += 1
    flush_para()
    return blocks


# ---------------------------------------------------------------------- documentation in a scan

# not documentation a newcomer or an operator follows: history, legal, community and AI-agent files
_NOT_DOCS = lazy_re(
    r"(^|/)(changelog|changes|history|news|releases|release[-_]notes|license|licence|copying|notice|authors|"
    r"contributors|code[-_]of[-_]conduct|security|support|citation|agents|claude|gemini|copilot-instructions|"
    r"pull_request_template|issue_template|decisions?|adr[-_]?\d[\w-]*)(\.[\w.]+)?$|(^|/)(\.kiro|\.gemini|\.claude|\.cursor|\.windsurf|"
    r"\.github/ISSUE_TEMPLATE|\.github/PULL_REQUEST_TEMPLATE|tests?|fixtures?|testdata|"
    # design notes and decision records describe a practice someone chose, they are not the procedure a reader follows
    r"adrs?|decisions|design|rfcs?|proposals)/",
    re.IGNORECASE,
)
DOC_GLOBS = ("**/*.md", "**/*.markdown", "**/*.rst", "**/*.mdx", "**/*.adoc", "**/*.asciidoc", "**/README", "**/README.txt")


def project_docs(index: Any) -> list[tuple[Any, str]]:
    """The project's documentation files as ``(entry, where)``, where is ``readme`` (the project's
    top README), ``docs`` (under docs/, doc/ or documentation/) or ``guide`` (any other page)."""
    sub = index.target.subdir
    out: list[tuple[Any, str]] = []
    for e in index.select(DOC_GLOBS, include_root=False):
        rel = e.vpath[len(sub) + 1 :] if sub and e.vpath.startswith(sub + "/") else e.vpath
        if _NOT_DOCS.search(rel) or agent_instructions(rel):
            continue
        if "/" not in rel and rel.lower().startswith("readme"):
            where = "readme"
        elif rel.split("/", 1)[0].lower() in ("docs", "doc", "documentation") or "/docs/" in rel.lower():
            where = "docs"
        else:
            where = "guide"
        out.append((e, where))
    order = {"readme": 0, "docs": 1, "guide": 2}
    out.sort(key=lambda t: (order[t[1]], t[0].path.count("/"), t[0].path))
    return out


def document(index: Any, path: str) -> Document:
    """The parsed document at ``path``, read through the index and cached for the scan."""
    return index.file_memo("markdown", path, lambda: parse(index.text(path) or "", path))  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- what a documented command does

INSTALL, RUN, ENV = "install", "run", "env"
_SETUP_TARGET = lazy_re(r"^(install|setup|set-up|init|bootstrap|env|venv|deps|dependencies|requirements|dev|develop|prepare|sync)([-_:].*)?$")
_SETUP_SCRIPT = lazy_re(r"(setup|install|bootstrap|init|prepare)[\w.-]*\.(sh|bash|ps1|py)$")
_WRAP = {"sudo", "time", "nohup", "env", "exec", "command", "caffeinate"}
_ENV_HEADS = {
    "cd", "export", "set", "setx", "unset", "source", ".", "virtualenv", "pyenv", "mkdir", "cp", "mv", "rm", "touch", "echo",
    "cat", "ls", "pwd", "tree", "chmod", "chown", "unzip", "tar", "curl", "wget", "git", "gh", "open", "code", "vim", "nano",
    "activate", "deactivate", "conda-activate", "clear", "sleep", "which", "ssh", "scp", "head", "tail", "grep", "http",
}
_PKG_INSTALL = {
    "pip": {"install"}, "pip3": {"install"}, "pipx": {"install"}, "poetry": {"install", "add"}, "pipenv": {"install", "sync"},
    "pdm": {"install", "sync"}, "uv": {"sync", "pip", "add", "tool"}, "rye": {"sync"}, "hatch": {"env"}, "pixi": {"install"},
    "conda": {"install", "env"}, "mamba": {"install", "env"}, "micromamba": {"install", "env"}, "npm": {"install", "ci", "i"},
    "yarn": {"install"}, "pnpm": {"install"}, "dvc": {"pull", "fetch", "checkout"}, "pre-commit": {"install"},
    "mise": {"install"}, "asdf": {"install"}, "brew": {"install"}, "apt-get": {"install"}, "apt": {"install"}, "yum": {"install"},
    "bundle": {"install"}, "renv": {"restore"}, "lefthook": {"install"}, "git-lfs": {"pull"},
}
_RUN_HEADS = {
    "docker", "docker-compose", "podman", "nerdctl", "kubectl", "helm", "terraform", "tofu", "az", "gcloud", "aws", "databricks",
    "kedro", "dagster", "airflow", "prefect", "zenml", "mlflow", "uvicorn", "gunicorn", "streamlit", "flask", "fastapi", "jupyter",
    "papermill", "pytest", "ray", "anyscale", "minikube", "kind", "k3d", "skaffold", "kustomize", "argo", "bentoml", "cog", "sam",
    "cdk", "serverless", "sls", "pulumi", "rscript", "julia", "spark-submit", "sbt", "mvn", "gradle", "node", "tox", "nox", "invoke",
    "inv", "just", "task", "make", "gmake", "dvc", "cml", "wandb", "kfp", "sagemaker", "modal", "bash", "sh", "zsh", "pwsh",
    "powershell", "tensorboard", "accelerate", "torchrun", "deepspeed", "lightning", "huggingface-cli", "flyte", "pyflyte",
    "metaflow", "luigi", "cargo", "go", "java", "mlops", "azd", "eksctl", "k9s", "ansible-playbook", "vagrant",
}
_PY = lazy_re(r"^(python[\d.]*|py|ipython)$")
# what shlex.split(..., comments=True) treats differently from str.split(): quotes, escapes, comments ('#' anywhere
# in a word), and whitespace other than shlex's own (str.split also splits at \v, \f, NBSP ...)
_SHLEX_SPECIAL = lazy_re(r"['\"\\#]|[^\S \t\r\n]")


def classify(command: str) -> str | None:
    """What a documented shell command does: ``install`` (dependencies, data pulls, setup targets),
    ``run`` (runs, builds, tests, deploys the project), ``env`` (shell chores: cd, export, git clone,
    venv creation) or None (unknown: possibly program output)."""
    if _SHLEX_SPECIAL.search(command):
        import shlex

        try:
            words = shlex.split(command, comments=True)
        except ValueError:
            words = command.split()
    else:  # no quote, escape or comment, no whitespace but shlex's own: shlex would split it like this (~40x faster)
        words = command.split()
    while words and (words[0] in _WRAP or ("=" in words[0] and not words[0].startswith("-"))):
        words = words[1:]
    if not words:
        return None
    head = words[0].rsplit("/", 1)[-1].lower()
    rest = [w for w in words[1:] if not w.startswith("-")]
    sub = rest[0].lower() if rest else ""
    if _PY.match(head):
        mod = words[words.index("-m") + 1] if "-m" in words[:-1] else ""
        if mod in ("pip", "pip3") or (sub == "setup.py" and len(rest) > 1 and rest[1] in ("install", "develop")):
            return INSTALL
        if mod in ("venv", "virtualenv", "ensurepip") or (not mod and not rest and "-c" not in words):
            return ENV
        return RUN
    if head in ("conda", "mamba", "micromamba") and sub == "create":
        pkgs = [w for w in words[2:] if not w.startswith("-")]
        opts_with_value = {"-n", "--name", "-p", "--prefix", "-c", "--channel"}
        values = {words[i + 1] for i, w in enumerate(words[:-1]) if w in opts_with_value}
        pkgs = [p for p in pkgs if p not in values and not p.lower().startswith("python")]
        return INSTALL if pkgs or any(w in ("-f", "--file") or w.startswith("--file=") for w in words) else ENV
    if head in ("conda", "mamba", "micromamba") and sub in ("activate", "deactivate", "init", "config"):
        return ENV
    if head in _PKG_INSTALL and sub in _PKG_INSTALL[head]:
        if head == "conda" and sub == "env" and len(rest) > 1 and rest[1] not in ("create", "update"):
            return ENV
        return INSTALL
    if head in ("make", "gmake", "just", "task", "invoke", "inv", "mise") and rest:
        target = rest[1] if head == "mise" and sub == "run" and len(rest) > 1 else sub
        return INSTALL if _SETUP_TARGET.match(target) else RUN
    if (head in ("bash", "sh", "zsh", "source", ".") and rest) or head.endswith((".sh", ".bash", ".ps1")):
        script = rest[0] if head in ("bash", "sh", "zsh", "source", ".") else head
        if head in ("source", ".") and not script.endswith((".sh", ".bash")):
            return ENV  # sourcing an env file or a venv's activate script
        if "activate" in script:
            return ENV
        return INSTALL if _SETUP_SCRIPT.search(script.lower()) else RUN
    if head in ("poetry", "uv", "pipenv", "pdm", "hatch", "conda", "npm", "yarn", "pnpm", "rye", "pixi", "mise") and sub in ("run", "start", "test", "exec", "build", "publish", "serve"):
        return RUN
    if head in _ENV_HEADS or (head == "dvc" and sub in ("init", "remote", "config", "add", "status", "dag", "version")):
        return ENV
    if head in ("docker", "podman") and sub in ("login", "logout", "ps", "images", "logs", "info", "version", "volume", "network"):
        return ENV  # (creating a volume or network for a container runs nothing of the project)
    if (head == "jupyter" and sub == "nbconvert" or head == "jupyter-nbconvert") and not any(w.startswith("--execute") for w in words):
        return ENV  # converting a notebook (to a script, HTML ...) runs nothing; ``--execute`` runs it
    if head in _RUN_HEADS:
        return RUN
    return None


# ---------------------------------------------------------------------- commands that name files the repository lacks

# (a bare ``env.sh`` runs nothing: a shell finds a script by its path, ``./env.sh``, or through an interpreter)
_LOCAL_SCRIPT = lazy_re(r"^\s*(?:sudo\s+)?(?:(?:python[\d.]*|py|(?:ba|z)?sh|source)\s+(?:-[uOB]+\s+)?((?:\.{1,2}/)?[\w./-]*[\w-]\.(?:py|sh|bash))"
                        r"|((?:\.{1,2}/|[\w.-]+/)[\w./-]*[\w-]\.(?:py|sh|bash)))(?:\s|$|;|&)")
def named_file(cmd: str) -> str | None:
    """The repository script a documented command runs (``python src/train.py``, ``bash scripts/rollback.sh``,
    ``./deploy.sh``), relative as written; None when it runs none (a tool's own command, a variable or a path outside the
    repository). (A requirements file an install names is left alone: a missing one fails the step, it is not another
    project's procedure.)"""
    m = _LOCAL_SCRIPT.match(cmd)
    rel = (m.group(1) or m.group(2)) if m else None
    return None if rel is None or rel.startswith(("/", "~")) or "$" in rel else rel


def missing_file(index: Any, doc_path: str, cmd: str) -> bool:
    """Does a documented command run a repository script (``named_file``) found nowhere in the snapshot: not beside the
    page, not from the root, not anywhere under the same relative path (the page may ``cd`` first)? Such a command
    describes a project kept elsewhere (a documentation site's guide to another repository) or a script never committed:
    a claim, not a step this repository can follow."""
    rel = named_file(cmd)
    if rel is None:
        return False
    here = doc_path.rsplit("/", 1)[0] + "/" if "/" in doc_path else ""
    parts: list[str] = []
    for p in f"{here}{rel}".split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    clean = rel
    while clean.startswith(("./", "../")):
        clean = clean.split("/", 1)[1]
    # (a path written from a checkout's parent, ``my-repo/tools/x.sh``, is found by its tail: ``tools/x.sh``)
    tails = ["/".join(clean.split("/")[k:]) for k in range(1, clean.count("/"))]
    if index.select(tuple(dict.fromkeys(("/".join(parts), clean, f"**/{clean}", *(f"**/{t}" for t in tails))))):
        return False
    return not _made_by_page(index.text(doc_path) or "", cmd, clean.rsplit("/", 1)[-1])


_MAKES_FILE = lazy_re(r"\b(cp|mv|touch|ln|wget|curl|tee|envsubst|unzip|tar|git\s+clone|gsutil|aws\s+s3|[Cc]opy|[Cc]reate|[Rr]ename|[Gg]enerate|[Dd]ownload)\b|>")


def _made_by_page(text: str, cmd: str, name: str) -> bool:
    """Does another line of the page make the file (``cp env.sh.example env.sh``, ``wget https://.../installer.sh``,
    ``curl -o x.sh``, ``echo ... > x.sh``) or download it (a URL ending in its name)? It is there when the step runs."""
    for line in text.splitlines():
        if name in line and cmd.strip() not in line and (_MAKES_FILE.search(line) or f"/{name}" in line and "://" in line):
            return True
    return False


_RUN_PREFIX = lazy_re(r"^\s*(?:(?:poetry|uv|pipenv|pdm|hatch|rye)\s+run\s+|conda\s+run\s+(?:-n\s+\S+\s+)?)")
_PY_MODULE = lazy_re(r"^\s*python[\d.]*\s+(?:-[uOB]+\s+)*-m\s+([A-Za-z_][\w.]*)")
_MAKE = lazy_re(r"^\s*make\s+((?:-\S+\s+)*)([A-Za-z_][\w.-]*)\s*$")


def missing_target(index: Any, doc_path: str, cmd: str) -> bool:
    """Does a documented command run something of the repository's that it lacks, beyond a script (``missing_file``): a
    module of the project's own package (``python -m churn.rollback`` where ``churn/`` holds no ``rollback``), or a make
    target no Makefile of the repository defines (``make rollback``; none at all where the repository has no Makefile).
    A run prefix (``poetry run``, ``uv run``) is looked through; a module of a package the repository does not hold is
    another tool's, not a claim."""
    cmd = _RUN_PREFIX.sub("", cmd)
    if missing_file(index, doc_path, cmd):
        return True
    m = _PY_MODULE.match(cmd)
    if m:
        parts = m.group(1).split(".")
        if len(parts) < 2:
            return False
        tops = [e for e in index.select((f"**/{parts[0]}/__init__.py",)) if not e.test]
        if not tops:
            return False  # not the project's package
        rel = "/".join(parts)
        return not index.select((f"**/{rel}.py", f"**/{rel}/__init__.py", f"**/{rel}/__main__.py"))
    m = _MAKE.match(cmd)
    if m and "-C" not in m.group(1) and "-f" not in m.group(1):
        from mlscan.facts.taskrunners import makefile_recipes  # imported where a documented make target is checked

        makefiles = index.select(("**/Makefile", "**/makefile", "**/GNUmakefile", "**/*.mk"))
        for e in makefiles:
            text = index.text(e.path) or ""
            if m.group(2) in makefile_recipes(text) or "%" in text or "include " in text:
                return False
        return True
    return False
