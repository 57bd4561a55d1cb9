"""Released models a project's own code resolves from a central public store, written as code (``model_zoo`` reads the
same written as a JSON file): the library's model provider downloads versioned release assets (a GitHub release
``.../releases/download/<tag>/<file>`` or a Hugging Face Hub ``.../resolve/<rev>/<file>`` URL, often a template filled
with the version and model name) and checks them against a checksum table, or keeps a table of its released models'
URLs; or its load path resolves its models from the Hugging Face Hub (``hf_hub_download``, ``snapshot_download``,
``from_pretrained``) by a repository id of its own (named for one of the project's packages) or through a table of a
model family (two or more repository ids of one owner).

Such models are kept in a central store every user of the library fetches them from (T2; the conventions' precedent:
"official model weights are versioned release assets in a central public store that every code path resolves
automatically"). None of these count: a link in a README (not code), a one-off upload script (no resolver), and a
third-party base model a fine-tuning script or tutorial loads (``AutoModel.from_pretrained("bert-base-uncased")``: not
the project's model; tests, notebooks and example folders are left out, and so are modules that train unless the
repository id is the project's own)."""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

from ..index import FileEntry, FileIndex, register_fact
from ..lazyre import lazy_re
from .orchestration import call_tail, words
from .own_packages import own_names
from .place import place, trains
from .pyast import string_template, walk
from .served import MODEL_EXT

_GITHUB_RELEASE = lazy_re(r"github\.com/([^/\s{}]+/[^/\s]+)/releases/(?:latest/)?download/")
_HUB_FILE = lazy_re(r"huggingface\.co/([^/\s]+/[^/\s]+)/resolve/")
_CHECKSUM = lazy_re(r"^(?:(?:sha256|sha1|sha512|md5)[:=])?(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$", re.I)
_REPO_ID = lazy_re(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
# calls that fetch a file by its URL (urllib, torch.hub, pooch, keras, basicsr/facexlib, requests/httpx, the library's own
# ``download``/``attempt_download`` helpers)
_DOWNLOADS = frozenset({"urlretrieve", "urlopen", "download_url_to_file", "load_state_dict_from_url", "load_file_from_url", "retrieve",
                        "get_file", "download_url", "cached_download", "download", "download_file", "attempt_download", "hf_hub_download",
                        "get", "stream"})
_HUB_CALLS = frozenset({"hf_hub_download", "snapshot_download"})
_FAMILY = 2  # repository ids of one owner that make a model family; release URLs or checksums that make a table
# words of a repository id or package name too common to say whose model it is
_GENERIC = frozenset({"model", "models", "base", "large", "small", "tiny", "medium", "data", "pretrained", "weights", "checkpoint",
                      "checkpoints", "main", "core", "utils", "src", "hub", "huggingface", "transformers", "library", "python"})
_NOT_REPO = (".py", ".txt", ".json", ".yaml", ".yml", ".csv", ".md", ".pt", ".pth", ".bin", ".onnx", ".safetensors")
# first parts of relative paths, not Hub owners (``data/raw``, ``models/best``)
_FOLDERS = frozenset({"data", "models", "model", "src", "configs", "config", "outputs", "output", "logs", "tmp", "assets", "images", "img",
                      "checkpoints", "weights", "artifacts", "results", "runs", "dataset", "datasets", "cache", "scripts", "tests", "docs",
                      "notebooks", "static", "templates", "resources", "app", "lib", "bin", "build", "dist", "raw", "processed"})
# files worth a parse: single words (a needle of several words, ``hf_hub_download``, matches files holding each of them
# anywhere): a release URL, the Hub client, a pretrained checkpoint
NEEDLES = (b"releases", b"huggingface", b"pretrained")


class Released(NamedTuple):
    line: int
    kind: str  # github-release | hf-hub
    how: str  # release-assets | hf-hub


def _model_file(url: str) -> bool:
    """Does a release URL (or its template) name a model file: ``.../v{version}/{name}.onnx``, ``.../yolo-s.pt``?"""
    return url.split("?", 1)[0].lower().endswith((*MODEL_EXT, ".bin", ".tar"))


def _repo_argument(c: ast.Call) -> ast.expr | None:
    kw = next((k.value for k in c.keywords if k.arg in ("repo_id", "pretrained_model_name_or_path", "model_id")), None)
    return kw if kw is not None else (c.args[0] if c.args else None)


def _own(repo_id: str, names: frozenset[str]) -> bool:
    """Does a repository id name one of the project's packages (``urchade/gliner_medium`` for the package ``gliner``)?"""
    mine = {w for n in names for w in words(n) if len(w) >= 4 and w not in _GENERIC}
    return bool(mine & {w for w in words(repo_id) if w not in _GENERIC})


def _bound_strings(tree: ast.AST) -> dict[str, str]:
    """Names the module binds to one string literal: ``DEFAULT_REPO = "acme/denoiser-small"`` and parameter defaults
    (``def load(repo_id="acme/denoiser-small")``); a name bound to different strings is left out."""
    seen: dict[str, set[str]] = {}
    defaults: list[tuple[str, ast.expr]] = []
    for n in walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
            seen.setdefault(n.targets[0].id, set()).add(n.value.value)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [*n.args.posonlyargs, *n.args.args]
            pairs = [*zip(params[len(params) - len(n.args.defaults):], n.args.defaults), *zip(n.args.kwonlyargs, n.args.kw_defaults)]
            defaults += [(a.arg, d) for a, d in pairs if d is not None]
    constants = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
    for name, d in defaults:  # ``def load(repo_id: str = DEFAULT_REPO)``: the default through a module constant
        value = d.value if isinstance(d, ast.Constant) else constants.get(d.id) if isinstance(d, ast.Name) else None
        if isinstance(value, str):
            seen.setdefault(name, set()).add(value)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def _scan(tree: ast.AST) -> dict[str, object]:
    """What one module holds: ``release`` [line, kind, owner/repository, a checksum or a second URL kept] of its first
    model URL on a release store, when the module downloads; ``hub`` [line, repository id or None] of each Hub call (None:
    not a literal or a name bound to one); ``family`` the repository ids of an owner written two or more times;
    ``trains``. Read from the module alone (a file fact): whose the ids are is decided with the project's package names
    by ``_decide``."""
    release_urls: list[tuple[int, str, str]] = []  # line, kind, the store's owner/repository
    checksums = 0
    repo_ids: dict[str, set[str]] = {}  # owner -> repository ids written in the module
    downloads = False
    hub: list[list[object]] = []
    bound = _bound_strings(tree)
    for n in walk(tree):
        t = string_template(n)
        store = (_GITHUB_RELEASE.search(t) or _HUB_FILE.search(t)) if t is not None and "/" in t else None
        if t is not None:
            if store is not None:
                if _model_file(t):  # a release's datasets, fonts and archives are no models
                    kind = "github-release" if "github.com" in store.group(0) else "hf-hub"
                    release_urls.append((n.lineno, kind, store.group(1)))  # type: ignore[attr-defined]
            elif _CHECKSUM.match(t):
                checksums += 1
            elif isinstance(n, ast.Constant) and _REPO_ID.match(t) and not t.endswith(_NOT_REPO) and t.split("/", 1)[0].lower() not in _FOLDERS:
                repo_ids.setdefault(t.split("/", 1)[0].lower(), set()).add(t)
        elif isinstance(n, ast.Call):
            tail = call_tail(n)
            downloads = downloads or tail in _DOWNLOADS
            if tail in _HUB_CALLS or tail == "from_pretrained":
                arg = _repo_argument(n)
                if arg is None or isinstance(arg, ast.Constant) and not isinstance(arg.value, str):
                    continue
                value = arg.value if isinstance(arg, ast.Constant) else bound.get(arg.id) if isinstance(arg, ast.Name) else None
                hub.append([n.lineno, value])
    # the first model URL, with whether the module keeps a checksum or a second URL (a table of released models)
    release = [*release_urls[0], bool(checksums) or len(release_urls) >= _FAMILY] if release_urls and downloads else None
    family = sorted(i for ids in repo_ids.values() if len(ids) >= _FAMILY for i in ids)
    return {"release": release, "hub": hub, "family": family, "trains": bool(hub) and trains(tree)}


def _decide(fact: dict[str, object], names: frozenset[str]) -> Released | None:
    release = fact.get("release")
    if isinstance(release, list) and (release[3] or _own(str(release[2]), names)):
        return Released(int(release[0]), str(release[1]), "release-assets")
    family = set(fact.get("family") or ())  # type: ignore[call-overload]
    for line, value in fact.get("hub") or ():  # type: ignore[attr-defined]
        if isinstance(value, str) and _REPO_ID.match(value) and _own(value, names):
            return Released(int(line), "hf-hub", "hf-hub")
        if family and (value is None or value in family) and not fact.get("trains"):
            return Released(int(line), "hf-hub", "hf-hub")
    return None


def _fact(index: FileIndex, path: str) -> dict[str, object] | None:
    tree = index.python(path)
    return None if tree is None else _scan(tree)


RELEASED = register_fact("released-models.module", _fact)


def released_models(index: FileIndex) -> list[tuple[FileEntry, Released]]:
    """The modules of the project (not tests, notebooks or example folders) that resolve its released models from a
    central store, with where (memoised per scan)."""

    def build() -> list[tuple[FileEntry, Released]]:
        out: list[tuple[FileEntry, Released]] = []
        for e in index.select(("**/*.py",)):
            if e.test or not index.mentions(e.path, NEEDLES) or place(index, e).kind in ("test", "exploration", "notebook"):
                continue
            fact = index.fact(e.path, RELEASED)
            hit = _decide(fact, own_names(index)) if fact else None
            if hit is not None:
                out.append((e, hit))
        return out

    return index.memo("released-models", build)  # type: ignore[no-any-return]

