"""Synthetic findings for rule-pack, pitfall and next-step tests: what the detectors would report, written down,
so these tests check the rules and not the detectors (which have their own fixtures)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from mlscan.model import Evidence, Finding, Score, Strength
from mlscan.scoring.conditions import Findings
from mlscan.scoring.rulepack import RulePack, load_packs
from mlscan.scoring.score import resolver, score_pack


def finding(signal: str, path: str = "x.py", line: int | None = 1, strength: str = "medium", **attrs: Any) -> Finding:
    st = Strength(strength)
    ev = Evidence(path, line, f"{signal} at {path}", "synthetic", st)
    return Finding(signal, "synthetic", (ev,), MappingProxyType(attrs), st)


def from_rows(rows: list[list[Any]]) -> list[Finding]:
    """``[signal, path, line, strength, {attrs}]`` rows (the fixtures' findings.yaml format)."""
    return [finding(r[0], r[1], r[2], r[3] if len(r) > 3 else "medium", **(r[4] if len(r) > 4 else {})) for r in rows]


def load_rows(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@cache
def packs() -> dict[str, RulePack]:
    """The installed packs, loaded once for the whole test session (packs are frozen)."""
    return load_packs()


def score(framework: str, found: list[Finding], overrides: dict | None = None) -> Score:
    fs = Findings(found)
    all_packs = packs()
    external = resolver(all_packs, fs, lambda fw: (overrides or {}) if fw == framework else {})
    return score_pack(all_packs[framework], fs, overrides, external)


# What the detectors report on each fixtures/levels/<name>/repo (see the trees): the profiles make checklist20
# answer exactly as the fixture's expected.yaml says.
_L1 = [
    ["tracking.run", "src/train.py", 19, "strong", {"tool": "mlflow", "in_training": True, "optional": False, "metrics": True, "params": True, "tuning_only": False}],
    ["model.registry", "src/train.py", 23, "medium", {"tool": "mlflow"}],
    ["env.pinned_requirements", "requirements.txt", 1, "medium", {"mostly_pinned": True}],
    ["ci.workflow", ".github/workflows/tests.yml", 1, "strong", {}],
    ["ci.tests", ".github/workflows/tests.yml", 14, "strong", {"ignored": False, "automatic": True}],
    ["docs.setup", "README.md", 5, "mention", {}],
    ["project.scripts", "src/train.py", 20, "medium", {"automated": False}],
]
_L2 = [
    r for r in _L1 if r[0] not in ("env.pinned_requirements",)
] + [
    ["dvc.tracked_data", "data/raw.csv.dvc", 1, "strong", {"kind": "dvc-file"}],
    ["dvc.lock", "dvc.lock", 3, "strong", {"data_deps": True, "model_outs": True, "model": True}],
    ["dvc.pipeline", "dvc.yaml", 1, "strong", {"with_io": True}],
    ["dvc.remote", ".dvc/config", 4, "strong", {"shared": True}],
    ["data.validation", "src/validate.py", 9, "strong", {"tool": "pandera", "automated": True}],
    ["env.lockfile", "poetry.lock", 1, "strong", {}],
    ["env.dockerfile", "Dockerfile", 1, "medium", {"reproducible": True, "base_pinned": True}],
    ["schedule.training", ".github/workflows/train.yml", 4, "strong", {"tool": "github-actions", "active": True}],
    ["gate.metric", "src/evaluate.py", 18, "strong", {"blocking": True}],
    ["governance.codeowners", ".github/CODEOWNERS", 2, "strong", {}],
    ["infra.kubernetes", "k8s/deployment.yaml", 1, "medium", {"tool": "kubectl"}],
    ["scale.autoscaling", "k8s/deployment.yaml", 22, "strong", {"tool": "hpa", "enabled": True}],
    ["serving.app", "src/serve.py", 8, "medium", {"framework": "fastapi"}],
]
_L3 = _L2 + [
    ["deploy.automated", ".github/workflows/deploy.yml", 22, "strong", {"active": True}],
    ["alerting.rule", "k8s/alerts.yaml", 9, "strong", {"tool": "prometheus", "notify": True}],
    ["docs.retraining", "docs/runbook.md", 3, "mention", {}],
    ["docs.rollback", "docs/runbook.md", 16, "mention", {}],
    ["deploy.rollback", "docs/runbook.md", 20, "medium", {"automatic": False}],
]
_L4 = _L3 + [
    ["monitoring.model", "monitoring/drift_job.py", 12, "medium", {"tool": "evidently"}],
    ["monitoring.data_drift", "monitoring/drift_job.py", 12, "medium", {"tool": "evidently"}],
    ["monitoring.model_drift", "monitoring/drift_job.py", 14, "medium", {"tool": "evidently"}],
    ["retrain.trigger", "monitoring/drift_job.py", 20, "strong", {"kind": "drift", "active": True}],
    ["explain.usage", "src/serve.py", 12, "medium", {"tool": "shap"}],
]
PROFILES: dict[str, list[list[Any]]] = {
    "l0-notebook-only": [["project.notebooks_only", "titanic.ipynb", None, "medium", {"notebooks": 1, "py_files": 0}]],
    "l1-scripted": _L1,
    "l2-pipelines": _L2,
    "l3-platform": _L3,
    "l4-platform": _L4,
    "nearmiss-commented-deploy": [
        ["env.pinned_requirements", "requirements.txt", 1, "weak", {"mostly_pinned": False}],
        ["deploy.automated", ".github/workflows/cd.yml", 14, "weak", {"active": False}],
        ["ci.workflow", ".github/workflows/cd.yml", 1, "strong", {}],
    ],
    "nearmiss-k8s-flask-pickle": [
        ["env.dockerfile", "Dockerfile", 1, "medium", {"reproducible": False}],
        ["infra.kubernetes", "k8s/deployment.yaml", 1, "medium", {"tool": "kubectl"}],
        ["serving.app", "app.py", 5, "medium", {"framework": "flask"}],
        ["project.committed_model", "model/model.pkl", None, "medium", {"count": 1}],
    ],
}
