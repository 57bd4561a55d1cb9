"""MLflow probe against a real ``mlflow server`` (SQLite backend) started for this module and populated through
``MlflowClient``; forbidden and slow servers from a local HTTP server speaking MLflow's REST error shape."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import git_repo
from tests.live.live_servers import MlflowServer, closed_port, start_mlflow
from tests.quiet_http import QuietServer
from tests.test_report_schema import validate_report

pytest.importorskip("mlflow", reason="the test extra installs mlflow (pip install -e '.[test]')")

from mlscan.cli import main  # noqa: E402
from mlscan.live import mlflow as mlflow_probe  # noqa: E402
from mlscan.live.interface import LiveRequest, MlflowTarget, Status  # noqa: E402

COMMIT = "3f2a9c1d5e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c"
PASSWORD = "mlflow-canary-Pa55word"
TOKEN = "dapi0123456789canarytoken"
TRAIN = """import mlflow

mlflow.set_experiment("churn")


def main():
    with mlflow.start_run():
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("auc", 0.91)
        mlflow.sklearn.log_model(None, "model", registered_model_name="churn-model")


if __name__ == "__main__":
    main()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    yield from start_mlflow(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture(scope="module")
def populated(server: MlflowServer) -> dict[str, str]:
    from mlflow.entities import Dataset, DatasetInput
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=server.uri, registry_uri=server.uri)
    exp = c.create_experiment("churn")
    run = c.create_run(exp, tags={"mlflow.source.git.commit": COMMIT, "mlflow.source.type": "JOB"})
    rid = run.info.run_id
    c.log_param(rid, "lr", "0.1")
    c.log_metric(rid, "auc", 0.91)
    c.log_inputs(rid, datasets=[DatasetInput(Dataset(name="churn-train", digest="9f86d081", source_type="s3",
                                                     source='{"uri": "s3://churn-data/train.parquet"}'), [])])
    c.set_terminated(rid)
    c.create_registered_model("churn-model", description="churn classifier")
    v1 = c.create_model_version("churn-model", f"runs:/{rid}/model", run_id=rid)
    c.create_model_version("churn-model", f"runs:/{rid}/model", run_id=rid)
    c.set_registered_model_alias("churn-model", "champion", v1.version)
    c.create_registered_model("churn-unapproved")
    c.create_model_version("churn-unapproved", f"runs:/{rid}/model", run_id=rid)
    c.create_registered_model("fraud-model")
    other = c.create_run(c.create_experiment("fraud"))
    c.create_model_version("fraud-model", f"runs:/{other.info.run_id}/model", run_id=other.info.run_id)
    return {"run": rid, "uri": server.uri}


def _scan(repo: Path, *args: str, fmt: str = "json", env: dict[str, str] | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["scan", str(repo), "-f", fmt, *args], env=env, catch_exceptions=False)
    return r.exit_code, r.output


def _repo(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    files = {"README.md": "# churn\n", "src/train.py": TRAIN, **(extra or {})}
    return git_repo(tmp_path / "repo", files)


def test_registry_and_runs_are_observed_evidence(tmp_path: Path, populated: dict[str, str]) -> None:
    repo = _repo(tmp_path, {"src/registry.py": "from mlflow import MlflowClient\n\nMlflowClient().create_registered_model(\"churn-unapproved\")\n"})
    code, out = _scan(repo, f"--mlflow={populated['uri']}")
    assert code == 0, out
    report = json.loads(out)
    validate_report(report)
    live = report["live"]
    assert {a["status"] for a in live["areas"]} == {"ok"}
    linked = {lk["uri"]: lk for lk in live["linked"]}
    assert linked["mlflow://models/churn-model"]["path"] == "src/train.py"
    assert f"mlflow://runs/{populated['run']}" in linked
    assert "mlflow://models/fraud-model" not in linked  # nothing in the repository names it
    by_q = {q["id"]: q for q in report["questions"]}
    # the production model's run carries the git commit and a dataset digest: E3 and D2 only the server can show
    assert by_q["E3"]["answer"] == "yes" and by_q["E3"]["live"] == {"declared": "no", "observed": "yes"}
    assert by_q["E3"]["evidence"][0]["path"] == f"mlflow://runs/{populated['run']}"
    assert by_q["E3"]["evidence"][0]["source"] == "observed" and COMMIT in by_q["E3"]["evidence"][0]["snippet"]
    assert by_q["D2"]["live"]["observed"] == "yes"
    assert by_q["T2"]["live"] == {"declared": "yes", "observed": "yes"}
    contra = {(c["kind"], c["observed"]) for c in live["contradictions"]}
    assert ("registry-unapproved", "mlflow://models/churn-unapproved") in contra
    assert ("registry-unapproved", "mlflow://models/churn-model") not in contra  # it has a champion alias
    versions = {lk["uri"]: lk["summary"] for lk in live["linked"] if "/versions/" in lk["uri"]}
    assert "aliases=champion" in versions["mlflow://models/churn-model/versions/1"]
    assert "promoted=False" in versions["mlflow://models/churn-model/versions/2"]


def test_live_section_asks_and_maps(tmp_path: Path, populated: dict[str, str]) -> None:
    repo = _repo(tmp_path, {".mlscan.yml": "live:\n  mlflow:\n    models: [fraud-model]\n"})
    # the section asks for MLflow; the URI comes from MLflow's own setting, never from the repository
    code, out = _scan(repo, env={"MLFLOW_TRACKING_URI": populated["uri"]})
    assert code == 0, out
    linked = {lk["uri"]: lk["link"] for lk in json.loads(out)["live"]["linked"]}
    assert linked["mlflow://models/fraud-model"] == "mapped"
    assert linked["mlflow://models/churn-model"] == "declared"


def test_uri_in_mlscan_yml_is_rejected(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".mlscan.yml": "live:\n  mlflow:\n    uri: http://attacker.example\n"})
    code, out = _scan(repo)
    assert code == 2 and ".mlscan.yml:2:" in out and "'uri' was unexpected" in out


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal", "sarif", "html"])
def test_credentials_never_in_output(tmp_path: Path, populated: dict[str, str], fmt: str) -> None:
    repo = _repo(tmp_path)
    uri = populated["uri"].replace("http://", f"http://ml-user:{PASSWORD}@")
    code, out = _scan(repo, f"--mlflow={uri}", fmt=fmt, env={"MLFLOW_TRACKING_TOKEN": TOKEN})
    assert code == 0, out
    assert PASSWORD not in out and TOKEN not in out and "ml-user" not in out
    if fmt == "json":
        assert json.loads(out)["live"]["endpoints"][0]["endpoint"] == populated["uri"]


def test_unreachable_server_is_unknown_and_bounded(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    t0 = time.monotonic()
    code, out = _scan(repo, f"--mlflow=http://u:{PASSWORD}@127.0.0.1:{closed_port()}", "--live-timeout", "2")
    assert time.monotonic() - t0 < 30
    assert code == 0, out
    report = json.loads(out)
    assert {a["status"] for a in report["live"]["areas"]} == {"unreachable"}
    assert next(q for q in report["questions"] if q["id"] == "E1")["live"]["observed"] == "unknown"
    assert [w["code"] for w in report["warnings"] if w["code"].startswith("live-")] == ["live-unreachable"]
    assert PASSWORD not in out


class _Denied(BaseHTTPRequestHandler):
    delay = 0.0

    def _answer(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        data = json.dumps({"error_code": "PERMISSION_DENIED", "message": f"Permission denied for token {TOKEN}"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *a: Any) -> None:
        pass


@pytest.fixture
def denied() -> Iterator[tuple[str, type[_Denied]]]:
    handler = type("H", (_Denied,), {})
    srv = QuietServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", handler
    srv.shutdown()
    srv.server_close()


def test_forbidden_is_unknown(denied: tuple[str, type[_Denied]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    res = mlflow_probe.probe(MlflowTarget(denied[0]), LiveRequest())
    assert {o.status for o in res.outcomes} == {Status.FORBIDDEN}, res.outcomes
    assert all(TOKEN not in o.message for o in res.outcomes)
    assert os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES") is None  # the probe's bounds do not leak into the process


def test_slow_server_times_out_within_budget(denied: tuple[str, type[_Denied]]) -> None:
    denied[1].delay = 4.0
    t0 = time.monotonic()
    res = mlflow_probe.probe(MlflowTarget(denied[0]), LiveRequest(timeout=1.0, budget=2.5))
    assert time.monotonic() - t0 < 6
    assert {o.status for o in res.outcomes} == {Status.TIMEOUT}


def test_missing_extra_is_exit_2_with_the_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    r = CliRunner().invoke(main, ["scan", str(_repo(tmp_path)), "--mlflow"])
    assert r.exit_code == 2
    assert "pip install 'mlscan[mlflow]'" in r.output and "Traceback" not in r.output


@pytest.mark.live_mlflow
def test_real_server() -> None:
    uri = os.environ.get("MLSCAN_LIVE_MLFLOW_URI")
    if not uri:
        pytest.skip("set MLSCAN_LIVE_MLFLOW_URI to probe a real MLflow server")
    res = mlflow_probe.probe(MlflowTarget(uri), LiveRequest())
    assert all(o.status in (Status.OK, Status.FORBIDDEN) for o in res.outcomes)
