"""What a listed path is, before any file is read: test code or data, vendored or junk, a template source and
where it lands in the generated project, a root file that applies to a subdirectory project."""

from __future__ import annotations

from collections import defaultdict

from ..lazyre import lazy_re

TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__", "fixtures"})


def is_test_path(path: str) -> bool:
    """Test code or test data: under a tests/fixtures directory, ``test_*``, ``*_test.*``, ``conftest.py``.
    The index decides it once per file, relative to the scanned subdirectory (``FileEntry.test``)."""
    parts = path.lower().split("/")
    name = parts[-1]
    return any(p in TEST_DIRS for p in parts[:-1]) or name.startswith("test_") or name.rsplit(".", 1)[0].endswith("_test") or name == "conftest.py"


VENDOR_DIRS = frozenset(
    {
        "node_modules", "vendor", "vendored", "_vendor", "third_party", "third-party", "thirdparty", "site-packages",
        "dist-packages", ".venv", "venv", "virtualenv", ".virtualenv", ".tox", ".nox", ".eggs",
        "bower_components", ".git", ".hg", ".svn", "__MACOSX",
    }
)
JUNK_DIRS = frozenset(
    {
        "__pycache__", ".ipynb_checkpoints", ".ipynb_aml_checkpoints", ".pytest_cache", ".mypy_cache", ".ruff_cache", "mlruns",
        "mlartifacts", "wandb", "lightning_logs", ".DS_Store", "catboost_info",
    }
)
# Azure ML studio's notebook autosaves (``.ipynb_aml_checkpoints/``) and temporary copies (``*.amltmp``, ``*.amltemp``): the
# files its default ``.amlignore`` leaves out of every job snapshot
JUNK_SUFFIXES = (".pyc", ".pyo", ".DS_Store", ".amltmp", ".amltemp")
TEMPLATE_MANIFESTS = ("cookiecutter.json", "copier.yml", "copier.yaml", "databricks_template_schema.json")
# repository-root files that apply to a subdirectory project
ROOT_APPLICABLE = (
    ".github/workflows/*",
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    "OWNERS",
    ".gitlab/CODEOWNERS",
    ".github/settings.yml",
    ".github/rulesets/*",
    ".github/pull_request_template.md",
    ".github/PULL_REQUEST_TEMPLATE.md",
    ".dvc/config",
    ".gitlab-ci.yml",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    "Jenkinsfile",
    ".circleci/config.yml",
    "bitbucket-pipelines.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
    ".buildkite/pipeline.yml",
    ".buildkite/*.yml",
    ".semaphore/*.yml",  # Semaphore: semaphore.yml and the pipelines its promotions name
    ".semaphore/*.yaml",
    ".pipelines/**",  # Azure Pipelines kept in a root folder (applies only if a job targets the subdir)
    ".azure-pipelines/**",
    ".azuredevops/**",
    ".gitlab/ci/**",
    "buildspec.yml",
    "buildspec.yaml",
    ".mlscan.yml",
)
_TEMPLATE_PART = lazy_re(r"\{\{.*?\}\}|\{%.*?%\}")
_VENDOR_MIN_FILES = 40


def _vendored_roots(paths: list[str]) -> set[str]:
    """Upstream trees copied in bulk: a non-root directory with its own LICENSE and many files, or
    the directory where several nested OWNERS files of another project meet (their lowest common
    ancestor, never a parent that merely contains it). A project with its own top-level OWNERS
    (a Prow project) owns its nested OWNERS files."""
    counts: dict[str, int] = defaultdict(int)
    licensed: set[str] = set()
    owners: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts)):
            counts["/".join(parts[:i])] += 1
        if len(parts) > 2 and parts[-1].upper() in ("LICENSE", "LICENSE.TXT", "LICENSE.MD", "COPYING"):
            licensed.add("/".join(parts[:-1]))
        if len(parts) > 2 and parts[-1] == "OWNERS":
            for i in range(1, len(parts) - 1):
                owners["/".join(parts[:i])].append(parts[i])  # the child of the ancestor it lies under
    roots = {d for d in licensed if counts.get(d, 0) >= _VENDOR_MIN_FILES}
    if "OWNERS" not in paths:
        roots |= {
            d
            for d, children in owners.items()
            if len(children) >= 3
            and len(set(children)) >= 2  # the OWNERS files meet here (not all below one child)
            and counts.get(d, 0) >= _VENDOR_MIN_FILES
        }
    # keep only outermost roots
    return {r for r in roots if not any(r != o and r.startswith(o + "/") for o in roots)}


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _template_vpath(path: str) -> str:
    """Where a template file lands in the generated project: drop the template root up to the first
    templated directory, render later templated components to a placeholder, drop ``.tmpl``."""
    parts = path.split("/")
    first = next((i for i, part in enumerate(parts[:-1]) if "{{" in part or "{%" in part), None)
    if first is not None:
        parts = parts[first + 1 :]
    parts = [_TEMPLATE_PART.sub("tmpl", part) for part in parts]
    name = parts[-1]
    for suf in (".tmpl", ".jinja2", ".jinja", ".j2"):
        if name.endswith(suf):
            name = name[: -len(suf)]
            break
    parts[-1] = name
    return "/".join(parts)
