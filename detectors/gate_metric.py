"""Metric gates in code: thresholds or champion/challenger comparisons that raise, exit, cancel the run or
decide registration/promotion; MLflow ``validation_thresholds``; shell metric checks in CI. Flags that
switch the gate off (dry run, skip, allow-cancel false, ``continue-on-error``) make it non-blocking. A ZenML deployer
step whose deploy decision comes from a metric-verdict step (``return recall > 0.7``) is gated too, and so is a promotion
by file copy (``shutil.copy``/upload/saving over the served model only when better, on an automated path) and a deploying
CI job run only on a verdict's flag (``needs.<job>.outputs.<flag> == 'true'``, a GitLab dotenv variable); feeds M4."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from mlscan.ci import ci_model
from mlscan.detector import Detector
from mlscan.facts import ops, zenml
from mlscan.facts.ci_vocab import test_runner
from mlscan.facts.commands import collected_tests
from mlscan.facts.commands import job_commands as _job_commands
from mlscan.facts.flag_gates import flag_gates
from mlscan.facts.orchestration import PROMOTE_CALLS, at, functions, reach_strength, words
from mlscan.facts.placeholders import split_substitute
from mlscan.facts.pyast import walk
from mlscan.facts.pyeval import Env, caller_params
from mlscan.facts.wiring import file_imports
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_CONTEXT = ("eval", "valid", "regist", "promot", "deploy", "gate", "check", "compar", "champion", "challeng", "threshold", "train",
            "pipeline", "releas", "approv")
# Python files that can hold a gate: something stops the run (raise, exit, cancel, assert) or registers/promotes a model
NEEDLES = (b"raise", b"exit", b"cancel", b"assert", b"validation_thresholds", b"register", b"alias", b"transition_model", b"deploy",
           b"promote", b"zenml", *(d.encode() for d in zenml.DEPLOYERS))
# Outside a path named for evaluation/promotion (_CONTEXT) a gate counts only in a file that promotes a model (promotes:
# a PROMOTE_CALLS call, log_model(registered_model_name=...)) or passes MLflow validation_thresholds; the words first,
# then (the words are common) the call itself: the name followed by its parenthesis
PROMOTE_NEEDLES = (*(n.encode() for n in sorted(PROMOTE_CALLS)), b"registered_model_name", b"validation_thresholds")
# ZenML's stage promotions (``set_stage``, ``update_model_version(stage=...)``: ``gates.stage_promotion``) have common words:
# the library's name, then the calls as text
ZENML_PROMOTION = (b"set_stage", b"update_model_version")
# A gate judges a model: in a file on an automated or entry path (CI, pipeline, __main__), or one that works with
# models (an ML, tracking or model-registry library). ``assert score >= 0`` in an unused helper is not a gate.
MODEL_LIBS = (b"sklearn", b"torch", b"tensorflow", b"keras", b"xgboost", b"lightgbm", b"catboost", b"mlflow", b"wandb",
              b"transformers", b"statsmodels", b"prophet", b"pycaret", b"h2o", b"autogluon", b"joblib", b"sagemaker",
              b"aiplatform", b"azureml", b"azure.ai.ml", b"tfx", b"evidently", b"deepchecks", b"neptune", b"comet_ml", b"clearml",
              b"onnx", b"onnxruntime", b"pytorch_lightning", b"lightning", b"jax", b"flax", b"spacy", b"gensim", b"fastai", b"ultralytics")
_PROMOTE_KWARGS = ("registered_model_name", "validation_thresholds")
# a file that may promote a model by copying it only when a metric allows (code_gates: a ``file-copy`` gate): a file copy
# or object-store upload, and a metric word
COPY_NEEDLES = (b"shutil", b"os.replace", b"os.rename", b"upload_file", b"upload_fileobj", b"put_object", b"copy_object",
                b"upload_from_filename", b"upload_blob", b"copy_blob", b"start_copy_from_url")
METRIC_NEEDLES = (b"accuracy", b"acc", b"auc", b"f1", b"rmse", b"mse", b"mae", b"r2", b"score", b"metric", b"metrics", b"loss",
                  b"precision", b"recall")
# ... or saves the new model over the served one only when it beats it (a save, a word for the served model, a metric)
SAVE_NEEDLES = (b"dump", b"save", b"save_model")
BASELINE_NEEDLES = (b"prod", b"production", b"champion", b"baseline", b"current", b"best", b"latest", b"previous", b"incumbent",
                    b"deployed")


def _may_copy(mentions: Callable[[str, tuple[bytes, ...]], bool], path: str) -> bool:
    """May the file promote a model by copying or saving it only when a metric allows (a ``file-copy`` gate)?"""
    return mentions(path, METRIC_NEEDLES) and (mentions(path, COPY_NEEDLES) or mentions(path, SAVE_NEEDLES) and mentions(path, BASELINE_NEEDLES))


# (its needle, its use) for _mentions_promotion: each PROMOTE_CALLS name called (``name(``, ``name (``: the parenthesis
# within 40 characters) and each promotion keyword, ending a whole identifier; the pattern starts with the name, which
# the regex engine scans for as a literal, and the character before a match is checked in code
_PROMOTE_NAMES = tuple(((name.encode(),), lazy_re(re.escape(name) + (r"(?!\w)" if name in _PROMOTE_KWARGS else r"\s{0,39}\(")))
                       for name in (*sorted(PROMOTE_CALLS), *_PROMOTE_KWARGS))


def _ident(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_PROMOTE_PREFIXED = lazy_re(r"\bpromote_\w+\s*\(")  # promote_to_prod(...), promote_to_production(...)


# an ordering comparison's operator as source text writes it (``<``, ``<=``, ``>``, ``>=``): neither the arrow ``->`` of a
# return annotation nor a shift (``<<``, ``>>``, ``>>=``); two thirds of PrefectHQ/prefect's modules hold none
_ORDERING = lazy_re(r"(?<![-<>])>(?!>)|(?<!<)<(?!<)")


def _compares_nothing(index: FileIndex, path: str, calls: tuple[str, ...] = ()) -> bool:
    """Is the Python file's code, as its text writes it, free of any ordering operator and of any of ``calls`` (method
    names that compare: ``assertGreater``)? False when not known from the text: a template or notebook (the code parsed
    is not the text as written), non-ASCII text with ``calls`` (identifiers are NFKC-normalised when parsed), unreadable."""
    e = index.entry(path)
    if not path.endswith(".py") or e is None or e.template:
        return False
    text = index.text(path)
    if text is None or _ORDERING.search(text) is not None:
        return False
    return not calls or text.isascii() and not any(c in text for c in calls)


def _predicates_fact(index: FileIndex, path: str) -> list[str] | None:
    """``metric_predicates`` of one file, sorted; None when it does not parse. Every metric verdict rests on an ordering
    comparison of a metric (``metric_compare``): a Python file whose text holds no ordering operator has none, and is
    not parsed for them (``_compares_nothing``)."""
    if _compares_nothing(index, path):
        return []
    tree = index.python(path)
    if tree is None:
        return None
    from mlscan.facts.gates import metric_predicates  # (mlscan.facts.gates is imported where a file can hold a gate)

    return sorted(metric_predicates(tree))


PREDICATES = register_fact("gates.metric_predicates", _predicates_fact)
_MAX_IMPORTED = 20  # project modules read for metric verdicts per file


def _predicates(index: FileIndex, e: FileEntry) -> frozenset[str]:
    """Metric verdicts (``metric_predicates``) defined in the file and in the project modules it imports: a test class
    of model checks kept in its own module (``from checks import ModelChecks``)."""
    out = set(index.fact(e.path, PREDICATES) or ())
    seen = 0
    for dotted in file_imports(index, e) or ():
        parts = dotted.split(".")
        for cand in index.select((f"**/{parts[-1]}.py",)):
            key = cand.vpath[:-3].split("/")
            if cand.test or cand.path == e.path or key[-len(parts):] != parts or seen >= _MAX_IMPORTED:
                continue
            seen += 1
            if index.mentions(cand.path, (b"return",)):
                out |= set(index.fact(cand.path, PREDICATES) or ())
    return frozenset(out)


def _gateless_fact(index: FileIndex, path: str) -> list[bool] | None:
    """[no code gate (``code_gates`` of the module, no metric verdict known), no threshold search (``search_gates``)], each
    looked for where the visit looks (or may: a word outside the scan's vocabulary): read from the tree alone; None when
    the file does not parse. The file's own metric verdicts (PREDICATES), which the visit asks too, are derived with it."""
    tree = index.python(path)
    if tree is None:
        return None
    from mlscan.facts.gates import code_gates, search_gates

    index.fact(path, PREDICATES)  # the visit asks them too: derived while the tree is at hand
    code = code_gates(tree.body, (), thresholds=index.may_mention(path, (b"validation_thresholds",)))
    search = search_gates(tree) if index.may_mention(path, (b"search_runs",)) else iter(())
    return [next(code, None) is None, next(search, None) is None]


def _may_gate(index: FileIndex, path: str) -> bool:
    """``MetricGate.wants`` for an eager fact: on an evaluation/promotion path whatever the file's reach and libraries (the
    graph is not built yet), else naming a promotion; words may be unsure."""
    e = index.entry(path)
    if e is None or e.test:
        return False
    keeps = index.may_mention(path, (b"threshold",)) and index.may_mention(path, (b"save_model", b"log_model")) \
        or _may_copy(index.may_mention, path)
    if not keeps and not index.may_mention(path, NEEDLES):
        return False
    return keeps or any(w.startswith(_CONTEXT) for w in words(e.vpath)) or _mentions_promotion(index, e, eager=True)


GATELESS = register_fact("gates.gateless", _gateless_fact, eager=_may_gate)


def _gateless(index: FileIndex, e: FileEntry, predicates: frozenset[str]) -> bool:
    """Does the file hold no gate (``MetricGate.visit`` finds none), told without its tree? ``code_gates`` finds more gates
    with metric verdicts (``predicates``) only where an ``if`` reads one of them, by name: a file whose text names none of
    them finds what GATELESS found without them."""
    fact = index.fact(e.path, GATELESS)
    if fact is None:
        return True  # does not parse: no gate
    code_free, search_free = fact
    if not code_free or not search_free:
        return False
    return not any(index.contains(e.path, (p.encode(),)) for p in sorted(predicates))


def _mentions_promotion(index: FileIndex, e: FileEntry, eager: bool = False) -> bool:
    """A PROMOTE_CALLS name called (``name(`` / ``name (``) or a promotion keyword, as whole identifiers in the text.
    A pattern per name, led by the name (one regex alternation over every file was several times slower; a
    ``str.find`` loop in Python paid for every ``deploy_*`` identifier of a large code base). A whole identifier has
    its words among the file's words, so in a source file only the names ``index.mentions`` finds are looked for (a
    notebook's words are those of its code cells: its whole text is searched). ``eager``: for an eager fact's predicate,
    which asks no word outside the scan's vocabulary (``may_mention``)."""
    mentions = index.may_mention if eager else index.mentions
    if mentions(e.path, (b"zenml",)) and index.contains(e.path, ZENML_PROMOTION):
        return True
    if not mentions(e.path, PROMOTE_NEEDLES):
        return False
    text = index.text(e.path) or ""
    if mentions(e.path, (b"promote",)) and _PROMOTE_PREFIXED.search(text):
        return True
    notebook = e.suffix == ".ipynb"
    for needle, use in _PROMOTE_NAMES:
        if not notebook and not mentions(e.path, needle):
            continue
        for m in use.finditer(text):
            i = m.start()
            if i == 0 or not _ident(text[i - 1]):
                return True
    return False


class MetricGate(Detector):
    """Blocking metric thresholds / champion-challenger checks before registration or promotion; feeds M4."""

    id = "gate.metric"
    questions = ("M4",)
    globs = ("**/*.py", "**/*.ipynb", ".github/workflows/*")
    signals = ("gate.metric",)

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        if e.test:
            return False
        # a file that may keep a model only when a metric meets a threshold (code_gates: ``keep_threshold``)
        # or copy a model to where it is served only when a metric allows (code_gates: a ``file-copy`` gate)
        keeps = index.mentions(e.path, (b"threshold",)) and index.mentions(e.path, (b"save_model", b"log_model")) \
            or _may_copy(index.mentions, e.path)
        if not keeps and not index.mentions(e.path, NEEDLES):
            return False
        if not any(w.startswith(_CONTEXT) for w in words(e.vpath)):
            return keeps or _mentions_promotion(index, e)
        # on an evaluation/promotion path: the cheap word test before the text search and the reach
        return index.mentions(e.path, MODEL_LIBS) or _mentions_promotion(index, e) or reach_strength(index, e)[0] is not Strength.WEAK

    visit_reads_tree = False  # the file fact GATELESS tells most files apart without their tree; the others are parsed here

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        predicates = _predicates(index, e)
        if predicates and index.mentions(e.path, (b"zenml",)) or not _gateless(index, e, predicates):
            tree = index.python(e.path)
        else:
            tree = None  # no gate, whatever the file's reach (below): nothing to report
        if tree is None:
            return
        from mlscan.facts.gates import azureml_gate_bypassed, ci_runs_blocking, code_gates, exits_before, promotes, search_gates

        yield from self._zenml_gates(index, e, tree, predicates)
        gates = list(code_gates(tree.body, (), thresholds=index.mentions(e.path, (b"validation_thresholds",)),
                                predicates=predicates))
        if index.mentions(e.path, (b"search_runs",)):
            gates += search_gates(tree)
        context = any(w.startswith(_CONTEXT) for w in words(e.vpath))
        if not gates or not (context or promotes(tree) or any(g.kind in ("mlflow_thresholds", "keep_threshold") or g.tool == "file-copy" for g in gates)):
            return
        strength, how = reach_strength(index, e)
        env = Env(tree, caller_params(index, e))
        ci_blocking = ci_runs_blocking(index, e) and not azureml_gate_bypassed(index, how)
        substitute = {"split_substitute": True} if split_substitute(tree) else {}  # gates a metric of a stand-in split
        for g in gates:
            blocking = ci_blocking and not exits_before(tree, env, g.line) and any(all(env.truth(t, ln) in (want, None) for t, want, ln in p) for p in g.paths)
            # a verdict assigned above the ``if`` that acts on it: the comparison leads, the ``if`` beside it
            extra = (self.evidence(index, e.path, **at(index, e, g.line), strength=strength),) if g.compare else ()
            lines = {"end_line": g.compare_end} if g.compare and e.suffix != ".ipynb" and g.compare_end > g.compare else {}
            # a promotion by file copy is the served model's only when an automated path runs it, not a script run by hand
            st = Strength.WEAK if g.tool == "file-copy" and strength is not Strength.STRONG else strength
            yield self.found("gate.metric", index, e.path, **at(index, e, g.compare or g.line), **lines, strength=st, extra=extra,
                             attrs={"tool": g.tool, "blocking": blocking, "kind": g.kind, "reached": how, **substitute})

    def _zenml_gates(self, index: FileIndex, e: FileEntry, tree: ast.Module, predicates: frozenset[str]) -> Iterator[Finding]:
        """A ZenML deployment decided by a metric-verdict step: the pipeline that wires them is in this module (current
        API) or in a project module the run script imports (legacy API)."""
        if not predicates or not index.mentions(e.path, (b"zenml",)):
            return
        al = ops.aliases(tree)
        if not ops.imports_module(al, "zenml"):
            return
        local = functions(tree)
        for d in zenml.deployments(tree, zenml.through_project(index, e, al)):
            pipeline_def = local.get(d.pipeline) or next(
                (f for m in ops.local_imports(index, e) if (t := index.python(m.path)) is not None
                 for f in walk(t) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == d.pipeline), None)
            line = zenml.gated_by(d, pipeline_def, predicates)
            if line is None:
                continue
            strength, how = reach_strength(index, e)
            yield self.found("gate.metric", index, e.path, **at(index, e, line), strength=strength,
                             attrs={"tool": "zenml", "blocking": True, "kind": "threshold", "reached": how})
            return

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield from self._test_gates(index)
        for f in flag_gates(index):
            # the comparison leads; the ``if:`` that runs the deploying job only on its flag beside it
            yield self.found("gate.metric", index, f.path, f.line, strength=Strength.STRONG,
                             extra=(self.evidence(index, f.workflow, f.condition_line, strength=Strength.STRONG),),
                             attrs={"tool": "ci", "blocking": True, "kind": "output_flag", "job": f.job})
        for job in ci_model(index).active_jobs():
            from mlscan.facts.gates import shell_gate

            for step in job.steps:
                if step.active and shell_gate(step.command):
                    yield self.found("gate.metric", index, step.path, step.line, strength=Strength.STRONG,
                                     attrs={"tool": "ci", "blocking": step.blocking, "kind": "shell_threshold"})

    def _test_gates(self, index: FileIndex) -> Iterator[Finding]:
        seen: set[str] = set()
        for path, line, blocking in _test_gate_hits(index):
            if path not in seen:
                seen.add(path)
                yield self.found("gate.metric", index, path, line, strength=Strength.STRONG,
                                 attrs={"tool": "ci-tests", "blocking": blocking, "kind": "test_assert"})


_PROMOTE_CMD = lazy_re(r"\b(promot\w*|deploy\w*|register\w*|transition\w*|release|rollout)\b", re.I)


def _test_gate_hits(index: FileIndex) -> Iterator[tuple[str, int, bool]]:
    """(test file, line, blocking) of metric assertions in tests that a CI job runs before a step of the same job, or of
    a job that needs it, promotes/deploys/registers the model: the promotion waits for them."""
    jobs = ci_model(index).active_jobs()
    for job in jobs:
        cmds = [c for c in _job_commands(index, job) if c.active]
        followers = [c for j in jobs if job.name in j.needs for c in _job_commands(index, j) if c.active]
        for i, c in enumerate(cmds):
            runner = test_runner(c.text)
            if runner not in ("pytest", "unittest", "python", "nose", "nose2"):
                continue
            if not any(_PROMOTE_CMD.search(x.text) and not test_runner(x.text) for x in [*cmds[i + 1:], *followers]):
                continue
            for e in collected_tests(index, c, runner):
                line = index.fact(e.path, ASSERTION)
                if line:
                    yield e.path, line, c.blocking
                    break


def _assertion_fact(index: FileIndex, path: str) -> int:
    """The line of the test file's first metric assertion (``metric_assertion``), 0 when none or it does not parse: a file
    fact, as several jobs' test commands collect the same test files. A metric assertion is an ordering comparison
    (``assert acc >= 0.8``, ``assertTrue(rmse < 5)``) or ``assertGreater``/``assertLess`` (and their ``Equal`` forms): a
    test file whose text holds none of them has none, and is not parsed for it (kubeflow/pipelines: 337 of 402)."""
    if _compares_nothing(index, path, _COMPARING_ASSERTS):
        return 0
    tree = index.python(path)
    if tree is None:
        return 0
    from mlscan.facts.gates import metric_assertion

    hit = metric_assertion(tree)
    return hit.lineno if hit is not None else 0


ASSERTION = register_fact("gates.metric_assertion", _assertion_fact)
_COMPARING_ASSERTS = ("assertGreater", "assertLess")  # and assertGreaterEqual, assertLessEqual: gates._ASSERT_CMP
