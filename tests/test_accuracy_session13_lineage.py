"""Session 12's final blind samples' D3 false yes (issue #13, session 13, part 1): a batch prediction flow (load a model,
read input, write predictions) is no lineage from raw data to a model's input; a flow that trains and then predicts
still is. Each case scans a small repository written the way the orchestrators' docs write flows."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

_TRAIN_SCRIPT = """\
    import joblib
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv("data/customers.csv")
    joblib.dump(LogisticRegression().fit(df.drop(columns=["churn"]), df["churn"]), "models/churn_model.pkl")
    """
_REQS = "pandas==2.2.0\nscikit-learn==1.4.0\njoblib==1.3.2\n"

_PREFECT = """\
    import joblib
    import pandas as pd
    from prefect import flow, task


    @task
    def {first}


    @task
    def read_input(path: str) -> pd.DataFrame:
        return pd.read_csv(path)


    @task
    def predict(model, df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        out["prediction"] = model.predict(df)
        return out


    @task
    def write_predictions(df: pd.DataFrame, path: str) -> None:
        df.to_csv(path, index=False)


    @flow(name="batch-scoring")
    def batch_predict(input_path: str = "data/new_customers.csv", output_path: str = "data/predictions.csv") -> None:
        {model}
        df = read_input(input_path)
        write_predictions(predict(model, df), output_path)


    if __name__ == "__main__":
        batch_predict()
    """
_LOAD = """load_model(path: str):
        return joblib.load(path)"""
_FIT = """train_model(df: pd.DataFrame):
        from sklearn.linear_model import LogisticRegression
        model = LogisticRegression().fit(df.drop(columns=["churn"]), df["churn"])
        joblib.dump(model, "models/churn_model.pkl")
        return model"""


def _d3(tmp_path: Path, files: dict[str, str]) -> str:
    return str(_scan(tmp_path, {"train.py": _TRAIN_SCRIPT, "models/churn_model.pkl": "x", "requirements.txt": _REQS, **files})["D3"]["answer"])


def test_a_prefect_batch_prediction_flow_is_no_training_lineage(tmp_path: Path) -> None:
    flow = _PREFECT.format(first=_LOAD, model='model = load_model("models/churn_model.pkl")')
    assert _d3(tmp_path, {"flows/batch_predict.py": flow}) == "no"


def test_a_prefect_flow_that_trains_then_predicts_is_lineage(tmp_path: Path) -> None:
    flow = _PREFECT.format(first=_FIT, model='model = train_model(read_input("data/customers.csv"))')
    assert _d3(tmp_path, {"flows/batch_predict.py": flow}) == "yes"


_AIRFLOW = """\
    from datetime import datetime

    import joblib
    import pandas as pd
    from airflow import DAG
    from airflow.operators.python import PythonOperator


    def extract() -> None:
        pd.read_csv("s3://bucket/raw/new_customers.csv").to_parquet("/tmp/input.parquet")


    def {second}() -> None:
        {body}


    with DAG("daily_{second}", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False) as dag:
        a = PythonOperator(task_id="extract", python_callable=extract)
        b = PythonOperator(task_id="{second}", python_callable={second})
        a >> b
    """
_SCORE_BODY = """model = joblib.load("models/churn_model.pkl")
        df = pd.read_parquet("/tmp/input.parquet")
        df.assign(prediction=model.predict(df)).to_csv("/tmp/predictions.csv")"""


def test_an_airflow_batch_scoring_dag_is_no_training_lineage(tmp_path: Path) -> None:
    dag = _AIRFLOW.format(second="score", body=_SCORE_BODY)
    assert _d3(tmp_path, {"dags/score.py": dag, "requirements.txt": "apache-airflow==2.9.0\n" + _REQS}) == "no"


def test_an_airflow_dag_feeding_a_report_is_still_a_pipeline(tmp_path: Path) -> None:
    # a data pipeline in a repository that holds a model still feeds it (the rule's ``project.model_free`` clause)
    body = """pd.read_parquet("/tmp/input.parquet").describe().to_csv("/tmp/report.csv")"""
    dag = _AIRFLOW.format(second="report", body=body)
    assert _d3(tmp_path, {"dags/report.py": dag, "requirements.txt": "apache-airflow==2.9.0\n" + _REQS}) == "yes"


_METAFLOW = """\
    import joblib
    import pandas as pd
    from metaflow import FlowSpec, step


    class {name}(FlowSpec):
        @step
        def start(self):
            self.df = pd.read_csv("data/new_customers.csv")
            self.next(self.{second})

        @step
        def {second}(self):
            {body}
            self.next(self.end)

        @step
        def end(self):
            print("done")


    if __name__ == "__main__":
        {name}()
    """


def test_a_metaflow_batch_prediction_flow_is_no_training_lineage(tmp_path: Path) -> None:
    body = """model = joblib.load("models/churn_model.pkl")
            self.predictions = model.predict(self.df)"""
    flow = _METAFLOW.format(name="BatchPredictFlow", second="predict", body=body)
    assert _d3(tmp_path, {"flows/batch.py": flow, "requirements.txt": "metaflow==2.11.0\n" + _REQS}) == "no"


def test_a_metaflow_flow_that_fits_then_predicts_is_lineage(tmp_path: Path) -> None:
    body = """from sklearn.linear_model import LogisticRegression
            model = LogisticRegression().fit(self.df.drop(columns=["churn"]), self.df["churn"])
            self.predictions = model.predict(self.df)"""
    flow = _METAFLOW.format(name="ChurnFlow", second="fit_and_predict", body=body)
    assert _d3(tmp_path, {"flows/churn.py": flow, "requirements.txt": "metaflow==2.11.0\n" + _REQS}) == "yes"
