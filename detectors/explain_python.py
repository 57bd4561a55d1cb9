"""Explainability: SHAP/LIME/Captum/alibi/InterpretML/ELI5/dalex calls, Clarify/Vertex explanation configs,
KServe/Seldon explainers, Azure ML's Responsible AI explanation component (fetched from the ``azureml`` registry in
Python or named by a pipeline job's ``component:``); a dependency that is never used is declared-only. Feeds O4."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.place import place
from mlscan.facts.tracking import guarded_imports
from mlscan.index import FileIndex, register_fact
from mlscan.model import Finding, Strength

# qualified-name prefix -> tool (a call must resolve through an import to one of these)
_LIBS = (
    ("shap.", "shap"),
    ("lime.", "lime"),
    ("captum.", "captum"),
    ("alibi.explainers.", "alibi"),
    ("interpret.", "interpret"),
    ("interpret_community.", "interpret"),
    ("eli5.", "eli5"),
    ("dalex.", "dalex"),
    ("dice_ml.", "dice"),
    ("omnixai.", "omnixai"),
    ("shapash.", "shapash"),
    ("explainerdashboard.", "explainerdashboard"),
    ("responsibleai.", "responsibleai"),
    ("raiwidgets.", "responsibleai"),
    ("google.cloud.aiplatform.explain.", "vertex-explanations"),
    ("sagemaker.clarify.SHAPConfig", "sagemaker-clarify"),
    ("sagemaker.clarify.PDPConfig", "sagemaker-clarify"),
    ("sagemaker.model_monitor.ModelExplainabilityMonitor", "sagemaker-clarify"),
    # SageMaker Pipelines' Clarify check step re-exports them: a model explainability check (SHAP) of each new model
    ("sagemaker.workflow.clarify_check_step.SHAPConfig", "sagemaker-clarify"),
    ("sagemaker.workflow.clarify_check_step.ModelExplainabilityCheckConfig", "sagemaker-clarify"),
)
_VERTEX_KW = ("explanation_spec", "explanation_metadata", "explanation_parameters")
_DISTS = {
    "shap": "shap", "lime": "lime", "captum": "captum", "alibi": "alibi", "interpret": "interpret",
    "interpret-community": "interpret", "eli5": "eli5", "dalex": "dalex", "dice-ml": "dice", "omnixai": "omnixai",
    "shapash": "shapash", "explainerdashboard": "explainerdashboard", "responsibleai": "responsibleai",
    "raiwidgets": "responsibleai",
}
# Azure ML Responsible AI dashboard components that compute model explanations (tabular, text, vision; the older
# ``microsoft_azureml_`` prefix included), as the azureml registry names them
_RAI_EXPLANATION = re.compile(r"\b(?:microsoft_azureml_)?rai_(?:tabular|text|vision)_explanation\b")
_NEEDLES = (b"_explanation", b"shap", b"lime", b"captum", b"alibi", b"interpret", b"eli5", b"dalex", b"dice_ml", b"omnixai",
            b"explainerdashboard", b"responsibleai", b"raiwidgets", b"explanation_", b"clarify", b"Explainability")


class ExplainPython(Detector):
    """Explainability libraries called in code or notebooks, and serving-time explainers; feeds O4."""

    id = "explain.python"
    questions = ("O4",)
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS, "**/requirements*.txt", "**/pyproject.toml")
    signals = ("explain.usage",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        used: set[str] = set()
        declared_tools: set[str] | None = None
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not index.mentions(e.path, _NEEDLES):
                continue
            for tool, line, snip in index.fact(e.path, TOOL_FACTS) or []:
                used.add(tool)
                where = place(index, e).kind
                gated = False
                if tool in _TOOL_MODULES and _TOOL_MODULES[tool] & guarded_imports(index.python(e.path) or ast.Module(body=[], type_ignores=[])):
                    if declared_tools is None:
                        declared_tools = _installed(index)
                    gated = tool not in declared_tools
                yield self.found("explain.usage", index, e.path, line, snippet=snip,
                                 strength=Strength.WEAK if gated else Strength.STRONG if where == "automated" else Strength.MEDIUM,
                                 attrs={"tool": tool, "wired": where == "automated", "declared_only": False,
                                        **({"install_gated": True} if gated else {})})
        for e in index.select(ops.YAML_GLOBS):
            if e.test or not index.contains(e.path, (b"_explanation",)):
                continue
            for doc in index.yaml(e.path):
                line = _rai_component_line(doc)
                if line is not None:
                    used.add("azureml-rai")
                    where = place(index, e).kind
                    yield self.found("explain.usage", index, e.path, line,
                                     strength=Strength.STRONG if where == "automated" else Strength.MEDIUM,
                                     attrs={"tool": "azureml-rai", "wired": where == "automated", "declared_only": False})
                    break
        for e, doc in ops.k8s_docs(index):
            for tool, line in _serving_explainers(doc):
                used.add(tool)
                yield self.found("explain.usage", index, e.path, line, strength=Strength.STRONG,
                                 attrs={"tool": tool, "wired": True, "declared_only": False, "serving": True})
        first: dict[str, tuple[str, int | None]] = {}
        for e, line, tool in ops.declared(index, _DISTS):
            first.setdefault(tool, (e.path, line))
        for tool, (path, line) in sorted(first.items()):
            if tool not in used:
                yield self.found("explain.usage", index, path, line, strength=Strength.WEAK,
                                 attrs={"tool": tool, "wired": False, "declared_only": True})


# the modules an explainability tool is imported as (a tool used behind ``try: import shap`` / ``except ImportError``)
_TOOL_MODULES: dict[str, set[str]] = {}
for _prefix, _tool_name in _LIBS:
    if _prefix.endswith(".") and not _prefix.startswith(("google.", "sagemaker.")):
        _TOOL_MODULES.setdefault(_tool_name, set()).add(_prefix.split(".", 1)[0])
# ``pip install ... shap`` in an image, a script, a CI step or a task runner: the package is installed after all
_PIP_INSTALL = re.compile(r"\b(?:pip3?|uv\s+pip|poetry\s+add|conda\s+install|mamba\s+install)\s+(?:install\s+)?([^\n&|;]*)")
_INSTALL_FILES = ("**/Dockerfile*", "**/*.Dockerfile", "**/dockerfile", "**/*.sh", "**/Makefile", ".github/workflows/*.yml",
                  ".github/workflows/*.yaml", "**/.gitlab-ci.yml", "**/azure-pipelines*.yml", "**/buildspec*.yml", "**/cloudbuild*.yaml")


def _installed(index: FileIndex) -> set[str]:
    """The explainability tools a default install brings: declared as a dependency (requirements, pyproject, Pipfile,
    conda environment, setup.py) or pip-installed by an image, script, CI step or task runner of the project."""
    out = {tool for _e, _line, tool in ops.declared(index, _DISTS)}
    for e in index.select(("**/pyproject.toml",)):  # ``dependencies = ["shap>=0.44"]`` on one line
        doc = index.toml(e.path) or {}
        proj = doc.get("project") if isinstance(doc.get("project"), dict) else {}
        tool_ = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
        poetry = tool_.get("poetry") if isinstance(tool_.get("poetry"), dict) else {}
        names = [x for x in proj.get("dependencies") or [] if isinstance(x, str)]
        names += list(poetry.get("dependencies") or {}) if isinstance(poetry.get("dependencies"), dict) else []
        out |= {_DISTS[n] for x in names if (n := re.split(r"[<>=~!\[;@ ]", x.strip(), maxsplit=1)[0].lower().replace("_", "-")) in _DISTS}
    for e in index.select(_INSTALL_FILES):
        if e.test or not index.contains(e.path, (b"install", b"add")):
            continue
        for m in _PIP_INSTALL.finditer(index.text(e.path) or ""):
            for w in m.group(1).split():
                name = re.split(r"[<>=~!\[;]", w.strip("'\""), maxsplit=1)[0].lower().replace("_", "-")
                if name in _DISTS:
                    out.add(_DISTS[name])
    return out


def _tool_facts(index: FileIndex, path: str) -> list[list[Any]] | None:
    """[tool, line, snippet] of the first call of each explainability tool in a Python file or notebook, in call
    order (line and snippet as evidence cites them); None when it does not parse. A file fact, derived when the file
    is parsed."""
    e = index.entry(path)
    if e is None or index.python(path) is None:
        return None
    al, calls = ops.py_calls(index, e)
    out: list[list[Any]] = []
    seen: set[str] = set()
    for c in calls:
        tool = _tool(c, al)
        if tool is not None and tool not in seen:
            seen.add(tool)
            out.append([tool, *ops.locate(index, e, c.line)])
    return out


TOOL_FACTS = register_fact("explain.python.tools", _tool_facts, eager=lambda index, path: index.may_mention(path, _NEEDLES))


# sample-data loaders the tools ship for their tutorials (``shap.datasets.adult()``, ``dalex.datasets.load_titanic()``):
# loading a data set explains nothing
_DATA_LOADERS = ("shap.datasets.", "dalex.datasets.")


def _tool(c: ops.PyCall, al: dict[str, str]) -> str | None:
    q = c.qual + "."
    if q.startswith(_DATA_LOADERS):
        return None
    for prefix, tool in _LIBS:
        if q.startswith(prefix if prefix.endswith(".") else prefix + "."):
            return tool
    if any(c.has_kw(k) for k in _VERTEX_KW) and ops.imports_module(al, "google.cloud.aiplatform", "vertexai"):
        return "vertex-explanations"
    if ops.imports_module(al, "arize"):
        if c.has_kw("shap_values_column_names") or c.kw_value("surrogate_explainability") is True:
            return "arize"
    if c.attr == "run_explainability" and ops.imports_module(al, "sagemaker.clarify"):
        return "sagemaker-clarify"
    if c.attr == "get" and c.text.endswith("components.get") and ops.imports_module(al, "azure.ai.ml"):
        name = c.kw_value("name") if c.has_kw("name") else ops.literal(c.node.args[0]) if c.node.args else None
        if isinstance(name, str) and _RAI_EXPLANATION.search(name):
            return "azureml-rai"  # ml_client_registry.components.get(name="rai_tabular_explanation", label="latest")
    return None


def _rai_component_line(doc: Any) -> int | None:
    """The line of a pipeline job's ``component:`` that runs the Responsible AI explanation component
    (``azureml://registries/azureml/components/rai_tabular_explanation/versions/...``)."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            comp = node.get("component")
            if isinstance(comp, str) and _RAI_EXPLANATION.search(comp):
                return node.line_of("component") if hasattr(node, "line_of") else None
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return None


def _serving_explainers(doc: dict) -> Iterator[tuple[str, int]]:
    api, kind = str(doc.get("apiVersion")), doc.get("kind")
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if api.startswith("serving.kserve.io") and kind == "InferenceService" and isinstance(spec.get("explainer"), dict):
        yield "kserve", spec.line_of("explainer")
    if api.startswith("machinelearning.seldon.io") and kind == "SeldonDeployment":
        for p in spec.get("predictors") or []:
            if isinstance(p, dict) and isinstance(p.get("explainer"), dict):
                yield "seldon-alibi", p.line_of("explainer")
                return
