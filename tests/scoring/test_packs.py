"""The seed maturity models as rule packs (mm5, adoption, google3, mlops4) over the same findings as checklist20,
the crosswalk (signals.md §1.6), and the CLI listing/explaining them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.model import AnswerValue
from mlscan.scoring.crosswalk import load_crosswalk

from tests.conftest import FIXTURES, make_repo
from tests.synth import PROFILES, finding, from_rows, packs, score
from tests.test_report_schema import validate_report

NEW_PACKS = ("mm5", "adoption", "google3", "mlops4")

# level of every pack on the findings of each level fixture (tests/synth.py PROFILES)
EXPECTED = {
    "l0-notebook-only": {"checklist20": 0, "mm5": 1, "adoption": 0, "google3": 0, "mlops4": 0},
    "l1-scripted": {"checklist20": 1, "mm5": 1, "adoption": 0, "google3": 0, "mlops4": 0},
    "l2-pipelines": {"checklist20": 2, "mm5": 2, "adoption": 0, "google3": 1, "mlops4": 0},
    "l3-platform": {"checklist20": 3, "mm5": 3, "adoption": 1, "google3": 2, "mlops4": 1},
    "l4-platform": {"checklist20": 4, "mm5": 3, "adoption": 2, "google3": 2, "mlops4": 2},
    "nearmiss-commented-deploy": {"checklist20": 0, "mm5": 1, "adoption": 0, "google3": 0, "mlops4": 0},
    "nearmiss-k8s-flask-pickle": {"checklist20": 0, "mm5": 1, "adoption": 0, "google3": 0, "mlops4": 0},
}
# signals.md §1.6: checklist level -> (Google, Microsoft, AWS)
SECTION_1_6 = {0: (0, 0, None), 1: (0, 1, "Initial"), 2: (1, 2, "Repeatable"), 3: (2, 3, "Reliable"), 4: (2, 4, "Scalable")}


def _answers(framework: str, rows: list) -> dict[str, AnswerValue]:
    return {a.id: a.value for a in score(framework, from_rows(rows)).answers}


def test_packs_are_complete() -> None:
    all_packs = packs()
    for name in NEW_PACKS:
        p = all_packs[name]
        assert p.method == "cascade" and p.source.startswith(f"seed 00{NEW_PACKS.index(name) + 1}")
        base = min(p.levels, key=lambda lv: lv.level)
        assert base.requires == (), f"{name}: the base level has no requirements"
        for q in p.questions:
            assert q.text and q.looked_for, f"{name} {q.id}"
        for lv in p.levels:
            assert all(p.question(r) for r in lv.requires)
    ids = [q.id for n in NEW_PACKS for q in all_packs[n].questions] + [q.id for q in all_packs["checklist20"].questions]
    assert len(ids) == len(set(ids)), "criterion ids are unique across packs, so `mlscan explain ID` is unambiguous"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pack_levels_on_level_profiles(name: str) -> None:
    found = from_rows(PROFILES[name])
    got = {fw: score(fw, found).level for fw in EXPECTED[name]}
    assert got == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_crosswalk_matches_section_1_6(name: str) -> None:
    found = from_rows(PROFILES[name])
    scores = {fw: score(fw, found) for fw in ("checklist20", *NEW_PACKS)}
    cw = load_crosswalk().to_json(scores["checklist20"], scores)
    level = scores["checklist20"].level
    assert (cw["google"], cw["microsoft"], cw["aws"]) == SECTION_1_6[level]
    assert cw["checklist20"] == level and all(cw[fw] == scores[fw].level for fw in NEW_PACKS)
    assert cw["google_label"] == {0: "L0", 1: "L0+", 2: "L1", 3: "L2", 4: "L2+"}[level]
    # the Google-style pack agrees with the crosswalk's Google level on every level fixture
    assert scores["google3"].level == cw["google"]


def test_mm5_criteria() -> None:
    a = _answers("mm5", [["deploy.canary", "k8s/isvc.yaml", 9, "strong", {"kind": "ab", "tool": "seldon"}]])
    assert a["MM4.ab_testing"] == AnswerValue.YES
    a = _answers("mm5", [["deploy.canary", "k8s/isvc.yaml", 9, "strong", {"kind": "canary", "tool": "kserve"}]])
    assert a["MM4.ab_testing"] == AnswerValue.PARTIAL
    a = _answers("mm5", [["retrain.trigger", "monitor.py", 3, "strong", {"active": False}]])
    assert a["MM4.retrain_trigger"] == AnswerValue.NO and a["MM5.self_healing"] == AnswerValue.PARTIAL
    s = score("mm5", [])
    assert s.level == 1 and s.level_name == "Manual Everything"
    feature = next(x for x in s.answers if x.id == "MM5.feature_discovery")
    assert feature.value == AnswerValue.NO and "attest" in feature.reason


def test_google3_llm_and_cost_extensions_apply_only_where_relevant() -> None:
    a = _answers("google3", [])
    assert all(a[q] == AnswerValue.UNKNOWN for q in a if q.startswith(("LLM.", "COST.")))
    s = score("google3", [])
    na = next(x for x in s.answers if x.id == "LLM.evaluation")
    assert na.reason == "not applicable: no large-language-model code found"
    # a declared-only SDK does not make the LLMOps criteria apply
    assert _answers("google3", [["llm.usage", "requirements.txt", 3, "weak", {"declared_only": True}]])["LLM.evaluation"] == AnswerValue.UNKNOWN
    rows = [
        ["llm.usage", "src/bot.py", 16, "medium", {"tool": "openai"}],
        ["llm.vector_store", "src/bot.py", 17, "medium", {"tool": "qdrant"}],
        ["llm.eval", "tests/test_rag.py", 11, "strong", {"tool": "ragas", "automated": True, "retrieval": True}],
        ["llm.prompt_registry", "src/prompts.py", 9, "medium", {"tool": "langsmith"}],
    ]
    a = _answers("google3", rows)
    assert a["LLM.evaluation"] == a["LLM.rag"] == a["LLM.prompt_management"] == AnswerValue.YES
    assert a["LLM.guardrails"] == a["LLM.finetuning"] == AnswerValue.NO
    rows = [["cost.gpu", "k8s/job.yaml", 18, "medium", {"kind": "kubernetes"}], ["cost.spot", "k8s/job.yaml", 11, "medium", {}],
            ["cost.budget", "infra/budget.tf", 1, "medium", {"alert": False}]]
    a = _answers("google3", rows)
    assert (a["COST.spot"], a["COST.budget"], a["COST.autoscaling"], a["COST.tracking"]) == (
        AnswerValue.YES, AnswerValue.PARTIAL, AnswerValue.NO, AnswerValue.NO)


def test_google3_governance() -> None:
    rows = [["governance.model_card", "MODEL_CARD.md", 1, "medium", {}], ["governance.policy", ".github/rulesets/main.json", 3, "strong", {}],
            ["governance.fairness", "src/eval.py", 12, "strong", {"library": "fairlearn", "automated": True}]]
    a = _answers("google3", rows)
    assert a["GOV.model_card"] == a["GOV.regulatory"] == a["GOV.fairness"] == AnswerValue.YES
    assert _answers("google3", rows[:1])["GOV.regulatory"] == AnswerValue.PARTIAL


def test_mlops4_patterns_lineage_ownership() -> None:
    rows = [["deploy.canary", "k8s/rollout.yaml", 12, "strong", {"kind": "shadow", "tool": "istio"}],
            ["dvc.lock", "dvc.lock", 3, "strong", {"data_deps": True, "model": True, "model_outs": False}],
            ["governance.codeowners", ".github/CODEOWNERS", 2, "strong", {}]]
    a = _answers("mlops4", rows)
    assert a["DP.shadow"] == a["DP.progressive"] == a["OP.ownership"] == AnswerValue.YES
    assert a["DP.canary"] == AnswerValue.NO and a["OP.lineage"] == AnswerValue.PARTIAL
    rows.append(["model.code_version", "Dockerfile", 4, "strong", {}])
    assert _answers("mlops4", rows)["OP.lineage"] == AnswerValue.YES
    # retraining triggers: a schedule counts for level 2, only a trigger without humans for level 3
    sched = [["schedule.training", ".github/workflows/train.yml", 4, "strong", {"active": True}]]
    a = _answers("mlops4", sched)
    assert a["OP2.retraining"] == AnswerValue.YES and a["OP3.continuous_training"] == AnswerValue.PARTIAL


def test_adoption_stages() -> None:
    first_model = [["serving.app", "serve.py", 4, "medium", {"framework": "fastapi"}],
                   ["model.registry", "train.py", 13, "medium", {"tool": "mlflow"}],
                   ["monitoring.logging", "serve.py", 9, "medium", {}]]
    s = score("adoption", from_rows(first_model))
    assert (s.level, s.level_name) == (1, "First production model")
    assert score("adoption", from_rows(first_model[:2])).level == 0
    # an attested criterion counts like a found one
    ev = finding("x", ".mlscan.yml", 4).evidence
    s = score("adoption", from_rows(first_model[:2]), {"AD1.dashboard": (AnswerValue.YES, "attested", ev)})
    assert s.level == 1 and next(a for a in s.answers if a.id == "AD1.dashboard").attested


def test_cli_lists_and_explains_every_pack() -> None:
    r = CliRunner()
    out = r.invoke(main, ["frameworks"]).output
    for name in ("checklist20", *NEW_PACKS):
        assert name in out
    for seed in ("seed 000", "seed 001", "seed 002", "seed 003", "seed 004"):
        assert seed in out
    for fw, qid in (("mm5", "MM3.gates"), ("adoption", "AD2.drift"), ("google3", "LLM.rag"), ("mlops4", "DP.canary")):
        res = r.invoke(main, ["explain", qid, "--framework", fw])
        assert res.exit_code == 0 and res.output.startswith(f"{qid} ({fw}):"), res.output
        assert r.invoke(main, ["explain", qid]).output.startswith(f"{qid} ({fw}):")
    assert "applies when:" in r.invoke(main, ["explain", "LLM.rag"]).output
    assert r.invoke(main, ["explain", "D1", "--framework", "nope"]).exit_code == 2


@pytest.mark.parametrize("case", sorted(p.parent.name for p in (FIXTURES / "levels").glob("*/expected.yaml")))
def test_all_packs_on_level_fixtures(case: str, tmp_path: Path) -> None:
    expected = yaml.load((FIXTURES / "levels" / case / "expected.yaml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506
    repo = make_repo(FIXTURES / "levels" / case / "repo", tmp_path / case)
    repo = repo / expected["subdir"] if expected.get("subdir") else repo
    res = CliRunner().invoke(main, ["scan", str(repo), "-f", "json", "--framework", "all"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    validate_report(report)
    assert report["schema_version"] == "1.2"
    assert list(report["frameworks"]) == ["checklist20", "adoption", "google3", "mlops4", "mm5"]
    cw = report["crosswalk"]
    # the crosswalk is consistent with the checklist level whatever the detectors found
    assert cw["checklist20"] == report["level"]
    assert (cw["google"], cw["microsoft"], cw["aws"]) == SECTION_1_6[report["level"]]
    assert all(cw[fw] == report["frameworks"][fw]["level"] for fw in NEW_PACKS)
    assert {q["id"]: q["answer"] for q in report["questions"]} == expected["answers"]
    assert report["level"] == int(expected["level"])
    assert report["frameworks"]["google3"]["level"] == cw["google"]
    md = CliRunner().invoke(main, ["scan", str(repo), "-f", "markdown", "--framework", "all"]).output
    assert "## Crosswalk" in md and f"checklist20 L{report['level']} ≈ Google" in md
