"""Experiment tracking called from Python and notebooks (MLflow, W&B, Neptune, Comet, ClearML, Aim, dvclive,
TensorBoard, Lightning/Ray/HF integrations, SageMaker/Vertex/Azure ML experiments); feeds E1, E2."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops, tracking
from mlscan.facts.orchestration import METRIC_WORDS, fits_model, trainingish, words
from mlscan.facts.place import derive_facts, place
from mlscan.facts.placeholders import drawn_metrics, made_up_metrics, synthetic_source
from mlscan.facts.pyast import walk
from mlscan.facts.pyeval import UNKNOWN, Flags, configured, guarded_off, project_flag
from mlscan.facts.wiring import file_imports
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Evidence, Finding, Strength
from mlscan.valueclass import replace


class TrackingPython(Detector):
    """Tracker calls in training code: one tracking.run per file, with params/metrics and reach, and code comparing runs by a
    metric (tracking.comparison); feeds E1, E2."""

    id = "tracking.python"
    questions = ("E1", "E2")
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("tracking.run", "tracking.comparison")

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return tracking.wants_tracker_file(index, e)

    visit_reads_tree = False  # its tree work is the file fact FACTS (the tree is parsed again only where FACTS cannot tell)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        if e.test:
            return  # tests exercise the tracker, they do not track training runs (place: a test file)
        compared = index.fact(e.path, COMPARISON) if index.may_mention(e.path, _COMPARE_WORDS) else None
        if compared is not None and not place(index, e).test:
            # the runs compared by a metric to pick the best (what E2 asks beyond E1's logged metrics)
            ln, snip = ops.locate(index, e, compared[0])
            yield self.found("tracking.comparison", index, e.path, ln, snippet=snip, strength=Strength.MEDIUM, attrs={"tool": compared[1]})
        calls = tracking.tracker_calls(index, e)
        if not calls:
            return
        where = place(index, e)
        if where.test:
            return
        fact = index.fact(e.path, FACTS)
        if not fact:
            return
        roles = {c.role for c in calls}
        tools = sorted({c.tool for c in calls})
        guarded = set(fact["guarded"])
        # a tracker the file's own component installs (``packages_to_install=["mlflow==1.28.0"]``) is no opt-in there
        install_gated = all(tracking.install_gated(index, t, tracking.TRACKER_MODULES.get(t, t) in guarded)
                            and not tracking.installed_by(t, fact["installs"]) for t in tools)
        gated = install_gated or _all_guarded_off(index, e, calls, fact)
        stem_text = e.name.rsplit(".", 1)[0]
        stem = words(stem_text)
        scopes: list[list[str]] = fact["scopes"]
        in_tuning = [any(words(f) & tracking.TUNING_WORDS or f == "objective" for f in scope) for scope in scopes]
        # a model logged outside the search (the final refit on the best parameters) is a tracked training run, also in a
        # file named for the search (``ray_tune_mlflow.ipynb``: trials logged, then the production model)
        final_model = any(c.text.endswith("log_model") and not t for c, t in zip(calls, in_tuning, strict=True))
        tuning = (bool(stem & tracking.TUNING_WORDS) or all(in_tuning)) and not final_model
        # every tracker call sits in a registration/promotion step (a task run after the gate), none in training
        registration = all(_registration_only(scope or [stem_text]) for scope in scopes)
        reached = where.wired != "none"
        # a tracker's demo (every logged metric drawn from a random generator, no model fitted) tracks no training run
        made_up = fact.get("made_up") or ""
        in_training = (reached or where.training_script or where.near_reached) and not made_up
        optional = gated or not in_training
        # every tracker call inside a component registered under a name that no config, default or command selects (a
        # ``@register("tensorboard")`` plugin while the shipped runs pick ``csv``): opt-in
        component = "" if optional else _unselected_component(index, e, calls)
        optional = optional or bool(component)
        if where.wired == "automated":
            strength = Strength.STRONG
        elif in_training:
            strength = Strength.MEDIUM
        else:
            strength = Strength.WEAK
        line, snip = fact["lead"]
        # the metric a run logs by name (what E2 compares runs by), when the run is cited at its opener or autolog
        extra: tuple[Evidence, ...] = ()
        end = None
        if fact["metric"] is not None:
            at, at_snip, *loop = fact["metric"]
            if at is not None and at == line and loop and loop[0]:  # the run's only call logs its metrics in a loop: cite the loop
                shown = _metric_item(self.evidence(index, e.path, at, snippet=at_snip, strength=strength), index, loop[0])
                line, end, snip = shown.line, shown.end_line, shown.snippet
            if at is not None and at != line and at != end:
                metric_item = _metric_item(self.evidence(index, e.path, at, snippet=at_snip, strength=strength), index, loop[0] if loop else None)
                extra = (replace(metric_item, fact=METRIC_LOGGED, context=_group_context(index, fact, metric_item, tools)),)
        if not roles & {"metrics"}:
            extra += _module_metrics(index, e, fact, calls, strength)
        extra += _training_call_site(index, e, fact, strength)
        yield self.found(
            "tracking.run", index, e.path, line, snippet=snip, end_line=end, strength=strength, extra=extra,
            attrs={
                "tool": calls[0].tool, "tools": ",".join(tools),
                "params": bool(roles & {"params", "auto"}), "metrics": bool(roles & {"metrics", "auto"}),
                "in_training": in_training, "optional": optional, "tuning_only": tuning, "install_gated": install_gated,
                "registration_only": registration,
                "wired": where.wired, "reach": where.chain or ("training script" if where.training_script else ""),
                "synthetic": fact["synthetic"],  # trained on generated data (make_classification, np.random)
                "fits": fact["fits"] or trainingish(e.name.rsplit(".", 1)[0]),  # the module trains (not ingestion or scoring)
                **({"demo": True, "generator": made_up} if made_up else {}),
                **({"opt_in_component": component} if component else {}),
                # a dummy score: the metrics it logs are random values (a caveat capping E2, which compares runs by them)
                **({"random_metric": fact["drawn"]} if fact.get("drawn") and not made_up else {}),
                # (a switch a project config or automated command sets is wired: no caveat)
                **({"guard": fact["guard"]} if fact.get("guard") and not optional
                   and not any(configured(index, k) is not None for k in fact["keys"]) else {}),
            },
        )


def _unselected_component(index: FileIndex, e: FileEntry, calls: list[tracking.TrackCall]) -> str:
    """The registry name of the component every tracker call sits in, when nothing selects it ('' otherwise)."""
    if not index.contains(e.path, (b"regist", b"{")):
        return ""
    tree = index.python(e.path)
    if tree is None:
        return ""
    from mlscan.facts.registries import unselected_component  # imported where a tracker sits in a possible component

    keys = {unselected_component(index, e.path, tree, c.line) for c in calls}
    return next(iter(keys)) if len(keys) == 1 else ""


_LIGHTNING_LOGGERS = ("pytorch_lightning.", "lightning.", "lightning_fabric.")
_MAX_MODULES = 8  # project modules read for a LightningModule's logged metrics


def _module_metrics(index: FileIndex, e: FileEntry, fact: dict[str, Any], calls: list[tracking.TrackCall],
                    strength: Strength) -> tuple[Evidence, ...]:
    """Where the metrics a Lightning logger receives are logged: a Lightning logger handed to a Trainer
    (``WandbLogger(project=...)``, ``MLFlowLogger``) receives what the LightningModule it fits logs with ``self.log``
    / ``self.log_dict``, in this module or a project module it imports. The item (``metric_logged``) cites the first
    validation metric (else the first logged): what runs are compared by."""
    if not any(c.role == "auto" and c.text.endswith("Logger") and _lightning(c, index, e) for c in calls):
        return ()
    own = fact["self_log"]
    for path, t in [(e.path, None), *((m.path, index.python(m.path)) for m in ops.local_imports(index, e)[:_MAX_MODULES])]:
        line = own if path == e.path else _self_log(t) if t is not None else None
        if line is not None:
            ln, snip = ops.locate(index, index.entry(path) or e, line)
            ev = Evidence(path=path, line=ln, end_line=None, snippet=snip if snip is not None else index.snippet(path, ln),
                          detector="tracking.python", strength=strength, fact=METRIC_LOGGED)
            return (ev,)
    return ()


def _lightning(c: tracking.TrackCall, index: FileIndex, e: FileEntry) -> bool:
    return (ops.qualified(c.text, ops.aliases(index.python(e.path) or ast.Module([], []))) or "").startswith(_LIGHTNING_LOGGERS)


def _self_log(tree: ast.Module) -> int | None:
    """The line of the first ``self.log``/``self.log_dict`` of a validation step of a LightningModule subclass (else of
    any of its methods), None when the module defines none."""
    first: int | None = None
    for cls in (n for n in walk(tree) if isinstance(n, ast.ClassDef)):
        if not any(ops.dotted(b).rsplit(".", 1)[-1] == "LightningModule" for b in cls.bases):
            continue
        for fn in (n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            hits = [c.lineno for c in walk(fn) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                    and c.func.attr in ("log", "log_dict") and isinstance(c.func.value, ast.Name) and c.func.value.id == "self"]
            if hits and fn.name.startswith(("validation", "val_")):
                return min(hits)
            if hits and first is None:
                first = min(hits)
    return first


def _training_call_site(index: FileIndex, e: FileEntry, fact: dict[str, Any], strength: Strength) -> tuple[Evidence, ...]:
    """A shared tracking helper (every tracker call inside its functions, no ``__main__`` block, fitting no model itself)
    that a training module
    of the project imports and calls (``log_metrics(run_name, {...})`` in the training step): the item
    (``call_site``) cites that call, where the training run decides what is tracked; the helper's own line follows."""
    tops = fact["helper_tops"]
    if not tops:
        return ()
    if fact["fits"] or trainingish(e.name.rsplit(".", 1)[0]):
        return ()  # the module trains (a pipeline step that fits and logs): its own line is the training run
    own = e.vpath[:-3].replace("/", ".")
    if own.endswith(".__init__"):
        own = own[: -len(".__init__")]
    stem = own.rsplit(".", 1)[-1]
    needles = tuple(n.encode() for n in sorted(tops))
    for other in index.select(("**/*.py",)):
        if other.path == e.path or other.test or not index.mentions(other.path, needles) or not index.mentions(other.path, (stem.encode(),)):
            continue
        mods = file_imports(index, other) or []
        if not any(m.rsplit(".", 1)[-1] == stem and (own == m or own.endswith("." + m)) for m in mods):
            continue
        t = index.python(other.path)
        if t is None or not (fits_model(t) or trainingish(other.name.rsplit(".", 1)[0])):
            continue
        lines = [n.lineno for n in walk(t) if isinstance(n, ast.Call) and (
            isinstance(n.func, ast.Name) and n.func.id in tops or isinstance(n.func, ast.Attribute) and n.func.attr in tops)]
        if lines:
            return (Evidence(path=other.path, line=min(lines), end_line=None, snippet=index.snippet(other.path, min(lines)),
                             detector="tracking.python", strength=strength, fact="call_site"),)
    return ()


_REGISTER_WORDS = frozenset({"register", "registration", "registry", "promote", "promotion", "publish", "release", "deploy"})


def _registration_only(names: list[str]) -> bool:
    """A tracker call's named scopes (functions, else the module) make a registration/promotion step, not training and
    not a logging helper (``log_and_register`` logs what its caller trained)."""
    ws = set().union(*(words(n) for n in names))
    return bool(ws & _REGISTER_WORDS) and not ws & {"log", "logging", "track", "tracking"} and not trainingish(*names)


METRIC_LOGGED = "metric_logged"  # Evidence.fact of the item citing a metric logged by name
_PATH_KEY = lazy_re(r"""\[\s*['"]\w*(dir|path|uri|url|file|folder)\w*['"]""", re.IGNORECASE)


# what a logged value is read from when it is an input of the run, not a result: the parsed arguments or a config
_INPUT_ROOTS = frozenset({"args", "arguments", "params", "parameters", "hparams", "hyperparameters", "config", "cfg", "conf", "opt",
                          "opts", "options", "flags", "hp", "settings"})


def _parameter(call: ast.AST, par: dict[ast.AST, ast.AST]) -> bool:
    """A value logged by name that is an input of the run, not a metric (a metric is computed from predictions or an
    evaluation): ``run.log("max_depth", np.float(args.max_depth))``, ``log_metric("lr", cfg.lr)``, ``for k, v in
    train_args.items(): run.log(k, v)``. A name that is a metric word (``auc``, ``val_loss``; a loop over ``metrics``) is a
    metric whatever its value; a dict logged at once is a parameter only when every entry is."""
    if not isinstance(call, ast.Call):
        return False
    if call.args and isinstance(call.args[0], ast.Dict):
        entries = [(k.value if isinstance(k, ast.Constant) else "", v) for k, v in zip(call.args[0].keys, call.args[0].values)]
        return bool(entries) and all(isinstance(k, str) and _input(k, v) for k, v in entries)
    name = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("key", "name")), None)
    value = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "value"), None)
    if isinstance(name, ast.Constant) and isinstance(name.value, str) and value is not None:
        return _input(name.value, value)
    items = tracking.items_loop(name, par) if isinstance(name, ast.Name) else None
    return items is not None and _input(ast.unparse(items), items)


def _metric_item(ev: Evidence, index: FileIndex, loop: int | None) -> Evidence:
    """The metric item cited from the loop that logs it (``for k, v in metrics.items():`` / ``mlflow.log_metric(k, v)``)
    when there is one, else as it is."""
    span = tracking.loop_span(index, ev.path, loop, ev.line)
    return ev if span is None else replace(ev, line=loop, end_line=ev.line, snippet=span)


def _input(name: str, value: ast.AST) -> bool:
    if words(name) & METRIC_WORDS:
        return False
    roots = {w for n in walk(value) if isinstance(n, ast.Name) for w in words(n.id)}
    return bool(roots & _INPUT_ROOTS) or isinstance(value, ast.Constant)


def _metric(calls: list[tracking.TrackCall], lead: tracking.TrackCall, par: dict[ast.AST, ast.AST],
            tree: ast.AST) -> tracking.TrackCall | None:
    """The first metric logged by name (``log_metric("accuracy", ...)``, ``wandb.log({...})``, an Azure ML ``run.log("auc",
    ...)``; not ``autolog``, not a parameter logged as a metric: ``run.log("max_depth", args.max_depth)``), in the lead run's
    function first; None when the module logs metrics only automatically."""
    # a location recorded with the run (``run.summary["model_path"] = out``) is no metric
    named = [c for c in calls if (c.role == "metrics" or (c.role == "auto" and _named_value(c.node_in(tree), par)))
             and not (c.kind == "a" and _PATH_KEY.search(ast.unparse(c.node_in(tree))[:300]))
             and not (c.kind == "c" and _parameter(c.node_in(tree), par))]
    if not named:
        return None
    scope = next(iter(tracking.enclosing_functions(lead.node_in(tree), par)), "")
    return next((c for c in named if next(iter(tracking.enclosing_functions(c.node_in(tree), par)), "") == scope), named[0])


def _named_value(call: ast.AST, par: dict[ast.AST, ast.AST]) -> bool:
    """A call logging one value under a name it gives (``run.log("auc", score)``, ``for k, v in metrics.items(): run.log(k,
    v)``): what a tracker that logs parameters and metrics alike (role ``auto``) records by name; ``autolog()`` names
    nothing."""
    if not isinstance(call, ast.Call) or len(call.args) < 2:
        return False
    name = call.args[0]
    return (isinstance(name, ast.Constant) and isinstance(name.value, str)) or (
        isinstance(name, ast.Name) and tracking.items_loop(name, par) is not None)


_OPENERS = frozenset({"start_run", "init", "create_run", "Run", "Experiment", "Task", "SummaryWriter", "Live"})


def _lead(calls: list[tracking.TrackCall], par: dict[ast.AST, ast.AST], tree: ast.AST) -> tracking.TrackCall:
    """The call a reader should see first: the run being opened (``mlflow.start_run``, ``wandb.init``) in a function
    that logs metrics (the training run, not a feature-engineering run opened earlier in the module), else the first
    run opened, else the first ``autolog()`` (it starts the run of every fit: E1's item, while a metric logged by name
    beside it is what E2 compares runs by), else the first parameters logged (what E1 asks beyond E2's metrics), else the
    first metrics logged (what runs are compared by), else the first tracker call (an artifact, a tag)."""
    def scope(c: tracking.TrackCall) -> str:
        return next(iter(tracking.enclosing_functions(c.node_in(tree), par)), "")

    # a factory that only makes and returns the writer or run (``def get_writer(args): ... return SummaryWriter(...)``)
    # opens nothing a reader can follow: the metrics logged through what it returns are the practice, when the module
    # logs some
    made = {c for c in calls if c.attr in _OPENERS and _factory(c.node_in(tree), par)}
    used = [c for c in calls if c not in made]
    if not any(c.role in ("metrics", "auto") for c in used):
        used = calls  # nothing is logged through what the factory makes: the factory is all there is to cite
    openers = [c for c in used if c.attr in _OPENERS]
    measured = {scope(c) for c in used if c.role in ("metrics", "auto")}
    return (next((c for c in openers if scope(c) in measured), None) or next(iter(openers), None)
            or next((c for c in used if c.attr == "autolog"), None)
            # (no run opened: the parameters it records, E1's own fact, before the metrics E2 compares runs by)
            or next((c for c in used if c.role == "params"), None)
            or next((c for c in used if c.role in ("metrics", "auto")), None) or used[0])


_STEP_DECORATORS = frozenset({"zenml.step", "zenml.steps.step"})


def _step_tracker(node: ast.AST, par: dict[ast.AST, ast.AST], al: dict[str, str]) -> int | None:
    """The line of ``experiment_tracker=`` on the ZenML ``@step(...)`` of the function making the call, None when there is
    none: ZenML opens the step's run in that tracker (its MLflow tracker turns autologging on too), the run a metric
    logged in the step belongs to (E1's item; the metric logged by name is E2's)."""
    cur = par.get(node)
    while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
        cur = par.get(cur)
    if cur is None:
        return None
    for dec in cur.decorator_list:
        if isinstance(dec, ast.Call) and ops.qualname(dec.func, al) in _STEP_DECORATORS:
            kw = next((k for k in dec.keywords if k.arg == "experiment_tracker"), None)
            if kw is not None:
                return kw.value.lineno
    return None


def _factory(node: ast.AST, par: dict[ast.AST, ast.AST]) -> bool:
    """The call is what its function returns, directly (``return SummaryWriter(d)``) or through the name it is bound to
    (``writer = SummaryWriter(d)`` ... ``return writer``)."""
    cur, fn = par.get(node), None
    while cur is not None and fn is None:
        fn = cur if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        cur = par.get(cur)
    if fn is None:
        return False
    up = par.get(node)
    names = {t.id for t in up.targets if isinstance(t, ast.Name)} if isinstance(up, ast.Assign) else set()
    return any(isinstance(r, ast.Return) and r.value is not None
               and (r.value is node or (isinstance(r.value, ast.Name) and r.value.id in names)) for r in walk(fn))


class _Unset(Flags):
    """``Flags`` as if no config file or automated command set any flag (``configured`` None everywhere), noting which
    keys the evaluation asked about (``visit`` checks them: all unset, the file's own evaluation holds)."""

    def __init__(self, index: FileIndex, tree: ast.AST) -> None:
        super().__init__(index, tree)
        self.asked: list[str] = []

    def _key(self, key: str, default: Any, project: bool = True) -> Any:
        self.asked.append(key)
        return default

    def _passed(self, function: str, param: str, position: int) -> Any:
        self.asked.append(f"{function}({param})")  # what callers pass is read in other modules: at the visit
        return UNKNOWN


def _facts(index: FileIndex, path: str) -> dict[str, Any] | None:
    """What ``visit`` reads of a tracker file's tree: the modules imported under ``try``, whether every tracker call is
    only reached behind an opt-in flag that defaults off (``off``, None when the evaluation failed) with the flag keys
    that evaluation asked a config about (``keys``), each call's enclosing functions (``scopes``), the line of the call a
    reader sees first (``lead``), and whether the module builds its data from a generator or fits a model. None when the
    file does not parse or has no tracker call. Lines are given with their snippet as evidence cites them (``ops.locate``)."""
    e = index.entry(path)
    tree = index.python(path)
    if e is None or tree is None:
        return None
    calls = tracking.tracker_calls(index, e)
    if not calls:
        return None
    par = tracking.parents(tree)
    flags = _Unset(index, tree)
    off: bool | None
    try:
        off = all(guarded_off(c.node_in(tree), par, flags) for c in calls)
    except RecursionError:
        off = None  # the visit evaluates it with the tree, where the error is reported
    derive_facts(index, path)  # the visit asks the file's place
    lead = _lead(calls, par, tree)
    # a run no call opens, in a ZenML step that names its experiment tracker: the step's run is the one cited
    step_run = _step_tracker(lead.node_in(tree), par, ops.aliases(tree)) if lead.attr not in _OPENERS and lead.attr != "autolog" else None
    guards = [_opt_in_guard(c.node_in(tree), par, flags) for c in calls]
    metric = _metric(calls, lead, par, tree)
    measured = [c.node_in(tree) for c in calls if c.kind == "c" and (c.role == "metrics" or c.role == "auto" and _named_value(c.node_in(tree), par))]
    return {"guarded": sorted(tracking.guarded_imports(tree)), "off": off, "keys": flags.asked,
            "scopes": [tracking.enclosing_functions(c.node_in(tree), par) for c in calls], "lead": list(ops.locate(index, e, step_run or lead.line)),
            # (with the line of a ``for k, v in metrics.items():`` loop the metric is logged in: the loop names what it logs)
            "metric": [*ops.locate(index, e, metric.line), tracking.loop_line(metric.node_in(tree), par)] if metric is not None else None,
            # the experiment or project the runs are filed under (``mlflow.set_experiment("churn")``), at the line evidence cites
            "group": _run_group(index, e, tree),
            "self_log": _self_log(tree), "helper_tops": _helper_tops(tree, calls, par),
            "synthetic": bool(synthetic_source(tree)), "fits": fits_model(tree),
            "made_up": made_up_metrics(tree, measured),
            # (in a module that trains: every metric it logs drawn from a random generator, a dummy score)
            "drawn": drawn_metrics(tree, measured),
            "installs": sorted(tracking.component_installs(tree)),
            # every call behind a tracker switch whose value this file does not decide (``if args.tensorboard:``, set by
            # whoever runs it): the test of the lead call's switch, else ""
            "guard": guards[calls.index(lead)] if all(guards) else ""}


def _run_group(index: FileIndex, e: FileEntry, tree: ast.Module) -> list[Any] | None:
    """[line as cited, text] of the module's call naming the experiment its runs are filed under (``tracking.run_group``)."""
    group = tracking.run_group(tree)
    if group is None:
        return None
    ln, _ = ops.locate(index, e, group[0])
    return [ln, group[1]]


_SHOWN = 3  # lines a report shows around a cited range


def _group_context(index: FileIndex, fact: dict[str, Any], item: Evidence, tools: list[str]) -> str:
    """Where the runs a metric item logs are compared: the experiment the module files them under, named beside the
    metric line when the report's lines around it do not show that call (E2's own requirement over E1's run: runs
    side by side, not one run's metric), else the tracker's environment variable naming it where the repository sets
    one (``WANDB_PROJECT`` in the training job's environment); "" when none is named or the call is in view."""
    group = fact.get("group")
    if item.line is None:
        return item.context
    if not group or group[0] is None:
        env = next((g for t in tools if (g := tracking.env_run_group(index, t)) is not None), None)
        return f"in the runs of {env[2]} ({env[0]}:{env[1]})" if env else item.context
    if item.line - _SHOWN <= group[0] <= (item.end_line or item.line) + _SHOWN:
        return item.context
    return f"in the runs of {group[1]} (line {group[0]})"


# words of an ``if`` test that switches a tracker on (``args.tensorboard``, ``cfg.use_wandb``, ``"wandb" in args.report_to``)
_SWITCH_WORDS = frozenset({"tensorboard", "tb", "wandb", "mlflow", "tracking", "tracker", "track", "report", "neptune", "comet",
                           "clearml", "aim", "dvclive", "experiment"})
# a test that picks the process that logs (``if rank == 0``, ``if accelerator.is_main_process``), not whether anything does
_PROCESS_WORDS = frozenset({"rank", "local", "main", "master", "zero", "process", "distributed", "world", "ddp"})


def _opt_in_guard(node: ast.AST, par: dict[ast.AST, ast.AST], flags: Flags) -> str:
    """The test of the innermost ``if`` whose body holds ``node`` and that switches a tracker on through a flag this file
    leaves undecided (a CLI flag or config key with no default here, a function parameter): ``args.tensorboard``; ""
    when there is none (the call always runs, or its switch defaults on or off: ``guarded_off`` judges the latter)."""
    child, cur = node, par.get(node)
    while cur is not None:
        if isinstance(cur, ast.If) and child is not cur.test and child in cur.body:
            test = ast.unparse(cur.test)[:200]
            w = words(test)
            # a switch read from the run's options (``args.tensorboard``, ``cfg["use_wandb"]``), not a module name the
            # environment sets (``USE_MLFLOW = MLFLOW_TRACKING_URL is not None``: the server a deployment supplies)
            option = any(isinstance(n, (ast.Attribute, ast.Subscript)) and words(ast.unparse(n)[:200]) & _SWITCH_WORDS
                         for n in walk(cur.test))
            if option and not w & _PROCESS_WORDS and "%" not in test and flags.truth(cur.test, cur.lineno) is None:
                return test
        child, cur = cur, par.get(cur)
    return ""


def _helper_tops(tree: ast.Module, calls: list[tracking.TrackCall], par: dict[ast.AST, ast.AST]) -> list[str]:
    """The top-level functions holding the tracker calls when every call sits in a function and the module has no
    ``__main__`` block (a shared tracking helper), else nothing."""
    tops: set[str] = set()
    for c in calls:
        names = tracking.enclosing_functions(c.node_in(tree), par)
        if not names:
            return []
        tops.add(names[-1])
    if any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body):
        return []
    return sorted(tops)


def _all_guarded_off(index: FileIndex, e: FileEntry, calls: list[tracking.TrackCall], fact: dict[str, Any]) -> bool:
    """Is every tracker call only reached behind an opt-in flag that defaults off? The file fact's answer while no config
    or automated command sets a flag it asked about; else evaluated again on the tree with what they set."""
    keys = fact["keys"]
    if fact["off"] is not None and all(configured(index, k) is None for k in keys) and not any(
            "(" in k or project_flag(index, k) is not UNKNOWN for k in keys):
        return bool(fact["off"])
    tree = index.python(e.path)
    if tree is None:
        return False
    par = tracking.parents(tree)
    flags = Flags(index, tree)
    return all(guarded_off(c.node_in(tree), par, flags) for c in calls)


def _wanted(index: FileIndex, path: str) -> bool:
    """``TrackingPython.wants`` for an eager fact (words may be unsure); test files are never visited for it."""
    e = index.entry(path)
    return e is not None and not e.test and (index.may_mention(path, tracking.TRACKER_NEEDLES) or (
        index.may_mention(path, tracking.REPORT_TO) and index.contains(path, tracking.REPORT_TO)))


# derived at the file's first parse (whichever process parses it): the Python pass parses no file for this detector
FACTS = register_fact("tracking.python.facts", _facts, eager=_wanted)


_COMPARE_WORDS = (b"search_runs", b"order", b"ExperimentAnalytics")


def _comparison(index: FileIndex, path: str) -> list[Any] | None:
    tree = index.python(path)
    return tracking.run_comparison(tree) if tree is not None else None


COMPARISON = register_fact("tracking.python.comparison", _comparison,
                           eager=lambda index, path: _wanted(index, path) and index.may_mention(path, _COMPARE_WORDS))
