"""Kubernetes probe: the official client against a local emulation of the API server's discovery and list
endpoints (recorded response shapes in tests/data/k8s/), through kubeconfig like a user's; failure modes;
the shipped ClusterRole covers every request; the token never reaches a report."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import git_repo
from tests.live.live_servers import K8sApi, closed_port, forbidden, k8s_client, k8s_routes, write_kubeconfig
from tests.test_report_schema import validate_report

pytest.importorskip("kubernetes", reason="the test extra installs kubernetes (pip install -e '.[test]')")

from mlscan.cli import main  # noqa: E402
from mlscan.live import k8s  # noqa: E402
from mlscan.live.interface import K8sTarget, LiveRequest, Status  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "k8s-canary-token-7f3e9a1c5b2d"
CRONJOB = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
  namespace: ml
spec:
  schedule: "{schedule}"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: train
              image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-train:latest
              command: ["python", "-m", "churn.train"]
          restartPolicy: OnFailure
"""


@pytest.fixture
def cluster():
    api = K8sApi(k8s_routes(), page_size=2).start()
    yield api
    api.stop()


@pytest.fixture
def kubeconfig(tmp_path: Path, cluster: K8sApi, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_kubeconfig(tmp_path / "kubeconfig", cluster.url, TOKEN, context="ml-prod")
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    return git_repo(tmp_path / "repo", {"README.md": "# churn\n", **files})


def _scan(repo: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    r = CliRunner().invoke(main, ["scan", str(repo), "-f", "json", *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.exit_code, (json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}), r.stderr if hasattr(r, "stderr") else ""


def test_discovery_then_paginated_lists(cluster: K8sApi) -> None:
    res = k8s.probe(K8sTarget(), LiveRequest(), api=k8s_client(cluster.url, TOKEN))
    status = {o.area: o.status for o in res.outcomes}
    # the CRDs this cluster does not serve are "not installed", not failures, and are never listed
    assert status["k8s.seldondeployments"] == status["k8s.scheduledworkflows"] == Status.NOT_INSTALLED
    assert all(s == Status.OK for a, s in status.items() if a not in ("k8s.seldondeployments", "k8s.scheduledworkflows"))
    assert not any("seldon" in p or "kubeflow" in p for _m, p, _a in cluster.seen)
    assert cluster.seen[0][1] == "/apis/"  # discovery first
    # 4 CronJobs served 2 per page: both pages were read through metadata.continue
    assert sum(1 for _m, p, _a in cluster.seen if p.startswith("/apis/batch/v1/cronjobs")) == 2
    kinds = sorted(r.kind for r in res.resources)
    assert kinds.count("CronJob") == 4 and kinds.count("Job") == 3 and "InferenceService" in kinds and "CronWorkflow" in kinds
    cj = {r.names[0]: r for r in res.resources if r.kind == "CronJob"}
    assert cj["churn-retrain-weekly"].attrs["suspended"] is True
    assert cj["churn-train"].attrs["last_job"] == "succeeded" and cj["nightly-score"].attrs["last_job"] == "failed"
    assert cj["churn-train"].uri == "k8s://ml/cronjobs/churn-train"
    assert {m for m, _p, _a in cluster.seen} == {"GET"}


def test_namespace_lists_only_that_namespace(cluster: K8sApi) -> None:
    cluster.routes["/apis/batch/v1/namespaces/ml/cronjobs"] = cluster.routes["/apis/batch/v1/cronjobs"]
    k8s.probe(K8sTarget(namespaces=("ml",)), LiveRequest(), api=k8s_client(cluster.url))
    lists = [p for _m, p, _a in cluster.seen if "limit=" in p]
    assert lists and all("/namespaces/ml/" in p for p in lists)


def test_scan_links_declared_manifests_and_calls_out_contradictions(tmp_path: Path, kubeconfig: Path) -> None:
    repo = _repo(tmp_path, {
        "k8s/train.yaml": CRONJOB.format(name="churn-train", schedule="0 2 * * *"),
        "k8s/retrain.yaml": CRONJOB.format(name="churn-retrain-weekly", schedule="0 3 * * 0"),
        "k8s/score.yaml": CRONJOB.format(name="nightly-score", schedule="30 1 * * *"),
        "k8s/missing.yaml": CRONJOB.format(name="churn-backfill-train", schedule="0 5 * * *"),
    })
    code, report, _ = _scan(repo, "--k8s", "--context", "ml-prod")
    assert code == 0
    validate_report(report)
    live = report["live"]
    linked = {lk["uri"]: lk for lk in live["linked"]}
    assert linked["k8s://ml/cronjobs/churn-train"]["path"] == "k8s/train.yaml"
    assert "k8s://kube-system/cronjobs/log-rotate" not in linked  # nothing in the repository names it
    contra = {(c["kind"], c["observed"]): c for c in live["contradictions"]}
    suspended = contra["schedule-not-running", "k8s://ml/cronjobs/churn-retrain-weekly"]
    assert suspended["declared"]["path"] == "k8s/retrain.yaml" and "suspended" in suspended["message"]
    assert "last scheduled" in contra["schedule-not-running", "k8s://ml/cronjobs/nightly-score"]["message"]
    assert ("schedule-not-found", "k8s://ml/cronjobs/churn-backfill-train") in contra
    # the declared schedules the cluster disproves are not active any more; the one that runs keeps M1 yes
    declared = {f["evidence"][0]["path"]: f for f in report["findings"] if f["signal"] == "schedule.training" and f["source"] == "declared"}
    assert declared["k8s/retrain.yaml"]["attrs"]["active"] is False
    assert declared["k8s/retrain.yaml"]["attrs"]["contradicted_by"] == "k8s://ml/cronjobs/churn-retrain-weekly"
    assert declared["k8s/train.yaml"]["attrs"]["active"] is True
    m1 = next(q for q in report["questions"] if q["id"] == "M1")
    assert m1["answer"] == "yes" and m1["live"] == {"declared": "yes", "observed": "yes"}
    assert any(e["path"] == "k8s://ml/cronjobs/churn-train" and e["source"] == "observed" for e in m1["evidence"])
    assert any(w["code"] == "live-contradiction" for w in report["warnings"])


def test_only_suspended_schedule_makes_m1_partial(tmp_path: Path, kubeconfig: Path) -> None:
    repo = _repo(tmp_path, {"k8s/retrain.yaml": CRONJOB.format(name="churn-retrain-weekly", schedule="0 3 * * 0")})
    _code, report, _ = _scan(repo, "--k8s")
    m1 = next(q for q in report["questions"] if q["id"] == "M1")
    assert m1["answer"] == "partial"  # declared active, observed suspended: the cluster wins
    assert m1["live"]["declared"] == "yes"


def test_mapping_in_mlscan_yml_links_by_label(tmp_path: Path, kubeconfig: Path) -> None:
    repo = _repo(tmp_path, {".mlscan.yml": "live:\n  k8s:\n    labels: {app: churn}\n"})
    code, report, _ = _scan(repo)  # the live: section asks for the cluster; no option needed
    assert code == 0
    uris = {lk["uri"]: lk["link"] for lk in report["live"]["linked"]}
    assert uris["k8s://ml/inferenceservices/churn-isvc"] == "mapped"
    assert "k8s://ml/cronjobs/nightly-score" not in uris  # app: churn-score
    sig = {f["signal"] for f in report["findings"] if f["source"] == "observed"}
    assert {"serving.k8s", "scale.autoscaling", "explain.usage", "alerting.rule", "model.code_version"} <= sig
    o4 = next(q for q in report["questions"] if q["id"] == "O4")
    assert o4["answer"] == "yes" and o4["live"] == {"declared": "no", "observed": "yes"}
    # --no-live ignores the section
    _code, plain, _ = _scan(repo, "--no-live")
    assert "live" not in plain


def test_forbidden_area_is_unknown_with_a_warning(tmp_path: Path, cluster: K8sApi, kubeconfig: Path) -> None:
    cluster.routes["/apis/batch/v1/cronjobs"] = forbidden("/apis/batch/v1/cronjobs")
    repo = _repo(tmp_path, {"k8s/train.yaml": CRONJOB.format(name="churn-train", schedule="0 2 * * *")})
    code, report, _ = _scan(repo, "--k8s")
    assert code == 0
    areas = {a["area"]: a for a in report["live"]["areas"]}
    assert areas["k8s.cronjobs"]["status"] == "forbidden" and "forbidden" in areas["k8s.cronjobs"]["message"]
    assert areas["k8s.deployments"]["status"] == "ok"
    m1 = next(q for q in report["questions"] if q["id"] == "M1")
    assert m1["live"] == {"declared": "yes", "observed": "unknown"}  # never "no" for what could not be read
    assert m1["answer"] == "yes"  # the declared evidence still stands
    assert any(w["code"] == "live-forbidden" and "k8s.cronjobs" in w["message"] for w in report["warnings"])


def test_unreachable_cluster_is_one_warning_and_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kc = write_kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{closed_port()}", TOKEN)
    monkeypatch.setenv("KUBECONFIG", str(kc))
    repo = _repo(tmp_path, {"k8s/train.yaml": CRONJOB.format(name="churn-train", schedule="0 2 * * *")})
    t0 = time.monotonic()
    code, report, _ = _scan(repo, "--k8s", "--live-timeout", "2")
    assert time.monotonic() - t0 < 30
    assert code == 0
    assert {a["status"] for a in report["live"]["areas"]} == {"unreachable"}
    warns = [w for w in report["warnings"] if w["code"].startswith("live-")]
    assert len(warns) == 1 and "unknown" in warns[0]["message"]
    assert next(q for q in report["questions"] if q["id"] == "M1")["live"]["observed"] == "unknown"


def test_slow_cluster_times_out_within_budget(cluster: K8sApi) -> None:
    cluster.delay = 3.0
    t0 = time.monotonic()
    res = k8s.probe(K8sTarget(), LiveRequest(timeout=0.5, budget=2.0), api=k8s_client(cluster.url))
    assert time.monotonic() - t0 < 4.5
    assert {o.status for o in res.outcomes} == {Status.TIMEOUT}
    assert not res.resources


def test_unknown_context_is_a_usage_error(tmp_path: Path, kubeconfig: Path) -> None:
    repo = _repo(tmp_path, {})
    r = CliRunner().invoke(main, ["scan", str(repo), "--k8s", "--context", "nope"])
    assert r.exit_code == 2
    assert "--context nope" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal", "sarif", "html"])
def test_token_never_in_output(tmp_path: Path, cluster: K8sApi, kubeconfig: Path, fmt: str) -> None:
    cluster.routes["/apis/batch/v1/jobs"] = (500, {"kind": "Status", "message": f"internal error for token {TOKEN}", "code": 500})
    repo = _repo(tmp_path, {"k8s/train.yaml": CRONJOB.format(name="churn-train", schedule="0 2 * * *")})
    r = CliRunner().invoke(main, ["scan", str(repo), "-f", fmt, "--k8s"])
    assert r.exit_code == 0, r.output
    assert TOKEN not in r.output
    assert any(a == f"Bearer {TOKEN}" for _m, _p, a in cluster.seen)  # it was used, just never shown


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((ROOT / "deploy" / "k8s-clusterrole.yaml").read_text())
    assert doc["kind"] == "ClusterRole"
    return doc["rules"]


def _allowed(path: str, rules: list[dict[str, Any]]) -> bool:
    import fnmatch

    path = path.split("?")[0].rstrip("/") or "/"
    parts = path.strip("/").split("/")
    if parts[0] == "apis" and len(parts) >= 4:  # /apis/GROUP/VERSION[/namespaces/NS]/PLURAL
        group, plural = parts[1], parts[-1]
        return any(group in r.get("apiGroups", []) and plural in r.get("resources", []) and {"list"} <= set(r["verbs"]) for r in rules)
    return any(any(fnmatch.fnmatch(path, u) for u in r.get("nonResourceURLs", [])) and "get" in r["verbs"] for r in rules)


def test_clusterrole_covers_every_request(cluster: K8sApi) -> None:
    cluster.routes["/apis"][1]["groups"].append({"name": "kubeflow.org", "versions": [{"groupVersion": "kubeflow.org/v1beta1", "version": "v1beta1"}]})
    cluster.routes["/apis/kubeflow.org/v1beta1"] = (200, {"kind": "APIResourceList", "groupVersion": "kubeflow.org/v1beta1",
                                                          "resources": [{"name": "scheduledworkflows", "namespaced": True, "kind": "ScheduledWorkflow", "verbs": ["list"]}]})
    cluster.routes["/apis/kubeflow.org/v1beta1/scheduledworkflows"] = (200, {"kind": "ScheduledWorkflowList", "items": []})
    k8s.probe(K8sTarget(), LiveRequest(), api=k8s_client(cluster.url))
    rules = _rules()
    assert len(cluster.seen) > 10
    for method, path, _a in cluster.seen:
        assert method == "GET" and _allowed(path, rules), path
    # and nothing more than the probe's table: every resource rule is one the probe lists
    granted = {(g, res) for r in rules for g in r.get("apiGroups", []) for res in r.get("resources", [])}
    assert granted == {(k.group, k.plural) for k in k8s.KINDS}
    assert all(set(r["verbs"]) <= {"get", "list"} for r in rules)


@pytest.mark.live_k8s
def test_real_cluster(tmp_path: Path) -> None:
    ctx = os.environ.get("MLSCAN_LIVE_K8S_CONTEXT")
    if not ctx:
        pytest.skip("set MLSCAN_LIVE_K8S_CONTEXT (a kubeconfig context) to probe a real cluster")
    res = k8s.probe(K8sTarget(ctx), LiveRequest())
    assert res.outcomes and all(o.status in (Status.OK, Status.NOT_INSTALLED, Status.FORBIDDEN) for o in res.outcomes)


def test_malformed_kubeconfig_is_unknown_without_its_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kc = tmp_path / "kc"
    kc.write_text(f"apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts: [{{name: a, context: {{cluster: c, user: u}}}}]\n"
                  f"users: [{{name: u, user: {{token: {TOKEN}}}}}]\nclusters: [{{name: c, cluster: {{server: 42}}}}]\n")
    monkeypatch.setenv("KUBECONFIG", str(kc))
    r = CliRunner().invoke(main, ["scan", str(_repo(tmp_path, {})), "--k8s", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert TOKEN not in r.output and "Traceback" not in r.output
    assert {a["status"] for a in json.loads(r.stdout)["live"]["areas"]} <= {"unreachable", "error"}


def test_budget_stops_paginating_threads(cluster: K8sApi) -> None:
    cluster.page_size, cluster.delay = 1, 0.4  # every list takes several slow pages
    t0 = time.monotonic()
    res = k8s.probe(K8sTarget(), LiveRequest(timeout=2.0, budget=1.5), api=k8s_client(cluster.url))
    assert time.monotonic() - t0 < 4
    assert Status.TIMEOUT in {o.status for o in res.outcomes}
    sent = len(cluster.seen)
    time.sleep(2.5)  # calls in flight finish; none is started after the budget ran out
    assert len(cluster.seen) <= sent + 1
