"""Jenkins pipelines (``Jenkinsfile``, or a ``*.groovy`` file holding a ``pipeline``/``node`` block, declarative or
scripted) as CiJobs, one per stage; a stage that calls a custom step of the repository's shared library
(``vars/<step>.groovy``) runs that step's shell commands.

There is no Groovy parser in Python, so this reads the text with a small string-aware scanner:
comments (``//``, ``/* */``) are blanked first, then ``stage('x') { ... }`` blocks are matched by
braces and ``sh``/``bat``/``powershell`` steps, ``input`` gates, ``cron(...)`` triggers and
failure-swallowing wrappers (``catchError``, ``warnError``, ``try``, ``returnStatus: true``) are read
inside them. ``sh`` runs with ``-xe``: any failing command fails the stage.
"""

from __future__ import annotations

import re
from textwrap import dedent

from ..index import FileEntry, FileIndex
from ..index.formats import blank_c_comments
from ..lazyre import lazy_re
from .model import CiJob, CiStep, make_step, targets_subdir

GLOBS = ("**/Jenkinsfile", "**/Jenkinsfile.*", "**/*.jenkinsfile", "**/*.Jenkinsfile")
_STAGE = lazy_re(r"\bstage\s*\(\s*(?:name\s*:\s*)?(['\"])(.*?)\1\s*\)\s*\{")
_SHELL = lazy_re(r"\b(sh|bat|powershell|pwsh)\b\s*(\(|(?=['\"])|script\s*:)")
_INPUT = lazy_re(r"\binput\b\s*(\{|\(|message\s*:|['\"])")
_CRON = lazy_re(r"\b(?:cron|parameterizedCron)\s*\(?\s*(['\"]{1,3})(.*?)\1", re.S)
_WRAPPERS = lazy_re(r"\b(catchError|warnError|try)\b\s*(\([^)]*\))?\s*\{")
_MESSAGE = lazy_re(r"message\s*:?\s*(['\"])(.*?)\1")


# pipelines kept in ``*.groovy`` files (a job configured with "Pipeline script from SCM" at that path): a top-level
# ``pipeline {`` (declarative) or ``node {`` (scripted) block with stages. A shared library's ``vars/*.groovy`` (custom
# steps, ``def call(...)``) and ``src/`` classes are no pipelines: their steps run where a pipeline calls them.
GROOVY = ("**/*.groovy",)
_PIPELINE_BLOCK = lazy_re(r"^\s*(pipeline|node)\s*(\([^)\n]*\))?\s*\{", re.M)
_CALL_DEF = lazy_re(r"\bdef\s+call\s*\(")


def _library_steps(index: FileIndex) -> dict[str, list[tuple[str, int, str, str]]]:
    """Custom steps of a shared library in the repository (``vars/<step>.groovy`` defining ``def call(...)``): step
    name -> the (path, line, shell, command) of each ``sh``/``bat``/``powershell`` it runs."""
    out: dict[str, list[tuple[str, int, str, str]]] = {}
    for e in index.select(("**/vars/*.groovy",)):
        text = index.text(e.path)
        if not text or not _CALL_DEF.search(text):
            continue
        code = strip_comments(text)
        line_at = _line_index(code)
        cmds: list[tuple[str, int, str, str]] = []
        for m in _SHELL.finditer(code):
            cmd, _end = _argument(code, m.end() - (1 if m.group(2) == "(" else 0), m.group(2))
            if cmd:
                cmds.append((e.path, line_at(m.start()), m.group(1), cmd))
        if cmds:
            out[e.name.rsplit(".", 1)[0]] = cmds
    return out


def _pipeline_files(index: FileIndex) -> list[FileEntry]:
    files = list(index.select(GLOBS))
    for e in index.select(GROOVY):
        if "vars" in e.vpath.split("/")[:-1]:
            continue  # a shared library's custom step
        text = index.text(e.path) or ""
        if "stage" in text and not _CALL_DEF.search(text) and _PIPELINE_BLOCK.search(strip_comments(text)):
            files.append(e)
    return files


def parse_jenkins(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    library = _library_steps(index) if index.select(("**/vars/*.groovy",)) else {}
    step_call = lazy_re(r"(?<![\w.$])(" + "|".join(re.escape(n) for n in sorted(library)) + r")\s*[(\[{'\"]") if library else None
    for e in _pipeline_files(index):
        text = index.text(e.path)
        if not text:
            continue
        code = strip_comments(text)
        line_at = _line_index(code)
        triggers = {"push"}
        crons = [m.group(2).strip() for m in _CRON.finditer(code) if m.group(2).strip()]
        cron_line = line_at(next(_CRON.finditer(code)).start()) if crons else 0
        if crons:
            triggers.add("schedule")
        if re.search(r"\bupstream\s*\(", code):
            triggers.add("pipeline")
        swallowed = [(m.start(), _block_end(code, m.end() - 1)) for m in _WRAPPERS.finditer(code)]
        stages = [(m.group(2), m.start(), m.end() - 1, _block_end(code, m.end() - 1)) for m in _STAGE.finditer(code)]
        bodies = stages or [("pipeline", 0, -1, len(code))]
        for name, start, open_, end in bodies:
            inner = [(s, x) for _, s, _, x in stages if open_ < s < end]
            steps: list[CiStep] = []
            at: list[int] = []  # offset of each step in the stage (library steps sit where they are called)
            consumed = 0
            for m in _SHELL.finditer(code, open_ + 1, end):
                if m.start() < consumed or any(s <= m.start() < x for s, x in inner):
                    continue
                cmd, args_end = _argument(code, m.end() - (1 if m.group(2) == "(" else 0), m.group(2))
                if cmd is None:
                    continue
                consumed = args_end
                status = "returnStatus" in code[m.end() : args_end] and re.search(r"returnStatus\s*:\s*true", code[m.end() : args_end])
                blocking = not status and not any(s <= m.start() < x for s, x in swallowed)
                strict = not cmd.lstrip().startswith("#!")
                steps.append(make_step(e.path, line_at(m.start()), name, cmd, uses=m.group(1), blocking=blocking, strict=strict))
                at.append(m.start())
            if step_call is not None:  # custom steps of the repository's shared library run their shell commands here
                for m in step_call.finditer(code, open_ + 1, end):
                    if any(s <= m.start() < x for s, x in inner):
                        continue
                    blocking = not any(s <= m.start() < x for s, x in swallowed)
                    for path, line, shell, cmd in library[m.group(1)]:
                        steps.append(make_step(path, line, name, cmd, uses=shell, blocking=blocking, strict=not cmd.lstrip().startswith("#!")))
                        at.append(m.start())
                steps = [st for _o, _i, st in sorted(zip(at, range(len(steps)), steps, strict=True))]
            own = [m for m in _INPUT.finditer(code, open_ + 1, end) if not any(s <= m.start() < x for s, x in inner)]
            message = ""
            if own:
                msg = _MESSAGE.search(code, own[0].start(), min(end, own[0].start() + 400))
                message = msg.group(2) if msg else ""
                steps.insert(0, make_step(e.path, line_at(own[0].start()), name, "", uses="input", with_=(("message", message),)))
            if not steps:
                continue
            when = _when(code, open_, end, inner)
            job_triggers = {"schedule"} & triggers if "TimerTrigger" in when else set(triggers)
            texts = [s.command for s in steps]
            jobs.append(
                CiJob(
                    system="jenkins",
                    path=e.path,
                    line=line_at(start) if stages else 1,
                    name=name,
                    steps=tuple(steps),
                    triggers=frozenset(job_triggers or triggers),
                    schedules=tuple(crons),
                    manual=bool(own),
                    disabled=bool(re.search(r"expression\s*\{\s*(return\s+)?false\s*\}", when)),
                    applies=e.scope == "project" or targets_subdir(index.target.subdir, *texts, when),
                    stage=name,
                    gate="input" if own else "",
                    schedule_line=cron_line,
                )
            )
    return jobs


def strip_comments(text: str) -> str:
    """Blank ``//`` and ``/* */`` comments outside Groovy string literals, keeping offsets and newlines."""
    return blank_c_comments(text, "'\"", _string_end)


def _string_end(text: str, i: int) -> int:
    """Offset just past the Groovy string literal starting at ``text[i]``: triple-quoted ones may span lines."""
    n = len(text)
    if text.startswith(("'''", '"""'), i):
        j = text.find(text[i : i + 3], i + 3)
        return n if j < 0 else j + 3
    j = i + 1
    while j < n and text[j] != text[i] and text[j] != "\n":
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _line_index(text: str):  # type: ignore[no-untyped-def]
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    return line_at


def _block_end(code: str, open_brace: int) -> int:
    """Offset just past the brace matching ``code[open_brace]`` (string-aware)."""
    return _matching_end(code, open_brace, "{", "}")


def _matching_end(code: str, start: int, open_: str, close: str) -> int:
    """Offset just past the ``close`` that balances the first ``open_`` from ``start``; quoted strings (also
    triple-quoted, and unterminated ones up to the line end) are skipped. The end of the code when unbalanced."""
    depth, i, n = 0, start, len(code)
    while i < n:
        c = code[i]
        if code.startswith(("'''", '"""'), i):
            j = code.find(code[i : i + 3], i + 3)
            i = n if j < 0 else j + 3
            continue
        if c in "'\"":
            j = i + 1
            while j < n and code[j] != c and code[j] != "\n":
                j += 2 if code[j] == "\\" else 1
            i = j + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _string_at(code: str, i: int) -> tuple[str | None, int]:
    while i < len(code) and code[i] in " \t\n":
        i += 1
    for q in ("'''", '"""', "'", '"'):
        if code.startswith(q, i):
            j = code.find(q, i + len(q)) if len(q) == 3 else _close(code, i, q)
            if j < 0:
                return None, len(code)
            body = code[i + len(q) : j]
            return (dedent(body).strip("\n") if len(q) == 3 else body), j + len(q)
    return None, i


def _close(code: str, i: int, q: str) -> int:
    j = i + 1
    while j < len(code) and code[j] != q:
        if code[j] == "\n":
            return -1
        j += 2 if code[j] == "\\" else 1
    return j if j < len(code) else -1


def _argument(code: str, i: int, opener: str) -> tuple[str | None, int]:
    """The script of ``sh 'x'``, ``sh("x")``, ``sh(script: 'x', ...)``, ``sh script: 'x'``."""
    if opener == "(":
        end = _matching_end(code, i, "(", ")")
        m = re.compile(r"script\s*:").search(code, i, end)
        s, _ = _string_at(code, m.end() if m else i + 1)
        return s, end
    s, j = _string_at(code, i)
    return s, code.find("\n", j) if code.find("\n", j) > 0 else j


def _when(code: str, open_: int, end: int, inner: list[tuple[int, int]]) -> str:
    for m in re.finditer(r"\bwhen\s*\{", code[open_ + 1 : end]):
        at = open_ + 1 + m.start()
        if not any(s <= at < x for s, x in inner):
            return code[at : _block_end(code, open_ + 1 + m.end() - 1)]
    return ""
