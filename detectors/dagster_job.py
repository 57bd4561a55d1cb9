"""Dagster definitions: asset/op graphs, schedules (STOPPED by default), sensors, asset checks; feeds M1, D3, M4. The
legacy API (``@solid`` ops composed in a ``@pipeline``, ``@schedule(pipeline_name=...)``) reads like ops and jobs."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import (
    call_tail,
    calls_training,
    dataflow,
    decorator,
    dotted,
    functions,
    imports,
    kwarg,
    literal,
    metric_compare,
    strings,
    tail,
    training_code,
    trainingish,
)
from mlscan.facts.placeholders import stub_function
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_ASSET = ("asset", "multi_asset", "graph_asset")
_SENSOR = ("sensor", "asset_sensor", "multi_asset_sensor", "SensorDefinition")
_NOT_DEPS = {"context", "config", "self"}
_JOB = ("job", "graph", "pipeline", "composite_solid")  # pipeline/composite_solid: the legacy names of job/graph
_OP = ("op", "solid")


def _running(call: ast.AST) -> bool:
    """Dagster schedules and sensors start STOPPED unless default_status is RUNNING."""
    return isinstance(call, ast.Call) and tail(dotted(kwarg(call, "default_status"))) == "RUNNING"


def _off(call: ast.AST) -> dict[str, bool]:
    """The caveat attribute of a schedule or sensor left at Dagster's default (no ``default_status``: it starts STOPPED
    until someone turns it on), not one switched off on purpose (``default_status=DefaultScheduleStatus.STOPPED``)."""
    return {"stopped_by_default": True} if isinstance(call, ast.Call) and kwarg(call, "default_status") is None else {}


def _span(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    """(first decorator line, last signature line) of a function: the decorator names the asset, the signature its
    upstream assets; its ``def`` line alone reads as a bare opener."""
    start = min([d.lineno for d in fn.decorator_list] + [fn.lineno])
    ends = [fn.lineno] + [a.end_lineno or a.lineno for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    if fn.returns is not None:
        ends.append(fn.returns.end_lineno or fn.returns.lineno)
    return start, max(ends)


class DagsterJob(Detector):
    """Dagster asset/op graphs, schedules with default_status, sensors and blocking asset checks; feeds M1, D3, M4."""

    id = "dagster.job"
    questions = ("M1", "D3", "M4")
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = (b"dagster",)
    signals = ("schedule.training", "pipeline.dag", "retrain.trigger", "gate.metric")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        # the dagster files' paths, not their trees (Dagster's own repository has thousands): the second pass below
        # fetches them again (from the parse cache, or parsed again)
        paths: list[str] = []
        op_defs: set[str] = set()
        stub_ops: set[str] = set()  # ops whose body is a placeholder (mlscan.facts.placeholders)
        # name -> (path, (decorator line, signature end), deps, training, stub, calls training)
        assets: dict[str, tuple[str, tuple[int, int], set[str], bool, bool, bool]] = {}
        jobs: dict[str, ast.AST] = {}
        for e, tree in index.python_files((b"dagster",), ("**/*.py",)):
            if e.test or not imports(tree, "dagster"):
                continue
            path = e.path
            paths.append(path)
            funcs = functions(tree)
            for fn in funcs.values():
                d = decorator(fn, *_ASSET)
                if d is not None:
                    name = str(literal(kwarg(d, "name"), fn.name)) if isinstance(d, ast.Call) else fn.name
                    deps = {a.arg for a in fn.args.args} - _NOT_DEPS
                    if isinstance(d, ast.Call):
                        deps |= {tail(s) for s in strings(kwarg(d, "deps", "ins") or ast.Constant(""))}
                        deps |= {n.id for n in walk(kwarg(d, "deps") or ast.Constant("")) if isinstance(n, ast.Name)}
                    assets[name] = (path, _span(fn), deps, training_code(fn, funcs) or trainingish(name), stub_function(fn),
                                    calls_training(fn, funcs))
                if decorator(fn, *_JOB):
                    jobs[fn.name] = fn
            for n in walk(tree):
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) in ("define_asset_job", "JobDefinition"):
                    jobs.update({t.id: n.value for t in n.targets if isinstance(t, ast.Name)})
        # an asset taking another asset (a parameter named for it, ``deps=``/``ins=``) is an edge; the one cited is a
        # training asset's edge when there is one, from its decorator through its signature (where the upstream is named):
        # first the asset whose code calls the training (its upstream is the model's input), not one that only names
        # training (a best-run selector in a "Training" group, downstream of it)
        linked = [(not calls, not training, p, ln) for name, (p, ln, deps, training, _, calls) in assets.items()
                  if deps & (set(assets) - {name})]
        if len(assets) >= 2 and linked:
            _, _, p, (ln, end) = min(linked)
            stub = all(a[4] for a in assets.values())  # every asset of the graph is a placeholder
            yield self.found("pipeline.dag", index, p, ln, end_line=end if end > ln else None,
                             attrs={"tool": "dagster", "steps": len(assets), "kind": "assets", "training": any(a[3] for a in assets.values()),
                                    **({"stub": True} if stub else {})})
        any_training = any(a[3] for a in assets.values())

        def training(target: ast.AST | None) -> bool:
            if target is None:
                return False
            job = jobs.get(target.id) if isinstance(target, ast.Name) else None
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                job = jobs.get(target.value)  # pipeline_name="train_pipeline"
            names = [dotted(n) for n in walk(job or target) if isinstance(n, (ast.Name, ast.Attribute))] + strings(job or target)
            if any(t == "*" or t.endswith(".all") for t in names):
                return any_training
            return any(assets[a][3] for a in names if a in assets) or trainingish(dotted(target), *names) or (job is not None and training_code(job))

        def stub(target: ast.AST | None) -> bool:
            """Everything the target runs is a placeholder: the assets it selects, or the ops its job calls."""
            if target is None:
                return False
            job = jobs.get(target.id) if isinstance(target, ast.Name) else None
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                job = jobs.get(target.value)
            names = {tail(dotted(n)) for n in walk(job or target) if isinstance(n, (ast.Name, ast.Attribute))} | set(strings(job or target))
            if any(t == "*" or t.endswith(".all") or t == "all" for t in names):
                return bool(assets) and all(a[4] for a in assets.values())
            ran = {a for a in names if a in assets or a in op_defs}
            return bool(ran) and all(assets[a][4] if a in assets else a in stub_ops for a in ran)

        for path in paths:
            tree = index.python(path)
            if tree is not None:
                ops_here = [fn for fn in functions(tree).values() if decorator(fn, *_OP)]
                op_defs.update(fn.name for fn in ops_here)
                stub_ops.update(fn.name for fn in ops_here if stub_function(fn))
        for path in paths:
            tree = index.python(path)
            if tree is None:
                continue
            funcs = functions(tree)
            for n in walk(tree):
                if isinstance(n, ast.Call) and call_tail(n) in ("ScheduleDefinition", "build_schedule_from_partitioned_job"):
                    target = kwarg(n, "job", "target", "job_name", "asset_selection") or (n.args[0] if n.args else None)
                    cron = literal(kwarg(n, "cron_schedule"), "partitioned")
                    if training(target):
                        yield self._sched(index, path, n.lineno, str(cron), _running(n), stub(target), _off(n))
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    d = decorator(n, "schedule")
                    target = kwarg(d, "job", "target", "job_name", "pipeline_name") if isinstance(d, ast.Call) else None
                    if isinstance(d, ast.Call) and training(target):
                        yield self._sched(index, path, d.lineno, str(literal(kwarg(d, "cron_schedule"), "")), _running(d), stub(target), _off(d))
                    d = decorator(n, *_SENSOR)
                    if isinstance(d, ast.Call) and training(kwarg(d, "job", "jobs", "target", "asset_selection", "job_name")):
                        yield self.found("retrain.trigger", index, path, d.lineno, strength=Strength.STRONG if _running(d) else Strength.WEAK,
                                         attrs={"tool": "dagster", "kind": "sensor", "active": _running(d), **_off(d)})
                    d = decorator(n, "asset_check")
                    if d is not None and metric_compare(n) is not None:
                        blocking = isinstance(d, ast.Call) and literal(kwarg(d, "blocking"), False) is True
                        yield self.found("gate.metric", index, path, n.lineno, strength=Strength.MEDIUM,
                                         attrs={"tool": "dagster", "blocking": blocking, "kind": "asset_check"})
                    if decorator(n, *_JOB):
                        # ops defined in this file, or imported by name from the project (``from solids import *``)
                        steps, edges = dataflow(n, op_defs)
                        if steps >= 2 and edges:
                            ran = {c.func.id for c in walk(n) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in op_defs}
                            yield self.found("pipeline.dag", index, path, n.lineno, attrs={"tool": "dagster", "steps": steps, "kind": "ops",
                                                                                        **({"stub": True} if ran and ran <= stub_ops else {})})

    def _sched(self, index: FileIndex, path: str, line: int, cron: str, active: bool, stub: bool = False,
               off: dict[str, bool] | None = None) -> Finding:
        return self.found("schedule.training", index, path, line, strength=Strength.STRONG if active else Strength.WEAK,
                          attrs={"tool": "dagster", "cron": cron, "active": active, "trigger": "cron", **({"stub": True} if stub else {}),
                                 **(off or {})})
