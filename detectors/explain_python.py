"""Explainability: SHAP/LIME/Captum/alibi/InterpretML/ELI5/dalex calls, Clarify/Vertex explanation configs,
KServe/Seldon explainers; a dependency that is never used is declared-only. Feeds O4."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.place import place
from mlscan.index import FileIndex
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
_NEEDLES = (b"shap", b"lime", b"captum", b"alibi", b"interpret", b"eli5", b"dalex", b"dice_ml", b"omnixai",
            b"explainerdashboard", b"responsibleai", b"raiwidgets", b"explanation_", b"clarify", b"Explainability")


class ExplainPython(Detector):
    """Explainability libraries called in code or notebooks, and serving-time explainers; feeds O4."""

    id = "explain.python"
    questions = ("O4",)
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS, "**/requirements*.txt", "**/pyproject.toml")
    signals = ("explain.usage",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        used: set[str] = set()
        for e, _tree in index.python_files(_NEEDLES):
            al, calls = ops.py_calls(index, e)
            seen: set[str] = set()
            for c in calls:
                tool = _tool(c, al)
                if tool is None or tool in seen:
                    continue
                seen.add(tool)
                used.add(tool)
                where = place(index, e).kind
                line, snip = ops.locate(index, e, c.line)
                yield self.found("explain.usage", index, e.path, line, snippet=snip,
                                 strength=Strength.STRONG if where == "automated" else Strength.MEDIUM,
                                 attrs={"tool": tool, "wired": where == "automated", "declared_only": False})
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


def _tool(c: ops.PyCall, al: dict[str, str]) -> str | None:
    q = c.qual + "."
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
