"""Which training entry points of a project reach an experiment tracker.

A training entry point is a script (``__main__`` guard), an orchestrator definition (a Metaflow flow, an Airflow
DAG, ...) or a notebook that fits a model itself, or through the project modules it imports. It is *independent*
when no other entry point imports it (a ``train.py`` that a pipeline step imports is part of that step's run). It
is *tracked* when it or a project module it imports calls an experiment tracker.

Which entry points are the project's workflow depends on where the tracked ones sit (labelling conventions: "a
tracker invoked by every training run"; notebooks count when they are the workflow): each entry has a tier,
automated (CI, DVC stage, container, orchestrator definition) 3, a script 2, a notebook 1, anything under an
exploration/example/tutorial folder 0; an untracked entry counts against coverage when its tier is at least the
highest tier of a tracked entry (a hand-run baseline script does not make an automated, tracked pipeline
untracked; untracked flows next to a tracked flow do). Nothing is imported or executed: imports are read from
the file facts the wiring graph uses.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Any

from ..index import FileEntry, FileIndex, register_fact
from ..valueclass import Value, setfield
from . import ops, tracking
from .orchestration import MODEL_FILE_LOADS, dig, k8s_objects, trainingish, walk_dicts, words
from .place import EXPLORATION_DIRS, place
from .pyast import walk
from .wiring import FILE_FACTS, file_imports, may_be_root, orchestrated

MAX_CLOSURE = 400  # project modules followed from one entry point
MAX_FILES = 3000  # a project larger than this is not census-taken (the wiring graph stops at the same size)
_FIT_CALLS = frozenset({"fit", "fit_generator", "train_on_batch", "partial_fit"})
_TRAIN_CALL_ROOTS = frozenset({"xgb", "xgboost", "lgb", "lightgbm", "catboost", "trainer"})
# pipeline-native run tracking (labelling conventions E1): KFP metrics outputs, ZenML metadata, SageMaker training-job
# metric definitions and experiment configs
_NATIVE = (b"Output[Metrics]", b"Output[ClassificationMetrics]", b"mlpipeline_metrics", b"mlpipeline-metrics", b"log_metadata",
           b"metric_definitions", b"experiment_config")
# receivers whose fit prepares features (a scaler, a vectorizer, an encoder), not a model
_PREPROCESSORS = frozenset({"scaler", "vectorizer", "vectoriser", "encoder", "imputer", "tokenizer", "tfidf", "pca", "svd", "normalizer",
                            "binarizer", "discretizer", "preprocessor", "featurizer"})
# stems of data-preparation scripts (a featurization stage fits a vectorizer; it trains no model)
_DATA_STEMS = frozenset({"feature", "features", "featurize", "featurization", "preprocess", "preprocessing", "prepare", "prep",
                         "etl", "ingest", "ingestion", "clean", "cleaning", "split", "download", "transform", "transforms"})
# scripts named for scoring, serving or evaluating a model (a scaler fitted at load time is no training run)
_NOT_TRAINING_STEMS = frozenset({"infer", "inference", "predict", "prediction", "predictions", "serve", "serving", "server", "app",
                                 "sample", "sampling", "generate", "generation",
                                 "api", "evaluate", "evaluation", "eval"})
_FIT_WORDS = (b"fit", b"fit_generator", b"train_on_batch", b"partial_fit", b"train", b"backward")


class TrainingEntry(Value, frozen=True):
    """A file that trains a model, ranked by how it is run (automated, script, notebook, exploration)."""

    path: str  # repository path
    line: int  # the fit call in the entry itself, else 1
    tier: int  # 3 automated, 2 script, 1 notebook, 0 exploration
    tracked: bool
    independent: bool

    _fields = ("path", "line", "tier", "tracked", "independent")
    __slots__ = _fields

    def __init__(self, path: str, line: int, tier: int, tracked: bool, independent: bool) -> None:
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "tier", tier)
        setfield(self, "tracked", tracked)
        setfield(self, "independent", independent)


def _fit_line(index: FileIndex, path: str) -> int:
    """Line of the first call that fits a model (``model.fit``, ``trainer.train()``, ``xgb.train``, ``loss.backward()``),
    0 when there is none or the file does not parse."""
    tree = index.python(path)
    if tree is None:
        return 0
    best = 0
    for n in walk(tree):
        if isinstance(n, ast.Call):
            name = ops.dotted(n.func)
            last = name.rsplit(".", 1)[-1]
            root = name.split(".", 1)[0]
            if not (last in _FIT_CALLS or last == "backward" or (last == "train" and root in _TRAIN_CALL_ROOTS)):
                continue
            if words(name) & _PREPROCESSORS:
                continue  # StandardScaler().fit(X), vectorizer.fit(texts): preparing features, not training a model
            line = getattr(n, "lineno", 0)
            best = line if not best else min(best, line)
    return best


# derived as a file naming a fit word is parsed: the training entries ask it of scripts and of the modules they import,
# which the wiring graph parsed earlier
FIT_FACT = register_fact("training.fit_line", _fit_line, eager=lambda index, path: index.may_mention(path, _FIT_WORDS))


# loading a trained model or checkpoint, and using it: what a sampling/inference entry does instead of training
_LOADS = frozenset({"load_state_dict", "from_pretrained", "load_model", "load_from_checkpoint", "load_checkpoint", "restore",
                    "load_learner", "load_weights"})
_USES = frozenset({"generate", "predict", "predict_proba", "sample", "infer", "inference", "transcribe", "translate", "decode",
                   "generate_text", "sample_sequence"})


def _inference_only(index: FileIndex, path: str) -> bool:
    """Does a file load a trained model or checkpoint and only use it (``torch.load(ckpt)`` + ``load_state_dict`` then
    ``model.generate(...)``, ``joblib.load`` then ``predict``), fitting nothing and calling no training function of its
    own or the project's (``train(...)``, ``trainer.fit``)? A ``sample.py``/``generate.py`` that loads a checkpoint and
    generates is an inference step, not a training run that should be tracked."""
    tree = index.python(path)
    if tree is None:
        return False
    loads = uses = False
    for n in walk(tree):
        if not isinstance(n, ast.Call):
            continue
        name = ops.dotted(n.func)
        last = name.rsplit(".", 1)[-1]
        if last in _FIT_CALLS or last == "backward" or trainingish(last):
            return False
        loads = loads or last in _LOADS or name in MODEL_FILE_LOADS
        uses = uses or last in _USES
    return loads and uses


INFERENCE_FACT = register_fact("training.inference_only", _inference_only)


def katib_trials(index: FileIndex) -> frozenset[str]:
    """Base names of the scripts Katib Experiments run as trials (``trialTemplate.trialSpec`` container commands such as
    ``python train_mlp.py --lr=${trialParameters.lr}``) with an objective metric: Katib's metrics collector records that
    metric and the parameters for every trial, so each trial run is tracked by the tuning experiment."""

    def build() -> frozenset[str]:
        out: set[str] = set()
        for _e, d in k8s_objects(index, "kubeflow.org", ("Experiment",)):
            spec = d.get("spec") if isinstance(d.get("spec"), dict) else {}
            if not dig(spec, "objective").get("objectiveMetricName"):
                continue
            for c in walk_dicts(dig(spec, "trialTemplate", "trialSpec")):
                for key in ("command", "args"):
                    argv = c.get(key)
                    for tok in argv if isinstance(argv, list) else str(argv or "").split():
                        if isinstance(tok, str) and tok.endswith(".py"):
                            out.add(tok.rsplit("/", 1)[-1])
        return frozenset(out)

    return index.memo("katib-trial-scripts", build)  # type: ignore[no-any-return]


_LAUNCH_WORDS = (b"entry_point", b"entry_script")


def _launched(index: FileIndex, path: str) -> list[str] | None:
    """Base names of the scripts a file hands to a managed training job as its entry point (SageMaker
    ``Estimator(entry_point="train.py")``, ``ModelTrainer(source_code=SourceCode(entry_script="train.py"))``)."""
    tree = index.python(path)
    if tree is None:
        return None
    out = {kw.value.value.rsplit("/", 1)[-1] for n in walk(tree) if isinstance(n, ast.Call) for kw in n.keywords
           if kw.arg in ("entry_point", "entry_script") and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
           and kw.value.value.endswith(".py")}
    return sorted(out)


LAUNCHED_FACT = register_fact("training.launched_scripts", _launched)


def _module_key(vpath: str) -> list[str]:
    parts = vpath.rsplit(".", 1)[0].split("/")
    return parts[:-1] if parts[-1] == "__init__" else parts


def _tier(index: FileIndex, e: FileEntry) -> int:
    if any(p in EXPLORATION_DIRS for p in e.vpath.lower().split("/")[:-1]):
        return 0
    kind = place(index, e).kind
    if kind == "automated":
        return 3
    return 1 if e.suffix == ".ipynb" else 2


def training_entries(index: FileIndex) -> list[TrainingEntry]:
    """Every training entry point of the project (memoised per scan); empty when nothing calls a tracker, since
    coverage only means something once a tracker is used."""
    return index.memo("training-entries", lambda: _census(index))  # type: ignore[no-any-return]


def _census(index: FileIndex) -> list[TrainingEntry]:
    files = [e for e in index.select(("**/*.py", "**/*.ipynb")) if not e.test]
    if len(files) > MAX_FILES:
        return []
    by_vpath = {e.vpath: e for e in files}
    by_name: dict[str, list[str]] = {}
    for vp in by_vpath:
        if vp.endswith(".py"):
            key = _module_key(vp)
            if key:
                by_name.setdefault(key[-1], []).append(vp)
    deps: dict[str, set[str]] = {}

    def deps_of(vp: str) -> set[str]:
        if vp not in deps:
            out: set[str] = set()
            for dotted in file_imports(index, by_vpath[vp]) or ():
                want = dotted.split(".")
                out.update(c for c in by_name.get(want[-1], ()) if c != vp and _module_key(c)[-len(want):] == want)
            deps[vp] = out
        return deps[vp]

    # a script is an entry only when it defines an orchestrator's pipeline or guards ``__main__`` (_entries): a file naming
    # no orchestrator but the repository's own package, nor ``__main__``, cannot (wiring.may_be_root), and is not parsed
    # for it (PrefectHQ/prefect: ~100 modules of its own source)
    scripts = [e for e in files if e.suffix == ".py" and may_be_root(index, e.path)]
    entries = _entries(index, scripts, by_vpath, deps_of)
    if not any(t.tracked for t in entries):
        # no tracked script: notebooks may be the workflow (or hold the only tracker)
        notebooks = [e for e in files if e.suffix == ".ipynb"]
    else:
        # a tracked script sets the floor at 2 or more: only notebooks that automation runs can count
        notebooks = [e for e in files if e.suffix == ".ipynb" and _tier(index, e) == 3]
    entries += _entries(index, notebooks, by_vpath, deps_of)
    if not any(t.tracked for t in entries):
        return []  # coverage only means something once a tracker is used
    imported: set[str] = set()  # reached through another entry's imports: part of that entry's run
    todo = deque(d for t in entries for d in deps_of(index.entry(t.path).vpath))  # type: ignore[union-attr]
    while todo:
        d = todo.popleft()
        if d not in imported:
            imported.add(d)
            todo.extend(deps_of(d))
    out = [TrainingEntry(t.path, t.line, t.tier, t.tracked, index.entry(t.path).vpath not in imported)  # type: ignore[union-attr]
           for t in entries]
    return sorted(out, key=lambda t: t.path)


def _entries(index: FileIndex, candidates: list[FileEntry], by_vpath: dict[str, FileEntry], deps_of: Any) -> list[TrainingEntry]:
    """The candidates that are training entry points (independence is decided later, over all entries)."""
    memo: dict[str, tuple[int, bool]] = {}
    by_base: dict[str, list[str]] = {}
    for vp in by_vpath:
        by_base.setdefault(vp.rsplit("/", 1)[-1], []).append(vp)

    def own(vp: str) -> tuple[int, bool]:
        """(fit line, calls a tracker) of one file; a file that launches a managed training job runs the job's entry
        script remotely, so it is tracked when that script is."""
        if vp not in memo:
            e = by_vpath[vp]
            fit = (index.fact(e.path, FIT_FACT) or 0) if index.mentions(e.path, _FIT_WORDS) else 0
            tracked = bool(tracking.wants_tracker_file(index, e) and tracking.tracker_calls(index, e)) or index.contains(e.path, _NATIVE) \
                or e.name in katib_trials(index)
            memo[vp] = (fit, tracked)
            if not tracked and index.mentions(e.path, _LAUNCH_WORDS):
                launched = [c for name in index.fact(e.path, LAUNCHED_FACT) or () for c in by_base.get(name, ()) if c != vp]
                memo[vp] = (fit, any(own(c)[1] for c in launched))
        return memo[vp]

    out: list[TrainingEntry] = []
    for e in candidates:
        facts = index.fact(e.path, FILE_FACTS)
        orch = facts is not None and orchestrated(index, facts)
        if facts is None or not (e.suffix == ".ipynb" or orch or facts[1]):
            continue  # neither a notebook, an orchestrator definition nor a script
        stem = e.name.rsplit(".", 1)[0]
        if words(stem) & (_NOT_TRAINING_STEMS | _DATA_STEMS | tracking.TUNING_WORDS) and not trainingish(stem):
            continue  # scoring, serving and search scripts are not training runs
        closure, todo = {e.vpath}, deque([e.vpath])
        while todo and len(closure) < MAX_CLOSURE:
            for d in deps_of(todo.popleft()):
                if d not in closure:
                    closure.add(d)
                    todo.append(d)
        fit_line, _ = own(e.vpath)
        fits = bool(fit_line) or any(own(vp)[0] for vp in closure)
        if not fits or not (fit_line or orch or trainingish(stem)):
            continue  # a script that only imports code that can fit (an app, a CLI) is no training entry
        if not fit_line and index.fact(e.path, INFERENCE_FACT):
            continue  # it loads a trained model or checkpoint and only predicts or generates with it
        out.append(TrainingEntry(e.path, fit_line or 1, _tier(index, e), any(own(vp)[1] for vp in closure), True))
    return out


def untracked(entries: list[TrainingEntry]) -> list[TrainingEntry]:
    """Independent entries on the project's workflow that reach no tracker while another entry is tracked."""
    tracked = [t.tier for t in entries if t.tracked]
    if not tracked:
        return []
    floor = max(tracked)
    return [t for t in entries if t.independent and not t.tracked and t.tier >= floor]
