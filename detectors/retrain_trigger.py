"""Drift-triggered retraining in code: a drift/violation check whose branch starts training (a train
call, a pipeline run, a workflow dispatch); feeds the Automation/Observability top rungs."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mlscan.detector import Detector, Need
from mlscan.facts import ops
from mlscan.facts.orchestration import DRIFT_WORDS, at, dotted, drift_test, reach_strength, strings, tail, trainingish, words
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

# Python files worth parsing: code that talks about drift or a violated check ...
NEEDLES = (b"drift", b"Drift", b"violat", b"psi", b"p_value", b"pvalue")
# ... where the text shows an ``if``/``elif`` whose test names drift (DRIFT_WORDS) and whose branches name training
# (a superset of TRAIN_WORDS, any case): _drift_branch_trains, run before the parse. It finds the lines starting with
# ``if``/``elif`` (``^[ \t]*(?:el)?if\b`` in multi-line mode) by the word, checking its line start in code: a pattern
# starting with ``^`` is tried at every position, several times slower.
_IF_WORD = lazy_re(r"if\b")
_MAYBE_DRIFT = lazy_re(r"drift|psi|p_?value|violat|degrad|ks", re.I)
_TRAIN = lazy_re(r"train|fit|tun|hpo", re.I)
_ESCAPE = lazy_re(r"\\.")
_IDENT = lazy_re(r"\w+")
# string literals (any prefix, triple-quoted too), comments, brackets, and line breaks with what starts the next line
_TOKEN = lazy_re(ops.PY_STRING + r"|#[^\n]*|(?P<open>[(\[{])|(?P<close>[)\]}])|(?P<nl>\\?\n)(?P<indent>[ \t]*)(?P<next>elif\b|else\b|)",
                    re.S)

# the rest of a physical line without brackets, strings, comments or a continuation: the logical line ends there
_PLAIN_LINE = lazy_re(r"[^\n()\[\]{}'\"#\\]*(?=\n|\Z)")

_SAYS = ("print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "echo", "write", "notify", "send_message")


def _starts_training(stmts: list[ast.stmt]) -> bool:
    """A call in the branch starts training (``train_model()``, ``pipeline.start()`` of a training
    pipeline, a dispatch whose payload says retrain); messages that only talk about it do not count."""
    for s in stmts:
        for c in walk(s):
            if isinstance(c, ast.Call) and tail(dotted(c.func)) not in _SAYS and trainingish(dotted(c.func), *strings(c)):
                return True
    return False


class RetrainTrigger(Detector):
    """Drift or metric-violation checks that start a training run or pipeline; feeds the L4 automation rung."""

    id = "retrain.trigger"
    questions = ()
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("retrain.trigger",)
    needs_any = (Need(("**/*.py", "**/*.ipynb"), words=NEEDLES),)  # drift words first

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if e.test or not index.mentions(e.path, NEEDLES):
                continue
            if e.suffix == ".ipynb" or e.template:  # notebooks (the text is JSON) and unrendered templates: parsed unchecked
                tree = index.python(e.path)
                lines = _hit_lines(tree) if tree is not None else []
            else:
                lines = index.fact(e.path, HIT_LINES)
            if not lines:
                continue
            strength, how = reach_strength(index, e)
            active = strength != Strength.WEAK
            for line in lines:
                yield self.found("retrain.trigger", index, e.path, **at(index, e, line), strength=strength,
                                 attrs={"tool": "python", "kind": "drift", "active": active, "reached": how})


def _hit_lines(tree: ast.AST) -> list[int]:
    """Lines of the ``if`` statements whose test names drift and whose branches start training, in walk order."""
    return [n.lineno for n in walk(tree) if isinstance(n, ast.If) and drift_test(n.test) and (_starts_training(n.body) or _starts_training(n.orelse))]


def _hit_lines_fact(index: FileIndex, path: str) -> list[int]:
    """_hit_lines of a plain Python file whose text passes _drift_branch_trains (else none, unparsed). A file fact
    (FileIndex.fact): kept between scans by content, so a rescan parses only the files that changed."""
    if not _drift_branch_trains(index.text(path) or ""):
        return []
    tree = index.python(path)
    return _hit_lines(tree) if tree is not None else []


HIT_LINES = register_fact("retrain.trigger.hit_lines", _hit_lines_fact)


def _drift_branch_trains(text: str) -> bool:
    """Text check for a hit: an ``if``/``elif`` whose logical line has a drift word (the test is in it), followed by a
    block (indented body, then ``elif``/``else`` branches at the same indentation) that names training. Strings,
    comments and brackets are skipped when looking for line ends, so dedented string or bracket lines do not end it."""
    for lead, start in _if_lines(text):
        plain = _PLAIN_LINE.match(text, start)
        if plain is not None and not _drift_header(plain.group()):
            continue  # most tests: the header is the rest of the line, no need to tokenise it
        tokens = _TOKEN.finditer(text, start)
        t = _line_end(tokens)
        if plain is None and not _drift_header(text[start : t.start() if t else len(text)]):
            continue
        indent, end = len(lead.expandtabs(8)), len(text)
        while t is not None:
            nxt = t.group("next")
            if not (nxt == "" and text[t.end() : t.end() + 1] in ("#", "\r", "\n", "")) and \
                    len(t.group("indent").expandtabs(8)) < indent + (nxt == ""):
                end = t.start()  # a statement at the if's indentation or less (elif/else: less) ends the block
                break
            t = _line_end(tokens)
        if _TRAIN.search(text, start, end):
            return True
    return False


def _if_lines(text: str) -> Iterator[tuple[str, int]]:
    """(indentation, offset after the keyword) of each line starting with ``if``/``elif`` (after spaces and tabs)."""
    for m in _IF_WORD.finditer(text):
        i = m.start()
        word = i - 2 if i >= 2 and text[i - 2 : i] == "el" else i
        lead = text[text.rfind("\n", 0, word) + 1 : word]
        if not lead.strip(" \t"):
            yield lead, m.end()


def _drift_header(header: str) -> bool:
    return bool(_MAYBE_DRIFT.search(header) and _drift_words(header))


def _line_end(tokens: Iterator[re.Match[str]]) -> re.Match[str] | None:
    """The next line break outside brackets and strings that is not a backslash continuation."""
    depth = 0
    for t in tokens:
        if t.group("open"):
            depth += 1
        elif t.group("close"):
            depth = max(depth - 1, 0)
        elif t.group("nl") == "\n" and depth == 0:
            return t
    return None


def _drift_words(test: str) -> bool:
    """Some identifier or string word of the test text is a drift word (as _side_words reads names and strings; with
    escapes such as ``\\n`` read both ways)."""
    return any(w.lower() in DRIFT_WORDS or words(w) & DRIFT_WORDS for w in _IDENT.findall(test) + _IDENT.findall(_ESCAPE.sub(" ", test)))
