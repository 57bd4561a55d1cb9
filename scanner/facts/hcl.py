"""A small HCL (Terraform) reader: blocks, labels and attributes with line numbers. Comments (``#``,
``//``, ``/* */``), strings with ``${...}`` interpolation and heredocs are tokenised properly, so text
inside comments or strings never opens a block. Expressions stay raw text; literals become Python values.
Not a full HCL implementation (python-hcl2 is not a dependency). Not a detector."""

from __future__ import annotations

from typing import Any

from ..valueclass import Value

_PUNCT = "{}[]()=,:"


class Block(Value):
    """One HCL block (``resource "type" "name" { ... }``): its labels, literal attributes with lines, and nested blocks."""

    type: str
    labels: tuple[str, ...]
    line: int
    attrs: dict[str, tuple[Any, int]]  # name -> (value, line)
    blocks: list[Block]

    _fields = ("type", "labels", "line", "attrs", "blocks")

    def __init__(
        self,
        type: str,
        labels: tuple[str, ...],
        line: int,
        attrs: dict[str, tuple[Any, int]] | None = None,
        blocks: list[Block] | None = None,
    ) -> None:
        self.type = type
        self.labels = labels
        self.line = line
        self.attrs = {} if attrs is None else attrs
        self.blocks = [] if blocks is None else blocks

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs[name][0] if name in self.attrs else default

    def line_of(self, name: str) -> int:
        return self.attrs[name][1] if name in self.attrs else self.line

    def children(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]

    def text(self) -> str:
        """Every attribute value and nested block, as text (for keyword checks)."""
        return " ".join([*(f"{k}={v[0]}" for k, v in self.attrs.items()), *(f"{b.type} {' '.join(b.labels)} {{{b.text()}}}" for b in self.blocks)])


def _string(text: str, i: int) -> tuple[str, int]:
    """A quoted string starting at text[i] == '"' -> (content, index after the closing quote)."""
    out: list[str] = []
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t"}.get(text[i + 1], text[i + 1]))
            i += 2
        elif c == '"':
            return "".join(out), i + 1
        elif text.startswith("${", i) or text.startswith("%{", i):
            depth, j = 0, i + 1
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                elif text[j] == '"':
                    _, j = _string(text, j)
                    continue
                j += 1
            out.append(text[i : j + 1])
            i = j + 1
        elif c == "\n":
            return "".join(out), i  # unterminated: stop at the line end
        else:
            out.append(c)
            i += 1
    return "".join(out), i


def tokens(text: str) -> list[tuple[str, Any, int]]:
    """(kind, value, line): kinds are str, word, punct, nl."""
    out: list[tuple[str, Any, int]] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            out.append(("nl", "\n", line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif c == '"':
            s, j = _string(text, i)
            out.append(("str", s, line))
            line += text.count("\n", i, j)
            i = j
        elif text.startswith("<<", i) and (i + 2 < n and (text[i + 2].isalpha() or text[i + 2] == "-")):
            j = text.find("\n", i)
            marker = text[i + 2 : j if j >= 0 else n].lstrip("-").strip()
            body: list[str] = []
            start = line
            k = j + 1 if j >= 0 else n
            while k < n:
                e = text.find("\n", k)
                e = n if e < 0 else e
                if text[k:e].strip() == marker:
                    k = e
                    break
                body.append(text[k:e])
                k = e + 1
            line += text.count("\n", i, k)
            out.append(("str", "\n".join(body), start))
            i = k
        elif c in _PUNCT:
            out.append(("punct", c, line))
            i += 1
        else:
            j = i
            while j < n and text[j] not in _PUNCT and text[j] not in ' \t\r\n"#' and not text.startswith("//", j) and not text.startswith("/*", j):
                j += 1
            out.append(("word", text[i : max(j, i + 1)], line))
            i = max(j, i + 1)
    return out


def _value(toks: list[tuple[str, Any, int]]) -> Any:
    if len(toks) == 1:
        kind, v, _ = toks[0]
        if kind == "str":
            return v
        if v in ("true", "false"):
            return v == "true"
        if v == "null":
            return None
        try:
            return int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            return v
    return " ".join(f'"{v}"' if k == "str" else str(v) for k, v, _ in toks)


def parse(text: str) -> list[Block]:
    """Top-level blocks of a .tf file (``resource "type" "name" {...}``, ``module``, ``locals`` ...)."""
    root = Block("", (), 0)
    toks = tokens(text)
    _body(toks, 0, root)
    return root.blocks


def _body(toks: list[tuple[str, Any, int]], i: int, into: Block) -> int:
    n = len(toks)
    while i < n:
        kind, v, line = toks[i]
        if kind == "nl" or (kind == "punct" and v == ","):
            i += 1
            continue
        if kind == "punct" and v == "}":
            return i + 1
        if kind in ("word", "str") and i + 1 < n and toks[i + 1][0] == "punct" and toks[i + 1][1] in "=:":
            j, depth = i + 2, 0
            while j < n:
                k2, v2, _ = toks[j]
                if k2 == "punct" and v2 in "{[(":
                    depth += 1
                elif k2 == "punct" and v2 in "}])":
                    if depth == 0:
                        break
                    depth -= 1
                elif k2 == "nl" and depth == 0:
                    break
                j += 1
            into.attrs[str(v)] = (_value([t for t in toks[i + 2 : j] if t[0] != "nl"]), line)
            i = j
            continue
        if kind == "word":
            j, labels = i + 1, []
            while j < n and toks[j][0] in ("str", "word") and not (toks[j][0] == "punct"):
                labels.append(str(toks[j][1]))
                j += 1
            if j < n and toks[j][0] == "punct" and toks[j][1] == "{":
                block = Block(str(v), tuple(labels), line)
                into.blocks.append(block)
                i = _body(toks, j + 1, block)
                continue
        i += 1
    return i
