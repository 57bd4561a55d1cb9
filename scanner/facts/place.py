"""Where a file sits on the project's paths: reached from an automated path (CI, a DVC stage, a container's
entry point, an orchestrator, a config that names it), only from an entry point, a notebook, a test, an
exploration folder, or plain code; and, for code that may train, whether it runs as a training script and
whether its package is reached. One ``Place`` per file and scan (memoised on the index); each part is worked
out on first use, so asking a Dockerfile's ``kind`` never parses it as Python. Nothing here reads files except
through the index."""

from __future__ import annotations

import ast

from ..index import FileEntry, FileIndex, register_fact
from ..model import Strength
from ..valueclass import Value, setfield
from . import ops
from .orchestration import config_refs, trainingish
from .pyast import walk
from .wiring import AUTOMATED, has_main_guard, wiring

EXPLORATION_DIRS = frozenset(
    {"notebooks", "notebook", "examples", "example", "tutorials", "tutorial", "scratch", "sandbox", "playground",
     "homework", "demo", "demos", "exploration", "research", "labs", "course", "workshop"}
)


class _Training(Value, frozen=True):
    """How a training script is reached: the wiring kind and chain, and whether a near file reaches it."""

    wired: str
    chain: str
    training_script: bool
    near_reached: bool

    _fields = ("wired", "chain", "training_script", "near_reached")
    __slots__ = _fields

    def __init__(self, wired: str, chain: str, training_script: bool, near_reached: bool) -> None:
        setfield(self, "wired", wired)
        setfield(self, "chain", chain)
        setfield(self, "training_script", training_script)
        setfield(self, "near_reached", near_reached)


class Place:
    """Where one file sits. ``kind`` comes from the wiring graph and the path alone; ``wired``, ``chain``,
    ``training_script`` and ``near_reached`` (the training context) also read the file's Python and the configs
    that name it."""

    __slots__ = ("_entry", "_index", "_kind", "_training", "test")

    def __init__(self, index: FileIndex, e: FileEntry) -> None:
        self._index, self._entry = index, e
        self.test = e.test  # test code or test data of the project
        self._kind: str | None = None
        self._training: _Training | None = None

    @property
    def kind(self) -> str:
        """automated | entrypoint | notebook | test | exploration | code"""
        if self._kind is None:
            self._kind = _kind(self._index, self._entry)
        return self._kind

    @property
    def wired(self) -> str:
        """automated | entrypoint | none: reached from an automated path or a config that names the file, or only
        from an entry point (``__main__`` script, console script, Makefile target, MLproject)."""
        return self._context().wired

    @property
    def chain(self) -> str:
        """How the file is reached, for evidence ("ci .github/workflows/train.yml -> make train -> ...")."""
        return self._context().chain

    @property
    def training_script(self) -> bool:
        """Defines or calls training and runs as a script, or a notebook that trains."""
        return self._context().training_script

    @property
    def near_reached(self) -> bool:
        """A sibling module of its package is reached (the training package), and the file is not a test."""
        return self._context().near_reached

    def strength(self, also: bool = False) -> Strength:
        """How surely the file's code runs: STRONG from an automated path, MEDIUM from an entry point, as a training
        script, in a reached package or when ``also`` (a detector's own reason), else WEAK."""
        if self.wired == "automated":
            return Strength.STRONG
        return Strength.MEDIUM if self.wired != "none" or self.training_script or self.near_reached or also else Strength.WEAK

    def _context(self) -> _Training:
        if self._training is None:
            self._training = _training(self._index, self._entry)
        return self._training


def place(index: FileIndex, e: FileEntry) -> Place:
    # one table per scan, by the entry's own path string: a memo per file (a key string made for each) held 7.8 MiB in
    # the worker of the 100k-file synthetic repository (43,000 files visited); building a Place reads nothing
    places: dict[str, Place] = index.memo("place:files", dict)
    p = places.get(e.path)
    if p is None:
        p = places[e.path] = Place(index, e)
    return p


def _kind(index: FileIndex, e: FileEntry) -> str:
    reach = wiring(index).of(e.vpath)
    if reach is not None and reach.kind == AUTOMATED:
        return "automated"
    if e.suffix == ".ipynb":
        return "notebook"
    if e.test:
        return "test"
    parts = e.vpath.lower().split("/")
    if any(p in EXPLORATION_DIRS for p in parts[:-1]):
        return "exploration"
    return "entrypoint" if reach is not None else "code"


def _training(index: FileIndex, e: FileEntry) -> _Training:
    w = wiring(index)
    r = w.of(e.vpath)
    test = e.test
    wired, chain = "none", ""
    if r is not None:
        wired, chain = ("automated" if r.kind == AUTOMATED else "entrypoint"), r.describe()
    elif not test:
        refs = config_refs(index, e)
        if refs:
            wired, chain = "automated", f"config {refs[0][0].path}"
    facts = index.fact(e.path, PLACE_FACTS)
    script = (e.suffix == ".ipynb" or (facts is not None and facts[0])
              or index.contains(e.path, (b"# Databricks notebook source",)))
    training = bool(facts is not None and (script and facts[1] or facts[2]))
    folder = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    package = bool(folder) and folder in _packages(index)  # the training package, not any folder
    # a sibling reached: a reached file in the folder other than this one
    near = package and _reached_per_folder(index).get(folder, 0) > (1 if e.vpath in w.reach else 0)
    return _Training(wired, chain, training, near and not test)


def _packages(index: FileIndex) -> frozenset[str]:
    """Folders holding an ``__init__.py`` (one selection per scan, not one per file asked)."""
    return index.memo("place:packages", lambda: frozenset(  # type: ignore[no-any-return]
        e.vpath.rsplit("/", 1)[0] for e in index.select(("**/__init__.py",)) if "/" in e.vpath))


def in_exploration_dir(e: FileEntry) -> bool:
    """Does the file sit in an exploration folder (``notebooks/``, ``examples/``, ``labs/``, ``workshop/`` ...)?"""
    return any(p in EXPLORATION_DIRS for p in e.vpath.lower().split("/")[:-1])


def exploration_is_project(index: FileIndex) -> bool:
    """Do exploration folders hold the whole project: every Python file and notebook of the repository (tests aside)
    under one (a workshop whose modules are ``labs/01_.../*.ipynb``, a course of notebooks)? Its notebooks are then the
    project's workflow, as the labelling conventions count them, not exploration beside a package that does the work."""
    def build() -> bool:
        code = [e for e in index.select(("**/*.py", "**/*.ipynb")) if not e.test]
        return bool(code) and all(in_exploration_dir(e) for e in code)
    return index.memo("place:exploration_is_project", build)  # type: ignore[no-any-return]


def _reached_per_folder(index: FileIndex) -> dict[str, int]:
    """How many files the wiring graph reaches in each folder."""
    def build() -> dict[str, int]:
        out: dict[str, int] = {}
        for vp in wiring(index).reach:
            d = vp.rsplit("/", 1)[0] if "/" in vp else ""
            out[d] = out.get(d, 0) + 1
        return out
    return index.memo("place:reached_folders", build)  # type: ignore[no-any-return]


def _place_facts(index: FileIndex, path: str) -> list[bool] | None:
    """What ``_training`` reads of a Python file or notebook: [has a ``__main__`` guard, ``trains``, fits a model at
    module level]; None when it does not parse. A file fact, derived on demand (derived for every file as it is parsed,
    it cost PrefectHQ/prefect more CPU than the parses it saved: a full walk of 1,380 files against ~550 asked)."""
    tree = index.python(path)
    if tree is None:
        return None
    return [has_main_guard(tree), trains(tree), _top_level_training(tree)]


PLACE_FACTS = register_fact("place.file", _place_facts)


def derive_facts(index: FileIndex, path: str) -> None:
    """Derive the file's own part of its place (``PLACE_FACTS``) now. For the builder of an eager file fact whose visitor
    will ask the file's training context (``wired``, ``training_script``...): the tree is at hand, and the Python pass
    then parses nothing again for it."""
    index.fact(path, PLACE_FACTS)


def trains(tree: ast.AST) -> bool:
    names: list[str] = []
    calls: list[str] = []
    for n in walk(tree):  # one pass for both
        cls = n.__class__
        if cls is ast.Call:
            calls.append(ops.dotted(n.func).rsplit(".", 1)[-1])  # type: ignore[attr-defined]
        elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
            names.append(n.name)  # type: ignore[attr-defined]
    return any(c in ("fit", "train", "fit_generator", "partial_fit") for c in calls) or trainingish(*names, *calls)


def _top_level_training(tree: ast.AST) -> bool:
    """A script written top to bottom (no main guard) that fits a model at module level."""
    body = tree.body if isinstance(tree, ast.Module) else []
    stmts = [st for st in body if not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
    return any(isinstance(n, ast.Call) and ops.dotted(n.func).rsplit(".", 1)[-1] in ("fit", "train", "fit_generator")
               for st in stmts for n in walk(st))
