"""What a Hugging Face Space that CI uploads serves (not a detector): a Space runs the app in the folder it is given (its
``app_file``, by default ``app.py``; Hugging Face's "Spaces" and "Managing Spaces with GitHub Actions" docs). It deploys a
model only when that app loads one (weights, a ``transformers`` pipeline, an inference client, a pickled estimator); a
Gradio app that charts benchmark results or a leaderboard read from files and datasets serves none."""

from __future__ import annotations

import ast
import re

from mlscan.facts.pyast import walk
from mlscan.index import FileIndex

from .commands import normpath, words
from .orchestration import MODEL_FILE_LOADS, dotted

# calls that load or call a model: Hub/framework loaders, inference clients and sessions, unpickled estimators
_MODEL_CALLS = frozenset({"from_pretrained", "InferenceClient", "AsyncInferenceClient", "InferenceSession", "load_model", "load_learner",
                          "load_state_dict", "load_checkpoint", "hf_hub_download", "snapshot_download", "predict", "predict_proba",
                          "generate", "infer"})
# ... and, beside the model-file loaders every fact shares (orchestration.MODEL_FILE_LOADS), the loads of an app: a Gradio
# app built from a hosted model, a logged MLflow model. Names compared with a scanned call's dotted name, never called.
_APP_LOADS = frozenset({"gr.load", "gradio.load", "mlflow.pyfunc.load_model"})
# libraries whose ``pipeline(...)`` builds a model for inference
_PIPELINE_LIBS = ("transformers", "diffusers")
_APP_FILE = re.compile(r"^app_file:\s*['\"]?([^'\"\s#]+)", re.M)
MAX_FILES = 40


def app_serves_model(index: FileIndex, folder: str) -> bool | None:
    """Does the Space app uploaded from ``folder`` (repository-relative, '' for the root) load or call a model? None when
    the folder holds no app the repository has (built at run time, or not a path of the repository)."""
    folder = normpath(folder)
    readme = index.text(f"{folder}/README.md" if folder else "README.md") or ""
    m = _APP_FILE.search(readme[:4000])
    app = normpath(f"{folder}/{m.group(1) if m else 'app.py'}")
    if index.entry(app) is None:
        return None
    # the app and the other Python files beside it (a folder uploaded whole); at the root, the app alone
    base = app.rsplit("/", 1)[0] if "/" in app else ""
    files = [app] + ([e.path for e in index.select((f"{base}/*.py",)) if e.path != app and not e.test][:MAX_FILES] if base else [])
    return any(_loads_model(index.python(p)) for p in files)


def _loads_model(tree: ast.Module | None) -> bool:
    if tree is None:
        return False
    pipeline = any(isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in _PIPELINE_LIBS
                   and any(a.name == "pipeline" for a in n.names) for n in walk(tree))
    for n in walk(tree):
        if not isinstance(n, ast.Call):
            continue
        name = dotted(n.func)
        tail = name.rsplit(".", 1)[-1]
        if tail in ("hf_hub_download", "snapshot_download") and any(
                k.arg == "repo_type" and isinstance(k.value, ast.Constant) and k.value.value in ("dataset", "space") for k in n.keywords):
            continue  # results or a leaderboard's data, not a model
        if tail in _MODEL_CALLS or name in MODEL_FILE_LOADS or name in _APP_LOADS or tail == "pipeline" and (pipeline or name.startswith(_PIPELINE_LIBS)):
            return True
    return False


def cli_upload_folder(text: str, cwd: str) -> str | None:
    """The local folder ``huggingface-cli upload REPO [LOCAL_PATH] [PATH_IN_REPO] ...`` / ``hf upload`` sends (default: the
    working directory), relative to the repository; None when it is built from variables or leaves the repository."""
    rest = words(text)[2:]
    args: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i].startswith("-"):
            i += 2 if rest[i] in _VALUE_OPTIONS else 1
            continue
        args.append(rest[i])
        i += 1
    return _repo_relative(args[1] if len(args) > 1 else ".", cwd)


_VALUE_OPTIONS = frozenset({"--repo-type", "--revision", "--include", "--exclude", "--delete", "--commit-message",
                            "--commit-description", "--token", "--every"})


def _repo_relative(local: str, cwd: str) -> str | None:
    local = local.strip("'\"")
    if "$" in local or "{" in local or local.startswith("/") or local.startswith(".."):
        return None
    if local.endswith((".py", ".md", ".txt")):  # a single file: the Space's app sits beside it
        local = local.rsplit("/", 1)[0] if "/" in local else "."
    return normpath(f"{cwd}/{local}" if cwd else local)


def python_upload_folders(tree: ast.Module) -> list[str | None]:
    """The local paths a Python uploader sends to a Space (``upload_folder(folder_path="space", repo_type="space")``,
    ``upload_file(path_or_fileobj="space/app.py", ...)``, ``Path(__file__).parent / "space"`` as ``./space`` of the
    script's folder), as written; None for one built at run time."""
    out: list[str | None] = []
    for n in walk(tree):
        if not isinstance(n, ast.Call) or not any(k.arg == "repo_type" and isinstance(k.value, ast.Constant) and k.value.value == "space"
                                                  for k in n.keywords):
            continue
        tail = dotted(n.func).rsplit(".", 1)[-1]
        key = "folder_path" if tail in ("upload_folder", "upload_large_folder") else "path_or_fileobj" if tail == "upload_file" else ""
        if key:
            out.append(_path_text(next((k.value for k in n.keywords if k.arg == key), n.args[0] if n.args else None)))
    return out


def _path_text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant) \
            and isinstance(node.right.value, str) and "__file__" in ast.unparse(node.left):
        return f"@script/{node.right.value}"  # ``Path(__file__).parent / "space"``: beside the script
    return None


def uploaded_app_serves(index: FileIndex, local: str | None, cwd: str, script_dir: str = "") -> bool | None:
    """``app_serves_model`` for a path an uploader names (relative to the working directory, else the script's folder)."""
    if local is None:
        return None
    if local.startswith("@script/"):
        cands = [_repo_relative(local[len("@script/"):], script_dir)]
    else:
        cands = [_repo_relative(local, cwd), *([_repo_relative(local, script_dir)] if script_dir and script_dir != cwd else [])]
    return next((r for c in cands if c is not None and (r := app_serves_model(index, c)) is not None), None)
