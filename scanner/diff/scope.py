"""Which paths can change the scan of a project (a whole repository or a monorepo subdirectory)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _root_applicable() -> Any:
    from ..index import ROOT_APPLICABLE, _Matcher

    return _Matcher(ROOT_APPLICABLE)


def in_scope(subdir: str, path: str) -> bool:
    """Whether a change to ``path`` can change the scan of the project at ``subdir``: any path for the
    whole repository; the project's files and the root files that apply to it (CI, CODEOWNERS, .dvc,
    .mlscan.yml, template manifests) for a subdirectory."""
    if not subdir or path == subdir or path.startswith(subdir + "/"):
        return True
    from ..index import TEMPLATE_MANIFESTS

    return path in TEMPLATE_MANIFESTS or path == ".mlscan.yaml" or bool(_root_applicable()(path, path.rsplit("/", 1)[-1]))
