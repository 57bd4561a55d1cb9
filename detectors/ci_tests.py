"""Test suites that CI jobs and pipelines run (blocking or not) and manual test stages; feeds M3."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.ci import (
    CI_NEEDS,
    CiJob,
    branch_filtered,
    ci_model,
    event_branches,
    is_placeholder,
    runs_on_releases,
    runs_on_releases_only,
)
from mlscan.detector import Detector, needs_of
from mlscan.facts.ci_vocab import (
    AUTOMATIC,
    deploy_command,
    deploy_uses,
    placeholder_deploy,
    ssh_rejoined,
    ssh_stdin,
    test_runner,
    test_target_name,
)
from mlscan.facts.commands import (
    Cmd,
    collected_tests,
    defined_target,
    job_commands,
    missing_unittest_targets,
    python_target,
    reached_by,
    root_line,
    with_chain,
)
from mlscan.facts.pyast import nodes_below, statement_walk, walk
from mlscan.index import FileIndex, register_fact
from mlscan.index.paths import is_test_path
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

MANUAL_TEST_WORDS = frozenset({"test", "tests", "testing", "qa", "validate", "validation", "verify", "verification", "uat",
                               "acceptance", "smoke", "signoff", "sign"})
DEPLOY_WORDS = frozenset({"deploy", "deployment", "release", "promote", "promotion", "rollout", "publish"})
JS_TESTS = ("**/*.test.js", "**/*.test.ts", "**/*.test.jsx", "**/*.test.tsx", "**/*.spec.js", "**/*.spec.ts", "**/__tests__/*")


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


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
_ASSERT_CALL = lazy_re(r"^(assert|fail)[A-Z_]|^assert$|^(raises|approx|warns|fail)$")
_ASSERT_WORDS = ("assert", "fail", "raises", "approx", "warns")  # in every name _ASSERT_CALL matches


# assertion methods of a mock: their literal arguments are what the code under test was expected to call it with
_MOCK_ASSERT = lazy_re(r"^assert_(called|any_call|has_calls|not_called|awaited|any_await|has_awaits|not_awaited)")
_LITERAL_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare,
                  ast.Load, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


def _literal(node: ast.AST | None) -> bool:
    """An expression built of literals only (``1``, ``"a"``, ``(1, 2)``, ``1 + 1 == 2``, ``not True``): its value is
    known before the test runs, whatever the code under test does."""
    return node is not None and all(isinstance(x, _LITERAL_NODES) for x in walk(node))


# calls whose value says only that a module loads: ``importlib.import_module("pkg")``, ``importlib.util.find_spec("pkg")``
# (``callable(pkg.train)``/``hasattr(pkg, "train")`` look into the module's code and stay assertions)
_LOAD_CALLS = frozenset({"import_module", "__import__", "find_spec", "reload"})
_IMPORT_CALLS = frozenset({"import_module", "__import__", "find_spec", "reload"})


def imported_names(tree: ast.AST) -> frozenset[str]:
    """Names a module binds only to modules or their members: ``import pkg``, ``from pkg import train``,
    ``mod = importlib.import_module("pkg")``. A name also bound to anything else (``mod = build()``) is left out."""
    loaded: set[str] = set()
    other: set[str] = set()
    for n in walk(tree):
        cls = n.__class__
        if cls is ast.Import or cls is ast.ImportFrom:
            loaded.update((a.asname or a.name).split(".")[0] for a in n.names)  # type: ignore[attr-defined]
        elif cls is ast.Assign or cls is ast.AnnAssign:
            targets = n.targets if cls is ast.Assign else [n.target]  # type: ignore[attr-defined]
            names = {t.id for t in targets if t.__class__ is ast.Name}
            value = n.value  # type: ignore[attr-defined]
            (loaded if value is not None and _loads_only(value, frozenset()) and value.__class__ is ast.Call else other).update(names)
    return frozenset(loaded - other)


def _loads_only(node: ast.AST, imported: frozenset[str]) -> bool:
    """An expression that only loads modules and looks at them (``mod is not None``, ``hasattr(mod, "f")``,
    ``importlib.import_module("pkg")``): its value says the code imports, not that it works."""
    cls = node.__class__
    if cls is ast.Name:
        return node.id in imported  # type: ignore[attr-defined]
    if cls is ast.Attribute:
        return _loads_only(node.value, imported) or (node.value.__class__ is ast.Name and node.value.id in ("importlib", "util"))  # type: ignore[attr-defined]
    if cls is ast.Call:
        f = node.func  # type: ignore[attr-defined]
        name = f.attr if f.__class__ is ast.Attribute else f.id if f.__class__ is ast.Name else ""
        args = [*node.args, *(k.value for k in node.keywords)]  # type: ignore[attr-defined]
        if name in _IMPORT_CALLS:  # the module's name may come from a parameter: ``import_module(name)``
            return all(a.__class__ in (ast.Name, ast.Constant, ast.JoinedStr) for a in args)
        return name in _LOAD_CALLS and all(_loads_only(a, imported) or _literal(a) for a in args)
    if cls is ast.Compare:
        # only against None (``mod is not None``): ``math.pi > 3`` compares a value the module holds
        return _loads_only(node.left, imported) and all(c.__class__ is ast.Constant and c.value is None for c in node.comparators)  # type: ignore[attr-defined]
    if cls is ast.BoolOp:
        return all(_loads_only(x, imported) or _literal(x) for x in node.values)  # type: ignore[attr-defined]
    if cls is ast.UnaryOp:
        return _loads_only(node.operand, imported)  # type: ignore[attr-defined]
    return False


def constructed_names(tree: ast.AST) -> frozenset[str]:
    """Names a module binds only to a new object of a class: ``dataset = MyDataset("data/raw")``, ``model =
    nn.Linear(2, 1)`` (a callee whose name is capitalised: a class, by Python's naming convention). A name also bound to
    anything else (another assignment, a loop or ``with`` target, a parameter such as a fixture) is left out."""
    made: set[int] = set()
    for n in walk(tree):
        cls = n.__class__
        if (cls is ast.Assign or cls is ast.AnnAssign) and n.value.__class__ is ast.Call:  # type: ignore[attr-defined]
            f = n.value.func  # type: ignore[attr-defined]
            callee = f.attr if f.__class__ is ast.Attribute else f.id if f.__class__ is ast.Name else ""
            if callee[:1].isupper() and not callee.isupper():
                made.update(id(t) for t in (n.targets if cls is ast.Assign else [n.target]) if t.__class__ is ast.Name)  # type: ignore[attr-defined]
    names: set[str] = set()
    other: set[str] = set()
    for n in walk(tree):
        if n.__class__ is ast.Name and n.ctx.__class__ is not ast.Load:  # type: ignore[attr-defined]
            (names if id(n) in made else other).add(n.id)  # type: ignore[attr-defined]
        elif n.__class__ is ast.arg:
            other.add(n.arg)  # type: ignore[attr-defined]
    return frozenset(names - other)


_TYPE_NODES = (ast.Name, ast.Attribute, ast.Tuple, ast.Load)


def _constructed_only(node: ast.AST | None, constructed: frozenset[str]) -> bool:
    """An expression that holds for any new object whatever its class's code does (names in ``constructed``): the
    object itself (``assert dataset``), ``dataset is not None``, ``isinstance(dataset, Dataset)``. Its value says the
    constructor returned, not that the object works (``len(dataset) == 100``, ``dataset.path == p`` do look)."""
    if not constructed or node is None:
        return False
    cls = node.__class__
    if cls is ast.Name:
        return node.id in constructed  # type: ignore[attr-defined]
    if cls is ast.Compare:
        return _constructed_only(node.left, constructed) and all(c.__class__ is ast.Constant and c.value is None for c in node.comparators)  # type: ignore[attr-defined]
    if cls is ast.Call:
        f, args = node.func, node.args  # type: ignore[attr-defined]
        return (f.__class__ is ast.Name and f.id == "isinstance" and len(args) == 2 and _constructed_only(args[0], constructed)
                and all(isinstance(x, _TYPE_NODES) for x in walk(args[1])))
    if cls is ast.BoolOp:
        return all(_constructed_only(x, constructed) for x in node.values)  # type: ignore[attr-defined]
    return False


class _AnyName(frozenset):
    """Every name: asks whether an assertion has the shape of a construction smoke test before the module's constructed
    names are read (a walk of the whole module)."""

    def __contains__(self, _name: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


_ANY_NAME = _AnyName()
# assertion methods that hold for any new object (``self.assertIsInstance(model, nn.Module)``)
_INSTANCE_ASSERTS = frozenset({"assertIsInstance", "assertIsNotNone", "assertTrue", "assert_"})


def _checks_nothing(n: ast.AST, name: str, imported: frozenset[str] = frozenset(), constructed: frozenset[str] = frozenset()) -> bool:
    """An assertion that tests no code: ``assert True``, ``assert 1 == 1``, ``assert "a" == "a"``; an assertion call whose
    arguments are all literals (``self.assertTrue(True)``, ``self.assertEqual(1, 1)``, ``np.testing.assert_equal(1, 1)``).
    ``assert False`` (``assert 0``), which fails whenever it is reached (after a call expected to raise), still asserts,
    and so do ``fail``/``raises``/``approx``/``warns`` and a mock's ``assert_called_with(1)``. An assertion that a module
    loads (``assert importlib.import_module("pkg") is not None``, ``self.assertIsNotNone(mod)``; names in
    ``imported``) is an import smoke test: it runs none of the code it imports. An assertion that holds for any new
    object (``assert isinstance(dataset, Dataset)`` after ``dataset = MyDataset(...)``; names in ``constructed``,
    ``_constructed_only``) is a construction smoke test, a template's placeholder: it asserts nothing of the code."""
    if n.__class__ is ast.Assert:
        test = n.test  # type: ignore[attr-defined]
        return ((_literal(test) and not (test.__class__ is ast.Constant and not test.value)) or _loads_only(test, imported)
                or _constructed_only(test, constructed))
    if not name.startswith("assert") or _MOCK_ASSERT.match(name):
        return False
    args = [*n.args, *(k.value for k in n.keywords if k.arg not in ("msg", "err_msg"))]  # type: ignore[attr-defined]
    if name in _INSTANCE_ASSERTS and args and _constructed_only(args[0], constructed):
        return all(isinstance(x, _TYPE_NODES) or _literal(a) for a in args[1:] for x in walk(a))
    return bool(args) and all(_literal(a) or _loads_only(a, imported) for a in args)


_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit", "sys._exit"})


def _exits_failing(node: ast.AST) -> bool:
    """A call that ends the process with a failing status: ``sys.exit(1)``, ``exit("wrong label")`` (a message exits with
    1). ``sys.exit(0)``, ``sys.exit()`` and a status computed at run time (``sys.exit(main())``) are not known to fail."""
    if node.__class__ is not ast.Call:
        return False
    f = node.func  # type: ignore[attr-defined]
    name = f.id if f.__class__ is ast.Name else f"{f.value.id}.{f.attr}" if f.__class__ is ast.Attribute and f.value.__class__ is ast.Name else ""
    if name not in _EXIT_CALLS or len(node.args) != 1:  # type: ignore[attr-defined]
        return False
    arg = node.args[0]  # type: ignore[attr-defined]
    return arg.__class__ is ast.Constant and arg.value not in (0, None, False) and not (isinstance(arg.value, str) and not arg.value)


def _test_facts(index: FileIndex, path: str) -> list[bool] | None:
    """What a test command's outcome needs of one Python file, in one walk: [asserts, raises, endpoint calls].
    ``asserts``: an assertion (``assert``, ``self.assertEqual``, ``np.testing.assert_*``, ``pytest.raises``) outside
    exception handlers (``assert False`` in the handler of a ``try: print(...)`` checks nothing), that tests some code:
    one on literals only (``assert True``, ``assert 1 == 1``, ``self.assertEqual(1, 1)``) checks nothing;
    ``raises``: a ``raise`` or ``sys.exit(1)`` outside handlers (it fails a script run directly); ``endpoint calls``: it describes or
    invokes a deployed endpoint. None when it does not parse. (A file fact: a scan parses each test file once, however
    many test commands collect it, and a rescan reads it from the facts cache.)"""
    tree = index.python(path)
    if tree is None:
        return None
    # what lies inside exception handlers (clauses of ``try`` statements: found without walking any expression)
    handled = {id(x) for n in statement_walk(tree) if n.__class__ is ast.ExceptHandler for x in nodes_below(n)}
    text = index.text(path) if path.endswith(".py") else None
    # tests that never run (always skipped), or run only where a path exists (kept aside: whether a CI job has the path
    # is decided per command)
    from mlscan.facts.skipped_tests import ALWAYS, gates  # imported where a test file is read

    skips = gates(tree, path) if text is None or "skip" in text else {}
    gated: list[Any] = []

    def counts(n: ast.AST) -> bool:
        g = skips.get(id(n))
        if g is not None and g != ALWAYS and g not in gated:
            gated.append(g)
        return g is None

    asserts = raises = endpoint = False
    imported = imported_names(tree) if text is None or "import" in text else frozenset()
    built: list[frozenset[str]] = []

    def nothing(n: ast.AST, name: str) -> bool:
        """``_checks_nothing``; the module's constructed names are read only for an assertion that may test code."""
        if _checks_nothing(n, name, imported):
            return True
        if not _checks_nothing(n, name, imported, _ANY_NAME):  # not shaped like a construction smoke test
            return False
        if not built:
            built.append(constructed_names(tree))
        return bool(built[0]) and _checks_nothing(n, name, imported, built[0])

    for n in statement_walk(tree):  # ``assert`` and ``raise`` are statements
        cls = n.__class__
        if cls is ast.Assert:
            if not asserts and id(n) not in handled and not nothing(n, "") and counts(n):
                asserts = True
        elif cls is ast.Raise and not raises and id(n) not in handled and id(n) not in skips:
            raises = True
        elif cls is ast.Expr and not raises and id(n) not in handled and id(n) not in skips and _exits_failing(n.value):  # type: ignore[attr-defined]
            raises = True  # ``sys.exit(1)``: the script run directly fails its step, like an uncaught raise
    # the calls (the module's node list) only when one can change the answer: the name of an assertion or endpoint call
    # is an identifier, written as it is in a plain ASCII source file (not a notebook, not a template)
    if text is not None and text.isascii() and "{{" not in text and "endpoint" not in text and (asserts or not any(w in text for w in _ASSERT_WORDS)):
        return [asserts, raises, endpoint, *([gated] if gated and not asserts else [])]
    for n in walk(tree):
        if n.__class__ is ast.Call:
            f = n.func  # type: ignore[attr-defined]
            if f.__class__ is ast.Attribute:
                name = f.attr
                endpoint = endpoint or name in _ENDPOINT_CALLS
            else:
                name = f.id if f.__class__ is ast.Name else ""
            if not asserts and _ASSERT_CALL.match(name) and id(n) not in handled and not nothing(n, name) and counts(n):
                asserts = True
    return [asserts, raises, endpoint, *([gated] if gated and not asserts else [])]


# derived as a test file is parsed (by whichever detector parses it first): a test command collecting it later needs no
# second parse
TEST_FACTS = register_fact("ci.tests.file", _test_facts, eager=lambda _index, path: is_test_path(path))


def test_content(index: FileIndex, c: Cmd, runner: str) -> tuple[bool, bool]:
    """(asserts, post_deploy) of what a test command runs. Unknown runners, or no Python test file found: (True, False)."""
    if runner not in ("pytest", "unittest", "python", "nose", "nose2"):
        return True, False
    if runner == "unittest" and missing_unittest_targets(index, c):
        return False, False  # unittest cannot load the tests it is told to run: the step errors, nothing is tested
    # files are read until the answer is settled (one that asserts and one that calls no endpoint): a command that
    # collects thousands of test files parses only as many as it takes, and the answer is the same as over all of them
    seen = asserts = False
    post_deploy = True
    job_text: str | None = None
    for e in collected_tests(index, c, runner):
        f = index.fact(e.path, TEST_FACTS)
        if f is None:
            continue
        seen = True
        asserts = asserts or f[0] or (runner == "python" and f[1])
        if not asserts and len(f) > 3:  # assertions that run only where a path exists: does the job have it?
            from mlscan.facts.skipped_tests import may_exist

            if job_text is None:
                job_text = "\n".join(x.text for x in job_commands(index, c.job))
            asserts = any(may_exist(index, g, job_text) for g in f[3])
        post_deploy = post_deploy and f[2]
        if asserts and not post_deploy:
            break
    if not seen:
        return True, False
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


def _deploys(index: FileIndex, job: CiJob) -> bool:
    """Does a job deploy (a deploy command or deploy action in an active, non-placeholder step)?"""
    if any(s.active and not placeholder_deploy(s) and deploy_uses(s) for s in job.steps):
        return True
    cmds = job_commands(index, job)
    return any(c.active and deploy_command(ssh_stdin(index, text, c.path, c.cwd)) and not placeholder_deploy(c.step)
               for c, text in zip(cmds, ssh_rejoined([c.text for c in cmds]), strict=True))


def unwaited(index: FileIndex, job: CiJob, jobs: list[CiJob]) -> str:
    """The name of a GitHub Actions (or CircleCI) job of the same workflow that deploys without waiting for ``job``: jobs of a workflow
    run in parallel unless ``needs:`` (directly or through other jobs) orders them, so a deploy job that does not need
    the test job ships whatever the tests say. "" when every deploying job of the workflow waits for it (or the test
    job deploys itself, after its tests). A deploying job of another workflow that runs only when a release is cut,
    while ``job`` never runs on a release, is named with its workflow (``path:job``)."""
    if job.system not in ("github", "circleci"):
        return ""
    # a CircleCI workflow's jobs likewise run at once unless ``requires:`` orders them (one workflow: one ``stage``)
    same = {j.name: j for j in jobs if j.system == job.system and j.path == job.path and j.stage == job.stage}

    def waits(name: str, seen: frozenset[str] = frozenset()) -> bool:
        j = same.get(name)
        if j is None or name in seen:
            return False
        return job.name in j.needs or any(waits(n, seen | {name}) for n in j.needs)

    for j in same.values():
        if j is not job and not waits(j.name) and _deploys(index, j):
            return j.name
    if job.system != "github":
        return ""
    # a workflow of its own that deploys when a release is cut (tag pushes, ``release`` events) while these tests run
    # only on branch pushes and pull requests: nothing runs them on what that workflow ships, and nothing links the two
    # (``workflow_run`` on the tested workflow, a test job the deploy needs are what would)
    if not runs_on_releases(job):
        for j in jobs:
            if j.system == "github" and j.path != job.path and runs_on_releases_only(j) and _deploys(index, j):
                return f"{j.path}:{j.name}"
    # a workflow of its own that deploys on pushes to branches these tests never run on (neither pushed to nor as a
    # pull request's base: tests on ``pull_request: branches: [main]``, a deploy on ``push: branches: [production]``)
    for j in jobs:
        if j.system == "github" and j.path != job.path and _untested_branches(index, job, j) and _deploys(index, j):
            return f"{j.path}:{j.name}"
    return ""


def _untested_branches(index: FileIndex, test: CiJob, deploy: CiJob) -> bool:
    """Does a deploy workflow run on pushes to named branches only (``push: branches: [production]``) none of which the
    test workflow runs on, pushed to or as the base of a pull request, while nothing links the two (the deploy waiting
    for the test workflow through ``workflow_run``, or the test workflow being called by others)? A deploy on every
    branch, or one of its branches tested, is not."""
    if "workflow_run" in deploy.triggers or "workflow_call" in test.triggers or "push" not in deploy.triggers:
        return False
    spec = event_branches(index, deploy.path).get("push")
    if spec is None or not spec[0] or spec[1]:
        return False  # every branch, or all but some: what it ships may well be what the tests ran on
    branches = [b for b in spec[0] if not b.startswith("!") and not any(ch in b for ch in "*?[+")]
    if not branches:
        return False
    tested = event_branches(index, test.path)
    return not any(branch_filtered(b, s) for b in branches for s in tested.values())


class CiTests(Detector):
    """Test suites run by CI jobs/pipelines (pytest, unittest, tox, nox, make test ...), blocking or not, and manual test stages; feeds M3."""

    id = "ci.tests"
    questions = ("M3",)
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile", "**/Makefile", "**/*.sh")
    signals = ("ci.tests", "ci.manual_test")
    needs_any = needs_of(CI_NEEDS)  # every finding comes from a CI job

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
        jobs = ci_model(index).active_jobs()
        for job in jobs:
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
                elif (written := _written_at(index, path, line, cmds[0].text)) is not None:
                    # a command the step takes from its matrix (``run: ${{ matrix.task.run }}``): where it is written leads
                    # (``pytest -v tests/`` in the matrix entry), the step that runs it follows (its block may open with
                    # ``. .venv/bin/activate``, which tests nothing)
                    lead, extra = (path, written), (self.evidence(index, path, line, strength=strength), *extra)
                # ``python -m unittest tests.TestModel.test_x`` naming tests the repository does not define: the step errors
                missing = all(missing_unittest_targets(index, c) for c in cmds) if runner == "unittest" else False
                f = self.found("ci.tests", index, *lead, strength=strength, extra=extra, attrs={
                    **({"missing_script": True} if missing else {}),
                    # ``pytest --check-links README.md``: the docs' links are checked, not the code or the model (ranks last)
                    **({"links_only": True} if runner == "pytest" and all(_CHECK_LINKS.search(c.text) for c in cmds) else {}),
                    "system": job.system, "runner": runner, "blocking": blocking, "ignored": ignored, "job": job.name,
                    "automatic": bool(job.triggers & AUTOMATIC), "via": " -> ".join(sorted({c.path for c in cmds if c.path != path})),
                    "asserts": asserts, "post_deploy": post_deploy, "stub": not asserts,  # tests that assert nothing
                    **({"unwaited_by": other} if (other := unwaited(index, job, jobs)) else {}),
                })
                yield with_chain(f, reached_by(runs)) if runs is not None else f


# the pytest-check-links plugin's switch: the run collects the documents' links instead of the test suite
_CHECK_LINKS = lazy_re(r"(?:^|\s)--check-links(?:\s|=|$)")


def _written_at(index: FileIndex, path: str, line: int, text: str) -> int | None:
    """The line of a CI file where a command the step at ``line`` runs is written, when that is another line: a value of
    the job's matrix (``- task: {name: test, run: pytest -q}``) that the step's ``${{ matrix.task.run }}`` stands for."""
    lines = index.lines(path)
    # the step's line and the rest of its ``run:`` block (``. .venv/bin/activate`` then ``${{ matrix.task.run }}``)
    block = _run_block(lines, line)
    if not any("${{" in ln and "matrix" in ln for ln in block) or not text.strip():
        return None
    return next((i for i, ln in enumerate(lines, start=1) if not line <= i < line + len(block) and text.strip() in ln
                 and not ln.lstrip().startswith("#")), None)


def _run_block(lines: list[str], line: int) -> list[str]:
    """Line ``line`` of a CI file and the lines below it indented as deep (the rest of a ``run: |`` block), at most 20."""
    if not 0 < line <= len(lines):
        return []
    depth = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    out = [lines[line - 1]]
    for ln in lines[line : line + 19]:
        if ln.strip() and len(ln) - len(ln.lstrip()) < depth:
            break
        out.append(ln)
    return out
