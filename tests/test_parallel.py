"""Parallel scans (scanner/parallel.py): forked workers give the serial scan's report, lose nothing when a
worker dies or a result cannot be sent back, and are only started for large repositories."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlscan import parallel
from mlscan.detector import Detector
from mlscan.engine import ScanOptions, run_detectors, scan
from mlscan.index import FileIndex
from mlscan.model import Finding
from mlscan.plugins import load_detectors
from mlscan.reporters import get_reporter
from mlscan.target import resolve_target

from .test_bad_input import run

ROOT = Path(__file__).resolve().parent.parent
L3 = ROOT / "fixtures" / "levels" / "l3-platform" / "repo"

pytestmark = pytest.mark.skipif(not parallel.available(), reason="no fork start method on this platform")


def _report(path: Path, jobs: int) -> dict:
    out = json.loads(get_reporter("json")(scan(str(path), ScanOptions(frameworks=("all",), jobs=jobs)), color=False))
    assert out["stats"].pop("jobs") == jobs
    out["stats"].pop("duration_seconds")
    return out


def _hostile_copy(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(L3, repo)
    (repo / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (repo / ".github" / "workflows" / "broken.yml").write_text("on: [push\njobs: {\n")
    (repo / "broken.py").write_text("import mlflow\ndef (:\n")
    (repo / "big.json").write_bytes(b"[" + b"1," * 700_000 + b"1]")
    (repo / "latin1.py").write_bytes(b"# caf\xe9\nimport mlflow\n")
    return repo


def test_parallel_report_is_the_serial_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _hostile_copy(tmp_path)
    calls: list[int] = []
    real = parallel.run_parallel

    def spy(index: FileIndex, detectors: list[Detector], jobs: int) -> list[Finding] | None:
        calls.append(jobs)
        return real(index, detectors, jobs)

    monkeypatch.setattr(parallel, "run_parallel", spy)
    serial = _report(repo, 1)
    assert calls == []
    forked = _report(repo, 3)
    assert calls == [3]
    assert forked == serial  # findings in the same order, the same warnings, skipped files and stats
    assert serial["findings"] and {w["code"] for w in serial["warnings"]} >= {"parse-error", "not-utf8", "too-large"}


_PARENT = os.getpid()


class _DiesInWorker(Detector):
    """Kills the worker process it runs in (as the OOM killer would); runs normally in the scanning process."""

    id = "test.dies"

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        if os.getpid() != _PARENT:
            os._exit(3)
        yield self.found("test.survived", index, "train.py", 1)


class _Unpicklable(Detector):
    """A finding whose attrs cannot be pickled: its task is run again in the scanning process."""

    id = "test.unpicklable"

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield self.found("test.odd", index, "train.py", 1, attrs={"f": lambda: None})


@pytest.mark.parametrize("extra", [_DiesInWorker, _Unpicklable])
def test_failed_tasks_run_again_in_the_scanning_process(extra: type[Detector]) -> None:
    def findings(jobs: int) -> tuple[list[tuple[str, str, str]], FileIndex]:
        index = FileIndex(resolve_target(str(L3)))
        found = run_detectors(index, [*load_detectors(), extra()], jobs)
        return [(f.detector, f.signal, f.evidence[0].path if f.evidence else "") for f in found], index

    serial, _ = findings(1)
    forked, index = findings(2)
    assert forked == serial
    assert any(d == extra.id for d, _, _ in forked)
    assert any(w.code == "parallel-fallback" for w in index.warnings)


def test_workers_start_only_for_large_repositories() -> None:
    assert parallel.auto_jobs(parallel.AUTO_MIN_FILES - 1) == 1
    assert 1 <= parallel.auto_jobs(parallel.AUTO_MIN_FILES) <= parallel.MAX_AUTO_JOBS
    small = scan(str(L3))
    assert small.stats["jobs"] == 1


def test_jobs_option(tmp_path: Path) -> None:
    cp = run("scan", str(L3), "-f", "json", "--jobs", "2")
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout)["stats"]["jobs"] == 2
    bad = run("scan", str(L3), "--jobs", "-1")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--jobs" in bad.stderr
