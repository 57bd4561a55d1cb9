"""A deploy job prepares its cluster before it deploys (``kubectl create ns x --dry-run=client -o yaml | kubectl apply
-f -``, the same for a secret): that set-up is no deploy, so M2 leads with the step that ships the model (``helm upgrade
--install``); a workload piped the same way (``kubectl create deployment ... | kubectl apply -f -``) still deploys."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import ScanOptions, scan
from mlscan.facts.ci_vocab import deploy_command
from mlscan.report import build_report

from ..conftest import git_repo

WORKFLOW = """\
name: ci-cd
on:
  release:
    types: [published]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Configure kube
        run: |
          echo "${{ secrets.KUBE_CONFIG }}" | base64 -d > kubeconfig
          kubectl create ns serving --dry-run=client -o yaml | kubectl apply -f - || true
          kubectl create secret generic api-key --from-literal=key=${{ secrets.API_KEY }} --dry-run=client -o yaml | kubectl apply -f -
      - name: Deploy chart
        run: |
          helm upgrade --install churn ./deploy/helm/app --namespace serving --set image.tag=${{ github.event.release.tag_name }}
"""
APP = """\
import joblib
from fastapi import FastAPI

app = FastAPI()
model = joblib.load("model/model.pkl")


@app.post("/predict")
def predict(features: dict) -> dict:
    return {"prediction": float(model.predict([list(features.values())])[0])}
"""
CHART = {"deploy/helm/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
         "deploy/helm/app/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: churn-api\n"
         "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"ghcr.io/acme/churn:{{ .Values.image.tag }}\"\n"}


@pytest.mark.parametrize("text, target", [
    ("kubectl create ns serving --dry-run=client -o yaml | kubectl apply -f - || true", None),
    ("kubectl create namespace serving --dry-run=client -o yaml | kubectl apply --filename=-", None),
    ("kubectl create secret generic k --from-literal=a=b --dry-run=client -o yaml | kubectl apply -f -", None),
    ("kubectl create deployment api --image=ghcr.io/acme/churn:1 --dry-run=client -o yaml | kubectl apply -f -", "k8s"),
    ("kustomize build deploy/overlays/prod | kubectl apply -f -", "k8s"),
    ("kubectl apply -f deploy/k8s/", "k8s"),
])
def test_cluster_setup_is_no_deploy(text: str, target: str | None) -> None:
    assert deploy_command(text) == target


def test_m2_leads_with_the_step_that_deploys(tmp_path: Path) -> None:
    files = {".github/workflows/cd.yml": WORKFLOW, "app/main.py": APP, **CHART,
             "requirements.txt": "fastapi==0.115.0\nscikit-learn==1.5.2\njoblib==1.4.2\n"}
    report = build_report(scan(str(git_repo(tmp_path / "repo", files)), ScanOptions(jobs=1)))
    m2 = next(q for q in report["questions"] if q["id"] == "M2")
    assert m2["evidence"], m2
    lead = m2["evidence"][0]
    assert lead["path"] == ".github/workflows/cd.yml" and "helm upgrade --install churn" in lead["snippet"], lead
    assert not any("create ns" in e["snippet"] or "create secret" in e["snippet"] for e in m2["evidence"])


_NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: serving\n"
_SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-key\nstringData:\n  key: x\n---\napiVersion: v1\nkind: ConfigMap\n" \
          "metadata:\n  name: api\ndata:\n  LOG_LEVEL: info\n"
_DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: churn-api\nspec:\n  template:\n    spec:\n" \
              "      containers:\n        - name: api\n          image: ghcr.io/acme/churn:1\n"
_APPLY_WORKFLOW = """\
on: {push: {branches: [main]}}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: kubectl apply -f k8s/namespace.yaml
      - run: kubectl apply -f k8s/setup/
      - run: kubectl apply -f https://github.com/kserve/kserve/releases/download/v0.11.0/kserve.yaml
      - run: kubectl apply -f k8s/deployment.yaml
"""


def test_m2_skips_manifests_that_only_prepare_the_cluster(tmp_path: Path) -> None:
    files = {".github/workflows/cd.yml": _APPLY_WORKFLOW, "app/main.py": APP, "k8s/namespace.yaml": _NS,
             "k8s/setup/secrets.yaml": _SECRET, "k8s/deployment.yaml": _DEPLOYMENT}
    report = build_report(scan(str(git_repo(tmp_path / "repo", files)), ScanOptions(jobs=1)))
    deploys = [f for f in report["findings"] if f["signal"] == "deploy.automated"]
    assert [(f["evidence"][0]["path"], f["evidence"][0]["line"]) for f in deploys] == [(".github/workflows/cd.yml", 10)]
    m2 = next(q for q in report["questions"] if q["id"] == "M2")
    assert m2["answer"] == "yes" and "k8s/deployment.yaml" in m2["evidence"][0]["snippet"]


def test_a_manifest_with_a_workload_beside_its_namespace_deploys(tmp_path: Path) -> None:
    files = {".github/workflows/cd.yml": _APPLY_WORKFLOW.replace("      - run: kubectl apply -f k8s/deployment.yaml\n", ""),
             "app/main.py": APP, "k8s/namespace.yaml": _NS + "---\n" + _DEPLOYMENT, "k8s/setup/secrets.yaml": _SECRET}
    report = build_report(scan(str(git_repo(tmp_path / "repo", files)), ScanOptions(jobs=1)))
    deploys = [f for f in report["findings"] if f["signal"] == "deploy.automated"]
    assert [(f["evidence"][0]["path"], f["evidence"][0]["line"]) for f in deploys] == [(".github/workflows/cd.yml", 7)]
