"""LLM fine-tuning and evaluation (seed 003's LLMOps extension): TRL/PEFT/Unsloth code, Axolotl and LLaMA-Factory
configs, ragas/DeepEval/lm-eval/MLflow/LangSmith evaluations and promptfoo configs, automated when a CI job or pipeline
runs them. Feeds google3 LLM.finetuning, LLM.evaluation, LLM.rag."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from mlscan.ci import argv
from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops
from mlscan.facts.place import place
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

_FINETUNE = (("trl.", "trl"), ("peft.LoraConfig", "peft"), ("peft.get_peft_model", "peft"),
             ("peft.prepare_model_for_kbit_training", "peft"), ("unsloth.FastLanguageModel", "unsloth"))
_EVAL = (("ragas.evaluate", "ragas"), ("deepeval.evaluate", "deepeval"), ("deepeval.assert_test", "deepeval"),
         ("lm_eval.simple_evaluate", "lm-eval"), ("lm_eval.evaluate", "lm-eval"), ("mlflow.genai.evaluate", "mlflow"),
         ("langsmith.evaluate", "langsmith"), ("langsmith.evaluation.evaluate", "langsmith"))
_MLFLOW_LLM_TYPES = {"question-answering", "text", "text-summarization", "databricks-agent"}
_RAG_METRICS = ("context_precision", "context_recall", "ContextualRelevancy", "ContextualPrecision", "ContextualRecall",
                "context-relevance", "context-faithfulness", "context-recall", "faithfulness", "Faithfulness")
# Python files worth a parse (word pre-filter): the modules of _FINETUNE and _EVAL (MLflow only with its GenAI evaluate API)
NEEDLES = (b"trl", b"peft", b"unsloth", b"ragas", b"deepeval", b"lm_eval", b"mlflow.genai.evaluate", b"langsmith")
# ... or mlflow.evaluate(model_type=<an LLM model type>): these words, and the keyword as written (notebook JSON is full
# of "model", "type" and "text")
MLFLOW_EVALUATE = tuple(f"mlflow.evaluate(model_type={t!r})".encode() for t in sorted(_MLFLOW_LLM_TYPES))
_CLI = {"promptfoo": "promptfoo", "axolotl": "axolotl", "llamafactory-cli": "llamafactory", "lm_eval": "lm-eval", "lm-eval": "lm-eval"}


class LlmLifecycle(Detector):
    """LLM fine-tuning (TRL, PEFT, Axolotl, LLaMA-Factory) and LLM evaluation (ragas, DeepEval, lm-eval, promptfoo); feeds google3 LLM.*."""

    id = "llm.lifecycle"
    questions = ()
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS)
    signals = ("llm.finetune", "llm.eval")
    needs_any = (*needs_of(ops.AUTOMATED_NEEDS), Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, *MLFLOW_EVALUATE)),
                 Need(ops.YAML_GLOBS))  # lm-eval run by CI, the libraries in code, their YAML configs

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        commands = ops.automated_commands(index)
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not (index.mentions(e.path, NEEDLES) or index.mentions(e.path, MLFLOW_EVALUATE) and index.contains(e.path, (b"model_type",))):
                continue
            if index.python(e.path) is None:
                continue
            al, calls = ops.py_calls(index, e)
            hits = [(c, hit) for c in calls if (hit := _classify(c)) is not None]
            if not hits:
                continue
            text = index.text(e.path) or ""
            auto = _automated(index, e, commands)
            seen: set[str] = set()
            for c, hit in hits:
                if hit[0] in seen:
                    continue
                seen.add(hit[0])
                line, snip = ops.locate(index, e, c.line)
                strength = Strength.STRONG if auto else Strength.WEAK if place(index, e).kind == "exploration" else Strength.MEDIUM
                attrs = {"tool": hit[1], "automated": auto}
                if hit[0] == "llm.eval":
                    attrs["retrieval"] = hit[1] == "ragas" or any(m in text for m in _RAG_METRICS)
                yield self.found(hit[0], index, e.path, line, snippet=snip, strength=strength, attrs=attrs)
        for e in index.select(ops.YAML_GLOBS):
            if not index.contains(e.path, (b"prompts", b"base_model", b"finetuning_type")):
                continue
            for doc in index.yaml(e.path):
                hit = _config(doc)
                if hit is None:
                    continue
                signal, tool, key = hit
                run = next((c for c in commands if tool in _tools_in(c.text) and (e.name in c.text or tool == "promptfoo")), None)
                attrs = {"tool": tool, "automated": run is not None, "config": True}
                if signal == "llm.eval":
                    attrs["retrieval"] = any(m in (index.text(e.path) or "") for m in _RAG_METRICS)
                yield self.found(signal, index, e.path, doc.line_of(key), strength=Strength.STRONG if run else Strength.MEDIUM, attrs=attrs)
        for c in commands:  # lm-eval harness run straight from CI
            if "lm-eval" in _tools_in(c.text) and "--model" in c.text:
                yield self.found("llm.eval", index, c.path, c.line, strength=Strength.STRONG,
                                 attrs={"tool": "lm-eval", "automated": True, "retrieval": False})
                break


def _classify(c: ops.PyCall) -> tuple[str, str] | None:
    q = c.qual
    if not q:
        return None
    for prefix, tool in _FINETUNE:
        if q.startswith(prefix) and (prefix.endswith(".") or q == prefix or q.startswith(prefix + ".")):
            return "llm.finetune", tool
    for prefix, tool in _EVAL:
        if q == prefix:
            return "llm.eval", tool
    if q == "mlflow.evaluate" and c.kw_value("model_type") in _MLFLOW_LLM_TYPES:
        return "llm.eval", "mlflow"
    return None


def _config(doc: object) -> tuple[str, str, str] | None:
    """(signal, tool, key) for promptfoo, Axolotl and LLaMA-Factory config documents."""
    if not isinstance(doc, dict):
        return None
    if "prompts" in doc and "providers" in doc and ("tests" in doc or "defaultTest" in doc):
        return "llm.eval", "promptfoo", "prompts"
    if "base_model" in doc and "datasets" in doc and (doc.get("adapter") in ("lora", "qlora") or "micro_batch_size" in doc):
        return "llm.finetune", "axolotl", "base_model"
    if "model_name_or_path" in doc and "finetuning_type" in doc and "stage" in doc:
        return "llm.finetune", "llamafactory", "finetuning_type"
    return None


@lru_cache(maxsize=1 << 14)
def _tools_in(cmd: str) -> frozenset[str]:
    """The LLM tools a command runs; memoised by text (every automated command is asked, and CI jobs repeat them)."""
    words = [w.rsplit("/", 1)[-1].split("@")[0] for w in argv(cmd)[:6]]
    out = {_CLI[w] for w in words if w in _CLI}
    if "axolotl.cli.train" in cmd:
        out.add("axolotl")
    return frozenset(out)


def _automated(index: FileIndex, e: FileEntry, commands: list[ops.Command]) -> bool:
    """On an automated path, or a test file that an automated pytest/deepeval run covers."""
    where = place(index, e).kind
    if where == "automated":
        return True
    if where != "test":
        return False
    for c in commands:
        targets = ops.pytest_targets(c.text)
        if targets is None and "deepeval" in c.text and " test run" in c.text:
            targets = [w for w in c.text.split()[3:] if not w.startswith("-")]
        if targets is not None and ops.covered_by(e.vpath, targets, c.text):
            return True
    return False
