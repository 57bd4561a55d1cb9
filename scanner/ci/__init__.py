"""A normalised view of CI/CD definitions, shared by every detector that reasons about CI.

Each supported system is parsed into ``CiJob``/``CiStep`` once per scan (memoised on the index): GitHub
Actions here, the others in ``<system>.py`` modules of this package registered in ``PARSERS`` (GitLab, Azure Pipelines,
Jenkins, CircleCI, Bitbucket, Buildkite, Cloud Build, CodeBuild/CodePipeline incl. CloudFormation and CDK,
Tekton, Argo CD/Flux). Comments never appear (the YAML parser drops them); steps that cannot fail a job
(``continue-on-error``, ``allow_failure``), ``echo``-only placeholders and disabled jobs are marked, not
dropped, so detectors can tell presence from practice; ``shell_flow`` tells which commands of a script
decide its status (``set -e``, ``|| true``, last command). Root CI files of a subdirectory scan apply only
when their paths, working directories or commands name the subdirectory. Definitions under fixtures/,
examples/, docs/ ... are samples, not the repository's CI.
"""

from __future__ import annotations

from collections.abc import Callable

from ..index import FileIndex
from .github import GITHUB_WORKFLOWS, parse_github
from .model import (
    CiJob,
    CiModel,
    CiStep,
    as_dict,
    as_list,
    clean_dir,
    falsy,
    line_of,
    make_step,
    non_blocking,
    script_items,
    targets_subdir,
    truthy,
)
from .shell import ShellCommand, argv, is_placeholder, shell_flow, split_commands, swallows_failure

# Parsers for other CI systems register here (system name -> parser). Each returns CiJobs.
PARSERS: dict[str, Callable[[FileIndex], list[CiJob]]] = {"github": parse_github}


def _register_builtin() -> None:
    from . import (
        aws,
        azure,
        bitbucket,
        buildkite,
        circleci,
        cloudbuild,
        gitlab,
        gitops,
        jenkins,
        tekton,
    )

    PARSERS.setdefault("gitlab", gitlab.parse_gitlab)
    PARSERS.setdefault("azure", azure.parse_azure)
    PARSERS.setdefault("jenkins", jenkins.parse_jenkins)
    PARSERS.setdefault("circleci", circleci.parse_circleci)
    PARSERS.setdefault("bitbucket", bitbucket.parse_bitbucket)
    PARSERS.setdefault("buildkite", buildkite.parse_buildkite)
    PARSERS.setdefault("cloudbuild", cloudbuild.parse_cloudbuild)
    PARSERS.setdefault("aws", aws.parse_aws)
    PARSERS.setdefault("tekton", tekton.parse_tekton)
    PARSERS.setdefault("gitops", gitops.parse_gitops)


# CI definitions under these directories are test data or samples, not the repository's own CI
SAMPLE_DIRS = frozenset({"fixtures", "fixture", "__fixtures__", "testdata", "test-data", "test_data", "examples", "example",
                         "samples", "sample", "docs", "doc"})


def _sample(index: FileIndex, path: str) -> bool:
    sub = index.target.subdir
    rel = path[len(sub) + 1 :] if sub and path.startswith(sub + "/") else path
    return any(part.lower() in SAMPLE_DIRS for part in rel.split("/")[:-1])


def ci_model(index: FileIndex) -> CiModel:
    """Every CI job of the repository, parsed once per scan."""

    def build() -> CiModel:
        model = CiModel()
        for name, parser in PARSERS.items():
            try:
                model.jobs.extend(j for j in parser(index) if not _sample(index, j.path))
            except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
                index.warn("ci-parse", f"{name} CI definitions could not be read fully: {e}")
        return model

    return index.memo("ci-model", build)


_register_builtin()


__all__ = [
    "GITHUB_WORKFLOWS", "PARSERS", "SAMPLE_DIRS", "CiJob", "CiModel", "CiStep", "ShellCommand", "argv", "as_dict", "as_list",
    "ci_model", "clean_dir", "falsy", "is_placeholder", "line_of", "make_step", "non_blocking", "parse_github", "script_items",
    "shell_flow", "split_commands", "swallows_failure", "targets_subdir", "truthy",
]
