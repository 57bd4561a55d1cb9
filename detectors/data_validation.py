"""Data validation before training: Great Expectations, Pandera, TFDV/TFX, Deepchecks, Soda, whylogs
constraints, dbt tests and custom raising checks, with whether an automated path runs them; feeds D4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops
from mlscan.facts.data_checks import (
    below_ge_conftest,
    check_line,
    cli_tool,
    config_methods,
    conftests,
    custom_check,
    is_called,
    may_check,
    pandera_schemas,
    prefect_ge_runs,
    quarantine_check,
    raises_outside_handlers,
    real_data,
    row_validation,
)
from mlscan.facts.kedro_validation import validated_datasets
from mlscan.facts.orchestration import only_in_uncalled_tasks, words
from mlscan.facts.place import place
from mlscan.facts.pyast import result_used, walk
from mlscan.facts.wiring import wiring
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

# Python files worth parsing: those naming a validation library or API that _classify resolves calls into (with the
# project's Pandera schema names, added at run time) ...
NEEDLES = (b"great_expectations", b"GreatExpectationsOperator", b"pandera", b"tensorflow_data_validation", b"ExampleValidator",
           b"deepchecks", b"soda", b"whylogs", b"QualityCheckStep", b"prefect_great_expectations")
# ... or Pydantic's ``ValidationError`` caught around each row of a table (``row_validation``): the loop over the rows is
# written in the source, else only what ``may_check`` admits can be found (most such files validate requests or configs)
ROW_NEEDLES = (b"ValidationError",)
ROW_LOOPS = (b"iterrows", b"itertuples", b"to_dict", b"iter_rows")
# ... and files with check words that define a custom check function (data_checks.may_check, on the ``def`` lines of the text) or
# sit below a conftest.py importing Great Expectations (its fixtures make ``expect_*``/``validate`` calls GE calls).
CHECK_WORDS = (b"check_", b"validate_", b"verify_", b"data_quality", b"expect_", b"test_data", b"test_schema", b"test_no_missing",
               b"test_missing_values")
_GE_RUN = ("validate", "run_checkpoint", "run_validation_operator")
_TRAINING = lazy_re(r"train|fit\b|retrain")


def _custom_checks(index: FileIndex, path: str) -> bool | None:
    """Does the file define a custom data check (``custom_check``)? None when it does not parse. Derived as the file is
    parsed when it names a check word: files without a library word are then not parsed a second time to find none."""
    tree = index.python(path)
    if tree is None:
        return None
    settings = config_methods(tree)
    return any(isinstance(n, ast.FunctionDef) and id(n) not in settings and custom_check(n) for n in ops.statements(tree)) \
        or _quarantines(tree) is not None


def _quarantines(tree: ast.AST) -> ast.FunctionDef | None:
    """The first check that moves failing files to a reject folder, in a module that raises when nothing valid is left."""
    fn = next((n for n in ops.statements(tree) if isinstance(n, ast.FunctionDef) and quarantine_check(n)), None)
    return fn if fn is not None and raises_outside_handlers(tree) else None


CUSTOM_CHECKS = register_fact("data.validation.custom_checks", _custom_checks, eager=lambda index, path: index.may_mention(path, CHECK_WORDS))


class DataValidation(Detector):
    """Validation of training data (GE, Pandera, TFDV, Deepchecks, Soda, whylogs, dbt, custom checks); feeds D4."""

    id = "data.validation"
    questions = ("D4",)
    globs = ("**/*.py", "**/*.ipynb", "**/great_expectations.yml", ".github/workflows/*", "**/catalog*.yml", "**/catalog*.yaml")
    signals = ("data.validation",)
    # YAML (Soda checks, Kedro catalogs, Great Expectations), what automated commands read, or Python with a library's or
    # a check's words first
    needs_any = (Need(ops.YAML_GLOBS), *needs_of(ops.AUTOMATED_NEEDS), Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, *ROW_NEEDLES, *CHECK_WORDS)))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        tools: set[str] = set()
        for f in self._detect(index):
            tools.add(f.attrs["tool"])
            yield f
        configs = [(e, 1, "great_expectations") for e in index.select(("**/great_expectations.yml",))]
        for e in index.select(ops.YAML_GLOBS):
            doc = next(iter(index.yaml(e.path)), None) if index.contains(e.path, (b"checks for ",)) else None
            key = next((k for k in doc if str(k).startswith("checks for ")), None) if isinstance(doc, dict) else None
            if key is not None:
                configs.append((e, doc.line_of(key), "soda"))
        # Kedro catalog entries validated on load (kedro-pandera metadata, Kedro's ``validator:``): a check of a node's input
        # whenever ``kedro run`` runs the pipeline, when the plugin is installed by default
        for path, line, name, kind, installed, trains in validated_datasets(index):
            automated = installed and bool(trains)  # a dataset only scoring pipelines load is scoring data, not training data
            tools.add(kind)
            yield self.found("data.validation", index, path, line, strength=Strength.STRONG if automated else Strength.WEAK,
                             attrs={"tool": kind, "automated": automated, "before_training": automated, "dataset": name,
                                    **({} if installed else {"install_gated": True}), **({"scoring_data": True} if trains is False else {})})
        for e, line, tool in configs:
            if tool not in tools:  # configured, never run
                tools.add(tool)
                yield self.found("data.validation", index, e.path, line, strength=Strength.WEAK,
                                 attrs={"tool": tool, "automated": False, "before_training": False, "configured_only": True})

    def _detect(self, index: FileIndex) -> Iterator[Finding]:
        schemas, wrappers = pandera_schemas(index)
        # the project's own schema names are not in the scan's vocabulary: checked as text, not words
        schema_needles = tuple(s.encode() for s in schemas)
        for e in index.select(("**/*.py", "**/*.ipynb")):
            library = index.mentions(e.path, NEEDLES) or bool(schema_needles and index.contains(e.path, schema_needles)) or (
                index.mentions(e.path, ROW_NEEDLES) and (index.contains(e.path, ROW_LOOPS) or may_check(index, e)))
            if not (library or (index.mentions(e.path, CHECK_WORDS) and may_check(index, e))):
                continue
            if not library:
                checks = index.fact(e.path, CUSTOM_CHECKS)
                if checks is None:
                    continue  # does not parse
                if not checks and not below_ge_conftest(index, e):
                    continue  # no call _classify reports (no library word, no Great Expectations conftest) and no custom check
            tree = index.python(e.path)
            if tree is None:
                continue
            al, calls = ops.py_calls(index, e)
            ge = ops.imports_module(al, "great_expectations") or any(
                ops.imports_module(ops.py_calls(index, f)[0], "great_expectations") for f in conftests(index, e))
            hits: dict[str, tuple[int, dict]] = {}
            # ``cfg = DataQualityCheckConfig(...)`` then ``QualityCheckStep(quality_check_config=cfg, ...)``
            dq_names = frozenset(t.id for n in ops.statements(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                                 and ops.dotted(n.value.func).endswith("DataQualityCheckConfig") for t in n.targets if isinstance(t, ast.Name))
            serving_side = _serving_lines(tree)
            second: set[str] = set()  # tools whose hit so far validates requests or scoring input, not training data
            for c in calls:
                tool, extra = _classify(c, al, schemas, wrappers, ge, dq_names)
                if tool and (tool not in hits or tool in second):
                    side = c.line in serving_side or bool(words(c.text) & _SERVING_WORDS)
                    if tool not in hits or not side:
                        hits[tool] = (c.line, extra)
                        second.discard(tool)
                        if side:
                            second.add(tool)
            if "great_expectations" not in hits and ops.imports_module(al, "prefect", "prefect_great_expectations"):
                # a validation task of the flow: it blocks the tasks that take its result (Prefect 1) or raises (the collection)
                runs = prefect_ge_runs(tree, al)
                if runs:
                    line, blocking = next((r for r in runs if r[1]), runs[0])
                    hits["great_expectations"] = (line, {"runner": "prefect", **({} if blocking else {"result_discarded": True})})
            if "pandera" in second or ("pandera" not in hits and ops.imports_module(al, "pandera")):
                # pandera's decorators validate a function's arguments or result (``@pa.check_types`` on
                # ``validate_train``): the check of training data when the only call validates requests
                deco = next((d for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno not in serving_side
                             for d in n.decorator_list if ops.dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1] in _PANDERA_DECOS), None)
                if deco is not None:
                    hits["pandera"] = (deco.lineno, hits.get("pandera", (0, {}))[1])
                    second.discard("pandera")  # the training frame's check, not the request's
            if "pandera" not in hits and any(isinstance(n, ast.Import) and any(a.name.startswith("flytekitplugins.pandera") for a in n.names)
                                             or isinstance(n, ast.ImportFrom) and (n.module or "").startswith("flytekitplugins.pandera")
                                             for n in ops.statements(tree)):
                # Flyte's pandera plugin validates every task input and output typed ``pandera.typing.DataFrame[Schema]``
                # when the task runs: cited at the training task's signature, else the first typed task
                typed = [n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno not in serving_side
                         and any(ops.dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1] == "task" for d in n.decorator_list)
                         and _pandera_typed(n, al)]
                fn = next((n for n in typed if _TRAINING.search(n.name)), typed[0] if typed else None)
                if fn is not None:  # the task decorator, read with the signature it types
                    hits["pandera"] = (min([fn.lineno, *(d.lineno for d in fn.decorator_list)]), {})
            if "great_expectations" in hits and not hits["great_expectations"][1]:
                runs = [c for c in calls if ge and (c.attr in ("run_checkpoint", "run_validation_operator") or c.attr == "run" and "checkpoint" in c.text.lower())]
                if runs and not any(result_used(tree, c.node) for c in runs):
                    line, extra = hits["great_expectations"]
                    hits["great_expectations"] = (line, {**extra, "result_discarded": True})
            if "custom" not in hits and not ops.imports_module(al, "fastapi", "flask", "pydantic"):
                test = place(index, e).kind == "test"
                settings = config_methods(tree)  # a settings class's checks validate its settings, not data
                fn = next((n for n in ops.statements(tree) if isinstance(n, ast.FunctionDef) and id(n) not in settings and custom_check(n)
                           and (test or is_called(index, n.name))), None)
                if fn is None and (q := _quarantines(tree)) is not None and is_called(index, q.name):
                    fn = q
                if fn is not None:
                    hits["custom"] = (check_line(fn), {})  # at the check that fails on bad data, not the function's opening lines
            if "custom" not in hits and ops.imports_module(al, "pydantic"):
                fn = next((n for n in ops.statements(tree) if isinstance(n, ast.FunctionDef) and row_validation(n) and is_called(index, n.name)), None)
                if fn is not None:
                    hits["pydantic"] = (fn.lineno, {})
            for tool, (line, extra) in hits.items():
                if tool in second:  # the module's only check of this kind validates requests or scoring input
                    extra = {**extra, "serving_side": True}
                where = place(index, e).kind
                if where == "test" and not real_data(index, e):
                    continue  # schema tests on fixtures
                automated, before = _automation(index, e, where)
                if tool == "sagemaker-quality-check" and not any(c.attr in ("TrainingStep", "TuningStep", "fit") or c.attr.endswith("Estimator")
                                                                  for c in calls):
                    extra = {**extra, "scoring_data": True}  # a pipeline that trains nothing checks the data it scores
                if automated and only_in_uncalled_tasks(index, e, tree, line):
                    extra = {**extra, "uncalled_task": True}  # reached only through a task no flow runs (defined, never called)
                if extra.get("skip_check") or extra.get("result_discarded") or extra.get("scoring_data") or extra.get("uncalled_task") \
                        or extra.get("serving_side"):
                    automated = False  # a check whose outcome nothing reads stops nothing; scoring data is not training data
                ln, snip = ops.locate(index, e, line)
                src = index.lines(e.path)
                end = None
                if 0 < ln < len(src) and (snip or src[ln - 1]).lstrip().startswith("@"):  # a decorator is read with the function it checks
                    end = next((j for j in range(ln + 1, min(len(src), ln + 5) + 1) if src[j - 1].lstrip().startswith(("def ", "async def "))), None)
                    snip = "\n".join(x.strip() for x in src[ln - 1:end]) if end else snip
                strength = Strength.STRONG if automated else Strength.WEAK if where in ("notebook", "exploration") or extra else Strength.MEDIUM
                before = before or bool(_TRAINING.search(e.vpath.rsplit("/", 1)[-1])) or any(c.attr in ("fit", "train") for c in calls)
                yield self.found("data.validation", index, e.path, ln, snippet=snip, end_line=end, strength=strength,
                                 attrs={"tool": tool, "automated": automated, "before_training": before and automated, **extra})
        for cmd in ops.automated_commands(index):
            tool = cli_tool(cmd.text, index)
            if tool:
                before = any(c.root == cmd.root and c.seq > cmd.seq and _TRAINING.search(c.text) for c in ops.automated_commands(index))
                yield self.found("data.validation", index, cmd.path, cmd.line, snippet=cmd.text, strength=Strength.STRONG,
                                 attrs={"tool": tool, "automated": True, "before_training": before})


# a validation of what a served model receives (``validate_inference(df)``, ``request_schema.validate(body)``) is not a
# check of training data: cited only when the module validates nothing else
_SERVING_WORDS = frozenset({"inference", "predict", "prediction", "predictions", "request", "requests", "serve", "serving", "api",
                            "endpoint", "scoring", "payload"})


_MODEL_OUTPUTS = lazy_re(r"(?i)importance|prediction|output|explanation|shap|forecast")
_PANDERA_DECOS = frozenset({"check_types", "check_input", "check_output", "check_io"})


def _pandera_typed(fn: ast.FunctionDef | ast.AsyncFunctionDef, al: dict[str, str]) -> bool:
    """A parameter or the result annotated with pandera's ``DataFrame[Schema]`` (``pandera.typing.DataFrame``)."""
    notes = [a.annotation for a in [*fn.args.args, *fn.args.kwonlyargs] if a.annotation is not None]
    return any(isinstance(x, ast.Subscript) and (ops.qualname(x.value, al) or "").startswith("pandera.typing")
               for note in notes for x in walk(note))


def _serving_lines(tree: ast.AST) -> set[int]:
    """The lines of functions named for serving (``validate_inference``, ``check_request``)."""
    out: set[int] = set()
    for n in walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and words(n.name) & _SERVING_WORDS:
            out.update(range(n.lineno, (n.end_lineno or n.lineno) + 1))
    return out


def _classify(c: ops.PyCall, al: dict[str, str], schemas: set[str], wrappers: set[str], ge: bool,
              dq_names: frozenset[str] = frozenset()) -> tuple[str | None, dict]:
    q = c.qual
    if ge:
        if c.attr.startswith("expect_") or c.attr in _GE_RUN or (c.attr == "run" and "checkpoint" in c.text.lower()):
            return "great_expectations", {}
    if "GreatExpectationsOperator" in q:
        return "great_expectations", {}
    parts = c.text.split(".")
    if len(parts) >= 2 and parts[-2] in schemas and (c.attr == "validate" or c.attr in wrappers):
        # a schema of what the model produces (``FeatureImportancesSchema``, ``PredictionsSchema``), not of the data it learns from
        return "pandera", ({"model_outputs": True} if _MODEL_OUTPUTS.search(parts[-2]) else {})
    if q.startswith("tensorflow_data_validation.") and c.attr.startswith("validate_"):
        return "tfdv", {}
    # ``tfx.components.ExampleValidator``, or imported from its own module (``tfx.components.example_validator.component``)
    if q.startswith("tfx") and q.endswith(".ExampleValidator") and ".components." in q + ".":
        return "tfx", {}
    if q.startswith("deepchecks.") and (c.attr in ("data_integrity", "train_test_validation", "full_suite") or ".checks." in q):
        return "deepchecks", {}
    if q.startswith("soda.scan.Scan"):
        return "soda", {}
    if q.startswith("whylogs.core.constraints"):
        return "whylogs", {}
    if q.endswith("quality_check_step.QualityCheckStep"):
        cfg = ops.kwarg(c.node, "quality_check_config")
        if isinstance(cfg, ast.Call) and ops.dotted(cfg.func).endswith("DataQualityCheckConfig") or isinstance(cfg, ast.Name) and cfg.id in dq_names:
            return "sagemaker-quality-check", ({"skip_check": True} if c.kw_value("skip_check") is True else {})
    return None, {}


def _automation(index: FileIndex, e: FileEntry, where: str) -> tuple[bool, bool]:
    """(automated, validation runs before a training command on the same automated path)"""
    if where == "automated":
        chain = " ".join(wiring(index).of(e.vpath).chain)  # type: ignore[union-attr]
        return True, bool(_TRAINING.search(chain))
    cmds = ops.automated_commands(index)
    for cmd in cmds:
        targets = ops.pytest_targets(cmd.text)
        if targets is not None and ops.covered_by(e.vpath, targets, cmd.text):
            return True, any(c.root == cmd.root and c.seq > cmd.seq and _TRAINING.search(c.text) and ops.pytest_targets(c.text) is None for c in cmds)
    return False, False
