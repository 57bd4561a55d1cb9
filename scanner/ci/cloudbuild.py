"""Google Cloud Build (``cloudbuild*.yaml``/``.yml``/``.json``, and any YAML file whose content is a build
config: a top-level ``steps:`` list of builder steps, e.g. ``cloudbuild/pr-checks.yaml``): one CiJob per build file.

Each step becomes a shell command: ``entrypoint`` + ``args`` (``bash -c <script>`` yields the script),
or the builder's tool + ``args`` for the standard builders (``gcr.io/cloud-builders/gcloud`` ->
``gcloud ...``); ``script:`` as written. Top-level ``images:`` are pushed by the build (``uses: images``).
Builds run from triggers configured outside the repository; ``allowFailure`` steps do not block.
"""

from __future__ import annotations

import shlex
from typing import Any

from ..index import FileEntry, FileIndex
from ..index.formats import LineList
from ..lazyre import lazy_re
from .model import CiJob, CiStep, as_list, clean_dir, make_step, targets_subdir, truthy

GLOBS = ("**/cloudbuild*.yaml", "**/cloudbuild*.yml", "**/cloudbuild*.json", "**/*.cloudbuild.yaml")
SHELLS = ("bash", "sh", "/bin/bash", "/bin/sh")
# The keys of a build config and of its steps (cloud.google.com/build/docs/build-config-file-schema): a YAML file
# named otherwise is a build config when its top level has only build keys and every step only step keys, with
# ``name`` (the builder image) set. Drone/Woodpecker (``kind``, ``image``), Azure Pipelines (``task``, ``displayName``)
# and GitHub Actions steps carry keys outside these sets.
BUILD_KEYS = frozenset({"steps", "timeout", "queueTtl", "logsBucket", "options", "substitutions", "tags", "serviceAccount",
                        "secrets", "availableSecrets", "artifacts", "images", "substitutionOption"})
STEP_KEYS = frozenset({"name", "args", "env", "dir", "id", "waitFor", "entrypoint", "secretEnv", "volumes", "timeout", "script",
                       "allowFailure", "allowExitCodes", "automapSubstitutions"})
_TOP_STEPS = lazy_re(r"(?m)^steps\s*:")


def parse_cloudbuild(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    named = index.select(GLOBS)
    for e in named:
        docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
        for doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("steps"), list):
                jobs.append(_build(index, e, doc))
    seen = {e.path for e in named}
    for e in index.select(("**/*.yaml", "**/*.yml")):
        if e.path in seen or e.vpath.startswith(".github/") or not index.contains(e.path, (b"steps",)):
            continue
        if not _TOP_STEPS.search(index.text(e.path) or ""):
            continue
        for doc in index.yaml(e.path):
            if is_build_config(doc):
                jobs.append(_build(index, e, doc))
    return jobs


def is_build_config(doc: Any) -> bool:
    """A Cloud Build config by content: build keys only, a non-empty list of steps with a builder image and step keys only."""
    if not (isinstance(doc, dict) and isinstance(doc.get("steps"), list) and doc["steps"] and set(map(str, doc)) <= BUILD_KEYS):
        return False
    return all(isinstance(st, dict) and isinstance(st.get("name"), str) and st["name"].strip() and set(map(str, st)) <= STEP_KEYS
               and ("args" in st or "script" in st or "entrypoint" in st) for st in doc["steps"])


def _build(index: FileIndex, e: FileEntry, doc: dict[str, Any]) -> CiJob:
    items = doc["steps"]
    steps: list[CiStep] = []
    for i, st in enumerate(items):
        if not isinstance(st, dict):
            continue
        line = items.line_of(i) if isinstance(items, LineList) else 1
        cmd, strict = command(st)
        steps.append(make_step(e.path, line, str(st.get("id", "") or st.get("name", "")), cmd, uses=str(st.get("name", "")),
                               blocking=not truthy(st.get("allowFailure")) and not st.get("allowExitCodes"),
                               cwd=clean_dir(str(st.get("dir", "") or "")), strict=strict))
    images = [str(x) for x in as_list(doc.get("images"))]
    if images:
        line = doc.line_of("images") if hasattr(doc, "line_of") else 1
        steps.append(make_step(e.path, line, "images", "", uses="images", with_=tuple(("image", x) for x in images)))
    texts = [s.command for s in steps] + [s.cwd for s in steps]
    return CiJob(
        system="cloudbuild",
        path=e.path,
        line=doc.line_of("steps") if hasattr(doc, "line_of") else 1,
        name=e.name,
        steps=tuple(steps),
        triggers=frozenset({"push"}),
        applies=e.scope == "project" or targets_subdir(index.target.subdir, *texts),
    )


def command(st: dict[str, Any]) -> tuple[str, bool]:
    """(shell text, strict) for a Cloud Build step."""
    if isinstance(st.get("script"), str):
        return st["script"], False
    args = [str(a) for a in as_list(st.get("args"))]
    entry = str(st.get("entrypoint", "") or "")
    if entry in SHELLS and len(args) >= 2 and args[0] in ("-c", "-ec", "-ce"):
        return args[1], "e" in args[0]
    tool = entry or _builder_tool(str(st.get("name", "")))
    if not tool:
        return "", True
    return " ".join([tool, *(shlex.quote(a) if " " in a else a for a in args)]), True


def _builder_tool(image: str) -> str:
    name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    if name in ("cloud-sdk", "google-cloud-cli", "gcloud", "gcloud-slim"):
        return "gcloud"
    if image.startswith(("gcr.io/cloud-builders/", "gcr.io/google.com/cloudsdktool/", "gcr.io/cloud-marketplace-containers")):
        return name
    return ""
