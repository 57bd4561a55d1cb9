"""Cloud schedulers that start training: EventBridge/CloudWatch Events rules and EventBridge Scheduler
(CloudFormation/SAM, Terraform), Serverless ``schedule`` events, Google Cloud Scheduler jobs; feeds M1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import hcl as _hcl
from mlscan.facts.orchestration import all_strings, inferenceish, line_of, trainingish, yaml_docs
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_PIPELINE = lazy_re(r"SageMakerPipeline|sagemaker_pipeline|:pipeline/|StartPipelineExecution|pipelineJobs|AWS::SageMaker::Pipeline", re.I)
_TF_REF = lazy_re(r"\b(aws_[a-z0-9_]+|google_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\b")


_SMOKE = lazy_re(r"(?i)\bsmoke\b")


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
    globs = ("**/*.yml", "**/*.yaml", "**/*.json", "**/*.template", "**/*.tf")
    signals = ("schedule.training", "retrain.trigger")

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
