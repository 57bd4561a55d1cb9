"""Whether the model libraries a project's code imports are declared anywhere in the repository.

A requirements file that pins one tool (``mlflow==1.8.0``) while the training code imports scikit-learn and pandas
that no manifest names does not reproduce the environment the code runs in: the libraries that fit the model come from
wherever the code happens to run (a shared cluster, a developer's machine). Only the libraries that fit models are
looked at, each with the distributions that provide it (``sklearn`` from ``scikit-learn``, ``keras`` also from
``tensorflow``): helpers such as numpy or pandas often arrive as dependencies of a declared package. Nothing is imported
or executed: imports come from the wiring graph's file facts, declarations from the text of manifests, lock files,
container and CI definitions (a name anywhere there counts as declared, so the answer errs towards "declared").
"""

from __future__ import annotations

import re

from ..index import FileEntry, FileIndex
from .pins import REQ_GLOBS
from .wiring import file_imports

# import root -> distributions that install it
MODEL_LIBRARIES: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn", "sklearn"),
    "torch": ("torch", "pytorch", "torchvision", "torchaudio", "pytorch-lightning", "lightning"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tf-nightly"),
    "keras": ("keras", "tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tf-nightly"),
    "xgboost": ("xgboost",),
    "lightgbm": ("lightgbm",),
    "catboost": ("catboost",),
    "statsmodels": ("statsmodels",),
    "prophet": ("prophet", "fbprophet"),
    "transformers": ("transformers", "sentence-transformers"),
}
_NEEDLES = tuple(k.encode() for k in MODEL_LIBRARIES)
# where a repository declares what gets installed
_DECLARING = (*REQ_GLOBS, "**/pyproject.toml", "**/setup.py", "**/setup.cfg", "**/Pipfile", "**/Pipfile.lock", "**/*.lock",
              "**/environment*.yml", "**/environment*.yaml", "**/conda*.yml", "**/conda*.yaml", "**/Dockerfile*", "**/dockerfile*",
              "**/*.Dockerfile", "**/*.dockerfile", "**/.devcontainer/*.json", "**/.github/workflows/*.yml",
              "**/.github/workflows/*.yaml", "**/*pipelines*.yml", "**/.gitlab-ci.yml", "**/*.sh", "**/Makefile", "**/tox.ini",
              "**/noxfile.py", "**/*.cfg")


_NEEDLE_OF = {k: (k.encode(),) for k in MODEL_LIBRARIES}


def _may_add(index: FileIndex, e: FileEntry, found: set[str]) -> bool:
    """Can the imports of this file name a model library not yet ``found``? An import's root is a word of the file
    (``import torch``, ``from sklearn.x import y``) or, for a relative import, the first folder of the file's path; a
    rendered template's placeholders may make others (its file is always read)."""
    if e.template or ("templates/" in e.path and index.chart_dir(e.path) is not None):
        return True
    first = e.vpath.split("/", 1)[0] if "/" in e.vpath else ""
    return first in MODEL_LIBRARIES and first not in found or any(
        lib not in found and index.mentions(e.path, needle) for lib, needle in _NEEDLE_OF.items())


def imported_model_libraries(index: FileIndex) -> set[str]:
    """Model libraries (import roots of MODEL_LIBRARIES) imported by the project's non-test Python files (a file whose
    imports can name no library not yet found is not read: ``_may_add``)."""
    out: set[str] = set()
    for e in index.select(("**/*.py",)):
        if e.test or not index.mentions(e.path, _NEEDLES):
            continue
        if out and not _may_add(index, e, out):
            continue
        for dotted in file_imports(index, e) or ():
            root = dotted.split(".", 1)[0]
            if root in MODEL_LIBRARIES:
                out.add(root)
    return out


def _undeclared(index: FileIndex, libraries: set[str]) -> set[str]:
    """The libraries no declaring file names: the files are read one at a time until every library is found."""
    missing = set(libraries)
    for e in index.select(_DECLARING):
        if not missing:
            break
        t = index.text(e.path)
        if t:
            text = t.lower()
            missing = {lib for lib in missing
                       if not any(re.search(rf"(?<![\w.-]){re.escape(d)}(?![\w-])", text) for d in MODEL_LIBRARIES[lib])}
    return missing


def undeclared_model_libraries(index: FileIndex) -> tuple[int, int]:
    """(imported, undeclared): how many model libraries the project's code imports, and how many of them no manifest,
    lock file, container or CI definition of the repository names (memoised per scan)."""
    def build() -> tuple[int, int]:
        imported = imported_model_libraries(index)
        if not imported:
            return (0, 0)
        return (len(imported), len(_undeclared(index, imported)))
    return index.memo("undeclared-model-libraries", build)  # type: ignore[no-any-return]
