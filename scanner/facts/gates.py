"""Metric gates: where Python code or a shell command stops a run (raise, exit, cancel, a failing assert) or decides
promotion on a metric comparison, and the conditions on each path to that stop (so a flag that switches the gate
off can be evaluated); metric assertions in tests; whether the CI steps that run a file may fail without failing
their job."""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Iterator

from mlscan.ci import argv, ci_model, split_commands
from mlscan.facts.orchestration import PROMOTE_CALLS, call_tail, dotted, kwarg, literal, metric_compare, words
from mlscan.facts.pyast import statement_walk, statements_in, walk
from mlscan.facts.pyeval import Env
from mlscan.index import FileEntry, FileIndex

from ..lazyre import lazy_re
from ..valueclass import Value, setfield

Guards = tuple[tuple[ast.expr, bool, int], ...]  # (test, branch taken, line)
_BASELINE = {"prod", "production", "champion", "baseline", "current", "best", "latest", "previous", "incumbent", "deployed"}
# A shell threshold gate: ``if`` and a metric word and a comparison on one line, ``exit N`` (N > 0) within 200 characters
# after the comparison. Found by separate linear searches (one pattern with two ``[^\n]*`` backtracked quadratically on
# a long line); shell_gate() gives the answer the single pattern would.
_IF = lazy_re(r"\bif\b", re.I)
_METRIC = lazy_re(r"\b(?:acc|accuracy|auc|f1|rmse|mse|mae|r2|score|metric)\w*", re.I)
_COMPARE = lazy_re(r"-lt|-gt|-le|-ge|<|>", re.I)
_EXIT = lazy_re(r"\bexit\s+[1-9]", re.I)


def shell_gate(command: str) -> bool:
    """Does a shell command stop on a metric threshold (``if [ "$ACC" -lt 90 ]; then exit 1; fi``)?"""
    if "exit" not in command.lower():
        return False
    exits = [m.start() for m in _EXIT.finditer(command)]
    if not exits:
        return False
    start = 0
    for line in command.split("\n"):
        # the first ``if`` and the first metric word after it leave every later comparison of the line open
        m_if = _IF.search(line)
        m_metric = _METRIC.search(line, m_if.end()) if m_if else None
        if m_metric:
            for cmp in _COMPARE.finditer(line, m_metric.end()):
                at = start + cmp.end()
                i = bisect_left(exits, at)
                if i < len(exits) and exits[i] - at <= 200:
                    return True
        start += len(line) + 1
    return False


class Gate(Value, frozen=True):
    """A metric comparison in Python that stops the pipeline (raise, non-zero exit, cancel) when it fails."""

    line: int
    kind: str
    tool: str
    paths: tuple[Guards, ...]  # each: the conditions under which one blocking action runs
    # the line where the comparison is written when the ``if`` only reads a verdict assigned above it (``gates_ok =
    # acc >= cfg.min_accuracy`` ... ``if decision == "promote":``): that line decides, the ``if`` acts on it; 0 otherwise
    compare: int = 0
    compare_end: int = 0  # the last line of that assignment (``gates_ok = (...) and \\`` ``(...)``)

    _fields = ("line", "kind", "tool", "paths", "compare", "compare_end")

    def __init__(self, line: int, kind: str, tool: str, paths: tuple[Guards, ...], compare: int = 0,
                 compare_end: int = 0) -> None:
        setfield(self, "line", line)
        setfield(self, "kind", kind)
        setfield(self, "tool", tool)
        setfield(self, "paths", paths)
        setfield(self, "compare", compare)
        setfield(self, "compare_end", compare_end)


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


# registries of the standard library whose ``register`` registers a hook or a codec, never a model
_NOT_MODEL_REGISTRIES = ("atexit.", "signal.", "codecs.", "copyreg.", "faulthandler.", "mimetypes.", "abc.", "functools.", "sys.")


def promotes(node: ast.AST, local: frozenset[str] = frozenset()) -> bool:
    """Does the code register or promote a model: a registry call, ``promote_*()``, ``log_model(registered_model_name=)``,
    a ZenML model version moved to a stage (``stage_promotion``), or a call of one of ``local``, the module's own functions
    and methods that do (``promoting_functions``)?"""
    for c in walk(node):
        if c.__class__ is not ast.Call:
            continue
        tail = call_tail(c)  # type: ignore[arg-type]
        if (tail in PROMOTE_CALLS and not dotted(c.func).startswith(_NOT_MODEL_REGISTRIES)  # type: ignore[attr-defined]
                or tail.startswith("promote_")  # promote_to_prod(), promote_to_production()
                or tail == "log_model" and kwarg(c, "registered_model_name") is not None  # type: ignore[arg-type]
                or tail in _STAGE_CALLS and stage_promotion(c)  # type: ignore[arg-type]
                or tail in local):
            return True
    return False


_STAGE_CALLS = frozenset({"set_stage", "update_model_version"})
# the stages of ZenML's Model Control Plane a model version is promoted to (``zenml.enums.ModelStages``)
_SERVING_STAGES = frozenset({"production", "staging"})


def stage_promotion(c: ast.Call) -> bool:
    """``model_version.set_stage(ModelStages.PRODUCTION, force=True)``, ``model.set_stage("production")``,
    ``model.set_stage(stage=target_env)`` or ``Client().update_model_version(..., stage=ModelStages.PRODUCTION)``: ZenML
    moves a model version to the stage that deploy pipelines and serving
    load (``Model(name, version=ModelStages.PRODUCTION)``). The stage is a ``ModelStages`` member or a literal naming a
    serving stage, or a variable when the version is called a model; ``set_stage`` of anything else (a training phase,
    ``ModelStages.ARCHIVED``) is none."""
    stage = kwarg(c, "stage") or (c.args[0] if c.args and call_tail(c) == "set_stage" else None)
    if stage is None:
        return False  # ``update_model_version`` without ``stage=`` (MLflow's edits a description)
    if isinstance(stage, ast.Attribute) and dotted(stage).rsplit(".", 2)[-2:-1] == ["ModelStages"]:
        return stage.attr.lower() in _SERVING_STAGES
    value = literal(stage, None)
    if isinstance(value, str):
        return value.lower() in _SERVING_STAGES
    return value is None and isinstance(c.func, ast.Attribute) and "model" in dotted(c.func.value).lower()


def promoting_functions(stmts: list[ast.stmt]) -> frozenset[str]:
    """Names of the functions and methods defined in a module that register or promote a model, directly or through
    another of them (``def transition_model_stage(self, version, stage): ... client.set_registered_model_alias(...)``),
    so that ``self.transition_model_stage(version, "Staging")`` is a promotion too."""
    fns = {f.name: f for f in statement_walk(ast.Module(stmts, [])) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    found: set[str] = set()
    changed, depth = True, 0
    while changed and depth < 3:  # wrappers of wrappers, a few levels deep
        changed, depth = False, depth + 1
        for name, f in fns.items():
            if name not in found and promotes(ast.Module(f.body, []), frozenset(found)):
                found.add(name)
                changed = True
    return frozenset(found)


class _Module:
    """What ``code_gates`` asks of the whole module: its functions by name, and the names of those that promote. Both
    are derived on first use (an ``if`` comparing a metric): most modules have none."""

    def __init__(self, stmts: list[ast.stmt]) -> None:
        self._stmts = stmts
        self._functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None
        self._promoters: frozenset[str] | None = None
        self._constants: dict[str, object] | None = None

    @property
    def functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        if self._functions is None:
            self._functions = {f.name: f for f in statement_walk(ast.Module(self._stmts, []))
                               if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        return self._functions

    @property
    def constants(self) -> dict[str, object]:
        """Module-level names bound once to a number (``ACCURACY_THRESHOLD = 0.85``)."""
        if self._constants is None:
            self._constants = module_constants(self._stmts)
        return self._constants

    @property
    def promoters(self) -> frozenset[str]:
        if self._promoters is None:
            self._promoters = promoting_functions(self._stmts)
        return self._promoters


_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _passes_all(test: ast.expr, functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> bool:
    """Does the test ask a metric verdict of the module with a threshold argument that every model meets? The verdict
    compares a metric with its parameter (``def validate(self, metrics, threshold=0.8): ... accuracy >= threshold``);
    the literal the call passes for it (``validate(metrics, threshold=0.35)``, or positionally) decides: a score at
    least 0 (or above a negative number) always passes. A threshold the call does not write out is kept."""
    for c in walk(test):
        f = functions.get(call_tail(c)) if isinstance(c, ast.Call) else None
        if f is None:
            continue
        params = [a.arg for a in (*f.args.posonlyargs, *f.args.args)]
        if params[:1] in (["self"], ["cls"]) and isinstance(c.func, ast.Attribute):  # type: ignore[union-attr]
            params = params[1:]
        args: dict[str, ast.expr] = dict(zip(params, c.args))  # type: ignore[union-attr]
        args.update({k.arg: k.value for k in c.keywords if k.arg})  # type: ignore[union-attr]
        for cmp in walk(f):
            if not isinstance(cmp, ast.Compare) or len(cmp.ops) != 1 or not isinstance(cmp.ops[0], _ORDER) or metric_compare(cmp) is not cmp:
                continue
            op, left, right = cmp.ops[0], cmp.left, cmp.comparators[0]
            if isinstance(right, ast.Name) and right.id in args:
                value, at_least = literal(args[right.id], None), isinstance(op, (ast.Gt, ast.GtE))  # metric >= threshold
            elif isinstance(left, ast.Name) and left.id in args:
                value, at_least = literal(args[left.id], None), isinstance(op, (ast.Lt, ast.LtE))  # threshold <= metric
            else:
                continue
            if at_least and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and (value < 0 or value == 0 and isinstance(op, (ast.GtE, ast.LtE))):
                return True
    return False


def module_constants(stmts: list[ast.stmt]) -> dict[str, object]:
    """Names a module's top level binds exactly once, to a number (``ACCURACY_THRESHOLD = 0.85``)."""
    seen: dict[str, list[object]] = {}
    for st in stmts:
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AnnAssign) and st.value is not None else []
        for t in targets:
            if isinstance(t, ast.Name):
                seen.setdefault(t.id, []).append(literal(st.value, None))  # type: ignore[union-attr]
    return {k: v[0] for k, v in seen.items() if len(v) == 1 and isinstance(v[0], (int, float)) and not isinstance(v[0], bool)}


def vacuous_threshold(test: ast.AST, constants: dict[str, object]) -> bool:
    """Is the test's metric comparison one every score meets or none does: the metric held to at least 0 (``acc >= 0``,
    ``score > -1``) or below it (``acc < 0``), the threshold written out or a module constant? A threshold 0 blocks
    nothing."""
    cmp = metric_compare(test)
    if cmp is None:
        return False
    op, left, right = cmp.ops[0], cmp.left, cmp.comparators[0]

    def value(n: ast.expr) -> object:
        return constants.get(n.id) if isinstance(n, ast.Name) and n.id in constants else literal(n, None)

    lv, rv = value(left), value(right)
    if isinstance(rv, (int, float)) and not isinstance(rv, bool) and not isinstance(lv, (int, float)):
        bound, up = rv, isinstance(op, (ast.Gt, ast.GtE))  # metric >= bound: ``up``
        strict = isinstance(op, (ast.Gt, ast.Lt))
    elif isinstance(lv, (int, float)) and not isinstance(lv, bool) and not isinstance(rv, (int, float)):
        bound, up = lv, isinstance(op, (ast.Lt, ast.LtE))  # bound <= metric
        strict = isinstance(op, (ast.Gt, ast.Lt))
    else:
        return False
    # ``metric >= 0`` always holds, ``metric < 0`` never does (and the same below a negative bound)
    return bound < 0 or bound == 0 and (not strict if up else strict)


def metric_comparisons(tree: ast.Module) -> Iterator[ast.Compare]:
    """Ordering comparisons of a module on a model metric, written out (``acc >= 0.8``) or read through the names its
    function (or top level) assigned before (``new = json.load(f)["accuracy"]`` ... ``better = new > current``); not
    one every score meets (``vacuous_threshold``)."""
    consts = module_constants(tree.body)
    scopes: list[list[ast.stmt]] = [tree.body, *(f.body for f in statement_walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))]
    for body in scopes:
        assigns: Assigns | None = None
        for st in body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for n in walk(st):
                if not (isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], _ORDER)):
                    continue
                if assigns is None:
                    assigns = _assigns(body)
                seen = n if metric_compare(n) is n else _Expand(assigns, n.lineno, 3).visit(_copy(n))
                if metric_compare(seen) is not None and not vacuous_threshold(seen, consts):
                    yield n


def _returns(s: ast.stmt) -> bool:
    return isinstance(s, ast.Return)


def metric_predicates(tree: ast.AST) -> frozenset[str]:
    """Names of functions, methods and properties whose result is a metric verdict: a ``return`` that compares a
    metric with a threshold (``return self.accuracy >= 0.85``), or combines such verdicts (``return self.accurate and
    self.fast``, ``all(...)``). ``if tests.passes: model.promote_to_prod()`` decides promotion on a metric."""
    fns = [f for f in statement_walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]  # statements: no expression walked
    # a return is a statement: the statements below a function hold all of them, no expression walked
    rets = {id(f): [r for r in statements_in(f.body) if isinstance(r, ast.Return) and r.value is not None] for f in fns}
    returns = {f.name: [r.value for r in rets[id(f)]] for f in fns}
    # a verdict assigned first and returned by name (``to_deploy = recall > 0.7`` ... ``return to_deploy``)
    found: set[str] = set()
    for f in fns:
        assigns = _assigns(f.body) if rets[id(f)] else {}
        if any(_compares(r.value, assigns, r.lineno) for r in rets[id(f)]) or _bool_verdict(f, rets[id(f)], assigns):
            found.add(f.name)
    changed = bool(found)
    while changed:  # verdicts built from verdicts, a few levels deep
        changed = False
        for name, vals in returns.items():
            if name not in found and vals and all(_reads(v) & found for v in vals):
                found.add(name)
                changed = True
    return frozenset(found)


def _bool_verdict(f: ast.FunctionDef | ast.AsyncFunctionDef, rets: list[ast.Return], assigns: Assigns) -> bool:
    """A function that answers True or False by a metric comparison written as branches: every return is a bool
    literal, both occur, and one of them is guarded by a metric comparison (``if f1_current <= f1_latest: return
    False`` ... ``return True``)."""
    if not rets or any(not (isinstance(r.value, ast.Constant) and isinstance(r.value.value, bool)) for r in rets):
        return False
    if {r.value.value for r in rets if isinstance(r.value, ast.Constant)} != {True, False}:
        return False
    return any(_compares(test, assigns, line) for guards in _actions(f.body, (), lambda s: isinstance(s, ast.Return)) for test, _, line in guards)


def _reads(expr: ast.AST) -> set[str]:
    """Attribute and function names an expression reads or calls (``self.accurate``, ``check()``)."""
    return {n.attr for n in walk(expr) if isinstance(n, ast.Attribute)} | {n.id for n in walk(expr) if isinstance(n, ast.Name)}


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


Assigns = dict[str, list[tuple[int, ast.expr]]]


def _assigns(stmts: list[ast.stmt]) -> Assigns:
    """name -> [(line, value)] of the plain assignments in a function body (or a module's top level), and the verdict
    flags set there (``_flags``)."""
    out: Assigns = {}
    entries: dict[str, list[tuple[int, ast.expr]]] = {}  # dict entries set with a literal key
    for n in statements_in(stmts):  # an assignment is a statement: no expression is walked
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            out.setdefault(n.targets[0].id, []).append((n.lineno, n.value))
        elif isinstance(n, ast.Assign) and len(n.targets) == 1 and (key := _flag_key(n.targets[0])) is not None:
            entries.setdefault(key, []).append((n.lineno, n.value))
    for key, sets in _flags(stmts).items():
        # a flag whose other assignments are all ``False`` (its initial value) holds exactly when its guard held; set
        # elsewhere too (an override), it says nothing about the guard
        flagged = {ln for ln, _ in sets}
        others = [v for ln, v in [*out.get(key, ()), *entries.get(key, ())]
                  if ln not in flagged and not (isinstance(v, ast.Constant) and v.value is False)]
        if not others:
            out[key] = sets
    return out


def _flag_key(target: ast.expr) -> str | None:
    """A flag's key: a name, or a dict entry with a literal key (``results["performance_passed"]``)."""
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and isinstance(target.slice, ast.Constant) \
            and isinstance(target.slice.value, str):
        return ast.unparse(target)
    return None


def _flags(stmts: list[ast.stmt]) -> Assigns:
    """Verdict flags: a name or dict entry set to ``True`` directly in one branch of an ``if`` (``if performance_passed:
    results["model_performance_passed"] = True``), mapped to that branch's condition, so that a later test reading the
    flag reads the condition (``_Expand``)."""
    out: Assigns = {}
    for n in statements_in(stmts):
        if not isinstance(n, ast.If):
            continue
        for branch, test in ((n.body, n.test), (n.orelse, ast.UnaryOp(ast.Not(), n.test))):
            for s in branch:
                if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.value, ast.Constant) and s.value.value is True \
                        and (key := _flag_key(s.targets[0])) is not None:
                    out.setdefault(key, []).append((s.lineno, test))
    return out


class _Expand(ast.NodeTransformer):
    """Names replaced by the value last assigned to them before ``line`` (``challenger_wins = m_chall < m_champ``,
    ``m_chall = metrics_challenger[eval_metric]``), a few levels deep."""

    def __init__(self, assigns: Assigns, line: int, depth: int) -> None:
        self.assigns, self.line, self.depth = assigns, line, depth

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self._expand(node, node.id)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        key = _flag_key(node)
        return self._expand(node, key) if key is not None and key in self.assigns else self.generic_visit(node)

    def _expand(self, node: ast.expr, key: str) -> ast.AST:
        prior = [v for ln, v in self.assigns.get(key, ()) if ln < self.line]
        if not prior or self.depth <= 0 or len(self.assigns.get(key, ())) > 1:
            return node
        value = prior[-1]
        if self.depth <= 1 or not any(_expandable(n, self.assigns) for n in walk(value)):
            return value  # nothing in it would be replaced: the expansion only reads it, no copy needed
        return _Expand(self.assigns, self.line, self.depth - 1).visit(_copy(value))


def _copy(node: ast.AST) -> ast.AST:
    """A copy of an expression's tree for ``_Expand`` to rewrite (``copy.deepcopy``'s result, ~5x faster: every node and
    list copied, each node's fields and positions set as they were; ``Load``/``Store``/``Del`` markers, which nothing
    rewrites, shared)."""
    if isinstance(node, ast.expr_context):
        return node
    cls = node.__class__
    new = cls.__new__(cls)
    d = new.__dict__
    for k, v in node.__dict__.items():
        if isinstance(v, ast.AST):
            v = _copy(v)
        elif v.__class__ is list:
            v = [_copy(x) if isinstance(x, ast.AST) else x for x in v]
        d[k] = v
    return new


def _expandable(n: ast.AST, assigns: Assigns) -> bool:
    return isinstance(n, ast.Name) and n.id in assigns or isinstance(n, ast.Subscript) and _flag_key(n) in assigns


def _compares(test: ast.expr, assigns: Assigns, line: int, predicates: frozenset[str] = frozenset()) -> bool:
    """A metric comparison, written in the test or in the (once-assigned) variables it reads, or a metric verdict
    (``metric_predicates``: ``tests.passes``, ``model_checks.all_pass()``) that the test reads."""
    if metric_compare(test) is not None:
        return True
    expanded = _Expand(assigns, line, 3).visit(_copy(test)) if any(_expandable(n, assigns) for n in walk(test)) else test
    if predicates and any(isinstance(n, ast.Attribute) and n.attr in predicates
                          or isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in predicates for n in walk(expanded)):
        return True
    return expanded is not test and metric_compare(expanded) is not None


def _assigned_at(assigns: Assigns, line: int) -> tuple[int, int]:
    """(first, last line) of the assignment whose value holds ``line`` (a verdict flag set in an ``if``: that line)."""
    for first, value in (x for sets in assigns.values() for x in sets):
        if first <= line <= (getattr(value, "end_lineno", None) or line):
            return first, min(max(line, getattr(value, "end_lineno", None) or line), first + 5)
    return line, line


def code_gates(stmts: list[ast.stmt], guards: Guards, handlers: tuple[list[ast.ExceptHandler], ...] = (), thresholds: bool = True,
           assigns: Assigns | None = None, predicates: frozenset[str] = frozenset(), loop: bool = False,
           mod: _Module | None = None, rest: tuple[ast.stmt, ...] = ()) -> Iterator[Gate]:
    """Gates in a block; ``thresholds`` False skips the search for MLflow ``validation_thresholds`` (file never names it);
    ``predicates`` names the metric verdicts an ``if`` may read (``metric_predicates`` of the file and what it imports);
    ``mod`` the module's own functions and those of them that promote (derived from the module on the first call); ``rest``
    the statements of the enclosing blocks that run after this one (a copy after the ``if`` that holds the check)."""
    if assigns is None:
        assigns = _assigns(stmts)
    if mod is None:
        mod = _Module(stmts)
    for i, s in enumerate(stmts):
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from code_gates(s.body, (), (), thresholds, _assigns(s.body), predicates, mod=mod)
            continue
        if isinstance(s, ast.If):
            passed = any(call_tail(c) == "passed" for c in walk(s.test) if isinstance(c, ast.Call))
            if _compares(s.test, assigns, s.lineno, predicates) or passed:
                tool = "deepchecks" if passed else "python"
                paths = [(*guards, *p) for p in _actions(s.body, ((s.test, True, s.lineno),), _stops) + _actions(s.orelse, ((s.test, False, s.lineno),), _stops)]
                local = mod.promoters
                if not paths and promotes(ast.Module(s.body, []), local) != promotes(ast.Module(s.orelse, []), local):
                    paths = [(*guards, (s.test, promotes(ast.Module(s.body, []), local), s.lineno))]
                    tool = "mlflow" if "model" in " ".join(call_tail(c) for c in walk(s) if isinstance(c, ast.Call)) else tool
                if not paths and not loop and not promotes(s, local) and promotes(ast.Module(stmts[i + 1:], []), local):
                    # the function returns early when the check fails, before the promotion that follows the ``if``
                    # (``if not self.validate(metrics, threshold=0.35): return False`` ... ``self.promote(version)``)
                    paths = [(*guards, *p) for p in _actions(s.body, ((s.test, True, s.lineno),), _returns)
                             + _actions(s.orelse, ((s.test, False, s.lineno),), _returns)]
                if not paths and not loop:
                    kept = _keeps_only_when(s)
                    if kept is not None:
                        paths, tool = [(*guards, (s.test, kept, s.lineno))], "python"
                if not paths and not loop:
                    paths = _copy_paths(s, [*stmts[i + 1:], *rest], guards, local)
                    tool = "file-copy" if paths else tool
                if paths and (_passes_all(s.test, mod.functions) or vacuous_threshold(
                        _Expand(assigns, s.lineno, 3).visit(_copy(s.test)), mod.constants)):
                    paths = []  # the verdict is asked with a threshold every model meets: nothing is blocked
                    yield Gate(s.lineno, "threshold", tool, ())
                if paths:
                    seen = _Expand(assigns, s.lineno, 3).visit(_copy(s.test))
                    # a verdict read from a predicate (``checks.passes``) holds the model to the thresholds inside it
                    cmp = metric_compare(seen)
                    baseline = cmp is not None and bool(words(ast.unparse(seen)) & _BASELINE)
                    first = min((c.lineno for c in walk(seen) if isinstance(c, ast.Compare) and metric_compare(c) is c), default=0)
                    if not first and predicates:
                        # a verdict a predicate returns (``model_improved = is_better(f1, prod_f1)`` ... ``if model_improved:``):
                        # the call that asks for it decides, not the ``if`` (whose block, the registration, acts on it)
                        first = min((n.lineno for n in walk(seen) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                                     and n.func.id in predicates or isinstance(n, ast.Attribute) and n.attr in predicates), default=0)
                    compare, compare_end = _assigned_at(assigns, first) if 0 < first < s.lineno \
                        and metric_compare(s.test) is None else (0, 0)
                    kind = "champion_challenger" if baseline else "threshold"
                    if kind == "threshold" and not loop and _keeps_only_when(s) is not None and not _actions(s.body + s.orelse, (), _stops) \
                            and not promotes(s):
                        kind = "keep_threshold"
                    yield Gate(s.lineno, kind, tool, tuple(paths), compare, compare_end)
            after = (*stmts[i + 1:], *rest)
            yield from code_gates(s.body, (*guards, (s.test, True, s.lineno)), handlers, thresholds, assigns, predicates, loop, mod, after)
            yield from code_gates(s.orelse, (*guards, (s.test, False, s.lineno)), handlers, thresholds, assigns, predicates, loop, mod, after)
            continue
        if isinstance(s, ast.Assert) and metric_compare(s.test) is not None:
            yield Gate(s.lineno, "assert", "python", (guards,))
        if isinstance(s, ast.Try):
            yield from code_gates(s.body, guards, (*handlers, s.handlers), thresholds, assigns, predicates, mod=mod)
            for h in s.handlers:
                yield from code_gates(h.body, guards, handlers, thresholds, assigns, predicates, mod=mod)
            yield from code_gates(s.orelse + s.finalbody, guards, handlers, thresholds, assigns, predicates, mod=mod)
            continue
        if isinstance(s, (ast.With, ast.AsyncWith, ast.For, ast.While)):
            yield from code_gates(s.body, guards, handlers, thresholds, assigns, predicates, loop or not isinstance(s, (ast.With, ast.AsyncWith)),
                                  mod, (*stmts[i + 1:], *rest))
            continue
        for c in walk(s) if thresholds else ():
            if isinstance(c, ast.Call) and call_tail(c) in ("evaluate", "validate_evaluation_results") and literal(kwarg(c, "validation_thresholds"), 1) is not None \
                    and kwarg(c, "validation_thresholds") is not None:
                yield Gate(c.lineno, "mlflow_thresholds", "mlflow", _uncaught(guards, handlers))


# an MLflow search filter that holds runs to a metric threshold: "metrics.rmse_valid < 6.5", "metrics.`val acc` >= 0.9"
_METRIC_FILTER = lazy_re(r"\bmetrics\.(?:`[^`]+`|\"[^\"]+\"|[\w.-]+)\s*(?:<=|>=|<|>)\s*-?\d")


# calls that keep a trained model where it is used or shared from (a model store, a file the serving side loads)
_KEEPS = frozenset({"save_model", "log_model", "save", "dump", "upload_file", "upload_fileobj", "put_object", "save_pretrained"})
# calls that put an existing model file where it is served from: a file copy or move (``shutil``, ``os``), an object-store
# upload or copy (boto3, google-cloud-storage, azure-storage-blob); the standard library's only by their module
_FILE_COPIES = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move", "os.replace", "os.rename",
                          "copyfile", "copy2", "copytree"})  # the last imported from shutil (``from shutil import copyfile``)
_STORE_COPIES = frozenset({"upload_file", "upload_fileobj", "put_object", "copy_object", "upload_from_filename", "upload_blob",
                           "copy_blob", "start_copy_from_url"})
# what the copied file's arguments say it is: a model or the slot a model is served from
_MODEL_FILE_WORDS = frozenset({"model", "models", "candidate", "champion", "challenger", "production", "prod", "best", "estimator",
                               "classifier", "regressor", "weights", "checkpoint", "pkl", "pickle", "joblib", "h5", "keras", "onnx",
                               "pt", "pth", "ckpt", "safetensors", "savedmodel", "artifact", "artifacts", "serving"})


def copies_model(node: ast.AST) -> bool:
    """Does the code copy, move or upload a model file (``shutil.copy(candidate, "models/production/model.pkl")``,
    ``s3.upload_file("model.joblib", bucket, key)``)? A promotion by file: whatever is copied to the served place is
    what is served."""
    for c in walk(node):
        if not isinstance(c, ast.Call):
            continue
        name = dotted(c.func)
        if name in _FILE_COPIES or call_tail(c) in _STORE_COPIES and not name.startswith(("shutil.", "os.")):
            args = [*c.args, *(k.value for k in c.keywords)]
            if any(_model_file_words(a) for a in args):
                return True
    return False


def _saves_model_file(node: ast.AST) -> bool:
    """A model saved to a path named for a model (``joblib.dump(model, "models/production/model.pkl")``)."""
    return any(isinstance(c, ast.Call) and call_tail(c) in _KEEPS and any(_model_file_words(a) for a in [*c.args, *(k.value for k in c.keywords)])
               for c in walk(node))


def _model_file_words(node: ast.AST) -> bool:
    texts = [n.id for n in walk(node) if isinstance(n, ast.Name)] + [n.attr for n in walk(node) if isinstance(n, ast.Attribute)]
    texts += [n.value for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(words(t) & _MODEL_FILE_WORDS for t in texts)


def _copy_paths(s: ast.If, after: list[ast.stmt], guards: Guards, local: frozenset[str]) -> list[Guards]:
    """Guard paths of a metric check that decides a promotion by file copy (``copies_model``): one branch copies the
    model to where it is served and the other does not (``if new_acc > current_acc: shutil.copy(candidate,
    production)``), or the check returns before the copy that follows it (``if new_acc <= current_acc: return False``
    ... ``shutil.copy(candidate, production)``). A registry promotion in the same ``if`` is judged as one already."""
    read = _reads(s.test)
    if any(isinstance(t, ast.Name) and t.id in read or isinstance(t, ast.Attribute) and t.attr in read
           for st in s.body + s.orelse if isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign))
           for t in (st.targets if isinstance(st, ast.Assign) else [st.target])):
        return []  # a running best (``if acc > best_acc: best_acc = acc; shutil.copyfile(ckpt, "model_best.pth")``): a checkpoint
    # against the served model (``current``, ``production``, ``champion``...), saving the new model over it is a copy too
    champion = bool(words(ast.unparse(s.test)) & _BASELINE)

    def copies(stmts: list[ast.stmt]) -> bool:
        m = ast.Module(stmts, [])
        return copies_model(m) or champion and _saves_model_file(m)

    body, orelse = copies(s.body), copies(s.orelse)
    if body != orelse:
        return [(*guards, (s.test, body, s.lineno))]
    if body or promotes(s, local) or not copies_model(ast.Module(after, [])):
        return []
    return [(*guards, *p) for p in _actions(s.body, ((s.test, True, s.lineno),), _returns)
            + _actions(s.orelse, ((s.test, False, s.lineno),), _returns)]


def _keeps_model(stmts: list[ast.stmt]) -> bool:
    return any(isinstance(c, ast.Call) and call_tail(c) in _KEEPS for st in stmts for c in walk(st))


def _keeps_only_when(s: ast.If) -> bool | None:
    """A metric check that decides whether the model is kept at all: one branch saves or uploads the model, the other
    (an explicit ``else``) saves nothing and returns (``if test_accuracy >= threshold: store.save_model(...) else:
    return None``). The polarity of the branch that keeps it, or None. Not a best-epoch checkpoint in a loop (the
    caller leaves loops out) and not a check whose failing branch goes on."""
    if not s.orelse:
        return None
    body, orelse = _keeps_model(s.body), _keeps_model(s.orelse)
    if body == orelse:
        return None
    other = s.orelse if body else s.body
    if not isinstance(other[-1], ast.Return):
        return None
    return body


def _filter_text(node: ast.AST | None) -> str:
    """The literal text of a filter string (the constant parts of an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def search_gates(tree: ast.Module) -> Iterator[Gate]:
    """A registration or promotion of a run found by a metric-threshold search: ``runs = client.search_runs(...,
    filter_string="metrics.rmse < 6.5")``, ``best = runs[0]``, ``mlflow.register_model(f"runs:/{best.info.run_id}/model",
    ...)``. Only runs under the threshold can be registered; when none is, nothing is (MLflow's search API). Ordering
    the runs by a metric without a threshold picks the best of the batch, however bad: no gate."""
    for fn in [tree, *(f for f in statement_walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        body = fn.body if fn is not tree else [s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        searched: dict[str, int] = {}  # names holding the filtered runs (or what was read from them) -> the search's line
        for n in (x for st in body for x in walk(st)):
            if not (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)):
                continue
            v = n.value
            search = next((c for c in walk(v) if isinstance(c, ast.Call) and call_tail(c) == "search_runs"
                           and _METRIC_FILTER.search(_filter_text(kwarg(c, "filter_string")))), None)
            if search is not None:
                searched[n.targets[0].id] = search.lineno
            elif (src := next((searched[r] for r in _reads(v) if r in searched), None)) is not None:
                searched[n.targets[0].id] = src
        if not searched:
            continue
        for n in (x for st in body for x in walk(st)):
            if isinstance(n, ast.Call) and promotes(n) and call_tail(n) in PROMOTE_CALLS and any(
                    r in searched for a in [*n.args, *(k.value for k in n.keywords)] for r in _reads(a)):
                line = next(searched[r] for a in [*n.args, *(k.value for k in n.keywords)] for r in _reads(a) if r in searched)
                yield Gate(line, "threshold", "mlflow", ((),))
                break


def _uncaught(guards: Guards, handlers: tuple[list[ast.ExceptHandler], ...]) -> tuple[Guards, ...]:
    """Paths on which a validation exception still propagates through the enclosing try/except blocks."""
    if not handlers:
        return (guards,)
    catching = [h for h in handlers[-1] if h.type is None or {call_tail(n) or dotted(n) for n in walk(h.type)} & {"Exception", "BaseException", "MlflowException", "ModelValidationFailedException"}]
    if not catching:
        return _uncaught(guards, handlers[:-1])
    return tuple(p for h in catching for p in _actions(h.body, guards, lambda s: isinstance(s, ast.Raise)))



_ASSERT_CMP = frozenset({"assertGreater", "assertGreaterEqual", "assertLess", "assertLessEqual"})


# calls that put a model in front of a test: loading a trained one, or asking one for predictions or a score
_MODEL_CALLS = frozenset({"predict", "predict_proba", "score", "evaluate", "eval", "infer", "inference", "forward", "load", "load_model",
                          "from_pretrained", "load_learner", "InferenceSession", "read_pickle", "run", "main", "train", "fit", "get"})


def _sanity_bound(cmp: ast.Compare) -> bool:
    """``rmse > 0``, ``loss >= 0.0``: the metric is well-formed, no model is held to a threshold."""
    return any(isinstance(s, ast.Constant) and isinstance(s.value, (int, float)) and not isinstance(s.value, bool) and s.value == 0
               for s in (cmp.left, *cmp.comparators))


def _fixture_metric(fn: ast.AST | None) -> bool:
    """A test function that computes its metric from values written in the test alone: it takes no fixture
    (only ``self``) and neither loads, runs nor asks a model anything (``y_true = np.array([3, 2])`` ... ``assert
    rmsle(y_true, y_pred) < 1``). Such a test checks the metric's code, not a model."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]:
        return False
    return not any(isinstance(c, ast.Call) and call_tail(c) in _MODEL_CALLS for c in walk(fn))


def metric_assertion(tree: ast.AST) -> ast.AST | None:
    """A test assertion on a model metric: ``assert acc >= 0.8``, ``self.assertGreater(auc, 0.75)``,
    ``self.assertTrue(rmse < 5)``. Neither a sanity bound (``assert rmsle > 0``) nor an assertion in a test whose
    metric comes from literal values only (``_fixture_metric``) holds a model to a threshold."""
    for fn in [tree, *(f for f in statement_walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        body = fn.body if fn is not tree else [s for s in getattr(tree, "body", []) if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        for n in (x for st in body for x in walk(st) if not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))):
            cmp: ast.Compare | None = None
            if isinstance(n, ast.Assert):
                cmp = metric_compare(n.test)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                if n.func.attr in _ASSERT_CMP and len(n.args) >= 2:
                    cmp = metric_compare(ast.Compare(n.args[0], [ast.Gt()], [n.args[1]]))
                elif n.func.attr == "assertTrue" and n.args:
                    cmp = metric_compare(n.args[0])
            if cmp is not None and not _sanity_bound(cmp):
                if fn is not tree and _fixture_metric(fn):
                    break  # asked only of a function that compares a metric: most test functions do not
                return n
    return None



def exits_before(tree: ast.Module, env: Env, line: int) -> bool:
    """A top-level ``if mode == "disabled": dbutils.notebook.exit(0)`` that ends the script before the gate."""
    for s in tree.body:
        if s.lineno >= line:
            return False
        if isinstance(s, ast.If) and env.truth(s.test, s.lineno) is True and any(
            isinstance(c, ast.Call) and (dotted(c.func).endswith("notebook.exit") or dotted(c.func) in ("sys.exit", "exit") and literal(c.args[0] if c.args else None, 0) in (0, None))
            for b in s.body for c in walk(b)
        ):
            return True
    return False


def ci_runs_blocking(index: FileIndex, e: FileEntry) -> bool:
    """False when every CI step that runs this file may fail without failing the job."""
    module = e.vpath[:-3].replace("/", ".") if e.vpath.endswith(".py") else e.vpath

    def runs(words_: list[str]) -> bool:
        mods = [words_[i + 1] for i, w in enumerate(words_[:-1]) if w == "-m"]
        return any(w == e.name or w.endswith("/" + e.name) for w in words_) or any(module == m or module.endswith("." + m) for m in mods)

    steps = [blocking for blocking, commands in _ci_commands(index) if any(runs(c) for c in commands)]
    return not steps or any(steps)


def _ci_commands(index: FileIndex) -> list[tuple[bool, list[list[str]]]]:
    """(blocking, argv of each command) of every active CI step with commands, split once per scan."""

    def build() -> list[tuple[bool, list[list[str]]]]:
        steps = [s for j in ci_model(index).active_jobs() for s in j.steps if s.active and s.command]
        return [(s.blocking, [argv(c) for c in split_commands(s.command)]) for s in steps]

    return index.memo("gate-metric-ci-commands", build)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ Azure ML pipeline jobs that go around a gate

_AML_PARENT_JOB = re.compile(r"\$\{\{\s*parent\.jobs\.([\w-]+)\.outputs")
_AML_REGISTERS = re.compile(r"register|models\.create_or_update|az\s+ml\s+model\s+create|online-deployment|begin_create_or_update", re.I)


def azureml_gate_bypassed(index: FileIndex, reached: str) -> bool:
    """True when a gate script runs as a job of an Azure ML pipeline (reached ``azureml job <component.yml>:<line>``)
    and a job of that pipeline that registers or deploys the model does not wait for it: the pipeline's jobs run as
    soon as their inputs are ready, so a registering job fed only by the training job's output
    (``${{parent.jobs.train.outputs.model_dir}}``) runs beside the evaluation, whatever it decides."""
    m = re.match(r"azureml job (.+?):(\d+)\b", reached)
    if m is None:
        return False
    component, at = m.group(1), int(m.group(2))
    for e in index.select(("**/*.yml", "**/*.yaml")):
        if not index.contains(e.path, (b"parent.jobs",)):
            continue
        for doc in index.yaml(e.path):
            jobs = doc.get("jobs") if isinstance(doc, dict) else None
            if not isinstance(jobs, dict):
                continue
            base = e.path.rsplit("/", 1)[0] if "/" in e.path else ""
            # the gate's job: one running the gate's component file, or (a job with its command inline) the job at that line
            gates = {name for name, j in jobs.items() if isinstance(j, dict) and (
                isinstance(j.get("component"), str) and _norm_join(base, j["component"]) == component
                or e.path == component and hasattr(j, "line_of") and j.line_of("command") == at)}
            if not gates:
                continue
            feeds = {name: set(_AML_PARENT_JOB.findall(str(j.get("inputs", "")))) for name, j in jobs.items() if isinstance(j, dict)}

            for name, j in jobs.items():
                if name in gates or not isinstance(j, dict):
                    continue
                text = " ".join(str(j.get(k, "")) for k in ("command", "component", "display_name")) + " " + str(name)
                if _AML_REGISTERS.search(text) and not _waits(str(name), gates, feeds, frozenset()):
                    return True
    return False


def _waits(name: str, gates: set[str], feeds: dict[str, set[str]], seen: frozenset[str]) -> bool:
    """Does the job take (directly or through the jobs it takes from) an output of one of the gate jobs?"""
    return any(up in gates or (up not in seen and _waits(up, gates, feeds, seen | {name})) for up in feeds.get(name, ()))


def _norm_join(base: str, rel: str) -> str:
    parts: list[str] = []
    for p in f"{base}/{rel}".split("/"):
        if p in ("", "."):
            continue
        if p == ".." and parts:
            parts.pop()
        else:
            parts.append(p)
    return "/".join(parts)
