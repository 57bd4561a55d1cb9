"""Schedules declared in Python code, read from the calls (not a detector): the one judgement of whether a schedule
argument is set and on, shared by the orchestrator detectors and the detectors that ask whether something runs
unattended.

``schedule_arg`` judges one schedule value: ``None``, ``""``, ``"None"`` run only when triggered by hand, ``"@once"``
runs once; a cron or preset string, an interval (``timedelta(days=1)``), a timetable, or data-aware schedules
(``[Dataset(...)]``) are on. ``declared_schedules`` lists, per file (a file fact), every call that declares a
schedule through a schedule keyword (``schedule=``, ``schedule_interval=``, ``cron=``, ``cron_schedule=``,
``interval=``, ``ScheduleExpression=`` ...) or a schedule object (``IntervalSchedule(...)``, ``CronSchedule(...)``,
``ScheduleDefinition(...)``), and whether it is on: a pause flag (``is_paused_upon_creation=True``,
``paused=True``, ``active=False``, ``enabled=False``, ``State="DISABLED"``) switches it off, and Dagster schedules
start STOPPED unless ``default_status=RUNNING``. ``cron_resource`` judges a Kubernetes CronJob or Argo CronWorkflow
(``suspend: true`` switches it off); ``schedules_on`` asks either, by the file's kind."""

from __future__ import annotations

import ast

from ..index import FileEntry, FileIndex, register_fact
from .orchestration import call_tail, dotted, kwarg, literal, tail
from .pyast import walk

# data-aware (event) schedules and interval constructors (Airflow, Prefect, Dagster, pendulum)
EVENT_SCHEDULES = ("Dataset", "Asset", "DatasetAll", "DatasetAny", "AssetAll", "AssetAny", "DatasetOrTimeSchedule", "AssetOrTimeSchedule")
INTERVALS = ("timedelta", "relativedelta", "Duration")
# keywords that hand a call its schedule
SCHEDULE_KEYWORDS = ("schedule", "schedule_interval", "timetable", "cron", "cron_schedule", "cron_expression", "interval", "rrule",
                     "schedules", "schedule_expression", "ScheduleExpression")
# calls that are schedules themselves (their arguments are the cron or interval)
SCHEDULE_OBJECTS = ("IntervalSchedule", "CronSchedule", "RRuleSchedule", "ScheduleDefinition", "CronTriggerTimetable", "CronDataIntervalTimetable")
_STOPPED_BY_DEFAULT = ("ScheduleDefinition", "schedule")  # Dagster: STOPPED unless default_status=RUNNING


def schedule_arg(node: ast.AST | None, consts: dict[str, ast.expr] | None = None) -> tuple[str | None, bool, str]:
    """(schedule text, on, kind) of one schedule value. kind: unset | manual | once | cron | interval | event."""
    if node is None:
        return None, False, "unset"
    if isinstance(node, ast.Name) and consts and node.id in consts:
        node = consts[node.id]
    v = literal(node)
    if v is None or v is False or (isinstance(v, str) and v.strip().lower() in ("none", "")):
        return None, False, "manual"
    if isinstance(v, str):
        return (v, False, "once") if v.strip() == "@once" else (v, True, "cron")
    names = {tail(dotted(n)) for n in walk(node) if isinstance(n, (ast.Call, ast.Name, ast.Attribute))}
    if names & set(EVENT_SCHEDULES) or isinstance(node, (ast.List, ast.Tuple, ast.BinOp)):
        if isinstance(node, (ast.List, ast.Tuple)) and not node.elts:
            return None, False, "manual"
        return "dataset", True, "event"
    if isinstance(node, ast.Call) and call_tail(node) in INTERVALS:
        return "interval", True, "interval"
    if isinstance(node, ast.Call) and node.args and isinstance(literal(node.args[0], None), str):
        return literal(node.args[0]), True, "cron"  # CronTriggerTimetable("0 3 * * *", ...)
    return dotted(node) or "expression", True, "cron"


def _paused(call: ast.Call) -> bool:
    """A flag on the call that keeps its schedule off."""
    if literal(kwarg(call, "is_paused_upon_creation", "paused"), False) is True:
        return True
    if literal(kwarg(call, "active", "is_schedule_active", "enabled"), True) is False:
        return True
    state = literal(kwarg(call, "State", "state"), "")
    return isinstance(state, str) and state.upper() == "DISABLED"


def _declared(index: FileIndex, path: str) -> list[list[object]] | None:
    """[line, keyword or schedule object, text, on] for every schedule a Python file declares; None when it does not
    parse."""
    tree = index.python(path)
    if tree is None:
        return None
    consts = {t.id: n.value for n in getattr(tree, "body", []) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    out: list[list[object]] = []
    for c in walk(tree):
        if not isinstance(c, ast.Call):
            continue
        name = call_tail(c)
        kw = next((k for k in c.keywords if k.arg in SCHEDULE_KEYWORDS), None)
        if kw is None and name not in SCHEDULE_OBJECTS:
            continue
        if kw is not None:
            text, on, _kind = schedule_arg(kw.value, consts)
            key = str(kw.arg)
        else:  # ``IntervalSchedule(interval=...)`` is handled above; ``CronSchedule("0 3 * * *")``
            text, on, _kind = schedule_arg(c.args[0], consts) if c.args else (name, True, "cron")
            key = name
        stopped = name in _STOPPED_BY_DEFAULT and kwarg(c, "cron_schedule") is not None \
            and tail(dotted(kwarg(c, "default_status"))) != "RUNNING"
        out.append([c.lineno, key, str(text or ""), bool(on) and not _paused(c) and not stopped])
    return out


SCHEDULES = register_fact("schedules.declared", _declared)


def declared_schedules(index: FileIndex, e: FileEntry | str) -> list[list[object]]:
    """The schedules a Python file declares (``_declared``), derived once per file and kept between scans."""
    path = e if isinstance(e, str) else e.path
    return index.fact(path, SCHEDULES) or []


CRON_KINDS = ("CronJob", "CronWorkflow")


def cron_resource(doc: object) -> tuple[str, bool] | None:
    """(schedule, on) of a Kubernetes CronJob or an Argo CronWorkflow manifest; None for any other document. It is on
    unless ``spec.suspend`` is true."""
    if not isinstance(doc, dict) or doc.get("kind") not in CRON_KINDS:
        return None
    spec = doc.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    schedule = spec.get("schedule", spec.get("schedules"))
    return str(schedule if schedule is not None else ""), spec.get("suspend") is not True


def schedules_on(index: FileIndex, e: FileEntry | str) -> bool:
    """Does the file declare a schedule that is set and on: a Python schedule (``declared_schedules``), or in a YAML
    file a CronJob/CronWorkflow that is not suspended?"""
    path = e if isinstance(e, str) else e.path
    if path.endswith((".yml", ".yaml")):
        return any((c := cron_resource(d)) is not None and c[1] for d in index.yaml(path))
    return any(s[3] for s in declared_schedules(index, path))
