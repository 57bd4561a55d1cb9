"""E3 (session 13 blind samples): a commit that CI hands to a Databricks bundle variable (`bundle deploy
--var="git_sha=${{ github.sha }}"`), that a job task passes to its code (`--git_sha ${var.git_sha}`), which puts it into the
tags of its MLflow run and registered model through a project settings class (`Tags(git_sha=args.git_sha)`,
`mlflow.start_run(tags=self.tags)`). Near misses: CI sets only a branch name, no automated command sets the variable (its
default is a placeholder), the code reads the option but tags nothing with it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import git_repo

BUNDLE_PROJECT = {
    '.github/workflows/cd.yml': 'name: CD\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: databricks/setup-cli@v0.236.0\n      - run: databricks bundle deploy --var="git_sha=${{ github.sha }}" --var="branch=${{ github.ref_name }}" --target prod\n        env:\n          DATABRICKS_TOKEN: ${{ secrets.DATABRICKS_TOKEN }}\n',
    'databricks.yml': 'bundle:\n  name: house-price\n\ninclude:\n  - resources/*.yml\n\nvariables:\n  git_sha:\n    description: git sha of the code deployed\n    default: abcd\n  branch:\n    description: branch\n    default: main\n  schedule_pause_status:\n    default: UNPAUSED\n\ntargets:\n  dev:\n    default: true\n    mode: development\n  prod:\n    mode: production\n',
    'requirements.txt': 'mlflow==2.17.0\nscikit-learn==1.5.2\npydantic==2.9.2\n',
    'resources/training.yml': 'resources:\n  jobs:\n    house_training:\n      name: house-price-training\n      schedule:\n        quartz_cron_expression: "0 0 6 ? * MON"\n        timezone_id: UTC\n        pause_status: ${var.schedule_pause_status}\n      tasks:\n        - task_key: preprocess\n          spark_python_task:\n            python_file: ../scripts/preprocess.py\n        - task_key: train_model\n          depends_on:\n            - task_key: preprocess\n          spark_python_task:\n            python_file: ../scripts/train_model.py\n            parameters:\n              - "--root_path"\n              - "${workspace.root_path}"\n              - "--git_sha"\n              - "${var.git_sha}"\n              - "--job_run_id"\n              - "{{job.run_id}}"\n              - "--branch"\n              - "${var.branch}"\n',
    'scripts/preprocess.py': 'import pandas as pd\ndf = pd.read_csv("/Volumes/main/house/raw/data.csv")\ndf.to_parquet("/Volumes/main/house/clean/data.parquet")\n',
    'scripts/train_model.py': 'import argparse\n\nfrom house.config import ProjectConfig, Tags\nfrom house.model import BasicModel\n\nparser = argparse.ArgumentParser()\nparser.add_argument("--root_path", action="store", default=None, type=str, required=True)\nparser.add_argument("--git_sha", action="store", default=None, type=str, required=True)\nparser.add_argument("--job_run_id", action="store", default=None, type=str, required=True)\nparser.add_argument("--branch", action="store", default=None, type=str, required=True)\nargs = parser.parse_args()\n\nconfig = ProjectConfig.from_yaml(config_path=f"{args.root_path}/files/project_config.yml")\ntags = Tags(git_sha=args.git_sha, branch=args.branch, job_run_id=args.job_run_id)\nmodel = BasicModel(config=config, tags=tags)\nmodel.load_data()\nmodel.train()\nmodel.log_model()\nmodel.register_model()\n',
    'src/house/__init__.py': '',
    'src/house/config.py': 'import yaml\nfrom pydantic import BaseModel\n\n\nclass ProjectConfig(BaseModel):\n    catalog_name: str\n    schema_name: str\n    experiment_name: str\n\n    @classmethod\n    def from_yaml(cls, config_path: str) -> "ProjectConfig":\n        with open(config_path) as f:\n            return cls(**yaml.safe_load(f))\n\n\nclass Tags(BaseModel):\n    git_sha: str\n    branch: str\n    job_run_id: str\n',
    'src/house/model.py': 'import mlflow\nimport pandas as pd\nfrom mlflow.models import infer_signature\nfrom sklearn.ensemble import RandomForestRegressor\n\nfrom house.config import ProjectConfig, Tags\n\n\nclass BasicModel:\n    def __init__(self, config: ProjectConfig, tags: Tags) -> None:\n        self.config = config\n        self.tags = tags.model_dump()\n        self.model_name = f"{config.catalog_name}.{config.schema_name}.house_model"\n\n    def load_data(self) -> None:\n        self.df = pd.read_parquet("/Volumes/main/house/clean/data.parquet")\n\n    def train(self) -> None:\n        self.model = RandomForestRegressor().fit(self.df.drop(columns=["price"]), self.df["price"])\n\n    def log_model(self) -> None:\n        mlflow.set_experiment(self.config.experiment_name)\n        with mlflow.start_run(tags=self.tags) as run:\n            self.run_id = run.info.run_id\n            mlflow.log_metric("r2", self.model.score(self.df.drop(columns=["price"]), self.df["price"]))\n            mlflow.sklearn.log_model(self.model, "model", signature=infer_signature(self.df.drop(columns=["price"])))\n\n    def register_model(self) -> None:\n        mlflow.register_model(model_uri=f"runs:/{self.run_id}/model", name=self.model_name, tags=self.tags)\n',
}
CD = ".github/workflows/cd.yml"
TRAIN = "scripts/train_model.py"


def _e3(tmp: Path, files: dict[str, str]) -> dict:
    repo = git_repo(tmp, files)  # type: ignore[arg-type]
    res = CliRunner().invoke(main, ["scan", str(repo), "--format", "json", "--no-cache"])
    assert res.exit_code == 0, res.output
    return next(q for q in json.loads(res.output)["questions"] if q["id"] == "E3")


def test_commit_through_a_bundle_variable_into_run_and_model_tags(tmp_path: Path) -> None:
    q = _e3(tmp_path, BUNDLE_PROJECT)
    assert q["answer"] == "yes"
    assert (q["evidence"][0]["path"], q["evidence"][0]["snippet"].strip()) == ("resources/training.yml", '- "${var.git_sha}"')


def test_bundle_variable_set_from_the_environment_of_the_ci_job(tmp_path: Path) -> None:
    cd = BUNDLE_PROJECT[CD].replace(' --var="git_sha=${{ github.sha }}"', "").replace(
        "          DATABRICKS_TOKEN:", "          BUNDLE_VAR_git_sha: ${{ github.sha }}\n          DATABRICKS_TOKEN:")
    assert _e3(tmp_path, {**BUNDLE_PROJECT, CD: cd})["answer"] == "yes"


def test_near_miss_ci_sets_only_the_branch(tmp_path: Path) -> None:
    cd = BUNDLE_PROJECT[CD].replace(' --var="git_sha=${{ github.sha }}"', "")
    assert _e3(tmp_path, {**BUNDLE_PROJECT, CD: cd})["answer"] != "yes"


def test_near_miss_the_code_reads_the_sha_but_tags_nothing(tmp_path: Path) -> None:
    train = BUNDLE_PROJECT[TRAIN].replace("tags = Tags(git_sha=args.git_sha, branch=args.branch, job_run_id=args.job_run_id)",
                                          'print("deploying", args.git_sha)\ntags = Tags(branch=args.branch, job_run_id=args.job_run_id)')
    assert _e3(tmp_path, {**BUNDLE_PROJECT, TRAIN: train})["answer"] != "yes"
