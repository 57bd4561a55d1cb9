"""The shared schedule fact (session 12, issue #13): a schedule declared in Python counts when its value is set and it is
on, read from the calls and not from text. The trap catalogue's schedules that run nothing unattended (``schedule=None``,
``schedule_interval="@once"``, ``cron=""``, paused DAGs, Dagster schedules left STOPPED, disabled rules) are off; a
schedule in a comment or a docstring is no call at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.facts.schedules import declared_schedules, schedules_on
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo


def _facts(tmp: Path, src: str) -> list[list[object]]:
    repo = git_repo(tmp, {"jobs/drift.py": src}, commit=False)  # type: ignore[arg-type]
    return declared_schedules(FileIndex(resolve_target(str(repo))), "jobs/drift.py")


@pytest.mark.parametrize(("src", "on"), [
    ('DAG("drift", schedule_interval="@daily")', True),
    ('DAG("drift", schedule="0 3 * * *")', True),
    ("DAG('drift', schedule=timedelta(hours=6))", True),
    ('DAG("drift", schedule=[Dataset("s3://b/predictions/")])', True),
    ('flow.serve(name="drift", cron="0 * * * *")', True),
    ('Deployment.build_from_flow(drift, name="d", schedule=IntervalSchedule(interval=3600))', True),
    ('ScheduleDefinition(job=drift_job, cron_schedule="0 0 * * *", default_status=DefaultScheduleStatus.RUNNING)', True),
    ('events.put_rule(Name="drift", ScheduleExpression="rate(1 day)")', True),
    ("SCHEDULE = '@hourly'\nDAG('drift', schedule=SCHEDULE)", True),
    ("DAG('drift', schedule=settings.DRIFT_CRON)", True),  # set from configuration: not known to be off
    # the trap catalogue: set to nothing, once, paused, stopped, disabled
    ('DAG("drift", schedule_interval=None)', False),
    ('DAG("drift", schedule=None)', False),
    ('DAG("drift", schedule="@once")', False),
    ('flow.serve(name="drift", cron="")', False),
    ('DAG("drift", schedule="@daily", is_paused_upon_creation=True)', False),
    ("SCHEDULE = None\nDAG('drift', schedule=SCHEDULE)", False),
    ('ScheduleDefinition(job=drift_job, cron_schedule="0 0 * * *")', False),  # Dagster: STOPPED by default
    ('events.put_rule(Name="drift", ScheduleExpression="rate(1 day)", State="DISABLED")', False),
    ('flow.serve(name="drift", cron="0 * * * *", paused=True)', False),
])
def test_a_schedule_counts_when_it_is_set_and_on(tmp_path: Path, src: str, on: bool) -> None:
    facts = _facts(tmp_path, src + "\n")
    assert facts and any(f[3] for f in facts) is on


def test_text_that_only_mentions_a_schedule_declares_none(tmp_path: Path) -> None:
    src = '"""Run me with schedule_interval="@daily" in Airflow."""\n# cron="0 3 * * *"\nprint("schedule=(none)")\nrun(report)\n'
    assert _facts(tmp_path, src) == []
    repo = git_repo(tmp_path / "b", {"jobs/drift.py": src}, commit=False)  # type: ignore[arg-type]
    assert not schedules_on(FileIndex(resolve_target(str(repo))), "jobs/drift.py")


# the drift job's schedule (monitoring.python): an input-drift report run by an orchestrator whose schedule is off, or
# whose only "schedule" is text, is run by hand
@pytest.mark.parametrize(("change", "by_hand"), [
    (None, False),
    (('schedule_interval="@daily"', 'schedule_interval="@once"'), True),
    (('schedule_interval="@daily"', 'schedule_interval="@daily", is_paused_upon_creation=True'), True),
    (('schedule_interval="@daily", ', ""), True),  # no schedule, only a comment and a docstring naming one
])
def test_the_drift_jobs_schedule_is_the_shared_fact(tmp_path: Path, change: tuple[str, str] | None, by_hand: bool) -> None:
    from tests.detectors.test_session11_simulated_drift import AIRFLOW_DAG, DRIFT, LIVE, _o1

    dag = AIRFLOW_DAG if change is None else AIRFLOW_DAG.replace(*change)
    if change is not None and not change[1]:
        dag = '"""Runs with schedule_interval="@daily" once deployed."""\n# cron="0 3 * * *"\n' + dag
    answer, attrs = _o1(tmp_path, {"monitoring/__init__.py": "", "monitoring/drift.py": DRIFT.format(current=LIVE), "dags/drift_dag.py": dag})
    assert bool(attrs.get("input_drift_by_hand")) is by_hand and answer == ("partial" if by_hand else "yes")


@pytest.mark.parametrize(("cron", "active"), [('"0 2 * * *"', [True]), ("None", []), ('""', [])])
def test_a_prefect_deployment_whose_cron_is_set_to_nothing_schedules_nothing(tmp_path: Path, cron: str, active: list[bool]) -> None:
    from mlscan.engine import run_detectors
    from mlscan.plugins import load_detectors

    src = ("from prefect import flow\n\n\n@flow\ndef train_model():\n    fit()\n\n\n"
           f'if __name__ == "__main__":\n    train_model.serve(name="nightly-training", cron={cron})\n')
    repo = git_repo(tmp_path, {"flows/train.py": src}, commit=False)  # type: ignore[arg-type]
    found = run_detectors(FileIndex(resolve_target(str(repo))), load_detectors({"prefect.flow"}))
    assert [f.attrs["active"] for f in found if f.signal == "schedule.training"] == active


CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: drift-report
spec:
  schedule: "0 3 * * *"
  suspend: {suspend}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: drift
              image: ghcr.io/acme/monitoring:1.4.0
              command: ["python", "monitoring/drift.py"]
"""


@pytest.mark.parametrize(("suspend", "by_hand"), [("false", False), ("true", True)])
def test_a_drift_job_run_by_a_kubernetes_cronjob(tmp_path: Path, suspend: str, by_hand: bool) -> None:
    from tests.detectors.test_session11_simulated_drift import DRIFT, LIVE, _o1

    answer, attrs = _o1(tmp_path, {"monitoring/__init__.py": "", "monitoring/drift.py": DRIFT.format(current=LIVE),
                                   "k8s/drift-cronjob.yaml": CRONJOB.format(suspend=suspend)})
    assert bool(attrs.get("input_drift_by_hand")) is by_hand and answer == ("partial" if by_hand else "yes")
