"""Prefect flows and deployments: @flow/@task graphs, scheduled deployments of training flows, and Prefect 1 flows
(``with Flow(name, schedule=...) as flow:`` over ``@task`` functions and task instances, registered with
``flow.register()`` or ``prefect register``); feeds M1, D3."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
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
    scores_only,
    tail,
    training_code,
    trainingish,
)
from mlscan.facts.placeholders import stub_function
from mlscan.facts.pyast import statement_walk, walk
from mlscan.facts.schedules import schedule_arg
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.index.paths import is_test_path
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength
from mlscan.valueclass import Value, setfield

_SCHED_KW = ("cron", "interval", "rrule", "schedule", "schedules")
_DEPLOY_CALLS = ("serve", "deploy", "to_deployment", "build_from_flow", "apply")
# Prefect 2's early deployment objects, which name their flow by keyword: 2.0 beta's ``DeploymentSpec(flow=fn |
# flow_location="flows/train.py", flow_name=..., schedule=...)`` (created by ``prefect deployment create <file>``) and
# ``Deployment(flow=fn | FlowScript(path=..., name=...), schedule=...)``
_SPEC_CALLS = ("DeploymentSpec", "Deployment")
_SPEC_FLOW_KW = ("flow", "flow_name", "flow_location")
# Python files worth parsing for deployments: a deployment call (common words) with a schedule keyword (_SCHED_KW) ...
DEPLOY_NEEDLES = (b"serve", b"deploy", b"to_deployment", b"build_from_flow", b"Deployment")
SCHEDULE_NEEDLES = tuple(k.encode() for k in _SCHED_KW)
# ... in a file importing Prefect, or naming one of the project's training flows (added at run time).
PREFECT = (b"prefect",)
# Prefect 1 runs a flow's schedule once the flow is registered with the backend (``flow.register(...)`` in code, or
# the documented/scripted ``prefect register`` command)
_REGISTER = (b"prefect register",)


class _Flow(Value, frozen=True):
    path: str
    line: int
    training: bool
    steps: int
    edges: int
    schedule: tuple[str, bool, int] | None  # Prefect 1: (cron, registered, line) of Flow(schedule=...)
    stub: bool  # the flow's body, or every task it runs, is a placeholder (mlscan.facts.placeholders)
    edge_line: int  # the task call into a training task that consumes another task's result (else the first such call)
    scoring: bool  # the flow only scores with a trained model (``scores_only``): a batch prediction flow

    _fields = ("path", "line", "training", "steps", "edges", "schedule", "stub", "edge_line", "scoring")

    def __init__(
        self,
        path: str,
        line: int,
        training: bool,
        steps: int,
        edges: int,
        schedule: tuple[str, bool, int] | None = None,
        stub: bool = False,
        edge_line: int = 0,
        scoring: bool = False,
    ) -> None:
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "training", training)
        setfield(self, "steps", steps)
        setfield(self, "edges", edges)
        setfield(self, "schedule", schedule)
        setfield(self, "stub", stub)
        setfield(self, "edge_line", edge_line)
        setfield(self, "scoring", scoring)


def _task_instances(tree: ast.Module) -> list[str]:
    """Module-level Prefect 1 task instances (``download = S3Download(bucket=...)``) of a library task class."""
    lib = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("prefect")
           for a in n.names}
    return [t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and dotted(n.value.func).split(".")[0] in lib for t in n.targets if isinstance(t, ast.Name)]


def _events(nodes: list[ast.AST]) -> list[Any]:
    """The call/assignment events of ``_file_flows`` for these nodes, in ``walk`` order."""
    events: list[Any] = []
    for node in nodes:
        for n in walk(node):
            if isinstance(n, ast.Call):
                inputs = [x for a in [*n.args, *(k.value for k in n.keywords)] for x in walk(a)]
                events.append(["c", dotted(n.func), sorted({x.id for x in inputs if isinstance(x, ast.Name)}),
                               sorted({dotted(x.func) for x in inputs if isinstance(x, ast.Call) and x is not n}), n.lineno])
            elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
                events.append(["a", dotted(n.value.func), [x.id for t in n.targets for x in walk(t) if isinstance(x, ast.Name)]])  # a, b = task()
    return events


def _legacy_flows(tree: ast.Module, funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> list[Any]:
    """Prefect 1 flows: ``with Flow("name", schedule=...) as flow:`` blocks, as flows of ``_file_flows`` with a fifth
    item, the schedule: None, or [cron, active as written, line, registered by ``flow.register()`` in this file]."""
    out: list[Any] = []
    for w in statement_walk(tree):  # a ``with`` block is a statement: no expression walked
        if not isinstance(w, ast.With):
            continue
        for item in w.items:
            ctx = item.context_expr
            if not (isinstance(ctx, ast.Call) and call_tail(ctx) == "Flow" and isinstance(item.optional_vars, ast.Name)):
                continue
            var = item.optional_vars.id
            name = str(literal(kwarg(ctx, "name") or (ctx.args[0] if ctx.args else None), "") or var)
            node = kwarg(ctx, "schedule")
            sched = _schedule(ctx) if node is not None and literal(node, "") is not None else None  # schedule=None: none
            registered = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "register"
                             and dotted(c.func.value) == var for c in walk(tree))
            out.append([name, w.lineno, bool(training_code(w, funcs) or trainingish(name)), _events(list(w.body)),
                        [sched[0], sched[1], node.lineno, registered] if sched is not None and node is not None else None, False,
                        scores_only(w, funcs)])
    return out


def _file_flows(index: FileIndex, path: str) -> list[Any] | None:
    """What ``_flows`` reads of one Python file importing Prefect, in one walk of each flow (a file fact; None: the file
    does not parse or does not import Prefect): [task function names, flows, names of the tasks whose body is a
    placeholder], a flow being [name, line, training, events, Prefect 1 schedule or None, its own body is a
    placeholder, it only scores with a trained model]; the events, in ``walk`` order, are ``["c", callee, names, callees, line]`` for a call (``names``/``callees``: the
    names and callees inside its arguments) and ``["a", callee, targets]`` for ``targets = callee(...)``. Whether a
    callee is a task is known only once every file's tasks are (``_flows``)."""
    tree = index.python(path)
    if tree is None or not imports(tree, "prefect"):
        return None
    funcs = functions(tree)
    tasks = [fn.name for fn in funcs.values() if decorator(fn, "task")] + _task_instances(tree)
    flows: list[Any] = []
    for fn in funcs.values():
        if not decorator(fn, "flow"):
            continue
        events = _events([fn])
        flows.append([fn.name, fn.lineno, bool(training_code(fn, funcs) or trainingish(fn.name)), events, None, stub_function(fn),
                      scores_only(fn, funcs)])
    stubs = [fn.name for fn in funcs.values() if decorator(fn, "task") and stub_function(fn)]
    return [tasks, flows + _legacy_flows(tree, funcs), stubs]


FLOW_FACTS = register_fact("prefect.flow.file", _file_flows,
                           eager=lambda index, path: path.endswith(".py") and not is_test_path(path) and index.may_mention(path, PREFECT))


def _deploys(index: FileIndex, path: str) -> list[Any] | None:
    """The deployment calls with a schedule of one Python file (None: it does not parse): [imports Prefect, calls], a
    call being [flow name, line, cron, active, its names are training's]. Derived as the file is parsed when it names a
    deployment call and a schedule keyword."""
    tree = index.python(path)
    if tree is None:
        return None
    out: list[list[Any]] = []
    for c in walk(tree):
        if not isinstance(c, ast.Call):
            continue
        location = ""
        if call_tail(c) in _SPEC_CALLS and any(kwarg(c, k) is not None for k in _SPEC_FLOW_KW):
            name, location = _spec_flow(c)
        elif call_tail(c) in _DEPLOY_CALLS:
            target = kwarg(c, "flow") if call_tail(c) == "build_from_flow" else getattr(c.func, "value", None)
            name = tail(dotted(target)) if target is not None else ""
            ep = literal(kwarg(target, "entrypoint"), "") if isinstance(target, ast.Call) else ""
            name = str(ep).rsplit(":", 1)[-1] if ep else name
        else:
            continue
        sched = _schedule(c)
        if sched is not None:
            named = trainingish(name, str(literal(kwarg(c, "name"), "")), location.rsplit("/", 1)[-1])
            out.append([name, c.lineno, sched[0], sched[1], named, location])
    return [imports(tree, "prefect"), out]


def _spec_flow(c: ast.Call) -> tuple[str, str]:
    """(flow name, flow file as written) a ``DeploymentSpec``/``Deployment`` names: ``flow=train`` (the function),
    ``flow=FlowScript(path=..., name=...)``, or ``flow_location=``/``flow_name=`` (either may be empty)."""
    target = kwarg(c, "flow")
    if isinstance(target, ast.Call):
        return str(literal(kwarg(target, "name"), "") or ""), str(literal(kwarg(target, "path"), "") or "")
    name = tail(dotted(target)) if target is not None else str(literal(kwarg(c, "flow_name"), "") or "")
    return name, str(literal(kwarg(c, "flow_location"), "") or "")


def _located(flows: dict[str, _Flow], path: str, name: str, location: str) -> _Flow | None:
    """The flow a deployment in ``path`` names: by name, else the flow of the file at ``location`` (relative to the
    deploying file's folder or to the repository root; a training flow first when the file defines several)."""
    if name in flows or not location:
        return flows.get(name)
    loc = location.split(":", 1)[0]
    where = {posixpath.normpath(posixpath.join(posixpath.dirname(path), loc)), posixpath.normpath(loc)}
    return min((f for f in flows.values() if f.path in where), key=lambda f: (not f.training, f.line), default=None)


DEPLOY_FACTS = register_fact("prefect.flow.deploys", _deploys, eager=lambda index, path: path.endswith(".py")
                             and index.may_mention(path, DEPLOY_NEEDLES) and index.may_mention(path, SCHEDULE_NEEDLES))


# a name a module may define as a task (``def name``, ``name = ...``; a backslash may continue the line, a parenthesis close
# the target), as its text writes it
_DEFINED = lazy_re(r"\bdef[\s\\]+(\w+)|(\w+)[\s\\)]*=(?!=)")


def _code_text(index: FileIndex, e: FileEntry) -> str | None:
    """The text of a Python file when its parsed code reads as written there (None: a template, rendered before it is
    parsed; non-ASCII text, whose identifiers are NFKC-normalised when parsed; unreadable)."""
    text = None if e.template else index.text(e.path)
    return text if text is not None and text.isascii() else None


def _may_define_flow(index: FileIndex, e: FileEntry) -> bool:
    """May the file define a flow: ``@flow``/``@prefect.flow`` or Prefect 1's ``with Flow(...) as flow:``? Not when its
    text names neither ``flow`` nor ``Flow``."""
    text = _code_text(index, e)
    return text is None or "flow" in text or "Flow" in text


def _may_define_any(index: FileIndex, e: FileEntry, names: set[str]) -> bool:
    """May the file define one of ``names`` (a task: a function, or a module-level task instance)? Not when its text
    defines none of them by name (``_DEFINED``)."""
    text = _code_text(index, e)
    return text is None or any(a in names or b in names for a, b in _DEFINED.findall(text))


def _flows(index: FileIndex) -> dict[str, _Flow]:
    """The flows of the repository's Python files that import Prefect, with their steps and edges. A file that cannot
    define a flow (``_may_define_flow``) adds only task names, which count only when a flow calls them: it is read
    (parsed) only when it may define a name some flow calls, or when its fact is at hand."""
    entries = [e for e in index.select(("**/*.py",)) if not e.test and index.mentions(e.path, PREFECT)]
    flowless = [not _may_define_flow(index, e) for e in entries]
    files = [(e.path, f) for e, skip in zip(entries, flowless) if not skip for f in [index.fact(e.path, FLOW_FACTS)] if f is not None]
    # the first name of every callee a flow's events name (``extract``, ``extract.submit``, ``extract.map``): a task
    # name counts (``_task_name``) only when it is one of them
    called = {ev[1].split(".")[0] for _, (_, flows_, _) in files for flow in flows_ for ev in flow[3]}
    called |= {x.split(".")[0] for _, (_, flows_, _) in files for flow in flows_ for ev in flow[3] if ev[0] == "c" for x in ev[3]}
    called.discard("")  # a callee with no name (``f()()``, ``fs[0]()``): no task has it
    files += [(e.path, f) for e, skip in zip(entries, flowless) if skip and called
              and (index.fact_at_hand(e.path, FLOW_FACTS) or _may_define_any(index, e, called))
              for f in [index.fact(e.path, FLOW_FACTS)] if f is not None]
    task_names = {name for _, (tasks, _, _) in files for name in tasks}
    stub_tasks = {name for _, (_, _, stubs) in files for name in stubs}
    flows: dict[str, _Flow] = {}
    for path, (_, file_flows, _) in files:
        for name, line, training, events, legacy, stub_body, scoring in file_flows:
            produced: set[str] = set()
            steps = edges = 0
            ran: set[str] = set()
            edge_lines: list[tuple[bool, int]] = []  # (not into a training task, line) of each edge
            for ev in events:
                if ev[0] == "c" and _task_name(ev[1], task_names):
                    steps += 1
                    ran.add(ev[1].split(".")[0])
                    if any(x in produced for x in ev[2]) or any(_task_name(x, task_names) for x in ev[3]):
                        edges += 1
                        edge_lines.append((not trainingish(ev[1]), ev[4]))
                elif ev[0] == "a" and _task_name(ev[1], task_names):
                    produced |= set(ev[2])
            schedule = None
            if legacy is not None:
                cron, active, sline, registered = legacy
                registered = registered or automation_mentions(index, _REGISTER) or documented(index, _REGISTER)
                schedule = (cron, bool(active and registered), sline)
            # cited at the edge into a training task, else at the first edge in the source
            flows[name] = _Flow(path, line, training, steps, edges, schedule, stub_body or bool(ran) and ran <= stub_tasks,
                                min(edge_lines)[1] if edge_lines else 0, scoring and not training)
    return flows


def _task_name(name: str, task_names: set[str]) -> bool:
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
    if schedule_arg(node)[2] == "manual":
        return None  # ``cron=None``, ``interval=""``: set to nothing (the shared schedule judgement)
    v = literal(node, None)
    return (str(v) if v is not None else dotted(node) or "schedule"), active


class PrefectFlow(Detector):
    """Prefect @flow/@task graphs and deployments (serve/deploy/build_from_flow, prefect.yaml); feeds M1, D3."""

    id = "prefect.flow"
    questions = ("M1", "D3")
    globs = ("**/*.py", "**/prefect.yaml", "**/prefect.yml")
    needs_any = (Need(("**/*.py",), words=PREFECT), Need(("**/prefect.yaml", "**/prefect.yml")))  # a deployment file alone schedules
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
            deploys = index.fact(e.path, DEPLOY_FACTS)
            if deploys is None:
                continue
            imports_prefect, scheduled_calls = deploys
            for name, line, cron, active, named_training, location in scheduled_calls:
                flow = _located(flows, e.path, name, location)
                # a flow the project defines trains or not by its code; the names decide only for one it does not
                if not (flow.training if flow else imports_prefect and named_training):
                    continue
                name = next((n for n, f in flows.items() if f is flow), name)
                scheduled[name] = scheduled.get(name, False) or active
                yield self._schedule_finding(index, e.path, line, cron, active, bool(flow and flow.stub))
        for e in index.select(("**/prefect.yaml", "**/prefect.yml")):
            for doc in index.yaml(e.path):
                deps = doc.get("deployments") if isinstance(doc, dict) else None
                for i, d in enumerate(deps if isinstance(deps, list) else []):
                    if not isinstance(d, dict):
                        continue
                    ep = str(d.get("entrypoint") or "")
                    name = ep.rsplit(":", 1)[-1]
                    flow = flows.get(name)
                    if not (flow.training if flow else trainingish(ep, str(d.get("name", "")))):
                        continue
                    for cron, active, line in _yaml_schedules(d, deps.line_of(i)):
                        active = active and d.get("paused") is not True
                        scheduled[name] = scheduled.get(name, False) or active
                        yield self._schedule_finding(index, e.path, line, cron, active, bool(flow and flow.stub))
        for name, f in flows.items():
            if f.schedule is not None and f.training:
                scheduled[name] = scheduled.get(name, False) or f.schedule[1]
                yield self._schedule_finding(index, f.path, f.schedule[2], f.schedule[0], f.schedule[1], f.stub)
        for name, f in flows.items():
            if f.steps >= 2 and f.edges >= 1:
                # ``scheduled``, not ``active``: a flow run by hand still declares its lineage (D3)
                # cited at the edge into its training task (``model = train(features)``), else its first edge, not at its ``def``
                yield self.found("pipeline.dag", index, f.path, f.edge_line or f.line, strength=Strength.STRONG if scheduled.get(name) else Strength.MEDIUM,
                                 attrs={"tool": "prefect", "flow": name, "steps": f.steps, "scheduled": scheduled.get(name, False),
                                        **({"stub": True} if f.stub else {}), **({"scoring": True} if f.scoring else {})})

    def _schedule_finding(self, index: FileIndex, path: str, line: int, cron: str, active: bool, stub: bool = False) -> Finding:
        return self.found("schedule.training", index, path, line, strength=Strength.STRONG if active else Strength.WEAK,
                          attrs={"tool": "prefect", "cron": cron, "active": active, "trigger": "cron", **({"stub": True} if stub else {})})


def _yaml_schedules(d: dict, line: int) -> Iterator[tuple[str, bool, int]]:
    items = d.get("schedules") if isinstance(d.get("schedules"), list) else [d.get("schedule")]
    for s in items:
        if isinstance(s, dict) and (s.get("cron") or s.get("interval") or s.get("rrule")):
            yield str(s.get("cron") or s.get("interval") or s.get("rrule")), s.get("active", True) is not False, getattr(s, "line", 0) or line
