"""SageMaker pipeline definitions written as data: the pipeline definition JSON (``{"Version": "2020-12-01", "Parameters":
[...], "PipelineExperimentConfig": {...}, "Steps": [...]}``, often a template the deploy code fills in) in a file of its
own or inline in a CloudFormation ``AWS::SageMaker::Pipeline`` (``PipelineDefinition.PipelineDefinitionBody``). What
mlscan reads of them: whether a pipeline that trains records each execution in SageMaker Experiments (its
``PipelineExperimentConfig`` names an experiment: the pipeline's, and a trial per execution), and whether anything in
the repository deploys the file (its name in code, IaC or a script: ``CfnPipeline``, ``create_pipeline``,
``PipelineDefinitionS3Location``)."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from mlscan.facts import ops
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re

_TRAINING_TYPES = frozenset({"Training", "Tuning", "AutoML"})
# definition templates a deploy script renders (the index leaves ``.j2``/``.jinja``/``.tmpl`` sources out of a repository that
# is no template itself; a ``.json`` whose placeholders stand outside strings is read through ``_template``)
_TEMPLATES = ("**/*.json.tpl", "**/*.json.template")
# where a definition file's name shows that something deploys it
_REFERRERS = ("**/*.py", "**/*.ts", "**/*.js", "**/*.json", *ops.YAML_GLOBS, *ops.SCRIPT_GLOBS, "**/*.tf")


class ExperimentConfig(NamedTuple):
    path: str
    line: int
    deployed: bool  # a file of its own that the repository names, or a definition inline in an IaC template


def _tracks_training(doc: Any) -> bool:
    """A definition whose ``PipelineExperimentConfig`` names an experiment and whose steps train a model."""
    if not isinstance(doc, dict):
        return False
    cfg = doc.get("PipelineExperimentConfig")
    steps = doc.get("Steps")
    return isinstance(cfg, dict) and bool(cfg.get("ExperimentName")) and isinstance(steps, list) \
        and any(isinstance(s, dict) and s.get("Type") in _TRAINING_TYPES for s in steps)


def _loads(text: Any) -> Any:
    if isinstance(text, dict):  # ``Fn::Sub`` of the body: its template string, or [template, variables]
        text = text.get("Fn::Sub")
        text = text[0] if isinstance(text, list) and text else text
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


_BARE_PLACEHOLDER = lazy_re(r"\{\{[^{}\n]*\}\}|\$\{[^{}\n]*\}")


def _template(text: str) -> Any:
    """A definition template whose placeholders stand outside JSON strings (``"InstanceCount": {{ instance_count }}``):
    parsed with each such placeholder read as ``null``; placeholders inside strings stay as they are."""
    out: list[str] = []
    in_str = False
    i = 0
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif (m := _BARE_PLACEHOLDER.match(text, i)) is not None:
            out.append("null")
            i = m.end() - 1
        else:
            out.append(c)
        i += 1
    return _loads("".join(out))


def _line(index: FileIndex, path: str) -> int:
    lines = index.lines(path)
    return next((i for i, ln in enumerate(lines, start=1) if "PipelineExperimentConfig" in ln), 1)


def _named(index: FileIndex, path: str) -> bool:
    """Does another non-test file of the repository name this file (by its file name)?"""
    name = path.rsplit("/", 1)[-1].encode()
    return any(e.path != path and not e.test and index.contains(e.path, (name,)) for e in index.select(_REFERRERS))


def experiment_configs(index: FileIndex) -> list[ExperimentConfig]:
    """Pipeline definitions that train and record every execution in SageMaker Experiments (memoised per scan)."""

    def build() -> list[ExperimentConfig]:
        out: list[ExperimentConfig] = []
        for e in index.select(("**/*.json", *_TEMPLATES, *ops.YAML_GLOBS)):
            if e.test or not index.contains(e.path, (b"PipelineExperimentConfig",)):
                continue
            yaml_file = e.suffix in (".yaml", ".yml")
            docs = index.yaml(e.path) if yaml_file else [index.json(e.path) if e.suffix == ".json" else None]
            if not yaml_file and docs[0] is None:
                docs = [_template(index.text(e.path) or "")]
            for doc in docs:
                if _tracks_training(doc):
                    out.append(ExperimentConfig(e.path, _line(index, e.path), _named(index, e.path)))
                    break
                resources = doc.get("Resources") if isinstance(doc, dict) else None
                bodies = [((r.get("Properties") or {}).get("PipelineDefinition") or {}) for r in (resources or {}).values()
                          if isinstance(r, dict) and r.get("Type") == "AWS::SageMaker::Pipeline"] if isinstance(resources, dict) else []
                if any(isinstance(b, dict) and _tracks_training(_loads(b.get("PipelineDefinitionBody"))) for b in bodies):
                    out.append(ExperimentConfig(e.path, _line(index, e.path), True))
                    break
        return out

    return index.memo("sagemaker-definitions:experiment-configs", build)  # type: ignore[no-any-return]
