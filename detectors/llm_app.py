"""LLM applications (seed 003's LLMOps extension): model calls, vector stores, guardrails, prompt registries and
LLM cost controls, from calls resolved through imports; declared-only dependencies are weak. Feeds google3 LLM.*."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.place import place
from mlscan.index import FileIndex, register_fact
from mlscan.model import Finding, Strength

# qualified name of a call -> (signal, tool): exact or a submodule/attribute of it; "x." and "x*" are prefixes
_CALLS = (
    ("openai.OpenAI", "llm.usage", "openai"), ("openai.AzureOpenAI", "llm.usage", "openai"),
    ("openai.AsyncOpenAI", "llm.usage", "openai"), ("openai.ChatCompletion", "llm.usage", "openai"),
    ("openai.Completion", "llm.usage", "openai"), ("anthropic.Anthropic", "llm.usage", "anthropic"),
    ("anthropic.AsyncAnthropic", "llm.usage", "anthropic"), ("litellm.completion", "llm.usage", "litellm"),
    ("litellm.acompletion", "llm.usage", "litellm"), ("google.generativeai.GenerativeModel", "llm.usage", "gemini"),
    ("vertexai.generative_models.GenerativeModel", "llm.usage", "gemini"), ("cohere.Client", "llm.usage", "cohere"),
    ("langchain_openai.ChatOpenAI", "llm.usage", "langchain"), ("langchain_openai.AzureChatOpenAI", "llm.usage", "langchain"),
    ("langchain_anthropic.ChatAnthropic", "llm.usage", "langchain"), ("langchain.chat_models.init_chat_model", "llm.usage", "langchain"),
    ("langchain_community.llms", "llm.usage", "langchain"), ("langchain_community.chat_models", "llm.usage", "langchain"),
    ("llama_index.llms", "llm.usage", "llama-index"), ("vllm.LLM", "llm.usage", "vllm"),
    ("ollama.chat", "llm.usage", "ollama"), ("ollama.generate", "llm.usage", "ollama"),
    ("pinecone.Pinecone", "llm.vector_store", "pinecone"), ("pinecone.init", "llm.vector_store", "pinecone"),
    ("weaviate.connect_to*", "llm.vector_store", "weaviate"), ("weaviate.Client", "llm.vector_store", "weaviate"),
    ("qdrant_client.QdrantClient", "llm.vector_store", "qdrant"), ("chromadb.", "llm.vector_store", "chroma"),
    ("pymilvus.MilvusClient", "llm.vector_store", "milvus"), ("pgvector.", "llm.vector_store", "pgvector"),
    ("langchain_community.vectorstores", "llm.vector_store", "langchain"), ("langchain_chroma", "llm.vector_store", "chroma"),
    ("langchain_postgres.PGVector", "llm.vector_store", "pgvector"), ("llama_index.core.VectorStoreIndex", "llm.vector_store", "llama-index"),
    ("faiss.Index*", "llm.vector_store", "faiss"),
    ("guardrails.Guard", "llm.guardrails", "guardrails-ai"), ("nemoguardrails.", "llm.guardrails", "nemo-guardrails"),
    ("llm_guard.", "llm.guardrails", "llm-guard"),
    ("langchain.hub.pull", "llm.prompt_registry", "langsmith"), ("langchain.hub.push", "llm.prompt_registry", "langsmith"),
    ("mlflow.genai.register_prompt", "llm.prompt_registry", "mlflow"), ("mlflow.genai.load_prompt", "llm.prompt_registry", "mlflow"),
    ("mlflow.register_prompt", "llm.prompt_registry", "mlflow"), ("mlflow.load_prompt", "llm.prompt_registry", "mlflow"),
    ("humanloop.Humanloop", "llm.prompt_registry", "humanloop"), ("promptlayer.PromptLayer", "llm.prompt_registry", "promptlayer"),
    ("langchain.globals.set_llm_cache", "llm.cost_control", "langchain-cache"), ("langchain.set_llm_cache", "llm.cost_control", "langchain-cache"),
    ("gptcache.", "llm.cost_control", "gptcache"), ("litellm.completion_cost", "llm.cost_control", "litellm"),
    ("langchain_community.callbacks.get_openai_callback", "llm.cost_control", "langchain-usage"),
)
# method names that pull/push versioned prompts on a client object of these modules
_PROMPT_METHODS = {"pull_prompt", "push_prompt", "get_prompt", "create_prompt"}
_PROMPT_CLIENTS = ("langsmith", "langfuse", "promptlayer", "humanloop")
_DISTS = {
    "openai": "llm.usage", "anthropic": "llm.usage", "litellm": "llm.usage", "langchain": "llm.usage",
    "langchain-openai": "llm.usage", "llama-index": "llm.usage", "pinecone": "llm.vector_store",
    "pinecone-client": "llm.vector_store", "qdrant-client": "llm.vector_store", "weaviate-client": "llm.vector_store",
    "chromadb": "llm.vector_store", "pgvector": "llm.vector_store", "guardrails-ai": "llm.guardrails",
    "nemoguardrails": "llm.guardrails", "llm-guard": "llm.guardrails", "gptcache": "llm.cost_control",
}
# Python files worth a parse (word pre-filter): the modules of _CALLS and _PROMPT_CLIENTS; MLflow only with its prompt API
NEEDLES = (b"openai", b"anthropic", b"litellm", b"generativeai", b"generative_models", b"cohere", b"langchain", b"llama_index",
           b"vllm", b"ollama", b"pinecone", b"weaviate", b"qdrant", b"chromadb", b"pymilvus", b"pgvector", b"faiss",
           b"guardrails", b"nemoguardrails", b"llm_guard", b"mlflow.register_prompt", b"mlflow.load_prompt", b"humanloop", b"promptlayer", b"langsmith",
           b"langfuse", b"gptcache")


class LlmApp(Detector):
    """LLM calls, vector stores, guardrails, prompt registries and LLM caching/cost tracking in code; feeds google3 LLM.*."""

    id = "llm.app"
    questions = ()
    globs = ("**/*.py", "**/*.ipynb", "**/requirements*.txt", "**/pyproject.toml")
    signals = ("llm.usage", "llm.vector_store", "llm.guardrails", "llm.prompt_registry", "llm.cost_control")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        used: set[str] = set()
        for e in index.select(("**/*.py", "**/*.ipynb")):
            fact = index.fact(e.path, CALL_FACTS) if index.mentions(e.path, NEEDLES) else None
            if not fact:
                continue
            roots, found = fact
            local = _local_roots(index, roots)
            hits = [((at, snip), (signal, tool)) for root, at, snip, signal, tool in found if root not in local]
            if not hits:
                continue
            where = place(index, e).kind
            seen: set[tuple[str, str]] = set()
            for (line, snip), hit in hits:
                if hit in seen:
                    continue
                seen.add(hit)
                used.add(hit[0])
                strength = Strength.WEAK if where in ("exploration", "notebook") else Strength.MEDIUM
                yield self.found(hit[0], index, e.path, line, snippet=snip, strength=strength,
                                 attrs={"tool": hit[1], "place": where, "declared_only": False})
        first: dict[str, tuple[str, int | None, str]] = {}
        for e, line, signal in ops.declared(index, _DISTS):
            first.setdefault(signal, (e.path, line, signal))
        for signal, (path, line, _) in sorted(first.items()):
            if signal not in used:
                yield self.found(signal, index, path, line, strength=Strength.WEAK, attrs={"declared_only": True})


def _classify(c: ops.PyCall, al: dict[str, str]) -> tuple[str, str] | None:
    q = c.qual
    if q:
        for prefix, signal, tool in _CALLS:
            if prefix.endswith(("*", ".")):
                if q.startswith(prefix.rstrip("*")):
                    return signal, tool
            elif q == prefix or q.startswith(prefix + "."):
                return signal, tool
    if c.attr in _PROMPT_METHODS and not q:
        client = next((m for m in _PROMPT_CLIENTS if ops.imports_module(al, m)), None)
        if client:
            return "llm.prompt_registry", client
    return None


def _local_roots(index: FileIndex, roots: list[str]) -> set[str]:
    """Imported top-level names that are the project's own modules (a local ``guardrails/`` package)."""
    return {r for r in roots if index.select((f"{r}/__init__.py", f"{r}.py", f"src/{r}/__init__.py", f"src/{r}.py"))}


def _call_facts(index: FileIndex, path: str) -> list[Any] | None:
    """[the imports' top-level names (sorted), [[root of the call's name, line, snippet, signal, tool] of each call
    _classify recognises, in call order]] of a Python file or notebook (the line and snippet as evidence cites them: a
    notebook's JSON line); None when it does not parse. A file fact, derived when the file is parsed."""
    e = index.entry(path)
    if e is None or index.python(path) is None:
        return None
    al, calls = ops.py_calls(index, e)
    found = []
    for c in calls:
        hit = _classify(c, al)
        if hit is not None:
            at, snip = ops.locate(index, e, c.line)
            found.append([c.qual.split(".")[0], at, snip, hit[0], hit[1]])
    return [sorted({v.split(".")[0] for v in al.values()}), found]


CALL_FACTS = register_fact("llm.app.calls", _call_facts, eager=lambda index, path: index.may_mention(path, NEEDLES))
