"""SageMaker Pipelines (the SDK's v2 and v3 module layouts, ``mlscan.facts.sagemaker_sdk``; scripts, notebooks and
the files notebooks write): step graphs, ``@step``-decorated function steps, ConditionStep gates on evaluation metrics before registration,
PipelineSchedule triggers, a LambdaStep that deploys the model (its Lambda's code, in the repository, creates or
updates the endpoint), and a ``PipelineExperimentConfig`` recording every execution of a training pipeline in SageMaker
Experiments (in Python, or in a pipeline definition JSON: ``mlscan.facts.sagemaker_definitions``); feeds D3, M4, M1, M2,
E1, E2."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import (
    METRIC_WORDS,
    assigned_call_names,
    assigned_calls,
    call_tail,
    calls,
    dotted,
    imports,
    kwarg,
    literal,
    prepared_splits,
    strings,
    training_code,
    words,
)
from mlscan.facts.place import place
from mlscan.facts.pyast import assigned_values, walk
from mlscan.facts.sagemaker_definitions import experiment_configs
from mlscan.facts.sagemaker_sdk import FUNCTION_STEP_MODULES, PIPELINE_MODULES
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength, clean_snippet
from mlscan.valueclass import replace

_STEPS = ("ProcessingStep", "TrainingStep", "TuningStep", "ModelStep", "RegisterModel", "CreateModelStep", "TransformStep",
          "ConditionStep", "LambdaStep", "QualityCheckStep", "ClarifyCheckStep", "EMRStep", "CallbackStep", "FailStep",
          "NotebookJobStep", "AutoMLStep")
_PROMOTE = ("RegisterModel", "ModelStep", "CreateModelStep", "LambdaStep")
_TRAINING = ("TrainingStep", "TuningStep", "AutoMLStep")


class SagemakerPipeline(Detector):
    """SageMaker Pipelines step graphs, metric ConditionSteps guarding registration, schedules, experiment configs; feeds D3, M4, M1, M2, E1, E2."""

    id = "sagemaker.pipeline"
    questions = ("D3", "M4", "M1", "M2", "E1", "E2")
    globs = ("**/*.py", "**/*.ipynb", "**/*.json", *ops.YAML_GLOBS)
    # Python (scripts, notebooks) that mentions sagemaker; a pipeline definition (JSON, its templates, CloudFormation
    # YAML) naming an experiment config (facts.sagemaker_definitions)
    needs = ("**/*.py", "**/*.ipynb", "**/*.json", "**/*.json.tpl", "**/*.json.template", *ops.YAML_GLOBS)
    needs_words = (b"sagemaker",)
    needs_text = (b"PipelineExperimentConfig",)
    signals = ("pipeline.dag", "gate.metric", "schedule.training", "deploy.automated", "tracking.run")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for cfg in experiment_configs(index):  # definitions written as JSON (a template, or inline in CloudFormation)
            yield self._experiments(index, cfg.path, cfg.line, cfg.deployed, "definition")
        for e, tree in index.python_files((b"sagemaker",), ("**/*.py", "**/*.ipynb")):
            if e.test or not imports(tree, *PIPELINE_MODULES):
                continue
            found = self._python(index, e, tree)
            # a notebook's findings are read on its code cells: their items are cited at the .ipynb's own lines
            yield from (_in_notebook(index, e, f) for f in found) if e.suffix == ".ipynb" else found

    def _python(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        """The pipeline, gates, deploy steps, experiments and schedules one Python module or notebook defines (lines of
        its code: a notebook's code cells joined)."""
        steps = assigned_call_names(tree, _STEPS)  # variable -> step class
        factories = _step_factories(tree)
        steps.update({name: factories[call_tail(c)] for name, c in assigned_calls(tree).items() if call_tail(c) in factories})
        # ``@step`` functions: each call of one is a step of the pipeline, its arguments the data it takes
        fsteps = _function_step_calls(tree)
        steps.update({name: kind for name, c in assigned_calls(tree).items() for fc, kind in fsteps if fc is c})
        step_calls = [*calls(tree, *_STEPS), *(fc for fc, _ in fsteps)]
        edges = 0
        fn_edge = None
        inner = {id(fc) for fc, _ in fsteps}
        values = assigned_values(tree)
        for c in step_calls:
            refs = {n.id for n in walk(c) if isinstance(n, ast.Name) and n.id in steps} or _step_args_refs(c, steps, values)
            nested = id(c) in inner and any(id(n) in inner for a in [*c.args, *(k.value for k in c.keywords)] for n in walk(a))
            edges += bool(refs) or nested or kwarg(c, "depends_on") is not None
            if id(c) in inner and (refs or nested) and fn_edge is None:
                fn_edge = c.lineno
        handoff = _factory_handoff(tree, factories, steps)
        edges += handoff is not None
        training = any(call_tail(c) in _TRAINING for c in step_calls) or any(kind in _TRAINING for _, kind in fsteps)
        pipe = next(calls(tree, "Pipeline"), None)
        if len(step_calls) >= 2 and edges:
            io = any(calls(tree, "ProcessingInput", "ProcessingOutput", "TrainingInput", "TransformInput")) or bool(fsteps)
            # lineage starts at the raw data: some step reads data from outside the pipeline (a data URI parameter,
            # an S3 literal, an input not taken from another step's properties); a pipeline whose steps only read
            # each other's outputs generates its data (weak, below D3)
            raw = _raw_input(tree) or any(_external_argument(tree, fc) for fc, _ in fsteps)
            # the handoff: a step's input that is another step's output property (training's first), not the
            # ``steps=[...]`` list, whose order SageMaker ignores
            edge = _edge_line(tree) or handoff or fn_edge
            extra = [replace(self.evidence(index, e.path, edge), fact="lineage_edge")] if edge else []
            yield self.found("pipeline.dag", index, e.path, (pipe or step_calls[0]).lineno, extra=extra,
                             strength=Strength.MEDIUM if raw else Strength.WEAK,
                             attrs={"tool": "sagemaker", "steps": len(step_calls), "with_io": io, "training": training,
                                    **({} if raw else {"raw_input": False}), **({"edge": True} if edge else {})})
        bound = assigned_calls(tree)
        for c in calls(tree, "ConditionStep"):
            conds = kwarg(c, "conditions") or ast.List([])
            nodes = [conds, *(bound[n.id] for n in walk(conds) if isinstance(n, ast.Name) and n.id in bound)]
            metric = any(any(calls(n, "JsonGet")) or words(" ".join(strings(n))) & METRIC_WORDS for n in nodes) or any(
                words(x.id) & METRIC_WORDS for n in nodes for x in walk(n) if isinstance(x, ast.Name))  # left=accuracy
            guarded = [steps.get(n.id, "") for n in walk(kwarg(c, "if_steps") or ast.List([])) if isinstance(n, ast.Name)]
            guarded += [call_tail(n) for n in walk(kwarg(c, "if_steps") or ast.List([])) if isinstance(n, ast.Call)]
            fails = [steps.get(n.id, "") for n in walk(kwarg(c, "else_steps") or ast.List([])) if isinstance(n, ast.Name)]
            fails += [call_tail(n) for n in walk(kwarg(c, "else_steps") or ast.List([])) if isinstance(n, ast.Call)]
            if metric and (set(guarded) & set(_PROMOTE) or "FailStep" in fails):
                # the comparison and its threshold (``ConditionLessThanOrEqualTo(left=JsonGet(...), right=7.0)``), often
                # bound to a name above the step, is the deciding line (fact: comparison)
                cmp = _comparison(_code_lines(index, e), nodes)
                extra = [replace(self.evidence(index, e.path, cmp[0], end_line=cmp[1], snippet=cmp[2]), fact="comparison")] if cmp else []
                yield self.found("gate.metric", index, e.path, c.lineno, strength=Strength.STRONG if pipe else Strength.MEDIUM,
                                 extra=extra, attrs={"tool": "sagemaker", "blocking": True, "kind": "condition_step"})
        for c in calls(tree, "QualityCheckStep", "ClarifyCheckStep"):
            cfg = kwarg(c, "quality_check_config", "clarify_check_config")
            cfg_call = bound.get(cfg.id) if isinstance(cfg, ast.Name) else cfg
            if isinstance(cfg_call, ast.Call) and call_tail(cfg_call).startswith("ModelQuality"):
                yield self.found("gate.metric", index, e.path, c.lineno, strength=Strength.STRONG if pipe else Strength.MEDIUM,
                                 attrs={"tool": "sagemaker", "kind": "model_quality_check",
                                        "blocking": not _flag(kwarg(c, "skip_check"), bound, False) and _flag(kwarg(c, "fail_on_violation"), bound, True)})
        for c in calls(tree, "LambdaStep"):
            if _deploys(index, e, c, bound):
                name = literal(kwarg(c, "name"), None) or next((literal(a, None) for a in c.args[:1]), None) or "LambdaStep"
                yield self.found("deploy.automated", index, e.path, c.lineno, strength=Strength.STRONG if pipe else Strength.MEDIUM,
                                 attrs={"system": "sagemaker-pipelines", "target": "sagemaker", "active": True, "automatic": False,
                                        "via": "LambdaStep", "environment": "", "job": str(name), "manual_dispatch": True})
                break
        if pipe is not None and _experiment_config(kwarg(pipe, "pipeline_experiment_config"), bound) and (training or _trains_elsewhere(index)):
            where = place(index, e)
            line = kwarg(pipe, "pipeline_experiment_config").lineno  # type: ignore[union-attr]
            yield self._experiments(index, e.path, line, where.wired != "none" or where.training_script, where.wired)
        attached = any(calls(tree, "put_triggers"))
        for c in calls(tree, "PipelineSchedule"):
            if not (training or _trains_elsewhere(index)):
                continue
            active = attached and literal(kwarg(c, "enabled"), True) is not False
            cron = literal(kwarg(c, "cron"), None) or literal(kwarg(c, "rate"), None) or dotted(kwarg(c, "at")) or "schedule"
            yield self.found("schedule.training", index, e.path, c.lineno, strength=Strength.STRONG if active else Strength.WEAK,
                             attrs={"tool": "sagemaker", "cron": str(cron), "active": active, "trigger": "cron"})

    def _experiments(self, index: FileIndex, path: str, line: int, runs: bool, wired: str) -> Finding:
        """A pipeline that trains and records every execution in SageMaker Experiments (the pipeline's experiment, a trial
        per execution holding each training job's parameters and metrics): pipeline-native run tracking, once something
        runs or deploys the pipeline (``runs``)."""
        return self.found("tracking.run", index, path, line, strength=Strength.MEDIUM if runs else Strength.WEAK,
                          attrs={"tool": "sagemaker-pipelines", "tools": "sagemaker-pipelines", "params": True, "metrics": True,
                                 "in_training": runs, "optional": not runs, "tuning_only": False, "wired": wired,
                                 "pipeline_native": True, "how": "pipeline-experiment-config"})


def _code_lines(index: FileIndex, e: FileEntry) -> list[str]:
    """The lines the module's syntax tree numbers: a notebook's code cells joined, a script's own lines."""
    if e.suffix == ".ipynb":
        nb = index.notebook(e.path)
        return nb.source.splitlines() if nb else []
    return index.lines(e.path)


def _in_notebook(index: FileIndex, e: FileEntry, f: Finding) -> Finding:
    """``f`` with each item cited at the .ipynb's line of the code line it names (``ops.locate``) and showing that code;
    an item whose line cannot be found keeps its place (None: the file)."""
    items = []
    for ev in f.evidence:
        if ev.path != e.path or ev.line is None:
            items.append(ev)
            continue
        at, code = ops.locate(index, e, ev.line)
        end = ops.locate(index, e, ev.end_line)[0] if ev.end_line not in (None, ev.line) else at
        src = _code_lines(index, e)
        shown = "\n".join(src[ev.line - 1:(ev.end_line or ev.line)]) if ev.end_line not in (None, ev.line) else code
        items.append(replace(ev, line=at, end_line=max(end or at or 0, at or 0) or None,
                             snippet=clean_snippet(textwrap.dedent(shown)) if shown else None))
    return replace(f, evidence=tuple(items))


def _experiment_config(node: ast.AST | None, bound: dict[str, ast.Call]) -> bool:
    """``pipeline_experiment_config=PipelineExperimentConfig(ExecutionVariables.PIPELINE_NAME, ...)`` (also through a
    name); ``None`` turns the pipeline's experiments off."""
    call = bound.get(node.id) if isinstance(node, ast.Name) else node
    return isinstance(call, ast.Call) and call_tail(call) == "PipelineExperimentConfig"


def _trains_elsewhere(index: FileIndex) -> bool:
    """Does a SageMaker Pipelines module of the repository build a training or tuning step?"""
    return bool(index.memo("sagemaker-pipeline:trains", lambda: any(
        imports(t, *PIPELINE_MODULES) and any(calls(t, *_TRAINING)) for _, t in index.python_files((b"TrainingStep", b"TuningStep"), ("**/*.py",)))))


_TRAIN_WORDS = frozenset({"train", "training", "fit", "tune", "tuning", "retrain"})
_PROMOTE_WORDS = frozenset({"register", "registration", "deploy", "deployment", "promote"})


def _function_step_calls(tree: ast.AST) -> list[tuple[ast.Call, str]]:
    """Calls that add a ``@step`` function to the pipeline, with the step class they stand for (``TrainingStep`` when
    the function or its step name says it trains or it calls ``fit``, ``ModelStep`` when it registers or deploys, else
    ``FunctionStep``): ``train(data)`` of a function decorated ``@step(name="train", ...)``, and
    ``step(fn, name=...)(input_data_s3_path=...)`` (also through ``wrapped = step(fn, ...)``)."""
    al = ops.aliases(tree)
    deco = {local for local, q in al.items() if q in {f"{m}.step" for m in FUNCTION_STEP_MODULES}}
    if not deco:
        return []

    def is_deco(node: ast.AST) -> bool:
        f = node.func if isinstance(node, ast.Call) else node
        return isinstance(f, ast.Name) and f.id in deco

    funcs = {f.name: f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def kind(fn_name: str, wrapper: ast.AST | None) -> str:
        fn = funcs.get(fn_name)
        said = words(fn_name) | words(" ".join(strings(wrapper))) if wrapper is not None else words(fn_name)
        if said & _TRAIN_WORDS or (fn is not None and training_code(fn)):
            return "TrainingStep"
        return "ModelStep" if said & _PROMOTE_WORDS else "FunctionStep"

    decorated = {name: kind(name, next((d for d in f.decorator_list if is_deco(d)), None))
                 for name, f in funcs.items() if any(is_deco(d) for d in f.decorator_list)}
    wrapped: dict[str, str] = {}  # wrapped = step(fn, ...)
    for name, c in assigned_calls(tree).items():
        if is_deco(c) and c.args and isinstance(c.args[0], ast.Name):
            wrapped[name] = kind(c.args[0].id, c)
    out: list[tuple[ast.Call, str]] = []
    for c in (n for n in walk(tree) if isinstance(n, ast.Call)):
        f = c.func
        if isinstance(f, ast.Name) and f.id in decorated:
            out.append((c, decorated[f.id]))
        elif isinstance(f, ast.Name) and f.id in wrapped:
            out.append((c, wrapped[f.id]))
        elif isinstance(f, ast.Call) and is_deco(f) and f.args and isinstance(f.args[0], ast.Name):
            out.append((c, kind(f.args[0].id, f)))
    return out


def _external_argument(tree: ast.AST, call: ast.Call) -> bool:
    """Does a function step take data from outside the pipeline: a pipeline parameter (``ParameterString(...)``,
    inline or bound to a name) or an ``s3://`` literal among its arguments?"""
    bound = assigned_calls(tree)
    for a in [*call.args, *(k.value for k in call.keywords)]:
        target = bound.get(a.id) if isinstance(a, ast.Name) else a
        if isinstance(target, ast.Call) and call_tail(target) == "ParameterString":
            return True
        if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith("s3://"):
            return True
    return False


def _comparison(lines: list[str], nodes: list[ast.AST]) -> tuple[int, int | None, str] | None:
    """A ConditionStep's first comparison (``ConditionGreaterThanOrEqualTo``, ``ConditionLessThan``...): its first line to its
    threshold (``right=``), and a snippet of the call's line, the metric's ``json_path`` and the threshold."""
    for n in nodes:
        for c in walk(n):
            if not (isinstance(c, ast.Call) and call_tail(c).startswith("Condition") and call_tail(c) not in ("ConditionStep", "ConditionNot")):
                continue
            right = kwarg(c, "right") or (c.args[1] if len(c.args) > 1 else None)
            if right is None:
                continue
            path = next((k.value for j in walk(c) if isinstance(j, ast.Call) and call_tail(j) == "JsonGet"
                         for k in j.keywords if k.arg == "json_path"), None)
            keep = sorted({c.lineno, right.lineno, *([path.lineno] if path is not None else [])})
            shown = [lines[i - 1].strip() for i in keep if 0 < i <= len(lines)]
            return c.lineno, right.lineno if right.lineno > c.lineno else None, "\n".join(shown)
    return None


# where a job input names its data: v2's ProcessingInput/TrainingInput/TransformInput, v3's ProcessingS3Input (inside a
# ``ProcessingInput(s3_input=...)``) and ``InputData(data_source=...)`` of a ``ModelTrainer``
_INPUT_ARGS = {"ProcessingInput": "source", "TrainingInput": "s3_data", "TransformInput": "data", "ProcessingS3Input": "s3_uri",
               "InputData": "data_source"}
_TRAINING_INPUTS = ("TrainingInput", "InputData")


def _step_args_refs(call: ast.Call, steps: dict[str, str], values: dict[str, list[ast.expr]]) -> set[str]:
    """Steps a step reads through the names its arguments are built from (v3: ``TrainingStep(step_args=train_args)``,
    ``train_args = model_trainer.train()``, ``model_trainer = ModelTrainer(input_data_config=[InputData(data_source=
    step_process.properties...)])``), three assignments deep."""
    found: set[str] = set()
    seen: set[str] = set()
    frontier = [n.id for n in walk(call) if isinstance(n, ast.Name) and n.id not in steps]
    for _ in range(3):
        nxt: list[str] = []
        for name in frontier:
            if name in seen:
                continue
            seen.add(name)
            for v in values.get(name, ())[:4]:
                for x in walk(v):
                    if isinstance(x, ast.Name):
                        (found.add if x.id in steps else nxt.append)(x.id)
        frontier = nxt
    return found


def _step_factories(tree: ast.AST) -> dict[str, str]:
    """Functions that build and return a step (``def create_training_step(train_s3, ...): return TrainingStep(...)``):
    name -> step class."""
    out: dict[str, str] = {}
    for f in walk(tree):
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for r in walk(f):
                if isinstance(r, ast.Return) and isinstance(r.value, ast.Call) and call_tail(r.value) in _STEPS:
                    out[f.name] = call_tail(r.value)
                    break
    return out


def _factory_handoff(tree: ast.AST, factories: dict[str, str], steps: dict[str, str]) -> int | None:
    """The line of a step factory call handed another step's output (``create_training_step(train_s3=processing_step
    .properties.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri)``, directly or through a variable assigned
    once), or None: the step the factory builds reads that step's output."""
    if not factories:
        return None
    values = assigned_values(tree)

    def from_step(v: ast.AST) -> bool:
        return any(isinstance(x, ast.Attribute) and x.attr == "properties" and isinstance(x.value, ast.Name) and x.value.id in steps
                   for x in walk(v))

    for c in calls(tree, *factories):
        for a in [*c.args, *(k.value for k in c.keywords)]:
            if from_step(a) or isinstance(a, ast.Name) and len(values.get(a.id, [])) == 1 and from_step(values[a.id][0]):
                return c.lineno
    return None


def _edge_line(tree: ast.AST) -> int | None:
    """The line of the first step input taken from another step's ``.properties`` (a ``TrainingInput`` first: where
    data passes into training), or None."""
    found: dict[str, int] = {}
    for c in (n for n in walk(tree) if isinstance(n, ast.Call)):
        name = call_tail(c)
        v = kwarg(c, _INPUT_ARGS[name]) if name in _INPUT_ARGS else None
        if v is not None and any(isinstance(x, ast.Attribute) and x.attr == "properties" for x in walk(v)):
            found.setdefault(name, v.lineno)
    return found.get("TrainingInput") or found.get("InputData") or (min(found.values()) if found else None)


def _raw_input(tree: ast.AST) -> bool:
    """Does a step of the pipeline read data from outside it: an input (``ProcessingInput(source=...)``,
    ``TrainingInput(s3_data=...)``, a dict of channels passed to ``fit``) whose value is not another step's
    ``.properties``, a job argument that is a pipeline parameter (``ParameterString``) or an ``s3://`` literal, or a
    pipeline parameter named for input data?"""
    params = {t.id for n in walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) == "ParameterString"
              for t in n.targets if isinstance(t, ast.Name)}

    def external(v: ast.AST | None) -> bool:
        if v is None:
            return False
        if any(isinstance(x, ast.Attribute) and x.attr == "properties" for x in walk(v)):
            return False
        return True

    for c in (n for n in walk(tree) if isinstance(n, ast.Call)):
        name = call_tail(c)
        value = kwarg(c, _INPUT_ARGS[name]) or (c.args[0] if c.args else None) if name in _INPUT_ARGS else None
        if name in _INPUT_ARGS and external(value) and not (name in _TRAINING_INPUTS and prepared_splits(value)):
            return True  # (a training channel fed a train/validation split made before the pipeline is no raw input)
        for key in ("arguments", "job_arguments"):
            v = kwarg(c, key)
            if isinstance(v, ast.List) and any(isinstance(x, ast.Name) and x.id in params or isinstance(x, ast.Constant)
                                               and isinstance(x.value, str) and x.value.startswith("s3://") for x in v.elts):
                return True
        first = c.args[0] if name == "fit" and c.args else None
        if isinstance(first, ast.Name) and first.id in params or isinstance(first, ast.Constant) and str(first.value).startswith("s3://"):
            return True  # estimator.fit(input_data) / fit("s3://...")
        if name == "ParameterString" and words(str(literal(kwarg(c, "name"), "")) + " " + str(literal(c.args[0] if c.args else None, ""))) \
                & {"input", "data", "dataset", "source", "raw"}:
            return True
    return False


_ENDPOINT_CALLS = ("create_endpoint", "update_endpoint")


def _deploys(index: FileIndex, e: FileEntry, step: ast.Call, bound: dict[str, ast.Call]) -> bool:
    """Does the LambdaStep run code of the repository that creates or updates an endpoint? ``Lambda(script=...)`` names
    the handler file; a Lambda given by name/ARN counts when the step says it deploys and an in-repo Lambda handler
    (``def handler(event, context)``) calls ``create_endpoint``/``update_endpoint``."""
    fn = kwarg(step, "lambda_func")
    fn = bound.get(fn.id) if isinstance(fn, ast.Name) else fn
    script = literal(kwarg(fn, "script"), None) if isinstance(fn, ast.Call) else None
    if isinstance(script, str):
        base = e.vpath.rsplit("/", 1)[0] + "/" if "/" in e.vpath else ""
        hits = [x for x in index.select((f"{base}{script}".lstrip("./"), script.lstrip("./"), f"**/{script.rsplit('/', 1)[-1]}"))]
        return any(index.contains(x.path, tuple(c.encode() for c in _ENDPOINT_CALLS)) for x in hits)
    said = " ".join(strings(step)) + " " + " ".join(str(literal(a, "")) for a in step.args[:1])
    return "deploy" in words(said) | {w for w in words(said) if w.startswith("deploy")} and endpoint_handlers(index)


def endpoint_handlers(index: FileIndex) -> bool:
    """Is there a Lambda function in the repository (not a test) that creates or updates a SageMaker endpoint: a module
    with a handler (``def handler(event, context)``) that calls ``create_endpoint``/``update_endpoint``, itself or
    in a module beside it (the function's own directory)?"""

    def build() -> bool:
        handler_dirs: set[str] = set()
        calling_dirs: set[str] = set()
        for x in index.select(("**/*.py",)):
            if x.test or not index.contains(x.path, (b"event, context", *(c.encode() for c in _ENDPOINT_CALLS))):
                continue
            tree = index.python(x.path)
            if tree is None:
                continue
            folder = x.vpath.rsplit("/", 1)[0] if "/" in x.vpath else ""
            if any(isinstance(fn, ast.FunctionDef) and [a.arg for a in fn.args.args][:2] == ["event", "context"] for fn in walk(tree)):
                handler_dirs.add(folder)
            if any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in _ENDPOINT_CALLS for c in walk(tree)):
                calling_dirs.add(folder)
        return bool(handler_dirs & calling_dirs)

    return bool(index.memo("sagemaker-pipeline:endpoint-handlers", build))


def _flag(node: ast.AST | None, bound: dict[str, ast.Call], default: bool) -> bool:
    """A boolean step argument: a literal, or the default of the ParameterBoolean it names."""
    if isinstance(node, ast.Name) and node.id in bound:
        node = kwarg(bound[node.id], "default_value")
    v = literal(node, default)
    return v if isinstance(v, bool) else default
