"""CI steps that diff metrics across commits (``dvc metrics/plots/exp diff``, CML comments with metrics); feeds E2."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.ci import CI_NEEDS, ci_model
from mlscan.detector import Detector, needs_of
from mlscan.facts.ci_vocab import metrics_diff
from mlscan.facts.commands import job_commands, reached_by, with_chain
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

METRIC_TEXT = lazy_re(r"metric|score|accuracy|\bauc\b|\bf1\b|precision|recall|rmse|\bmae\b|\bloss\b|eval|results", re.I)


class CiMetricsDiff(Detector):
    """Metric diffs across commits run in CI (dvc metrics/plots/exp diff, CML comments carrying metrics); feeds E2."""

    id = "ci.metrics_diff"
    questions = ("E2",)
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile")
    signals = ("metrics.diff",)
    needs_any = needs_of(CI_NEEDS)  # every finding comes from a CI job

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        seen: set[tuple[str, int]] = set()
        for job in ci_model(index).active_jobs():
            cmds = [c for c in job_commands(index, job) if c.active]
            kinds = [(c, k) for c in cmds if (k := metrics_diff(c.text))]
            has_diff = any(k != "cml comment" for _, k in kinds)
            for c, kind in kinds:
                if kind == "cml comment" and not has_diff and not any(METRIC_TEXT.search(x.text) for x in cmds if x is not c):
                    continue  # a CML comment with no metrics in it
                if (c.path, c.line) in seen:
                    continue
                seen.add((c.path, c.line))
                yield with_chain(self.found("metrics.diff", index, c.path, c.line, strength=Strength.STRONG,
                                            attrs={"tool": kind.split()[0], "command": kind, "system": job.system, "job": job.name}),
                                 reached_by(c))
