"""A normalised view of CI/CD definitions, shared by every detector that reasons about CI.

Each supported system is parsed into ``CiJob``/``CiStep`` once per scan (memoised on the index): GitHub
Actions here, the others in ``<system>.py`` modules of this package registered in ``PARSERS`` (GitLab, Azure Pipelines,
Jenkins, CircleCI, Bitbucket, Buildkite, Semaphore, Cloud Build, CodeBuild/CodePipeline incl. CloudFormation, CDK and Terraform,
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
from .github import GITHUB_WORKFLOWS, branch_filtered, event_branches, parse_github, runs_on_releases, runs_on_releases_only
from .model import (
    CiJob,
    CiModel,
    CiStep,
    as_dict,
    as_list,
    clean_dir,
    env_vars,
    falsy,
    line_of,
    make_step,
    non_blocking,
    script_items,
    targets_subdir,
    truthy,
)
from .shell import ShellCommand, argv, is_placeholder, shell_flow, split_commands, started_commands, swallows_failure

# Parsers for other CI systems register here (system name -> parser). Each returns CiJobs.
PARSERS: dict[str, Callable[[FileIndex], list[CiJob]]] = {"github": parse_github}

# Dialects whose definitions have names of their own: their module is imported only when the index holds such a file
# (a parser finds nothing without one). system -> (module, parser, the globs its parser starts from); tests/ci check
# that these are the module's own globs.
NAMED_DIALECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "gitlab": ("gitlab", "parse_gitlab", ("**/.gitlab-ci.yml", "**/.gitlab-ci.yaml")),
    "jenkins": ("jenkins", "parse_jenkins", ("**/Jenkinsfile", "**/Jenkinsfile.*", "**/*.jenkinsfile", "**/*.Jenkinsfile", "**/*.groovy")),
    "circleci": ("circleci", "parse_circleci", ("**/.circleci/config.yml", "**/.circleci/config.yaml")),
    "bitbucket": ("bitbucket", "parse_bitbucket", ("**/bitbucket-pipelines.yml", "**/bitbucket-pipelines.yaml")),
    "buildkite": ("buildkite", "parse_buildkite", ("**/.buildkite/*.yml", "**/.buildkite/*.yaml", "**/buildkite.yml", "**/buildkite.yaml",
                                                   "**/.buildkite/pipelines/*.yml")),
    "semaphore": ("semaphore", "parse_semaphore", ("**/.semaphore/*.yml", "**/.semaphore/*.yaml")),
}


def _when_named(module: str, parser: str, globs: tuple[str, ...]) -> Callable[[FileIndex], list[CiJob]]:
    """The dialect's parser, imported when the index holds one of its files."""

    def parse(index: FileIndex) -> list[CiJob]:
        if not index.select(globs):
            return []
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{module}"), parser)(index)  # type: ignore[no-any-return]

    parse.__qualname__ = parse.__name__ = parser
    return parse


def _register_builtin() -> None:
    from . import aws, azure, cloudbuild, gitops, tekton

    named = {system: _when_named(*spec) for system, spec in NAMED_DIALECTS.items()}
    PARSERS.setdefault("gitlab", named["gitlab"])
    PARSERS.setdefault("azure", azure.parse_azure)
    PARSERS.setdefault("jenkins", named["jenkins"])
    PARSERS.setdefault("circleci", named["circleci"])
    PARSERS.setdefault("bitbucket", named["bitbucket"])
    PARSERS.setdefault("buildkite", named["buildkite"])
    PARSERS.setdefault("semaphore", named["semaphore"])
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


# CI definitions their platform reads only at the repository root: (system, file globs, the root's paths, why)
ROOT_ONLY = (
    ("GitHub Actions", ("**/.github/workflows/*.yml", "**/.github/workflows/*.yaml"), GITHUB_WORKFLOWS,
     "runs workflows only from .github/workflows at the repository root"),
    ("GitLab CI", ("**/.gitlab-ci.yml", "**/.gitlab-ci.yaml"), (".gitlab-ci.yml", ".gitlab-ci.yaml"),
     "reads .gitlab-ci.yml at the repository root (and what it includes) unless the project's CI/CD settings name another file"),
    ("Bitbucket Pipelines", ("**/bitbucket-pipelines.yml", "**/bitbucket-pipelines.yaml"), ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"),
     "reads bitbucket-pipelines.yml only at the repository root"),
    ("CircleCI", ("**/.circleci/config.yml", "**/.circleci/config.yaml"), (".circleci/config.yml", ".circleci/config.yaml"),
     "reads .circleci/config.yml only at the repository root"),
    ("Semaphore", ("**/.semaphore/semaphore.yml",), (".semaphore/semaphore.yml",),
     "starts every workflow at .semaphore/semaphore.yml at the repository root (unless the project's settings name another file)"),
)


def _not_run(index: FileIndex) -> None:
    """Warn about CI definitions that cannot run from where they are (a nested ``.github/workflows``, a
    ``.gitlab-ci.yml`` below the root that the root pipeline does not include): they are not counted, and the
    report says so. Samples (fixtures/, examples/, docs/ ...) and rendered templates are left alone."""
    gitlab_loaded: set[str] | None = None
    for system, globs, root_paths, why in ROOT_ONLY:
        by_dir: dict[str, list[str]] = {}
        for e in index.select(globs):
            if e.template or _sample(index, e.path) or any(_matches(e.vpath, r) for r in root_paths):
                continue
            if system == "GitLab CI":
                if gitlab_loaded is None:
                    from .gitlab import pipeline_files

                    gitlab_loaded = set(pipeline_files(index))
                if e.path in gitlab_loaded or _named_by(index, gitlab_loaded, e.path):
                    continue
            by_dir.setdefault(e.path.rsplit("/", 1)[0] if "/" in e.path else "", []).append(e.path)
        home_dir = root_paths[0].rsplit("/", 1)[0] if "/" in root_paths[0] else ""  # where the root's file sits
        for d, paths in sorted(by_dir.items()):
            names = ", ".join(p.rsplit("/", 1)[-1] for p in sorted(paths))
            home = d[: -len(home_dir) - 1] if home_dir and d.endswith("/" + home_dir) else d if not home_dir else ""
            hint = f"; to scan {home} as a repository of its own: mlscan scan {home} --as-root" if home else ""
            verb = "is" if len(paths) == 1 else "are"
            index.warn("ci-not-run", f"{system} {why}, so {names} in {d}/ cannot run from there and {verb} not counted{hint}",
                       paths[0] if len(paths) == 1 else d)


def _matches(vpath: str, pattern: str) -> bool:
    return vpath == pattern or (pattern.endswith(("*.yml", "*.yaml")) and vpath.rsplit("/", 1)[0] == pattern.rsplit("/", 1)[0]
                                and vpath.endswith(pattern.rsplit("*", 1)[1]))


def _named_by(index: FileIndex, files: set[str], path: str) -> bool:
    """Does a loaded pipeline file name ``path`` (a child pipeline's ``trigger: include:``, a custom include)?"""
    sub = index.target.subdir
    rel = path[len(sub) + 1 :] if sub and path.startswith(sub + "/") else path
    return any(rel in (index.text(f) or "") for f in files)


def ci_model(index: FileIndex) -> CiModel:
    """Every CI job of the repository, parsed once per scan."""

    def build() -> CiModel:
        model = CiModel()
        _not_run(index)
        for name, parser in PARSERS.items():
            try:
                model.jobs.extend(j for j in parser(index) if not _sample(index, j.path))
            except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
                index.warn("ci-parse", f"{name} CI definitions could not be read fully: {e}")
        return model

    return index.memo("ci-model", build)


_register_builtin()


def _ci_files() -> tuple[str, ...]:
    from . import aws, azure, cloudbuild, gitops, tekton

    every = dict.fromkeys((
        *GITHUB_WORKFLOWS, *(g for _, _, globs in NAMED_DIALECTS.values() for g in globs), *(g for _, globs, _, _ in ROOT_ONLY for g in globs),
        *azure.NAMED, *azure.YAML, *cloudbuild.GLOBS, *aws.BUILDSPECS, *aws.TEMPLATES, "**/*.tf", *tekton.YAML, *gitops.YAML,
    ))  # "**/*.tf": aws.parse_aws reads CodePipelines from Terraform
    exts = {g[4:] for g in every if g.startswith("**/*.") and not any(c in g[5:] for c in "*?/.")}  # .yml, .json ...
    return tuple(g for g in every if g[4:] in exts or not g.endswith(tuple(exts)))  # `**/*.yml` covers every other .yml


# What the CI model reads first, as clauses of a gate (mlscan.detector.Need: globs, words) for the detectors that start
# from it: a file of any dialect's definitions (YAML, JSON and CloudFormation templates, Terraform, Jenkinsfiles and the
# other named files), or a CDK app (Python or a notebook mentioning aws_cdk, TypeScript/JavaScript mentioning aws-cdk:
# aws.parse_aws). A repository with none of them has no CI job (tests/test_manifest.py runs each gated detector with
# the files its gate covers left out).
# (globs, words): the arguments of one mlscan.detector.Need
NeedClauses = tuple[tuple[tuple[str, ...], tuple[bytes, ...]], ...]
CI_NEEDS: NeedClauses = (
    (_ci_files(), ()), (("**/*.py", "**/*.ipynb"), (b"aws_cdk",)), (("**/*.ts", "**/*.js"), (b"aws-cdk",)),
)


__all__ = [
    "CI_NEEDS", "GITHUB_WORKFLOWS", "NAMED_DIALECTS", "PARSERS", "ROOT_ONLY", "SAMPLE_DIRS", "CiJob", "CiModel", "CiStep", "NeedClauses", "ShellCommand", "argv", "as_dict", "as_list",
    "ci_model", "clean_dir", "env_vars", "falsy", "is_placeholder", "line_of", "make_step", "non_blocking", "parse_github", "runs_on_releases", "runs_on_releases_only", "branch_filtered", "event_branches", "script_items",
    "shell_flow", "split_commands", "started_commands", "swallows_failure", "targets_subdir", "truthy",
]
