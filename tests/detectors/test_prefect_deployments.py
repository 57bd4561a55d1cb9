"""Prefect 2 deployments with a schedule of a flow that trains (M1), in the forms Prefect's docs and public samples
write them: 2.0 beta's ``DeploymentSpec(flow=... | flow_location=..., schedule=IntervalSchedule/CronSchedule/
RRuleSchedule(...))``, ``Deployment.build_from_flow(..., schedule=...)``, ``flow.serve(cron=/interval=)``,
``flow.deploy(..., cron=)`` and ``prefect.yaml`` ``deployments[].schedule(s)``. Near misses: ``schedule=None``, a schedule
switched off (``active: false``), and a deployment of a flow that trains nothing, whatever the deployment is called."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo
from tests.test_evidence_deciding import _scan

_TRAIN = """\
    from prefect import flow, task
    from sklearn.linear_model import LinearRegression


    @task
    def load():
        return [[1], [2]], [1, 2]


    @task
    def fit(data):
        X, y = data
        return LinearRegression().fit(X, y)


    @flow
    def main():
        data = load()
        fit(data)
    """
# a flow that moves data and trains nothing
_ETL = """\
    from prefect import flow, task


    @task
    def extract():
        return [1, 2]


    @task
    def load(rows):
        print(rows)


    @flow
    def main():
        rows = extract()
        load(rows)
    """
_SPEC = """\
    from datetime import timedelta

    from prefect.deployments import DeploymentSpec
    from prefect.flow_runners import SubprocessFlowRunner
    from prefect.orion.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule

    DeploymentSpec(
        {flow},
        name="model_training",
        schedule={schedule},
        flow_runner=SubprocessFlowRunner(),
        tags=["ml"],
    )
    """
_ON = ('IntervalSchedule(interval=timedelta(days=1))', 'CronSchedule(cron="0 9 15 * *", timezone="America/New_York")',
       'RRuleSchedule(rrule="FREQ=WEEKLY;BYDAY=MO")')


def _schedules(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, bool]]:
    repo = git_repo(tmp_path / "r", {k: textwrap.dedent(v) for k, v in files.items()})
    found = run_detectors(FileIndex(resolve_target(str(repo))), load_detectors({"prefect.flow"}), 1)
    return [(f.evidence[0].path, f.evidence[0].line, f.attrs["active"]) for f in found if f.signal == "schedule.training"]


@pytest.mark.parametrize("schedule", _ON)
def test_deployment_spec_by_flow_location_schedules_its_training_flow(tmp_path: Path, schedule: str) -> None:
    spec = _SPEC.format(flow='flow_location="./flows/train.py"', schedule=schedule)
    assert _schedules(tmp_path, {"flows/train.py": _TRAIN, "flows/deploy.py": spec}) == [("flows/deploy.py", 7, True)]


def test_deployment_spec_by_flow_object_schedules_its_training_flow(tmp_path: Path) -> None:
    spec = "from train import main\n" + textwrap.dedent(_SPEC.format(flow="flow=main", schedule=_ON[0]))
    assert [s[2] for s in _schedules(tmp_path, {"train.py": _TRAIN, "deploy.py": spec})] == [True]


def test_deployment_spec_m1_yes_on_a_full_scan(tmp_path: Path) -> None:
    spec = _SPEC.format(flow='flow_location="train.py"', schedule=_ON[1])
    qs = _scan(tmp_path, {"train.py": _TRAIN, "deploy.py": spec})
    assert qs["M1"]["answer"] == "yes"
    assert qs["M1"]["evidence"][0]["path"] == "deploy.py"


def test_deployment_spec_with_schedule_none_is_no_schedule(tmp_path: Path) -> None:
    spec = _SPEC.format(flow='flow_location="train.py"', schedule="None")
    assert _schedules(tmp_path, {"train.py": _TRAIN, "deploy.py": spec}) == []
    assert _scan(tmp_path / "s", {"train.py": _TRAIN, "deploy.py": spec})["M1"]["answer"] == "no"


def test_deployment_spec_of_a_flow_that_trains_nothing_is_no_m1(tmp_path: Path) -> None:
    # the deployment is named for training, but the flow it deploys only moves data
    spec = _SPEC.format(flow='flow_location="etl.py"', schedule=_ON[0])
    assert _schedules(tmp_path, {"etl.py": _ETL, "deploy.py": spec}) == []
    assert _scan(tmp_path / "s", {"etl.py": _ETL, "deploy.py": spec})["M1"]["answer"] == "no"


def test_a_deployment_of_another_library_names_no_flow(tmp_path: Path) -> None:
    # a ``Deployment(...)`` with a schedule but no flow keyword is not a Prefect deployment
    other = "from prefect import flow\nfrom ops import Deployment\n\nDeployment(name='model_training', schedule='0 3 * * *')\n"
    assert _schedules(tmp_path, {"train.py": _TRAIN, "ops_deploy.py": other}) == []


_BUILD = """\
    from prefect.deployments import Deployment
    from prefect.server.schemas.schedules import CronSchedule

    from train import main

    deployment = Deployment.build_from_flow(flow=main, name="nightly", schedule={schedule})
    deployment.apply()
    """


@pytest.mark.parametrize(("schedule", "found"), [('CronSchedule(cron="0 2 * * *")', [True]), ("None", [])])
def test_build_from_flow(tmp_path: Path, schedule: str, found: list[bool]) -> None:
    files = {"train.py": _TRAIN, "deploy.py": _BUILD.format(schedule=schedule)}
    assert [s[2] for s in _schedules(tmp_path, files)] == found


@pytest.mark.parametrize(("call", "found"), [
    ('main.serve(name="train-daily", cron="0 3 * * *")', [True]),
    ('main.serve(name="train-hourly", interval=3600)', [True]),
    ('main.deploy(name="train", work_pool_name="pool", image="reg/train:1", cron="0 3 * * *")', [True]),
    ('main.serve(name="train-daily")', []),  # served, run by hand
    ('main.serve(name="train-daily", cron=None)', []),
])
def test_serve_and_deploy(tmp_path: Path, call: str, found: list[bool]) -> None:
    src = textwrap.dedent(_TRAIN) + f'\n\nif __name__ == "__main__":\n    {call}\n'
    assert [s[2] for s in _schedules(tmp_path, {"train.py": src})] == found


def test_serve_of_a_flow_that_trains_nothing_is_no_schedule_even_when_named_for_training(tmp_path: Path) -> None:
    src = textwrap.dedent(_ETL) + '\n\nif __name__ == "__main__":\n    main.serve(name="nightly-training", cron="0 3 * * *")\n'
    assert _schedules(tmp_path, {"etl.py": src}) == []


_YAML = """\
    deployments:
      - name: nightly-training
        entrypoint: flows/train.py:main
        work_pool:
          name: default
        schedules:
          - cron: "0 3 * * *"
            active: {active}
    """


@pytest.mark.parametrize(("active", "found"), [("true", [True]), ("false", [False])])
def test_prefect_yaml_schedules(tmp_path: Path, active: str, found: list[bool]) -> None:
    files = {"flows/train.py": _TRAIN, "prefect.yaml": _YAML.format(active=active)}
    assert [s[2] for s in _schedules(tmp_path, files)] == found
    assert (_scan(tmp_path / "s", files)["M1"]["answer"] == "yes") is found[0]  # switched off: at most partial
