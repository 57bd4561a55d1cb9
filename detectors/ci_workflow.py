"""CI/CD systems with at least one active job (GitHub Actions, GitLab, Azure Pipelines, Jenkins ...); feeds the radar."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.ci import CI_NEEDS, CiJob, ci_model
from mlscan.detector import Detector, needs_of
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength


class CiWorkflow(Detector):
    """CI/CD systems with at least one active job; feeds the Automation and Governance radar rungs."""

    id = "ci.workflow"
    questions = ()
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile", ".circleci/config.yml",
             "bitbucket-pipelines.yml", ".buildkite/*.yml", ".semaphore/*.yml", "**/cloudbuild*.yaml", "**/buildspec*.yml")
    signals = ("ci.workflow",)
    needs_any = needs_of(CI_NEEDS)  # every finding comes from a CI job

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        jobs: dict[str, list[CiJob]] = {}
        for job in ci_model(index).active_jobs():
            jobs.setdefault(job.system, []).append(job)
        for system, found in sorted(jobs.items()):
            first = min(found, key=lambda j: (j.path, j.line))
            files = sorted({j.path for j in found})
            extra = tuple(self.evidence(index, p, None, snippet="", strength=Strength.STRONG) for p in files if p != first.path)
            yield self.found("ci.workflow", index, first.path, first.line, strength=Strength.STRONG, extra=extra[:9],
                             attrs={"system": system, "jobs": len(found), "files": len(files)})
