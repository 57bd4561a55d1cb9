"""Where SageMaker keeps a trained model, and who reads it back from there.

A SageMaker training job always writes its model artifact (``model.tar.gz``) to S3: to the estimator's ``output_path``,
else to the session's default bucket (``sagemaker-<region>-<account>``, ``Session().default_bucket()``). Deploy code
reads it back by that location: ``Model(model_data=estimator.model_data)``, ``describe_training_job(...)
["ModelArtifacts"]["S3ModelArtifacts"]``, a ``create_model`` request's ``PrimaryContainer.ModelDataUrl``, a pipeline's
``step.properties.ModelArtifacts.S3ModelArtifacts``, a CloudFormation ``AWS::SageMaker::Model``.

The same requests are made with the AWS CLI in CI steps and scripts (``aws sagemaker create-model --primary-container
'{"Image": ..., "ModelDataUrl": "s3://..."}'``, the shorthand ``Image=...,ModelDataUrl=s3://...``, or a request file
``--cli-input-json file://model.json``; ``aws sagemaker create-training-job --output-data-config S3OutputPath=s3://...``):
``cli_model_location`` reads the model's S3 location from the inline JSON or shorthand argument, or from the JSON/YAML
request file it names. Nothing is executed; request files are read through the index."""

from __future__ import annotations

import ast
import json
import posixpath
import shlex
from collections.abc import Iterator
from typing import Any

from ..ci import argv
from ..index import FileIndex
from ..lazyre import lazy_re
from . import ops
from .pyast import walk

_CLI = lazy_re(r"\baws\s+sagemaker\s+(create-model|create-training-job)\b")
# the request's options that may carry the model location, per operation
_OPTIONS = {"create-model": ("--primary-container", "--containers", "--cli-input-json", "--cli-input-yaml"),
            "create-training-job": ("--output-data-config", "--cli-input-json", "--cli-input-yaml")}
# the key naming the model artifact's S3 location: where a model is read from (create-model), or where the training job
# writes it (create-training-job)
_KEYS = {"create-model": ("ModelDataUrl", "S3Uri"), "create-training-job": ("S3OutputPath",)}
_TOLERANT = lazy_re(r"""["']?(ModelDataUrl|S3Uri|S3OutputPath)["']?\s*[:=]\s*["']?([^\s,"'}\]]+)""")
READ_BACK_NEEDLES = (b"model_data", b"ModelDataUrl", b"S3ModelArtifacts")


def _values(doc: Any, keys: tuple[str, ...], under_source: bool = False, depth: int = 0) -> Iterator[Any]:
    """Values of ``keys`` anywhere in a parsed request; ``S3Uri`` counts only under a ``ModelDataSource`` (elsewhere it
    is a data channel's location)."""
    if depth > 8:
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in keys and (k != "S3Uri" or under_source):
                yield v
            else:
                yield from _values(v, keys, under_source or k == "ModelDataSource", depth + 1)
    elif isinstance(doc, list):
        for v in doc:
            yield from _values(v, keys, under_source, depth + 1)


def _shorthand(value: str) -> dict[str, str]:
    """The AWS CLI shorthand syntax of one structure (``Image=x,ModelDataUrl=s3://b/m.tar.gz``): top-level pairs."""
    out: dict[str, str] = {}
    for part in value.split(","):
        k, eq, v = part.partition("=")
        if eq and k.strip():
            out[k.strip()] = v.strip()
    return out


def _inline(value: str) -> Any:
    """An option's inline value: JSON, else the shorthand syntax, else the key/value pairs a tolerant read finds (JSON
    broken by shell quoting, ``"ModelDataUrl": "'$MODEL'"``)."""
    try:
        return json.loads(value)
    except ValueError:
        pass
    pairs = _shorthand(value)
    return pairs if pairs else {m.group(1): m.group(2) for m in _TOLERANT.finditer(value)}


def _request_file(index: FileIndex, path: str, ref: str) -> str | None:
    """The repository file a ``file://`` reference names: relative to the repository root (where CI runs), else to the
    directory of the file holding the command (a script run from its folder)."""
    ref = ref.strip().strip("'\"")
    if not ref or "$" in ref or ref.startswith("/"):
        return None
    here = path.rsplit("/", 1)[0] if "/" in path else ""
    for cand in dict.fromkeys((posixpath.normpath(ref), posixpath.normpath(posixpath.join(here, ref)))):
        if not cand.startswith("..") and index.entry(cand) is not None:
            return cand
    return None


def _stored(value: str) -> bool:
    """A location SageMaker reads or writes a model at: an S3 URI, or a variable holding one (the API takes S3 only)."""
    v = value.strip().strip("'\"")
    return v.lower().startswith("s3://") or v.startswith("$")


def _balanced(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


_MAX_JOINED = 60  # lines a quoted argument may span


def _whole(index: FileIndex, path: str, text: str) -> str:
    """The command with a quoted argument that spans lines completed from its file: a CI script splits a multi-line
    ``--primary-container '{ ... }'`` at its first line break. The command as given when its quotes are balanced or its
    first line is not found."""
    if _balanced(text):
        return text
    lines = index.lines(path)
    op = _CLI.search(text)
    for i, ln in enumerate(lines):
        m = _CLI.search(ln)
        if m is None or op is None or m.group(1) != op.group(1):
            continue
        parts: list[str] = []
        opened = False  # the quote that the script's line break cut has been reached
        for more in [ln[m.start():], *lines[i + 1:i + _MAX_JOINED]]:
            parts.append(more.rstrip().removesuffix("\\"))
            joined = " ".join(parts)
            balanced = _balanced(joined)
            if opened and balanced:
                return joined
            opened = opened or not balanced
        break
    return text


def cli_model_location(index: FileIndex, path: str, text: str) -> tuple[str, str, str | None] | None:
    """(operation, the model's S3 location as written, the request file it was read from or None) of an ``aws sagemaker
    create-model``/``create-training-job`` command; None for another command or a request naming no S3 location."""
    m = _CLI.search(text)
    if m is None:
        return None
    op = m.group(1)
    words = argv(_whole(index, path, text[m.start():]))
    for i, w in enumerate(words):
        opt, eq, val = w.partition("=")
        if opt not in _OPTIONS[op]:
            continue
        value = val if eq else words[i + 1] if i + 1 < len(words) else ""
        source: str | None = None
        if value.startswith("file://"):
            source = _request_file(index, path, value[len("file://"):])
            if source is None:
                continue
            docs = [index.json(source)] if source.endswith(".json") else index.yaml(source)
        else:
            docs = [_inline(value)]
        hit = next((v for d in docs for v in _values(d, _KEYS[op]) if isinstance(v, str) and _stored(v)), None)
        if hit is not None:
            return op, hit, source
    return None


def key_line(index: FileIndex, path: str, keys: tuple[str, ...] = ("ModelDataUrl", "S3OutputPath", "S3Uri")) -> int | None:
    """The first line of a request file naming one of the keys (what a reader of the evidence wants to see)."""
    for i, ln in enumerate(index.lines(path), start=1):
        if any(k in ln for k in keys):
            return i
    return None


def _reads_back(tree: ast.AST) -> int | None:
    """The line where Python code reads a trained model back by its S3 location: a ``model_data=`` argument or
    ``.model_data`` attribute, a ``ModelDataUrl`` key, ``S3ModelArtifacts`` (a described job's, or a pipeline step's
    ``properties.ModelArtifacts.S3ModelArtifacts``)."""
    for n in walk(tree):
        if isinstance(n, ast.keyword) and n.arg == "model_data" and not (isinstance(n.value, ast.Constant) and n.value.value is None):
            return n.value.lineno
        if isinstance(n, ast.Attribute) and n.attr in ("model_data", "S3ModelArtifacts"):
            return n.lineno
        if isinstance(n, ast.Constant) and n.value in ("ModelDataUrl", "S3ModelArtifacts"):
            return n.lineno
    return None


def model_read_back(index: FileIndex) -> bool:
    """Does project code (not a test) or an automated command read a SageMaker model artifact back by its S3 location
    (see ``_reads_back``, ``cli_model_location``), or a template declare a model from one (``ModelDataUrl``)?"""

    def build() -> bool:
        for e, tree in index.python_files(READ_BACK_NEEDLES):
            if not e.test and _reads_back(tree) is not None:
                return True
        if any(cli_model_location(index, p, t) for p, _ln, t in ops.command_lines(index) if "sagemaker" in t):
            return True
        for e in index.select(("**/*.json", "**/*.yaml", "**/*.yml", "**/*.template")):
            if e.test or not index.contains(e.path, (b"ModelDataUrl",)):
                continue
            docs = [index.json(e.path)] if e.path.endswith(".json") else index.yaml(e.path)
            if any(v for d in docs for v in _values(d, ("ModelDataUrl",))):  # a URI, a variable or a CloudFormation !Ref
                return True
        return False

    return bool(index.memo("sagemaker-model-read-back", build))
