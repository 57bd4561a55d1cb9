"""The causes of the session-9 blind evidence audits (issue #17, session 10; deciding lines and links): the deciding line beside the cited one
(a gate's comparison, not what is done once it passed), links from where metrics are logged to the step that runs
them, and model-performance monitoring from stored ground truth. Each case scans a small repository and checks the
first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- M4: the comparison that gates promotion

_PROMOTE_WORKFLOW = """\
    on: {push: {branches: [main]}}
    jobs:
      promote:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python -m src.promote
    """

_PROMOTE = """\
    import logging
    import mlflow
    from mlflow.tracking import MlflowClient

    logger = logging.getLogger(__name__)
    MIN_ACCURACY = 0.8


    def main():
        client = MlflowClient()
        cand = client.get_latest_versions("churn")[0]
        champ = client.get_model_version_by_alias("churn", "champion")
        cand_m = evaluate(cand)
        champ_m = evaluate(champ)
{verdict}
        if decision == "promote":
            client.set_registered_model_alias("churn", "champion", cand.version)
            logger.info(f"alias champion -> churn v{{cand.version}}")
            client.set_model_version_tag("churn", cand.version, "decision", "promoted")


    if __name__ == "__main__":
        main()
    """

_VERDICT = """\
        gates_ok = (cand_m["accuracy"] >= MIN_ACCURACY) and \\
                   (cand_m["f1"] >= 0.7)
        better = cand_m["accuracy"] >= champ_m["accuracy"]
        decision = "promote" if gates_ok and better else "reject"
"""


def test_a_promotion_decided_by_an_assigned_verdict_leads_with_the_comparison(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".github/workflows/promote.yml": _PROMOTE_WORKFLOW,
        "src/__init__.py": "",
        "src/promote.py": _PROMOTE.format(verdict=_VERDICT),
    })
    m4 = qs["M4"]
    assert m4["answer"] == "yes"
    lead = m4["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("src/promote.py", 15, 16)
    assert ">= MIN_ACCURACY" in lead["snippet"] and ">= 0.7" in lead["snippet"]
    # the ``if`` that acts on the verdict is beside it; no item cites the log line or the tag set after promotion
    lines = [e["line"] for e in m4["evidence"]]
    assert 20 in lines and 22 not in lines and 23 not in lines


def test_a_comparison_written_in_the_if_is_cited_there(tmp_path: Path) -> None:
    direct = _PROMOTE.format(verdict="").replace('if decision == "promote":',
                                                  'if cand_m["accuracy"] >= champ_m["accuracy"]:')
    qs = _scan(tmp_path, {
        ".github/workflows/promote.yml": _PROMOTE_WORKFLOW,
        "src/__init__.py": "",
        "src/promote.py": direct,
    })
    assert qs["M4"]["answer"] == "yes"
    assert _lead(qs["M4"]) == ("src/promote.py", 16)
    assert len([e for e in qs["M4"]["evidence"] if e["path"] == "src/promote.py"]) == 1


def test_a_promotion_on_a_verdict_that_compares_no_metric_is_no_gate(tmp_path: Path) -> None:
    verdict = '    decision = "promote" if cand.version != champ.version else "reject"\n'
    qs = _scan(tmp_path, {
        ".github/workflows/promote.yml": _PROMOTE_WORKFLOW,
        "src/__init__.py": "",
        "src/promote.py": _PROMOTE.format(verdict=verdict),
    })
    assert qs["M4"]["answer"] != "yes"


# ---------------------------------------------------------------- T1: the set-up steps, not the prerequisites

_README = """\
    # Iris service

    ## Prerequisites
    - Python 3.11+
    - Git + DVC (`pip install dvc`)
    - MLflow (`pip install mlflow`)

    ## Local Setup
    ```bash
    python -m venv .venv
    pip install --upgrade pip
    pip install -r requirements.txt
    dvc repro
    ```
    """


def test_t1_leads_with_the_set_up_steps_past_the_prerequisites(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README, "requirements.txt": "scikit-learn==1.5.0\n",
                          "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n", "train.py": "print(1)\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 12)


def test_t1_with_only_prerequisite_commands_cites_them(tmp_path: Path) -> None:
    readme = _README.split("    ## Local Setup")[0]
    qs = _scan(tmp_path, {"README.md": readme, "train.py": "print(1)\n"})
    assert qs["T1"]["answer"] != "yes"  # install commands alone
    assert _lead(qs["T1"]) == ("README.md", 5)  # the only commands are the prerequisites: the first is cited


# ---------------------------------------------------------------- E2: a Lightning logger and the module it fits

_TRAIN = """\
    import pytorch_lightning as pl
    from pytorch_lightning.loggers import WandbLogger

    from project.model import Classifier


    def main():
        logger = WandbLogger(project="ct-scan", log_model=True)
        trainer = pl.Trainer(max_epochs=5, logger=logger)
        trainer.fit(Classifier(), datamodule=None)


    if __name__ == "__main__":
        main()
    """
_MODEL = """\
    import pytorch_lightning as pl
    import torch


    class Classifier(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(4, 2)

        def training_step(self, batch, batch_idx):
            loss = self.net(batch[0]).sum()
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            acc = (self.net(batch[0]).argmax(1) == batch[1]).float().mean()
            self.log("val_acc", acc, on_epoch=True)
    """
_WORKFLOW = """\
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python project/train.py
    """


def test_e2_leads_with_the_metric_the_lightning_module_logs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/train.yml": _WORKFLOW, "project/__init__.py": "",
                          "project/train.py": _TRAIN, "project/model.py": _MODEL})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("project/model.py", 17)  # the validation metric runs are compared by
    assert _lead(qs["E1"]) == ("project/train.py", 8)  # the tracker the Trainer logs to


def test_e2_without_a_lightning_module_logging_cites_the_logger(tmp_path: Path) -> None:
    plain = _MODEL.replace("pl.LightningModule", "torch.nn.Module")  # a ``self.log`` of another class logs nowhere
    qs = _scan(tmp_path, {".github/workflows/train.yml": _WORKFLOW, "project/__init__.py": "",
                          "project/train.py": _TRAIN, "project/model.py": plain})
    assert _lead(qs["E2"]) == ("project/train.py", 8)


# ---------------------------------------------------------------- O1: performance measured on stored ground truth

_API = """\
    from fastapi import FastAPI
    from prometheus_client import Gauge

    app = FastAPI()
    confidence = Gauge("prediction_confidence", "Confidence of the last prediction")


    @app.post("/predict")
    def predict(x: list[float]) -> dict:
        p = 0.9
        confidence.set(p)
        return {"prediction": 1, "confidence": p}
    """
_MONITOR = """\
    import sqlite3

    from sklearn.metrics import f1_score

    QUERY = '''
    SELECT p.prediction, g.label FROM predictions p JOIN ground_truth g ON p.request_id = g.request_id
    WHERE p.ts > date('now', '-1 day')
    '''


    def daily_performance(db: str) -> float:
        rows = sqlite3.connect(db).execute(QUERY).fetchall()
        predicted = [r[0] for r in rows]
        actual = [r[1] for r in rows]
        return f1_score(actual, predicted)


    if __name__ == "__main__":
        print(daily_performance("serving.db"))
    """
_CRON = """\
    on:
      schedule: [{cron: "0 6 * * *"}]
    jobs:
      monitor:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python monitoring/performance.py
    """


def test_o1_leads_with_performance_on_stored_ground_truth_over_a_confidence_gauge(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"app/main.py": _API, "monitoring/performance.py": _MONITOR,
                          ".github/workflows/monitor.yml": _CRON})
    assert qs["O1"]["answer"] == "yes"
    assert _lead(qs["O1"]) == ("monitoring/performance.py", 15)  # f1_score(actual, predicted)


def test_offline_evaluation_in_a_training_script_is_no_ground_truth_monitor(tmp_path: Path) -> None:
    train = _MONITOR.replace("        return f1_score(actual, predicted)",
                             "        model = LogisticRegression().fit([[0]], [0])\n        return f1_score(actual, predicted)")
    train = train.replace("from sklearn.metrics import f1_score", "from sklearn.linear_model import LogisticRegression\n    from sklearn.metrics import f1_score")
    qs = _scan(tmp_path, {"app/main.py": _API, "monitoring/performance.py": train, ".github/workflows/monitor.yml": _CRON})
    assert qs["O1"]["evidence"][0]["path"] == "app/main.py"  # only the gauge is left


def test_a_metric_on_a_test_split_is_no_ground_truth_monitor(tmp_path: Path) -> None:
    split = _MONITOR.replace("JOIN ground_truth g", "JOIN test_split g")
    qs = _scan(tmp_path, {"app/main.py": _API, "monitoring/performance.py": split, ".github/workflows/monitor.yml": _CRON})
    assert qs["O1"]["evidence"][0]["path"] == "app/main.py"


# ---------------------------------------------------------------- E1: a shared tracking helper and the step that trains

_HELPER = """\
    import mlflow


    def log_run(run_name, params, metrics):
        with mlflow.start_run(run_name=run_name):
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
    """
_EMBED = """\
    from project.tracking import log_run


    def main():
        vectors = [[0.1, 0.2]]
        log_run("embed", {"dim": 2}, {"count": len(vectors)})


    if __name__ == "__main__":
        main()
    """
_TRAIN_STEP = """\
    from sklearn.linear_model import LogisticRegression

    from project.tracking import log_run


    def main():
        model = LogisticRegression(C=0.5).fit([[0], [1]], [0, 1])
        log_run("train", {"C": 0.5}, {"accuracy": model.score([[0], [1]], [0, 1])})


    if __name__ == "__main__":
        main()
    """
_STEPS = """\
    on: {push: {branches: [main]}}
    jobs:
      pipeline:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python -m project.a_embed
          - run: python -m project.train
    """


def test_e1_through_a_shared_helper_cites_the_training_step_that_calls_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/pipeline.yml": _STEPS, "project/__init__.py": "", "project/tracking.py": _HELPER,
                          "project/a_embed.py": _EMBED, "project/train.py": _TRAIN_STEP})
    assert qs["E1"]["answer"] == "yes"
    assert _lead(qs["E1"]) == ("project/train.py", 8)
    assert ("project/tracking.py", 5) in [(e["path"], e["line"]) for e in qs["E1"]["evidence"]]  # the helper beside it


def test_e1_through_a_helper_no_training_module_calls_cites_the_helper(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/pipeline.yml": _STEPS.replace("          - run: python -m project.train\n", ""),
                          "project/__init__.py": "", "project/tracking.py": _HELPER, "project/a_embed.py": _EMBED})
    assert _lead(qs["E1"])[0] == "project/tracking.py"


# ---------------------------------------------------------------- M4: a KFP condition on a component's verdict

_KFP = """\
    from kfp import dsl
    from kfp.dsl import Input, Model, Output


    @dsl.component(base_image="python:3.11-slim")
    def train_component(model: Output[Model]):
        open(model.path, "w").write("m")


    @dsl.component(base_image="python:3.11-slim")
    def evaluate_component(model: Input[Model], baseline_f1: float) -> bool:
        f1 = 0.8
    {verdict}


    @dsl.component(base_image="python:3.11-slim")
    def deploy_component(model: Input[Model]):
        print("deploy", model.path)


    @dsl.pipeline(name="train-evaluate-deploy")
    def pipeline(baseline_f1: float = 0.7):
        training = train_component()
        evaluation = evaluate_component(model=training.outputs["model"], baseline_f1=baseline_f1)
        with dsl.If(evaluation.output == True):  # noqa: E712
            deploy_component(model=training.outputs["model"])
    """


def test_m4_of_a_kfp_condition_cites_the_component_comparison(tmp_path: Path) -> None:
    verdict = "        should_deploy = f1 - baseline_f1 >= 0.01 and f1 >= 0.5\n        return should_deploy"
    qs = _scan(tmp_path, {"pipeline.py": _KFP.replace("    {verdict}", verdict)})
    assert qs["M4"]["answer"] == "yes"
    assert _lead(qs["M4"]) == ("pipeline.py", 13)
    assert ("pipeline.py", 26) in [(e["path"], e["line"]) for e in qs["M4"]["evidence"]]  # the condition beside it


def test_m4_of_a_kfp_condition_on_a_component_that_compares_nothing_cites_the_condition(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline.py": _KFP.replace("    {verdict}", "        return True")})
    assert _lead(qs["M4"]) == ("pipeline.py", 25)


# ---------------------------------------------------------------- T2: the model's upload, not a pipeline spec's

_SPEC_UPLOAD = """\
    on: {push: {branches: [main]}}
    jobs:
      pipeline:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python compile.py
          - run: gsutil cp SOURCE gs://${{ secrets.ARTIFACTS_BUCKET }}/pipelines/
          - run: python deploy.py
    """
_GCS_UPLOAD = """\
    from google.cloud import storage


    def publish(trained_model, bucket_name):
        bucket = storage.Client().bucket(bucket_name)
        blob = bucket.blob("models/latest/model.joblib")
        blob.upload_from_filename(trained_model.path)


    if __name__ == "__main__":
        publish(None, "b")
    """


def test_t2_leads_with_the_model_upload_not_a_pipeline_spec_upload(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/pipeline.yml": _SPEC_UPLOAD.replace("SOURCE", "pipeline.yaml"),
                          "deploy.py": _GCS_UPLOAD, "compile.py": "print(1)\n"})
    assert _lead(qs["T2"]) == ("deploy.py", 7)


def test_t2_a_model_file_copied_by_ci_is_still_a_store(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/pipeline.yml": _SPEC_UPLOAD.replace("SOURCE", "models/model.joblib"),
                          "deploy.py": "print(1)\n", "compile.py": "print(1)\n"})
    assert _lead(qs["T2"]) == (".github/workflows/pipeline.yml", 8)


# ---------------------------------------------------------------- D2/E3: a fitted preprocessor is no model

def _lock_with(out: str) -> str:
    from .test_evidence_deciding import DVC_LOCK
    return DVC_LOCK.replace("models/model.pkl", out)


def test_a_lock_whose_only_pickled_output_is_a_preprocessor_links_no_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dvc.lock": _lock_with("data/processed/preprocessor.joblib"), "src/train.py": "print(1)\n",
                          "src/prepare.py": "print(1)\n"})
    assert qs["D2"]["answer"] != "yes"
    assert qs["E3"]["answer"] != "yes"


def test_a_lock_with_a_model_output_still_links_the_data(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dvc.lock": _lock_with("models/classifier.joblib"), "src/train.py": "print(1)\n",
                          "src/prepare.py": "print(1)\n"})
    assert qs["D2"]["answer"] == "yes"
    assert _lead(qs["D2"])[0] == "dvc.lock"


# ---------------------------------------------------------------- T1: a README's project title is no set-up heading

_TITLED = """\
    # Churn Pipeline

    > Status: phases 0-2 done, `dvc repro` now rebuilds the pipeline from raw data to the model.

    ## Getting started

    ```bash
    make setup
    make train
    ```
    """
_MAKE = "setup:\n\tuv sync\n\ntrain:\n\tuv run python train.py\n"


def test_t1_skips_a_status_note_under_the_readme_title_for_the_getting_started_section(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _TITLED, "Makefile": _MAKE, "train.py": "print(1)\n",
                          "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"})
    assert _lead(qs["T1"]) == ("README.md", 8)


def test_t1_of_a_readme_with_only_its_title_section_reads_that_section(tmp_path: Path) -> None:
    short = "# Churn Pipeline\n\nRun it:\n\n```bash\nmake setup\nmake train\n```\n"
    qs = _scan(tmp_path, {"README.md": short, "Makefile": _MAKE, "train.py": "print(1)\n"})
    assert _lead(qs["T1"]) == ("README.md", 6)


# ---------------------------------------------------------------- M2: an Argo CD application's automated sync

_ARGO_APP = """\
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: churn-model-serving
      namespace: argocd
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/churn.git
        targetRevision: main
        path: deploy/serving
      destination:
        server: https://kubernetes.default.svc
        namespace: serving
      syncPolicy:
    {automated}
        retry:
          limit: 3
        syncOptions:
          - CreateNamespace=true
          - ServerSideApply=true
    """


def test_m2_of_an_argo_application_cites_its_automated_sync(tmp_path: Path) -> None:
    app = _ARGO_APP.replace("    {automated}", "        automated:\n          prune: true\n          selfHeal: true")
    qs = _scan(tmp_path, {"gitops/app.yaml": app, "deploy/serving/deployment.yaml": "kind: Deployment\n"})
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    assert lead["path"] == "gitops/app.yaml" and lead["line"] == 17 and "automated" in lead["context"]


def test_m2_of_an_argo_application_with_an_inline_automated_sync_cites_that_line(tmp_path: Path) -> None:
    app = _ARGO_APP.replace("    {automated}", "        automated: {prune: true}")
    qs = _scan(tmp_path, {"gitops/app.yaml": app, "deploy/serving/deployment.yaml": "kind: Deployment\n"})
    assert _lead(qs["M2"]) == ("gitops/app.yaml", 16)


def test_e1_of_a_step_that_trains_and_logs_stays_on_the_step(tmp_path: Path) -> None:
    step = _HELPER.replace("    def log_run(run_name, params, metrics):\n",
                           "    def log_run(run_name, params, metrics):\n        LogisticRegression().fit([[0], [1]], [0, 1])\n")
    step = "    from sklearn.linear_model import LogisticRegression\n" + step
    qs = _scan(tmp_path, {".github/workflows/pipeline.yml": _STEPS, "project/__init__.py": "", "project/tracking.py": step,
                          "project/a_embed.py": _EMBED, "project/train.py": _TRAIN_STEP})
    assert _lead(qs["E1"])[0] == "project/tracking.py"
