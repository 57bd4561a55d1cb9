"""The not-shown leads session 15 left (issue #17, session 16, evidI): a question that builds on another leads with its
own line (rule-pack ``distinct_lead``) or says that it shares it; a question of two parts leads with its deciding part and
names the other (rule-pack ``parts``); an alarm routed by an EventBridge rule leads with the rule; a decisive finding in an
example, research or test tree follows the product's; a call is cited at its deciding argument (``S3OutputPath``), a script's
image tag at the assignment giving it the commit, a Vertex pipeline's explicit upload before a training job's implicit one;
a notebook's multi-line call shows its arguments. Each positive has a near miss that must stay as it was."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from mlscan.errors import RulePackError
from mlscan.evidence import non_product_path, non_product_tree
from mlscan.model import AnswerValue, Evidence, Finding, Strength
from mlscan.scoring.conditions import Findings
from mlscan.scoring.rulepack import parse_pack
from mlscan.scoring.score import answer_questions

from .test_evidence_deciding import _lead, _scan

PACK = """\
schema: mlscan.rules/v1
framework: t
title: t
scoring: {method: bands, bands: [{min: 0, max: 9, level: 0, name: x}]}
questions:
  - id: Q1
    text: tracked?
    yes_if: {signal: run}
    decisive:
      - {signal: run, line: "start_run|log_metric"}
  - id: Q2
    text: compared?
    yes_if: {signal: run}
    decisive:
      - {signal: compare}
      - {signal: run, line: "log_metric"}
    distinct_lead: Q1
    reason_shared_lead: "only the {base} line ({lead})"
  - id: Q3
    text: retraining and rollback?
    yes_if: {all: [{signal: retrain}, {signal: rollback}]}
    partial_if: {any: [{signal: retrain}, {signal: rollback}]}
    parts:
      - {signal: rollback, label: rollback}
      - {signal: retrain, label: retraining}
"""


def _f(signal: str, *items: tuple[str, int, str], attrs: dict[str, Any] | None = None) -> Finding:
    evs = tuple(Evidence(p, n, s, "t", Strength.STRONG) for p, n, s in items)
    return Finding(signal, "t", evs, MappingProxyType(attrs or {}), Strength.STRONG)


def _answers(*findings: Finding) -> dict[str, Any]:
    return answer_questions(parse_pack(PACK, "t.yaml"), Findings(findings))


# ---------------------------------------------------------------- a question that builds on another: its own line


def test_a_question_building_on_another_leads_with_another_deciding_line() -> None:
    run = _f("run", ("train.py", 3, "mlflow.log_metric('rmse', rmse)"), ("train.py", 9, "mlflow.log_metric('mae', mae)"))
    other = _f("run", ("train.py", 1, "with mlflow.start_run():"))
    a = _answers(run, other)
    # Q1 leads with the first deciding line; Q2 would too, and takes the next line showing its own deciding line instead
    assert _at(a["Q1"]) == ("train.py", 3)
    assert _at(a["Q2"]) == ("train.py", 9) and a["Q2"].value == AnswerValue.YES
    assert "only the" not in a["Q2"].reason and not a["Q2"].evidence[0].caveats


def test_a_shared_line_is_kept_and_said_when_nothing_else_shows_the_deciding_line() -> None:
    """Near miss: the only other item (``start_run``) does not show Q2's deciding line: the shared line stays, with a note."""
    a = _answers(_f("run", ("train.py", 3, "mlflow.log_metric('rmse', rmse)"), ("train.py", 1, "with mlflow.start_run():")))
    assert _at(a["Q1"]) == _at(a["Q2"]) == ("train.py", 3)
    assert a["Q2"].value == AnswerValue.YES  # the answer stands
    assert a["Q2"].reason.endswith("only the Q1 line (train.py:3)")
    assert a["Q2"].evidence[0].caveats == ("only the Q1 line (train.py:3)",)
    assert not a["Q1"].evidence[0].caveats  # the base question's item is not touched


def test_a_shared_product_line_is_not_traded_for_an_example_tree() -> None:
    a = _answers(_f("run", ("src/train.py", 3, "log_metric('rmse', rmse)")), _f("run", ("examples/demo.py", 5, "log_metric('x', 1)")))
    assert _at(a["Q2"]) == ("src/train.py", 3) and a["Q2"].evidence[0].caveats


def test_a_twin_copy_or_a_notebook_copy_of_the_shared_line_is_no_other_lead() -> None:
    """Near misses: the same line in a twin tree (``flows/local/`` beside ``flows/cloud/``) and a notebook's copy of the
    module's line say nothing more: the shared line stays, with the note."""
    a = _answers(_f("run", ("flows/cloud/grid.py", 17, "log_metric('auc', auc)")), _f("run", ("flows/local/grid.py", 17, "log_metric('auc', auc)")))
    assert _at(a["Q2"]) == _at(a["Q1"]) == ("flows/cloud/grid.py", 17) and a["Q2"].evidence[0].caveats
    a = _answers(_f("run", ("src/train.py", 3, "log_metric('auc', auc)")), _f("run", ("train.ipynb", 40, "log_metric('loss', loss)")))
    assert _at(a["Q2"]) == ("src/train.py", 3) and a["Q2"].evidence[0].caveats


def test_distinct_lead_must_name_another_question() -> None:
    with pytest.raises(RulePackError, match="distinct_lead of Q2 names unknown question 'Q9'"):
        parse_pack(PACK.replace("distinct_lead: Q1", "distinct_lead: Q9"), "t.yaml")
    with pytest.raises(RulePackError, match="names itself"):
        parse_pack(PACK.replace("distinct_lead: Q1", "distinct_lead: Q2"), "t.yaml")


# ---------------------------------------------------------------- a question of two parts


def test_the_deciding_part_leads_and_names_where_the_other_part_is() -> None:
    a = _answers(_f("retrain", ("docs/README.md", 10, "Retraining runs weekly ...")),
                 _f("rollback", ("docs/README.md", 40, "To roll back, promote the previous version ...")))
    lead = a["Q3"].evidence[0]
    assert (lead.path, lead.line) == ("docs/README.md", 40)
    assert lead.chain == ("with retraining at docs/README.md:10",)


def test_parts_shown_together_or_missing_add_nothing() -> None:
    """Near misses: the other part within the lines shown around the lead, and a partial answer with one part only."""
    a = _answers(_f("retrain", ("RUNBOOK.md", 12, "Retrain: ...")), _f("rollback", ("RUNBOOK.md", 14, "Rollback: ...")))
    assert a["Q3"].evidence[0].line == 14 and a["Q3"].evidence[0].chain == ()
    a = _answers(_f("retrain", ("RUNBOOK.md", 12, "Retrain: ...")))
    assert a["Q3"].value == AnswerValue.PARTIAL and a["Q3"].evidence[0].chain == ()


def test_checklist20_declares_e2_on_e1_and_t3_parts() -> None:
    from mlscan.scoring.rulepack import load_packs

    pack = load_packs()["checklist20"]
    e2, t3 = pack.question("E2"), pack.question("T3")
    assert e2 is not None and e2.distinct_lead == "E1" and "{lead}" in e2.reason_shared_lead
    assert t3 is not None and [p["label"] for p in t3.parts] == ["rollback", "retraining"]


def _at(a: Any) -> tuple[str, int | None]:
    return a.evidence[0].path, a.evidence[0].line


# ---------------------------------------------------------------- end to end: E2 and E1, T3


_SAGEMAKER = """\
    import sagemaker
    from sagemaker.estimator import Estimator
    from sagemaker.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.step_collections import RegisterModel
    from sagemaker.workflow.steps import TrainingStep

    xgb = Estimator(image_uri="xgboost", role="r", instance_count=1, instance_type="ml.m5.large", output_path="s3://b/models")
    step_train = TrainingStep(name="Train", estimator=xgb)
    model_metrics = ModelMetrics(
        model_statistics=MetricsSource(
            s3_uri="s3://b/evaluation.json",
            content_type="application/json",
        )
    )
    step_register = RegisterModel(
        name="Register",
        estimator=xgb,
        model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,
        content_types=["text/csv"],
        response_types=["text/csv"],
        model_package_group_name="churn",
        model_metrics=model_metrics,
    )
    pipeline = Pipeline(name="churn", steps=[step_train, step_register])
    pipeline.upsert(role_arn="r")
    """
_CI = """\
    on: [push]
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python pipelines/pipeline.py
    """


def test_e2_sharing_e1s_only_line_says_so(tmp_path: Path) -> None:
    """A SageMaker pipeline's ``ModelMetrics`` is both the tracked run (E1) and the only thing runs are compared by (E2)."""
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _SAGEMAKER, ".github/workflows/build.yml": _CI})
    if qs["E2"]["answer"] != "yes":
        pytest.skip("E2 not answered yes by this shape")
    assert _lead(qs["E2"]) == _lead(qs["E1"])
    assert "compared only in the tracker's UI" in qs["E2"]["reason"]
    assert any("compared only in the tracker's UI" in c for c in qs["E2"]["evidence"][0]["caveats"])
    assert not any("tracker's UI" in c for c in qs["E1"]["evidence"][0].get("caveats") or [])


_MLFLOW = """\
    import mlflow
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_squared_error


    def main(X, y):
        with mlflow.start_run():
            model = LinearRegression().fit(X, y)
            mlflow.log_param("fit_intercept", True)
            mlflow.log_metric("mse", mean_squared_error(y, model.predict(X)))


    if __name__ == "__main__":
        main([[1], [2]], [1, 2])
    """


def test_e2_with_its_own_metric_line_carries_no_note(tmp_path: Path) -> None:
    """Near miss: E1 leads with the run, E2 with the metric it logs: no shared line, no note."""
    qs = _scan(tmp_path, {"src/train.py": _MLFLOW, ".github/workflows/train.yml": _CI.replace("pipelines/pipeline.py", "src/train.py")})
    assert qs["E1"]["answer"] == qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) != _lead(qs["E1"])
    assert "E1 leads with" not in qs["E2"]["reason"]  # no shared-line note
    # (evidK: a per-run metric lead says how runs are compared instead, the selector's note)
    assert "per-run metric logging" in qs["E2"]["reason"]


_RUNBOOK = """\
    # Operations

    ## Retraining

    To retrain the model:

    1. Pull the latest data: `dvc pull`
    2. Retrain: `python src/train.py`

    ## Monitoring

    Dashboards show latency and error rates.

    More text.

    More text.

    More text.

    ## Rollback

    To roll back the model:

    1. Promote the previous registered version to Production in the MLflow UI.
    2. Redeploy the previous image: `kubectl rollout undo deployment/churn-api`
    """


def test_t3_leads_with_rollback_and_names_the_retraining_section(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"docs/runbook.md": _RUNBOOK, "src/train.py": "print('train')\n"})
    assert qs["T3"]["answer"] == "yes"
    lead = qs["T3"]["evidence"][0]
    assert "roll back" in lead["snippet"].lower()
    assert any(c.startswith("with retraining at docs/runbook.md:") for c in lead["chain"])


# ---------------------------------------------------------------- O3: an alarm routed by an EventBridge rule (CDK Python)


_CDK_ALARM = """\
    from aws_cdk import Stack
    from aws_cdk import aws_cloudwatch as cloudwatch


    class MonitorStack(Stack):
        def __init__(self, scope, id, **kwargs):
            super().__init__(scope, id, **kwargs)
            cloudwatch.CfnAlarm(
                self,
                "DriftAlarm",
                alarm_name="model-drift-threshold",
                metric_name="feature_baseline_drift",
                namespace="aws/sagemaker/Endpoints/data-metrics",
                comparison_operator="GreaterThanThreshold",
                threshold=0.2,
                evaluation_periods=1,
                period=3600,
                statistic="Average",
            )
    """
_CDK_RULE = """\
    from aws_cdk import Stack
    from aws_cdk import aws_events as events
    from aws_cdk import aws_events_targets as targets
    from aws_cdk import aws_sns as sns
    from aws_cdk import aws_sns_subscriptions as subs


    class RouteStack(Stack):
        def __init__(self, scope, id, **kwargs):
            super().__init__(scope, id, **kwargs)
            topic = sns.Topic(self, "Alerts")
            topic.add_subscription(subs.EmailSubscription("ml-oncall@example.com"))
            rule = events.Rule(
                self,
                "DriftRule",
                event_pattern=events.EventPattern(
                    source=["aws.cloudwatch"],
                    detail_type=["CloudWatch Alarm State Change"],
                    detail={"alarmName": ["model-drift-threshold"], "state": {"value": ["ALARM"]}},
                ),
            )
            rule.add_target(targets.SnsTopic(topic))
    """
_APP = """\
    import aws_cdk as cdk
    from infra.monitor import MonitorStack
    from infra.route import RouteStack

    app = cdk.App()
    MonitorStack(app, "monitor")
    RouteStack(app, "route")
    app.synth()
    """


def test_a_cdk_alarm_routed_by_an_eventbridge_rule_leads_with_the_rule(tmp_path: Path) -> None:
    files = {"infra/monitor.py": _CDK_ALARM, "infra/route.py": _CDK_RULE, "app.py": _APP, "cdk.json": '{"app": "python3 app.py"}\n'}
    qs = _scan(tmp_path, files)
    assert qs["O3"]["answer"] == "yes"
    lead = qs["O3"]["evidence"][0]
    assert lead["path"] == "infra/route.py" and "CloudWatch Alarm State Change" in lead["snippet"]
    assert lead["context"].startswith("in rule = events.Rule(")
    assert any(e["path"] == "infra/monitor.py" for e in qs["O3"]["evidence"][1:])


def test_a_cdk_alarm_with_its_own_action_leads_with_the_alarm(tmp_path: Path) -> None:
    """Near miss: the alarm names its SNS action itself; the rule is not what routes it."""
    alarm = _CDK_ALARM.replace('statistic="Average",', 'statistic="Average",\n        alarm_actions=["arn:aws:sns:eu-west-1:1:alerts"],')
    qs = _scan(tmp_path, {"infra/monitor.py": alarm, "app.py": _APP.replace("from infra.route import RouteStack\n", "")
                          .replace('RouteStack(app, "route")\n', ""), "cdk.json": '{"app": "python3 app.py"}\n'})
    assert qs["O3"]["answer"] == "yes"
    assert qs["O3"]["evidence"][0]["path"] == "infra/monitor.py"


# ---------------------------------------------------------------- example and research trees follow the product


def test_non_product_trees() -> None:
    for p in ("research/train.py", "view/research/deploy/Dockerfile", "benchmarks/run.py", "examples/a/train.py", "tests/test_x.py"):
        assert non_product_tree(p) and non_product_path(p), p
    for p in ("src/research_utils.py", "src/benchmarking.py", "CONTRIBUTING.md", "demo_flow.py"):
        assert not non_product_tree(p), p  # the folder decides, not the file's own name


_EXAMPLE_TRAIN = """\
    import mlflow
    from sklearn.linear_model import LinearRegression


    def main(X, y):
        with mlflow.start_run():
            model = LinearRegression().fit(X, y)
            mlflow.log_metric("score", model.score(X, y))


    if __name__ == "__main__":
        main([[1], [2]], [1, 2])
    """


def test_an_examples_stronger_selector_does_not_lead_the_products_tracking(tmp_path: Path) -> None:
    """The example fits and logs in one module run by CI (E1's first selector); the product logs metrics in a module its
    training entry point imports (a later selector): the product leads."""
    product_log = """\
        import mlflow


        def log_scores(scores):
            mlflow.log_metrics(scores)
        """
    product_train = """\
        from sklearn.linear_model import LinearRegression

        from pkg.tracking import log_scores


        def main(X, y):
            model = LinearRegression().fit(X, y)
            log_scores({"score": model.score(X, y)})


        if __name__ == "__main__":
            main([[1], [2]], [1, 2])
        """
    ci = _CI.replace("- run: python pipelines/pipeline.py", "- run: python examples/quick/train.py\n      - run: python -m pkg.train")
    qs = _scan(tmp_path, {"examples/quick/train.py": _EXAMPLE_TRAIN, "pkg/__init__.py": "", "pkg/tracking.py": product_log,
                          "pkg/train.py": product_train, ".github/workflows/train.yml": ci})
    assert qs["E1"]["answer"] == "yes"
    paths = [e["path"] for e in qs["E1"]["evidence"]]
    if "pkg/tracking.py" not in paths:
        pytest.skip("the product's tracking is not found as training's")
    assert not non_product_tree(qs["E1"]["evidence"][0]["path"])


def test_an_example_alone_still_leads(tmp_path: Path) -> None:
    """Near miss: with nothing on the product, the example's tracking leads (ranking only: the answer is unchanged)."""
    ci = _CI.replace("- run: python pipelines/pipeline.py", "- run: python examples/quick/train.py")
    qs = _scan(tmp_path, {"examples/quick/train.py": _EXAMPLE_TRAIN, ".github/workflows/train.yml": ci})
    assert qs["E1"]["evidence"][0]["path"] == "examples/quick/train.py"


# ---------------------------------------------------------------- the deciding argument, not the call's opener


_BOTO_TRAIN = """\
    import boto3

    sagemaker = boto3.client("sagemaker")


    def create_training_job(job_name, input_data, container, output_location):
        sagemaker.create_training_job(
            TrainingJobName=job_name,
            AlgorithmSpecification={
                "TrainingImage": container,
                "TrainingInputMode": "File",
            },
            RoleArn="arn:aws:iam::1:role/r",
            OutputDataConfig={
                "S3OutputPath": output_location
            },
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 20},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )


    if __name__ == "__main__":
        create_training_job("churn", "s3://b/data", "123.dkr.ecr.eu-west-1.amazonaws.com/churn:latest", "s3://b/models")
    """


def test_a_boto3_training_job_is_cited_at_its_s3_output_path(tmp_path: Path) -> None:
    ci = _CI.replace("pipelines/pipeline.py", "train/train.py")
    qs = _scan(tmp_path, {"train/train.py": _BOTO_TRAIN, ".github/workflows/train.yml": ci})
    items = [e for e in qs["T2"]["evidence"] if e["path"] == "train/train.py"]
    assert items and items[0]["line"] == 15
    assert items[0]["snippet"].strip() == '"S3OutputPath": output_location'
    assert items[0]["context"] == "in sagemaker.create_training_job(...)"


def test_an_estimator_is_cited_at_its_output_path_argument(tmp_path: Path) -> None:
    """Near miss in shape: an estimator written over lines is cited at its ``output_path=`` line, in the call's context."""
    code = """\
        from sagemaker.estimator import Estimator

        est = Estimator(
            image_uri="123.dkr.ecr.eu-west-1.amazonaws.com/churn:latest",
            role="arn:aws:iam::1:role/r",
            instance_count=1,
            instance_type="ml.m5.large",
            output_path="s3://b/models",
        )
        est.fit({"train": "s3://b/data"})
        """
    qs = _scan(tmp_path, {"train/train.py": code, ".github/workflows/train.yml": _CI.replace("pipelines/pipeline.py", "train/train.py")})
    items = [e for e in qs["T2"]["evidence"] if e["path"] == "train/train.py"]
    assert items and items[0]["line"] == 8 and items[0]["context"] == "in est = Estimator(...)"


_DEPLOY_SH = """\
    #!/bin/bash
    set -e

    IMAGE_NAME="churn-lambda"
    COMMIT_SHA=$(git rev-parse --short HEAD)
    DATETIME=$(date +"%Y%m%d-%H%M%S")
    IMAGE_TAG="${COMMIT_SHA}-${DATETIME}"

    aws ecr get-login-password | docker login --username AWS --password-stdin 123.dkr.ecr.eu-west-1.amazonaws.com

    docker build -t ${IMAGE_NAME}:${IMAGE_TAG} .
    docker push ${IMAGE_NAME}:${IMAGE_TAG}
    """
_DOCKERFILE = "FROM public.ecr.aws/lambda/python:3.11\nCOPY lambda_function.py model.bin ./\nCMD [\"lambda_function.lambda_handler\"]\n"
_LAMBDA = """\
    import pickle

    with open("model.bin", "rb") as f_in:
        dv, model = pickle.load(f_in)


    def lambda_handler(event, context):
        return {"churn": float(model.predict_proba(dv.transform([event["customer"]]))[0, 1])}
    """
_TRAIN_PICKLE = """\
    import pickle

    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    dv = DictVectorizer()
    X = dv.fit_transform([{"tenure": 1}, {"tenure": 30}])
    model = LogisticRegression().fit(X, [1, 0])
    with open("model.bin", "wb") as f_out:
        pickle.dump((dv, model), f_out)
    """
_SERVERLESS = {"Dockerfile": _DOCKERFILE, "model.bin": "x", "lambda_function.py": _LAMBDA, "train.py": _TRAIN_PICKLE}


def test_a_scripts_image_tag_is_cited_where_it_gets_the_commit(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"deploy.sh": _DEPLOY_SH, **_SERVERLESS})
    assert qs["E3"]["answer"] == "yes"
    lead = qs["E3"]["evidence"][0]
    assert lead["path"] == "deploy.sh" and (lead["line"], lead["end_line"]) == (5, 7)
    assert lead["snippet"].startswith("COMMIT_SHA=$(git rev-parse --short HEAD)")
    assert lead["chain"] == ["tags the image: docker build -t ${IMAGE_NAME}:${IMAGE_TAG} . at deploy.sh:11"]
    assert any(e["line"] == 11 for e in qs["E3"]["evidence"][1:])


def test_a_tag_naming_the_commit_itself_is_cited_at_the_command(tmp_path: Path) -> None:
    """Near miss: a tag naming the commit by a variable its caller sets (``${COMMIT_SHA}``, no assignment in the script)
    decides on the command's own line."""
    sh = "#!/bin/bash\nset -e\ndocker build -t churn-lambda:${COMMIT_SHA} .\n"
    qs = _scan(tmp_path, {"deploy.sh": sh, **_SERVERLESS})
    assert qs["E3"]["answer"] == "yes"
    lead = qs["E3"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("deploy.sh", 3) and not lead.get("chain")


_VERTEX = """\
    from google.cloud import aiplatform
    from google_cloud_pipeline_components import aiplatform as gcc_aip
    from kfp.v2 import compiler, dsl
    from kfp.v2.dsl import component


    @component(base_image="python:3.9", packages_to_install=["google-cloud-aiplatform"])
    def train(project: str) -> float:
        from google.cloud import aiplatform
        job = aiplatform.CustomContainerTrainingJob(display_name="t", container_uri="gcr.io/p/train:1")
        model = job.run(
            replica_count=1,
            model_display_name="temp-model",
        )
        return 0.1


    @dsl.pipeline(name="train")
    def pipeline(project: str = "p"):
        task = train(project=project)
        upload = gcc_aip.ModelUploadOp(
            project=project,
            display_name="forecast",
            serving_container_image_uri="gcr.io/p/serve:1",
        )


    if __name__ == "__main__":
        compiler.Compiler().compile(pipeline, "pipeline.json")
    """


def test_a_pipelines_explicit_upload_leads_over_a_jobs_implicit_one(tmp_path: Path) -> None:
    ci = _CI.replace("pipelines/pipeline.py", "pipeline/run.py")
    qs = _scan(tmp_path, {"pipeline/run.py": _VERTEX, ".github/workflows/run.yml": ci})
    items = [e for e in qs["T2"]["evidence"] if e["path"] == "pipeline/run.py"]
    assert items and "ModelUploadOp(" in items[0]["snippet"]


def test_a_jobs_implicit_upload_alone_is_still_cited(tmp_path: Path) -> None:
    """Near miss: without an explicit upload the training job's ``run(model_display_name=...)`` is the registration."""
    code = _VERTEX.split("@dsl.pipeline")[0] + "train('p')\n"
    qs = _scan(tmp_path, {"pipeline/run.py": code, ".github/workflows/run.yml": _CI.replace("pipelines/pipeline.py", "pipeline/run.py")})
    items = [e for e in qs["T2"]["evidence"] if e["path"] == "pipeline/run.py"]
    assert items and "job.run(" in items[0]["snippet"]


# ---------------------------------------------------------------- a notebook's multi-line call shows its arguments


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                                  "source": [line + "\n" for line in c.splitlines()]} for i, c in enumerate(cells)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_a_notebooks_call_opener_shows_its_arguments(tmp_path: Path) -> None:
    nb = _notebook("from google.cloud import aiplatform as vertex_ai\nvertex_ai.init(project='p', experiment='churn')",
                   "from sklearn.linear_model import LogisticRegression\nclf = LogisticRegression().fit([[1], [2]], [0, 1])",
                   "vertex_ai.start_run('run-1')\nvertex_ai.log_metrics(\n    {'val_loss': 0.1, 'val_accuracy': 0.9})")
    qs = _scan(tmp_path, {"notebooks/experiment.ipynb": nb})
    items = [e for q in ("E1", "E2") for e in qs[q]["evidence"] if "log_metrics(" in (e.get("snippet") or "")]
    if not items:
        pytest.skip("the notebook's metric call is not cited")
    assert all("val_loss" in e["snippet"] and e["end_line"] > e["line"] for e in items)


def test_a_notebooks_one_line_call_stays_one_line(tmp_path: Path) -> None:
    nb = _notebook("from google.cloud import aiplatform as vertex_ai\nvertex_ai.init(project='p', experiment='churn')",
                   "from sklearn.linear_model import LogisticRegression\nclf = LogisticRegression().fit([[1], [2]], [0, 1])",
                   "vertex_ai.start_run('run-1')\nvertex_ai.log_metrics({'val_loss': 0.1})")
    qs = _scan(tmp_path, {"notebooks/experiment.ipynb": nb})
    items = [e for q in ("E1", "E2") for e in qs[q]["evidence"] if "log_metrics(" in (e.get("snippet") or "")]
    assert all(e["end_line"] in (None, e["line"]) for e in items)


# ---------------------------------------------------------------- D3 on a TFX pipeline: the edge into the Trainer


_TFX = """\
    from tfx.components import CsvExampleGen, SchemaGen, StatisticsGen, Trainer, Transform
    from tfx.orchestration import pipeline


    def create_pipeline(data_root, module_file, root):
        example_gen = CsvExampleGen(input_base=data_root)
        statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
        schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"])
        transform = Transform(
            examples=example_gen.outputs["examples"],
            schema=schema_gen.outputs["schema"],
            module_file=module_file,
        )
        trainer = Trainer(
            module_file=module_file,
            examples=transform.outputs["transformed_examples"],
            schema=schema_gen.outputs["schema"],
        )
        return pipeline.Pipeline(pipeline_name="p", pipeline_root=root,
                                 components=[example_gen, statistics_gen, schema_gen, transform, trainer])
    """


def _dag_items(tmp_path: Path, code: str) -> list[Evidence]:
    from mlscan.engine import ScanOptions, scan

    from .conftest import git_repo

    repo = git_repo(tmp_path, {"pipelines/pipeline.py": __import__("textwrap").dedent(code)})
    found = [f for f in scan(str(repo), ScanOptions(jobs=1)).findings if f.signal == "pipeline.dag" and f.detector == "tfx.pipeline"]
    assert found
    return list(found[0].evidence)


def test_a_tfx_pipeline_cites_where_data_enters_the_trainer(tmp_path: Path) -> None:
    items = _dag_items(tmp_path, _TFX)
    edge = [e for e in items if e.fact == "lineage_edge"]
    assert [e.line for e in edge] == [16] and "transformed_examples" in (edge[0].snippet or "")
    assert (edge[0].context or "").startswith("in trainer = Trainer(")


def test_a_tfx_trainer_fed_by_no_component_has_no_edge_item(tmp_path: Path) -> None:
    """Near miss: a Trainer reading its data from a path, not from another component's output."""
    code = _TFX.replace('examples=transform.outputs["transformed_examples"],', 'custom_config={"data": data_root},')
    items = _dag_items(tmp_path, code)
    assert not [e for e in items if e.fact == "lineage_edge"]
