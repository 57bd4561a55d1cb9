"""What a container image built from the repository holds: does a Dockerfile put a model in the image? An image
tagged with the commit carries the model's code version only when the model is in it (labelling convention E3): a
serving image that copies only source and configuration and reads its model from a bucket or a mounted path at
start-up versions the server, not the model.

A Dockerfile ships a model (True) when a ``COPY``/``ADD`` source names one (a model file by its extension, a
``models``/``checkpoints``/``weights``/``artifacts``/``outputs`` folder), when a ``RUN`` fetches something at build
time (``dvc pull``, ``gsutil``/``aws s3``/``az storage``, ``wget``/``curl``, a download, a ``git clone``, a Python
script), or when ``ADD`` takes a URL. It ships none (False) when every source it copies is named and none of these:
``COPY src/ src/``, ``COPY uv.lock pyproject.toml ./``. A copy of the whole build context (``COPY . .``) could hold
anything: None (not known). An image whose container command (the last ``ENTRYPOINT``, else the last ``CMD``) runs a
Python script of the repository that imports nothing (``print("hello world")``) loads and serves no model, whatever it
copies: False."""

from __future__ import annotations

import ast
import re

from mlscan.ci import argv
from mlscan.facts import served
from mlscan.facts.commands import resolve
from mlscan.facts.orchestration import words
from mlscan.facts.pyast import walk
from mlscan.facts.wiring import exec_form
from mlscan.index import FileIndex

from ..lazyre import lazy_re

# the formats serving code loads, and the files a build copies or writes a model as (a ``.bin``, ``.model``, TorchServe
# ``.mar`` or ``.bento`` file in an image is the model)
MODEL_EXT = served.MODEL_EXT + (".bin", ".model", ".mar", ".bento")
_MODEL_WORDS = frozenset({"model", "models", "checkpoint", "checkpoints", "weights", "artifact", "artifacts", "output", "outputs",
                          "mlruns", "bentos", "bento", "saved", "ckpt", "onnx", "registry", "export", "exported"})
_FETCH = lazy_re(r"^(dvc|gsutil|wget|curl|azcopy|huggingface-cli|hf|git|python[\d.]*|python3|uv\s+run\s+python|rclone|mc|s5cmd)\b"
                 r"|^(aws\s+s3|gcloud\s+storage|az\s+storage|mlflow\s+(artifacts|models))\b|download|snapshot_download")
_SPLIT = lazy_re(r"&&|\|\||;|\|")
_WHOLE_CONTEXT = frozenset({".", "./", "*", "/", "${PWD}", "$PWD"})


def _sources(value: str) -> list[str]:
    """The source paths of a COPY/ADD value (its options and destination left out; JSON form read too)."""
    text = value.strip()
    if text.startswith("["):
        parts = [p.strip().strip('"').strip("'") for p in text.strip("[]").split(",")]
    else:
        parts = text.split()
    parts = [p for p in parts if p and not p.startswith("--")]
    return parts[:-1]


def _model_source(src: str) -> bool:
    s = src.rstrip("/").lower()
    return s.endswith(MODEL_EXT) or bool(words(s) & _MODEL_WORDS)


def _holds(src: str, here: str, models: list[str]) -> bool:
    """Does the copied source (relative to the repository root or the Dockerfile's folder) hold a committed model file?"""
    rel = src.strip().lstrip("./").rstrip("/")
    if not rel or rel in _WHOLE_CONTEXT:
        return False
    bases = {rel, f"{here}/{rel}" if here else rel}
    return any(m == b or m.startswith(b + "/") for m in models for b in bases)


def _fetches(command: str) -> bool:
    for part in _SPLIT.split(command):
        cmd = re.sub(r"^(--mount=\S+\s+|--network=\S+\s+|--security=\S+\s+)*", "", part.strip())
        cmd = re.sub(r"^(sudo\s+|\w+=\S+\s+)*", "", cmd)
        if cmd.startswith(("pip ", "pip3 ", "python -m pip", "python3 -m pip", "uv pip", "uv sync")):
            continue
        if _FETCH.search(cmd):
            return True
    return False


def ships_model(index: FileIndex, path: str) -> bool | None:
    """Does the Dockerfile at ``path`` put a model in its image? True, False, or None when it copies the whole build
    context (or cannot be read)."""
    instructions = index.dockerfile(path)
    if not instructions:
        return None
    if _runs_bare_script(index, path, instructions):
        return False
    here = path.rsplit("/", 1)[0] if "/" in path else ""
    models = [e.path for e in index.select(tuple(f"**/*{ext}" for ext in MODEL_EXT)) if not e.test]
    unknown = False
    for ins in instructions:
        if ins.instruction in ("COPY", "ADD"):
            srcs = _sources(ins.value)
            if ins.instruction == "ADD" and any("://" in s for s in srcs):
                return True
            if any(_model_source(s) for s in srcs):
                return True
            if not any(o.startswith("--from") for o in ins.value.split()) and any(_holds(s, here, models) for s in srcs):
                return True  # a folder of the repository that holds a committed model file (``COPY app/ /app/``)
            if any(s in _WHOLE_CONTEXT for s in srcs):
                unknown = True
        elif ins.instruction == "RUN" and _fetches(ins.value):
            return True
    return None if unknown else False


def _runs_bare_script(index: FileIndex, path: str, instructions: list) -> bool:
    """Does the container command run a Python script of the repository (beside the Dockerfile or from the root) that
    imports nothing? Such a program can load no model (every model format needs a library) and serves none."""
    cmds = [i for i in instructions if i.instruction == "ENTRYPOINT"] or [i for i in instructions if i.instruction == "CMD"]
    if not cmds:
        return False
    w = argv(exec_form(cmds[-1].value))
    if not w or not w[0].rsplit("/", 1)[-1].startswith("python") or "-m" in w or "-c" in w:
        return False
    script = next((x for x in w[1:] if not x.startswith("-")), "")
    e = resolve(index, script, path) if script.endswith(".py") else None
    tree = index.python(e.path) if e is not None else None
    if tree is None:
        return False
    return not any(isinstance(n, (ast.Import, ast.ImportFrom)) or isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                   and n.func.id in ("__import__", "exec", "eval", "open") for n in walk(tree))


def no_image_ships_model(index: FileIndex, dockerfiles: tuple[str, ...]) -> bool:
    """The repository builds images (it has Dockerfiles outside tests) and none of them puts a model in its image."""
    entries = [e for e in index.select(dockerfiles) if not e.test]
    return bool(entries) and all(ships_model(index, e.path) is False for e in entries)


def any_image_ships_model(index: FileIndex, dockerfiles: tuple[str, ...]) -> bool:
    """Does a Dockerfile of the repository (outside tests) put a model in its image (``ships_model`` True)?"""
    return any(ships_model(index, e.path) is True for e in index.select(dockerfiles) if not e.test)
