"""How the reporters show live evidence: golden files for the markdown and terminal "Live evidence" blocks, the
per-answer declared/observed field in JSON and HTML, SARIF locations at resource URIs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mlscan.model import Evidence, Source, Strength
from mlscan.report import build_report
from mlscan.reporters import get_reporter
from mlscan.reporters.links import blob_url
from mlscan.valueclass import replace

from tests.report_sample import FROZEN_VERSION, sample_result
from tests.test_report_schema import validate_report

LIVE: dict[str, Any] = {
    "endpoints": [{"platform": "k8s", "endpoint": "https://k8s.example.com:6443", "seconds": 0.8, "calls": ["GET /apis"]},
                  {"platform": "mlflow", "endpoint": "https://mlflow.example.com", "seconds": 0.4, "calls": ["mlflow:search_registered_models"]}],
    "areas": [{"platform": "k8s", "area": "k8s.cronjobs", "status": "ok", "message": "", "count": 3},
              {"platform": "k8s", "area": "k8s.seldondeployments", "status": "not-installed", "message": "not served", "count": 0},
              {"platform": "k8s", "area": "k8s.prometheusrules", "status": "forbidden",
               "message": "HTTP 403: prometheusrules.monitoring.coreos.com is forbidden", "count": 0},
              {"platform": "mlflow", "area": "mlflow.models", "status": "ok", "message": "", "count": 4}],
    "observed": 7,
    "linked": [{"platform": "k8s", "kind": "CronJob", "uri": "k8s://ml/cronjobs/retrain", "link": "declared", "path": "deploy/cron.yaml",
                "line": 3, "summary": "CronJob k8s://ml/cronjobs/retrain: schedule=0 2 * * *, suspended=True"}],
    "contradictions": [{"question": "M1", "kind": "schedule-not-running", "observed": "k8s://ml/cronjobs/retrain",
                        "message": "the repository declares an active schedule (deploy/cron.yaml:7) but CronJob k8s://ml/cronjobs/retrain is suspended",
                        "declared": {"path": "deploy/cron.yaml", "line": 7}}],
    "answers": {"M1": {"declared": "yes", "observed": "partial"}, "O3": {"declared": "no", "observed": "unknown"},
                "E3": {"declared": "no", "observed": "yes"}, "T1": {"declared": "yes", "observed": None}},
    "seconds": 1.2,
    "framework": "checklist20",
}


@pytest.fixture
def frozen_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mlscan.report.__version__", FROZEN_VERSION)


def _live_result() -> Any:
    return replace(sample_result(), extras={**sample_result().extras, "live": LIVE})


def test_markdown_block(golden, frozen_version) -> None:
    text = get_reporter("markdown")(_live_result())
    start = text.index("## Live evidence")
    ends = [i for i in (text.find("\n## ", start + 1), text.find("\n<details>", start)) if i > 0]
    block = text[start:min(ends) + 1]
    golden.check("live.md", block)
    assert "T1" not in block.split("**Contradictions**")[0]  # no probe feeds T1: no row
    assert "not-installed" not in block  # a CRD the cluster lacks is not a failure


def test_terminal_block(golden, frozen_version) -> None:
    text = get_reporter("terminal")(_live_result(), color=False, width=200)
    start = text.index("Live evidence:")
    golden.check("live.txt", text[start:text.index("\n", text.index("unknown:", start)) + 1])


def test_json_answers_carry_both_sides(frozen_version) -> None:
    report = build_report(_live_result())
    validate_report(report)
    by_q = {q["id"]: q for q in report["questions"]}
    assert by_q["M1"]["live"] == {"declared": "yes", "observed": "partial"}
    assert by_q["O3"]["live"]["observed"] == "unknown"
    assert "live" not in by_q["D1"]


def test_html_chip(frozen_version) -> None:
    html = get_reporter("html")(_live_result())
    assert '<span class="chip live">declared yes · observed partial</span>' in html


def test_sarif_locates_observed_evidence_at_its_uri(frozen_version) -> None:
    result = sample_result()
    ev = Evidence("k8s://ml/cronjobs/retrain", None, "CronJob k8s://ml/cronjobs/retrain", "live.k8s", Strength.STRONG, Source.OBSERVED)
    score = result.primary
    answers = tuple(replace(a, evidence=(ev,)) if a.id == "M1" else a for a in score.answers)
    result = replace(result, scores={**result.scores, score.framework: replace(score, answers=answers)})
    sarif = json.loads(get_reporter("sarif")(result))
    locs = [loc["physicalLocation"]["artifactLocation"] for r in sarif["runs"][0]["results"] if r["ruleId"].endswith("/M1")
            for loc in r.get("locations", [])]
    assert {"uri": "k8s://ml/cronjobs/retrain"} in locs


def test_no_blob_links_for_live_uris() -> None:
    for path in ("k8s://ml/cronjobs/retrain", "mlflow://models/churn/versions/3", "arn:aws:sagemaker:eu-west-1:1:endpoint/x"):
        assert blob_url("https://github.com/o/r", "a" * 40, path) is None
    assert blob_url("https://github.com/o/r", "a" * 40, "deploy/cron.yaml", 3) is not None
