"""E1 (session 13 blind samples, part 2): opt-in trackers whose flag is declared or derived in another module of the
project. Forms: an argparse ``--report-to`` defaulting to '' in a params module, flags derived from it in the entry point
(``args.wandb = "wandb" in args.report_to``) and tested there and in a third module; a settings class field defaulting to
None read through the project's own settings name (``neox_args.use_wandb``); a logging helper whose ``use_wandb``
parameter every caller fills from that field; a tracker only in an optional requirements file. Near misses: the flag
defaults on, a CI job or a config switches it on, a caller passes True, modules disagree on the default, a factory that
raises when no tracker is chosen (tracking is mandatory), the optional requirements file installed by CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

PARAMS = '''import argparse


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--logs", type=str, default="./logs/")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--report-to", default={default}, type=str, help="'wandb', 'tensorboard' or 'wandb,tensorboard'")
    return p.parse_args(argv)
'''
MAIN = '''import sys

import torch
import wandb
from torch.utils.tensorboard import SummaryWriter

from training.params import parse_args
from training.train import train_one_epoch


def main(argv):
    args = parse_args(argv)
    args.save_logs = args.logs and args.logs.lower() != "none"
    args.wandb = "wandb" in args.report_to or "all" in args.report_to
    args.tensorboard = "tensorboard" in args.report_to or "all" in args.report_to
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    writer = None
    if args.save_logs and args.tensorboard:
        writer = SummaryWriter(args.logs)
    if args.wandb:
        wandb.init(project="clip", config=vars(args))
    for epoch in range(args.epochs):
        train_one_epoch(model, optimizer, epoch, args, writer)


if __name__ == "__main__":
    main(sys.argv[1:])
'''
TRAIN = '''import torch
import wandb


def train_one_epoch(model, optimizer, epoch, args, tb_writer=None):
    loss = torch.nn.functional.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 2, (8,)))
    loss.backward()
    optimizer.step()
    if args.wandb:
        wandb.log({"loss": loss.item()}, step=epoch)
'''
CLIP = {"src/training/params.py": PARAMS.format(default='""'), "src/training/main.py": MAIN, "src/training/train.py": TRAIN,
        "src/training/__init__.py": "", "requirements.txt": "torch==2.1.0\nwandb==0.16.0\ntensorboard==2.15.1\n"}
CI = ("on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
      "      - run: pip install -r requirements.txt\n      - run: cd src && python -m training.main --report-to wandb,tensorboard\n")

SETTINGS = '''from dataclasses import dataclass


@dataclass
class NeoXArgsLogging:
    use_wandb: bool = None
    """Flag indicating if wandb is to be used."""
    wandb_project: str = "neox"
    tensorboard_dir: str = None
    train_iters: int = 10
'''
LOGGING = '''import wandb


def tb_wandb_log(key, value, iteration_no, use_wandb, tensorboard_writer=None):
    if tensorboard_writer:
        tensorboard_writer.add_scalar(key, value, iteration_no)
    if use_wandb:
        wandb.log({{key: value}}, step=iteration_no)


def training_log(neox_args, loss, iteration, writer=None):
    tb_wandb_log("train/loss", loss, iteration, use_wandb={passed}, tensorboard_writer=writer)
'''
UTILS = '''import wandb


def init_wandb(neox_args):
    if neox_args.use_wandb:
        wandb.init(project=neox_args.wandb_project)
'''
PRETRAIN = '''import torch

from megatron.logging import training_log
from megatron.neox_args import NeoXArgsLogging
from megatron.utils import init_wandb


def pretrain(neox_args):
    init_wandb(neox_args)
    model = torch.nn.Linear(4, 4)
    opt = torch.optim.Adam(model.parameters())
    for it in range(neox_args.train_iters):
        loss = model(torch.randn(2, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        training_log(neox_args, loss.item(), it)


if __name__ == "__main__":
    pretrain(NeoXArgsLogging())
'''
NEOX = {"megatron/__init__.py": "", "megatron/neox_args.py": SETTINGS, "megatron/logging.py": LOGGING.format(passed="neox_args.use_wandb"),
        "megatron/utils.py": UTILS, "megatron/training.py": PRETRAIN, "requirements.txt": "torch==2.1.0\nwandb==0.16.0\n"}

FACTORY = '''import os
from dataclasses import dataclass

import torch
import wandb
from torch.utils.tensorboard import SummaryWriter


@dataclass
class TrainConfig:
    tracker: str = None
    epochs: int = 2


def make_tracker(cfg: TrainConfig):
    if cfg.tracker == "wandb":
        return wandb.init(project="x")
    elif cfg.tracker == "tensorboard":
        return SummaryWriter("runs")
    else:
        raise ValueError(f"choose a tracker with TRACKER, got {cfg.tracker!r}")


def main() -> None:
    cfg = TrainConfig(tracker=os.environ["TRACKER"])
    run = make_tracker(cfg)
    model = torch.nn.Linear(4, 2)
    for epoch in range(cfg.epochs):
        loss = model(torch.randn(2, 4)).pow(2).mean()
        loss.backward()
        wandb.log({"loss": loss.item()}) if cfg.tracker == "wandb" else run.add_scalar("loss", loss.item(), epoch)


if __name__ == "__main__":
    main()
'''
UNCONDITIONAL = """import pandas as pd
import wandb
from sklearn.linear_model import LogisticRegression


def main() -> None:
    df = pd.read_csv("data/train.csv")
    wandb.init(project="churn")
    model = LogisticRegression(C=1.0).fit(df.drop(columns=["y"]), df["y"])
    wandb.log({"accuracy": model.score(df.drop(columns=["y"]), df["y"])})


if __name__ == "__main__":
    main()
"""


def _optional(tmp: Path, files: dict[str, str]) -> dict[str, bool]:
    repo = git_repo(tmp, files)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    found = [f for f in run_detectors(index, load_detectors({"tracking.python"})) if f.signal == "tracking.run"]
    assert found
    return {f.evidence[0].path: bool(f.attrs["optional"]) for f in found}


OFF = {
    "report-to in another module, derived flags": CLIP,
    "settings field in another module, passed through a helper": NEOX,
    "tracker only in an optional requirements file": {"train.py": UNCONDITIONAL, "requirements/requirements.txt": "torch==2.1.0\n",
                                                      "requirements/requirements-wandb.txt": "wandb>=0.10.28\n"},
}
ON = {
    "report-to defaulting to the tracker": {**CLIP, "src/training/params.py": PARAMS.format(default='"wandb,tensorboard"')},
    "a CI job passes --report-to": {**CLIP, ".github/workflows/train.yml": CI},
    "a config switches the field on": {**NEOX, "configs/local_setup_wandb.yml": "use_wandb: true\nwandb_project: neox\n"},
    "a caller passes True": {**NEOX, "megatron/logging.py": LOGGING.format(passed="True")},
    "modules disagree on the default": {**CLIP, "tools/sweep.py": PARAMS.format(default='"wandb"')},
    "a factory raises when no tracker is chosen": {"train.py": FACTORY, "requirements.txt": "torch==2.1.0\nwandb==0.16.0\ntensorboard==2.15.1\n"},
    "the optional requirements installed by CI": {**OFF["tracker only in an optional requirements file"], ".github/workflows/train.yml": CI.replace(
        "requirements.txt", "requirements/requirements.txt -r requirements/requirements-wandb.txt").replace(
        "cd src && python -m training.main --report-to wandb,tensorboard", "python train.py")},
}


@pytest.mark.parametrize("name", sorted(OFF))
def test_tracker_behind_a_project_flag_that_defaults_off_is_opt_in(tmp_path: Path, name: str) -> None:
    got = _optional(tmp_path, OFF[name])
    assert all(got.values()), (name, got)


@pytest.mark.parametrize("name", sorted(ON))
def test_tracker_switched_on_or_mandatory_still_counts(tmp_path: Path, name: str) -> None:
    got = _optional(tmp_path, ON[name])
    assert not all(got.values()), (name, got)


def _e1(tmp: Path, files: dict[str, str]) -> str:
    import json

    from click.testing import CliRunner
    from mlscan.cli import main

    repo = git_repo(tmp, files)  # type: ignore[arg-type]
    res = CliRunner().invoke(main, ["scan", str(repo), "--format", "json", "--no-cache"])
    assert res.exit_code == 0, res.output
    return next(q["answer"] for q in json.loads(res.output)["questions"] if q["id"] == "E1")


def test_e1_of_a_library_whose_trackers_a_report_to_flag_switches_on(tmp_path: Path) -> None:
    assert _e1(tmp_path / "off", CLIP) != "yes"
    assert _e1(tmp_path / "ci", {**CLIP, ".github/workflows/train.yml": CI}) == "yes"
