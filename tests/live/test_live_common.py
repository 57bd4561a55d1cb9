"""The parts of scanner/live that need no endpoint: credential-free text, failure classification, schedule
staleness, option/config merging, and that a scan without live options never loads scanner/live."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mlscan.live.common import classify, cron_period_days, describe, display_uri, scrub, stale
from mlscan.live.interface import AwsTarget, K8sTarget, LiveRequest, MlflowTarget, Status
from mlscan.live.run import merge

from tests.conftest import git_repo


@pytest.mark.parametrize("uri,shown", [
    ("https://user:pa55word@mlflow.example.com:8443/api?token=abc#x", "https://mlflow.example.com:8443/api"),
    ("databricks://profile", "databricks://profile"),
    ("http://[::1]:5000", "http://[::1]:5000"),
    ("file:///tmp/mlruns", "file:///tmp/mlruns"),
])
def test_display_uri_drops_credentials(uri: str, shown: str) -> None:
    assert display_uri(uri) == shown


def test_scrub_removes_known_secrets_and_url_credentials() -> None:
    text = "failed: https://bob:hunter2hunter@h.example/x token=s3cr3tvalue key AKIAABCDEFGHIJKLMNOP and sup3r-s3cret-v4lue"
    out = scrub(text, ["sup3r-s3cret-v4lue"])
    for secret in ("hunter2hunter", "s3cr3tvalue", "AKIAABCDEFGHIJKLMNOP", "sup3r-s3cret-v4lue", "bob"):
        assert secret not in out


class _ClientError(Exception):
    def __init__(self, code: str, http: int) -> None:
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": http}}


class _ApiException(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"({status})")
        self.status = status
        self.reason = "Forbidden" if status == 403 else "Too Many Requests"
        self.body = json.dumps({"kind": "Status", "message": "cronjobs is forbidden"})


class EndpointConnectionError(Exception):
    pass


class ReadTimeoutError(Exception):
    pass


@pytest.mark.parametrize("exc,status", [
    (_ClientError("AccessDeniedException", 400), Status.FORBIDDEN),
    (_ClientError("ThrottlingException", 400), Status.THROTTLED),
    (_ClientError("ValidationException", 400), Status.ERROR),
    (_ApiException(403), Status.FORBIDDEN),
    (_ApiException(429), Status.THROTTLED),
    (EndpointConnectionError("Could not connect"), Status.UNREACHABLE),
    (ReadTimeoutError("Read timed out"), Status.TIMEOUT),
    (ConnectionRefusedError(111, "Connection refused"), Status.UNREACHABLE),
])
def test_classify(exc: Exception, status: Status) -> None:
    assert classify(exc) == status


def test_describe_uses_the_kubernetes_status_message() -> None:
    assert describe(_ApiException(403)) == "HTTP 403: cronjobs is forbidden"


def test_cron_periods() -> None:
    assert cron_period_days("0 2 * * *") == 1.0
    assert cron_period_days("0 3 * * 0") == 7.0
    assert cron_period_days("0 0 1 * *") == 31.0
    assert cron_period_days("*/15 * * * *") == pytest.approx(1 / 24)
    assert cron_period_days("@weekly") == 7
    assert cron_period_days("cron(0 3 * * ? *)") == 1.0
    assert cron_period_days("rate(6 hours)") == 0.25
    assert cron_period_days("not a cron") is None


def test_staleness() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    created = now - timedelta(days=100)
    assert stale(now - timedelta(days=2), "0 2 * * *", created, 7, now) is False
    assert stale(now - timedelta(days=8), "0 2 * * *", created, 7, now) is True  # nightly, silent for over a week
    assert stale(now - timedelta(days=10), "0 3 * * 0", created, 7, now) is False  # weekly: two periods allowed
    assert stale(None, "0 2 * * *", now - timedelta(hours=3), 7, now) is None  # brand new: cannot tell yet
    assert stale(None, "0 2 * * *", created, 7, now) is True  # old and never scheduled


def test_merge_command_line_and_section() -> None:
    cli = LiveRequest(k8s=K8sTarget(None, ()))
    section = {"k8s": {"context": "prod", "namespaces": ["ml"], "names": ["Churn-Train"]}, "mlflow": {"models": ["churn"]}, "timeout": 3}
    req, maps = merge(cli, section, honour_section=True)
    assert req.k8s == K8sTarget("prod", ("ml",)) and req.mlflow == MlflowTarget(None) and req.aws is None and req.timeout == 3
    assert maps["k8s"].names == {"churn-train"} and maps["mlflow"].names == {"churn"}
    # a remote repository's section maps names but never starts a probe
    req, maps = merge(None, {"aws": {"region": "eu-west-1", "names": ["x"]}}, honour_section=False)
    assert not req.asked and maps["aws"].names == {"x"}
    req, _ = merge(LiveRequest(aws=AwsTarget("p", None)), {"aws": {"region": "eu-west-1"}}, honour_section=True)
    assert req.aws == AwsTarget("p", "eu-west-1")


PROBE = """
import contextlib, io, sys
import mlscan.cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        mlscan.cli.main(["scan", sys.argv[1], "--format", "json"], standalone_mode=False)
    except SystemExit as e:
        if e.code:
            raise
print(sorted(m for m in sys.modules if m.startswith("mlscan.live") or m.split(".")[0] in ("kubernetes", "boto3", "botocore", "mlflow", "moto")))
"""


def test_scan_without_live_options_loads_no_live_code(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "import mlflow\nmlflow.set_experiment('x')\n", "k8s/a.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: t}\n"})
    cp = subprocess.run([sys.executable, "-c", PROBE, str(repo)], capture_output=True, text=True, timeout=120, check=False)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip().splitlines()[-1] == "[]"


def test_optional_mlflow_value_then_other_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from mlscan import cli

    seen = {}

    def fake_scan(path: str, options: object) -> None:
        seen["live"] = options.live  # type: ignore[attr-defined]
        raise SystemExit(0)

    monkeypatch.setattr("mlscan.engine.scan", fake_scan)
    repo = git_repo(tmp_path / "r", {"a.txt": "x"})
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    r = CliRunner().invoke(cli.main, ["scan", str(repo), "--mlflow"])
    assert r.exit_code == 2 and "MLFLOW_TRACKING_URI" in r.output and "live" not in seen  # never a local ./mlruns store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    CliRunner().invoke(cli.main, ["scan", str(repo), "--mlflow", "--namespace", "ml", "--region", "eu-west-1"])
    req = seen["live"]
    assert req.mlflow == MlflowTarget(None) and req.k8s == K8sTarget(None, ("ml",)) and req.aws == AwsTarget(None, "eu-west-1")
    CliRunner().invoke(cli.main, ["scan", str(repo), "--mlflow=http://h:5000"])
    assert seen["live"].mlflow == MlflowTarget("http://h:5000") and seen["live"].k8s is None
