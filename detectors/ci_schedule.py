"""Scheduled CI jobs whose commands reach training (cron workflows, GitLab/Azure/Jenkins/CircleCI schedules); feeds M1."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.ci import CI_NEEDS, ci_model
from mlscan.detector import Detector, needs_of
from mlscan.facts.ci_vocab import selects_other_task, test_named_task, test_runner, test_tree_program, training_command
from mlscan.facts.commands import Cmd, job_commands, python_target, reached_by
from mlscan.facts.orchestration import call_names, trainingish
from mlscan.facts.wiring import file_imports
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

PIPELINE_TASKS = ("pipelinerestapitask", "azuremlpipeline", "runpipeline", "sagemaker-pipeline")
# A smoke training: one epoch (or a few steps, a fast dev run) to see that training still runs. Scheduled in CI it is a
# regression test, not retraining. The option may sit in a dotted config group (``--trainer.max_epochs=1``,
# ``--training.steps=4``); a step or iteration count below ten is a few steps (``--steps=4``, ``--max_iters 2``)
_SMOKE = lazy_re(r"--(?:[\w-]+\.)*(?:num[_-]|max[_-]|n[_-])?epochs?[= ]+1\b(?!\.)|--fast[_-]dev[_-]run\b|"
                 r"--(?:[\w-]+\.)*(?:num[_-]|max[_-]|total[_-]|train[_-]|n[_-])?(?:steps|iters?|iterations)[= ]+\d\b(?!\.)|--smoke[_-]?test\b")
# a run that writes to, or resumes from, the test tree (``--output_dir=tests/outputs/act``, ``--config_path=tests/outputs/
# .../train_config.json --resume=true``): what a smoke training of the test suite leaves there, no model anyone uses
_TEST_TREE = lazy_re(r"(?:^|[\s=\'\"])(?:\./)?tests?/\S*(?:output|checkpoint|artifact|tmp)", re.I)


def smoke_training(text: str) -> bool:
    return _SMOKE.search(text) is not None or _TEST_TREE.search(text) is not None


# ``python -c "import pipelines.training..."``: an inline snippet imports or probes the training code, it trains nothing
_INLINE = lazy_re(r"\bpython[\d.]*\s+(?:-\w+\s+)*-c\b")


class CiSchedule(Detector):
    """Scheduled CI jobs that run training (a train script, ``dvc repro``, a training pipeline submit); feeds M1."""

    id = "ci.schedule"
    questions = ("M1",)
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile", ".circleci/config.yml")
    signals = ("schedule.training",)
    needs_any = needs_of(CI_NEEDS)  # every finding comes from a CI job

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        found: dict[tuple[str, int], tuple[dict, list[tuple[str, int, tuple[str, ...]]]]] = {}
        for job in ci_model(index).jobs:
            if not job.applies or "schedule" not in job.triggers or "pull_request" in job.triggers:
                continue  # a job every pull request runs too checks the code (an end-to-end test), it retrains nothing
            # (a dispatcher whose code can train, run for another task: ``run.py --pipeline batch_inference``, retrains nothing)
            every = job_commands(index, job)
            cmds = [c for c in every
                    if not _INLINE.search(c.text) and (training_command(c.text) or _trains(index, c) and not selects_other_task(c.text))]
            if cmds and _smoke_only(cmds, every):
                continue  # nightly one-epoch smoke trainings test the code; no model is retrained
            where = [(c.path, c.line, reached_by(c)) for c in cmds]
            active = job.active and any(c.active for c in cmds)
            # ``continue-on-error: true`` (or ``|| true``) on every training command: a failed run fails nothing, so the
            # schedule proves no retraining (house rule: continue-on-error is not evidence); the caveat caps a yes
            ignored = bool(cmds) and all(c.ignored for c in cmds if c.active or not active)
            for s in job.steps:  # tasks that submit a training pipeline
                if s.uses and any(t in s.uses.lower() for t in PIPELINE_TASKS) and trainingish(s.name, *(v for _, v in s.with_)):
                    where.append((s.path, s.line, ()))
                    active = active or (job.active and s.active)
            if not where:
                continue
            key = (job.path, job.schedule_line or job.line)
            attrs = {"tool": job.system, "cron": job.schedules[0] if job.schedules else "", "active": active,
                     "trigger": "cron" if job.schedules else "schedule", "job": job.name, **({"ignored": True} if ignored else {})}
            old = found.get(key)
            if old is None or (active and not old[0]["active"]):
                found[key] = (attrs, where)
        for (path, line), (attrs, where) in sorted(found.items()):
            strength = Strength.STRONG if attrs["active"] else Strength.WEAK
            yield self.found("schedule.training", index, path, line, strength=strength, attrs=attrs,
                             extra=tuple(replace(self.evidence(index, p, ln, strength=strength), chain=chain) for p, ln, chain in where[:3]))


def _smoke_only(cmds: list[Cmd], every: list[Cmd]) -> bool:
    """Is every training command a smoke training? A command that runs others (``make test-end-to-end``, a recipe's
    ``$(MAKE) test-act-ete-train``) is judged by the training commands it leads to, when there are some."""
    callers = {v for c in cmds for v in c.via[1:]}
    at = {f"{c.path}:{c.line}": c for c in every}

    def smoke(c: Cmd) -> bool:
        return smoke_training(c.text) or _tests(c) or any((v in at and _tests(at[v])) for v in c.via[1:])

    return any(smoke(c) for c in cmds) and all(smoke(c) or f"{c.path}:{c.line}" in callers for c in cmds)


def _tests(c: Cmd) -> bool:
    """A command that runs tests, whatever they train: a test runner (``pytest tests/test_training.py``), a task named
    for tests (``make tests_training``, ``just test-e2e``: a library's nightly distributed-training tests), or a program of
    the test tree (``torchrun --nproc_per_node 2 tests/training/train.py``). What it trains is a smoke training."""
    return test_runner(c.text) is not None or test_named_task(c.text) or test_tree_program(c.text)


def _calls_train(index: FileIndex, path: str) -> bool | None:
    """Do the names a file calls (and defines) say it trains? None when it does not parse. A file fact: every command
    of every scheduled job asks about the programs it runs and what they import."""
    tree = index.python(path)
    return None if tree is None else trainingish(*call_names(tree))


CALLS_TRAIN = register_fact("ci.schedule.calls_train", _calls_train)


def _trains(index: FileIndex, c: Cmd) -> bool:
    """Does the Python program a command runs do training (by its name, the calls it makes, or the
    project modules it imports)?"""
    e = python_target(index, c)
    if e is None:
        return False
    if trainingish(e.vpath.rsplit("/", 1)[-1]):
        return True
    calls_train = index.fact(e.path, CALLS_TRAIN)
    if calls_train is None:
        return False
    if calls_train:
        return True
    return any(_module_trains(index, m, e) for m in (file_imports(index, e) or [])[:30])


def _module_trains(index: FileIndex, dotted: str, importer: FileEntry) -> bool:
    path = dotted.replace(".", "/")
    base = importer.vpath.rsplit("/", 1)[0] if "/" in importer.vpath else ""
    for cand in (f"{path}.py", f"src/{path}.py", f"{base}/{path}.py" if base else ""):
        hit = next((x for x in index.select((cand,)) if x.vpath == cand), None) if cand else None
        if hit:
            return trainingish(hit.vpath.rsplit("/", 1)[-1]) or bool(index.fact(hit.path, CALLS_TRAIN))
    return False
