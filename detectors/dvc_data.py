"""DVC-tracked data (*.dvc files, dvc.lock hashes); feeds D1, D2, E3. A ``.dvc`` file that tracks only model files is
model storage, not data versioning (``models_only``); a dvc.lock's hashed model output links the served model only
when serving loads that file (``served``, from ``mlscan.facts.served``: false when serving takes its model from a
registry or a run instead, none when the repository serves nothing). A lock whose stages write no model (only
metrics and plots) has nothing to link a data version to (``model: false``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.commands import normpath
from mlscan.facts.dvc_outputs import hashed, output_name, tracked_outputs
from mlscan.facts.dvc_outputs import vocabulary as dvc_output_names
from mlscan.facts.dvc_stages import dvc_files
from mlscan.facts.orchestration import words
from mlscan.facts.served import links_file
from mlscan.index import FileIndex
from mlscan.model import Evidence, Finding, Strength, clean_snippet
from mlscan.valueclass import replace

# text records a stage writes beside a model (metrics, run metadata, plots): not the model, whatever folder they sit in
_RECORD_EXT = (".json", ".yaml", ".yml", ".csv", ".tsv", ".txt", ".md", ".html", ".png", ".svg", ".log")
_MODEL_EXT = (".pkl", ".joblib", ".pt", ".pth", ".h5", ".onnx", ".bin", ".safetensors", ".keras", ".pb", ".model", ".cbm")

# what a run writes about itself (a .dvc of such a folder versions outputs, not the data a model learns from)
_RUN_OUTPUT_WORDS = frozenset({"profiling", "profile", "profiles", "profiler", "logs", "log", "traces", "trace", "reports", "report",
                               "outputs", "output", "runs", "wandb", "mlruns", "figures", "plots", "results", "benchmarks"})

# ... and data a deployed model is watched or fed with
_MONITORING_WORDS = frozenset({"drift", "monitoring", "feedback", "inference", "predictions", "production", "serving"})


# configuration a .dvc file may version (a model or training config): settings, not data a model learns from; a JSON
# file is a configuration only by its name (``config.json``), JSON data sets are common
_CONFIG_EXT = (".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf")
_CONFIG_WORDS = frozenset({"config", "configs", "configuration", "settings", "params", "hparams", "hyperparameters"})


def _config_file(path: str) -> bool:
    p = path.lower()
    return p.endswith(_CONFIG_EXT) or p.endswith(".json") and bool(words(p.rsplit("/", 1)[-1]) & _CONFIG_WORDS)


def _tracks(path_words: list[set[str]], paths: list[str] | None = None) -> str:
    """What a .dvc file versions when it is not training data: ``run-outputs`` (profiler traces, logs, reports a run
    wrote), ``monitoring-data`` (drift samples, feedback, inference inputs) or ``config`` (every tracked path a
    configuration file: ``ludwig_config.yaml``); '' otherwise."""
    if path_words and all(w & _RUN_OUTPUT_WORDS for w in path_words):
        return "run-outputs"
    if path_words and all(w & (_RUN_OUTPUT_WORDS | _MONITORING_WORDS) for w in path_words):
        return "monitoring-data"
    if paths and all(_config_file(p) for p in paths):
        return "config"
    return ""


def _stage_deps(index: FileIndex) -> frozenset[str]:
    """The repository-relative paths dvc.yaml stages depend on (relative to the file and the stage's ``wdir``)."""
    out: set[str] = set()
    for f in dvc_files(index):
        if f.entry.test:
            continue
        base = f.entry.path.rsplit("/", 1)[0] if "/" in f.entry.path else ""
        for _, stages in f.documents:
            for st in stages.values():
                if not isinstance(st, dict):
                    continue
                wdir = str(st.get("wdir") or "")
                deps = st.get("deps")
                for d in deps if isinstance(deps, list) else ():
                    dep = d if isinstance(d, str) else next(iter(d), "") if isinstance(d, dict) and len(d) == 1 else ""
                    if dep and "${" not in dep:
                        out.add(normpath(f"{base}/{wdir}/{dep}"))
    return frozenset(out)


def _stage_dep(index: FileIndex, out: str) -> bool:
    """Does a dvc.yaml stage depend on ``out``, a folder holding it or a file inside it?"""
    deps = index.memo("dvc_data:stage_deps", lambda: _stage_deps(index))
    return any(d == out or out.startswith(d + "/") or d.startswith(out + "/") for d in deps)


# where something reads a data path: code, CI, task runners, pipeline and tool configs (not docs, not .gitignore)
_READERS = ("**/*.py", "**/*.ipynb", "**/*.sh", "**/*.bash", "**/Makefile", "**/*.mk", "**/*.yml", "**/*.yaml", "**/*.toml",
            "**/*.cfg", "**/*.ini", "**/Dockerfile", "**/*.dockerfile", "**/Jenkinsfile", "**/*.R", "**/*.sql", "**/dvc.lock")


def _naming_files(index: FileIndex, names: set[bytes]) -> dict[bytes, set[str]]:
    """The files of code, CI or config naming each tracked path, in one sweep of the readers (a file is asked of each
    name only when it names any: one sweep per .dvc output cost ~1 s each on a 100k-file repository). A file names a
    path when it holds every word of the name (``train.csv``: train, csv; the names are words of the scan's vocabulary,
    ``facts.dvc_outputs.vocabulary``, so this reads nothing) and the name itself; a notebook's words are its code
    cells', so its JSON is searched as text."""
    found: dict[bytes, set[str]] = {n: set() for n in names}
    if not names:
        return found
    every = tuple(sorted(names))
    groups = _pieces(names)
    pieces = tuple(groups)
    for f in index.select(_READERS):
        text = f.path.endswith(".ipynb")
        if (text or index.mentions(f.path, every)) and index.contains(f.path, pieces):
            for piece, members in groups.items():
                if index.contains(f.path, (piece,)):
                    for n in members:
                        if (text or index.mentions(f.path, (n,))) and index.contains(f.path, (n,)):
                            found[n].add(f.path)
    return found


def _pieces(names: set[bytes], width: int = 4) -> dict[bytes, tuple[bytes, ...]]:
    """The names grouped under a piece of ``width`` bytes they share (the piece most of them hold first), so a file is
    searched once per piece, not once per name (``data/a.csv`` ... ``data/z.csv``: ``.csv``); a name that shares no
    piece with another is its own piece. A file without a piece names none of its group's names."""
    groups: dict[bytes, tuple[bytes, ...]] = {}
    left = set(names)
    while left:
        counts = Counter(p for n in left for p in {n[i : i + width] for i in range(len(n) - width + 1)})
        piece, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]), default=(b"", 0))
        if count < 2:
            groups.update((n, (n,)) for n in sorted(left))
            break
        members = tuple(sorted(n for n in left if piece in n))
        groups[piece] = members
        left.difference_update(members)
    return groups


def _all_outputs(index: FileIndex) -> set[bytes]:
    """The last parts of every output of the project's hashed .dvc files."""
    return {output_name(o) for _, _, _, outs_at in tracked_outputs(index) for o in outs_at}


def _mentioned(naming: dict[bytes, set[str]], out: str, dvc_file: str) -> bool:
    """Does code, CI or a config other than the .dvc file name the tracked path?"""
    return any(p != dvc_file for p in naming.get(output_name(out), ()))


class DvcData(Detector):
    """Data pinned by DVC: hashed .dvc files and dvc.lock stages; feeds D1, D2, E3."""

    id = "dvc.data"
    questions = ("D1", "D2", "E3")
    globs = ("**/*.dvc", "**/dvc.lock")
    needs = ("**/*.dvc", "**/dvc.lock")
    signals = ("dvc.tracked_data", "dvc.lock")

    def vocabulary(self, index: FileIndex) -> list[bytes]:
        return dvc_output_names(index)  # the unused-output check asks which files hold every word of a name

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        naming: dict[bytes, set[str]] | None = None  # asked once, when the first .dvc output no stage reads is met
        for e, outs, paths, outs_at in tracked_outputs(index):
            line = outs.line_of(0) if hasattr(outs, "line_of") else 1
            attrs: dict[str, object] = {"kind": "dvc-file", "path": paths[0] if paths else "",
                                        "models_only": bool(paths) and all(_model_file(p) for p in paths)}
            folder = e.path.rsplit("/", 1)[0] if "/" in e.path else ""
            tracks = _tracks([words(f"{folder}/{p}") for p in paths], list(paths))
            if tracks:
                attrs["tracks"] = tracks  # versioned, but not the data a model learns from
            if any(_stage_dep(index, o) for o in outs_at):
                attrs["stage_dep"] = True  # a dvc.yaml stage reads it: the data the pipeline runs on
            elif outs_at and naming is None:
                naming = _naming_files(index, _all_outputs(index))
            if "stage_dep" not in attrs and outs_at and not any(_mentioned(naming or {}, o, e.path) for o in outs_at):
                attrs["unused"] = True  # no stage, code, CI or config names it: tracked, but nothing reads it
            yield self.found("dvc.tracked_data", index, e.path, line, strength=Strength.STRONG, attrs=attrs)
        for e in index.select(("**/dvc.lock",)):
            if e.test:
                continue  # a test fixture's lock records the fixture's run, not the project's pipeline
            for doc in index.yaml(e.path):
                stages = doc.get("stages") if isinstance(doc, dict) else None
                if not isinstance(stages, dict) or not stages:
                    continue
                data_deps = False
                model_outs = False
                code_deps = False
                first = None
                facts: dict[str, int] = {}  # fact -> the line that shows it (a hashed data dep, a hashed model output)
                model_paths: list[str] = []
                pinned: int | None = None  # the first hashed data dep: the pinned data itself (D1)
                link: tuple[int, int] | None = None  # a stage's hashed data dep -> its hashed model output (D2)
                code_link: tuple[int, int] | None = None  # a stage's hashed code dep -> its hashed model output (E3)
                for name, st in stages.items():
                    if not isinstance(st, dict):
                        continue
                    first = first or stages.line_of(name)
                    deps = st.get("deps") or []
                    stage_data: int | None = None
                    stage_code: int | None = None  # the stage's hashed code: a file named for training first
                    code_name = ""
                    for i, d in enumerate(deps):
                        if not hashed(d):
                            continue
                        p = str(d.get("path", ""))
                        if p.endswith((".py", ".R", ".sh", ".ipynb", ".sql")):
                            code_deps = True
                            name = p.rsplit("/", 1)[-1].lower()
                            if stage_code is None or "train" in name and "train" not in code_name:
                                stage_code, code_name = _item_line(deps, i) or stage_code, name
                        elif not p.endswith((".yaml", ".yml", ".toml")):
                            data_deps = True
                            stage_data = stage_data or _item_line(deps, i)
                            pinned = pinned or _item_line(deps, i)
                    outs = st.get("outs") or []
                    for i, o in enumerate(outs):
                        if hashed(o) and _model_path(str(o.get("path", ""))):
                            model_outs = True
                            model_paths.append(str(o.get("path", "")))
                            facts.setdefault("model_outs", _item_line(outs, i))
                            if stage_data and link is None and _item_line(outs, i):
                                link = (stage_data, _item_line(outs, i) or 0)
                            if stage_code and code_link is None and _item_line(outs, i):
                                code_link = (stage_code, _item_line(outs, i) or 0)
                if pinned:
                    facts["data_deps"] = pinned
                if first is None:
                    continue
                attrs = {"data_deps": data_deps, "model_outs": model_outs and code_deps, "model": model_outs, "stages": len(stages),
                         "served": links_file(index, model_paths) if model_paths else None}
                extra = [replace(self._item(index, e.path, ln), fact=fact)
                         for fact, ln in facts.items() if ln and (fact != "model_outs" or attrs["model_outs"]) and not (fact == "data_deps" and link)]
                if link:  # the data the model was built from, hashed, beside the model it built: the link itself
                    extra.insert(0, replace(self._link(index, e.path, *link), fact="data_deps"))
                if code_link and attrs["model_outs"]:  # the code that built the model, hashed, beside it: its code version
                    extra.append(replace(self._link(index, e.path, *code_link), fact="code_model", context="code -> model of one stage"))
                yield self.found("dvc.lock", index, e.path, first, strength=Strength.STRONG, attrs=attrs, extra=extra)
                if data_deps:
                    # the hash that pins the data, not the stage's command
                    yield self.found("dvc.tracked_data", index, e.path, pinned or first, strength=Strength.STRONG, attrs={"kind": "dvc-lock"},
                                     end_line=_hash_line(index.lines(e.path), pinned) if pinned else None)

    def _item(self, index: FileIndex, path: str, line: int) -> Evidence:
        """A locked dep or out cited from its ``- path:`` line to its hash."""
        return self.evidence(index, path, line, end_line=_hash_line(index.lines(path), line), strength=Strength.STRONG)

    def _link(self, index: FileIndex, path: str, dep: int, out: int) -> Evidence:
        """A stage's hashed data dep and the hashed model output it builds, in one item (``deps`` ... ``outs``)."""
        lines = index.lines(path)
        shown = [lines[dep - 1], lines[_hash_line(lines, dep) - 1], lines[out - 1]]  # a snippet holds three lines
        width = min(len(x) - len(x.lstrip()) for x in shown)
        ev = self.evidence(index, path, dep, end_line=_hash_line(lines, out), strength=Strength.STRONG,
                           snippet=clean_snippet("\n".join(x[width:] for x in shown)))
        return replace(ev, context="deps -> outs of one stage")


# tabular and record data formats: a table is data whatever its name (``model_input_table.parquet``)
_DATA_EXT = (".parquet", ".pq", ".csv", ".tsv", ".feather", ".arrow", ".xlsx", ".xls", ".avro", ".orc", ".jsonl", ".tfrecord", ".tfrecords")
# the model's input or output data, named for the model (Kedro's data layers ``05_model_input``, ``07_model_output``;
# ``model_input_table``): data, not the model
_MODEL_DATA = re.compile(r"model[_\-\s]?(input|output)s?")


def _model_path(path: str) -> bool:
    """A locked output that is a model: a model format, or a path named for models (a JSON output is a model only by
    its name: ``metrics.json`` and plot data are not; a table, or data named as the model's input or output, is not)."""
    p = path.lower()
    if _fitted_transform(p) or p.endswith(_DATA_EXT):
        return False
    if p.endswith(_MODEL_EXT):
        return True
    p = _MODEL_DATA.sub("", p)
    if p.endswith(_RECORD_EXT):  # a record (``model/train_data.json``: run id, hashes) is a model only by its own name
        return "model" in p.rsplit("/", 1)[-1]
    return "model" in p


# a fitted preprocessing step pickled beside the data (``data/processed/preprocessor.joblib``, ``scaler.pkl``): what the
# model's inputs pass through, not a model (a network saved as ``encoder.pt`` keeps its weights format)
_TRANSFORM_WORDS = frozenset({"preprocessor", "preprocessors", "preprocessing", "scaler", "scalers", "encoder", "encoders", "vectorizer",
                              "vectoriser", "imputer", "featurizer", "normalizer", "normaliser", "pca", "transformer", "transformers"})
_PICKLE_EXT = (".joblib", ".pkl", ".pickle", ".sav")


def _fitted_transform(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(_PICKLE_EXT) and bool(words(name) & _TRANSFORM_WORDS) and "model" not in name


_WEIGHTS_EXT = (".pt", ".pth", ".h5", ".onnx", ".safetensors", ".keras", ".cbm", ".ckpt", ".joblib", ".tflite", ".mlmodel")


def _model_file(path: str) -> bool:
    """A tracked output that is a model, not data: a weights format, or a path named for models/checkpoints (a
    pickle or JSON file can be either, so it needs the name)."""
    p = path.lower()
    if p.endswith(_DATA_EXT):
        return False
    return p.endswith(_WEIGHTS_EXT) or bool(words(_MODEL_DATA.sub("", p)) & {"model", "models", "checkpoint", "checkpoints", "weights"})


def _item_line(items: object, i: int) -> int | None:
    """The line of item ``i`` of a line-aware YAML sequence (None for a plain list)."""
    return items.line_of(i) if hasattr(items, "line_of") else None


_HASH_KEYS = ("md5:", "etag:", "checksum:")


def _hash_line(lines: list[str], item: int) -> int:
    """The hash line (``md5: ...``) of the locked item whose ``- path:`` is line ``item`` (the item line when none)."""
    for j in range(item + 1, min(len(lines), item + 6) + 1):
        st = lines[j - 1].strip()
        if st.startswith("- "):
            break
        if st.startswith(_HASH_KEYS):
            return j
    return item
