"""Task runners with setup/train/test/deploy targets (make, just, Task, invoke, nox, tox, poe, mise, npm); feeds T1."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.taskrunners import READERS
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

CATEGORIES = {
    "setup": {"install", "setup", "init", "bootstrap", "env", "venv", "deps", "dependencies", "requirements", "dev",
              "develop", "prepare", "sync", "environment", "conda", "pip", "hooks"},
    "train": {"train", "training", "fit", "retrain", "pipeline", "repro", "run", "experiment", "experiments", "data",
              "features", "preprocess", "process", "tune", "tuning", "evaluate", "eval", "evaluation", "predict",
              "inference", "score", "scoring", "download", "etl", "dvc", "mlflow", "project", "jobs", "job", "all"},
    "test": {"test", "tests", "unittest", "unit", "integration", "pytest", "coverage", "cov", "e2e", "smoke"},
    "deploy": {"deploy", "deployment", "publish", "release", "serve", "serving", "build", "push", "docker", "image",
               "up", "infra", "apply", "start", "k8s", "helm", "terraform", "package", "dist", "upload", "api", "app"},
}


# a target that prepares data only (a data-science template's ``data: requirements``): no model is trained or deployed by it
_DATA_ONLY = frozenset({"data", "features", "preprocess", "process", "download", "etl"})
# a target for the developer's chores (a debug image's build, linting, docs): it runs nothing of the project
_CHORES = frozenset({"debug", "lint", "clean", "format", "fmt", "docs", "doc", "help", "style", "typecheck", "mypy", "precommit"})


# words that say only "run something": beside a test word (``pytest_run``, ``run-tests``, ``test_all``) the target runs tests
_GENERIC_RUN = frozenset({"run", "all", "project", "jobs", "job"})


# packaging a distribution (``dist: python setup.py sdist``, ``publish: twine upload``): it ships the library to an index,
# it does not set up, train or deploy the project
_PACKAGING = frozenset({"dist", "sdist", "bdist", "wheel", "publish", "release", "upload", "package", "packages", "pypi", "twine"})
# ``up``/``down`` beside a transfer word (``sync_data_up``, ``data-down``) is a direction, not ``docker compose up``
_TRANSFER = frozenset({"sync", "data", "upload", "download"})


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[-_:./ ]+", name.lower()) if w]


def _categories(name: str) -> set[str]:
    words = _words(name)
    parts = set(words)
    if words and words[0] in CATEGORIES["test"]:
        return {"test"}  # ``tests_training``, ``test-deploy``: a test recipe of that part, whatever it exercises
    if parts & CATEGORIES["test"]:
        parts -= _GENERIC_RUN
    if parts & _TRANSFER:
        parts -= {"up", "down"}
    return {c for c, words in CATEGORIES.items() if parts & words}


def _runs_project(name: str, kinds: set[str]) -> bool:
    """Does a target train, run the pipeline or deploy (not a chore's ``build_debug``, not ``data`` preparation alone)?"""
    parts = set(_words(name))
    if parts & _CHORES or not kinds & {"train", "deploy"}:
        return False
    if parts & _TRANSFER and not parts & (CATEGORIES["train"] - _DATA_ONLY - {"dvc"}):
        return False  # ``sync_data_up``, ``upload-data``: moves the data, runs nothing of the project
    if parts <= _PACKAGING | {"build", "all"}:
        return False  # ``dist``, ``build``, ``publish``, ``release``: packaging the library (below the setup target)
    return "deploy" in kinds or bool(parts & (CATEGORIES["train"] - _DATA_ONLY))


def _recipe_end(index: FileIndex, path: str, line: int) -> int | None:
    """The last line of a Makefile target's first two recipe lines (tab-indented, below its header), None when it has none."""
    lines = index.lines(path)
    end = None
    for j in range(line + 1, min(len(lines), line + 2) + 1):
        if not lines[j - 1].startswith("\t"):
            break
        end = j
    return end


class DocsTaskrunner(Detector):
    """Makefile/justfile/Taskfile/invoke/nox/tox/poe/taskipy/mise/package.json targets for setup, train, test, deploy; feeds T1."""

    id = "docs.taskrunner"
    questions = ("T1",)
    globs = ("**/Makefile", "**/justfile", "**/Taskfile.yml", "**/tasks.py", "**/noxfile.py", "**/tox.ini",
             "**/pyproject.toml", "**/mise.toml", "**/package.json")
    needs = globs
    signals = ("docs.taskrunner",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for tool, globs, reader in READERS:
            for e in index.select(globs, include_root=False):
                targets = reader(index, e)
                if not targets:
                    continue
                found_tool = targets[0][2] or tool
                # tox environments (py311, lint, ...) are test runs whatever their name
                kinds = {n: _categories(n) or ({"test"} if found_tool == "tox" else set()) for n, _, _ in targets}
                useful = [(n, ln) for n, ln, _ in targets if kinds[n]]
                cats = sorted({c for n, _ in useful for c in kinds[n]})
                # cited at the first target that runs the project (trains, runs its pipeline, deploys; not a chore such as
                # a debug image's build, nor data preparation alone), else its set-up target, else the first useful one;
                # a Makefile target with the recipe lines that show what it runs
                runs = [ln for n, ln in useful if _runs_project(n, kinds[n])]
                setup = [ln for n, ln in useful if "setup" in kinds[n]]
                line = runs[0] if runs else setup[0] if setup else useful[0][1] if useful else targets[0][1]
                end = _recipe_end(index, e.path, line) if tool == "make" and line else None
                names = [n for n, _ in useful] or [n for n, _, _ in targets]
                # a task runner at the project's top level runs the project; one in a sub-folder (a web console's
                # package.json, an infrastructure Makefile) runs that part (T1 prefers the former)
                attrs = {"tool": found_tool, "targets": sorted(set(names))[:15], "categories": cats,
                         "root": "/" not in e.vpath}
                if useful and all(kinds[n] == {"test"} for n, _ in useful):
                    attrs["tests_only"] = True  # a test runner's environments (tox's pytest runs): nothing a newcomer sets up or runs
                if tool == "make" and _infrastructure_only(index.text(e.path) or "", [n for n, _ in useful]):
                    attrs["infra_only"] = True  # it provisions cloud stacks (a domain, a VPC): not how a newcomer runs the project
                web = found_tool == "npm" and _web_frontend(index, e.path)
                if web:
                    attrs["web_frontend"] = True  # a web UI's dev server and bundle: not the ML project's setup
                yield self.found(
                    "docs.taskrunner", index, e.path, line, end_line=end,
                    strength=Strength.MEDIUM if useful and not web else Strength.WEAK,  # e.g. only `clean`/`style`
                    attrs=attrs,
                )


# a command that provisions cloud infrastructure from a template (a stack, a plan), not the project's code or model
_INFRA_COMMAND = lazy_re(r"^(?:@|-)*\s*(?:aws\s+cloudformation\s+(?:deploy|create-stack|update-stack|package|delete-stack|validate-template)|"
                         r"(?:terraform|tofu)\s+(?:-chdir=\S+\s+)?(?:init|plan|apply|destroy|validate|fmt)|cdk\s+(?:deploy|synth|bootstrap|destroy)|"
                         r"sam\s+(?:build|deploy|package|validate)|pulumi\s+(?:up|preview|destroy|stack))\b")
# recipe lines that do not run anything themselves (printing, variables, directory changes)
_PLAIN_RECIPE = lazy_re(r"^(?:@|-)*\s*(?:echo|printf|cd|export|set|true|:)\b|^$")


def _infrastructure_only(text: str, names: list[str]) -> bool:
    """Do the Makefile's useful targets only provision cloud infrastructure (``aws cloudformation deploy`` of a domain
    stack, ``terraform apply``), every recipe line that runs something being such a command? A Makefile that also trains,
    builds, tests or runs Python is the project's own runner."""
    from mlscan.facts.taskrunners import makefile_recipes

    recipes = makefile_recipes(text)
    run = [ln for n in names for ln in (recipes.get(n) or ((), []))[1] if not _PLAIN_RECIPE.match(ln)]
    return bool(run) and all(_INFRA_COMMAND.match(ln) for ln in run)


# packages that make a package.json a web front end (its scripts start a dev server and bundle a UI)
_UI_PACKAGES = frozenset({"react", "react-dom", "vue", "next", "nuxt", "svelte", "@sveltejs/kit", "@angular/core", "solid-js",
                          "preact", "gatsby", "@remix-run/react", "astro"})
# commands in a script that set up or run the ML side (Python, data/model tools, infrastructure)
_ML_COMMANDS = lazy_re(r"\b(python3?|pip3?|poetry|uv|conda|dvc|mlflow|jupyter|pytest|cdk|sam|serverless|sls|terraform|pulumi|"
                       r"docker|docker-compose|kubectl|helm|aws|az|gcloud|sagemaker)\b")


def _web_frontend(index: FileIndex, path: str) -> bool:
    """A package.json of a web UI: it depends on a UI framework and none of its scripts runs an ML or infrastructure
    command (a CDK app's or a Python project's package.json stays a task runner)."""
    data = index.json(path)
    if not isinstance(data, dict):
        return False
    deps: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies"):
        if isinstance(data.get(key), dict):
            deps |= set(data[key])
    scripts = data.get("scripts") if isinstance(data.get("scripts"), dict) else {}
    return bool(deps & _UI_PACKAGES) and not any(isinstance(c, str) and _ML_COMMANDS.search(c) for c in scripts.values())


