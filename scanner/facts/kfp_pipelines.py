"""What a Kubeflow Pipelines (``kfp``) source file defines, read from its one parse into a file fact: its components, its
``@dsl.pipeline`` functions' step calls, assignments and ``dsl.Condition``/``dsl.If`` blocks, its recurring runs.

A pipeline's steps are calls of components that may be defined in any file of the repository, so which calls are steps is
only known once every file's components are: the fact keeps each pipeline's candidate calls (a plain name, or a prebuilt
``...Op`` factory) with what the kubeflow.pipeline detector asks of a step (its line, name, the task outputs it takes), and
the detector decides with the repository's components (``is_task``) without parsing the file again. Kubeflow's own
repository has ~150 files with pipelines: each was parsed a second time for them after its tree left the parse cache.
"""

from __future__ import annotations

import ast
from typing import Any

from ..index import FileIndex, register_fact
from .orchestration import (
    call_tail,
    decorator,
    dotted,
    imports,
    kwarg,
    line_of,
    literal,
    metric_compare,
    metric_value,
    tail,
    trainingish,
    walk_dicts,
)
from .placeholders import fabricated_data, placeholder_shell, stub_function
from .pyast import walk

COMPONENT_DECOS = ("component", "container_component", "create_component_from_func", "func_to_container_op", "partial")
_COMPONENT_FACTORIES = ("load_component_from_file", "load_component_from_url", "load_component_from_text", "create_component_from_func",
                        "func_to_container_op", "load_component")
_STORAGE_OPS = frozenset({"VolumeOp", "VolumeSnapshotOp", "PipelineVolume"})
_SERVING_NAMES = ("InferenceService", "V1beta1InferenceService", "KServeClient", "SeldonDeployment")
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)

# the items of a pipeline's call (``Pipeline.calls``): [name called (None: an attribute), prebuilt, line, dotted name,
# carries arguments (not a volume), names whose ``.output``/``.outputs`` it takes]
NAME, PREBUILT, LINE, DOTTED, CARRIES, USES = range(6)


def _components(tree: ast.Module) -> set[str]:
    """Names of the file's components (decorated functions, component factories' results)."""
    out: set[str] = set()
    for n in walk(tree):
        if isinstance(n, _FUNCS) and decorator(n, *COMPONENT_DECOS):
            out.add(n.name)
        elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) in _COMPONENT_FACTORIES:
            out |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    return out


def _stub_components(tree: ast.Module) -> set[str]:
    """Components whose function is a placeholder (``mlscan.facts.placeholders.stub_function``): a decorated
    ``@dsl.component`` / ``@func_to_container_op`` function, or ``op = func_to_container_op(fn)`` /
    ``create_component_from_func(fn)`` over such a function of this file."""
    fns = {n.name: n for n in walk(tree) if isinstance(n, _FUNCS)}
    out = {name for name, fn in fns.items() if decorator(fn, *COMPONENT_DECOS) and stub_function(fn)}
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
        if not (isinstance(fn, _FUNCS) and decorator(fn, "container_component")):
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
        if isinstance(n, _FUNCS):
            creates = any(isinstance(c, ast.Call) and call_tail(c) in ("create", "replace", "patch", "apply", "create_namespaced_custom_object")
                          for c in walk(n))
            if not creates:
                continue
            names = {x.id for x in walk(n) if isinstance(x, ast.Name)} | {x.attr for x in walk(n) if isinstance(x, ast.Attribute)}
            texts = {x.value for x in walk(n) if isinstance(x, ast.Constant) and isinstance(x.value, str)}
            if names & set(_SERVING_NAMES) or any(k in t for t in texts for k in ("InferenceService", "SeldonDeployment")):
                out.add(n.name)
    return out


def _fabricating(tree: ast.Module) -> list[list[str]]:
    """[name, generator] of the file's function components that make their data up (``np.random``, ``make_*``) and
    read none: as a pipeline's first step they bring no raw data in."""
    return [[n.name, g] for n in walk(tree) if isinstance(n, _FUNCS) and decorator(n, *COMPONENT_DECOS) and (g := fabricated_data(n))]


def prebuilt(c: ast.Call) -> bool:
    """A prebuilt component called in a pipeline body: KFP and Google Cloud Pipeline Components name their component
    factories in CamelCase ending in ``Op`` (``ModelDeployOp``, ``EndpointCreateOp``, ``ContainerOp``)."""
    name = call_tail(c)
    return len(name) > 2 and name[0].isupper() and name.endswith("Op")


def _chain(expr: ast.AST, ids: dict[int, int]) -> list[int]:
    """The candidate calls (``ids``) of a ``comp(...).set_display_name(...).after(x)`` chain, outermost first, as the
    detector's ``task`` tries them: an attribute call that is no prebuilt component is passed through, a call of a plain
    name ends the chain."""
    out: list[int] = []
    while isinstance(expr, ast.Call):
        i = ids.get(id(expr))
        if i is not None:
            out.append(i)
        if isinstance(expr.func, ast.Name):
            break
        expr = expr.func.value if isinstance(expr.func, ast.Attribute) else None  # type: ignore[assignment]
    return out


def _pipeline(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Any]:
    """A ``@dsl.pipeline`` function, its steps still to be told from the other calls (``calls``, ``NAME`` ... ``USES``):
    ``assigns`` [targets, chain of candidate calls, names read] in walk order, ``after`` (how many ``.after`` calls),
    ``conditions`` [line, names read, compares a metric itself, candidate calls in its body, orders a value against another
    (``train.outputs["Output"] >= 0.7``)]."""
    nodes = [c for c in walk(fn) if isinstance(c, ast.Call) and (isinstance(c.func, ast.Name) or prebuilt(c))]
    ids = {id(c): i for i, c in enumerate(nodes)}
    calls = []
    for c in nodes:
        uses = {n.value.id for a in [*c.args, *(k.value for k in c.keywords)] for n in walk(a)
                if isinstance(n, ast.Attribute) and n.attr in ("outputs", "output") and isinstance(n.value, ast.Name)}
        calls.append([c.func.id if isinstance(c.func, ast.Name) else None, prebuilt(c), c.lineno, dotted(c.func),
                      bool(c.args or c.keywords) and call_tail(c) not in _STORAGE_OPS, sorted(uses)])
    assigns = [[[v.id for v in n.targets if isinstance(v, ast.Name)], _chain(n.value, ids),
                list(dict.fromkeys(b.id for b in walk(n.value) if isinstance(b, ast.Name)))]
               for n in walk(fn) if isinstance(n, ast.Assign)]
    conditions = []
    for w in walk(fn):
        if not isinstance(w, ast.With):
            continue
        for item in w.items:
            c = item.context_expr
            if isinstance(c, ast.Call) and call_tail(c) in ("Condition", "If", "Elif") and c.args:
                guarded = [ids[id(t)] for s in w.body for t in walk(s) if id(t) in ids]
                conditions.append([c.lineno, [n.id for n in walk(c.args[0]) if isinstance(n, ast.Name)],
                                   metric_compare(c.args[0]) is not None, guarded, _orders(c.args[0])])
    return {"name": fn.name, "line": fn.lineno, "calls": calls, "assigns": assigns, "conditions": conditions,
            "after": sum(call_tail(c) == "after" for c in walk(fn) if isinstance(c, ast.Call))}


def _orders(test: ast.AST) -> bool:
    """Does a condition compare by order (``<``, ``<=``, ``>``, ``>=``): a threshold, not an equality on a verdict?"""
    return any(isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE))
               for n in walk(test))


def _metric_returns(tree: ast.Module) -> list[list[Any]]:
    """[name, line] of the file's function components that return a model metric (``return accuracy``, ``return
    float(f1_score(y, p))``): their output (``task.output``, ``task.outputs["Output"]``) is the metric a pipeline's
    condition may hold to a threshold. The line is the first such ``return``; every ``return`` must give a metric."""
    out: list[list[Any]] = []
    for n in walk(tree):
        if isinstance(n, _FUNCS) and decorator(n, *COMPONENT_DECOS):
            rets = [r for r in walk(n) if isinstance(r, ast.Return) and r.value is not None]
            if rets and all(metric_value(r.value) for r in rets):
                out.append([n.name, rets[0].lineno])
    return out


def _verdicts(tree: ast.Module) -> dict[str, int]:
    """Function name -> the line where it compares a metric to decide what it returns (``should_deploy = f1 - baseline >=
    threshold`` ... ``return should_deploy``, or ``return f1 >= 0.8``): what a condition reading a component's output
    rests on. The last definition of a name counts, as a name lookup finds it."""
    fns = {n.name: n for n in walk(tree) if isinstance(n, _FUNCS)}
    out: dict[str, int] = {}
    for name, fn in fns.items():
        assigns = {tg.id: n for n in walk(fn) if isinstance(n, ast.Assign) for tg in n.targets if isinstance(tg, ast.Name)}
        for r in (n for n in walk(fn) if isinstance(n, ast.Return) and n.value is not None):
            node: ast.AST = assigns[r.value.id] if isinstance(r.value, ast.Name) and r.value.id in assigns else r
            value = node.value if isinstance(node, (ast.Assign, ast.Return)) else None
            if value is not None and metric_compare(value) is not None:
                out[name] = node.lineno
                break
    return out


def _recurring(tree: ast.Module) -> list[list[Any]]:
    """``create_recurring_run`` calls: [line, texts naming what runs, enabled, schedule, the pipeline function's name]."""
    out: list[list[Any]] = []
    for c in walk(tree):
        if isinstance(c, ast.Call) and call_tail(c) == "create_recurring_run":
            texts = [dotted(kwarg(c, "pipeline_func")), *(str(literal(kwarg(c, k), "")) for k in ("job_name", "pipeline_package_path", "display_name"))]
            cron = literal(kwarg(c, "cron_expression"), None) or ("interval" if kwarg(c, "interval_second") else "schedule")
            out.append([c.lineno, texts, literal(kwarg(c, "enabled"), True) is not False, str(cron), tail(dotted(kwarg(c, "pipeline_func")))])
    return out


def _file_facts(index: FileIndex, path: str) -> list[Any] | None:
    """What spans files, of one Python file or notebook: [imports kfp, its components, its serving functions, its
    ``@dsl.pipeline`` functions (``_pipeline``), its recurring runs (``_recurring``), its components whose function is a
    placeholder, the container components that run a Python script of the repository with its path, the components that
    make their data up (``_fabricating``), its functions' metric verdicts (``_verdicts``: .py files with a pipeline), its
    components that return a metric (``_metric_returns``)]; None
    when it does not parse. A file fact (FileIndex.fact): kept between scans by content, so a rescan parses only the kfp
    files that changed."""
    tree = index.python(path)
    if tree is None:
        return None
    if not imports(tree, "kfp"):
        return [False, [], [], [], [], [], [], [], {}, []]
    pipelines = [_pipeline(n) for n in walk(tree) if isinstance(n, _FUNCS) and decorator(n, "pipeline")]
    shell_stubs, scripts = _container_commands(tree)
    return [True, sorted(_components(tree)), sorted(_serving_functions(tree)), pipelines, _recurring(tree),
            sorted(_stub_components(tree) | shell_stubs), scripts, _fabricating(tree),
            _verdicts(tree) if pipelines and not path.endswith(".ipynb") else {}, _metric_returns(tree)]


FILE_FACTS = register_fact("kfp_pipelines.file", _file_facts, eager=lambda index, path: index.may_mention(path, (b"kfp",)))


SPEC_NEEDLES = (b"pipelineInfo", b"pipelineSpec")


def _compiled(index: FileIndex, path: str) -> list[list[Any]]:
    """The compiled pipelines (KFP v2 pipeline specs, YAML or JSON) of a file that are graphs: [line of ``root``, tasks,
    a task takes inputs, the task names say training] of each with two or more tasks and an edge (a task that depends on
    another or takes a producer task's output). A fact of the YAML file, derived as it is first loaded: Kubeflow's own
    repository holds ~200 compiled specs (9.6 MB), loaded again for this after they left the parse cache."""
    docs = [index.json(path)] if path.endswith(".json") else index.yaml(path)
    out: list[list[Any]] = []
    for doc in docs:
        spec = doc.get("pipelineSpec", doc) if isinstance(doc, dict) else None
        root = spec.get("root") if isinstance(spec, dict) else None
        tasks = root.get("dag", {}).get("tasks") if isinstance(root, dict) and isinstance(root.get("dag"), dict) else None
        if not (isinstance(tasks, dict) and "pipelineInfo" in spec):  # type: ignore[operator]
            continue
        edges = sum(1 for t in tasks.values() if isinstance(t, dict) and (t.get("dependentTasks") or any(
            "producerTask" in d for d in walk_dicts(t.get("inputs")))))
        if len(tasks) >= 2 and edges:
            carries = any(isinstance(t, dict) and t.get("inputs") for t in tasks.values())
            out.append([line_of(spec, "root") or 1, len(tasks), carries, trainingish(*tasks)])
    return out


COMPILED_FACTS = register_fact("kfp_pipelines.compiled", _compiled, eager=lambda index, path: index.contains(path, SPEC_NEEDLES), kind="yaml")
