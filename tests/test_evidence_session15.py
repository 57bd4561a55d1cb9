"""The not-shown leads of session 14's blind samples (issue #17, session 15, evidF), rebuilt as small repositories from how
the platforms write these files: each positive shows the deciding line a reviewer needs, each near miss the shape that
must stay as it was."""

from __future__ import annotations

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
