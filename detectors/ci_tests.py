"""Test suites that CI jobs and pipelines run (blocking or not) and manual test stages; feeds M3."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from mlscan.ci import CiJob, ci_model, is_placeholder
from mlscan.detector import Detector
from mlscan.facts.ci_vocab import test_runner, test_target_name
from mlscan.facts.commands import Cmd, defined_target, head, job_commands, python_target, reached_by, segments
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

MANUAL_TEST_WORDS = frozenset({"test", "tests", "testing", "qa", "validate", "validation", "verify", "verification", "uat",
                               "acceptance", "smoke", "signoff", "sign"})
DEPLOY_WORDS = frozenset({"deploy", "deployment", "release", "promote", "promotion", "rollout", "publish"})
JS_TESTS = ("**/*.test.js", "**/*.test.ts", "**/*.test.jsx", "**/*.test.tsx", "**/*.spec.js", "**/*.spec.ts", "**/__tests__/*")
AUTOMATIC = frozenset({"push", "pull_request", "schedule", "tag", "pipeline", "gitops", "release", "merge_group", "workflow_run"})


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def with_chain(f: Finding, chain: tuple[str, ...]) -> Finding:
    """``f`` whose leading evidence item carries ``chain`` (how its file is reached)."""
    if not chain or not f.evidence:
        return f
    return replace(f, evidence=(replace(f.evidence[0], chain=chain), *f.evidence[1:]))


def root_line(cmd: Cmd) -> int:
    """The line of the CI command a (possibly nested) command was reached from."""
    return cmd.line if len(cmd.via) == 1 else int(cmd.via[1].rsplit(":", 1)[1])


def manual_test(job: CiJob) -> bool:
    """A human gate whose name, stage or prompt says it is a test/QA/validation step."""
    if not (job.manual or job.gate):
        return False
    names = _words(f"{job.name} {job.stage}")
    if names & MANUAL_TEST_WORDS and not names & DEPLOY_WORDS:
        return True
    prompts = " ".join(v for s in job.steps for k, v in s.with_ if k.lower() in ("message", "instructions", "prompt"))
    return bool(_words(prompts) & MANUAL_TEST_WORDS)


def _runs_something(c: Cmd, cmds: list[Cmd]) -> bool:
    """The task a command calls has real commands (not only ``echo``)."""
    here = f"{c.path}:{c.line}"
    return any(here in x.via and not is_placeholder(x.text) for x in cmds)


# Checks of a deployed service, not of the code or model before it ships: describe/invoke a live endpoint
_ENDPOINT_CALLS = frozenset({"describe_endpoint", "invoke_endpoint", "invoke_endpoint_async", "wait_until_endpoint_in_service"})
_ASSERT_CALL = re.compile(r"^(assert|fail)[A-Z_]|^assert$|^(raises|approx|warns|fail)$")


def _checks(fn: ast.AST, raises: bool) -> bool:
    """Does the code check anything: an assertion (``assert``, ``self.assertEqual``, ``np.testing.assert_*``,
    ``pytest.raises``) outside exception handlers, or (for a script run directly) a ``raise`` that fails the run?
    ``assert False`` in the handler of a ``try: print(...)`` and ``assert True`` check nothing."""
    handlers = {id(x) for h in walk(fn) if isinstance(h, ast.ExceptHandler) for x in walk(h) if x is not h}
    for n in walk(fn):
        if id(n) in handlers:
            continue
        if isinstance(n, ast.Assert) and not (isinstance(n.test, ast.Constant) and n.test.value in (True, 1)):
            return True
        if isinstance(n, ast.Call):
            name = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id if isinstance(n.func, ast.Name) else ""
            if _ASSERT_CALL.match(name):
                return True
        if raises and isinstance(n, ast.Raise):
            return True
    return False


def _endpoint_only(tree: ast.AST) -> bool:
    """The code only checks a deployed endpoint (describe/invoke it): a post-deployment smoke test."""
    names = {c.func.attr for c in walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)}
    return bool(names & _ENDPOINT_CALLS)


def collected_tests(index: FileIndex, c: Cmd, runner: str) -> list[FileEntry]:
    """The Python test files a test command runs: the paths it names (files, or the test files under named
    folders), else every test file under its working directory."""
    seg = next((w for w in segments(c.text) if runner in w or head(w).startswith(("python", "py")) or head(w) == runner), [])
    args = [a for a in seg[1:] if not a.startswith("-") and a not in ("-m", runner) and "=" not in a]
    cwd = c.cwd.strip("./") if c.cwd else ""
    tests = [e for e in index.entries if e.test and e.name.endswith(".py") and e.name != "conftest.py" and e.name != "__init__.py"]
    out: list[FileEntry] = []
    for a in args:
        rel = f"{cwd}/{a}".strip("/") if cwd and not a.startswith("/") else a.lstrip("./")
        rel = rel.split("::", 1)[0]
        hit = [e for e in index.entries if e.vpath == rel and e.name.endswith(".py")] or [e for e in tests if e.vpath.startswith(rel.rstrip("/") + "/")]
        if not hit and rel.endswith(".py"):  # relative to a build's source root: a file below a folder holding the CI file
            base = c.path.rsplit("/", 1)[0] if "/" in c.path else ""
            while base and not hit:
                hit = [e for e in index.entries if e.vpath == f"{base}/{rel}"]
                base = base.rsplit("/", 1)[0] if "/" in base else ""
        out += hit
    if out or args and runner == "python":
        return out
    return [e for e in tests if not cwd or e.vpath.startswith(cwd + "/")]


def test_content(index: FileIndex, c: Cmd, runner: str) -> tuple[bool, bool]:
    """(asserts, post_deploy) of what a test command runs. Unknown runners, or no Python test file found: (True, False)."""
    if runner not in ("pytest", "unittest", "python", "nose", "nose2"):
        return True, False
    files = collected_tests(index, c, runner)
    trees = [t for e in files if (t := index.python(e.path)) is not None]
    if not trees:
        return True, False
    asserts = any(_checks(t, raises=runner == "python") for t in trees)
    post_deploy = all(_endpoint_only(t) for t in trees)
    return asserts, post_deploy


# End-to-end tests written as a CI step that runs the project's own scripts (train, then validate/predict/export with
# the result): the step says it tests, and the scripts fail the job when the model cannot be built or used
_E2E_STEP_WORDS = frozenset({"test", "tests", "e2e", "smoke", "integration", "regression", "benchmark", "benchmarks"})
_USE_WORDS = frozenset({"val", "validate", "validation", "predict", "prediction", "detect", "infer", "inference", "export", "evaluate",
                        "eval", "benchmark", "benchmarks", "score", "scoring", "serve"})


def _e2e_scripts(index: FileIndex, step_name: str, cmds: list[Cmd]) -> Cmd | None:
    """The first command of a test-named step that runs at least two project scripts, one of which uses a model
    (validates, predicts, exports, benchmarks): an end-to-end test of the project's entry points."""
    if not _words(step_name) & _E2E_STEP_WORDS:
        return None
    scripts: dict[str, Cmd] = {}
    for c in cmds:
        e = python_target(index, c)
        if e is not None and not e.test:
            scripts.setdefault(e.vpath, c)
    if len(scripts) < 2 or not any(_words(v.rsplit("/", 1)[-1][:-3]) & _USE_WORDS for v in scripts):
        return None
    return next(iter(scripts.values()))


class CiTests(Detector):
    """Test suites run by CI jobs/pipelines (pytest, unittest, tox, nox, make test ...), blocking or not, and manual test stages; feeds M3."""

    id = "ci.tests"
    questions = ("M3",)
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile", "**/Makefile", "**/*.sh")
    signals = ("ci.tests", "ci.manual_test")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        """One finding per location: a template shared by several pipelines counts once (its strongest use)."""
        best: dict[tuple[str, str, int | None], Finding] = {}
        for f in self._findings(index):
            key = (f.signal, f.evidence[0].path, f.evidence[0].line)
            rank = (f.strength.rank, bool(f.attrs.get("automatic")))
            if key not in best or rank > (best[key].strength.rank, bool(best[key].attrs.get("automatic"))):
                best[key] = f
        yield from best.values()

    def _findings(self, index: FileIndex) -> Iterator[Finding]:
        js_tests = bool(index.select(JS_TESTS, include_root=False))
        for job in ci_model(index).active_jobs():
            if manual_test(job):
                yield self.found("ci.manual_test", index, job.path, job.line, strength=Strength.STRONG,
                                 attrs={"system": job.system, "job": job.name, "gate": job.gate or "manual"})
            found: dict[tuple[str, int, str], list[Cmd]] = {}
            for step in job.steps:
                cmds = [c for c in job_commands(index, job) if c.step is step and c.active]
                hits = [(c, r) for c in cmds if (r := test_runner(c.text)) and (r != "npm test" or js_tests)]
                if not hits:  # a test task running a tool we do not know (`make test` -> `./run_suite`)
                    hits = [(c, t) for c in cmds if len(c.via) == 1 and test_target_name(c.text) and _runs_something(c, cmds)
                            and (t := defined_target(index, c)) and not t.startswith(("npm", "yarn", "pnpm"))]
                if not hits and (e2e := _e2e_scripts(index, step.name, cmds)) is not None:
                    hits = [(e2e, "scripts")]
                for c, runner in hits:
                    found.setdefault((c.via[0].rsplit(":", 1)[0], root_line(c), runner), []).append(c)
            for (path, line, runner), cmds in found.items():
                content = [test_content(index, c, runner) for c in cmds]
                asserts = any(a for a, _ in content)
                post_deploy = all(p for _, p in content)
                blocking = any(c.blocking for c in cmds)
                ignored = all(c.ignored for c in cmds)
                strength = Strength.STRONG if blocking else Strength.WEAK if ignored else Strength.MEDIUM
                # the command that runs the tests leads (in the script or Makefile target the CI step calls), with how
                # it is reached; the CI step that triggers it follows
                runs = next((c for c in cmds if c.path != path), None)
                lead = (runs.path, runs.line) if runs is not None else (path, line)
                extra = tuple(self.evidence(index, c.path, c.line, strength=strength) for c in cmds if c.path != path and c is not runs)[:4]
                if runs is not None:
                    extra = (self.evidence(index, path, line, strength=strength), *extra)
                f = self.found("ci.tests", index, *lead, strength=strength, extra=extra, attrs={
                    "system": job.system, "runner": runner, "blocking": blocking, "ignored": ignored, "job": job.name,
                    "automatic": bool(job.triggers & AUTOMATIC), "via": " -> ".join(sorted({c.path for c in cmds if c.path != path})),
                    "asserts": asserts, "post_deploy": post_deploy, "stub": not asserts,  # tests that assert nothing
                })
                yield with_chain(f, reached_by(runs)) if runs is not None else f
