"""DVC pipelines: dvc.yaml stages with deps/outs, metrics and plots; feeds D3, E1, E2. A pipeline that trains and
declares a stage's ``metrics:`` file has DVC track every run's metrics next to its code and data hashes (each
``dvc repro``/``dvc exp run`` records them, ``dvc metrics diff``/``dvc exp show`` compare them): run tracking."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts.commands import head, words
from mlscan.facts.dvc_stages import dvc_files
from mlscan.facts.orchestration import trainingish
from mlscan.index import FileIndex
from mlscan.model import Evidence, Finding, Strength, clean_snippet
from mlscan.valueclass import replace


class DvcPipeline(Detector):
    """DVC stages in dvc.yaml (a DAG with declared inputs/outputs), and the metrics a training pipeline declares; feeds
    D3, E1."""

    id = "dvc.pipeline"
    questions = ("D3", "E1")
    globs = ("**/dvc.yaml",)
    needs = ("**/dvc.yaml",)
    signals = ("dvc.pipeline", "tracking.run")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for f in dvc_files(index):
            e = f.entry
            if e.test:
                continue  # a test fixture's pipeline (tests/fixtures/pipeline/dvc.yaml) exercises the tooling, it is not the project's
            for doc, stages in f.documents:
                if not stages:
                    continue
                with_io = [n for n, st in stages.items() if isinstance(st, dict) and st.get("deps") and (st.get("outs") or st.get("metrics"))]
                metrics = any(isinstance(st, dict) and _reads_metrics(st) for st in stages.values())
                # one stage declares lineage only when data goes in: a stage whose deps are all its own source files
                # (``- src/model/train.py``) reads data it does not declare
                single = len(stages) == 1 and bool(with_io) and any(_data_dep(d) for d in _deps(stages[with_io[0]]))
                edge = _edge(stages)
                # lineage from raw data to model input: when stages train, one of them reads data (another stage's
                # data output, or an input that is data); a train stage whose deps are its code, configs and a README,
                # followed by its evaluation, passes a model on, not data
                fed = _training_reads_data(index, e.vpath, stages)
                yield self.found(
                    "dvc.pipeline", index, e.path, doc.line_of("stages"), strength=Strength.STRONG,
                    attrs={"stages": len(stages), "with_io": (len(with_io) >= 2 or single) and fed, "metrics": metrics, "edge": edge is not None,
                           **({} if fed else {"training_reads_data": False})},
                    extra=[self._edge_item(index, e.path, edge)] if edge else (),
                )
                trains = any(isinstance(st, dict) and trainingish(str(name), str(st.get("cmd", ""))) for name, st in stages.items())
                declared = next((st for st in stages.values() if isinstance(st, dict) and _reads_metrics(st)), None)
                if trains and declared is not None:
                    yield self.found(
                        "tracking.run", index, e.path, declared.line_of("metrics") if hasattr(declared, "line_of") else 1,
                        strength=Strength.MEDIUM,
                        attrs={"tool": "dvc", "tools": "dvc", "in_training": True, "metrics": True, "params": bool(
                            any(isinstance(st, dict) and st.get("params") for st in stages.values())), "optional": False,
                               "tuning_only": False, "pipeline_native": True,
                               **({"missing_script": True} if _missing_script(index, e.vpath, declared) else {})},
                    )


    def _edge_item(self, index: FileIndex, path: str, edge: tuple[str, int, str, int]) -> Evidence:
        """One stage's output where the next stage reads it: ``stages.split.outs -> stages.train.deps``."""
        up, out_line, down, dep_line = edge
        lines = index.lines(path)
        # an out with options (``- out/plots:`` ``cache: false``) is shown by its path
        shown = [lines[out_line - 1].rstrip().removesuffix(":"), lines[dep_line - 1]] if 0 < out_line <= len(lines) and 0 < dep_line <= len(lines) else []
        width = min((len(x) - len(x.lstrip()) for x in shown), default=0)
        ev = self.evidence(index, path, min(out_line, dep_line), end_line=max(out_line, dep_line), strength=Strength.STRONG,
                           snippet=clean_snippet("\n".join(x[width:] for x in shown)) if shown else None)
        return replace(ev, context=f"stages.{up} output -> stages.{down}.deps", fact="lineage_edge")


# files DVC cannot read as metrics (it reads JSON, YAML, TOML and CSV/TSV): a report declared under ``metrics:``
_NOT_METRICS = (".md", ".markdown", ".html", ".htm", ".png", ".jpg", ".jpeg", ".svg", ".pdf")


def _reads_metrics(stage: Any) -> bool:
    """Does the stage declare a metrics file ``dvc metrics show/diff`` can read? A Markdown or HTML report or an image
    under ``metrics:`` is a report nothing compares across runs (paths with variables and other forms are given the
    benefit of the doubt)."""
    declared = stage.get("metrics")
    if not declared:
        return False
    paths: list[str] = []
    for item in declared if isinstance(declared, list) else [declared]:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict):
            paths.extend(str(k) for k in item)
        else:
            return True
    return not paths or any(not p.strip().lower().endswith(_NOT_METRICS) for p in paths)


def _missing_script(index: FileIndex, vpath: str, stage: Any) -> bool:
    """The stage's command runs a Python script (``python src/x/evaluate.py``, ``./evaluate.py``) that is not in the
    repository: ``dvc repro`` cannot produce what the stage declares. Paths with variables, or leaving the scanned
    scope, are not judged."""
    cmds = stage.get("cmd")
    base = posixpath.dirname(vpath)
    wdir = str(stage.get("wdir") or "")
    for text in cmds if isinstance(cmds, list) else [cmds]:
        if not isinstance(text, str):
            continue
        w = words(text)
        h = head(w)
        rest = w[1:] if h.startswith("python") else w[:1] if h.endswith(".py") else []
        while rest and rest[0].startswith("-"):
            if rest[0] == "-m":
                return False  # a module may come from an installed package
            rest = rest[1:]
        rel = rest[0] if rest else ""
        if not rel.endswith(".py") or any(c in rel for c in "${}*"):
            continue
        cand = posixpath.normpath(posixpath.join(base, wdir, rel))
        if cand.startswith("../") or posixpath.isabs(cand):
            continue
        scope = index.target.subdir.strip("/")
        if scope and not (cand + "/").startswith(scope + "/") and not index.exists(cand):
            continue
        if not index.exists(cand) and not index.exists(f"{scope}/{cand}" if scope else cand):
            return True
    return False


def _items(stage: Any, key: str) -> list[tuple[str, int]]:
    """The paths a stage lists under ``key`` (``deps``/``outs``), each with its line (an out may be a mapping)."""
    seq = stage.get(key) if isinstance(stage, dict) else None
    if isinstance(seq, str):
        return [(seq, stage.line_of(key) if hasattr(stage, "line_of") else 0)]
    if not isinstance(seq, list):
        return []
    out = []
    for i, item in enumerate(seq):
        name = next(iter(item), None) if isinstance(item, dict) else item
        if name is not None:
            out.append((str(name).strip().rstrip("/"), seq.line_of(i) if hasattr(seq, "line_of") else 0))
    return out


def _edge(stages: dict[Any, Any]) -> tuple[str, int, str, int] | None:
    """Where data passes from one stage to the next: a data dep of a stage (one that trains first) that another stage
    outputs (``outs``, ``metrics`` or ``plots``: the same path, or a folder holding it), as (upstream stage, its out's
    line, stage, the dep's line)."""
    outs = [(str(n), p, ln) for n, st in stages.items() for key in ("outs", "metrics", "plots") for p, ln in _items(st, key)]
    ordered = sorted(stages.items(), key=lambda kv: not (isinstance(kv[1], dict) and trainingish(str(kv[0]), str(kv[1].get("cmd", "")))))
    for name, st in ordered:
        for dep, dep_line in _items(st, "deps"):
            if not _data_dep(dep) or not dep_line:
                continue
            for up, out, out_line in outs:
                if up != str(name) and out_line and (out == dep or out.startswith(dep + "/") or dep.startswith(out + "/")):
                    return up, out_line, str(name), dep_line
    return None


_CODE_SUFFIXES = (".py", ".ipynb", ".r", ".sh", ".bash", ".jl", ".scala", ".java", ".js", ".ts", ".go", ".rs", ".cpp", ".c")


def _deps(stage: object) -> list[str]:
    deps = stage.get("deps") if isinstance(stage, dict) else None
    if isinstance(deps, str):
        deps = [deps]
    return [str(d) for d in deps] if isinstance(deps, list) else []


def _data_dep(path: str) -> bool:
    """A dependency that is data (a file or folder of inputs), not a source file of the stage's own code."""
    return not path.strip().lower().endswith(_CODE_SUFFIXES)


# files a stage depends on that are not data: its documentation and configuration (``data/README.md``, ``pyproject.toml``,
# ``config/train.yaml``)
_NOT_DATA_SUFFIXES = (*_CODE_SUFFIXES, ".md", ".markdown", ".rst", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".lock")


def _input_data(index: FileIndex, vpath: str, stage: Any, dep: str) -> bool:
    """A dep that is data: not a code, documentation or configuration file, nor a folder of the repository holding only
    such files (``src/pkg/``, ``config/``). A folder the repository does not hold (git-ignored, pulled by DVC) is data."""
    if dep.strip().lower().endswith(_NOT_DATA_SUFFIXES):
        return False
    if any(c in dep for c in "${}*"):
        return True  # a path with variables is given the benefit of the doubt
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(vpath), str(stage.get("wdir") or ""), dep))
    if rel.startswith("../") or rel in (".", ""):
        return True
    held = index.select((f"{rel}/**",))
    return not held or any(not h.vpath.lower().endswith(_NOT_DATA_SUFFIXES) for h in held)


def _training_reads_data(index: FileIndex, vpath: str, stages: dict[Any, Any]) -> bool:
    """Does a stage that trains read data? A dep another, non-training stage outputs, or a dep that is data (not the
    output of a training stage: a model passed on to its evaluation). Pipelines with no training stage: True."""
    training = {str(n) for n, st in stages.items() if isinstance(st, dict) and trainingish(str(n), str(st.get("cmd", "")))}
    if not training:
        return True
    outs = [(str(n), p) for n, st in stages.items() for key in ("outs", "metrics", "plots") for p, _ in _items(st, key)]
    for name in training:
        st = stages[next(k for k in stages if str(k) == name)]
        for dep, _ in _items(st, "deps"):
            ups = {up for up, out in outs if up != name and (out == dep or out.startswith(dep + "/") or dep.startswith(out + "/"))}
            if ups - training or (not ups and _input_data(index, vpath, st, dep)):
                return True
    return False
