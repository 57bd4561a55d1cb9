"""Vertex AI pipeline schedules: PipelineJob.create_schedule / PipelineJobSchedule (paused = off) for
training pipelines; feeds M1."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import assigned_calls, call_tail, calls, dotted, imports, kwarg, literal, strings, trainingish
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength


def _kfp_training(index: FileIndex) -> bool:
    """Does the repository define a KFP pipeline whose components train (the usual Vertex payload)?"""

    def build() -> bool:
        for e, tree in index.python_files((b"kfp",), ("**/*.py",)):
            if imports(tree, "kfp") and not e.test:
                if any(trainingish(n.name) for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
                    return True
        return False

    return bool(index.memo("orch:kfp-training", build))


class VertexPipeline(Detector):
    """Vertex AI PipelineJob schedules (create_schedule, PipelineJobSchedule) running training; feeds M1."""

    id = "vertex.pipeline"
    questions = ("M1",)
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = (b"aiplatform",)
    signals = ("schedule.training",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, tree in index.python_files((b"aiplatform",), ("**/*.py",)):
            if e.test or not imports(tree, "google.cloud.aiplatform", "google.cloud"):
                continue
            bound = assigned_calls(tree)
            paused = {dotted(c.func.value) for c in calls(tree, "pause") if isinstance(c.func, ast.Attribute)}
            for c in calls(tree, "create_schedule", "PipelineJobSchedule", "create"):
                name = call_tail(c)
                if name == "create" and not (isinstance(c.func, ast.Attribute) and call_tail(bound.get(dotted(c.func.value), ast.Call(ast.Name(""), [], []))) == "PipelineJobSchedule"):
                    continue
                job = kwarg(c, "pipeline_job") if name == "PipelineJobSchedule" else getattr(c.func, "value", None)
                job_call = bound.get(dotted(job)) if job is not None else None
                texts = [*strings(c), dotted(job)] + (strings(job_call) if job_call is not None else [])
                if not (trainingish(*texts) or _kfp_training(index)):
                    continue
                cron = literal(kwarg(c, "cron"), None) or literal(kwarg(c, "cron_expression"), None)
                if name == "PipelineJobSchedule" and cron is None:
                    continue  # the cron comes with .create(cron=...)
                target = next((t.id for n in walk(tree) if isinstance(n, ast.Assign) and n.value is c for t in n.targets if isinstance(t, ast.Name)), "")
                sched_var = dotted(c.func.value) if name == "create" and isinstance(c.func, ast.Attribute) else target
                active = sched_var not in paused
                yield self.found("schedule.training", index, e.path, c.lineno, strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"tool": "vertex", "cron": str(cron), "active": active, "trigger": "cron"})
