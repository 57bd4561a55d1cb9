"""A library's model zoo written as data: a JSON file listing its released models (``.models.json``,
``pretrained_models.json``), one entry per model with where to download it (``github_rls_url``, ``hf_url``, ``url``: a
GitHub release asset, a Hugging Face Hub file, a bucket) and often the commit of the code that trained it (``"commit":
"bae2ad0f"``), read by the library's own model manager (a Python module that names the file and downloads the entry a
user asks for). Released models are then kept in a central store everyone can fetch them from (T2), and each carries
its code version (E3). A plain list of links that no code of the repository reads is documentation, not a store."""

from __future__ import annotations

from typing import Any, NamedTuple

from mlscan.facts.orchestration import words
from mlscan.facts.served import MODEL_EXT
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re

_URL_KEY_WORDS = frozenset({"url", "urls", "link", "links", "download", "href"})
_COMMIT_KEY_WORDS = frozenset({"commit", "sha", "githash", "gitsha"})
_HEX = lazy_re(r"^[0-9a-f]{7,40}$")
_ZOO_WORDS = frozenset({"model", "models", "zoo", "pretrained", "weights", "checkpoints", "checkpoint", "releases"})
_ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")
_MIN_ENTRIES = 2
_MAX_DEPTH = 8


class ModelZoo(NamedTuple):
    path: str
    line: int  # the first entry's download URL
    commit_line: int | None  # the first entry's code commit (None: no entry records one)
    loader: tuple[str, int]  # the Python file (and line) that names the zoo file
    entries: int
    with_commit: int


def _urls(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str) and v.startswith(("https://", "http://"))]


def _entries(doc: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The dicts of a nested document that name a download URL under a URL-like key (one per released model)."""
    if depth > _MAX_DEPTH:
        return []
    if isinstance(doc, list):
        return [x for v in doc for x in _entries(v, depth + 1)]
    if not isinstance(doc, dict):
        return []
    if any(words(str(k)) & _URL_KEY_WORDS and _urls(v) for k, v in doc.items()):
        return [doc]
    return [x for v in doc.values() for x in _entries(v, depth + 1)]


def _commit(entry: dict[str, Any]) -> bool:
    return any(words(str(k)) & _COMMIT_KEY_WORDS and isinstance(v, str) and _HEX.match(v.strip().lower()) for k, v in entry.items())


def _line_of(lines: list[str], needle: str, after: int = 0) -> int | None:
    return next((i for i, ln in enumerate(lines, start=1) if i > after and needle in ln), None)


def _loader(index: FileIndex, path: str) -> tuple[str, int] | None:
    """A non-test Python module of the repository that names the zoo file (its manager reads it)."""
    name = path.rsplit("/", 1)[-1]
    for e in index.select(("**/*.py",)):
        if e.test or not index.contains(e.path, (name.encode(),)):
            continue
        line = _line_of(index.lines(e.path), name)
        if line is not None and not index.lines(e.path)[line - 1].lstrip().startswith("#"):
            return e.path, line
    return None


def model_zoos(index: FileIndex) -> list[ModelZoo]:
    """The repository's model-zoo files (memoised per scan)."""

    def build() -> list[ModelZoo]:
        out: list[ModelZoo] = []
        for e in index.select(("**/*.json",)):
            if e.test:
                continue
            if not words(e.path) & _ZOO_WORDS or not index.contains(e.path, (b"http",)):
                continue
            entries = _entries(index.json(e.path))
            modelish = [x for x in entries if any(u.lower().split("?", 1)[0].endswith((*MODEL_EXT, *_ARCHIVES, ".pth", ".ckpt"))
                                                  for k, v in x.items() if words(str(k)) & _URL_KEY_WORDS for u in _urls(v))
                        or words(" ".join(str(k) for k in x)) & _ZOO_WORDS]
            if len(entries) < _MIN_ENTRIES or len(modelish) * 2 < len(entries):
                continue
            loader = _loader(index, e.path)
            if loader is None:
                continue
            lines = index.lines(e.path)
            url_key = next(str(k) for k, v in entries[0].items() if words(str(k)) & _URL_KEY_WORDS and _urls(v))
            line = _line_of(lines, f'"{url_key}"') or 1
            with_commit = [x for x in entries if _commit(x)]
            commit_line = None
            if len(with_commit) >= _MIN_ENTRIES:
                key = next(str(k) for k in with_commit[0] if words(str(k)) & _COMMIT_KEY_WORDS)
                value = str(with_commit[0][key])
                commit_line = next((i for i, ln in enumerate(lines, start=1) if f'"{key}"' in ln and value in ln), None)
            out.append(ModelZoo(e.path, line, commit_line, loader, len(entries), len(with_commit)))
        return out

    return index.memo("model-zoo:files", build)  # type: ignore[no-any-return]
