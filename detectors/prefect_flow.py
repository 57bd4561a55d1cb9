"""Prefect flows and deployments: @flow/@task graphs, scheduled deployments of training flows, and Prefect 1 flows
(``with Flow(name, schedule=...) as flow:`` over ``@task`` functions and task instances, registered with
``flow.register()`` or ``prefect register``); feeds M1, D3."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mlscan.detector import Detector
from mlscan.facts.orchestration import (
    automation_mentions,
    call_tail,
    decorator,
    documented,
    dotted,
    functions,
    imports,
    kwarg,
    literal,
    tail,
    training_code,
    trainingish,
)
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_SCHED_KW = ("cron", "interval", "rrule", "schedule", "schedules")
_DEPLOY_CALLS = ("serve", "deploy", "to_deployment", "build_from_flow", "apply")
# Python files worth parsing for deployments: a deployment call (common words) with a schedule keyword (_SCHED_KW) ...
DEPLOY_NEEDLES = (b"serve", b"deploy", b"to_deployment", b"build_from_flow")
SCHEDULE_NEEDLES = tuple(k.encode() for k in _SCHED_KW)
# ... in a file importing Prefect, or naming one of the project's training flows (added at run time).
PREFECT = (b"prefect",)


# Prefect 1 runs a flow's schedule once the flow is registered with the backend (``flow.register(...)`` in code, or
# the documented/scripted ``prefect register`` command)
_REGISTER = (b"prefect register",)


@dataclass(frozen=True)
class _Flow:
    path: str
    line: int
    training: bool
    steps: int
    edges: int
    schedule: tuple[str, bool, int] | None = None  # Prefect 1: (cron, registered, line) of Flow(schedule=...)


def _task_instances(tree: ast.Module) -> set[str]:
    """Module-level Prefect 1 task instances (``download = S3Download(bucket=...)``) of a library task class."""
    lib = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("prefect")
           for a in n.names}
    return {t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and dotted(n.value.func).split(".")[0] in lib for t in n.targets if isinstance(t, ast.Name)}


def _graph(body: list[ast.stmt], task_names: set[str]) -> tuple[int, int]:
    """(task calls, data edges) of a flow body: an edge when a task consumes another task's result."""
    produced: set[str] = set()
    steps = edges = 0
    for stmt in body:
        for n in walk(stmt):
            if isinstance(n, ast.Call) and _task_call(n, task_names):
                steps += 1
                inputs = [*n.args, *(k.value for k in n.keywords if k.arg != "upstream_tasks")]
                if any(isinstance(x, ast.Name) and x.id in produced or isinstance(x, ast.Call) and x is not n and _task_call(x, task_names)
                       for a in inputs for x in walk(a)):
                    edges += 1
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and _task_call(stmt.value, task_names):
            produced |= {x.id for t in stmt.targets for x in walk(t) if isinstance(x, ast.Name)}
    return steps, edges


def _flows(index: FileIndex) -> dict[str, _Flow]:
    trees = [(e.path, t) for e in index.select(("**/*.py",)) if not e.test and index.mentions(e.path, PREFECT)
             for t in [index.python(e.path)] if t is not None and imports(t, "prefect")]
    task_names = {fn.name for _, t in trees for fn in functions(t).values() if decorator(fn, "task")}
    task_names |= {name for _, t in trees for name in _task_instances(t)}
    flows: dict[str, _Flow] = {}
    for path, tree in trees:
        funcs = functions(tree)
        for w in walk(tree):
            if isinstance(w, ast.With):
                flows.update(_flow_block(index, path, tree, w, task_names, funcs))
        for fn in funcs.values():
            if not decorator(fn, "flow"):
                continue
            produced: set[str] = set()
            steps = edges = 0
            for n in walk(fn):
                if isinstance(n, ast.Call) and _task_call(n, task_names):
                    steps += 1
                    inputs = [*n.args, *(k.value for k in n.keywords)]
                    if any(isinstance(x, ast.Name) and x.id in produced or isinstance(x, ast.Call) and _task_call(x, task_names)
                           for a in inputs for x in walk(a)):
                        edges += 1
                elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and _task_call(n.value, task_names):
                    produced |= {t.id for t in n.targets if isinstance(t, ast.Name)}
            flows[fn.name] = _Flow(path, fn.lineno, training_code(fn, funcs) or trainingish(fn.name), steps, edges)
    return flows


def _flow_block(index: FileIndex, path: str, tree: ast.Module, w: ast.With, task_names: set[str],
                funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> dict[str, _Flow]:
    """A Prefect 1 flow: ``with Flow("name", schedule=...) as flow:`` whose body calls tasks."""
    out: dict[str, _Flow] = {}
    for item in w.items:
        ctx = item.context_expr
        if not (isinstance(ctx, ast.Call) and call_tail(ctx) == "Flow" and isinstance(item.optional_vars, ast.Name)):
            continue
        var = item.optional_vars.id
        steps, edges = _graph(w.body, task_names)
        name = str(literal(kwarg(ctx, "name") or (ctx.args[0] if ctx.args else None), "") or var)
        sched = _schedule(ctx)
        if sched is not None and literal(kwarg(ctx, "schedule"), "") is None:
            sched = None  # schedule=None
        registered = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "register"
                         and dotted(c.func.value) == var for c in walk(tree)) \
            or automation_mentions(index, _REGISTER) or documented(index, _REGISTER)
        node = kwarg(ctx, "schedule")
        out[name] = _Flow(path, w.lineno, training_code(w, funcs) or trainingish(name), steps, edges,
                          (sched[0], sched[1] and registered, node.lineno) if sched is not None and node is not None else None)
    return out


def _task_call(c: ast.Call, task_names: set[str]) -> bool:
    name = dotted(c.func)
    return name.split(".")[0] in task_names and tail(name) in (name, "submit", "map")


def _schedule(call: ast.Call) -> tuple[str, bool] | None:
    """(cron text, active) of a deployment call with a schedule, or None when it has none."""
    node = kwarg(call, *_SCHED_KW)
    if node is None:
        return None
    active = literal(kwarg(call, "paused"), False) is not True and literal(kwarg(call, "is_schedule_active", "active"), True) is not False
    if isinstance(node, (ast.List, ast.Tuple)):
        if not node.elts:
            return None
        node = node.elts[0]
    if isinstance(node, ast.Call):
        active = active and literal(kwarg(node, "active"), True) is not False
        inner = node.args[0] if node.args else kwarg(node, "cron", "interval", "rrule")
        v = literal(inner, None)
        return (str(v) if v is not None else call_tail(node)), active
    if isinstance(node, ast.Dict):
        d = literal(node, {})
        return str(d.get("cron") or d.get("interval") or d.get("rrule") or "schedule"), active and d.get("active", True) is not False
    v = literal(node, None)
    return (str(v) if v is not None else dotted(node) or "schedule"), active


class PrefectFlow(Detector):
    """Prefect @flow/@task graphs and deployments (serve/deploy/build_from_flow, prefect.yaml); feeds M1, D3."""

    id = "prefect.flow"
    questions = ("M1", "D3")
    globs = ("**/*.py", "**/prefect.yaml", "**/prefect.yml")
    signals = ("schedule.training", "pipeline.dag")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        flows = _flows(index)
        scheduled: dict[str, bool] = {}
        training_flows = tuple(name.encode() for name, f in flows.items() if f.training)
        for e in index.select(("**/*.py",)):
            if e.test or not (index.mentions(e.path, DEPLOY_NEEDLES) and index.mentions(e.path, SCHEDULE_NEEDLES)):
                continue
            if not (index.mentions(e.path, PREFECT) or (training_flows and index.mentions(e.path, training_flows))):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            for c in walk(tree):
                if not (isinstance(c, ast.Call) and call_tail(c) in _DEPLOY_CALLS):
                    continue
                target = kwarg(c, "flow") if call_tail(c) == "build_from_flow" else getattr(c.func, "value", None)
                name = tail(dotted(target)) if target is not None else ""
                ep = literal(kwarg(target, "entrypoint"), "") if isinstance(target, ast.Call) else ""
                name = str(ep).rsplit(":", 1)[-1] if ep else name
                sched = _schedule(c)
                flow = flows.get(name)
                if sched is None or not (flow and flow.training or imports(tree, "prefect") and trainingish(name, str(literal(kwarg(c, "name"), "")))):
                    continue
                scheduled[name] = scheduled.get(name, False) or sched[1]
                yield self._schedule_finding(index, e.path, c.lineno, sched[0], sched[1])
        for e in index.select(("**/prefect.yaml", "**/prefect.yml")):
            for doc in index.yaml(e.path):
                deps = doc.get("deployments") if isinstance(doc, dict) else None
                for i, d in enumerate(deps if isinstance(deps, list) else []):
                    if not isinstance(d, dict):
                        continue
                    ep = str(d.get("entrypoint") or "")
                    name = ep.rsplit(":", 1)[-1]
                    flow = flows.get(name)
                    if not (flow and flow.training or trainingish(ep, str(d.get("name", "")))):
                        continue
                    for cron, active, line in _yaml_schedules(d, deps.line_of(i)):
                        active = active and d.get("paused") is not True
                        scheduled[name] = scheduled.get(name, False) or active
                        yield self._schedule_finding(index, e.path, line, cron, active)
        for name, f in flows.items():
            if f.schedule is not None and f.training:
                scheduled[name] = scheduled.get(name, False) or f.schedule[1]
                yield self._schedule_finding(index, f.path, f.schedule[2], f.schedule[0], f.schedule[1])
        for name, f in flows.items():
            if f.steps >= 2 and f.edges >= 1:
                yield self.found("pipeline.dag", index, f.path, f.line, strength=Strength.STRONG if scheduled.get(name) else Strength.MEDIUM,
                                 attrs={"tool": "prefect", "flow": name, "steps": f.steps, "scheduled": scheduled.get(name, False)})

    def _schedule_finding(self, index: FileIndex, path: str, line: int, cron: str, active: bool) -> Finding:
        return self.found("schedule.training", index, path, line, strength=Strength.STRONG if active else Strength.WEAK,
                          attrs={"tool": "prefect", "cron": cron, "active": active, "trigger": "cron"})


def _yaml_schedules(d: dict, line: int) -> Iterator[tuple[str, bool, int]]:
    items = d.get("schedules") if isinstance(d.get("schedules"), list) else [d.get("schedule")]
    for s in items:
        if isinstance(s, dict) and (s.get("cron") or s.get("interval") or s.get("rrule")):
            yield str(s.get("cron") or s.get("interval") or s.get("rrule")), s.get("active", True) is not False, getattr(s, "line", 0) or line
