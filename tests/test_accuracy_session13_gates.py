"""Session 12's final blind samples' M4 misses (issue #13, session 13, part 1), fixed generally: a champion/challenger
check before a promotion by file copy, and a metric verdict passed to the deploying job as a flag. Each case scans a
small repository written the way the platforms' docs write it; each near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

_TRAIN = """\
    import json

    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split


    def main() -> None:
        df = pd.read_csv("data/train.csv")
        X_train, X_test, y_train, y_test = train_test_split(df.drop(columns=["label"]), df["label"], test_size=0.2)
        model = RandomForestClassifier(n_estimators=100).fit(X_train, y_train)
        joblib.dump(model, "models/candidate.joblib")
        with open("models/candidate_metrics.json", "w") as f:
            json.dump({"accuracy": accuracy_score(y_test, model.predict(X_test))}, f)


    if __name__ == "__main__":
        main()
    """
_REQS = "pandas==2.2.0\nscikit-learn==1.4.0\njoblib==1.3.2\n"

# ---------------------------------------------------------------- M4: champion/challenger before a file-copy promotion

_UPDATE = """\
    import json
    import os
    import shutil


    def load_metric(path: str) -> float:
        with open(path) as f:
            return json.load(f)["accuracy"]


    def update_model_if_better(candidate: str, production: str) -> bool:
        new_acc = load_metric("models/candidate_metrics.json")
        if os.path.exists("models/production/metrics.json"):
            current_acc = load_metric("models/production/metrics.json")
{check}
        shutil.copy(candidate, production)
        shutil.copy("models/candidate_metrics.json", "models/production/metrics.json")
        return True


    if __name__ == "__main__":
        update_model_if_better("models/candidate.joblib", "models/production/model.joblib")
    """
_BETTER_OR_RETURN = """\
            if new_acc <= current_acc:
                print(f"keeping the current model: {new_acc:.3f} <= {current_acc:.3f}")
                return False"""
_LOGGED_ONLY = """\
            if new_acc <= current_acc:
                print(f"the new model is not better: {new_acc:.3f} <= {current_acc:.3f}")"""
_ZERO = """\
            if new_acc < 0:
                return False"""
_TRAIN_CI = """\
    name: train
    on:
      push:
        branches: [main]
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: python src/train.py
          - run: python src/update_model.py
          - uses: actions/upload-artifact@v4
            with:
              name: model
              path: models/production
    """


def _copy_gate(tmp_path: Path, check: str, ci: bool = True) -> str:
    files = {"src/train.py": _TRAIN, "src/update_model.py": _UPDATE.format(check=check), "requirements.txt": _REQS}
    if ci:
        files[".github/workflows/train.yml"] = _TRAIN_CI
    return str(_scan(tmp_path, files)["M4"]["answer"])


def test_a_champion_challenger_check_before_a_file_copy_promotion_is_a_gate(tmp_path: Path) -> None:
    assert _copy_gate(tmp_path, _BETTER_OR_RETURN) == "yes"


def test_a_copy_only_when_better_is_a_gate(tmp_path: Path) -> None:
    check = """\
            if new_acc > current_acc:
                shutil.copy(candidate, production)
                return True
            return False"""
    assert _copy_gate(tmp_path, check) == "yes"


def test_a_comparison_that_is_only_logged_gates_nothing(tmp_path: Path) -> None:
    assert _copy_gate(tmp_path, _LOGGED_ONLY) == "no"


def test_a_threshold_every_score_meets_gates_nothing(tmp_path: Path) -> None:
    assert _copy_gate(tmp_path, _ZERO) == "partial"


def test_a_file_copy_gate_run_by_hand_only_is_not_automated(tmp_path: Path) -> None:
    assert _copy_gate(tmp_path, _BETTER_OR_RETURN, ci=False) == "partial"


# ---------------------------------------------------------------- M4: a verdict passed as a job output to the CD job

_COMPARE = """\
    import json


    def main() -> None:
        with open("models/candidate_metrics.json") as f:
            new = json.load(f)["accuracy"]
        with open("models/production_metrics.json") as f:
            current = json.load(f)["accuracy"]
        better = new {op} current
        print("true" if better else "false")


    if __name__ == "__main__":
        main()
    """
_FLAG_CI = """\
    name: ml
    on:
      push:
        branches: [main]
    jobs:
      train:
        runs-on: ubuntu-latest
        outputs:
          is_better: ${{{{ steps.compare.outputs.is_better }}}}
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: python src/train.py
          - name: Compare with production
            id: compare
            run: |
              RESULT=$(python src/compare.py)
              echo "is_better=$RESULT" >> "$GITHUB_OUTPUT"
      deploy:
        needs: train
{cond}
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: google-github-actions/auth@v2
            with:
              credentials_json: ${{{{ secrets.GCP_SA_KEY }}}}
          - uses: google-github-actions/deploy-cloudrun@v2
            with:
              service: model-api
              source: .
    """


def _flag_gate(tmp_path: Path, cond: str, op: str = ">") -> dict:
    files = {"src/train.py": _TRAIN, "src/compare.py": _COMPARE.format(op=op), "requirements.txt": _REQS,
             ".github/workflows/ml.yml": _FLAG_CI.format(cond=cond)}
    return _scan(tmp_path, files)["M4"]


def test_a_deploy_job_run_only_on_the_comparison_flag_is_gated(tmp_path: Path) -> None:
    m4 = _flag_gate(tmp_path, "        if: needs.train.outputs.is_better == 'true'")
    assert m4["answer"] == "yes"
    assert (m4["evidence"][0]["path"], m4["evidence"][0]["line"]) == ("src/compare.py", 9)


def test_a_deploy_job_that_ignores_the_flag_is_not_gated(tmp_path: Path) -> None:
    assert _flag_gate(tmp_path, "")["answer"] == "no"


def test_a_flag_or_another_condition_is_not_a_gate(tmp_path: Path) -> None:
    cond = "        if: needs.train.outputs.is_better == 'true' || github.event_name == 'push'"
    assert _flag_gate(tmp_path, cond)["answer"] == "no"


def test_a_flag_that_compares_no_metric_is_not_a_gate(tmp_path: Path) -> None:
    # ``new == current`` orders nothing: no metric threshold decides the flag
    assert _flag_gate(tmp_path, "        if: needs.train.outputs.is_better == 'true'", op="==")["answer"] == "no"


def test_a_step_deploying_on_an_earlier_steps_flag_is_gated(tmp_path: Path) -> None:
    ci = """\
        name: ml
        on:
          push:
            branches: [main]
        jobs:
          train-and-deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: python src/train.py
              - name: Compare
                id: compare
                run: |
                  NEW_ACC=$(jq .accuracy models/candidate_metrics.json)
                  OLD_ACC=$(jq .accuracy models/production_metrics.json)
                  if (( $(echo "$NEW_ACC > $OLD_ACC" | bc -l) )); then echo "better=true" >> "$GITHUB_OUTPUT"; fi
              - name: Deploy
                if: {cond}
                uses: google-github-actions/deploy-cloudrun@v2
                with:
                  service: model-api
                  source: .
        """
    for cond, want in (("steps.compare.outputs.better == 'true'", "yes"), ("always()", "no")):
        files = {"src/train.py": _TRAIN, "requirements.txt": _REQS, ".github/workflows/ml.yml": ci.format(cond=cond)}
        assert _scan(tmp_path / want, files)["M4"]["answer"] == want


# ---------------------------------------------------------------- M4: an Airflow task's threshold before the publishing task

_TASKS = """\
    import json
    import shutil

    import joblib
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    ACCURACY_THRESHOLD = {threshold}


    def train_model() -> None:
        df = pd.read_csv("/opt/airflow/data/train.csv")
        joblib.dump(LogisticRegression().fit(df.drop(columns=["y"]), df["y"]), "/opt/airflow/models/candidate.pkl")


    def check_accuracy() -> None:
        with open("/opt/airflow/models/metrics.json") as f:
            acc = json.load(f)["accuracy"]
        if acc < ACCURACY_THRESHOLD:
            {fail}(f"accuracy {{acc:.3f}} below {{ACCURACY_THRESHOLD}}")


    def model_is_good_enough() -> bool:
        with open("/opt/airflow/models/metrics.json") as f:
            acc = json.load(f)["accuracy"]
        return acc >= ACCURACY_THRESHOLD


    def publish_model() -> None:
        shutil.copy("/opt/airflow/models/candidate.pkl", "/opt/airflow/serving/model.pkl")
    """
_DAG = """\
    from datetime import datetime

    from airflow import DAG
    from airflow.operators.python import PythonOperator, ShortCircuitOperator

    from src.tasks import check_accuracy, model_is_good_enough, publish_model, train_model

    with DAG("retrain_model", start_date=datetime(2024, 1, 1), schedule="@weekly", catchup=False) as dag:
        train = PythonOperator(task_id="train_model", python_callable=train_model)
        gate = {gate}
        publish = PythonOperator(task_id="publish_model", python_callable=publish_model{rule})
        {order}
    """
_RAISE = 'PythonOperator(task_id="check_accuracy", python_callable=check_accuracy)'
_SHORT = 'ShortCircuitOperator(task_id="check_accuracy", python_callable=model_is_good_enough)'


def _airflow_gate(tmp_path: Path, gate: str = _RAISE, *, threshold: str = "0.85", fail: str = "raise ValueError", rule: str = "",
                  order: str = "train >> gate >> publish") -> str:
    files = {"src/__init__.py": "", "src/tasks.py": _TASKS.format(threshold=threshold, fail=fail),
             "dags/retrain_dag.py": _DAG.format(gate=gate, rule=rule, order=order),
             "requirements.txt": "apache-airflow==2.9.0\n" + _REQS}
    return str(_scan(tmp_path, files)["M4"]["answer"])


def test_an_airflow_task_raising_below_a_threshold_before_the_publish_task_is_a_gate(tmp_path: Path) -> None:
    assert _airflow_gate(tmp_path) == "yes"


def test_an_imported_short_circuit_verdict_before_the_publish_task_is_a_gate(tmp_path: Path) -> None:
    assert _airflow_gate(tmp_path, _SHORT) == "yes"


def test_an_airflow_threshold_that_only_logs_is_not_a_gate(tmp_path: Path) -> None:
    assert _airflow_gate(tmp_path, fail="print") == "no"


def test_a_publish_task_that_runs_whatever_the_check_did_is_not_gated(tmp_path: Path) -> None:
    assert _airflow_gate(tmp_path, rule=', trigger_rule="all_done"') == "no"


def test_an_airflow_check_after_the_publish_task_is_not_a_gate(tmp_path: Path) -> None:
    assert _airflow_gate(tmp_path, order="train >> publish >> gate") == "no"


def test_an_airflow_threshold_of_zero_is_not_a_gate(tmp_path: Path) -> None:
    assert _airflow_gate(tmp_path, threshold="0") == "no"
    assert _airflow_gate(tmp_path / "short", _SHORT, threshold="0") == "no"


def test_a_taskflow_task_raising_below_a_threshold_before_the_upload_is_a_gate(tmp_path: Path) -> None:
    dag = """\
        from datetime import datetime

        import boto3
        from airflow.decorators import dag, task
        from airflow.exceptions import AirflowFailException


        @dag(schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False)
        def retrain():
            @task
            def train() -> dict:
                from sklearn.linear_model import LogisticRegression
                model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
                return {"accuracy": model.score([[0.0], [1.0]], [0, 1])}

            @task
            def validate(metrics: dict) -> dict:
                if metrics["accuracy"] < 0.9:
                    raise AirflowFailException("model below the accuracy threshold")
                return metrics

            @task
            def upload_model(metrics: dict) -> None:
                boto3.client("s3").upload_file("model.pkl", "models-bucket", "production/model.pkl")

            upload_model(validate(train()))


        retrain()
        """
    assert _scan(tmp_path, {"dags/retrain.py": dag, "requirements.txt": "apache-airflow==2.9.0\n" + _REQS})["M4"]["answer"] == "yes"


_GITLAB = """\
    stages: [train, deploy]

    train:
      stage: train
      image: python:3.11
      script:
        - pip install -r requirements.txt
        - python src/train.py
        - echo "IS_BETTER=$(python src/compare.py)" >> deploy.env
      artifacts:
        reports:
          dotenv: deploy.env

    deploy:
      stage: deploy
      image: google/cloud-sdk:slim
      needs: [train]
      script:
    {guard}
        - gcloud run deploy model-api --source . --region europe-west1
      rules:
        - if: $CI_COMMIT_BRANCH == "main"
    """


def _gitlab_gate(tmp_path: Path, guard: str) -> str:
    files = {"src/train.py": _TRAIN, "src/compare.py": _COMPARE.format(op=">"), "requirements.txt": _REQS,
             ".gitlab-ci.yml": _GITLAB.format(guard=guard)}
    return str(_scan(tmp_path, files)["M4"]["answer"])


def test_a_gitlab_deploy_that_exits_unless_the_dotenv_flag_is_true_is_gated(tmp_path: Path) -> None:
    guard = """    - if [ "$IS_BETTER" != "true" ]; then echo "the new model is not better"; exit 0; fi"""
    assert _gitlab_gate(tmp_path, guard) == "yes"
    assert _gitlab_gate(tmp_path / "or", """    - '[ "$IS_BETTER" = "true" ] || exit 0'""") == "yes"


def test_a_gitlab_deploy_that_ignores_the_dotenv_flag_is_not_gated(tmp_path: Path) -> None:
    assert _gitlab_gate(tmp_path, """    - echo "is better: $IS_BETTER\"""") == "no"
    # the wrong way round: it stops when the new model is better
    assert _gitlab_gate(tmp_path / "inverted", """    - '[ "$IS_BETTER" = "true" ] && exit 0'""") == "no"


def test_a_script_printing_the_output_line_into_github_output_is_a_gate(tmp_path: Path) -> None:
    compare = _COMPARE.format(op=">").replace('print("true" if better else "false")', 'print(f"is_better={str(better).lower()}")')
    ci = _FLAG_CI.format(cond="        if: needs.train.outputs.is_better == 'true'").replace(
        'RESULT=$(python src/compare.py)\n              echo "is_better=$RESULT" >> "$GITHUB_OUTPUT"', 'python src/compare.py >> "$GITHUB_OUTPUT"')
    assert 'python src/compare.py >> "$GITHUB_OUTPUT"' in ci
    files = {"src/train.py": _TRAIN, "src/compare.py": compare, "requirements.txt": _REQS, ".github/workflows/ml.yml": ci}
    assert _scan(tmp_path, files)["M4"]["answer"] == "yes"


_RETRAIN = """\
    import json

    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score


    def update_model_if_better(train_path: str, test_path: str, model_path: str = "models/production/model.joblib") -> None:
        train, test = pd.read_csv(train_path), pd.read_csv(test_path)
        new_model = RandomForestClassifier().fit(train.drop(columns=["y"]), train["y"])
        new_f1 = f1_score(test["y"], new_model.predict(test.drop(columns=["y"])))
        current_model = joblib.load(model_path)
        current_f1 = f1_score(test["y"], current_model.predict(test.drop(columns=["y"])))
        if new_f1 > current_f1:
{then}
            joblib.dump(new_model, model_path)


    if __name__ == "__main__":
        update_model_if_better("data/train.csv", "data/test.csv")
    """


def test_saving_the_new_model_over_the_served_one_only_when_better_is_a_gate(tmp_path: Path) -> None:
    ci = _TRAIN_CI.replace("python src/train.py", "python src/retrain.py").replace("          - run: python src/update_model.py\n", "")
    files = {"src/retrain.py": _RETRAIN.format(then=""), "requirements.txt": _REQS, ".github/workflows/train.yml": ci}
    assert _scan(tmp_path, files)["M4"]["answer"] == "yes"
    # a running best (the branch moves the baseline along): a checkpoint of the best so far, no gate
    files["src/retrain.py"] = _RETRAIN.format(then="            current_f1 = new_f1")
    assert _scan(tmp_path / "running", files)["M4"]["answer"] == "no"


def test_a_bash_task_running_a_script_that_exits_below_a_threshold_is_a_gate(tmp_path: Path) -> None:
    check = """\
        import json
        import sys

        MIN_AUC = {threshold}

        with open("/opt/airflow/models/metrics.json") as f:
            auc = json.load(f)["auc"]
        if auc < MIN_AUC:
            {stop}
        """
    dag = _DAG.format(gate='BashOperator(task_id="check_auc", bash_command="python /opt/airflow/scripts/check_auc.py")', rule="",
                      order="train >> gate >> publish").replace(
        "from airflow.operators.python import", "from airflow.operators.bash import BashOperator\n    from airflow.operators.python import")
    for threshold, stop, want in (("0.8", 'sys.exit(f"AUC {auc:.3f} below {MIN_AUC}")', "yes"), ("0.8", 'print("low AUC")', "no"),
                                  ("0", "sys.exit(1)", "no")):
        files = {"src/__init__.py": "", "src/tasks.py": _TASKS.format(threshold="0.85", fail="raise ValueError"),
                 "dags/retrain_dag.py": dag, "scripts/check_auc.py": check.format(threshold=threshold, stop=stop),
                 "requirements.txt": "apache-airflow==2.9.0\n" + _REQS}
        # the DAG's own python callables hold no check here: only the bash task's script decides
        files["dags/retrain_dag.py"] = files["dags/retrain_dag.py"].replace("check_accuracy, model_is_good_enough, ", "")
        assert _scan(tmp_path / f"{threshold}-{want}", files)["M4"]["answer"] == want, (threshold, stop)
