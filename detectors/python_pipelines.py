"""Python-defined pipelines: Metaflow flows (@schedule, @trigger), ZenML pipelines (Schedule), Flyte
workflows (LaunchPlan schedules) and Luigi task graphs; feeds D3, M1."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import (
    activated_at,
    automation_mentions,
    calls,
    calls_training,
    dataflow,
    decorator,
    documented,
    dotted,
    edge_line,
    functions,
    imports,
    kwarg,
    launch_plan_activations,
    literal,
    scores_only,
    source_steps,
    spread_kwarg,
    strings,
    tail,
    training_code,
    trainingish,
    unfed_training,
)
from mlscan.facts.placeholders import fabricated_data
from mlscan.facts.pyast import assigned_values, walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_TOOLS = {"zenml": ("pipeline", "step"), "flytekit": ("workflow", "task")}
_METAFLOW_DEPLOY = (b"argo-workflows create", b"step-functions create", b"airflow create")
class PythonPipelines(Detector):
    """Metaflow, ZenML, Flyte and Luigi pipelines and their schedules; feeds D3, M1."""

    id = "python.pipelines"
    questions = ("D3", "M1")
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = (b"metaflow", b"zenml", b"flytekit", b"luigi")
    signals = ("pipeline.dag", "schedule.training", "retrain.trigger")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        # One pass keeps small facts per file, not trees (a Metaflow or ZenML repository of its own has hundreds of
        # such files): Metaflow and Luigi findings are per file; ZenML and Flyte step names span files, so their
        # files are fetched again (from the parse cache, or parsed again) once all steps are known.
        mine: dict[str, list[FileEntry]] = {mod: [] for mod in _TOOLS}
        steps: dict[str, set[str]] = {mod: set() for mod in _TOOLS}
        invented: dict[str, str] = {}  # step -> the generator it makes its data up with (``np.random``, ``make_*``)
        per_file: list[Finding] = []
        for e, tree in index.python_files((b"metaflow", b"zenml", b"flytekit", b"luigi"), ("**/*.py",)):
            if e.test:
                continue
            for mod, (_pipe, step) in _TOOLS.items():
                if imports(tree, mod):
                    mine[mod].append(e)
                    mod_steps = [fn for fn in functions(tree).values() if decorator(fn, step)]
                    steps[mod] |= {fn.name for fn in mod_steps}
                    invented.update((fn.name, g) for fn in mod_steps if (g := fabricated_data(fn)))
            if imports(tree, "metaflow"):
                per_file += self._metaflow(index, e, tree)
            if imports(tree, "luigi"):
                per_file += self._luigi(index, e, tree)
        for mod, (pipe, _step) in _TOOLS.items():
            training_pipes: set[str] = set()
            for e in mine[mod]:
                tree = index.python(e.path)
                if tree is None:
                    continue
                funcs = functions(tree)
                for fn in funcs.values():
                    if decorator(fn, pipe):
                        n, edges = dataflow(fn, steps[mod])
                        training = training_code(fn, funcs) or trainingish(fn.name)
                        training_pipes |= {fn.name} if training else set()
                        # ``tasks`` when its steps call training (``model = train_model(X, y)``), ``name`` when only its
                        # names and strings say training (a champion/challenger or model-import pipeline): D3 leads with the former
                        trains = {"trains": "tasks" if calls_training(fn, funcs) else "name"} if training else {}
                        # a training step that takes nothing in loads its own data: the edges after it are no lineage
                        if n >= 2 and edges and not unfed_training(fn, steps[mod]):
                            # every first step makes its data up and reads none: no raw data enters (weak, below D3)
                            sources = source_steps(fn, steps[mod])
                            made_up = bool(sources) and all(s in invented for s in sources)
                            # cited at the edge into its training step (``model = trainer(data=data)``), not at its ``def``
                            yield self.found("pipeline.dag", index, e.path, edge_line(fn, steps[mod]) or fn.lineno,
                                             strength=Strength.WEAK if made_up else Strength.MEDIUM,
                                             attrs={"tool": mod.replace("kit", ""), "steps": n, "training": training, **trains,
                                                    **({"scoring": True} if not training and scores_only(fn, funcs) else {}),
                                                    **({"synthetic": True, "synthetic_input": ", ".join(sorted({invented[s] for s in sources}))}
                                                       if made_up else {})})
            for e in mine[mod]:
                tree = index.python(e.path)
                if tree is not None:
                    yield from self._schedules(index, e, tree, mod, training_pipes)
        yield from per_file

    def _schedules(self, index: FileIndex, e: FileEntry, tree: ast.Module, mod: str, training_pipes: set[str]) -> Iterator[Finding]:
        texts = {dotted(n) for n in walk(tree) if isinstance(n, ast.Name)} | set(strings(tree))
        training = bool(texts & training_pipes) or trainingish(*strings(tree))
        if mod == "zenml":
            for c in calls(tree, "Schedule"):
                cron = literal(kwarg(c, "cron_expression"), None) or ("interval" if kwarg(c, "interval_second") else "schedule")
                if training:
                    yield self._sched(index, e.path, c.lineno, "zenml", str(cron), True)
        else:
            activated = activated_at(e.path, launch_plan_activations(index))
            bound = assigned_values(tree)
            for c in calls(tree, "get_or_create", "create"):
                sched = kwarg(c, "schedule") or spread_kwarg(c, "schedule", bound)
                if isinstance(sched, ast.Name) and len(bound.get(sched.id, [])) == 1:
                    sched = bound[sched.id][0]  # ``schedule=CRON_SCHEDULE`` bound once to ``CronSchedule(...)``
                if not (dotted(c.func).startswith("LaunchPlan") and sched is not None and literal(sched, True) is not None):
                    continue  # (``schedule=None`` schedules nothing)
                wf = kwarg(c, "workflow") or (c.args[1] if len(c.args) > 1 else c.args[0] if c.args else None)
                if tail(dotted(wf)) in training_pipes or trainingish(*strings(c), dotted(wf)):
                    inner = sched.args[0] if isinstance(sched, ast.Call) and sched.args else kwarg(sched, "schedule", "cron_expression") if isinstance(sched, ast.Call) else sched
                    active = activated or literal(kwarg(c, "auto_activate"), False) is True
                    yield self._sched(index, e.path, c.lineno, "flyte", str(literal(inner, None) or "fixed-rate"), active)

    def _metaflow(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        # @schedule/@trigger are enforced once the flow is deployed to a production orchestrator: by automation, or
        # by the documented deploy command (the labelling conventions: an in-code schedule counts when the repo
        # documents how it is deployed)
        deployed = automation_mentions(index, _METAFLOW_DEPLOY) or documented(index, _METAFLOW_DEPLOY)
        for cls in walk(tree):
            if not (isinstance(cls, ast.ClassDef) and any(tail(dotted(b)) == "FlowSpec" for b in cls.bases)):
                continue
            steps = [f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(f, "step")]
            edges = sum(1 for c in calls(cls, "next") if dotted(c.func) == "self.next")
            training = training_code(cls) or trainingish(cls.name)
            if len(steps) >= 3 and edges >= 2:
                handed = _artifact_handoff(steps)
                extra = [replace(self.evidence(index, e.path, handed), fact="lineage_edge")] if handed is not None else []
                yield self.found("pipeline.dag", index, e.path, cls.lineno, extra=extra,
                                 attrs={"tool": "metaflow", "steps": len(steps), "training": training,
                                        **({"scoring": True} if not training and scores_only(cls) else {})})
            if not training:
                continue
            d = decorator(cls, "schedule")
            if d is not None:
                cron = literal(kwarg(d, "cron"), None) if isinstance(d, ast.Call) else None
                cron = cron or next((k.arg for k in getattr(d, "keywords", []) if literal(k.value, False) is True), "schedule")
                yield self._sched(index, e.path, d.lineno, "metaflow", str(cron), deployed)
            d = decorator(cls, "trigger", "trigger_on_finish")
            if d is not None:
                yield self.found("retrain.trigger", index, e.path, d.lineno, strength=Strength.STRONG if deployed else Strength.WEAK,
                                 attrs={"tool": "metaflow", "kind": "event", "active": deployed})

    def _luigi(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        tasks = {c.name: c for c in walk(tree) if isinstance(c, ast.ClassDef) and any(tail(dotted(b)) in ("Task", "WrapperTask") for b in c.bases)}
        linked = [c for c in tasks.values() for f in c.body if isinstance(f, ast.FunctionDef) and f.name == "requires"
                  and any(isinstance(n, ast.Name) and n.id in tasks for n in walk(f))]
        if len(tasks) >= 2 and linked:
            yield self.found("pipeline.dag", index, e.path, min(c.lineno for c in linked),
                             attrs={"tool": "luigi", "steps": len(tasks), "training": any(training_code(c) for c in tasks.values())})

    def _sched(self, index: FileIndex, path: str, line: int, tool: str, cron: str, active: bool) -> Finding:
        return self.found("schedule.training", index, path, line, strength=Strength.STRONG if active else Strength.WEAK,
                          attrs={"tool": tool, "cron": cron, "active": active, "trigger": "cron"})


def _self_attrs(fn: ast.AST, ctx: type[ast.expr_context]) -> dict[str, int]:
    """``self.<name>`` attributes a step stores (ctx ``ast.Store``, the first line of each) or reads (``ast.Load``; a join's
    ``inputs.<step>.<name>`` and ``inp.<name>`` too)."""
    out: dict[str, int] = {}
    for n in walk(fn):
        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ctx):
            base = n.value
            if isinstance(base, ast.Name) and (base.id == "self" or ctx is ast.Load and base.id in ("inputs", "inp", "input")) \
                    or ctx is ast.Load and isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id == "inputs":
                out.setdefault(n.attr, n.lineno)
    return out


def _artifact_handoff(steps: list[ast.FunctionDef | ast.AsyncFunctionDef]) -> int | None:
    """The line where a Metaflow step stores a data artifact (``self.training_data_df = query(...)``) that a later step
    reads: the data one step passes to the next (D3's edge; a training step's input first), not a fan-out's
    ``self.next(a, b)`` that passes nothing. None when no stored artifact is read by another step."""
    stored = [(fn, _self_attrs(fn, ast.Store)) for fn in steps]
    read = {fn.name: _self_attrs(fn, ast.Load) for fn in steps}
    found: list[tuple[bool, int]] = []
    for fn, attrs in stored:
        for name, line in attrs.items():
            readers = [g for g in steps if g is not fn and name in read[g.name]]
            if readers:
                found.append((not any(trainingish(g.name) or training_code(g) for g in readers), line))
    return min(found)[1] if found else None

