"""Reusable GitHub workflows called from a job (``uses: ./.github/workflows/deploy.yml``): who calls a workflow file, and
the command of the called workflow that decides what the call does (its deploy step), so evidence cites the step that
runs, not the ``uses:`` line that only names the file."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..ci import CiJob
from ..index import FileIndex
from ..lazyre import lazy_re
from .commands import Cmd, job_commands

# a step or command that deploys or releases what the caller built: its name or text says so
DEPLOY_WORDS = lazy_re(r"deploy|release|roll-?out|promot|publish|\bsync\b|set[\s_-]image|update[\s_-]?(image|tag|version|manifest)|"
                       r"update\b.*\b(image|tag|version|manifest)", re.I)
# commands that only prepare a step (enter a directory, make a script executable, print, configure git)
_CHORES = frozenset({"cd", "chmod", "echo", "export", "mkdir", "ls", "cat", "pwd", "set", "source", "true", "printf", "sleep"})


def local_workflow(uses: str) -> str:
    """The repository path of a reusable workflow a job calls (``./.github/workflows/x.yml@main`` ->
    ``.github/workflows/x.yml``); '' for an action or a workflow of another repository."""
    ref = uses.split("@")[0]
    return ref[2:] if ref.startswith("./.github/workflows/") and ref.endswith((".yml", ".yaml")) else ""


def workflow_callers(jobs: Sequence[CiJob]) -> dict[str, tuple[str, int]]:
    """Each reusable workflow file an active job calls -> the first call (``path``, line of its ``uses:``)."""
    out: dict[str, tuple[str, int]] = {}
    for j in jobs:
        if not j.active:
            continue
        for s in j.steps:
            if (callee := local_workflow(s.uses)) and not s.command:
                out.setdefault(callee, (s.path, s.line))
    return out


def uncalled(job: CiJob, callers: dict[str, tuple[str, int]]) -> bool:
    """A GitHub reusable workflow's job (``on: workflow_call`` and no other event) that no active job of the repository
    calls (``callers`` from ``workflow_callers``): it runs only when another repository's workflow calls it."""
    return job.system == "github" and job.triggers == {"workflow_call"} and job.path not in callers


def called_from(caller: tuple[str, int]) -> str:
    """The wiring chain link of a call: ``called from CI job .github/workflows/ci.yml:37``."""
    return f"called from CI job {caller[0]}:{caller[1]}"


def deciding_command(index: FileIndex, jobs: Sequence[CiJob], callee: str,
                     recognise: Callable[[str], str | None]) -> tuple[Cmd, str | None] | None:
    """The command of a called workflow that decides what the call does: the first command ``recognise`` names a
    target for (``kubectl apply``), else the first command of a step whose name or text says it deploys or releases
    (``./scripts/update_image.sh ... ${{ inputs.image_version }}`` of "Update infrastructure version"), chores such as
    ``cd``/``chmod`` passed over. Returns (the command, its target or None), or None when the workflow has no such command."""
    called = [j for j in jobs if j.path == callee and "workflow_call" in j.triggers]
    named: tuple[Cmd, str | None] | None = None
    for job in called:
        for c in job_commands(index, job):
            target = recognise(c.text)
            if target:
                return c, target
            words = c.text.split()
            if named is None and len(c.via) == 1 and words and words[0] not in _CHORES and not _git_chore(words) \
                    and (DEPLOY_WORDS.search(c.step.name) or DEPLOY_WORDS.search(c.text)):
                named = (c, None)
    return named


def _git_chore(words: list[str]) -> bool:
    """``git config``/``git add``/``git commit`` prepare a push; the push or the tool that edits the manifest decides."""
    return words[0] == "git" and len(words) > 1 and words[1] in ("config", "add", "commit", "checkout", "fetch", "pull", "status")
