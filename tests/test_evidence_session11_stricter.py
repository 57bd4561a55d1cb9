"""The causes of the session-10 final blind evidence audits (issue #17, session 11): a stricter question leads with its
own extra requirement (D2 the model call a logged data version is linked to; E2 a metric, not a hyperparameter logged
through a metric API), code a container component runs by module name carries no ``unreached`` caveat, and the copy of
a file that a job runs leads before a same-named copy nothing runs. Each case scans a small repository; near misses check
the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- D2: the model the data version is linked to

_LOGGED_DATA = """\
    import mlflow
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score


    def train(train_df, test_df):
        with mlflow.start_run():
            clf = RandomForestClassifier().fit(train_df.drop("label", axis=1), train_df["label"])
            accuracy = accuracy_score(test_df["label"], clf.predict(test_df.drop("label", axis=1)))
            mlflow.log_metric("accuracy", accuracy)
            mlflow.sklearn.log_model(clf, artifact_path="model", registered_model_name="spam-detector")
            train_df.to_csv("temp/train.csv", index=False)
            mlflow.log_artifact("temp/train.csv", "dataset")


    if __name__ == "__main__":
        train(None, None)
    """


def test_d2_leads_with_the_model_call_its_logged_data_version_is_linked_to(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _LOGGED_DATA, "README.md": "# Spam\n\nRun `python src/train.py`.\n"})
    assert qs["D1"]["answer"] == "yes" and qs["D2"]["answer"] == "yes"
    assert _lead(qs["D1"]) == ("src/train.py", 13)  # D1: the data logged with the run
    assert _lead(qs["D2"]) == ("src/train.py", 11)  # D2: the registered model it is logged with
    assert "registered_model_name" in qs["D2"]["evidence"][0]["snippet"]
    assert ("src/train.py", 13) in [(e["path"], e["line"]) for e in qs["D2"]["evidence"]]  # the data item beside it


def test_d2_without_a_model_call_is_not_yes(tmp_path: Path) -> None:
    no_model = _LOGGED_DATA.replace(
        '            mlflow.sklearn.log_model(clf, artifact_path="model", registered_model_name="spam-detector")\n', "")
    qs = _scan(tmp_path, {"src/train.py": no_model, "README.md": "# Spam\n\nRun `python src/train.py`.\n"})
    assert qs["D1"]["answer"] == "yes"
    assert qs["D2"]["answer"] != "yes"


# ---------------------------------------------------------------- E2: a metric is computed, a parameter is an input

_AML_TRAIN = """\
    import argparse

    import xgboost as xgb
    from azureml.core import Run
    from sklearn.metrics import roc_auc_score

    run = Run.get_context()


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--max_depth", type=int, default=1)
        args = parser.parse_args()
        run.log("max_depth", float(args.max_depth))
        model = xgb.XGBClassifier(max_depth=args.max_depth).fit(X_train, y_train)
        auc_score = roc_auc_score(y_test, model.predict(X_test))
        run.log("auc", round(auc_score, 4))


    if __name__ == "__main__":
        main()
    """

_AML_JOB = """\
    $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
    code: src
    command: python train.py --max_depth 3
    environment: azureml:xgb-env@latest
    compute: azureml:cpu-cluster
    experiment_name: churn
    """


def test_e2_leads_with_the_metric_computed_from_predictions_not_a_logged_hyperparameter(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"jobs/src/train.py": _AML_TRAIN, "jobs/train.yml": _AML_JOB})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("jobs/src/train.py", 17)
    assert 'run.log("auc"' in qs["E2"]["evidence"][0]["snippet"]
    assert _lead(qs["E1"])[0] == "jobs/src/train.py"


def test_e2_of_a_run_logging_only_hyperparameters_cites_no_metric_item(tmp_path: Path) -> None:
    only_params = _AML_TRAIN.replace('        run.log("auc", round(auc_score, 4))\n', "        print(auc_score)\n")
    qs = _scan(tmp_path, {"jobs/src/train.py": only_params, "jobs/train.yml": _AML_JOB})
    cited = [e["snippet"] for e in qs["E2"]["evidence"]] if qs["E2"]["evidence"] else []
    assert not any('"auc"' in s for s in cited)
    assert all("max_depth" in s or "run" in s.lower() for s in cited[:1])


# ---------------------------------------------------------------- the copy a job runs

_REGISTER = """\
    from azureml.core import Run

    run = Run.get_context()
    last_run = run.parent
    last_run.register_model(model_name="churn-model", model_path="outputs/model.pickle")
    """


def test_the_copy_a_job_runs_leads_before_a_legacy_copy_of_the_same_name(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "azureml-legacy/src/register.py": _REGISTER,
        "azureml-legacy/README.md": "# Legacy\n\nThe old pipeline ran `register.py` after training.\n",
        "jobs/src/register.py": _REGISTER,
        "jobs/register.yml": _AML_JOB.replace("python train.py --max_depth 3", "python register.py"),
    })
    assert qs["T2"]["answer"] in ("yes", "partial")
    assert _lead(qs["T2"])[0] == "jobs/src/register.py"


def test_when_jobs_run_both_copies_they_keep_their_path_order(tmp_path: Path) -> None:
    job = _AML_JOB.replace("python train.py --max_depth 3", "python register.py")
    qs = _scan(tmp_path, {
        "azureml-legacy/src/register.py": _REGISTER,
        "azureml-legacy/register.yml": job,
        "jobs/src/register.py": _REGISTER,
        "jobs/register.yml": job,
    })
    assert _lead(qs["T2"])[0] == "azureml-legacy/src/register.py"


def test_e2_leads_with_the_loop_logging_the_metrics_dict_not_the_one_logging_the_training_args(tmp_path: Path) -> None:
    train = """\
        import json

        from azureml.core import Run
        from sklearn.linear_model import Ridge
        from sklearn.metrics import mean_squared_error

        run = Run.get_context()


        def main():
            train_args = json.load(open("parameters.json"))["training"]
            for (k, v) in train_args.items():
                run.log(k, v)
            model = Ridge(**train_args).fit(X_train, y_train)
            metrics = {"mse": mean_squared_error(y_test, model.predict(X_test))}
            for (k, v) in metrics.items():
                run.log(k, v)


        if __name__ == "__main__":
            main()
        """
    qs = _scan(tmp_path, {"jobs/src/train.py": train, "jobs/train.yml": _AML_JOB})
    assert qs["E2"]["answer"] == "yes"
    # (cited from its loop through the call since session 15: ``for (k, v) in metrics.items():`` names what is logged)
    assert _lead(qs["E2"]) == ("jobs/src/train.py", 16) and qs["E2"]["evidence"][0]["end_line"] == 17
    assert _lead(qs["E1"]) == ("jobs/src/train.py", 13)  # E1: the run's first logging, the parameters


# ---------------------------------------------------------------- a tracker the component itself installs

_KFP_REGISTER = """\
    from functools import partial

    from kfp.components import InputPath, create_component_from_func


    @partial(create_component_from_func, packages_to_install=["dill==0.3.4", "mlflow==1.28.0"])
    def upload_model(model_path: InputPath("dill")):
        import dill
        import mlflow

        model = dill.load(open(model_path, "rb"))
        with mlflow.start_run():
            mlflow.log_metric("accuracy", model.accuracy)
            mlflow.pyfunc.log_model(python_model=model, artifact_path="model", registered_model_name="clf")
    """


def _caveats(qs: dict, qid: str) -> list[str]:
    return [c for e in qs[qid]["evidence"] if e["path"] == "components/register.py" for c in e.get("caveats") or []]


def test_a_tracker_a_kfp_component_installs_is_not_install_gated(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"components/register.py": _KFP_REGISTER, "requirements.txt": "kfp==1.8.9\n# mlflow==1.28.0\n"})
    assert not any(c.startswith("install-gated") for c in _caveats(qs, "E1"))


def test_a_tracker_only_commented_out_of_the_requirements_is_install_gated(tmp_path: Path) -> None:
    bare = _KFP_REGISTER.replace('packages_to_install=["dill==0.3.4", "mlflow==1.28.0"]', 'packages_to_install=["dill==0.3.4"]')
    qs = _scan(tmp_path, {"components/register.py": bare, "requirements.txt": "kfp==1.8.9\n# mlflow==1.28.0\n"})
    assert any(c.startswith("install-gated") for c in _caveats(qs, "E1"))


# ---------------------------------------------------------------- a test fixture's DVC pipeline is not the project's

def _dvc_repo(lock_at: str) -> dict[str, str]:
    from .test_evidence_deciding import DVC_LOCK, DVC_YAML

    return {"dvc.yaml": DVC_YAML, lock_at: DVC_LOCK, "tests/fixtures/pipeline/dvc.yaml": DVC_YAML,
            "src/train.py": "import pickle\nprint('train')\n", "src/prepare.py": "print('prepare')\n"}


def test_a_test_fixtures_dvc_lock_links_no_model_and_versions_no_code(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dvc_repo("tests/fixtures/pipeline/dvc.lock"))
    assert qs["D2"]["answer"] != "yes" and qs["E3"]["answer"] != "yes"
    assert not any(e["path"].startswith("tests/") for q in qs.values() for e in q["evidence"] if q["id"] in ("D1", "D2", "D3", "E3"))
    assert qs["D3"]["answer"] == "yes" and qs["D3"]["evidence"][0]["path"] == "dvc.yaml"  # the project's own pipeline


def test_the_projects_own_dvc_lock_still_links_the_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dvc_repo("dvc.lock"))
    assert qs["D2"]["answer"] == "yes" and qs["D2"]["evidence"][0]["path"] == "dvc.lock"


# ---------------------------------------------------------------- O3: a model alert, a receiver that reaches someone

_ALERT_RULES = """\
    groups:
      - name: api
        rules:
          - alert: HighLatency
            expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5
            for: 2m
          - alert: ModelPredictionErrors
            expr: rate(model_prediction_errors_total[5m]) > 0.05
            for: 5m
    """


def _alertmanager(receiver: str) -> str:
    return ("route:\n  receiver: team\nreceivers:\n  - name: team\n" + "".join(f"    {line}\n" for line in receiver.splitlines()))


_PLACEHOLDER_RECEIVER = """\
email_configs:
  - to: oncall@example.com
slack_configs:
  - api_url: https://hooks.slack.com/services/YOUR/WEBHOOK/URL
    channel: '#alerts'
webhook_configs:
  - url: http://localhost:5001/webhook"""


def test_o3_with_receivers_left_for_the_reader_is_partial_and_leads_with_the_model_alert(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"prometheus/rules/alerts.yml": _ALERT_RULES, "alertmanager/alertmanager.yml": _alertmanager(_PLACEHOLDER_RECEIVER)})
    assert qs["O3"]["answer"] == "partial"
    assert _lead(qs["O3"]) == ("prometheus/rules/alerts.yml", 7)  # ModelPredictionErrors before HighLatency
    assert any(c.startswith("placeholder") for c in qs["O3"]["evidence"][0]["caveats"])


def test_o3_with_a_real_receiver_or_one_filled_in_at_deploy_time_is_yes(tmp_path: Path) -> None:
    real = "slack_configs:\n  - api_url: https://hooks.slack.com/services/T0AB12CD/B0EF34GH/q1w2e3r4t5y6\n    channel: '#ml-alerts'"
    qs = _scan(tmp_path / "real", {"prometheus/rules/alerts.yml": _ALERT_RULES, "alertmanager/alertmanager.yml": _alertmanager(real)})
    assert qs["O3"]["answer"] == "yes"
    assert _lead(qs["O3"]) == ("prometheus/rules/alerts.yml", 7)
    env = "email_configs:\n  - to: ${ONCALL_EMAIL}\n  - to: oncall@example.com"
    qs = _scan(tmp_path / "env", {"prometheus/rules/alerts.yml": _ALERT_RULES, "alertmanager/alertmanager.yml": _alertmanager(env)})
    assert qs["O3"]["answer"] == "yes"


# ---------------------------------------------------------------- E2: the tracked runs are the ones the workflow makes

_TRACKED_BY_HAND = """\
    import mlflow
    from sklearn.ensemble import IsolationForest


    def train(X):
        with mlflow.start_run():
            model = IsolationForest().fit(X)
            mlflow.log_metric("mean_anomaly_score", float(-model.score_samples(X).mean()))
            mlflow.sklearn.log_model(model, artifact_path="model")


    if __name__ == "__main__":
        train(None)
    """

_UNTRACKED_CI_TRAIN = """\
    import joblib
    from sklearn.ensemble import IsolationForest


    def main(X):
        model = IsolationForest().fit(X)
        joblib.dump(model, "model.joblib")


    if __name__ == "__main__":
        main(None)
    """

_CI = ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
       "      - run: python scripts/train_ci.py\n")


def test_e2_of_metrics_logged_only_by_a_script_nothing_runs_while_ci_trains_untracked_is_partial(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"scripts/model/train_tracked.py": _TRACKED_BY_HAND, "scripts/train_ci.py": _UNTRACKED_CI_TRAIN,
                          ".github/workflows/build.yml": _CI})
    assert qs["E2"]["answer"] == "partial"
    assert any(c.startswith("unreached") for c in qs["E2"]["evidence"][0]["caveats"])


def test_e2_of_a_lone_tracked_script_run_by_hand_stays_yes(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"scripts/model/train_tracked.py": _TRACKED_BY_HAND})
    assert qs["E2"]["answer"] == "yes"
