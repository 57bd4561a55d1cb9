"""Session 13 (branch evidC): the "fits" test knows the libraries' trainer APIs, resolved through the file's imports
(``xgboost.train``, ``lightgbm.train``, ``catboost.train``, ``.train()`` of a Hugging Face / TRL / SetFit /
sentence-transformers ``...Trainer``, an Ultralytics model or a TensorFlow estimator), so E1's decisive selector (the
training module an automated path runs, that fits) leads with a CI-run entry training through a trainer before a
scikit-learn copy beside it. ``.train()`` on anything else (PyTorch's ``model.train()`` mode switch, a local ``train``
function, a module that only shares a name with a library) is no training."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from mlscan.detectors.docs_setup import _INSPECTS
from mlscan.facts.orchestration import fits_model
from mlscan.facts.side_environments import ci_image
from mlscan.index import FileEntry

from .test_evidence_deciding import _lead, _scan

_HF_TRAIN = """\
    import mlflow
    from datasets import load_dataset
    from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments


    def main():
        data = load_dataset("csv", data_files={"train": "data/train.csv", "test": "data/test.csv"})
        model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased", num_labels=2)
        trainer = Trainer(model=model, args=TrainingArguments("out", report_to=[]), train_dataset=data["train"],
                          eval_dataset=data["test"])
        with mlflow.start_run():
            trainer.train()
            metrics = trainer.evaluate()
            mlflow.log_metric("accuracy", metrics["eval_accuracy"])
            mlflow.transformers.log_model({"model": model}, "model")


    if __name__ == "__main__":
        main()
    """

_SKLEARN_COPY = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def main():
        df = pd.read_csv("data/train.csv")
        X, y = df.drop(columns=["label"]), df["label"]
        with mlflow.start_run():
            model = LogisticRegression().fit(X, y)
            mlflow.log_metric("accuracy", model.score(X, y))
            mlflow.sklearn.log_model(model, "model")


    if __name__ == "__main__":
        main()
    """

_RUN_WF = """\
    name: train
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: python src/main.py
    """

_FILES = {"src/main.py": _HF_TRAIN, "notebooks/a_baseline.py": _SKLEARN_COPY, ".github/workflows/train.yml": _RUN_WF,
          "README.md": "# reviews\n\n`notebooks/a_baseline.py` is the first baseline.\n"}


def test_e1_leads_with_the_ci_run_entry_training_through_a_trainer(tmp_path: Path) -> None:
    # the entry's name says nothing of training (``main.py``): only its trainer call shows that it fits
    qs = _scan(tmp_path, _FILES)
    assert qs["E1"]["answer"] == "yes"
    assert _lead(qs["E1"])[0] == "src/main.py"


def test_e1_a_torch_mode_switch_is_no_training(tmp_path: Path) -> None:
    # near miss: the CI-run entry only calls ``model.train()`` (PyTorch's mode switch) and logs a metric it never trained
    # for: the scikit-learn copy that fits leads
    entry = _HF_TRAIN.replace("trainer.train()", "model.train()")
    qs = _scan(tmp_path, {**_FILES, "src/main.py": entry})
    assert qs["E1"]["answer"] == "yes"
    assert _lead(qs["E1"])[0] == "notebooks/a_baseline.py"


def _fits(src: str) -> bool:
    return fits_model(ast.parse(textwrap.dedent(src)))


@pytest.mark.parametrize("src", [
    "from transformers import Trainer\nt = Trainer(model=m)\nt.train()\n",
    "import transformers\ntransformers.Seq2SeqTrainer(model=m).train()\n",
    "from trl import SFTTrainer\ntrainer = SFTTrainer(model=m, train_dataset=d)\ntrainer.train()\n",
    "from setfit import Trainer\nTrainer(model=m, train_dataset=d).train()\n",
    "from sentence_transformers import SentenceTransformerTrainer\nt = SentenceTransformerTrainer(model=m)\nt.train()\n",
    "from transformers import Trainer\nclass WeightedTrainer(Trainer):\n    pass\nself.trainer = WeightedTrainer(model=m)\n"
    "self.trainer.train()\n",
    "import xgboost as xgb\nbooster = xgb.train(params, dtrain, num_boost_round=100)\n",
    "import lightgbm as lgb\nlgb.train(params, lgb.Dataset(X, y))\n",
    "from catboost import Pool, train\ntrain(Pool(X, y), params)\n",
    "from ultralytics import YOLO\nYOLO('yolov8n.pt').train(data='coco8.yaml', epochs=3)\n",
    "import tensorflow as tf\nest = tf.estimator.DNNClassifier(hidden_units=[8])\nest.train(input_fn=train_input)\n",
])
def test_fits_model_knows_trainer_apis(src: str) -> None:
    assert _fits(src)


@pytest.mark.parametrize("src", [
    "import torch\nmodel.train()\nwith torch.no_grad():\n    model(x)\n",           # a mode switch
    "def train(cfg):\n    pass\ntrain(cfg)\n",                                        # a local function named train
    "import mylib as xgb\nxgb.train(params, d)\n",                                 # not the library's learning API
    "import xgboost as xgb\nxgb.cv(params, dtrain)\n",                              # cross-validation, no model kept
    "from transformers import Trainer\nt = Trainer(model=m)\nt.evaluate()\n",       # a trainer that only evaluates
    "from transformers import AutoModel\nm = AutoModel.from_pretrained('x')\nm.train()\n",  # a model's mode switch
    "from transformers import TrainingArguments\nargs = TrainingArguments('o')\nargs.train()\n",  # not a trainer class
])
def test_fits_model_near_misses(src: str) -> None:
    assert not _fits(src)


# ---------------------------------------------------------------- E4: a test resource's image, a CI runner's image

_PRODUCT_DOCKERFILE = """\
    FROM python:3.11-slim
    WORKDIR /app
    RUN pip install pandas==2.1.4 scikit-learn==1.3.2
    COPY src/ src/
    CMD ["python", "src/train.py"]
    """

_TEST_DOCKERFILE = """\
    FROM python:3.8.1
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    COPY server.py .
    CMD ["python", "server.py"]
    """

_TRAIN = "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\ndef main():\n    LogisticRegression().fit(X, y)\n"


def test_e4_a_test_resources_image_follows_the_products_image(tmp_path: Path) -> None:
    # the product's image installs its packages by name (no dependency file: a later selector than the test resource's
    # image installing from its requirements), yet it is the project's environment
    qs = _scan(tmp_path, {"Dockerfile": _PRODUCT_DOCKERFILE, "src/train.py": _TRAIN,
                          "tests/resources/registry/Dockerfile": _TEST_DOCKERFILE,
                          "tests/resources/registry/requirements.txt": "flask==3.0.0\n"})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "Dockerfile"


def test_e4_a_test_resources_image_alone_still_leads(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "tests/resources/registry/Dockerfile": _TEST_DOCKERFILE,
                          "tests/resources/registry/requirements.txt": "flask==3.0.0\n"})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "tests/resources/registry/Dockerfile"


_CI_DOCKERFILE = """\
    FROM library/ubuntu:20.04
    RUN apt-get update && apt-get -y install python3-pip curl
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    """

_GITLAB_CI = """\
    image: registry.gitlab.com/acme/churn/ci:latest
    unit-tests:
      script:
        - pytest tests
    """


_CONDA = "name: churn\ndependencies:\n  - python=3.11\n  - pandas=2.1.4\n  - scikit-learn=1.3.2\n"


def test_e4_a_ci_runners_image_follows_the_projects_environment(tmp_path: Path) -> None:
    # both answer yes; the CI runner's image (``.gitlab/``) sorted first by path
    files = {"environment.yml": _CONDA, "requirements.txt": "pandas==2.1.4\nscikit-learn==1.3.2\n", "src/train.py": _TRAIN,
             ".gitlab-ci.yml": _GITLAB_CI, ".gitlab/docker/Dockerfile": _CI_DOCKERFILE}
    qs = _scan(tmp_path, files)
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "environment.yml"


def test_e4_a_product_image_beside_the_environment_still_leads(tmp_path: Path) -> None:
    # near miss: the same image kept as the project's own (``docker/Dockerfile``) is the project's environment
    files = {"environment.yml": _CONDA, "requirements.txt": "pandas==2.1.4\nscikit-learn==1.3.2\n", "src/train.py": _TRAIN,
             ".gitlab-ci.yml": _GITLAB_CI, "docker/Dockerfile": _CI_DOCKERFILE}
    qs = _scan(tmp_path, files)
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "docker/Dockerfile"


@pytest.mark.parametrize(("vpath", "expected"), [
    (".gitlab/docker/Dockerfile", True), (".github/actions/lint/Dockerfile", True), (".circleci/images/Dockerfile", True),
    ("ci/Dockerfile", True), ("docker/ci/Dockerfile", True), ("Dockerfile.ci", True), ("ci.Dockerfile", True),
    ("Dockerfile", False), ("docker/Dockerfile", False), ("Dockerfile.cuda", False), ("circuits/Dockerfile", False),
    ("services/cicero/Dockerfile", False),
])
def test_ci_image_reads_where_the_image_is_kept(vpath: str, expected: bool) -> None:
    assert ci_image(FileEntry(vpath, vpath, "")) is expected


# ---------------------------------------------------------------- T1: the step itself, not a check or the paragraph's opening

_README_USAGE = """\
    # digits

    ## Usage
    The code in this repo is an MNIST example of the template.
    Install it with `pip install -r requirements.txt`.
    Try `python train.py -c config.json` to run code.
    """


def test_t1_cites_the_line_of_an_inline_command_not_the_paragraphs_first(tmp_path: Path) -> None:
    doc = textwrap.dedent(_README_USAGE).splitlines()
    qs = _scan(tmp_path, {"README.md": _README_USAGE, "requirements.txt": "torch==2.1.0\n", "train.py": _TRAIN})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", doc.index("Install it with `pip install -r requirements.txt`.") + 1)


def test_t1_an_inline_command_on_the_first_line_is_cited_there(tmp_path: Path) -> None:
    # near miss: a paragraph opening with the command is cited at its first line, as before
    readme = _README_USAGE.replace("The code in this repo is an MNIST example of the template.\n    ", "")
    doc = textwrap.dedent(readme).splitlines()
    qs = _scan(tmp_path, {"README.md": readme, "requirements.txt": "torch==2.1.0\n", "train.py": _TRAIN})
    assert _lead(qs["T1"]) == ("README.md", doc.index("Install it with `pip install -r requirements.txt`.") + 1)


_README_K8S = """\
    # churn

    ## Setup
    ```bash
    kubectl get nodes
    {step}
    pip install -r requirements.txt
    python train.py
    ```
    """


def test_t1_does_not_lead_with_a_command_that_only_shows_state(tmp_path: Path) -> None:
    readme = _README_K8S.replace("{step}", "kubectl apply -f k8s/")
    doc = textwrap.dedent(readme).splitlines()
    qs = _scan(tmp_path, {"README.md": readme, "requirements.txt": "torch==2.1.0\n", "train.py": _TRAIN, "k8s/job.yaml": "kind: Job\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", doc.index("kubectl apply -f k8s/") + 1)


def test_t1_past_two_checks_the_install_leads(tmp_path: Path) -> None:
    # the checks stay among the page's commands (the answer is unchanged); the install leads
    readme = _README_K8S.replace("{step}", "kubectl get pods")
    doc = textwrap.dedent(readme).splitlines()
    qs = _scan(tmp_path, {"README.md": readme, "requirements.txt": "torch==2.1.0\n", "train.py": _TRAIN})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", doc.index("pip install -r requirements.txt") + 1)


@pytest.mark.parametrize(("cmd", "inspects"), [
    ("kubectl get deployments --namespace abtesting", True), ("kubectl describe pod x", True), ("docker ps", True),
    ("helm status churn", True), ("az ad sp show --id x", True), ("gcloud compute instances list", True),
    ("kubectl apply -f k8s/", False), ("helm install churn ./chart", False), ("docker run -p 80:80 app", False),
    ("az ml job create -f job.yml", False), ("gcloud run deploy churn", False), ("az login", False), ("git clone https://x/y", False),
])
def test_inspection_commands(cmd: str, inspects: bool) -> None:
    assert bool(_INSPECTS.match(cmd)) is inspects
