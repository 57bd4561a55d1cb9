"""Kubeflow Pipelines: @dsl.pipeline graphs, compiled pipeline specs, recurring runs and
dsl.Condition/dsl.If gates on evaluation outputs; feeds D3, M1, M4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import (
    at,
    call_tail,
    decorator,
    dotted,
    imports,
    k8s_objects,
    kwarg,
    line_of,
    literal,
    metric_compare,
    tail,
    trainingish,
    walk_dicts,
    words,
    yaml_docs,
)
from mlscan.facts.placeholders import fabricated_data, placeholder_script, placeholder_shell, stub_function
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.model import Finding, Strength

_COMPONENT_DECOS = ("component", "container_component", "create_component_from_func", "func_to_container_op", "partial")
_COMPONENT_FACTORIES = ("load_component_from_file", "load_component_from_url", "load_component_from_text", "create_component_from_func",
                        "func_to_container_op", "load_component")
_GATE_WORDS = {"eval", "evaluate", "evaluation", "validate", "validation", "compare", "comparison", "check", "metric", "metrics",
               "threshold", "score", "gate", "passed", "approve", "blessing"}


def _components(tree: ast.Module) -> set[str]:
    """Names of the file's components (decorated functions, component factories' results)."""
    out: set[str] = set()
    for n in walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(n, *_COMPONENT_DECOS):
            out.add(n.name)
        elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) in _COMPONENT_FACTORIES:
            out |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    return out


def _verdict_line(index: FileIndex, e: FileEntry, refs: list[ast.Call]) -> int | None:
    """The line where a component of this file whose output a condition reads compares a metric to decide what it
    returns (``should_deploy = f1 - baseline >= threshold`` ... ``return should_deploy``, or ``return f1 >= 0.8``); None
    when the component is defined elsewhere or returns no metric comparison."""
    tree = index.python(e.path)
    if tree is None or e.suffix == ".ipynb":
        return None
    fns = {n.name: n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for t in refs:
        fn = fns.get(t.func.id) if isinstance(t.func, ast.Name) else None
        if fn is None:
            continue
        assigns = {tg.id: n for n in walk(fn) if isinstance(n, ast.Assign) for tg in n.targets if isinstance(tg, ast.Name)}
        for r in (n for n in walk(fn) if isinstance(n, ast.Return) and n.value is not None):
            node: ast.AST = assigns[r.value.id] if isinstance(r.value, ast.Name) and r.value.id in assigns else r
            value = node.value if isinstance(node, (ast.Assign, ast.Return)) else None
            if value is not None and metric_compare(value) is not None:
                return node.lineno
    return None


_SERVING_NAMES = ("InferenceService", "V1beta1InferenceService", "KServeClient", "SeldonDeployment")


def _stub_components(tree: ast.Module) -> set[str]:
    """Components whose function is a placeholder (``mlscan.facts.placeholders.stub_function``): a decorated
    ``@dsl.component`` / ``@func_to_container_op`` function, or ``op = func_to_container_op(fn)`` /
    ``create_component_from_func(fn)`` over such a function of this file."""
    fns = {n.name: n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out = {name for name, fn in fns.items() if decorator(fn, *_COMPONENT_DECOS) and stub_function(fn)}
    for n in walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) in ("func_to_container_op", "create_component_from_func"):
            src = n.value.args[0] if n.value.args else kwarg(n.value, "func")
            if isinstance(src, ast.Name) and src.id in fns and stub_function(fns[src.id]):
                out |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    return out


def _words_of(node: ast.AST | None) -> list[str]:
    """The literal words of a ``command=``/``args=`` list (f-strings by their literal parts, placeholders left out)."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return []
    out: list[str] = []
    for x in node.elts:
        if isinstance(x, ast.Constant) and isinstance(x.value, str):
            out.append(x.value)
        elif isinstance(x, ast.JoinedStr):
            out.append("".join(v.value for v in x.values if isinstance(v, ast.Constant) and isinstance(v.value, str)))
    return out


def _container_commands(tree: ast.Module) -> tuple[set[str], list[list[str]]]:
    """``@dsl.container_component`` functions whose ``ContainerSpec`` only prints or writes a token with the shell (stubs),
    and ``[component, module or script path]`` of those that run a Python script of the repository (``python -m
    src.component.train``, ``python steps/train.py``), for the detector to read across files."""
    stubs: set[str] = set()
    scripts: list[list[str]] = []
    for fn in walk(tree):
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "container_component")):
            continue
        spec = next((c for c in walk(fn) if isinstance(c, ast.Call) and call_tail(c) == "ContainerSpec"), None)
        if spec is None:
            continue
        words = _words_of(kwarg(spec, "command")) + _words_of(kwarg(spec, "args"))
        if not words:
            continue
        if words[0].rsplit("/", 1)[-1] in ("sh", "bash") and "-c" in words[:3]:
            script = words[words.index("-c") + 1] if words.index("-c") + 1 < len(words) else ""
            if script and placeholder_shell(script):
                stubs.add(fn.name)
        elif placeholder_shell(" ".join(words)):
            stubs.add(fn.name)
        elif "-m" in words and words.index("-m") + 1 < len(words) and any(w.startswith("python") for w in words[:words.index("-m")]):
            scripts.append([fn.name, words[words.index("-m") + 1].replace(".", "/") + ".py"])
        else:
            path = next((w for w in words if w.endswith(".py") and not w.startswith("-")), None)
            if path is not None:
                scripts.append([fn.name, path.lstrip("./")])
    return stubs, scripts


def _serving_functions(tree: ast.Module) -> set[str]:
    """Functions whose body creates a serving resource (a KServe InferenceService, a SeldonDeployment); those
    that are components deploy."""
    out: set[str] = set()
    for n in walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            creates = any(isinstance(c, ast.Call) and call_tail(c) in ("create", "replace", "patch", "apply", "create_namespaced_custom_object")
                          for c in walk(n))
            if not creates:
                continue
            names = {x.id for x in walk(n) if isinstance(x, ast.Name)} | {x.attr for x in walk(n) if isinstance(x, ast.Attribute)}
            texts = {x.value for x in walk(n) if isinstance(x, ast.Constant) and isinstance(x.value, str)}
            if names & set(_SERVING_NAMES) or any(k in t for t in texts for k in ("InferenceService", "SeldonDeployment")):
                out.add(n.name)
    return out


_STORAGE_OPS = frozenset({"VolumeOp", "VolumeSnapshotOp", "PipelineVolume"})


def _prebuilt(c: ast.Call) -> bool:
    """A prebuilt component called in a pipeline body: KFP and Google Cloud Pipeline Components name their component
    factories in CamelCase ending in ``Op`` (``ModelDeployOp``, ``EndpointCreateOp``, ``ContainerOp``)."""
    name = call_tail(c)
    return len(name) > 2 and name[0].isupper() and name.endswith("Op")


def _task(expr: ast.AST, comps: set[str]) -> ast.Call | None:
    """The component call inside ``comp(...).set_display_name(...).after(x)`` chains: one of the project's components
    or a prebuilt one (``gcc_aip.ModelDeployOp(...)``, ``dsl.ContainerOp(...)``)."""
    while isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name) and expr.func.id in comps or _prebuilt(expr):
            return expr
        expr = expr.func.value if isinstance(expr.func, ast.Attribute) else None  # type: ignore[assignment]
    return None


def _file_facts(index: FileIndex, path: str) -> list[object] | None:
    """What spans files, of one Python file or notebook: [imports kfp, its components, its serving functions, has a
    @dsl.pipeline, calls create_recurring_run, its components whose function is a placeholder]; None when it does not parse. A file fact (FileIndex.fact): kept
    between scans by content, so a rescan parses only the kfp files that changed. A seventh item lists the container
    components that run a Python script of the repository, with its path; an eighth the components that make their
    data up (``_fabricating``)."""
    tree = index.python(path)
    if tree is None:
        return None
    if not imports(tree, "kfp"):
        return [False, [], [], False, False, [], [], []]
    pipeline = any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(n, "pipeline") for n in walk(tree))
    recurring = any(isinstance(c, ast.Call) and call_tail(c) == "create_recurring_run" for c in walk(tree))
    shell_stubs, scripts = _container_commands(tree)
    return [True, sorted(_components(tree)), sorted(_serving_functions(tree)), pipeline, recurring,
            sorted(_stub_components(tree) | shell_stubs), scripts, _fabricating(tree)]


def _fabricating(tree: ast.Module) -> list[list[str]]:
    """[name, generator] of the file's function components that make their data up (``np.random``, ``make_*``) and
    read none: as a pipeline's first step they bring no raw data in."""
    return [[n.name, g] for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and decorator(n, *_COMPONENT_DECOS) and (g := fabricated_data(n))]


FILE_FACTS = register_fact("kubeflow.pipeline.file", _file_facts, eager=lambda index, path: index.may_mention(path, (b"kfp",)))


def _placeholder_script(index: FileIndex, script: str) -> bool:
    """Is the script a container component runs (a path relative to the image's working directory, which is the
    repository or one of its folders) a placeholder that writes a token instead of doing its step's work?"""
    for e in index.select((f"**/{script.rsplit('/', 1)[-1]}",)):
        if not e.test and ("/" + e.path).endswith("/" + script):
            tree = index.python(e.path)
            return tree is not None and placeholder_script(tree)
    return False


class KubeflowPipeline(Detector):
    """Kubeflow @dsl.pipeline graphs, compiled specs, recurring runs and metric-conditioned steps; feeds D3, M1, M4."""

    id = "kubeflow.pipeline"
    questions = ("D3", "M1", "M4")
    globs = ("**/*.py", "**/*.ipynb", "**/*.yaml", "**/*.yml", "**/*.json")
    signals = ("pipeline.dag", "schedule.training", "gate.metric", "deploy.automated")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        # One pass for what spans files (component names, serving functions) keeping only small facts per file, not
        # trees (a Kubeflow SDK repository has hundreds of kfp files); the files with pipelines or recurring runs
        # are then fetched again (from the parse cache, or parsed again).
        comps: set[str] = set()
        serving: set[str] = set()
        stubs: set[str] = set()
        fabricated: dict[str, str] = {}
        pipelines: list[FileEntry] = []
        recurring: list[FileEntry] = []
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not index.mentions(e.path, (b"kfp",)):
                continue
            facts = index.fact(e.path, FILE_FACTS)
            if facts is None or e.test or not facts[0]:
                continue
            comps.update(facts[1])
            serving.update(facts[2])
            stubs.update(facts[5])
            fabricated.update((name, g) for name, g in facts[7])
            stubs.update(name for name, script in facts[6] if _placeholder_script(index, script))
            if facts[3]:
                pipelines.append(e)
            if facts[4]:
                recurring.append(e)
        deployers = serving & comps
        any_training = False
        stub_pipelines: set[str] = set()
        for e, tree in ((e, index.python(e.path)) for e in pipelines):
            if tree is None:
                continue
            for fn in walk(tree):
                if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "pipeline")):
                    continue
                tasks: dict[str, ast.Call] = {}
                calls = [c for c in walk(fn) if isinstance(c, ast.Call) and _task(c, comps) is c]
                for n in walk(fn):
                    if isinstance(n, ast.Assign) and (t := _task(n.value, comps)) is not None:
                        tasks.update({v.id: t for v in n.targets if isinstance(v, ast.Name)})
                for n in walk(fn):  # eval_passed = evaluate_task.output
                    base = [b.id for b in walk(n.value) if isinstance(b, ast.Name) and b.id in tasks] if isinstance(n, ast.Assign) else []
                    if base and _task(n.value, comps) is None:
                        tasks.update({v.id: tasks[base[0]] for v in n.targets if isinstance(v, ast.Name)})
                edges = io = 0
                sources: list[ast.Call] = []  # steps that take no other step's output: where data enters the pipeline
                for c in calls:
                    used = {n.value.id for a in [*c.args, *(k.value for k in c.keywords)] for n in walk(a)
                            if isinstance(n, ast.Attribute) and n.attr in ("outputs", "output") and isinstance(n.value, ast.Name)}
                    io += bool(used & set(tasks))
                    if not used & set(tasks):
                        sources.append(c)
                edges = io + sum(call_tail(c) == "after" for c in walk(fn) if isinstance(c, ast.Call))
                training = trainingish(*(dotted(c.func) for c in calls))
                any_training = any_training or training
                # every component the pipeline runs is a placeholder (ContainerOps run an image: not read)
                stub = bool(calls) and all(isinstance(c.func, ast.Name) and c.func.id in stubs for c in calls)
                if stub:
                    stub_pipelines.add(fn.name)
                if len(calls) >= 2 and edges >= 1:
                    # steps that take nothing and hand nothing on (only ``.after`` ordering) declare an order, not
                    # lineage: no data enters the pipeline (weak, below D3)
                    # a volume the steps mount (``dsl.VolumeOp(name=..., size="1Gi")``) is storage, not data a step takes
                    carries = io > 0 or any((c.args or c.keywords) and call_tail(c) not in _STORAGE_OPS for c in calls)
                    # every first step makes its data up (``np.random``, ``make_classification``) and reads none: the
                    # stages hand data on, but no raw data enters (labelling conventions D3: lineage starts at raw data)
                    made_up = sorted({fabricated[c.func.id] for c in sources if isinstance(c.func, ast.Name) and c.func.id in fabricated})
                    invented = bool(sources) and all(isinstance(c.func, ast.Name) and c.func.id in fabricated for c in sources)
                    yield self.found("pipeline.dag", index, e.path, **at(index, e, fn.lineno),
                                     strength=Strength.MEDIUM if carries and not invented else Strength.WEAK,
                                     attrs={"tool": "kubeflow", "steps": len(calls), "with_io": io > 0, "training": training,
                                            **({"stub": True} if stub else {}),
                                            **({"synthetic": True, "synthetic_input": ", ".join(made_up)} if invented else {})})
                yield from self._gates(index, e, fn, tasks, comps)
                deploy = next((c for c in calls if isinstance(c.func, ast.Name) and c.func.id in deployers), None)
                if deploy is not None and len(calls) >= 2:
                    yield self.found("deploy.automated", index, e.path, **at(index, e, deploy.lineno), strength=Strength.STRONG,
                                     attrs={"system": "kubeflow", "target": "kserve", "active": True, "via": "pipeline step"})
        for e, tree in ((e, index.python(e.path)) for e in recurring):
            if tree is None:
                continue
            for c in walk(tree):
                if isinstance(c, ast.Call) and call_tail(c) == "create_recurring_run":
                    texts = [dotted(kwarg(c, "pipeline_func")), *(str(literal(kwarg(c, k), "")) for k in ("job_name", "pipeline_package_path", "display_name"))]
                    if trainingish(*texts) or any_training:
                        active = literal(kwarg(c, "enabled"), True) is not False
                        cron = literal(kwarg(c, "cron_expression"), None) or ("interval" if kwarg(c, "interval_second") else "schedule")
                        stub = tail(dotted(kwarg(c, "pipeline_func"))) in stub_pipelines
                        yield self.found("schedule.training", index, e.path, **at(index, e, c.lineno), strength=Strength.STRONG if active else Strength.WEAK,
                                         attrs={"tool": "kubeflow", "cron": str(cron), "active": active, "trigger": "cron",
                                                **({"stub": True} if stub else {})})
        yield from self._compiled(index)

    def _gates(self, index: FileIndex, e: FileEntry, fn: ast.AST, tasks: dict[str, ast.Call], comps: set[str]) -> Iterator[Finding]:
        for w in walk(fn):
            if not isinstance(w, ast.With):
                continue
            for item in w.items:
                c = item.context_expr
                if not (isinstance(c, ast.Call) and call_tail(c) in ("Condition", "If", "Elif") and c.args):
                    continue
                refs = [tasks[n.id] for n in walk(c.args[0]) if isinstance(n, ast.Name) and n.id in tasks]
                by_eval = any(words(dotted(t.func)) & _GATE_WORDS for t in refs)
                guarded = [t for s in w.body for t in walk(s) if isinstance(t, ast.Call) and _task(t, comps) is t]
                if guarded and (by_eval or metric_compare(c.args[0]) is not None):
                    # ``dsl.If(evaluation.output == True)``: the component's own comparison decides, the condition acts on it
                    verdict = _verdict_line(index, e, refs) if metric_compare(c.args[0]) is None else None
                    extra = (self.evidence(index, e.path, **at(index, e, c.lineno), strength=Strength.MEDIUM),) if verdict else ()
                    yield self.found("gate.metric", index, e.path, **at(index, e, verdict or c.lineno), extra=extra,
                                     attrs={"tool": "kubeflow", "blocking": True, "kind": "condition", "guards": len(guarded)})

    def _compiled(self, index: FileIndex) -> Iterator[Finding]:
        for e, doc in yaml_docs(index, (b"pipelineInfo", b"pipelineSpec"), json=True):
            spec = doc.get("pipelineSpec", doc) if isinstance(doc, dict) else None
            root = spec.get("root") if isinstance(spec, dict) else None
            tasks = root.get("dag", {}).get("tasks") if isinstance(root, dict) and isinstance(root.get("dag"), dict) else None
            if not (isinstance(tasks, dict) and "pipelineInfo" in spec):
                continue
            edges = sum(1 for t in tasks.values() if isinstance(t, dict) and (t.get("dependentTasks") or any(
                "producerTask" in d for d in walk_dicts(t.get("inputs")))))
            if len(tasks) >= 2 and edges:
                carries = any(isinstance(t, dict) and t.get("inputs") for t in tasks.values())
                yield self.found("pipeline.dag", index, e.path, line_of(spec, "root") or 1,
                                 strength=Strength.MEDIUM if carries else Strength.WEAK,
                                 attrs={"tool": "kubeflow", "steps": len(tasks), "with_io": carries, "compiled": True, "training": trainingish(*tasks)})
        for e, d in k8s_objects(index, "kubeflow.org", ("ScheduledWorkflow",)):
            spec = d.get("spec") if isinstance(d.get("spec"), dict) else {}
            trig = spec.get("trigger") if isinstance(spec.get("trigger"), dict) else {}
            cron = (trig.get("cronSchedule") or {}).get("cron") if isinstance(trig.get("cronSchedule"), dict) else None
            name = str((d.get("metadata") or {}).get("name", "")) if isinstance(d.get("metadata"), dict) else ""
            if trainingish(name, str(spec.get("workflow", ""))):
                active = spec.get("enabled", True) is not False
                yield self.found("schedule.training", index, e.path, line_of(d, "spec"), strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"tool": "kubeflow", "cron": str(cron or "periodic"), "active": active, "trigger": "cron"})
