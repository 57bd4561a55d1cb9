"""Go/Jinja templates rendered the cheap way so that the result parses: Helm chart templates and the template
sources of cookiecutter/copier repositories. Nothing is evaluated."""

from __future__ import annotations

import re

from ..lazyre import lazy_re

_DIRECTIVE_LINE = lazy_re(r"^\s*(\{\{-?\s*(if|else|end|range|with|define|template|block|/\*).*?-?\}\}\s*)+$|^\s*\{%.*%\}\s*$")
_INLINE = lazy_re(r'\{\{-?\s*("(?:[^"\\]|\\.)*"|`[^`]*`|.*?)\s*-?\}\}')


def _render_template(text: str) -> str:
    """Render a Go/Jinja template the cheap way: directive-only lines become blank (line numbers
    stay), inline expressions become a placeholder word. Good enough to parse the result."""
    out = []
    for line in text.splitlines():
        if _DIRECTIVE_LINE.match(line):
            out.append("")
        else:
            out.append(_INLINE.sub(lambda m: _placeholder(m.group(1)), line))
    return "\n".join(out)


def _placeholder(expr: str) -> str:
    if len(expr) >= 2 and expr[0] == expr[-1] and expr[0] in '"`':
        return expr[1:-1]  # a string literal renders as itself
    if re.match(r"(if|else|end|range|with|define|block)\b|/\*", expr):
        return ""  # an inline control action ({{ if .x }}key:, value{{end}}) renders no text
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)
    return words[-1] if words else "tmpl"
