"""Wrong answers of session 11's final blind samples (issue #13, session 12, part 1), fixed generally. Each case scans a
small repository written the way the platforms' own docs write it; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- M3: a deploy cut from a tag that waits for no test

_TESTS = """\
    from app.model import predict


    def test_predict_returns_a_price():
        assert predict([1.0, 2.0]) > 0
    """
_MODEL = """\
    def predict(x):
        return sum(x) + 1.0
    """
_CI = """\
    name: CI
    on:
      {on}
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install pytest==8.2.0
          - run: pytest tests
    """
_CD = """\
    name: CD
    on:
      {on}
    jobs:
    {test}
      deploy:
        runs-on: ubuntu-latest
        needs: {needs}
        steps:
          - uses: actions/checkout@v4
          - uses: google-github-actions/auth@v2
            with:
              credentials_json: ${{{{ secrets.GCP_SA_KEY }}}}
          - uses: google-github-actions/deploy-cloudrun@v2
            with:
              service: price-api
              source: .
    """
# a test job in the deploy workflow (indented under ``jobs:`` once the whole file is dedented)
_CD_TEST = """  test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install pytest==8.2.0 && pytest tests"""
_BRANCH_PUSH = "push: {branches: [main]}\n      pull_request: {branches: [main]}"
_TAG_PUSH = "push: {tags: ['v*']}"


def _m3(tmp_path: Path, ci_on: str, cd_on: str, *, cd_test: bool = False, needs: str = "") -> str:
    cd = _CD.format(on=cd_on, test=_CD_TEST if cd_test else "", needs=f"[{needs}]" if needs else "[]")
    qs = _scan(tmp_path, {"app/__init__.py": "", "app/model.py": _MODEL, "tests/test_model.py": _TESTS,
                          ".github/workflows/ci.yml": _CI.format(on=ci_on), ".github/workflows/cd.yml": cd})
    assert qs["M2"]["answer"] == "yes"
    return str(qs["M3"]["answer"])


def test_a_tag_deploy_that_waits_for_no_test_is_not_gated(tmp_path: Path) -> None:
    # tests run on branch pushes and pull requests; the deploy runs on tag pushes, with no test of its own
    assert _m3(tmp_path, _BRANCH_PUSH, _TAG_PUSH) == "partial"


def test_a_release_event_deploy_that_waits_for_no_test_is_not_gated(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, "release: {types: [published]}") == "partial"


def test_a_tag_deploy_needing_its_own_test_job_is_gated(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, _TAG_PUSH, cd_test=True, needs="test") == "yes"


def test_a_tag_deploy_beside_its_own_unneeded_test_job_is_not_gated(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, _TAG_PUSH, cd_test=True) == "partial"


def test_tests_that_also_run_on_the_tag_push_are_on_the_shipped_ref(tmp_path: Path) -> None:
    # an unfiltered push (branches and tags) or a push naming tags runs the tests on the tag that is deployed
    assert _m3(tmp_path, "push:\n      pull_request:", _TAG_PUSH) == "yes"


def test_tests_filtered_by_paths_only_run_on_tag_pushes(tmp_path: Path) -> None:
    # GitHub evaluates no path filter for a tag push
    assert _m3(tmp_path, "push: {paths: ['app/**', 'tests/**']}", _TAG_PUSH) == "yes"


def test_a_deploy_on_branch_pushes_beside_tests_of_the_same_ref_is_unchanged(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, "push: {branches: [main]}") == "yes"


def test_a_deploy_run_after_the_test_workflow_is_linked(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, "workflow_run: {workflows: [CI], types: [completed], branches: [main]}") == "yes"


# ---------------------------------------------------------------- M2: registry aliases that nothing serves

_PROMOTE = """\
    import argparse

    from mlflow import MlflowClient


    def promote(name: str, stage: str) -> None:
        client = MlflowClient()
        version = client.get_latest_versions(name, stages=["None"])[0].version
        alias = "production" if stage == "production" else "staging"
        client.set_registered_model_alias(name=name, alias=alias, version=version)


    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--stage", choices=["staging", "production"], required=True)
        promote("churn", parser.parse_args().stage)
    """
_TRAIN_DEPLOY = """\
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: python src/train.py
          - name: Deploy to Staging
            run: python src/deploy_model.py --stage staging
    """
_TRAIN = """\
    import mlflow
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
    """
_BATCH_CLI = """\
    import argparse

    import mlflow
    import pandas as pd


    def main() -> None:
        parser = argparse.ArgumentParser()
        parser.add_argument("--input", required=True)
        parser.add_argument("--stage", default="production")
        args = parser.parse_args()
        model = mlflow.pyfunc.load_model(f"models:/churn@{args.stage}")
        print(model.predict(pd.read_csv(args.input)))


    if __name__ == "__main__":
        main()
    """
_PREDICTOR = """\
    import mlflow


    class Predictor:
        def __init__(self, alias: str = "production") -> None:
            self.model = mlflow.pyfunc.load_model(f"models:/churn@{alias}")
    """
_APP = """\
    from fastapi import FastAPI

    from predictor import Predictor

    app = FastAPI()
    predictor = Predictor()


    @app.post("/predict")
    def predict(rows: list[dict]) -> list[float]:
        return list(predictor.model.predict(rows))
    """
_APP_LOADS = """\
    import mlflow
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/predict")
    def predict(rows: list[dict]) -> list[float]:
        model = mlflow.pyfunc.load_model("models:/churn@{alias}")
        return list(model.predict(rows))
    """


def _m2(tmp_path: Path, files: dict[str, str]) -> dict[str, object]:
    base = {"src/train.py": _TRAIN, "src/deploy_model.py": _PROMOTE, ".github/workflows/train.yml": _TRAIN_DEPLOY,
            "requirements.txt": "mlflow==2.14.1\nscikit-learn==1.5.0\nfastapi==0.111.0\n"}
    return _scan(tmp_path, {**base, **files})["M2"]


def test_a_promotion_only_a_batch_cli_loads_deploys_nothing(tmp_path: Path) -> None:
    assert _m2(tmp_path, {"src/predict.py": _BATCH_CLI})["answer"] == "no"


def test_a_promotion_the_service_loads_through_its_predictor_is_a_deploy(tmp_path: Path) -> None:
    q = _m2(tmp_path, {"src/predictor.py": _PREDICTOR, "src/app.py": _APP})
    assert q["answer"] == "yes"
    # (session 15) led by the promotion call of the program the CI step runs, the CI step as its chain and second item
    lead = q["evidence"][0]  # type: ignore[index]
    assert (lead["path"], lead["line"]) == ("src/deploy_model.py", 10) and "set_registered_model_alias" in lead["snippet"]
    assert lead["chain"] and ".github/workflows/train.yml" in lead["chain"][-1]
    assert ".github/workflows/train.yml" in [e["path"] for e in q["evidence"]]  # type: ignore[attr-defined]


def test_a_promotion_to_the_alias_a_service_loads_is_a_deploy(tmp_path: Path) -> None:
    assert _m2(tmp_path, {"src/serve.py": _APP_LOADS.replace("{alias}", "production")})["answer"] == "yes"


def test_a_promotion_to_an_alias_no_service_loads_deploys_nothing(tmp_path: Path) -> None:
    # the service loads a pinned version: moving the aliases changes nothing it serves
    assert _m2(tmp_path, {"src/serve.py": _APP_LOADS.replace("@{alias}", "/3")})["answer"] == "no"


def test_a_promotion_to_another_alias_than_the_service_loads_deploys_nothing(tmp_path: Path) -> None:
    promote = _PROMOTE.replace('alias = "production" if stage == "production" else "staging"', 'alias = "challenger"')
    assert _m2(tmp_path, {"src/deploy_model.py": promote, "src/serve.py": _APP_LOADS.replace("{alias}", "production")})["answer"] == "no"


# ---------------------------------------------------------------- M4: a threshold passed to the check as an argument

_DEPLOYER = """\
    import argparse

    from mlflow import MlflowClient


    class ModelDeployer:
        def __init__(self, name: str) -> None:
            self.name = name
            self.client = MlflowClient()

        def validate_model_performance(self, metrics: dict, threshold: float = 0.8) -> bool:
            accuracy = metrics.get("accuracy", 0)
            if accuracy >= threshold:
                return True
            return False

        def transition_model_stage(self, version: str, alias: str) -> None:
            self.client.set_registered_model_alias(name=self.name, alias=alias, version=version)

        def deploy_to_staging(self) -> bool:
            version = self.client.get_latest_versions(self.name)[0]
            metrics = self.client.get_run(version.run_id).data.metrics
            {body}
            return True


    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--stage", choices=["staging"], required=True)
        parser.parse_args()
        ModelDeployer("churn").deploy_to_staging()
    """
_GATED = """if not self.validate_model_performance(metrics, threshold={threshold}):
                print("Model did not meet the staging threshold")
                return False
            self.transition_model_stage(version.version, "staging")"""
_CHECK_AFTER = """self.transition_model_stage(version.version, "staging")
            if not self.validate_model_performance(metrics, threshold=0.35):
                print("Model did not meet the staging threshold")
                return False"""


def _m4(tmp_path: Path, body: str) -> str:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "src/deploy_model.py": _DEPLOYER.replace("{body}", body),
                          ".github/workflows/train.yml": _TRAIN_DEPLOY, "requirements.txt": "mlflow==2.14.1\nscikit-learn==1.5.0\n"})
    return str(qs["M4"]["answer"])


def test_an_early_return_on_a_threshold_argument_blocks_the_promotion(tmp_path: Path) -> None:
    # the check's threshold is its parameter; the call passes 0.35; the method returns before the promotion wrapper
    assert _m4(tmp_path, _GATED.replace("{threshold}", "0.35")) == "yes"


def test_a_threshold_argument_every_model_meets_blocks_nothing(tmp_path: Path) -> None:
    assert _m4(tmp_path, _GATED.replace("{threshold}", "0.0")) == "partial"


def test_a_check_after_the_promotion_blocks_nothing(tmp_path: Path) -> None:
    assert _m4(tmp_path, _CHECK_AFTER) == "no"


# ---------------------------------------------------------------- E3: the registered version aliased by the commit

_TRAIN_ALIAS = """\
    import os

    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    {sha}
    NAME = "churn"

    with mlflow.start_run() as run:
        model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        mlflow.sklearn.log_model(model, "model")
    version = mlflow.register_model(f"runs:/{{run.info.run_id}}/model", NAME).version
    client = MlflowClient()
    client.set_registered_model_alias(NAME, "staging", version)
    client.set_registered_model_alias(name=NAME, alias={alias}, version=version)
    """
_TRAIN_JOB = """\
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - name: Train and register
            env:
              COMMIT_SHA: ${{ github.sha }}
            run: python train.py
    """


def _e3(tmp_path: Path, sha: str, alias: str) -> dict[str, object]:
    qs = _scan(tmp_path, {"train.py": _TRAIN_ALIAS.format(sha=sha, alias=alias), ".github/workflows/train.yml": _TRAIN_JOB,
                          "requirements.txt": "mlflow==2.14.1\nscikit-learn==1.5.0\n"})
    return qs["E3"]


def test_a_version_aliased_by_the_commit_from_the_environment_carries_its_code_version(tmp_path: Path) -> None:
    q = _e3(tmp_path, 'COMMIT_SHA = os.getenv("COMMIT_SHA")', "COMMIT_SHA")
    assert q["answer"] == "yes"
    assert q["evidence"][0]["path"] == "train.py"  # type: ignore[index]


def test_an_alias_read_straight_from_a_commit_variable_carries_it_too(tmp_path: Path) -> None:
    assert _e3(tmp_path, "", 'f"sha-{os.environ[\'GIT_SHA\'][:7]}"')["answer"] == "yes"


def test_a_named_alias_carries_no_code_version(tmp_path: Path) -> None:
    assert _e3(tmp_path, 'COMMIT_SHA = os.getenv("COMMIT_SHA")', '"champion"')["answer"] == "no"


def test_a_commit_written_out_versions_nothing(tmp_path: Path) -> None:
    assert _e3(tmp_path, 'COMMIT_SHA = "3f2a9c1"', "COMMIT_SHA")["answer"] == "no"


# ---------------------------------------------------------------- D2/E3: dvc.lock outputs that are not the served model

_DVC_YAML = """\
    stages:
      features:
        cmd: python src/features.py
        deps:
          - src/features.py
          - data/raw/flights.csv
        outs:
          - data/processed/train.parquet
          - models
      train:
        cmd: python src/train.py
        deps:
          - src/train.py
          - data/processed/train.parquet
    """
_DVC_LOCK = """\
    schema: '2.0'
    stages:
      features:
        cmd: python src/features.py
        deps:
        - path: data/raw/flights.csv
          hash: md5
          md5: 0b3c1f5a6d2e8f9a7c4b1e2d3f4a5b6c
          size: 1024
        - path: src/features.py
          hash: md5
          md5: 1c4d2e6b7f3a9b0c8d5e2f3a4b5c6d7e
          size: 512
        outs:
        - path: data/processed/train.parquet
          hash: md5
          md5: 2d5e3f7c8a4b0c1d9e6f3a4b5c6d7e8f
          size: 2048
        - path: models
          hash: md5
          md5: 3e6f4a8d9b5c1d2e0f7a4b5c6d7e8f90.dir
          size: 4096
          nfiles: 2
      train:
        cmd: python src/train.py
        deps:
        - path: data/processed/train.parquet
          hash: md5
          md5: 2d5e3f7c8a4b0c1d9e6f3a4b5c6d7e8f
          size: 2048
        - path: src/train.py
          hash: md5
          md5: 4f7a5b9e0c6d2e3f1a8b5c6d7e8f9a01
          size: 256
    """
_FEATURES = """\
    import joblib
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    df = pd.read_csv("data/raw/flights.csv")
    scaler = StandardScaler().fit(df[["distance"]])
    joblib.dump(scaler, "models/scaler.joblib")
    df.to_parquet("data/processed/train.parquet")
    """
_TRAIN_REG = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    df = pd.read_parquet("data/processed/train.parquet")
    with mlflow.start_run():
        model = LinearRegression().fit(df[["distance"]], df["price"])
        mlflow.sklearn.log_model(model, "model", registered_model_name="flights")
    """
_LOADER = """\
    import joblib
    import mlflow


    def load_production_model(name: str, alias: str):
        return mlflow.sklearn.load_model(f"models:/{name}@{alias}")


    def load_scaler(path: str):
        return joblib.load(path)  # a preprocessing artifact pulled from the locked models/ folder
    """
_SERVER = """\
    from fastapi import FastAPI

    from server.model_loader import load_production_model

    app = FastAPI()
    model = load_production_model("flights", "production")


    @app.post("/predict")
    def predict(distance: float) -> float:
        return float(model.predict([[distance]])[0])
    """


def _d2e3(tmp_path: Path, loader: str) -> dict[str, dict[str, object]]:
    return _scan(tmp_path, {"dvc.yaml": _DVC_YAML, "dvc.lock": _DVC_LOCK, "src/features.py": _FEATURES, "src/train.py": _TRAIN_REG,
                            "src/server/__init__.py": "", "src/server/model_loader.py": loader, "src/server/main.py": _SERVER,
                            "data/raw/flights.csv.dvc": "outs:\n- md5: 5a8b6c0f1d7e3f4a2b9c6d7e8f9a0b12\n  path: flights.csv\n"})


def test_a_locked_preprocessing_folder_does_not_link_a_model_served_from_the_registry(tmp_path: Path) -> None:
    # the app imports the loader, which takes the model from a registry alias: the locked models/ folder is not it
    qs = _d2e3(tmp_path, _LOADER)
    assert qs["D2"]["answer"] == "no"
    assert qs["E3"]["answer"] == "no"


def test_a_locked_model_file_the_service_loader_loads_links_it(tmp_path: Path) -> None:
    loader = """\
        import joblib


        def load_production_model(name: str, alias: str):
            return joblib.load("models/model.joblib")
        """
    qs = _d2e3(tmp_path, loader)
    assert qs["D2"]["answer"] == "yes"
    assert qs["E3"]["answer"] == "yes"
