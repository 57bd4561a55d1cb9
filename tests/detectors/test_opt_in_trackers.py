"""E1 (session 13 blind samples): a tracker behind an opt-in flag that defaults off is not every run's tracker. Forms:
an argparse flag with no default (argparse gives None), a dataclass/config field defaulting to False/None read through a
config root or ``self``, tested with ``is not None``. Near misses: the flag defaults on, ``store_false``, a required
flag, a field the file sets, an unconditional call."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.facts import tracking
from mlscan.facts.pyeval import Flags, guarded_off
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo

ARGP = 'import argparse\nimport wandb\np = argparse.ArgumentParser()\np.add_argument({arg})\nargs = p.parse_args()\nif {test}:\n    wandb.init(project="x")\n'
TB = 'from torch.utils.tensorboard import SummaryWriter\n'
DC = 'from dataclasses import dataclass\nfrom typing import Optional\nimport wandb\n' + TB + '\n\n@dataclass\nclass TrainConfig:\n    {field}\n    lr: float = 0.1\n\n\n'

OFF = {
    "nargs-no-default": ARGP.format(arg='"--report_to", nargs="+"', test='args.report_to and "wandb" in args.report_to'),
    "empty-default": ARGP.format(arg='"--report-to", default="", type=str', test='"wandb" in args.report_to'),
    "list-default": ARGP.format(arg='"--report_to", default=[], nargs="+"', test='"wandb" in args.report_to'),
    "valued-no-default": ARGP.format(arg='"--tensorboard", type=str', test="args.tensorboard"),
    "explicit-none": ARGP.format(arg='"--wandb_project", default=None', test="args.wandb_project is not None"),
    "field-false": DC.format(field="use_wandb: bool = False") + 'def train(cfg: TrainConfig) -> None:\n    if cfg.use_wandb:\n        wandb.init(project="x")\n',
    "field-none": DC.format(field="tensorboard_dir: Optional[str] = None")
    + "def train(cfg: TrainConfig) -> None:\n    if cfg.tensorboard_dir is not None:\n        SummaryWriter(cfg.tensorboard_dir)\n",
    "field-self": DC.format(field="use_wandb: bool = False").replace("    lr: float = 0.1\n", "    lr: float = 0.1\n\n    def fit(self) -> None:\n"
                                                                    '        if self.use_wandb:\n            wandb.init(project="x")\n'),
}
ON = {
    "default-on": ARGP.format(arg='"--report-to", default="wandb", type=str', test='"wandb" in args.report_to'),
    "store-false": ARGP.format(arg='"--no_wandb", dest="wandb", action="store_false"', test="args.wandb"),
    "required": ARGP.format(arg='"--report_to", nargs="+", required=True', test='"wandb" in args.report_to'),
    "field-true": DC.format(field="use_wandb: bool = True") + 'def train(cfg: TrainConfig) -> None:\n    if cfg.use_wandb:\n        wandb.init(project="x")\n',
    "field-set": DC.format(field="tensorboard_dir: Optional[str] = None")
    + 'def train(cfg: TrainConfig) -> None:\n    cfg.tensorboard_dir = "runs"\n    if cfg.tensorboard_dir is not None:\n        SummaryWriter(cfg.tensorboard_dir)\n',
    "unconditional": 'import wandb\nwandb.init(project="x")\n',
}


def _off(tmp: Path, src: str, extra: dict[str, str] | None = None) -> list[bool]:
    repo = git_repo(tmp, {"train.py": src, **(extra or {})}, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    e, tree = index.entry("train.py"), index.python("train.py")
    assert e is not None and tree is not None
    calls = tracking.tracker_calls(index, e)
    assert calls
    par, flags = tracking.parents(tree), Flags(index, tree)
    return [guarded_off(c.node_in(tree), par, flags) for c in calls]


@pytest.mark.parametrize("name", sorted(OFF))
def test_tracker_behind_a_flag_that_defaults_off_is_opt_in(tmp_path: Path, name: str) -> None:
    assert all(_off(tmp_path, OFF[name])), name


@pytest.mark.parametrize("name", sorted(ON))
def test_tracker_behind_a_flag_that_defaults_on_or_no_flag_still_counts(tmp_path: Path, name: str) -> None:
    assert not any(_off(tmp_path, ON[name])), name


def test_a_config_that_switches_the_field_on_makes_it_count(tmp_path: Path) -> None:
    assert not any(_off(tmp_path, OFF["field-false"], {"configs/train.yaml": "use_wandb: true\nlr: 0.1\n"}))


TRAIN = '''import argparse

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--report_to", {kw})
args = p.parse_args()


def main() -> None:
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(C=1.0).fit(X, y)
    if args.report_to and "mlflow" in args.report_to:
        with mlflow.start_run():
            mlflow.log_param("C", 1.0)
            mlflow.log_metric("accuracy", model.score(X, y))


if __name__ == "__main__":
    main()
'''
CI = "on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pip install -r requirements.txt\n      - run: python train.py\n"


def _e1(tmp: Path, kw: str) -> str:
    import json

    from click.testing import CliRunner
    from mlscan.cli import main

    repo = git_repo(tmp, {"train.py": TRAIN.replace("{kw}", kw), "requirements.txt": "mlflow==2.9.2\nscikit-learn==1.3.2\n",
                          ".github/workflows/train.yml": CI})
    res = CliRunner().invoke(main, ["scan", str(repo), "--format", "json"])
    assert res.exit_code == 0, res.output
    return next(q["answer"] for q in json.loads(res.output)["questions"] if q["id"] == "E1")


def test_e1_is_not_yes_for_a_report_to_flag_with_no_default(tmp_path: Path) -> None:
    assert _e1(tmp_path, 'nargs="+"') != "yes"


def test_e1_is_yes_for_a_report_to_flag_defaulting_to_the_tracker(tmp_path: Path) -> None:
    assert _e1(tmp_path, 'nargs="+", default=["mlflow"]') == "yes"
