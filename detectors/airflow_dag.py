"""Airflow DAGs read with ast: schedules of training DAGs, task graphs, drift/data triggers; feeds M1, D3, M4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.ci import is_placeholder
from mlscan.detector import Detector
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
    tail,
    training_code,
    trainingish,
    words,
)
from mlscan.facts.placeholders import stub_function
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_SCHEDULE_KW = ("schedule", "schedule_interval", "timetable")
_EVENT = ("Dataset", "Asset", "DatasetAll", "DatasetAny", "AssetAll", "AssetAny", "DatasetOrTimeSchedule", "AssetOrTimeSchedule")
_INTERVAL = ("timedelta", "relativedelta", "Duration")
_NOOP = ("EmptyOperator", "DummyOperator", "LatestOnlyOperator")
_DATA_SENSORS = ("S3KeySensor", "S3KeysUnchangedSensor", "FileSensor", "GCSObjectExistenceSensor", "GCSObjectsWithPrefixExistenceSensor",
                 "GCSObjectUpdateSensor", "WasbBlobSensor", "WasbPrefixSensor", "SqlSensor", "BigQueryTableExistenceSensor", "HivePartitionSensor")


def _schedule(call: ast.AST, consts: dict[str, ast.expr]) -> tuple[str | None, bool, str]:
    """(cron text, active, trigger kind) of a DAG(...) call or @dag decorator."""
    if not isinstance(call, ast.Call):
        return None, False, "unset"
    if literal(kwarg(call, "is_paused_upon_creation"), False) is True:
        return "paused", False, "paused"
    node = kwarg(call, *_SCHEDULE_KW)
    if node is None:
        return None, False, "unset"  # Airflow 3 default is None; never assume a schedule
    if isinstance(node, ast.Name) and node.id in consts:
        node = consts[node.id]
    v = literal(node)
    if v is None or (isinstance(v, str) and v.strip().lower() in ("none", "")):
        return None, False, "manual"
    if isinstance(v, str):
        return (v, False, "once") if v.strip() == "@once" else (v, True, "cron")
    names = {tail(dotted(n)) for n in walk(node) if isinstance(n, (ast.Call, ast.Name, ast.Attribute))}
    if names & set(_EVENT) or isinstance(node, (ast.List, ast.Tuple, ast.BinOp)):
        return "dataset", True, "event"
    if isinstance(node, ast.Call) and call_tail(node) in _INTERVAL:
        return "interval", True, "interval"
    if isinstance(node, ast.Call) and node.args and isinstance(literal(node.args[0], None), str):
        return literal(node.args[0]), True, "cron"  # CronTriggerTimetable("0 3 * * *", ...)
    return dotted(node) or "expression", True, "cron"


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
                    yield self.found("schedule.training", index, e.path, line, attrs=attrs,
                                     strength=Strength.STRONG if active else Strength.WEAK)
                if len(real) >= 2 and edges >= 1:
                    yield self.found("pipeline.dag", index, e.path, line, strength=Strength.STRONG if active else Strength.MEDIUM,
                                     attrs={"tool": "airflow", "dag_id": dag_id, "steps": len(real), "active": active, "stub": stub,
                                            "training": training})
                yield from self._triggers(index, e.path, line, ops, funcs, tree, training, active, trigger)

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


def _echo_only(op: ast.Call) -> bool:
    cmd = literal(kwarg(op, "bash_command"), None)
    return isinstance(cmd, str) and is_placeholder(cmd)


def _stub_task(call: ast.Call, funcs: dict) -> bool:
    """A PythonOperator whose callable, or a TaskFlow task whose function, is defined here with a placeholder body."""
    fn = kwarg(call, "python_callable") if call_tail(call).endswith("Operator") else call.func
    body = funcs.get(fn.id) if isinstance(fn, ast.Name) else None
    return body is not None and stub_function(body)
