"""Shell text in CI steps: logical commands (continuations joined, comments and here-documents dropped), argv
without executing anything, echo-only placeholders, and which commands' failures fail the step (``set -e``,
``|| true``, pipes)."""

from __future__ import annotations

import re
from functools import lru_cache

from ..lazyre import lazy_re
from ..valueclass import Value, setfield

_CONT = lazy_re(r"\\\n")
_NOOP = lazy_re(r"^\s*(echo|printf|:|true|sleep|exit 0|cat\s+<<)\b")
_HEREDOC = lazy_re(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")


# a command that runs on another host over ssh (``ssh host``, ``sshpass -p "$PW" ssh -o ... host``): a here-document it
# reads is the remote script
_SSH = lazy_re(r"(?:^|[\s;&|(])ssh\s")


def split_commands(script: str) -> list[str]:
    """Logical shell commands: continuations joined, comments and here-document bodies dropped,
    split on ``&&``/``;``. The body of a here-document that ``ssh`` reads (``ssh host << 'EOF'`` ... ``EOF``) is the
    remote command: it is kept on the ssh command, its lines joined with ``;``, as ``ssh host "a; b"`` writes it."""
    out: list[str] = []
    heredoc = ""
    remote: list[str] | None = None  # the body lines of an ssh command's here-document
    at = -1  # the ssh command they belong to
    for line in _CONT.sub(" ", script).splitlines():
        line = line.strip()
        if heredoc:
            if line == heredoc:
                heredoc = ""
                if remote:
                    out[at] = f"{out[at]} {'; '.join(remote)}"
                remote = None
            elif remote is not None and line and not line.startswith("#"):
                remote.append(line)
            continue
        if not line or line.startswith("#"):
            continue
        m = _HEREDOC.search(line)
        if m:
            heredoc = m.group(1)
        for part in re.split(r"\s*(?:&&|;)\s*", line):
            part = part.strip()
            if part and not part.startswith("#"):
                out.append(part)
                if m and "<<" in part and _SSH.search(part.split("<<", 1)[0]):
                    remote, at = [], len(out) - 1
    return out


# ``a & b`` (a in the background) and ``a || b``; not ``&&``, nor a redirection ``&>`` / ``>&``
_BACKGROUND = lazy_re(r"(?<![&>])&(?![&>])|\|\|")


def started_commands(script: str) -> list[str]:
    """Every command a start line runs: ``split_commands`` also split where one runs in the background or as a fallback
    (``cron && tail -f /var/log/cron.log & mlflow server --host 0.0.0.0``: ``cron``, ``tail -f ...``, ``mlflow server ...``)."""
    return [p.strip() for c in split_commands(script) for p in _BACKGROUND.split(c) if p.strip()]


def is_placeholder(script: str) -> bool:
    """True when every command only prints or does nothing (``echo "deploy"``)."""
    cmds = split_commands(script)
    return bool(cmds) and all(_NOOP.match(c) for c in cmds)


def swallows_failure(script: str) -> bool:
    """``cmd || true`` / ``|| exit 0`` / ``set +e`` make failures invisible."""
    return bool(re.search(r"\|\|\s*(true|:|exit 0|echo)\b", script)) or bool(re.search(r"^\s*set \+e\b", script, re.M))


_SWALLOW = lazy_re(r"\|\|\s*(true|:|exit 0|echo)\b")
_ERREXIT_ON = lazy_re(r"^set\s+(-[a-zA-Z]*e[a-zA-Z]*\b|-o\s+errexit\b)")
_ERREXIT_OFF = lazy_re(r"^set\s+(\+[a-zA-Z]*e[a-zA-Z]*\b|\+o\s+errexit\b)")
_PIPE = lazy_re(r"(?<!\|)\|(?!\|)")
_CHECKED = lazy_re(r"\|\|\s*(\{\s*)?(exit\s+([1-9]|\$)|false\b|return\s+[1-9])")


class ShellCommand(Value, frozen=True):
    """One command of a CI script and whether its failure fails the script."""
    text: str
    blocks: bool  # a failure of this command fails the script
    ignored: bool  # the failure is deliberately swallowed (`|| true`, `set +e`)

    _fields = ("text", "blocks", "ignored")
    __slots__ = _fields

    def __init__(self, text: str, blocks: bool, ignored: bool) -> None:
        setfield(self, "text", text)
        setfield(self, "blocks", blocks)
        setfield(self, "ignored", ignored)


_FLOW_MEMO_CHARS = 4096  # CI step commands up to this long are memoised (workflows repeat the same steps)


def shell_flow(script: str, strict: bool) -> list[ShellCommand]:
    """Each command of a script with whether its failure fails the script. Without ``set -e`` (``strict``)
    only the last command decides the exit status, unless the status is checked (``|| exit 1``, ``$?``
    on the next command); ``set +e`` and ``|| true`` swallow failures; a pipeline without ``pipefail``
    reports its last member only."""
    if len(script) <= _FLOW_MEMO_CHARS:
        return list(_shell_flow_memo(script, strict))
    return _shell_flow(script, strict)


@lru_cache(maxsize=4096)
def _shell_flow_memo(script: str, strict: bool) -> tuple[ShellCommand, ...]:
    return tuple(_shell_flow(script, strict))


def _shell_flow(script: str, strict: bool) -> list[ShellCommand]:
    cmds = split_commands(script)
    if script.lstrip().startswith("#!") and re.match(r"#!\S+(\s+\S+)?\s+-[a-zA-Z]*e", script.lstrip()):
        strict = True
    pipefail = "pipefail" in script
    out: list[ShellCommand] = []
    errexit, turned_off = strict, False
    for i, c in enumerate(cmds):
        if _ERREXIT_ON.match(c):
            errexit, turned_off = True, False
        elif _ERREXIT_OFF.match(c):
            errexit, turned_off = False, True
        swallowed = bool(_SWALLOW.search(c))
        piped = bool(_PIPE.search(c.split("||")[0])) and not pipefail
        checked = bool(_CHECKED.search(c)) or (i + 1 < len(cmds) and "$?" in cmds[i + 1])
        blocks = (errexit or i == len(cmds) - 1 or checked) and not swallowed and not piped
        out.append(ShellCommand(c, blocks, swallowed or turned_off))
    return out


_SHLEX_SPECIAL = lazy_re(r"""['"\\#]|[^\x20-\x7e\t\n\r]""")  # quotes, escapes, comments, other whitespace, non-ASCII


_JOINS = lazy_re(r"""['"\\]""")  # what joins a shell word from parts: quotes, a backslash


def word_may_hold(command: str, piece: str) -> bool:
    """May a shell word of ``command`` (``argv``) contain ``piece``? Only when the text holds it, or a quote or backslash
    can join it from parts (``pu"sh"``): a test before splitting the words of each of many commands."""
    return piece in command or _JOINS.search(command) is not None


def argv(command: str) -> list[str]:
    """Shell words (``shlex``, comments dropped); a plain command is split directly, and results are memoised:
    the same CI command lines are asked about by many detectors (55,000 calls on a 100k-file repository)."""
    return list(_argv(command))


@lru_cache(maxsize=8192)
def _argv(command: str) -> tuple[str, ...]:
    if not _SHLEX_SPECIAL.search(command):
        return tuple(command.split())  # no quotes, escapes or comments: shlex's words are the whitespace-separated ones
    try:
        return tuple(posix_words(command))
    except ValueError:
        return tuple(command.split())


# a piece of a shell word as shlex reads it (posix, whitespace_split): a run of plain characters, a run of its white space
# (only these four), a single-quoted string, a double-quoted one (with its escapes), an escaped character, a comment sign
_PIECE = lazy_re(r"""[^ \t\r\n'"\\#]+|[ \t\r\n]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.|#""", re.S)
_QUOTED_ESCAPE = lazy_re(r"\\(.)", re.S)


def _unescape_quoted(m: re.Match[str]) -> str:
    """Inside double quotes only the quote and the backslash are escaped: any other backslash stays (shlex's rule)."""
    return m.group(1) if m.group(1) in '"\\' else m.group(0)


def posix_words(command: str) -> list[str]:
    """``shlex.split(command, comments=True)``: the same words, and ValueError where it raises one (an unclosed quote, a
    trailing backslash), read a piece at a time rather than a character at a time (a compiled pipeline's ``sh -c``
    programs, thousands of quoted characters each: kubeflow/pipelines 0.37 s with shlex)."""
    out: list[str] = []
    word: str | None = None  # None between words; a quoted empty string is a word
    at, end, match = 0, len(command), _PIECE.match
    while at < end:
        m = match(command, at)
        if m is None:
            raise ValueError("No closing quotation" if command[at] in "'\"" else "No escaped character")
        piece = m.group()
        at = m.end()
        first = piece[0]
        if first in " \t\r\n" or first == "#":
            if first == "#":  # the rest of the line is a comment, inside a word too
                nl = command.find("\n", at)
                at = end if nl < 0 else nl + 1
            if word is not None:
                out.append(word)
                word = None
        elif first == "'":
            word = (word or "") + piece[1:-1]
        elif first == '"':
            body = piece[1:-1]
            word = (word or "") + (_QUOTED_ESCAPE.sub(_unescape_quoted, body) if "\\" in body else body)
        elif first == "\\":
            word = (word or "") + piece[1]
        else:
            word = (word or "") + piece
    if word is not None:
        out.append(word)
    return out
