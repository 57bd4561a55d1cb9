"""Scanner errors of session 12's final blind samples, part 2 (issue #13, session 13, branch accB), fixed generally: a
SageMaker model kept in the session's default bucket or named by AWS CLI requests (T2), ZenML's deployer step imported
under another name (M2), trackers' demos logging random numbers (E1/E2), a sampling flow taken for a training entry (E1)
and label-based accuracy computed by a service endpoint (O1). Each case scans a small repository written the way the
platforms' own docs and samples write it; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- T2: the default bucket, read back by the deploy code

_SM_TRAIN = """\
    import sagemaker
    from sagemaker.sklearn.estimator import SKLearn


    def main(role):
        session = sagemaker.Session()
        train = session.upload_data("data/train.csv", bucket=session.default_bucket(), key_prefix="churn")
        estimator = SKLearn(entry_point="fit.py", role=role, instance_type="ml.m5.large", framework_version="1.2-1")
        estimator.fit({"train": train})
        print(estimator.model_data)


    if __name__ == "__main__":
        main("arn:aws:iam::123456789012:role/sm")
    """
_SM_DEPLOY = """\
    import sys

    from sagemaker.sklearn.model import SKLearnModel


    if __name__ == "__main__":
        model = SKLearnModel(model_data=sys.argv[1], role=sys.argv[2], entry_point="serve.py", framework_version="1.2-1")
        model.deploy(initial_instance_count=1, instance_type="ml.m5.large")
    """


def test_t2_estimator_on_the_default_bucket_read_back_by_deploy_code(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train.py": _SM_TRAIN, "deploy.py": _SM_DEPLOY})
    assert qs["T2"]["answer"] == "yes"
    assert qs["T2"]["evidence"][0]["path"] == "train.py"


def test_t2_estimator_whose_model_nothing_reads_back_is_no_store(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train.py": _SM_TRAIN.replace("        print(estimator.model_data)\n", "")})
    assert qs["T2"]["answer"] != "yes"


_GITLAB = """\
    stages: [deploy]
    deploy:
      stage: deploy
      image: amazon/aws-cli:2.15.0
      script:
        - |
          aws sagemaker create-model \\
            --model-name churn \\
            --execution-role-arn "$SAGEMAKER_ROLE" \\
            --primary-container '{
              "Image": "683313688378.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
              "ModelDataUrl": "s3://churn-models/xgb/output/model.tar.gz"
            }'
        - aws sagemaker create-endpoint-config --endpoint-config-name churn --production-variants VariantName=all,ModelName=churn,InstanceType=ml.m5.large,InitialInstanceCount=1
    """


def test_t2_model_data_url_in_aws_cli_json_in_gitlab_ci(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".gitlab-ci.yml": _GITLAB})
    assert qs["T2"]["answer"] == "yes"
    assert qs["T2"]["evidence"][0]["path"] == ".gitlab-ci.yml"


def test_t2_model_data_url_in_a_request_file_passed_with_file_url(tmp_path: Path) -> None:
    ci = _GITLAB.split("        - |")[0] + "        - aws sagemaker create-model --cli-input-json file://deploy/model.json\n"
    request = '{"ModelName": "churn", "PrimaryContainer": {"Image": "xgboost:1.7-1", "ModelDataUrl": "s3://churn-models/model.tar.gz"}}\n'
    qs = _scan(tmp_path, {".gitlab-ci.yml": ci, "deploy/model.json": request})
    assert qs["T2"]["answer"] == "yes"


def test_t2_create_model_from_an_image_alone_is_no_store(tmp_path: Path) -> None:
    ci = _GITLAB.replace('"ModelDataUrl": "s3://churn-models/xgb/output/model.tar.gz"', '"Mode": "SingleModel"')
    qs = _scan(tmp_path, {".gitlab-ci.yml": ci})
    assert qs["T2"]["answer"] != "yes"


# ---------------------------------------------------------------- M2: ZenML's deployer step under another name

_ZENML = """\
    from zenml import pipeline, step
    from zenml.integrations.mlflow.steps import mlflow_model_deployer_step as {alias}

    from steps import evaluate, train


    @step
    def trigger(accuracy: float) -> bool:
        return accuracy > 0.9


    @pipeline
    def continuous_deployment():
        model = train()
        decision = trigger(evaluate(model))
        {call}(model=model, deploy_decision=decision, workers=1)


    if __name__ == "__main__":
        continuous_deployment()
    """


def test_m2_zenml_deployer_imported_under_another_name(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"run_deployment.py": _ZENML.format(alias="deployer", call="deployer")})
    assert qs["M2"]["answer"] == "yes"


def test_m2_a_project_step_sharing_the_alias_name_deploys_nothing(tmp_path: Path) -> None:
    text = _ZENML.format(alias="mlflow_deployer", call="deployer").replace("from steps import evaluate, train",
                                                                          "from steps import deployer, evaluate, train")
    qs = _scan(tmp_path, {"run_deployment.py": text})
    assert qs["M2"]["answer"] != "yes"


# ---------------------------------------------------------------- E1/E2: a tracker's demo is no training run

_DEMO = """\
    import random

    import wandb

    if __name__ == "__main__":
        run = wandb.init(project="demo", config={"lr": 0.01, "epochs": 10})
        offset = random.random() / 5
        for epoch in range(2, run.config.epochs):
            acc = 1 - 2 ** -epoch - random.random() / epoch - offset
            loss = 2 ** -epoch + random.random() / epoch + offset
            run.log({"acc": acc, "loss": loss})
        run.finish()
    """
_LOOP = """\
    import torch
    import wandb
    from torch import nn
    from torchvision import datasets, transforms

    if __name__ == "__main__":
        run = wandb.init(project="mnist", config={"lr": 0.001})
        data = torch.utils.data.DataLoader(datasets.MNIST("data", download=True, transform=transforms.ToTensor()), batch_size=64)
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        opt = torch.optim.SGD(model.parameters(), lr=run.config.lr)
        for x, y in data:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log({"loss": loss.item()})
    """
_REQS = "wandb==0.17.0\ntorch==2.3.0\ntorchvision==0.18.0\n"


def test_e1_e2_a_demo_logging_random_numbers_tracks_no_training(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"quickstart.py": _DEMO, "requirements.txt": _REQS})
    assert qs["E1"]["answer"] != "yes"
    assert qs["E2"]["answer"] != "yes"


def test_e1_e2_a_training_loop_logging_its_loss_is_tracked(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train.py": _LOOP, "requirements.txt": _REQS})
    assert qs["E1"]["answer"] == "yes"
    assert qs["E2"]["answer"] == "yes"


# ---------------------------------------------------------------- E1: a sampling flow is no training entry

_MODEL = """\
    import torch
    from torch import nn


    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(8, 8)

        def forward(self, x):
            return self.head(x)

        def fit(self, batches):
            opt = torch.optim.Adam(self.parameters())
            for x, y in batches:
                loss = nn.functional.mse_loss(self(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()

        def generate(self, x, steps):
            for _ in range(steps):
                x = self(x)
            return x
    """
_TRAIN_FLOW = """\
    import mlflow
    import torch
    from metaflow import FlowSpec, step

    from char_model import CharModel


    class TrainFlow(FlowSpec):
        @step
        def start(self):
            self.model = CharModel()
            with mlflow.start_run():
                self.model.fit([(torch.zeros(1, 8), torch.zeros(1, 8))])
                mlflow.log_metric("loss", 0.1)
            torch.save(self.model.state_dict(), "ckpt.pt")
            self.next(self.end)

        @step
        def end(self):
            pass


    if __name__ == "__main__":
        TrainFlow()
    """
_SAMPLE_FLOW = """\
    import torch
    from metaflow import FlowSpec, step

    from char_model import CharModel


    class WriterFlow(FlowSpec):
        @step
        def start(self):
            self.model = CharModel()
            self.model.load_state_dict(torch.load("ckpt.pt"))
            self.out = self.model.generate(torch.zeros(1, 8), steps=10).tolist()
            self.next(self.end)

        @step
        def end(self):
            print(self.out)


    if __name__ == "__main__":
        WriterFlow()
    """


def test_e1_a_flow_that_loads_a_checkpoint_and_generates_is_no_untracked_training_entry(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"flows/char_model.py": _MODEL, "flows/train_flow.py": _TRAIN_FLOW, "flows/writer_flow.py": _SAMPLE_FLOW,
                          "requirements.txt": "mlflow==2.14.0\ntorch==2.3.0\nmetaflow==2.12.0\n"})
    assert qs["E1"]["answer"] == "yes"


def test_e1_a_flow_that_trains_without_tracking_still_counts(tmp_path: Path) -> None:
    untracked = _TRAIN_FLOW.replace("    import mlflow\n", "").replace("            with mlflow.start_run():\n", "            if True:\n") \
        .replace('                mlflow.log_metric("loss", 0.1)\n', "").replace("TrainFlow", "RetrainFlow")
    qs = _scan(tmp_path, {"flows/char_model.py": _MODEL, "flows/train_flow.py": _TRAIN_FLOW, "flows/retrain_flow.py": untracked,
                          "requirements.txt": "mlflow==2.14.0\ntorch==2.3.0\nmetaflow==2.12.0\n"})
    assert qs["E1"]["answer"] == "partial"


# ---------------------------------------------------------------- O1: accuracy on the labels a service receives

_API = """\
    import uuid

    import joblib
    from fastapi import FastAPI
    from prometheus_client import Gauge
    from pydantic import BaseModel

    app = FastAPI()
    model = joblib.load("model.joblib")
    PREDICTIONS = {}
    ACCURACY = Gauge("live_accuracy", "accuracy on received labels")
    counts = {"correct": 0, "total": 0}


    class Feedback(BaseModel):
        request_id: str
        true_label: int


    @app.post("/predict")
    def predict(values: list[float]) -> dict:
        rid = str(uuid.uuid4())
        PREDICTIONS[rid] = int(model.predict([values])[0])
        return {"request_id": rid, "prediction": PREDICTIONS[rid]}


    @app.post("/feedback")
    def feedback(item: Feedback) -> dict:
        counts["total"] += 1
        counts["correct"] += int(PREDICTIONS.pop(item.request_id) == item.true_label)
        ACCURACY.set(counts["correct"] / counts["total"])
        return {"ok": True}
    """
_DOCKERFILE = """\
    FROM python:3.11-slim
    COPY . /app
    RUN pip install fastapi==0.111.0 uvicorn==0.30.0 prometheus-client==0.20.0 joblib==1.4.2
    CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
    """


def test_o1_accuracy_on_labels_received_by_a_feedback_endpoint(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"app/main.py": _API, "Dockerfile": _DOCKERFILE})
    assert qs["O1"]["answer"] == "yes"
    assert qs["O1"]["evidence"][0]["path"] == "app/main.py"


def test_o1_a_feedback_endpoint_that_only_stores_the_label_monitors_nothing(tmp_path: Path) -> None:
    stored = _API.replace('        ACCURACY.set(counts["correct"] / counts["total"])\n', "")
    qs = _scan(tmp_path, {"app/main.py": stored, "Dockerfile": _DOCKERFILE})
    assert qs["O1"]["answer"] != "yes"


def test_m2_zenml_deployer_reexported_by_a_project_module(tmp_path: Path) -> None:
    wrapper = "from zenml.integrations.mlflow.steps import mlflow_model_deployer_step\n"
    text = _ZENML.format(alias="unused", call="mlflow_model_deployer_step").replace(
        "    from zenml.integrations.mlflow.steps import mlflow_model_deployer_step as unused\n",
        "    from steps.mlflow_model_deployer_step import mlflow_model_deployer_step\n")
    qs = _scan(tmp_path, {"run_deployment.py": text, "steps/mlflow_model_deployer_step.py": wrapper, "steps/__init__.py": ""})
    assert qs["M2"]["answer"] == "yes"
