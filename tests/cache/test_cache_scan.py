"""Scans with the facts cache: a rescan reuses what did not change and reports exactly what an uncached scan
reports (unchanged repository, one Python file changed, a YAML file changed, files added; one and several
processes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlscan import parallel
from mlscan.cache.run import RunCache
from mlscan.engine import ScanOptions, scan
from mlscan.reporters import get_reporter

from tests.conftest import make_repo
from tests.hostile_repos import hostile_level_tree

ROOT = Path(__file__).resolve().parent.parent.parent
L3 = ROOT / "fixtures" / "levels" / "l3-platform" / "repo"


def _report(path: Path, jobs: int, cache: object) -> dict:
    out = json.loads(get_reporter("json")(scan(str(path), ScanOptions(frameworks=("all",), jobs=jobs, cache=cache)), color=False))
    out["stats"].pop("duration_seconds")
    return out


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many units the scans reused and recomputed."""
    seen = {"reused": 0, "recomputed": 0}
    real_reuse, real_record = RunCache.reuse, RunCache.record

    def reuse(self: RunCache, nid: str):  # type: ignore[no-untyped-def]
        seen["reused"] += 1
        return real_reuse(self, nid)

    def record(self: RunCache, nid: str, rec, findings):  # type: ignore[no-untyped-def]
        seen["recomputed"] += 1
        return real_record(self, nid, rec, findings)

    monkeypatch.setattr(RunCache, "reuse", reuse)
    monkeypatch.setattr(RunCache, "record", record)
    return seen


def _hostile_copy(tmp_path: Path) -> Path:
    return make_repo(hostile_level_tree(L3, tmp_path / "src"), tmp_path / "repo")


@pytest.mark.parametrize("jobs", [1, 2])
def test_rescans_report_what_an_uncached_scan_reports(tmp_path: Path, jobs: int, counts: dict[str, int]) -> None:
    if jobs > 1 and not parallel.available():
        pytest.skip("no fork start method on this platform")
    repo = _hostile_copy(tmp_path)
    cache = tmp_path / "cache"
    plain = _report(repo, jobs, False)
    assert counts == {"reused": 0, "recomputed": 0}
    assert _report(repo, jobs, cache) == plain  # cold: everything runs and is recorded
    assert counts["reused"] == 0 and counts["recomputed"] > 0
    counts["recomputed"] = 0
    assert _report(repo, jobs, cache) == plain  # warm: everything reused
    assert counts["recomputed"] == 1 and counts["reused"] > 10  # only the work outside all units ("top") runs again
    assert {w["code"] for w in plain["warnings"]} >= {"parse-error", "not-utf8", "too-large"}

    train = next(p for p in sorted(repo.rglob("*.py")) if "mlflow" in p.read_text(errors="replace") and "test" not in p.name)
    train.write_text(train.read_text() + "\n\ndef helper():\n    return mlflow.log_metric('x', 1)\n")
    counts.update(reused=0, recomputed=0)
    assert _report(repo, jobs, cache) == _report(repo, jobs, False)
    assert 0 < counts["recomputed"] < counts["reused"]

    wf = next(repo.glob(".github/workflows/*.yml"))
    wf.write_text(wf.read_text() + "\n# a comment\n")
    assert _report(repo, jobs, cache) == _report(repo, jobs, False)
    (repo / "broken.py").write_text("import mlflow\nmlflow.log_param('a', 1)\n")  # now parses
    assert _report(repo, jobs, cache) == _report(repo, jobs, False)


def test_added_file_and_a_cold_cache_from_another_process_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlscan.cache.facts import FactCache

    repo = _hostile_copy(tmp_path)
    (repo / "main_broken.py").write_text("if __name__ == '__main__':\n    run(\n")  # a root script that does not parse
    cache = tmp_path / "cache"
    if parallel.available():
        _report(repo, 2, cache)  # filled by a parallel scan, read by a serial one
    assert _report(repo, 1, cache) == _report(repo, 1, False)
    hits: list[str] = []
    real = FactCache.get

    def get(self: FactCache, name: str, path: str):  # type: ignore[no-untyped-def]
        got = real(self, name, path)
        if got is not None:
            hits.append(path)
        return got

    monkeypatch.setattr(FactCache, "get", get)
    (repo / "extra.py").write_text("import wandb\nwandb.init(project='x')\n")
    subprocess.run(["git", "add", "extra.py"], cwd=repo, check=True)
    cached = _report(repo, 1, cache)  # a new listing: every unit runs, the wiring graph's file facts come from the cache
    assert hits and "main_broken.py" in hits
    assert cached == _report(repo, 1, False)
    assert any(w["path"] == "main_broken.py" and w["code"] == "parse-error" for w in cached["warnings"])


def test_outside_git_content_hashes(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    shutil.copytree(L3, repo)
    cache = tmp_path / "cache"
    first = _report(repo, 1, cache)
    assert _report(repo, 1, cache) == first == _report(repo, 1, False)
    py = next(p for p in sorted(repo.rglob("*.py")))
    py.write_text(py.read_text() + "\nimport mlflow\nmlflow.autolog()\n")
    assert _report(repo, 1, cache) == _report(repo, 1, False)


def test_cli_no_cache_and_cache_dir(tmp_path: Path, _own_cache_dir: Path) -> None:
    import os
    import sys

    repo = make_repo(L3, tmp_path / "repo")
    env = {**os.environ}
    run = [sys.executable, "-m", "mlscan", "scan", str(repo), "-f", "json"]
    cp = subprocess.run([*run, "--no-cache"], capture_output=True, env=env, check=True)
    assert not any(_own_cache_dir.iterdir())
    subprocess.run(run, capture_output=True, env=env, check=True)
    assert (_own_cache_dir / "facts.sqlite3").exists()
    other = tmp_path / "other"
    cp2 = subprocess.run([*run, "--cache-dir", str(other)], capture_output=True, env=env, check=True)
    assert (other / "facts.sqlite3").exists()
    a, b = json.loads(cp.stdout), json.loads(cp2.stdout)
    a["stats"].pop("duration_seconds")
    b["stats"].pop("duration_seconds")
    assert a == b


def test_damaged_entries_are_recomputed(tmp_path: Path) -> None:
    import sqlite3

    from mlscan.cache.store import decode, encode

    repo = make_repo(L3, tmp_path / "repo")
    cache = tmp_path / "cache"
    plain = _report(repo, 1, False)
    _report(repo, 1, cache)
    db = sqlite3.connect(str(cache / "facts.sqlite3"))
    (key, blob), = db.execute("SELECT key, value FROM entries WHERE kind='run'").fetchall()
    run = decode(blob)
    nodes = sorted(run["nodes"])
    for i, nid in enumerate(nodes):  # broken JSON, a finding of the wrong shape, an unknown tag, an index out of range
        run["nodes"][nid] = ["{", '{"c":[],"a":[],"m":[],"s":[],"e":[],"f":[["x"]]}',
                             '{"c":[],"a":[],"m":[],"s":[],"e":[["w","c","m",99999]],"f":[]}', run["nodes"][nid]][i % 4]
    db.execute("UPDATE entries SET value=? WHERE kind='run' AND key=?", (encode(run), key))
    db.commit()
    db.close()
    assert _report(repo, 1, cache) == plain
    assert _report(repo, 1, cache) == plain


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    import os

    repo = make_repo(L3, tmp_path / "repo")
    name = os.fsencode(str(repo)) + b"/src/caf\xe9.py"
    with open(name, "wb") as fh:
        fh.write(b"import mlflow\nmlflow.log_metric('a', 1)\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    cache = tmp_path / "cache"
    plain = _report(repo, 1, False)
    assert _report(repo, 1, cache) == plain
    assert _report(repo, 1, cache) == plain


def test_a_failing_detector_pass_is_stored_with_its_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            counts: dict[str, int]) -> None:
    from mlscan.detectors.cost_gpu import CostGpu

    def broken(self, index):  # type: ignore[no-untyped-def]
        raise TypeError("unhashable type: 'LineDict'")

    monkeypatch.setattr(CostGpu, "detect", broken)
    repo = make_repo(L3, tmp_path / "repo")
    cache = tmp_path / "cache"
    plain = _report(repo, 1, False)
    assert any(w["code"] == "detector-error" for w in plain["warnings"])
    assert _report(repo, 1, cache) == plain
    counts.update(reused=0, recomputed=0)
    assert _report(repo, 1, cache) == plain
    assert counts["recomputed"] == 1  # "top" only: the failed pass was reused with its warning



PER_FILE_FACT_REPO = {
    "train.py": "import mlflow\nfrom sklearn.linear_model import LogisticRegression\n\n\ndef main():\n"
                "    with mlflow.start_run():\n        mlflow.set_tag('git_commit', COMMIT)\n"
                "        LogisticRegression().fit(X, y)\n\n\nif __name__ == '__main__':\n    main()\n",
    "monitor.py": "from evidently import Report\n\n\ndef check(report, pipeline):\n    drift = report.as_dict()['drift_detected']\n"
                  "    if drift:\n        pipeline.retrain_model()\n\n\nif __name__ == '__main__':\n    check(None, None)\n",
    # mentions every word those passes look for (tag, commit, mlflow, fit, train, drift) and matches none of them
    "notes.py": "# tag commit mlflow fit train drift torch.save\nimport mlflow\n\n\ndef describe():\n    return 'fit train drift'\n",
}


def test_a_file_edit_keeps_passes_whose_file_facts_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """model.code_version, project.shape and retrain.trigger read each Python file through file facts: an edit that
    leaves a file's facts as they were reuses their whole pass (no file parsed again), and the report is unchanged."""
    from tests.conftest import git_repo

    repo = git_repo(tmp_path / "repo", PER_FILE_FACT_REPO)
    cache = tmp_path / "cache"
    first = _report(repo, 1, cache)
    assert {f["signal"] for f in first["findings"]} >= {"model.code_version", "project.scripts", "retrain.trigger"}
    reused: list[str] = []
    real = RunCache.reuse

    def reuse(self: RunCache, nid: str):  # type: ignore[no-untyped-def]
        reused.append(nid)
        return real(self, nid)

    monkeypatch.setattr(RunCache, "reuse", reuse)
    notes = repo / "notes.py"
    notes.write_text(notes.read_text() + "\n\ndef more():\n    return 'drift and fit again'\n")
    assert _report(repo, 1, cache) == _report(repo, 1, False) == first
    assert {"d:model.code_version", "d:project.shape", "d:retrain.trigger"} <= set(reused)
    # a file the findings cite, edited below what they cite: the passes observed its facts and snippets, not its text
    reused.clear()
    train = repo / "train.py"
    train.write_text(train.read_text() + "\n\ndef helper():\n    return 1\n")
    assert _report(repo, 1, cache) == _report(repo, 1, False) == first
    assert {"d:model.code_version", "d:project.shape"} <= set(reused)
    train.write_text(train.read_text().replace("git_commit", "git_sha"))  # the cited line changed: the pass runs again
    reused.clear()
    changed = _report(repo, 1, cache)
    assert changed == _report(repo, 1, False) and "d:model.code_version" not in reused


def test_the_wiring_graph_is_kept_until_what_it_read_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring graph (a memo with a codec) is decoded from the cache while nothing its build observed changed, and
    built again when it did (a workflow now runs another script); reports equal an uncached scan's each time."""
    from mlscan.facts import wiring as wiring_mod

    from tests.conftest import git_repo

    files = {**PER_FILE_FACT_REPO, ".github/workflows/train.yml":
             "on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python train.py\n"}
    repo = git_repo(tmp_path / "repo", files)
    cache = tmp_path / "cache"
    builds: list[int] = []
    real = wiring_mod.Wiring.__init__

    def init(self, index):  # type: ignore[no-untyped-def]
        builds.append(1)
        real(self, index)

    monkeypatch.setattr(wiring_mod.Wiring, "__init__", init)
    first = _report(repo, 1, cache)
    assert builds and any("CI step .github/workflows/train.yml" in " ".join(ev.get("chain") or []) for f in first["findings"]
                          for ev in f["evidence"])
    builds.clear()
    assert _report(repo, 1, cache) == first and not builds  # unchanged: decoded, not built
    wf = repo / ".github" / "workflows" / "train.yml"
    wf.write_text(wf.read_text().replace("python train.py", "python monitor.py"))
    builds.clear()
    assert _report(repo, 1, cache) == _report(repo, 1, False)
    assert builds  # what it read changed: built again


_PLUGIN = '''from mlscan.detector import Detector


class Probe(Detector):
    id = "probe.fingerprint"
    questions = ()
    globs = ()
    signals = ()

    def detect(self, index):
        return iter(())
'''


def _fingerprint_in_new_process(plugin_dir: Path) -> str:
    code = (f"import sys; sys.path.insert(0, {str(plugin_dir)!r}); import fp_probe; "
            "from mlscan.cache.run import code_fingerprint; print(code_fingerprint([fp_probe.Probe()]))")
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_the_code_fingerprint_is_the_loaded_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A running process keeps the fingerprint of the code it imported: a detector module edited on disk during a
    long run (an upgrade under an org worker, a checkout being merged) must not file old results under the new code's
    key; a new process, which runs the new code, gets a new fingerprint."""
    (tmp_path / "fp_probe.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    import fp_probe  # type: ignore[import-not-found]
    from mlscan.cache import run as cache_run

    monkeypatch.setattr(cache_run, "_FINGERPRINTS", {})
    before = cache_run.code_fingerprint([fp_probe.Probe()])
    assert _fingerprint_in_new_process(tmp_path) == before  # same files, same fingerprint in any process
    (tmp_path / "fp_probe.py").write_text(_PLUGIN + "\n# edited\n")
    assert cache_run.code_fingerprint([fp_probe.Probe()]) == before  # this process still runs the code it loaded
    assert _fingerprint_in_new_process(tmp_path) != before  # a new process loads the edited module


def test_findings_a_visitor_rewrites_are_stored(tmp_path: Path, counts: dict[str, int]) -> None:
    """monitoring.python adds an attribute to its shared-pass findings: they stay storable (frozen attrs), so a rescan
    reuses every unit; a plain dict there made every scan that found Python monitoring uncacheable."""
    repo = make_repo(ROOT / "fixtures" / "detectors" / "monitoring.python" / "positive" / "monitoring", tmp_path / "repo")
    cache = tmp_path / "cache"
    first = _report(repo, 1, cache)
    assert any(f["signal"].startswith("monitoring.") for f in first["findings"])
    counts.update(reused=0, recomputed=0)
    assert _report(repo, 1, cache) == first
    assert counts["recomputed"] == 1 and counts["reused"] > 0


def test_a_yaml_file_fact_and_its_warnings_come_back_from_the_cache(tmp_path: Path) -> None:
    from tests.conftest import git_repo
    from tests.facts.test_parse_once import SPEC, SPEC_ONE

    repo = git_repo(tmp_path / "repo", {"specs/training.yaml": SPEC.format(name="training"), "specs/single.yaml": SPEC_ONE,
                                        "specs/broken.yaml": "pipelineInfo: [\n", "specs/other.json": '{"pipelineInfo": {"name": "x"}, "root": {}}'})
    cache = tmp_path / "cache"
    plain = _report(repo, 1, False)
    assert any(f["signal"] == "pipeline.dag" for f in plain["findings"])
    assert [w["path"] for w in plain["warnings"] if w["code"] == "parse-error"] == ["specs/broken.yaml"]
    assert _report(repo, 1, cache) == plain
    assert _report(repo, 1, cache) == plain  # warm
    (repo / "specs" / "single.yaml").write_text(SPEC.format(name="single"))  # now a graph: the fact of its new content
    assert _report(repo, 1, cache) == _report(repo, 1, False)
