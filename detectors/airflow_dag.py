"""Airflow DAGs read with ast: schedules of training DAGs, task graphs, drift/data triggers; feeds M1, D3, M4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.ci import is_placeholder
from mlscan.detector import Detector
from mlscan.facts.gates import code_gates, copies_model, metric_comparisons, promotes
from mlscan.facts.ops import aliases, local_files
from mlscan.facts.orchestration import (
    DRIFT_WORDS,
    call_tail,
    decorator,
    dotted,
    drift_test,
    functions,
    imports,
    kwarg,
    literal,
    metric_compare,
    scores_only,
    tail,
    training_code,
    trainingish,
    words,
)
from mlscan.facts.placeholders import stub_function
from mlscan.facts.pyast import walk
from mlscan.facts.schedules import EVENT_SCHEDULES, schedule_arg
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_SCHEDULE_KW = ("schedule", "schedule_interval", "timetable")
_EVENT = EVENT_SCHEDULES
_NOOP = ("EmptyOperator", "DummyOperator", "LatestOnlyOperator")
_DATA_SENSORS = ("S3KeySensor", "S3KeysUnchangedSensor", "FileSensor", "GCSObjectExistenceSensor", "GCSObjectsWithPrefixExistenceSensor",
                 "GCSObjectUpdateSensor", "WasbBlobSensor", "WasbPrefixSensor", "SqlSensor", "BigQueryTableExistenceSensor", "HivePartitionSensor")


def _schedule(call: ast.AST, consts: dict[str, ast.expr]) -> tuple[str | None, bool, str]:
    """(cron text, active, trigger kind) of a DAG(...) call or @dag decorator (the shared schedule judgement)."""
    if not isinstance(call, ast.Call):
        return None, False, "unset"
    if literal(kwarg(call, "is_paused_upon_creation"), False) is True:
        return "paused", False, "paused"
    return schedule_arg(kwarg(call, *_SCHEDULE_KW), consts)  # unset: Airflow 3 default is None; never assume a schedule


def _dags(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.AST, int, str]]:
    """(DAG call or decorator, scope holding its tasks, line, dag id)."""
    for n in walk(tree):
        if isinstance(n, (ast.With, ast.AsyncWith)):
            for item in n.items:
                c = item.context_expr
                if isinstance(c, ast.Call) and call_tail(c) == "DAG":
                    yield c, n, n.lineno, str(literal(c.args[0] if c.args else kwarg(c, "dag_id"), "") or "")
        elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) == "DAG":
            c = n.value
            yield c, tree, n.lineno, str(literal(c.args[0] if c.args else kwarg(c, "dag_id"), "") or "")
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            d = decorator(n, "dag")
            if d is not None:
                did = literal(kwarg(d, "dag_id"), n.name) if isinstance(d, ast.Call) else n.name
                yield d, n, d.lineno, str(did)


def _dataset_keys(node: ast.AST | None) -> set[str]:
    """How a DAG names the datasets/assets it consumes or produces: ``Dataset("uri")`` by its URI, a name bound to
    one elsewhere (``constants.TRAINING_DATA``) by the name."""
    out: set[str] = set()
    if node is None:
        return out
    elts = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    for x in elts:
        if isinstance(x, ast.Call) and call_tail(x) in _EVENT and x.args:
            uri = literal(x.args[0], None)
            if isinstance(uri, str):
                out.add(uri)
        elif isinstance(x, (ast.Name, ast.Attribute)):
            out.add(tail(dotted(x)))
    return out


def _producers(index: FileIndex) -> dict[str, list[bool]]:
    """Dataset key -> whether each DAG that updates it (a task with ``outlets=``) runs on its own (scheduled)."""

    def build() -> dict[str, list[bool]]:
        out: dict[str, list[bool]] = {}
        for e, tree in index.python_files((b"outlets",), ("**/*.py",)):
            if e.test or not imports(tree, "airflow"):
                continue
            consts = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
            for call, scope, _line, _dag_id in _dags(tree):
                _cron, active, _trigger = _schedule(call, consts)
                for k in walk(scope):
                    if isinstance(k, ast.keyword) and k.arg == "outlets":
                        for key in _dataset_keys(k.value):
                            out.setdefault(key, []).append(active)
        return out

    return index.memo("airflow:dataset-producers", build)  # type: ignore[no-any-return]


def _upstream_manual(index: FileIndex, schedule: ast.AST | None) -> bool:
    """Is a data-aware schedule fed only by DAGs of this repository that nobody schedules (``schedule=None``, ``@once``,
    paused)? Then the consumer runs when a person triggers the producer: no schedule at all. A dataset no DAG here
    produces is updated from outside and keeps the schedule."""
    keys = _dataset_keys(schedule)
    producers = _producers(index) if keys else {}
    return bool(keys) and all(producers.get(k) for k in keys) and not any(a for k in keys for a in producers[k])


def _taskflow(tree: ast.Module) -> set[str]:
    out = set()
    for fn in functions(tree).values():
        for d in fn.decorator_list:
            if dotted(d).split(".")[0] == "task" or tail(dotted(d)) == "task":
                out.add(fn.name)
    return out


class AirflowDag(Detector):
    """Airflow DAGs (DAG(...), ``with DAG``, @dag): training schedules, task graphs, branch gates, triggers; feeds M1, D3, M4."""

    id = "airflow.dag"
    questions = ("M1", "D3", "M4")
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = (b"airflow",)
    signals = ("schedule.training", "pipeline.dag", "retrain.trigger", "gate.metric")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, tree in index.python_files((b"airflow",), ("**/*.py",)):
            if e.test or not imports(tree, "airflow"):
                continue
            funcs = functions(tree)
            consts = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
            flow = _taskflow(tree)
            for call, scope, line, dag_id in _dags(tree):
                cron, active, trigger = _schedule(call, consts)
                if trigger == "event" and _upstream_manual(index, kwarg(call, *_SCHEDULE_KW)):
                    active, trigger = False, "event-manual-upstream"
                ops = [c for c in walk(scope) if isinstance(c, ast.Call) and call_tail(c).endswith(("Operator", "Sensor"))]
                tf_calls = [c for c in walk(scope) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in flow]
                tasks = ops + tf_calls + [funcs[c.func.id] for c in tf_calls if c.func.id in funcs]  # type: ignore[union-attr]
                real = [c for c in ops if call_tail(c) not in _NOOP and not _echo_only(c)] + tf_calls
                edges = sum(isinstance(b, ast.BinOp) and isinstance(b.op, (ast.RShift, ast.LShift)) for b in walk(scope))
                edges += sum(call_tail(c) in ("set_downstream", "set_upstream", "chain", "cross_downstream") for c in walk(scope) if isinstance(c, ast.Call))
                edges += sum(any(isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id in flow for a in c.args) for c in tf_calls)
                training = any(training_code(t, funcs) for t in tasks) or trainingish(dag_id)
                stub = bool(real) and all(_stub_task(c, funcs) for c in real)  # every task's callable is a placeholder
                attrs = {"tool": "airflow", "dag_id": dag_id, "cron": cron, "active": active, "trigger": trigger, "stub": stub}
                if training:
                    trains, conditional = _how_it_trains(scope, real, funcs, flow)
                    attrs |= {"trains": trains, "conditional": conditional, "named_training": trainingish(dag_id)}
                if training:
                    yield self.found("schedule.training", index, e.path, line, attrs=attrs,
                                     strength=Strength.STRONG if active else Strength.WEAK)
                data_io = _passes_data(scope, ops, tf_calls, funcs, flow)
                if len(real) >= 2 and edges >= 1:
                    # ``scheduled``, not ``active``: a DAG run by hand or once still declares its lineage (D3); only the
                    # schedule (M1) needs to be on
                    # (a TaskFlow task fed another task's result, ``load(extract())``, is where data passes: D3's edge, fact
                    # lineage_edge, cited beside the ``@dag(`` opener)
                    fed = _fed_call(scope, tf_calls, flow) if data_io else None
                    extra = (replace(self.evidence(index, e.path, fed), fact="lineage_edge"),) if fed and fed != line else ()
                    yield self.found("pipeline.dag", index, e.path, line, strength=Strength.STRONG if active else Strength.MEDIUM, extra=extra,
                                     attrs={"tool": "airflow", "dag_id": dag_id, "steps": len(real), "scheduled": active, "stub": stub,
                                            "training": training, "data_io": data_io,
                                            **({"scoring": True} if not training and scores_only(scope, funcs) else {}),
                                            **{k: attrs[k] for k in ("trains", "conditional", "named_training") if k in attrs}})
                yield from self._triggers(index, e.path, line, ops, funcs, tree, training, active, trigger)
                yield from self._task_gates(index, e, tree, scope, real, funcs, flow, active)

    def _task_gates(self, index: FileIndex, e: FileEntry, tree: ast.Module, scope: ast.AST, real: list[ast.Call], funcs: dict,
                    flow: set[str], active: bool) -> Iterator[Finding]:
        """A task whose callable, here or in a project module the DAG imports, holds the model to a metric before a task
        that publishes it: a short-circuit or branch task comparing a metric (its ``False`` skips what follows), or a task
        that raises or exits below a threshold (a failed task fails the tasks after it, unless their ``trigger_rule`` runs
        them anyway). The local short-circuit and branch callables are ``_triggers``' own."""
        named = _task_names(scope, real, flow)
        succ = _downstream(scope, flow)
        imported = _imported_callables(index, e, tree)
        for var, call in named.items():
            fn_node = kwarg(call, "python_callable") if call_tail(call).endswith("Operator") else call.func
            name = fn_node.id if isinstance(fn_node, ast.Name) else ""
            short = "Branch" in call_tail(call) or "ShortCircuit" in call_tail(call) or name in funcs and any(
                tail(dotted(d.func if isinstance(d, ast.Call) else d)) in _BRANCH_DECORATORS for d in funcs[name].decorator_list)
            if short and name in funcs:
                continue  # judged by _triggers
            found = imported.get(name) if name not in funcs else (e.path, funcs[name])
            if found is not None:
                path, fn = found
                module = index.python(path)
                line = _task_gate_line(module, fn, short) if module is not None else None
            elif call_tail(call) == "BashOperator":  # ``bash_command="python scripts/check_accuracy.py"`` exiting non-zero
                path, line = next(((p, ln) for p, module in _bash_scripts(index, call) if (ln := _task_gate_line(module, module, False))),
                                  ("", None))
            else:
                continue
            if line is None:
                continue
            after = [named[v] for v in _reach(succ, var) if v in named]
            if not any(_publishes(c, funcs, imported) and (short or _waits_for_success(c)) for c in after):
                continue
            yield self.found("gate.metric", index, path, line, strength=Strength.STRONG if active else Strength.MEDIUM,
                             extra=(self.evidence(index, e.path, call.lineno),),
                             attrs={"tool": "airflow", "blocking": True, "kind": "branch" if short else "task-threshold"})

    def _triggers(self, index: FileIndex, path: str, line: int, ops: list[ast.Call], funcs: dict, tree: ast.Module,
                  training: bool, active: bool, trigger: str) -> Iterator[Finding]:
        st = Strength.STRONG if active else Strength.WEAK
        branches: list[tuple[int, ast.AST]] = []
        drift = False
        for op in ops:
            fn = kwarg(op, "python_callable")
            body = funcs.get(fn.id) if isinstance(fn, ast.Name) else None
            ids = " ".join(str(literal(k.value, "")) for k in op.keywords if k.arg == "task_id")
            drift = drift or bool(words(ids + " " + (fn.id if isinstance(fn, ast.Name) else "")) & DRIFT_WORDS)
            if ("Branch" in call_tail(op) or "ShortCircuit" in call_tail(op)) and body is not None:
                branches.append((op.lineno, body))
        for fn in functions(tree).values():
            if any(tail(dotted(d)) in ("branch", "short_circuit") for d in fn.decorator_list):
                branches.append((fn.lineno, fn))
        for bline, body in branches:
            if metric_compare(body) is not None:
                yield self.found("gate.metric", index, path, bline, strength=Strength.STRONG if active else Strength.MEDIUM,
                                 attrs={"tool": "airflow", "blocking": True, "kind": "branch"})
            elif _routes_gate_result(index, body, ops, funcs):
                yield self.found("gate.metric", index, path, bline, strength=Strength.STRONG if active else Strength.MEDIUM,
                                 attrs={"tool": "airflow", "blocking": True, "kind": "branch-on-gate"})
            elif training and drift_test(body):
                yield self.found("retrain.trigger", index, path, bline, strength=st, attrs={"tool": "airflow", "kind": "drift", "active": active})
        for op in ops:
            if training and call_tail(op) in _DATA_SENSORS:
                yield self.found("retrain.trigger", index, path, op.lineno, strength=st,
                                 attrs={"tool": "airflow", "kind": "data_arrival", "active": active})
            if call_tail(op) == "TriggerDagRunOperator" and drift and training_code(op):
                yield self.found("retrain.trigger", index, path, op.lineno, strength=st, attrs={"tool": "airflow", "kind": "drift", "active": active})
        if training and trigger == "event":
            yield self.found("retrain.trigger", index, path, line, strength=st, attrs={"tool": "airflow", "kind": "data_arrival", "active": active})


# a string naming where data sits: an object-store or HDFS URI, a table file, a data folder (``data/raw``, ``datasets/``)
_DATA_LOCATION = lazy_re(r"(?i)^(?:s3a?|gs|gcs|abfss?|wasbs?|hdfs|dbfs|az)://|\.(?:csv|tsv|parquet|pq|jsonl|feather|arrow|avro|orc|xlsx?)\b|"
                         r"(?:^|[/\s=])(?:data|datasets?|raw|processed|features?)/")


def _passes_data(scope: ast.AST, ops: list[ast.Call], tf_calls: list[ast.Call], funcs: dict, flow: set[str]) -> bool:
    """Do the DAG's steps say which data they read and write, rather than only the order they run in: a TaskFlow task
    fed another task's result, an operator with ``inlets``/``outlets``, or a data location (URI, table file, data
    folder) in an operator's arguments or in the body of a callable it runs?"""
    if any(isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id in flow for c in tf_calls for a in [*c.args, *(k.value for k in c.keywords)]):
        return True
    results = {t.id for n in walk(scope) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
               and isinstance(n.value.func, ast.Name) and n.value.func.id in flow for t in n.targets if isinstance(t, ast.Name)}
    if any(isinstance(a, ast.Name) and a.id in results for c in tf_calls for a in [*c.args, *(k.value for k in c.keywords)]):
        return True
    texts: list[str] = []
    for op in ops:
        if any(k.arg in ("inlets", "outlets") for k in op.keywords):
            return True
        texts += [x for n in [*op.args, *(k.value for k in op.keywords)] for x in _strings_of(n)]
        fn = kwarg(op, "python_callable")
        if isinstance(fn, ast.Name) and fn.id in funcs:
            texts += _strings_of(funcs[fn.id])
    for c in tf_calls:
        if isinstance(c.func, ast.Name) and c.func.id in funcs:
            texts += _strings_of(funcs[c.func.id])
    return any(_DATA_LOCATION.search(t[:500]) for t in texts)


def _fed_call(scope: ast.AST, tf_calls: list[ast.Call], flow: set[str]) -> int | None:
    """The line of the first TaskFlow call given another task's result (``write(load())``, or ``rows = load()`` then
    ``write(rows)``): where the DAG passes data from one step to the next; None when no call is."""
    results = {t.id for n in walk(scope) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
               and isinstance(n.value.func, ast.Name) and n.value.func.id in flow for t in n.targets if isinstance(t, ast.Name)}
    for c in sorted(tf_calls, key=lambda c: c.lineno):
        if any(isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id in flow or isinstance(a, ast.Name) and a.id in results
               for a in [*c.args, *(k.value for k in c.keywords)]):
            return c.lineno
    return None


def _strings_of(node: ast.AST) -> list[str]:
    """String constants of a subtree, f-strings' literal parts included."""
    return [n.value for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


_ROUTE_WORDS = frozenset({"register", "registry", "deploy", "deployment", "promote", "promotion", "release", "publish", "serve", "push"})
_PY_SCRIPT = lazy_re(r"\bpython[\d.]*\s+(?:-u\s+)?(\S+\.py)\b")


def _text(node: ast.AST | None) -> str:
    """A string literal, or the literal parts of an f-string (``f"{model}.gate"`` -> ``.gate``)."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    v = literal(node, None)
    return v if isinstance(v, str) else ""


def _routes_gate_result(index: FileIndex, body: ast.AST, ops: list[ast.Call], funcs: dict) -> bool:
    """A branch that reads an upstream task's result (``ti.xcom_pull(task_ids="gate")``) and routes to a registration/
    deploy task, where that upstream task compares model metrics with thresholds (its callable, or the Python script
    its bash command runs): the gate's verdict decides whether the model goes on."""
    pulled = {_text(kwarg(c, "task_ids") or (c.args[0] if c.args else None)).rsplit(".", 1)[-1]
              for c in walk(body) if isinstance(c, ast.Call) and call_tail(c) == "xcom_pull"} - {""}
    if not pulled or not any(words(_text(n)) & _ROUTE_WORDS for n in walk(body) if isinstance(n, (ast.Constant, ast.JoinedStr))):
        return False
    for op in ops:
        if _text(kwarg(op, "task_id")) not in pulled:
            continue
        fn = kwarg(op, "python_callable")
        if isinstance(fn, ast.Name) and fn.id in funcs and metric_compare(funcs[fn.id]) is not None:
            return True
        for script in _PY_SCRIPT.findall(_text(kwarg(op, "bash_command"))):
            name = script.rsplit("/", 1)[-1]
            for e in index.select((f"**/{name}",)):
                tree = None if e.test or not ("/" + script.lstrip("./")).endswith("/" + e.path) else index.python(e.path)
                if tree is not None and metric_compare(tree) is not None:
                    return True
    return False


def _imported_callables(index: FileIndex, e: FileEntry, tree: ast.Module) -> dict[str, tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Names the DAG file imports from the project's own modules -> (file, the function defined there)
    (``from src.pipeline import check_accuracy``)."""
    out: dict[str, tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for local, qual in aliases(tree).items():
        mod, _, fn = qual.rpartition(".")
        if not mod:
            continue
        for f in local_files(index, e.path, [mod]):
            t = index.python(f.path) if not f.test else None
            d = functions(t).get(fn) if t is not None else None
            if d is not None:
                out[local] = (f.path, d)
                break
    return out


def _bash_scripts(index: FileIndex, op: ast.Call) -> Iterator[tuple[str, ast.Module]]:
    """The project's Python scripts a BashOperator's command runs (``python scripts/check.py``), parsed."""
    for script in _PY_SCRIPT.findall(_text(kwarg(op, "bash_command"))):
        for f in index.select((f"**/{script.rsplit('/', 1)[-1]}",)):
            tree = None if f.test or not ("/" + script.lstrip("./")).endswith("/" + f.path) else index.python(f.path)
            if tree is not None:
                yield f.path, tree


def _task_gate_line(module: ast.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module, short: bool) -> int | None:
    """The line where a task's callable (defined in ``module``, whose constants may hold its threshold; or the whole
    script a bash task runs) holds the model to a metric: for a short-circuit or branch task, a metric comparison (the
    returned verdict routes); for any other task, a comparison that raises or exits (``code_gates``)."""
    first, last = (1, 10**9) if isinstance(fn, ast.Module) else (fn.lineno, fn.end_lineno or fn.lineno)
    if short:
        return next((c.lineno for c in metric_comparisons(module) if first <= c.lineno <= last), None)
    for g in code_gates(module.body, ()):
        if first <= g.line <= last and g.paths and g.kind in ("threshold", "champion_challenger", "assert") and g.tool != "file-copy":
            return g.compare or g.line
    return None


# trigger rules that run a task although a task before it failed (Airflow's "Trigger Rules")
_RUNS_ANYWAY = frozenset({"all_done", "always", "one_success", "one_failed", "one_done", "all_failed", "none_skipped",
                          "all_skipped", "dummy"})
_PUBLISH_WORDS = _ROUTE_WORDS | {"copy", "upload", "export", "ship", "promote", "swap"}


def _waits_for_success(call: ast.Call) -> bool:
    rule = literal(kwarg(call, "trigger_rule"), None)
    rule = rule if isinstance(rule, str) else tail(dotted(kwarg(call, "trigger_rule"))).lower()
    return rule not in _RUNS_ANYWAY


def _publishes(call: ast.Call, funcs: dict, imported: dict) -> bool:
    """Does a task publish the model: named for it (task id or callable: publish, deploy, register, copy, upload ...)
    or its callable registers, promotes or copies a model file?"""
    fn_node = kwarg(call, "python_callable") if call_tail(call).endswith("Operator") else call.func
    name = fn_node.id if isinstance(fn_node, ast.Name) else ""
    task_id = _text(kwarg(call, "task_id"))
    if (words(task_id) | words(name)) & _PUBLISH_WORDS:
        return True
    fn = funcs.get(name) or (imported[name][1] if name in imported else None)
    return fn is not None and (promotes(fn) or copies_model(fn))


def _echo_only(op: ast.Call) -> bool:
    cmd = literal(kwarg(op, "bash_command"), None)
    return isinstance(cmd, str) and is_placeholder(cmd)


def _stub_task(call: ast.Call, funcs: dict) -> bool:
    """A PythonOperator whose callable, or a TaskFlow task whose function, is defined here with a placeholder body."""
    fn = kwarg(call, "python_callable") if call_tail(call).endswith("Operator") else call.func
    body = funcs.get(fn.id) if isinstance(fn, ast.Name) else None
    return body is not None and stub_function(body)


_BRANCH_DECORATORS = ("branch", "short_circuit", "branch_virtualenv", "branch_external_python")
_SKIP_WORDS = frozenset({"skip", "skipped", "noop", "nothing"})


def _task_names(scope: ast.AST, real: list[ast.Call], flow: set[str]) -> dict[str, ast.Call]:
    """Task variable -> its operator or TaskFlow call (``train = PythonOperator(...)``, ``model = train_model(data)``)."""
    ids = {id(c) for c in real}
    out: dict[str, ast.Call] = {}
    for n in walk(scope):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and id(n.value) in ids:
            out[n.targets[0].id] = n.value  # type: ignore[assignment]
    for c in real:
        if isinstance(c.func, ast.Name) and c.func.id in flow:
            out.setdefault(c.func.id, c)  # a TaskFlow call used inline in a chain: ``extract() >> train()``
    return out


def _ends(node: ast.AST) -> set[str]:
    """The tasks a dependency expression stands for: a task variable, a list of them, an inline TaskFlow call, or the
    right-hand end of a chain (``a >> b`` is ``b``)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return set().union(*(_ends(x) for x in node.elts)) if node.elts else set()
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.LShift)):
        return _ends(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return {node.func.id}
    return set()


def _downstream(scope: ast.AST, flow: set[str]) -> dict[str, set[str]]:
    """Task -> the tasks directly after it: ``a >> b``, ``b << a``, ``a.set_downstream(b)``, ``chain(a, b, c)`` and
    TaskFlow arguments (``train(prepare())``)."""
    succ: dict[str, set[str]] = {}

    def edge(srcs: set[str], dsts: set[str]) -> None:
        for s in srcs:
            succ.setdefault(s, set()).update(dsts)

    for n in walk(scope):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.RShift):
            edge(_ends(n.left), _ends(n.right))
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.LShift):
            edge(_ends(n.right), _ends(n.left))
        elif isinstance(n, ast.Call):
            t = call_tail(n)
            if t in ("set_downstream", "set_upstream") and isinstance(n.func, ast.Attribute) and n.args:
                me, other = _ends(n.func.value), _ends(n.args[0])
                edge(*((me, other) if t == "set_downstream" else (other, me)))
            elif t == "chain":
                for a, b in zip(n.args, n.args[1:]):
                    edge(_ends(a), _ends(b))
            elif isinstance(n.func, ast.Name) and n.func.id in flow:
                for a in [*n.args, *(k.value for k in n.keywords)]:
                    if isinstance(a, (ast.Call, ast.Name)):
                        edge(_ends(a), {n.func.id})
    return succ


def _reach(succ: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _how_it_trains(scope: ast.AST, real: list[ast.Call], funcs: dict, flow: set[str]) -> tuple[str, bool]:
    """How a training DAG trains, and whether only on a branch that may skip it.

    ``trains``: ``tasks`` when its own tasks run training, ``trigger`` when it only starts another DAG that trains
    (``TriggerDagRunOperator``), ``name`` when only its id says so. ``conditional``: every training task sits behind a
    branch (``BranchPythonOperator``, ``ShortCircuitOperator``, ``@task.branch``) one of whose ways reaches no training,
    as in a monitoring DAG that retrains only when thresholds break."""
    named = _task_names(scope, real, flow)

    def branch(c: ast.Call) -> bool:
        fn = funcs.get(c.func.id) if isinstance(c.func, ast.Name) else None
        return "Branch" in call_tail(c) or "ShortCircuit" in call_tail(c) or (fn is not None and any(
            tail(dotted(d.func if isinstance(d, ast.Call) else d)) in _BRANCH_DECORATORS for d in fn.decorator_list))

    def trains(c: ast.Call) -> bool:
        ids = " ".join(str(literal(k.value, "")) for k in c.keywords if k.arg == "task_id")
        fn = kwarg(c, "python_callable")
        name = fn.id if isinstance(fn, ast.Name) else call_tail(c)
        if (words(ids) | words(name)) & _SKIP_WORDS or _stub_task(c, funcs) or branch(c):
            return False  # ``skip_retraining`` is the way round training, a print-only task trains nothing, a branch chooses
        return training_code(c, funcs) or (c.func.id in funcs and training_code(funcs[c.func.id], funcs)  # type: ignore[union-attr]
                                           if isinstance(c.func, ast.Name) else False)

    train = {v for v, c in named.items() if trains(c)}
    unnamed = [c for c in real if c not in named.values() and trains(c)]
    calls = [named[v] for v in train] + unnamed
    kind = "name" if not calls else "trigger" if all(call_tail(c) == "TriggerDagRunOperator" for c in calls) else "tasks"
    if not train or unnamed:
        return kind, False
    succ = _downstream(scope, flow)
    branches = {v for v, c in named.items() if branch(c)}
    skipping = [b for b in branches
                if any(c not in train and not (_reach(succ, c) & train) for c in succ.get(b, ()))]
    behind = set().union(*(_reach(succ, b) for b in skipping)) if skipping else set()
    return kind, train <= behind
