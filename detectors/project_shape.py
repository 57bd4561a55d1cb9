"""Project shape: notebooks-only or scripted training, committed models, local run output, template, language, a
repository without any model; feeds radar/pitfalls and D3 (a data pipeline of a model-free project leads to no model input)."""

from __future__ import annotations

import ast
import fnmatch
from collections import Counter
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts.pyast import walk
from mlscan.facts.served import holds_model
from mlscan.facts.wiring import AUTOMATED, has_main_guard, wiring
from mlscan.index import TEMPLATE_MANIFESTS, FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_TRAIN_CALLS = {"fit", "train", "fit_generator", "train_model", "partial_fit", "train_on_batch", "fit_model", "run_training"}
# Python files worth a parse (word pre-filter): a call of a _TRAIN_CALLS name needs one of these words
TRAIN_NEEDLES = (b"fit", b"train", b"run_training")
# ... and, in the text, the name as a word followed by an opening parenthesis (across spaces, line continuations,
# comments or the closing parenthesis of ``(model.fit)(x)``): a pattern per name, starting with the name (the regex
# engine finds a literal start far faster than a ``\b`` and an alternation), its word start checked in code
_TRAIN_CALL_TEXT = tuple(lazy_re(name + r"(?:\s|\\|#[^\n]*\n|\))*+\(") for name in sorted(_TRAIN_CALLS))
_NOT_SCRIPTS = {"setup.py", "conftest.py", "noxfile.py", "tasks.py", "conf.py", "__init__.py", "manage.py"}
MODEL_EXTS = (".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".keras", ".pt", ".pth", ".ckpt", ".onnx", ".safetensors",
              ".sav", ".tflite", ".mlmodel", ".cbm", "saved_model.pb")
_DATA_DIRS = {"data", "datasets", "dataset", "features", "raw", "processed", "interim"}
_MODEL_HINTS = ("model", "clf", "classifier", "regressor", "estimator", "pipeline", "checkpoint", "weights", "best", "scaler", "encoder")
TRACKING_DIRS = {"mlruns": "mlflow", "mlartifacts": "mlflow", "wandb": "wandb", "lightning_logs": "lightning", "catboost_info": "catboost"}
LANGUAGES = {".py": "python", ".ipynb": "python", ".r": "r", ".rmd": "r", ".jl": "julia", ".scala": "scala", ".sc": "scala",
             ".sbt": "scala", ".java": "java", ".sas": "sas"}


def _calls_training(text: str) -> bool:
    """The text calls a _TRAIN_CALLS name: ``\\b(?:fit|train|...)`` followed by the parenthesis."""
    for pattern in _TRAIN_CALL_TEXT:
        m = pattern.search(text)
        while m is not None:
            i = m.start()
            if i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"):
                return True
            m = pattern.search(text, i + 1)  # not a word start: the next try may begin inside this match
    return False


def _training_call(tree: ast.AST) -> int | None:
    for node in walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in _TRAIN_CALLS:
                return node.lineno
    return None


def _training_fact(index: FileIndex, path: str) -> list[Any] | None:
    """[line of the first training call, has a ``__main__`` guard] of a file whose text calls training, else None. A
    file fact (FileIndex.fact): kept between scans by content, so a rescan parses only the files that changed."""
    if not _calls_training(index.text(path) or ""):
        return None
    tree = index.python(path)
    line = _training_call(tree) if tree is not None else None
    return None if line is None else [line, has_main_guard(tree)]  # type: ignore[arg-type]


TRAINING = register_fact("project.shape.training", _training_fact, eager=lambda index, path: index.may_mention(path, TRAIN_NEEDLES))


class ProjectShape(Detector):
    """Notebooks-only vs scripted training, committed model binaries, local mlruns/wandb output, template repo, non-Python language."""

    id = "project.shape"
    questions = ()
    globs = ("**/*.py", "**/*.ipynb", *(f"**/*{x}" for x in MODEL_EXTS))
    signals = ("project.notebooks_only", "project.scripts", "project.committed_model", "project.local_tracking",
               "project.template", "project.language", "project.model_free")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield from self._training_shape(index)
        yield from self._committed_models(index)
        yield from self._local_tracking(index)
        if index.is_template_repo:
            sub = index.target.subdir
            manifest = next((p for m in TEMPLATE_MANIFESTS for p in (f"{sub}/{m}" if sub else m, m) if p in index.all_paths), "")
            yield self.found("project.template", index, manifest, 1, strength=Strength.STRONG,
                             attrs={"policy": "rendered-defaults", "manifest": manifest, "template_files": index.template_files})
        yield from self._language(index)
        if not holds_model(index):
            # no model file and no code that trains, loads or serves one: a data workflow, a web app, a template
            first = next((e.path for e in index.select(("README*", "readme*", "**/*.py", "**/*.ipynb"))), None)
            if first is not None:
                yield self.found("project.model_free", index, first, None, strength=Strength.MEDIUM,
                                 snippet="no model file and no code importing an ML, serving or registry library")

    def _training_shape(self, index: FileIndex) -> Iterator[Finding]:
        wired = wiring(index)
        trains = 0
        entries: dict[str, tuple[FileEntry, str, int, bool, str]] = {}  # entry path -> (entry, trainer path, line, automated, how)
        py = [e for e in index.select(("**/*.py",), include_root=False) if e.name not in _NOT_SCRIPTS and not e.test]
        by_path = {e.path: e for e in py}
        library: list[FileEntry] = []  # training code nothing runs as a script: only tells notebooks-only apart
        for e in py:
            if not index.mentions(e.path, TRAIN_NEEDLES):
                continue
            reach = wired.of(e.vpath)
            if reach is None and not index.contains(e.path, (b"__name__",)):  # no main guard
                library.append(e)
                continue
            fact = index.fact(e.path, TRAINING)
            if fact is None:
                continue
            line, guarded = fact
            trains += 1
            if reach is None and not guarded:
                continue  # training code nothing runs as a script
            # the entry point is the first script on the chain that reaches this training code
            links = [w for c in (reach.chain if reach else ()) for w in (c, c.rsplit(" ", 1)[-1])]  # "__main__ script a.py"
            entry = next((by_path[w] for w in links if w in by_path), e)
            automated = reach is not None and reach.kind == AUTOMATED
            old = entries.get(entry.path)
            if old is None or (automated and not old[3]):
                entries[entry.path] = (entry, e.path, line, automated, reach.describe() if reach else f"__main__ script {e.path}")
        for entry, trainer, line, automated, how in sorted(entries.values(), key=lambda t: (not t[3], t[0].path))[:3]:
            yield self.found("project.scripts", index, entry.path, line if trainer == entry.path else None,
                             strength=Strength.STRONG if automated else Strength.MEDIUM,
                             snippet=None if trainer == entry.path else f"runs training in {trainer}",
                             attrs={"automated": automated, "trains_in": trainer, "reach": how})
        notebooks = index.select(("**/*.ipynb",), include_root=False)
        if notebooks and not trains:
            trains = any(index.fact(e.path, TRAINING) is not None for e in library)
        if notebooks and not trains:
            yield self.found("project.notebooks_only", index, notebooks[0].path, None, strength=Strength.MEDIUM,
                             snippet=f"{len(notebooks)} notebook(s), no training script",
                             attrs={"notebooks": len(notebooks), "py_files": len(py)})

    def _committed_models(self, index: FileIndex) -> Iterator[Finding]:
        lfs = _lfs_patterns(index)
        paths = []
        for e in index.select(tuple(f"**/*{x}" for x in MODEL_EXTS), include_root=False):
            low = e.vpath.lower()
            parts = low.split("/")
            if low.endswith((".pkl", ".pickle", ".joblib", ".sav")) and any(p in _DATA_DIRS for p in parts[:-1]) \
                    and not any(h in parts[-1] for h in _MODEL_HINTS):
                continue  # pickled data frames / feature matrices, not models
            if f"{e.path}.dvc" in index.all_paths or e.test:
                continue
            paths.append(e.path)
        if paths:
            in_lfs = [p for p in paths if any(fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(p.rsplit("/", 1)[-1], pat) for pat in lfs)]
            yield self.found("project.committed_model", index, paths[0], None, strength=Strength.MEDIUM,
                             snippet=", ".join(paths[:3]) + (" …" if len(paths) > 3 else ""),
                             attrs={"paths": paths[:10], "count": len(paths), "lfs": bool(in_lfs) and len(in_lfs) == len(paths)})

    def _local_tracking(self, index: FileIndex) -> Iterator[Finding]:
        sub = index.target.subdir
        found: dict[str, list[str]] = {}
        for p in index.stats.skipped.get("run-output-or-junk", []):
            rel = p[len(sub) + 1 :] if sub and p.startswith(sub + "/") else p
            for part in rel.split("/")[:-1]:
                if part in TRACKING_DIRS:
                    found.setdefault(part, []).append(p)
                    break
        for d, files in sorted(found.items()):
            first = sorted(files)[0]
            yield self.found("project.local_tracking", index, first, None, strength=Strength.WEAK,
                             snippet=f"{len(files)} committed file(s) under {d}/",
                             attrs={"tool": TRACKING_DIRS[d], "dir": first[: first.index(d) + len(d)], "files": len(files)})

    def _language(self, index: FileIndex) -> Iterator[Finding]:
        counts: Counter[str] = Counter()
        first: dict[str, str] = {}
        for e in index.entries:
            if e.scope != "project":
                continue
            lang = LANGUAGES.get(e.suffix)
            if lang == "python" and e.suffix == ".ipynb" and index.contains(e.path, (b'"language": "R"', b'"name": "ir"', b'"language": "julia"')):
                lang = "r" if index.contains(e.path, (b'"language": "R"', b'"name": "ir"')) else "julia"
            if lang:
                counts[lang] += 1
                first.setdefault(lang, e.path)
        if not counts:
            return
        lang, n = counts.most_common(1)[0]
        if lang != "python" and n > counts.get("python", 0):
            yield self.found("project.language", index, first[lang], None, strength=Strength.STRONG,
                             snippet=", ".join(f"{k}: {v} file(s)" for k, v in counts.most_common()),
                             attrs={"language": lang, "files": dict(counts)})


def _lfs_patterns(index: FileIndex) -> list[str]:
    out = []
    for e in index.select(("**/.gitattributes",)):
        for line in (index.text(e.path) or "").splitlines():
            words = line.split()
            if len(words) > 1 and "filter=lfs" in words[1:]:
                out.append(words[0].lstrip("/"))
    return out
