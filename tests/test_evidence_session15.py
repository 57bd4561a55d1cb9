"""The not-shown leads of session 14's blind samples (issue #17, session 15, evidF), rebuilt as small repositories from how
the platforms write these files: each positive shows the deciding line a reviewer needs, each near miss the shape that
must stay as it was."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .test_evidence_deciding import _lead, _scan

_CI = ("on: [push]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
       "      - run: python workflow/pipeline.py\n      - run: python workflow/compare.py\n")


def _sfn_workflow(experiment: str) -> str:
    """A Step Functions Data Science SDK training workflow (the SDK's own examples: ``steps.TrainingStep`` chained into a
    ``ModelStep``), its SageMaker Experiments trial given ``experiment`` lines below the step's opener."""
    return f"""\
        import sagemaker
        from sagemaker.xgboost import XGBoost
        from stepfunctions import steps
        from stepfunctions.inputs import ExecutionInput
        from stepfunctions.workflow import Workflow


        def build(role, bucket):
            execution_input = ExecutionInput(schema={{"TrainingJobName": str, "ExperimentName": str, "TrialName": str}})
            xgb = XGBoost(entry_point="train.py", role=role, instance_count=1, instance_type="ml.m5.xlarge", framework_version="1.5-1")
            training_step = steps.TrainingStep("Training Job", estimator=xgb,
                data={{"train": f"s3://{{bucket}}/train"}},
                job_name=execution_input["TrainingJobName"],
                wait_for_completion=True,
                hyperparameters={{"max_depth": 5}},{experiment}
            )
            model_step = steps.ModelStep("Save Model", model=training_step.get_expected_model(), model_name=execution_input["TrainingJobName"])
            definition = steps.Chain([training_step, model_step])
            return Workflow("train", definition, role, execution_input=execution_input)


        if __name__ == "__main__":
            build("role", "bucket").create()
        """


_EXPERIMENT = '\n            experiment_config={"ExperimentName": execution_input["ExperimentName"], "TrialName": execution_input["TrialName"]},'


def _analytics(sort_by: str) -> str:
    """SageMaker Experiments' analytics over an experiment's trial components, as the SDK's examples write it."""
    return f"""\
        from sagemaker.analytics import ExperimentAnalytics


        def best_trial(experiment_name):
            analytics = ExperimentAnalytics(
                experiment_name=experiment_name,
                sort_by="{sort_by}",
                sort_order="Descending",
            )
            return analytics.dataframe().head(1)


        if __name__ == "__main__":
            print(best_trial("churn"))
        """


def test_e1_cites_a_step_functions_training_step_through_its_experiment_config(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"workflow/pipeline.py": _sfn_workflow(_EXPERIMENT), "train.py": "import xgboost\n",
                          "workflow/compare.py": _analytics("metrics.validation:auc.max"), ".github/workflows/train.yml": _CI})
    assert qs["E1"]["answer"] == "yes"
    lead = qs["E1"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("workflow/pipeline.py", 11, 16)
    assert lead["snippet"].startswith('training_step = steps.TrainingStep("Training Job"') and "experiment_config=" in lead["snippet"]
    # E2 leads with its own deciding item: the trial components compared by a metric, not E1's step
    assert qs["E2"]["answer"] == "yes"
    e2 = qs["E2"]["evidence"][0]
    assert (e2["path"], e2["line"]) == ("workflow/compare.py", 7) and "metrics.validation:auc.max" in e2["snippet"]
    assert e2["context"].startswith("in analytics = ExperimentAnalytics(")


def test_analytics_sorted_by_creation_time_compare_nothing_and_e2_keeps_the_step(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"workflow/pipeline.py": _sfn_workflow(_EXPERIMENT), "train.py": "import xgboost\n",
                          "workflow/compare.py": _analytics("CreationTime"), ".github/workflows/train.yml": _CI})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("workflow/pipeline.py", 11)


def test_an_experiment_config_on_the_steps_first_line_is_cited_at_that_line(tmp_path: Path) -> None:
    one_line = _sfn_workflow("").replace('steps.TrainingStep("Training Job", estimator=xgb,',
                                         'steps.TrainingStep("Training Job", estimator=xgb, experiment_config={"ExperimentName": "churn"},')
    qs = _scan(tmp_path, {"workflow/pipeline.py": one_line, "train.py": "import xgboost\n", ".github/workflows/train.yml": _CI})
    assert qs["E1"]["answer"] == "yes"
    lead = qs["E1"]["evidence"][0]
    assert (lead["line"], lead["end_line"]) == (11, 11) and "experiment_config=" in lead["snippet"]


_UV_HEAD = 'version = 1\nrevision = 2\nrequires-python = ">=3.11"\n\n'


def _uv_package(name: str, version: str) -> str:
    return f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = {{ registry = "https://pypi.org/simple" }}\n\n'


_TORCH_APP = {"pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["torch>=2.5"]\n',
              "src/train.py": "import torch\n\nmodel = torch.nn.Linear(2, 1)\n"}


def test_e4_leads_with_the_model_librarys_pin_in_a_uv_lock(tmp_path: Path) -> None:
    lock = _UV_HEAD + _uv_package("certifi", "2024.8.30") + _uv_package("torch", "2.5.1")
    qs = _scan(tmp_path, {**_TORCH_APP, "uv.lock": lock})
    lead = qs["E4"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("uv.lock", 11)
    assert lead["snippet"].startswith('name = "torch"\nversion = "2.5.1"')


def test_a_uv_lock_too_large_to_parse_still_shows_a_pinned_package(tmp_path: Path) -> None:
    filler = "".join(_uv_package(f"pkg{i:05d}", f"1.0.{i}").replace("\n\n", f'\nsdist = {{ hash = "sha256:{"ab" * 32}" }}\n\n')
                     for i in range(9000))
    lock = _UV_HEAD + filler + _uv_package("torch", "2.5.1")
    assert len(lock) > 1 << 20  # over the index's parse cap
    qs = _scan(tmp_path, {**_TORCH_APP, "uv.lock": lock})
    lead = qs["E4"]["evidence"][0]
    assert lead["path"] == "uv.lock" and lead["line"] > 1
    assert lead["snippet"].startswith('name = "torch"')


def test_a_lock_pinning_no_model_library_shows_its_first_pin(tmp_path: Path) -> None:
    lock = _UV_HEAD + _uv_package("certifi", "2024.8.30") + _uv_package("flask", "3.0.3")
    qs = _scan(tmp_path, {"pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\n', "app.py": "import flask\n", "uv.lock": lock})
    lead = qs["E4"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("uv.lock", 6) and lead["snippet"].startswith('name = "certifi"')


_BUNDLE = "bundle:\n  name: churn\n\ninclude:\n  - resources/*.yml\n\ntargets:\n  dev:\n    default: true\n"


def _ml_artifacts(model: str) -> str:
    """A Databricks MLOps Stacks ``ml-artifacts-resource.yml``: a Unity Catalog registered model with merged grants."""
    return ("grants: &grants\n  grants:\n    - privileges:\n        - EXECUTE\n      principal: account users\n\n"
            "resources:\n  registered_models:\n    model:\n" + model)


def test_t2_cites_a_bundles_registered_model_with_its_name_not_a_merged_anchor(tmp_path: Path) -> None:
    model = ("      <<: *grants\n      # the model the training job registers\n      name: churn_model\n"
             "      catalog_name: ${bundle.target}\n      schema_name: ml\n")
    qs = _scan(tmp_path, {"databricks.yml": _BUNDLE, "resources/ml-artifacts-resource.yml": _ml_artifacts(model)})
    assert qs["T2"]["answer"] == "yes"
    lead = qs["T2"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("resources/ml-artifacts-resource.yml", 9, 13)
    assert lead["snippet"] == "model:\n  name: churn_model\n  catalog_name: ${bundle.target}"
    assert "<<" not in lead["snippet"]


def test_a_merge_key_is_a_bare_line_and_a_merged_mapping_is_not() -> None:
    from mlscan.evidence import is_bare, leading_problem

    assert is_bare("      <<: *grants", "resources/x.yml")
    assert leading_problem({"path": "x.yml", "snippet": "<<: *grants\nname: churn"}).startswith("bare line")
    assert not is_bare("<<: {catalog_name: main}", "resources/x.yml")


def _upload_workflow(command: str) -> str:
    return ("on: [push]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
            "      - name: Train\n        run: python train.py\n      - name: Upload model\n        run: |\n" + command)


_FIT = 'import joblib\nfrom sklearn.linear_model import LogisticRegression\n\njoblib.dump(LogisticRegression().fit([[0], [1]], [0, 1]), "model/model.joblib")\n'


def test_t2_cites_an_upload_written_over_continued_lines_from_its_first_line(tmp_path: Path) -> None:
    command = "          aws s3 cp \\\n            model/model.tar.gz \\\n            s3://${{ secrets.BUCKET }}/models/model.tar.gz\n"
    qs = _scan(tmp_path, {".github/workflows/train.yml": _upload_workflow(command), "train.py": _FIT})
    assert qs["T2"]["answer"] == "yes"
    lead = qs["T2"]["evidence"][0]
    assert (lead["line"], lead["end_line"]) == (11, 13)
    assert lead["snippet"].startswith("aws s3 cp \\") and lead["snippet"].endswith("s3://${{ secrets.BUCKET }}/models/model.tar.gz")


def test_an_upload_on_one_line_is_cited_at_its_line(tmp_path: Path) -> None:
    command = "          echo uploading\n          aws s3 cp model/model.tar.gz s3://${{ secrets.BUCKET }}/models/model.tar.gz\n"
    qs = _scan(tmp_path, {".github/workflows/train.yml": _upload_workflow(command), "train.py": _FIT})
    lead = qs["T2"]["evidence"][0]
    assert (lead["line"], lead["end_line"]) == (12, 12) and lead["snippet"].startswith("aws s3 cp model/model.tar.gz")


def test_continued_statement_spans() -> None:
    from mlscan.evidence import continued_statement

    lines = ["set -e", "aws s3 cp \\", "  model.tar.gz \\", "  s3://b/m/", "echo done"]
    assert continued_statement(lines, 4, "run.sh") == (2, 4)
    assert continued_statement(lines, 2, "run.sh") == (2, 4)
    assert continued_statement(lines, 5, "run.sh") is None
    assert continued_statement(["x = f(a, \\", "  b)"], 2, "train.py") is None  # Python is read by its own rules


_ZENML_TRAIN = """\
    import mlflow
    from sklearn.linear_model import LogisticRegression
    from zenml import pipeline, step


    @step(experiment_tracker="mlflow")
    def model_trainer(X, y) -> float:
        model = LogisticRegression().fit(X, y)
        acc = model.score(X, y)
        mlflow.log_metric("accuracy", acc)
        return acc


    @pipeline
    def training_pipeline():
        model_trainer([[0.0], [1.0]], [0, 1])


    if __name__ == "__main__":
        training_pipeline()
    """


def _zenml_promoter(test: str) -> str:
    """A promotion step in the shape of ZenML's end-to-end template: the latest and the current model version's metrics,
    read from each version's metadata, compared before promoting."""
    return f"""\
        from typing import Any, Dict

        from zenml import Model, get_step_context, pipeline, step


        @step
        def promote_get_metrics() -> Dict[str, Any]:
            latest = get_step_context().model
            current = Model(name=latest.name, version="production")
            return {{"latest": latest.run_metadata["metrics"], "current": current.run_metadata["metrics"]}}


        @step
        def promote_metric_compare_promoter(latest_metrics: Dict[str, Any], current_metrics: Dict[str, Any], metric: str = "accuracy"):
            should_promote = True
            if {test}:
                should_promote = False
            if should_promote:
                get_step_context().model.set_stage("production", force=True)


        @pipeline
        def promote_pipeline():
            metrics = promote_get_metrics()
            promote_metric_compare_promoter(metrics["latest"], metrics["current"])


        if __name__ == "__main__":
            promote_pipeline()
        """


def test_e2_leads_with_a_zenml_promotion_comparing_two_versions_metrics(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"steps/train.py": _ZENML_TRAIN,
                          "steps/promote.py": _zenml_promoter("latest_metrics[metric] < current_metrics[metric]")})
    assert qs["E2"]["answer"] == "yes"
    lead = qs["E2"]["evidence"][0]
    assert lead["path"] == "steps/promote.py" and "latest_metrics[metric] < current_metrics[metric]" in lead["snippet"]
    assert _lead(qs["E1"])[0] == "steps/train.py"


def test_a_zenml_step_checking_a_threshold_compares_no_runs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"steps/train.py": _ZENML_TRAIN, "steps/promote.py": _zenml_promoter("latest_metrics[metric] < 0.8")})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"])[0] == "steps/train.py"


def _loop_training(params: bool) -> str:
    return ("""\
    import mlflow
    from sklearn.linear_model import LogisticRegression


    def train(X, y, params):
""" + ("        mlflow.log_params(params)\n" if params else "") + """\
        model = LogisticRegression(**params).fit(X, y)
        metrics = {"accuracy": model.score(X, y)}
        for k, v in metrics.items():
            mlflow.log_metric(k, v)
        return model


    if __name__ == "__main__":
        train([[0.0], [1.0]], [0, 1], {"C": 1.0})
    """)


def test_a_metric_loop_is_e2s_item_and_the_parameters_e1s(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _loop_training(params=True), "README.md": "# x\n\nRun `python src/train.py`.\n"})
    assert qs["E1"]["answer"] == "yes" and qs["E2"]["answer"] == "yes"
    assert _lead(qs["E1"]) == ("src/train.py", 6) and "log_params(params)" in qs["E1"]["evidence"][0]["snippet"]
    e2 = qs["E2"]["evidence"][0]
    assert (e2["line"], e2["end_line"]) == (9, 10)
    assert e2["snippet"] == "for k, v in metrics.items():\n    mlflow.log_metric(k, v)"


def test_a_metric_loop_alone_is_cited_from_its_loop_for_both(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _loop_training(params=False), "README.md": "# x\n\nRun `python src/train.py`.\n"})
    for q in ("E1", "E2"):
        lead = qs[q]["evidence"][0]
        assert (lead["line"], lead["end_line"]) == (8, 9) and lead["snippet"].startswith("for k, v in metrics.items():")


def _sfn_jobs(baseline_first: bool) -> str:
    """A Step Functions SDK workflow whose Model Monitor baseline job and training job both carry the commit as a tag."""
    baseline = """\
            baseline_step = steps.ProcessingStep("Baseline Job", processor=monitor_processor, job_name=execution_input["BaselineJobName"],
                tags={"GitCommitHash": execution_input["GitCommitHash"]},
            )
"""
    training = """\
            training_step = steps.TrainingStep("Training Job", estimator=xgb, job_name=execution_input["TrainingJobName"],
                tags={"GitCommitHash": execution_input["GitCommitHash"]},
            )
"""
    return ("""\
        from sagemaker.processing import Processor
        from sagemaker.xgboost import XGBoost
        from stepfunctions import steps
        from stepfunctions.inputs import ExecutionInput
        from stepfunctions.workflow import Workflow


        def build(role, image):
            execution_input = ExecutionInput(schema={"TrainingJobName": str, "BaselineJobName": str, "GitCommitHash": str})
            xgb = XGBoost(entry_point="train.py", role=role, instance_count=1, instance_type="ml.m5.xlarge", framework_version="1.5-1")
            monitor_processor = Processor(image_uri=image, role=role, instance_count=1, instance_type="ml.m5.xlarge")
""" + (baseline + training if baseline_first else training + baseline) + """\
            model_step = steps.ModelStep("Save Model", model=training_step.get_expected_model(), model_name=execution_input["TrainingJobName"])
            return Workflow("train", steps.Chain([baseline_step, training_step, model_step]), role, execution_input=execution_input)


        if __name__ == "__main__":
            build("role", "image").create()
        """)


def test_e3_leads_with_the_training_jobs_commit_tag_not_a_monitoring_baselines(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"workflow/pipeline.py": _sfn_jobs(baseline_first=True), "train.py": "import xgboost\n",
                          ".github/workflows/train.yml": _CI})
    assert qs["E3"]["answer"] == "yes"
    lead = qs["E3"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("workflow/pipeline.py", 16) and "GitCommitHash" in lead["snippet"]
    assert lead["context"].startswith('in training_step = steps.TrainingStep("Training Job"')


def test_a_baseline_job_alone_carrying_the_commit_is_still_cited(tmp_path: Path) -> None:
    code = _sfn_jobs(baseline_first=False).replace('                tags={"GitCommitHash": execution_input["GitCommitHash"]},\n', "", 1)
    qs = _scan(tmp_path, {"workflow/pipeline.py": code, "train.py": "import xgboost\n", ".github/workflows/train.yml": _CI})
    assert qs["E3"]["answer"] == "yes"
    lead = qs["E3"]["evidence"][0]
    assert lead["line"] == 15 and lead["context"].startswith('in baseline_step = steps.ProcessingStep("Baseline Job"')


_REGISTER = """\
    import mlflow
    from sklearn.linear_model import LogisticRegression


    def main(X, y):
        with mlflow.start_run():
            model = LogisticRegression().fit(X, y)
            mlflow.log_metric("accuracy", model.score(X, y))
            mlflow.sklearn.log_model(model, "model", registered_model_name="churn")


    if __name__ == "__main__":
        main([[0.0], [1.0]], [0, 1])
    """


def _hub_upload(repo_type: str) -> str:
    return f"""\
        from huggingface_hub import HfApi


        if __name__ == "__main__":
            HfApi().upload_folder(folder_path="{'demo' if repo_type else 'model'}", repo_id="acme/churn", {repo_type})
        """


def test_t2_leads_with_the_registry_not_a_demo_uploaded_to_a_space(tmp_path: Path) -> None:
    ci = _CI.replace("workflow/pipeline.py", "train.py").replace("workflow/compare.py", "publish.py")
    qs = _scan(tmp_path, {"train.py": _REGISTER, "publish.py": _hub_upload('repo_type="space"'), ".github/workflows/train.yml": ci})
    assert qs["T2"]["answer"] == "yes"
    assert _lead(qs["T2"])[0] == "train.py" and "registered_model_name=" in qs["T2"]["evidence"][0]["snippet"]
    assert all(e["path"] != "publish.py" for e in qs["T2"]["evidence"])


def test_a_model_folder_uploaded_to_a_model_repository_is_a_store(tmp_path: Path) -> None:
    ci = _CI.replace("workflow/pipeline.py", "publish.py").replace("workflow/compare.py", "publish.py")
    qs = _scan(tmp_path, {"publish.py": _hub_upload(""), "train.py": "import joblib\n", ".github/workflows/train.yml": ci})
    assert qs["T2"]["answer"] == "yes"
    assert _lead(qs["T2"])[0] == "publish.py"


_GETTING_STARTED = """\
    # Churn MLOps on SageMaker

    ## Getting started

    1. Deploy the SageMaker domain: `make deploy-domain`
    2. Open SageMaker Studio from the AWS console and clone this repository.
    3. Open `notebooks/01-train.ipynb` in Studio and run all cells to train and register the model.
    """


def _infra_makefile(extra: str = "") -> str:
    return ("deploy-domain:\n\taws cloudformation deploy --template-file cfn/domain.yaml --stack-name sm-domain --capabilities CAPABILITY_IAM\n\n"
            "delete-domain:\n\t@echo deleting the domain\n\taws cloudformation delete-stack --stack-name sm-domain\n" + extra)


def test_t1_leads_with_the_readmes_getting_started_not_an_infrastructure_makefile(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _GETTING_STARTED, "Makefile": _infra_makefile(), "requirements.txt": "scikit-learn==1.5.2\n",
                          "src/train.py": "from sklearn.linear_model import LogisticRegression\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"])[0] == "README.md"


def test_a_makefile_that_also_trains_is_the_projects_runner(tmp_path: Path) -> None:
    readme = "# Churn\n\nSee the docs.\n"
    qs = _scan(tmp_path, {"README.md": readme, "Makefile": _infra_makefile("\ntrain:\n\tpython src/train.py\n"),
                          "requirements.txt": "scikit-learn==1.5.2\n", "src/train.py": "from sklearn.linear_model import LogisticRegression\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"])[0] == "Makefile"
    from mlscan.detectors.docs_taskrunner import _infrastructure_only

    assert _infrastructure_only(_infra_makefile(), ["deploy-domain", "delete-domain"])
    assert not _infrastructure_only(_infra_makefile("\ntrain:\n\tpython src/train.py\n"), ["deploy-domain", "train"])


def _dummy_score(value: str) -> str:
    return f"""\
        from random import random

        import mlflow
        from sklearn.linear_model import LogisticRegression


        def main(X, y):
            with mlflow.start_run():
                mlflow.log_param("C", 1.0)
                model = LogisticRegression(C=1.0).fit(X, y)
                mlflow.log_metric("score", {value})


        if __name__ == "__main__":
            main([[0.0], [1.0]], [0, 1])
        """


def test_a_random_dummy_score_is_a_synthetic_value_capping_e2(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _dummy_score("random())  # dummy score"), "README.md": "# x\n\nRun `python src/train.py`.\n"})
    assert qs["E1"]["answer"] == "yes"  # the run and its parameters are tracked
    assert qs["E2"]["answer"] == "partial"
    assert any(c.startswith("synthetic value: every metric it logs is drawn from random") for c in qs["E2"]["evidence"][0]["caveats"])


def test_a_measured_score_has_no_synthetic_value_caveat(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _dummy_score("model.score(X, y)"), "README.md": "# x\n\nRun `python src/train.py`.\n"})
    assert qs["E2"]["answer"] == "yes"
    assert not any(c.startswith("synthetic value") for c in qs["E2"]["evidence"][0]["caveats"])


def _deploy_action(stage: str, stack: str, template: str) -> str:
    return f"""\
        - Name: {stage}
          Actions:
            - Name: {stage}
              ActionTypeId:
                Category: Deploy
                Owner: AWS
                Version: "1"
                Provider: CloudFormation
              InputArtifacts:
                - Name: BuildArtifact
              Configuration:
                ActionMode: REPLACE_ON_FAILURE
                RoleArn: !GetAtt DeployRole.Arn
                StackName: !Sub ${{AWS::StackName}}-{stack}
                TemplatePath: BuildArtifact::{template}
"""


def _codepipeline(*stages: str) -> str:
    """A CloudFormation CodePipeline as the SageMaker MLOps project templates write it: a source stage, then deploy
    stages each applying a CloudFormation stack built by an earlier stage."""
    head = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId:
                Category: Source
                Owner: AWS
                Version: "1"
                Provider: CodeCommit
              Configuration:
                RepositoryName: churn
                BranchName: main
              OutputArtifacts:
                - Name: BuildArtifact
"""
    return head + "".join(textwrap.indent(textwrap.dedent(s), "        ") for s in stages)


_ENDPOINT = "Resources:\n  Endpoint:\n    Type: AWS::SageMaker::Endpoint\n    Properties:\n      EndpointConfigName: !Ref Config\n"


def test_m2_leads_with_the_action_deploying_the_model_stack_at_its_stack_lines(tmp_path: Path) -> None:
    pipeline = _codepipeline(_deploy_action("DeployTrainingWorkflow", "training-workflow", "training-workflow.yaml"),
                             _deploy_action("DeployModelDev", "deploy-model-dev", "endpoint-config.yml"))
    qs = _scan(tmp_path, {"pipeline.yml": pipeline, "endpoint-config.yml": _ENDPOINT})
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    shown = lead["snippet"]
    assert "Category:" not in shown and "Owner:" not in shown and 'Version: "1"' not in shown
    assert "deploy-model-dev" in shown or "endpoint-config.yml" in shown


def test_a_pipeline_deploying_only_its_training_workflow_still_cites_that_action(tmp_path: Path) -> None:
    pipeline = _codepipeline(_deploy_action("DeployTrainingWorkflow", "training-workflow", "training-workflow.yaml"))
    qs = _scan(tmp_path, {"pipeline.yml": pipeline, "endpoint-config.yml": _ENDPOINT})
    lead = qs["M2"]["evidence"][0] if qs["M2"]["evidence"] else None
    assert lead is None or "Category:" not in lead["snippet"]


def _bundle_job(train_depends: str) -> str:
    """A Databricks asset bundle's training job (MLOps Stacks' ``model-workflow-resource.yml`` shape)."""
    return f"""\
resources:
  jobs:
    model_training_job:
      name: churn-model-training
      tasks:
        - task_key: FeatureEngineering
          notebook_task:
            notebook_path: ../feature_engineering/notebooks/GenerateAndWriteFeatures.py
            base_parameters:
              input_table_path: /databricks-datasets/churn/raw
              output_table_name: main.churn.features
        - task_key: Train
{train_depends}          notebook_task:
            notebook_path: ../training/notebooks/Train.py
            base_parameters:
              training_data_path: /databricks-datasets/churn/raw
              model_name: churn_model
"""


def test_d3_leads_with_the_training_tasks_edge_not_its_data_parameter(tmp_path: Path) -> None:
    job = _bundle_job("          depends_on:\n            - task_key: FeatureEngineering\n")
    qs = _scan(tmp_path, {"databricks.yml": _BUNDLE, "resources/model-workflow-resource.yml": job})
    assert qs["D3"]["answer"] == "yes"
    lead = qs["D3"]["evidence"][0]
    assert lead["path"] == "resources/model-workflow-resource.yml"
    assert lead["snippet"] == "- task_key: Train\n  depends_on:\n    - task_key: FeatureEngineering"
    assert lead["context"].endswith("tasks[Train].depends_on: FeatureEngineering")
    assert any("training_data_path" in e["snippet"] for e in qs["D3"]["evidence"][1:])


def test_a_training_task_waiting_for_nothing_is_cited_at_the_data_it_reads(tmp_path: Path) -> None:
    job = _bundle_job("").replace("        - task_key: FeatureEngineering", "        - task_key: Validate\n          depends_on:\n"
                                  "            - task_key: Train\n          notebook_task:\n            notebook_path: ../validation/Validate.py\n"
                                  "        - task_key: FeatureEngineering")
    qs = _scan(tmp_path, {"databricks.yml": _BUNDLE, "resources/model-workflow-resource.yml": job})
    assert qs["D3"]["answer"] == "yes"
    assert "training_data_path" in qs["D3"]["evidence"][0]["snippet"]
