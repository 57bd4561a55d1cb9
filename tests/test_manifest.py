"""The detector manifest (mlscan.manifest, detectors/_manifest.json): current, and sound on every fixture.

A scan imports a detector only when the repository holds a file its gate needs; skipping it must change nothing. On
every fixture tree (detectors' positive and near-miss trees, level and pitfall examples) each detector runs as one
recorded unit (tests/manifest_audit.py): where its gate is closed it must read no file (nor any derived model that
read one), ask only about files the gate check asks about, and find and warn nothing. And a scan that loads only the
detectors it chooses reports exactly what a scan of every detector reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mlscan.engine import ScanOptions, choose_detectors, scan
from mlscan.index import FileIndex
from mlscan.manifest import Gate, gate_open, read_manifest
from mlscan.plugins import load_detectors, plan_detectors
from mlscan.report import build_report
from mlscan.target import resolve_target
from mlscan.vocabulary import planned

from tests.conftest import FIXTURES, ROOT, make_repo
from tests.manifest_audit import Reads, audit

TREES = sorted(
    [p for p in (FIXTURES / "detectors").glob("*/*") if p.is_dir()]
    + [p / "repo" if (p / "repo").is_dir() else p for p in (FIXTURES / "levels").iterdir() if p.is_dir()]
    + [p for p in (FIXTURES / "pitfalls").glob("*/*/repo") if p.is_dir()]
)


def test_manifest_is_current() -> None:
    rc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_manifest.py"), "--check"], capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr


def test_manifest_lists_every_builtin_detector() -> None:
    manifest = read_manifest()
    assert manifest is not None
    gates, values = manifest
    ids = {d.id for d in load_detectors()}
    assert {g.id for g in gates.values() if g is not None} <= ids
    assert len(values) == len(ids)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("manifest")
    return [make_repo(t, base / f"t{i}") for i, t in enumerate(TREES)]


def _name(repo: Path, repos: list[Path]) -> str:
    return str(TREES[repos.index(repo)].relative_to(FIXTURES))


def test_closed_gates_read_and_find_nothing(repos: list[Path]) -> None:
    manifest = read_manifest()
    assert manifest is not None
    gates = [g for g in manifest[0].values() if g is not None]
    detectors = load_detectors()
    problems: list[str] = []
    closed_somewhere: set[str] = set()
    for repo in repos:
        index = FileIndex(resolve_target(str(repo)))
        index.register_vocabulary(sorted(planned(plan_detectors().module_names(), lambda: None)))
        closed = {g.id: g for g in gates if not gate_open(index, g)}
        asked_by_gate = {g.id: _asked_by(index, g) for g in closed.values()}
        for det_id, r in audit(index, detectors).items():
            if det_id not in closed:
                continue
            closed_somewhere.add(det_id)
            problems += _trespasses(f"{_name(repo, repos)}: {det_id} (gate closed)", r, asked_by_gate[det_id])
    assert not problems, "\n".join(problems)
    assert closed_somewhere == {g.id for g in gates}, "every gate is closed on some fixture"


def _trespasses(where: str, r: Reads, may_ask: set[str]) -> list[str]:
    """What a detector whose gate is closed did anyway (``manifest_audit.audit``'s record ``r``): read a file, ask about
    a file its word clauses do not ask about (``may_ask``), find or warn."""
    out = []
    if r.content:
        out.append(f"{where} read {sorted(r.content)[:5]}")
    if r.asked - may_ask:
        out.append(f"{where} asked about {sorted(r.asked - may_ask)[:5]}")
    if r.findings or r.warnings:
        out.append(f"{where} found {[f.signal for f in r.findings][:5]}, {r.warnings} warnings")
    return out


def _asked_by(index: FileIndex, gate: Gate) -> set[str]:
    """The files a gate's word clauses ask about."""
    return {e.path for globs, words, text in gate.clauses if words or text for e in index.select(globs)}


def _covered(index: FileIndex, gate: Gate) -> set[str]:
    """The files that meet a clause of the gate (any file of a clause without words)."""
    return {e.path for globs, words, text in gate.clauses for e in index.select(globs)
            if not (words or text) or words and index.mentions(e.path, words) or text and index.contains(e.path, text)}


def test_a_detector_reads_nothing_its_gate_does_not_cover(repos: list[Path]) -> None:
    """On every fixture tree, each gated detector runs again with the files that meet its gate left out (``--exclude``):
    it must then read no file, ask only about files its word clauses ask about, and find and warn nothing. So every
    file a detector reads first is one its gate covers: a gate of several clauses (a CI file, OR a Python file with
    these words, OR ...) is proven clause by clause on every kind of file the fixtures hold, not only on the trees
    where it happens to be closed."""
    manifest = read_manifest()
    assert manifest is not None
    gates = [g for g in manifest[0].values() if g is not None]
    by_id = {d.id: d for d in load_detectors()}
    vocab = sorted(planned(plan_detectors().module_names(), lambda: None))
    problems: list[str] = []
    runs = 0
    for repo in repos:
        index = FileIndex(resolve_target(str(repo)))
        index.register_vocabulary(vocab)
        groups: dict[frozenset[str], list[Gate]] = {}
        for g in gates:
            covered = _covered(index, g)
            if covered:  # else the gate is closed on the tree as it is (test_closed_gates_read_and_find_nothing)
                groups.setdefault(frozenset(covered), []).append(g)
        for covered, gs in groups.items():
            runs += 1
            sub = FileIndex(resolve_target(str(repo)), excludes=sorted(covered))
            sub.register_vocabulary(vocab)
            assert not any(gate_open(sub, g) for g in gs)
            asked = {g.id: _asked_by(sub, g) for g in gs}
            for det_id, r in audit(sub, [by_id[g.id] for g in gs]).items():
                problems += _trespasses(f"{_name(repo, repos)} without {sorted(covered)[:3]}...: {det_id}", r, asked[det_id])
    assert not problems, "\n".join(problems)
    assert runs > len(repos)


def _report(repo: Path, everything: bool, monkeypatch: pytest.MonkeyPatch) -> dict:
    if everything:
        monkeypatch.setattr("mlscan.engine.choose_detectors", lambda index, plan, words=True, run=None: plan.choose(lambda g: True))
    try:
        rep = build_report(scan(str(repo), ScanOptions(cache=False)))
    finally:
        monkeypatch.undo()
    rep["stats"].pop("duration_seconds", None)
    rep.pop("generated_at", None)
    return rep


def test_a_chosen_scan_reports_what_a_full_scan_reports(repos: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    differ = []
    skipped = 0
    for repo in repos:
        index = FileIndex(resolve_target(str(repo)))
        plan = plan_detectors()
        index.register_vocabulary(sorted(planned(plan.module_names(), plan.load_all)))
        skipped += plan.count() - len(choose_detectors(index, plan))
        a, b = _report(repo, False, monkeypatch), _report(repo, True, monkeypatch)
        if json.dumps(a, sort_keys=True, default=str) != json.dumps(b, sort_keys=True, default=str):
            differ.append(_name(repo, repos))
    assert not differ, differ
    assert skipped > len(repos)  # the gates do close


def test_word_gates_open_without_reading_in_a_parallel_scan(tmp_path: Path) -> None:
    repo = make_repo(FIXTURES / "detectors" / "airflow.dag" / "near_miss", tmp_path / "r")
    index = FileIndex(resolve_target(str(repo)))
    plan = plan_detectors()
    index.register_vocabulary(sorted(planned(plan.module_names(), plan.load_all)))
    words = {d.id for d in choose_detectors(index, plan, words=False)}
    assert {g.id for g in plan.gates if g.reads_words} <= words
    assert index.stats.read == 0


def test_gate_checks() -> None:
    g = Gate("x", "m:C", "x", ("**/*.py",), (b"airflow",))
    assert g.reads_words and Gate.from_json("x", g.to_json()).words == (b"airflow",)


def test_a_plugin_turns_deferral_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlscan import plugins

    real = plugins.entry_points_of

    class Ep:
        name, value = "extra.thing", "mlscan.detectors.ci_workflow:CiWorkflow"
        dist = plugins._Dist("other")

        def load(self):  # type: ignore[no-untyped-def]
            return plugins.OwnEntryPoint(self.name, self.value, "g", self.dist).load()

    monkeypatch.setattr(plugins, "entry_points_of", lambda group: [*real(group), Ep()])
    plan = plugins.plan_detectors()
    assert plan.deferred == [] and plan.gates == []


def test_the_vocabulary_of_every_detector_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlscan import vocabulary

    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    plan = plan_detectors()
    calls: list[int] = []

    def load_all() -> None:
        calls.append(1)
        plan.load_all()

    first = planned(plan.module_names(), load_all)
    assert calls == [1]
    assert first == vocabulary.harvest(load_detectors())  # what a scan that loads every detector registers
    assert planned(plan.module_names(), load_all) == first and calls == [1]  # read back, nothing imported
    key = vocabulary._plan_key(plan.module_names())
    assert key is not None
    monkeypatch.setattr(vocabulary, "_plan_key", lambda names: [key[0], [*key[1], ["edited.py", 1, 1]]])
    assert planned(plan.module_names(), load_all) == first and calls == [1, 1]  # a module changed: harvested again


def test_a_rescan_reuses_the_word_gates_while_their_files_are_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlscan import manifest

    from tests.conftest import GIT_ENV, git_init

    root = tmp_path / "r"
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text("import mlflow\n\nmlflow.start_run()\n")
    (root / "src" / "util.py").write_text("X = 1\n")
    git_init(root)
    asked: list[str] = []
    checked: list[tuple[str, str]] = []
    real, real_meets = manifest.gate_open, manifest.gate_meets

    def counting(index, gate, out=None):  # type: ignore[no-untyped-def]
        if gate.reads_words:
            asked.append(gate.id)
        return real(index, gate, out)

    def meets(index, gate, path):  # type: ignore[no-untyped-def]
        checked.append((gate.id, path))
        return real_meets(index, gate, path)

    monkeypatch.setattr(manifest, "gate_open", counting)
    monkeypatch.setattr(manifest, "gate_meets", meets)
    cache = tmp_path / "cache"

    def report(cached: bool) -> str:
        rep = build_report(scan(str(root), ScanOptions(cache=cache if cached else False)))
        rep["stats"].pop("duration_seconds", None)
        rep.pop("generated_at", None)
        return json.dumps(rep, sort_keys=True, default=str)

    cold = report(True)
    assert "airflow.dag" in asked
    asked.clear()
    checked.clear()
    assert report(True) == cold and asked == [] and checked == []  # the stored answers: no file read for a gate
    (root / "src" / "util.py").write_text("from airflow import DAG\n\nwith DAG('train', schedule='@daily') as dag:\n    pass\n")
    import subprocess

    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=GIT_ENV)
    checked.clear()
    warm = report(True)
    assert ("airflow.dag", "src/util.py") in checked  # a file it asked about changed: that file is asked again, alone
    assert not [c for c in checked if c[1] != "src/util.py"] and asked == []
    assert '"airflow.dag"' in warm and warm == report(False)


def test_an_open_word_gate_stays_open_in_a_warm_rescan(tmp_path: Path) -> None:
    """A stored open answer is reused as open while the file that opened it is unchanged (it once came back closed:
    the gated detector was dropped from every warm rescan, and its answers with it)."""
    from tests.conftest import git_init

    root = tmp_path / "r"
    (root / "dags").mkdir(parents=True)
    (root / "dags" / "train.py").write_text(
        "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n"
        "with DAG('train', schedule='@daily') as dag:\n    BashOperator(task_id='fit', bash_command='python train.py')\n")
    (root / "util.py").write_text("X = 1\n")
    git_init(root)
    cache = tmp_path / "cache"

    def report(cached: bool) -> str:
        rep = build_report(scan(str(root), ScanOptions(cache=cache if cached else False)))
        rep["stats"].pop("duration_seconds", None)
        rep.pop("generated_at", None)
        return json.dumps(rep, sort_keys=True, default=str)

    uncached = report(False)
    assert '"airflow.dag"' in uncached
    assert report(True) == uncached  # cold: answers computed and stored
    assert report(True) == uncached  # warm: the stored open answer
    assert report(True) == uncached  # and again from what the warm scan kept


def test_warm_rescans_report_what_uncached_scans_report(repos: list[Path], tmp_path: Path) -> None:
    """Over every fixture tree where a word gate opens: the cold cached scan, and the warm rescans after it (stored gate
    answers reused), report what an uncached scan reports."""
    plan = plan_detectors()
    word_gates = [g for g in plan.gates if g.reads_words]
    differ, tried = [], 0
    for i, repo in enumerate(repos):
        index = FileIndex(resolve_target(str(repo)))
        if not any(gate_open(index, g) for g in word_gates):
            continue
        tried += 1
        cache = tmp_path / f"c{i}"

        def report(cached: bool, repo: Path = repo, cache: Path = cache) -> str:
            rep = build_report(scan(str(repo), ScanOptions(cache=cache if cached else False)))
            rep["stats"].pop("duration_seconds", None)
            rep.pop("generated_at", None)
            return json.dumps(rep, sort_keys=True, default=str)

        uncached = report(False)
        if not (report(True) == uncached and report(True) == uncached):
            differ.append(_name(repo, repos))
    assert tried > 10 and not differ, (tried, differ)


@pytest.mark.parametrize(("files", "opens"), [
    ({"src/train.py": "import mlflow\n\nmlflow.log_metric('a', 1)\n", "requirements.txt": "mlflow\n", "README.md": "# x\n"}, False),
    ({"src/train.py": "import mlflow\n\nmlflow.sklearn.log_model(m, 'model')\n"}, True),
    ({"scripts/push.sh": "aws s3 cp model.pkl s3://bucket/models/\n"}, True),
    ({"src/upload.py": "import boto3\n\nboto3.client('s3').upload_file('model.pkl', 'b', 'k')\n"}, True),
    ({"docker-compose.yml": "services:\n  mlflow:\n    image: mlflow\n"}, True),
])
def test_the_artifact_store_gate(tmp_path: Path, files: dict[str, str], opens: bool) -> None:
    """artifact.store is gated (session 17): a training script that only logs metrics, a requirements file and a README
    (benchmarks/importtime.py's tiny repository) leave it closed; a logged model, a copy script, a storage SDK or YAML open it."""
    from tests.conftest import git_init

    for rel, text in files.items():
        (tmp_path / "r" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "r" / rel).write_text(text)
    index = FileIndex(resolve_target(str(git_init(tmp_path / "r"))))
    plan = plan_detectors()
    index.register_vocabulary(sorted(planned(plan.module_names(), plan.load_all)))
    gate = next(g for g in plan.gates if g.id == "artifact.store")
    assert gate_open(index, gate) is opens
