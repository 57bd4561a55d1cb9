"""Test suites that CI jobs and pipelines run (blocking or not) and manual test stages; feeds M3."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.ci import CiJob, ci_model, is_placeholder
from mlscan.detector import Detector
from mlscan.facts.ci_vocab import test_runner, test_target_name
from mlscan.facts.commands import Cmd, defined_target, job_commands
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

MANUAL_TEST_WORDS = frozenset({"test", "tests", "testing", "qa", "validate", "validation", "verify", "verification", "uat",
                               "acceptance", "smoke", "signoff", "sign"})
DEPLOY_WORDS = frozenset({"deploy", "deployment", "release", "promote", "promotion", "rollout", "publish"})
JS_TESTS = ("**/*.test.js", "**/*.test.ts", "**/*.test.jsx", "**/*.test.tsx", "**/*.spec.js", "**/*.spec.ts", "**/__tests__/*")
AUTOMATIC = frozenset({"push", "pull_request", "schedule", "tag", "pipeline", "gitops", "release", "merge_group", "workflow_run"})


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def root_line(cmd: Cmd) -> int:
    """The line of the CI command a (possibly nested) command was reached from."""
    return cmd.line if len(cmd.via) == 1 else int(cmd.via[1].rsplit(":", 1)[1])


def manual_test(job: CiJob) -> bool:
    """A human gate whose name, stage or prompt says it is a test/QA/validation step."""
    if not (job.manual or job.gate):
        return False
    names = _words(f"{job.name} {job.stage}")
    if names & MANUAL_TEST_WORDS and not names & DEPLOY_WORDS:
        return True
    prompts = " ".join(v for s in job.steps for k, v in s.with_ if k.lower() in ("message", "instructions", "prompt"))
    return bool(_words(prompts) & MANUAL_TEST_WORDS)


def _runs_something(c: Cmd, cmds: list[Cmd]) -> bool:
    """The task a command calls has real commands (not only ``echo``)."""
    here = f"{c.path}:{c.line}"
    return any(here in x.via and not is_placeholder(x.text) for x in cmds)


class CiTests(Detector):
    """Test suites run by CI jobs/pipelines (pytest, unittest, tox, nox, make test ...), blocking or not, and manual test stages; feeds M3."""

    id = "ci.tests"
    questions = ("M3",)
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile", "**/Makefile", "**/*.sh")
    signals = ("ci.tests", "ci.manual_test")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        """One finding per location: a template shared by several pipelines counts once (its strongest use)."""
        best: dict[tuple[str, str, int | None], Finding] = {}
        for f in self._findings(index):
            key = (f.signal, f.evidence[0].path, f.evidence[0].line)
            rank = (f.strength.rank, bool(f.attrs.get("automatic")))
            if key not in best or rank > (best[key].strength.rank, bool(best[key].attrs.get("automatic"))):
                best[key] = f
        yield from best.values()

    def _findings(self, index: FileIndex) -> Iterator[Finding]:
        js_tests = bool(index.select(JS_TESTS, include_root=False))
        for job in ci_model(index).active_jobs():
            if manual_test(job):
                yield self.found("ci.manual_test", index, job.path, job.line, strength=Strength.STRONG,
                                 attrs={"system": job.system, "job": job.name, "gate": job.gate or "manual"})
            found: dict[tuple[str, int, str], list[Cmd]] = {}
            for step in job.steps:
                cmds = [c for c in job_commands(index, job) if c.step is step and c.active]
                hits = [(c, r) for c in cmds if (r := test_runner(c.text)) and (r != "npm test" or js_tests)]
                if not hits:  # a test task running a tool we do not know (`make test` -> `./run_suite`)
                    hits = [(c, t) for c in cmds if len(c.via) == 1 and test_target_name(c.text) and _runs_something(c, cmds)
                            and (t := defined_target(index, c)) and not t.startswith(("npm", "yarn", "pnpm"))]
                for c, runner in hits:
                    found.setdefault((c.via[0].rsplit(":", 1)[0], root_line(c), runner), []).append(c)
            for (path, line, runner), cmds in found.items():
                blocking = any(c.blocking for c in cmds)
                ignored = all(c.ignored for c in cmds)
                strength = Strength.STRONG if blocking else Strength.WEAK if ignored else Strength.MEDIUM
                extra = tuple(self.evidence(index, c.path, c.line, strength=strength) for c in cmds if c.path != path)[:5]
                yield self.found("ci.tests", index, path, line, strength=strength, extra=extra, attrs={
                    "system": job.system, "runner": runner, "blocking": blocking, "ignored": ignored, "job": job.name,
                    "automatic": bool(job.triggers & AUTOMATIC), "via": " -> ".join(sorted({c.path for c in cmds if c.path != path})),
                })
