"""AWS probe against moto in server mode (ThreadedMotoServer), seeded with boto3.

Calls moto lacks, answered by a botocore Stubber on that operation only (the response is validated against the
service model by the Stubber):
  - sagemaker ListMonitoringSchedules  (moto: "The list_monitoring_schedules action has not been implemented")

Access denied, throttling and slow endpoints come from a small local HTTP server speaking the AWS error shapes."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import git_repo
from tests.quiet_http import QuietServer
from tests.test_report_schema import validate_report

pytest.importorskip("moto", reason="the test extra installs moto[server] (pip install -e '.[test]')")
boto3 = pytest.importorskip("boto3")

from botocore.stub import Stubber  # noqa: E402
from mlscan.cli import main  # noqa: E402
from mlscan.live import aws  # noqa: E402
from mlscan.live.interface import AwsTarget, LiveRequest, Status  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
REGION = "eu-west-1"
ACCOUNT = "123456789012"
KEY_ID = "AKIAZ7CANARY0KEY1234"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYcanarySECRET"
SESSION = "FwoGZXIvYXdzEBcanarySESSIONtoken0123456789"
MOTO_LACKS = ("ListMonitoringSchedules",)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def account(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).close()  # noqa: S310
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return moto_url


def seed() -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model(ModelName="churn-model", PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn-api:3f2a9c1d"}, ExecutionRoleArn=ROLE)
    for name, capture in (("churn-endpoint", True), ("other-endpoint", False)):
        sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "churn-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
            DataCaptureConfig={"EnableCapture": capture, "InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://churn-data/capture",
                               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    for group, statuses in (("churn-packages", ("Approved", "PendingManualApproval")), ("churn-unapproved", ("PendingManualApproval",))):
        sm.create_model_package_group(ModelPackageGroupName=group)
        for st in statuses:
            sm.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus=st, InferenceSpecification={
                "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn-api:3f2a9c1d"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
    definition = json.dumps({"Version": "2020-12-01", "Steps": [{"Name": "Train", "Type": "Training", "Arguments": {}}]})
    sm.create_pipeline(PipelineName="churn-pipeline", PipelineDefinition=definition, RoleArn=ROLE)
    sm.start_pipeline_execution(PipelineName="churn-pipeline")
    sm.create_training_job(
        TrainingJobName="churn-train-20261201", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn-train:3f2a9c1d", "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://churn-data/models"}, ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        Tags=[{"Key": "git_commit", "Value": "3f2a9c1d5e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c"}, {"Key": "dataset_version", "Value": "v42"},
              {"Key": "pipeline", "Value": "churn-pipeline"}])
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="churn-endpoint-5xx", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors", Statistic="Sum", Period=300,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        Dimensions=[{"Name": "EndpointName", "Value": "churn-endpoint"}, {"Name": "VariantName", "Value": "AllTraffic"}],
                        AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:ml-oncall"])
    ev = boto3.client("events", region_name=REGION)
    ev.put_rule(Name="churn-nightly", ScheduleExpression="cron(0 3 * * ? *)", State="ENABLED")
    ev.put_targets(Rule="churn-nightly", Targets=[{"Id": "p", "Arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/churn-pipeline", "RoleArn": ROLE}])
    ev.put_rule(Name="cleanup", ScheduleExpression="rate(1 day)", State="DISABLED")
    s3 = boto3.client("s3", region_name=REGION)
    for b, versioned in (("churn-data", True), ("scratch-bucket", False)):
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": REGION})
        if versioned:
            s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="churn-api", imageTagMutability="IMMUTABLE", imageScanningConfiguration={"scanOnPush": True})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "sha256:" + "a" * 64},
                           "layers": []})
    ecr.put_image(repositoryName="churn-api", imageManifest=manifest, imageTag="3f2a9c1d")


def stub_monitoring(schedules: list[dict[str, Any]]):
    """A Stubber answering ListMonitoringSchedules (moto lacks it) and nothing else on the sagemaker client."""

    def attach(service: str, client: Any) -> None:
        if service != "sagemaker":
            return
        stubber = Stubber(client)
        stubber.add_response("list_monitoring_schedules", {"MonitoringScheduleSummaries": schedules})
        client.meta.events.register("before-parameter-build.sagemaker.ListMonitoringSchedules", stubber._assert_expected_params)
        client.meta.events.register("before-call.sagemaker.ListMonitoringSchedules", stubber._get_response_handler)

    return attach


def schedule(name: str, endpoint: str, kind: str, status: str = "Scheduled") -> dict[str, Any]:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    return {"MonitoringScheduleName": name, "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{name}",
            "CreationTime": t, "LastModifiedTime": t, "MonitoringScheduleStatus": status, "EndpointName": endpoint, "MonitoringType": kind}


REPO = {
    "README.md": "# churn\n",
    "pipelines/churn.py": (
        "import boto3\nfrom sagemaker.workflow.pipeline import Pipeline\n\n"
        "pipeline = Pipeline(name=\"churn-pipeline\", steps=[])\n"
        "sm = boto3.client(\"sagemaker\")\n"
        "sm.create_model_package_group(ModelPackageGroupName=\"churn-packages\")\n"
        "sm.create_model_package_group(ModelPackageGroupName=\"churn-unapproved\")\n"
        "DATA = \"s3://churn-data/raw/\"\n"
        "IMAGE = \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-api:3f2a9c1d\"\n"
    ),
    "monitoring/schedule.py": (
        "import boto3\n\nsm = boto3.client(\"sagemaker\")\n"
        "sm.create_monitoring_schedule(\n    MonitoringScheduleName=\"churn-data-quality\",\n"
        "    MonitoringScheduleConfig={\"MonitoringJobDefinition\": {\"MonitoringInputs\": [{\"EndpointInput\": {\"EndpointName\": \"churn-endpoint\"}}]}},\n)\n"
    ),
}


def scan(repo: Path, monkeypatch: pytest.MonkeyPatch, on_client: Any = None, *args: str) -> dict[str, Any]:
    if on_client is not None:
        monkeypatch.setattr(aws, "probe", partial(aws.probe, on_client=on_client))
    r = CliRunner().invoke(main, ["scan", str(repo), "-f", "json", "--aws", "--region", REGION, *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_scan_links_aws_objects_and_calls_out_contradictions(tmp_path: Path, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed()
    repo = git_repo(tmp_path / "repo", REPO)
    report = scan(repo, monkeypatch, stub_monitoring([schedule("other-dq", "other-endpoint", "DataQuality")]))
    validate_report(report)
    live = report["live"]
    assert {a["status"] for a in live["areas"]} == {"ok"}, live["areas"]
    linked = {lk["uri"]: lk for lk in live["linked"]}
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    assert linked[f"{arn}:pipeline/churn-pipeline"]["path"] == "pipelines/churn.py"
    assert f"{arn}:endpoint/churn-endpoint" in linked and f"{arn}:endpoint/other-endpoint" not in linked
    assert f"arn:aws:events:{REGION}:{ACCOUNT}:rule/churn-nightly" in linked  # its target is the declared pipeline
    assert f"arn:aws:events:{REGION}:{ACCOUNT}:rule/cleanup" not in linked
    assert "arn:aws:s3:::churn-data" in linked and "arn:aws:s3:::scratch-bucket" not in linked
    by_q = {q["id"]: q for q in report["questions"]}
    assert by_q["M1"]["live"] == {"declared": "no", "observed": "yes"} and by_q["M1"]["answer"] == "yes"
    assert by_q["O3"]["live"]["observed"] == "yes"  # alarm on the endpoint with an SNS action
    assert by_q["D1"]["live"]["observed"] == "yes"  # versioned bucket the repository reads from
    assert by_q["E3"]["live"]["observed"] == "yes"  # git commit tag on the training job, SHA-tagged image
    assert by_q["T4"]["live"]["observed"] == "yes"  # an Approved model package
    contra = {(c["kind"], c["observed"]) for c in live["contradictions"]}
    assert ("registry-unapproved", f"{arn}:model-package-group/churn-unapproved") in contra
    assert ("endpoint-unmonitored", f"{arn}:endpoint/churn-endpoint") in contra
    observed = [f for f in report["findings"] if f["source"] == "observed"]
    assert all(e["source"] == "observed" and e["path"].startswith("arn:aws:") for f in observed for e in f["evidence"])
    # the calls made are the ones the shipped IAM policy allows, and they are all reads
    calls = next(e["calls"] for e in live["endpoints"] if e["platform"] == "aws")
    policy = set(json.loads((ROOT / "deploy" / "iam-readonly.json").read_text())["Statement"][0]["Action"])
    assert set(calls) <= policy and set(aws.CALLS) == policy
    assert len(calls) >= 15
    assert all(c.split(":", 1)[1].startswith(("List", "Describe", "Get")) for c in policy)


def test_monitored_endpoint_is_no_contradiction(tmp_path: Path, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed()
    repo = git_repo(tmp_path / "repo", REPO)
    report = scan(repo, monkeypatch, stub_monitoring([schedule("churn-dq", "churn-endpoint", "DataQuality"),
                                                      schedule("churn-mq", "churn-endpoint", "ModelQuality")]))
    assert not any(c["kind"] == "endpoint-unmonitored" for c in report["live"]["contradictions"])
    o2 = next(q for q in report["questions"] if q["id"] == "O2")
    assert o2["answer"] == "yes" and o2["live"]["observed"] == "yes"  # data and model quality monitors, separately


def test_call_moto_lacks_is_unknown_not_absent(tmp_path: Path, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed()
    repo = git_repo(tmp_path / "repo", REPO)
    report = scan(repo, monkeypatch)  # no stub: moto answers 500 "not implemented"
    areas = {a["area"]: a["status"] for a in report["live"]["areas"]}
    assert areas["aws.sagemaker.monitoring_schedules"] == "error" and areas["aws.sagemaker.endpoints"] == "ok"
    o1 = next(q for q in report["questions"] if q["id"] == "O1")
    assert o1["live"]["observed"] == "unknown"
    # no monitoring data: no "endpoint-unmonitored" claim either
    assert not any(c["kind"] == "endpoint-unmonitored" for c in report["live"]["contradictions"])
    assert any(w["code"] == "live-error" and "monitoring_schedules" in w["message"] for w in report["warnings"])


class _AwsErrors(BaseHTTPRequestHandler):
    mode = "denied"
    delay = 0.0

    def _answer(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.mode == "throttled":
            status, body = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            status, body = 403, {"__type": "AccessDeniedException",
                                 "message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ci/{KEY_ID} is not authorized (token {SESSION})"}
        data = json.dumps(body).encode()
        ctype = "application/x-amz-json-1.1"
        if self.command == "GET" and self.path.split("?")[0] == "/":  # S3 ListBuckets speaks REST-XML
            code = "SlowDown" if self.mode == "throttled" else "AccessDenied"
            status = 503 if self.mode == "throttled" else 403
            data = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{body['message']}</Message></Error>".encode()
            ctype = "application/xml"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("x-amzn-query-error", f"{body['__type']};Sender")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815

    def log_message(self, *a: Any) -> None:
        pass


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch, account: str) -> Iterator[type[_AwsErrors]]:
    handler = type("H", (_AwsErrors,), {})
    srv = QuietServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{srv.server_port}")
    yield handler
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("mode,status", [("denied", Status.FORBIDDEN), ("throttled", Status.THROTTLED)])
def test_denied_or_throttled_is_unknown(errors: type[_AwsErrors], mode: str, status: Status) -> None:
    errors.mode = mode
    res = aws.probe(AwsTarget(region=REGION), LiveRequest())
    assert {o.status for o in res.outcomes} == {status}, res.outcomes
    assert not res.resources


def test_slow_account_is_bounded(errors: type[_AwsErrors]) -> None:
    errors.delay = 6.0
    t0 = time.monotonic()
    res = aws.probe(AwsTarget(region=REGION), LiveRequest(timeout=0.5, budget=2.0))
    # unbounded: every call waits 6 s (over 60 s in all); bounded: ~2.5 s, with slack for a loaded machine (10.6 s seen
    # at load 14)
    assert time.monotonic() - t0 < 20
    assert {o.status for o in res.outcomes} <= {Status.TIMEOUT, Status.UNREACHABLE}


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal", "sarif", "html"])
def test_keys_never_in_output(tmp_path: Path, errors: type[_AwsErrors], fmt: str) -> None:
    repo = git_repo(tmp_path / "repo", REPO)
    r = CliRunner().invoke(main, ["scan", str(repo), "-f", fmt, "--aws", "--region", REGION])
    assert r.exit_code == 0, r.output
    assert "forbidden" in r.output or fmt in ("sarif", "html", "terminal", "markdown")
    for canary in (KEY_ID, SECRET, SESSION):
        assert canary not in r.output


def test_missing_region_is_a_usage_error(tmp_path: Path, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(k, raising=False)
    r = CliRunner().invoke(main, ["scan", str(git_repo(tmp_path / "repo", {"a.txt": "x"})), "--aws"])
    assert r.exit_code == 2 and "region" in r.output and "Traceback" not in r.output


@pytest.mark.live_aws
def test_real_account() -> None:
    profile = os.environ.get("MLSCAN_LIVE_AWS_PROFILE")
    if not profile:
        pytest.skip("set MLSCAN_LIVE_AWS_PROFILE (a read-only profile, deploy/iam-readonly.json) to probe a real account")
    res = aws.probe(AwsTarget(profile=profile), LiveRequest())
    assert set(res.calls) <= set(aws.CALLS)
    assert all(o.status in (Status.OK, Status.FORBIDDEN) for o in res.outcomes)
