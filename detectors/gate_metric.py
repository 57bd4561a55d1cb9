"""Metric gates in code: thresholds or champion/challenger comparisons that raise, exit, cancel the run or
decide registration/promotion; MLflow ``validation_thresholds``; shell metric checks in CI. Flags that
switch the gate off (dry run, skip, allow-cancel false, ``continue-on-error``) make it non-blocking; feeds M4."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mlscan.ci import argv, ci_model, split_commands
from mlscan.detector import Detector
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

from ._orchestration import (
    PROMOTE_CALLS,
    at,
    call_tail,
    dotted,
    is_test_path,
    kwarg,
    literal,
    metric_compare,
    reach_strength,
    words,
)
from ._pyeval import Env, caller_params

Guards = tuple[tuple[ast.expr, bool, int], ...]  # (test, branch taken, line)
_CONTEXT = ("eval", "valid", "regist", "promot", "deploy", "gate", "check", "compar", "champion", "challeng", "threshold", "train",
            "pipeline", "releas", "approv")
_BASELINE = {"prod", "production", "champion", "baseline", "current", "best", "latest", "previous", "incumbent", "deployed"}
_SHELL_GATE = re.compile(r"\bif\b[^\n]*\b(acc|accuracy|auc|f1|rmse|mse|mae|r2|score|metric)\w*\b[^\n]*(-lt|-gt|-le|-ge|<|>)[\s\S]{0,200}?\bexit\s+[1-9]", re.I)


@dataclass(frozen=True)
class _Gate:
    line: int
    kind: str
    tool: str
    paths: tuple[Guards, ...]  # each: the conditions under which one blocking action runs


def _stops(s: ast.stmt) -> bool:
    """A statement that stops the pipeline: raise, sys.exit(non-zero), run.cancel()."""
    if isinstance(s, ast.Raise):
        return True
    c = s.value if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) else None
    if c is None:
        return False
    name = dotted(c.func)
    if name in ("sys.exit", "exit", "quit", "os._exit", "typer.Exit", "click.Abort"):
        code = literal(c.args[0], 1) if c.args else 0
        return code not in (0, None, False)
    return call_tail(c) in ("cancel", "fail")


def _promotes(node: ast.AST) -> bool:
    return any(isinstance(c, ast.Call) and (call_tail(c) in PROMOTE_CALLS or call_tail(c) == "log_model" and kwarg(c, "registered_model_name") is not None)
               for c in ast.walk(node))


def _actions(stmts: list[ast.stmt], guards: Guards, pred: object) -> list[Guards]:
    """Guard paths to every statement in a branch matching ``pred`` (nested ifs add their tests)."""
    out: list[Guards] = []
    for s in stmts:
        if pred(s):  # type: ignore[operator]
            out.append(guards)
        elif isinstance(s, ast.If):
            out += _actions(s.body, (*guards, (s.test, True, s.lineno)), pred)
            out += _actions(s.orelse, (*guards, (s.test, False, s.lineno)), pred)
        elif isinstance(s, (ast.With, ast.For, ast.While, ast.Try)):
            out += _actions(s.body, guards, pred)
    return out


def _gates(stmts: list[ast.stmt], guards: Guards, handlers: tuple[list[ast.ExceptHandler], ...] = ()) -> Iterator[_Gate]:
    for s in stmts:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from _gates(s.body, ())
            continue
        if isinstance(s, ast.If):
            passed = any(call_tail(c) == "passed" for c in ast.walk(s.test) if isinstance(c, ast.Call))
            if metric_compare(s.test) is not None or passed:
                tool = "deepchecks" if passed else "python"
                paths = [(*guards, *p) for p in _actions(s.body, ((s.test, True, s.lineno),), _stops) + _actions(s.orelse, ((s.test, False, s.lineno),), _stops)]
                if not paths and _promotes(ast.Module(s.body, [])) != _promotes(ast.Module(s.orelse, [])):
                    paths = [(*guards, (s.test, _promotes(ast.Module(s.body, [])), s.lineno))]
                    tool = "mlflow" if "model" in " ".join(call_tail(c) for c in ast.walk(s) if isinstance(c, ast.Call)) else tool
                if paths:
                    yield _Gate(s.lineno, "champion_challenger" if words(ast.unparse(s.test)) & _BASELINE else "threshold", tool, tuple(paths))
            yield from _gates(s.body, (*guards, (s.test, True, s.lineno)), handlers)
            yield from _gates(s.orelse, (*guards, (s.test, False, s.lineno)), handlers)
            continue
        if isinstance(s, ast.Assert) and metric_compare(s.test) is not None:
            yield _Gate(s.lineno, "assert", "python", (guards,))
        if isinstance(s, ast.Try):
            yield from _gates(s.body, guards, (*handlers, s.handlers))
            for h in s.handlers:
                yield from _gates(h.body, guards, handlers)
            yield from _gates(s.orelse + s.finalbody, guards, handlers)
            continue
        if isinstance(s, (ast.With, ast.AsyncWith, ast.For, ast.While)):
            yield from _gates(s.body, guards, handlers)
            continue
        for c in ast.walk(s):
            if isinstance(c, ast.Call) and call_tail(c) in ("evaluate", "validate_evaluation_results") and literal(kwarg(c, "validation_thresholds"), 1) is not None \
                    and kwarg(c, "validation_thresholds") is not None:
                yield _Gate(c.lineno, "mlflow_thresholds", "mlflow", _uncaught(guards, handlers))


def _uncaught(guards: Guards, handlers: tuple[list[ast.ExceptHandler], ...]) -> tuple[Guards, ...]:
    """Paths on which a validation exception still propagates through the enclosing try/except blocks."""
    if not handlers:
        return (guards,)
    catching = [h for h in handlers[-1] if h.type is None or {call_tail(n) or dotted(n) for n in ast.walk(h.type)} & {"Exception", "BaseException", "MlflowException", "ModelValidationFailedException"}]
    if not catching:
        return _uncaught(guards, handlers[:-1])
    return tuple(p for h in catching for p in _actions(h.body, guards, lambda s: isinstance(s, ast.Raise)))


class MetricGate(Detector):
    """Blocking metric thresholds / champion-challenger checks before registration or promotion; feeds M4."""

    id = "gate.metric"
    questions = ("M4",)
    globs = ("**/*.py", "**/*.ipynb", ".github/workflows/*")
    signals = ("gate.metric",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        needles = (b"raise", b"exit", b"cancel", b"assert", b"validation_thresholds", b"register", b"alias", b"transition_model", b"deploy")
        for e, tree in index.python_files(needles):
            if is_test_path(e.vpath):
                continue
            gates = list(_gates(tree.body, ()))
            if not gates or not (any(w.startswith(_CONTEXT) for w in words(e.vpath)) or _promotes(tree) or any(g.kind == "mlflow_thresholds" for g in gates)):
                continue
            strength, how = reach_strength(index, e)
            env = Env(tree, caller_params(index, e))
            ci_blocking = _ci_blocking(index, e)
            for g in gates:
                blocking = ci_blocking and not _exits_before(tree, env, g.line) and any(all(env.truth(t, ln) in (want, None) for t, want, ln in p) for p in g.paths)
                yield self.found("gate.metric", index, e.path, **at(index, e, g.line), strength=strength,
                                 attrs={"tool": g.tool, "blocking": blocking, "kind": g.kind, "reached": how})
        for job in ci_model(index).active_jobs():
            for step in job.steps:
                if step.active and _SHELL_GATE.search(step.command):
                    yield self.found("gate.metric", index, step.path, step.line, strength=Strength.STRONG,
                                     attrs={"tool": "ci", "blocking": step.blocking, "kind": "shell_threshold"})


def _exits_before(tree: ast.Module, env: Env, line: int) -> bool:
    """A top-level ``if mode == "disabled": dbutils.notebook.exit(0)`` that ends the script before the gate."""
    for s in tree.body:
        if s.lineno >= line:
            return False
        if isinstance(s, ast.If) and env.truth(s.test, s.lineno) is True and any(
            isinstance(c, ast.Call) and (dotted(c.func).endswith("notebook.exit") or dotted(c.func) in ("sys.exit", "exit") and literal(c.args[0] if c.args else None, 0) in (0, None))
            for b in s.body for c in ast.walk(b)
        ):
            return True
    return False


def _ci_blocking(index: FileIndex, e: FileEntry) -> bool:
    """False when every CI step that runs this file may fail without failing the job."""
    module = e.vpath[:-3].replace("/", ".") if e.vpath.endswith(".py") else e.vpath

    def runs(cmd: str) -> bool:
        words_ = argv(cmd)
        mods = [words_[i + 1] for i, w in enumerate(words_[:-1]) if w == "-m"]
        return any(w == e.name or w.endswith("/" + e.name) for w in words_) or any(module == m or module.endswith("." + m) for m in mods)

    steps = [s for j in ci_model(index).active_jobs() for s in j.steps if s.active and s.command and any(runs(c) for c in split_commands(s.command))]
    return not steps or any(s.blocking for s in steps)
