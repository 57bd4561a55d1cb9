"""Cloud schedulers that start training: EventBridge/CloudWatch Events rules and EventBridge Scheduler
(CloudFormation/SAM, Terraform), Serverless ``schedule`` events, Google Cloud Scheduler jobs (Terraform, and jobs
created with ``gcloud scheduler jobs create`` or the ``scheduler_v1`` client from scripts and notebooks: the job
runs on after whatever created it); feeds M1."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import hcl as _hcl
from mlscan.facts.orchestration import all_strings, at, call_tail, inferenceish, kwarg, line_of, trainingish, yaml_docs
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_PIPELINE = lazy_re(r"SageMakerPipeline|sagemaker_pipeline|:pipeline/|StartPipelineExecution|pipelineJobs|AWS::SageMaker::Pipeline", re.I)
_TF_REF = lazy_re(r"\b(aws_[a-z0-9_]+|google_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\b")


_SMOKE = lazy_re(r"(?i)\bsmoke\b")
# ``gcloud scheduler jobs create pubsub|http NAME --schedule "..." --topic T|--uri U [--message-body ...]``
_GCLOUD_JOB = lazy_re(r"gcloud\s+(?:beta\s+|alpha\s+)?scheduler\s+jobs\s+create\s+(?:pubsub|http|app-engine)\s+(\S+)")
_FLAG = lazy_re(r"--(schedule|topic|uri|message-body|relative-url)[= ](\"[^\"]*\"|'[^']*'|\S+)")
# files that can create a Cloud Scheduler job: the word ``scheduler`` (``gcloud scheduler jobs``, ``scheduler_v1``)
JOB_NEEDLES = (b"scheduler",)
_SHELL_VAR = lazy_re(r"\$\{?(\w+)\}?|\{(\w+)\}")
_SHELL_ASSIGN = lazy_re(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=(\"[^\"]*\"|'[^']*'|\S*)\s*$")


def _runs_training(*texts: str) -> bool:
    """A target starts training: its names/commands say so, or it starts an ML pipeline that is not inference. A
    schedule its own name or description calls a smoke run tests the path; it retrains nothing."""
    if any(_SMOKE.search(t) for t in texts):
        return False
    return trainingish(*texts) or any(_PIPELINE.search(t) for t in texts) and not inferenceish(*texts)


class CloudScheduler(Detector):
    """EventBridge rules/schedules, Serverless schedule events and Cloud Scheduler jobs targeting training; feeds M1."""

    id = "cloud.scheduler"
    questions = ("M1",)
    globs = ("**/*.yml", "**/*.yaml", "**/*.json", "**/*.template", "**/*.tf", "**/*.py", "**/*.ipynb", "**/*.sh", "**/Makefile")
    signals = ("schedule.training", "retrain.trigger")
    needs_any = (Need(("**/*.yml", "**/*.yaml", "**/*.template", "**/*.json", "**/*.tf")),
                 Need(("**/*.py", "**/*.sh", "**/Makefile"), words=JOB_NEEDLES), Need(("**/*.ipynb",), text=JOB_NEEDLES))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, doc in yaml_docs(index, (b"AWS::Events::Rule", b"AWS::Scheduler::Schedule", b"Schedule", b"schedule:"), globs=("**/*.yml", "**/*.yaml", "**/*.template"), json=True):
            res = doc.get("Resources") if isinstance(doc, dict) else None
            if isinstance(res, dict):
                yield from self._cloudformation(index, e.path, res)
            fns = doc.get("functions") if isinstance(doc, dict) and "service" in doc else None
            if isinstance(fns, dict):
                yield from self._serverless(index, e.path, fns)
        for e in index.select(("**/*.tf",)):
            if e.test or not index.contains(e.path, (b"aws_cloudwatch_event_rule", b"aws_scheduler_schedule", b"google_cloud_scheduler_job")):
                continue
            yield from self._terraform(index, e.path, _hcl.parse(index.text(e.path) or ""))
        yield from self._google_jobs(index)

    def _google_jobs(self, index: FileIndex) -> Iterator[Finding]:
        """Cloud Scheduler jobs made by a command or the Python client, in scripts, Makefiles and notebooks: the job's
        name, target (Pub/Sub topic, URI) and message, with the file's constants filled in, must say training."""
        for e in index.select(("**/*.py", "**/*.ipynb", "**/*.sh", "**/Makefile")):
            # (a notebook's shell lines are not among its words: its text is checked)
            if e.test or not (index.mentions(e.path, JOB_NEEDLES) or e.suffix == ".ipynb" and index.contains(e.path, JOB_NEEDLES)):
                continue
            consts: dict[str, str] = {}
            # the tree gives the constants a gcloud command line is filled in with, and the client's ``create_job`` calls:
            # a file naming neither (most files that say ``scheduler``) is not parsed for them
            tree = index.python(e.path) if e.suffix in (".py", ".ipynb") and index.contains(e.path, (b"gcloud", b"create_job")) else None
            if tree is not None:
                consts = _constants(tree)
            lines = index.lines(e.path)
            if e.suffix not in (".py", ".ipynb"):
                consts = {m.group(1): m.group(2).strip("\"'") for ln in lines for m in [_SHELL_ASSIGN.match(ln)] if m}
            for i, ln in enumerate(lines):
                m = _GCLOUD_JOB.search(ln)
                if m is None:
                    continue
                text = _logical(lines, i)
                if e.suffix == ".ipynb":  # a notebook's source line as it stands in the JSON text
                    text = text.replace('\\"', '"')
                flags = {k: v.strip("\"'") for k, v in _FLAG.findall(text)}
                if "schedule" not in flags:
                    continue
                texts = [_fill(x, consts) for x in (m.group(1), flags.get("topic", ""), flags.get("uri", ""), flags.get("message-body", ""),
                                                    flags.get("relative-url", ""))]
                if _runs_training(*texts):
                    yield from self._emit(index, e.path, i + 1, "cloud-scheduler", flags["schedule"], True)
            if tree is None or not index.contains(e.path, (b"create_job",)):
                continue
            bound = {t.id: n.value for n in getattr(tree, "body", []) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                     for t in n.targets if isinstance(t, ast.Name)}  # pubsub_target = PubsubTarget(topic_name=...)
            for c in walk(tree):
                if not (isinstance(c, ast.Call) and call_tail(c) == "Job" and kwarg(c, "schedule") is not None):
                    continue
                target = kwarg(c, "pubsub_target") or kwarg(c, "http_target") or kwarg(c, "app_engine_http_target")
                if isinstance(target, ast.Name) and target.id in bound:
                    target = bound[target.id]
                texts = [_value(kwarg(c, "name"), consts), *(_value(n, consts) for n in walk(target) if isinstance(n, (ast.Constant, ast.JoinedStr, ast.Name)))] \
                    if target is not None else []
                if texts and _runs_training(*texts):
                    yield from self._emit(index, e.path, at(index, e, c.lineno)["line"], "cloud-scheduler", _value(kwarg(c, "schedule"), consts) or "schedule", True)

    def _emit(self, index: FileIndex, path: str, line: int | None, tool: str, cron: Any, active: bool) -> Iterator[Finding]:
        st = Strength.STRONG if active else Strength.WEAK
        event = not cron
        yield self.found("schedule.training", index, path, line, strength=st,
                         attrs={"tool": tool, "cron": str(cron or "event"), "active": active, "trigger": "event" if event else "cron"})
        if event:
            yield self.found("retrain.trigger", index, path, line, strength=st, attrs={"tool": tool, "kind": "event", "active": active})

    def _cloudformation(self, index: FileIndex, path: str, res: dict) -> Iterator[Finding]:
        def texts(node: Any) -> list[str]:
            out = all_strings(node)
            for s in list(out):
                ref = s.split(".")[0]
                if ref in res and isinstance(res[ref], dict):
                    out += [ref, str(res[ref].get("Type", ""))] + all_strings(res[ref].get("Properties"))
            return out

        for rid, r in res.items():
            if not isinstance(r, dict):
                continue
            props = r.get("Properties") if isinstance(r.get("Properties"), dict) else {}
            kind = r.get("Type")
            if kind in ("AWS::Events::Rule", "AWS::Scheduler::Schedule"):
                target = props.get("Targets") or props.get("Target")
                if (props.get("ScheduleExpression") or props.get("EventPattern")) and _runs_training(str(rid), str(props.get("Name", "")), *texts(target)):
                    active = str(props.get("State", "ENABLED")).upper() != "DISABLED"
                    key = "ScheduleExpression" if props.get("ScheduleExpression") else "EventPattern"
                    yield from self._emit(index, path, line_of(props, key), "eventbridge", props.get("ScheduleExpression"), active)
            elif kind == "AWS::Serverless::Function" and isinstance(props.get("Events"), dict):
                for ev in props["Events"].values():
                    p = ev.get("Properties") if isinstance(ev, dict) and isinstance(ev.get("Properties"), dict) else {}
                    if isinstance(ev, dict) and ev.get("Type") in ("Schedule", "ScheduleV2") and _runs_training(str(rid), *texts(props)):
                        active = p.get("Enabled", True) is not False and str(p.get("State", "ENABLED")).upper() != "DISABLED"
                        cron = p.get("Schedule") or p.get("ScheduleExpression")
                        yield from self._emit(index, path, line_of(p, "Schedule" if "Schedule" in p else "ScheduleExpression"), "eventbridge", cron, active)

    def _serverless(self, index: FileIndex, path: str, fns: dict) -> Iterator[Finding]:
        for name, fn in fns.items():
            if not isinstance(fn, dict) or not _runs_training(str(name), str(fn.get("handler", "")), str(fn.get("name", ""))):
                continue
            for ev in fn.get("events") or []:
                sched = ev.get("schedule") if isinstance(ev, dict) else None
                if isinstance(sched, (str, dict)):
                    cron = sched if isinstance(sched, str) else sched.get("rate")
                    active = not (isinstance(sched, dict) and sched.get("enabled") is False)
                    yield from self._emit(index, path, line_of(ev, "schedule"), "serverless", cron[0] if isinstance(cron, list) and cron else cron, active)

    def _terraform(self, index: FileIndex, path: str, blocks: list[_hcl.Block]) -> Iterator[Finding]:
        by_ref = {f"{b.labels[0]}.{b.labels[1]}": b for b in blocks if b.type == "resource" and len(b.labels) == 2}

        def texts(b: _hcl.Block) -> list[str]:
            out = [b.labels[-1], b.text()]
            for m in _TF_REF.finditer(b.text()):
                ref = by_ref.get(f"{m.group(1)}.{m.group(2)}")
                if ref is not None and ref is not b:
                    out += [m.group(1), ref.labels[-1], ref.text()]
            return out

        targets = [b for b in blocks if b.type == "resource" and b.labels[:1] == ("aws_cloudwatch_event_target",)]
        for b in by_ref.values():
            kind = b.labels[0]
            if kind == "aws_cloudwatch_event_rule":
                mine = [t for t in targets if f"aws_cloudwatch_event_rule.{b.labels[1]}." in str(t.get("rule", "")) or t.get("rule") == b.get("name")]
                cron = b.get("schedule_expression")
                if (cron or b.get("event_pattern")) and _runs_training(*texts(b), *(s for t in mine for s in texts(t))):
                    active = b.get("is_enabled", True) is not False and str(b.get("state", "ENABLED")).upper() != "DISABLED"
                    yield from self._emit(index, path, b.line_of("schedule_expression" if cron else "event_pattern"), "eventbridge", cron, active)
            elif kind == "aws_scheduler_schedule" and b.get("schedule_expression") and _runs_training(*texts(b)):
                active = str(b.get("state", "ENABLED")).upper() != "DISABLED"
                yield from self._emit(index, path, b.line_of("schedule_expression"), "eventbridge", b.get("schedule_expression"), active)
            elif kind == "google_cloud_scheduler_job" and b.get("schedule") and _runs_training(*texts(b)):
                yield from self._emit(index, path, b.line_of("schedule"), "cloud-scheduler", b.get("schedule"), b.get("paused", False) is not True)


_CONTINUED = lazy_re(r"\\{1,2}(\\n)?\"?,?\s*$")  # a shell line ending in ``\``, also as a notebook's JSON source line


def _logical(lines: list[str], i: int) -> str:
    """Line ``i`` with the lines its trailing backslashes continue onto (up to ten)."""
    out = [lines[i]]
    while _CONTINUED.search(out[-1]) and i + len(out) < len(lines) and len(out) < 10:
        out.append(lines[i + len(out)])
    return " ".join(out)


def _template(node: ast.JoinedStr) -> str:
    """An f-string as text, a replacement field of a plain name kept as ``{NAME}`` (filled in by ``_fill``)."""
    return "".join(v.value if isinstance(v, ast.Constant) else "{" + v.value.id + "}"
                   if isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) else "" for v in node.values)


def _constants(tree: ast.AST) -> dict[str, str]:
    """Module-level names bound to a string or an f-string (kept as written, filled in by ``_fill``)."""
    out: dict[str, str] = {}
    for n in getattr(tree, "body", []):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            if isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
                out[n.targets[0].id] = n.value.value
            elif isinstance(n.value, ast.JoinedStr):
                out[n.targets[0].id] = _template(n.value)
    return out


def _fill(text: str, consts: dict[str, str], depth: int = 0) -> str:
    """``$NAME``, ``${NAME}`` and ``{NAME}`` in a command or f-string replaced by the file's constants (three levels)."""
    if depth > 2:
        return text
    return _SHELL_VAR.sub(lambda m: _fill(consts.get(m.group(1) or m.group(2), m.group(0)), consts, depth + 1), text)


def _value(node: ast.AST | None, consts: dict[str, str]) -> str:
    """The text of a string, f-string or constant name, constants filled in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return _fill("{" + node.id + "}", consts)
    if isinstance(node, ast.JoinedStr):
        return _fill(_template(node), consts)
    return ""
