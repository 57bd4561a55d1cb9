"""Data checks in Python projects: Pandera schemas the project defines (and its helpers that call ``validate``),
custom check functions (named for a data check, failing loudly on a table), Great Expectations fixtures in a
conftest.py, tests that load real data rather than hand-made frames, and the validation command-line tools
(Great Expectations checkpoints, Soda scans, dbt tests)."""

from __future__ import annotations

import ast
import re

from mlscan.facts import ops
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex

from ..lazyre import lazy_re

_DEF = lazy_re(r"def\s+(\w+)")
_CUSTOM = lazy_re(r"^(test_)?(validate|check|verify)_(raw_|input_|training_|train_)?(data|dataset|df|dataframe|schema|"
                     r"missing_values|nulls?|distribution|data_quality|quality|integrity|columns|features)(_|$)|data_quality|"
                     # per-sample checks of a training set read by a data loader (``verify_image_label``, ``check_labels``,
                     # ``validate_sample``): each image/label/record pair is checked, and bad ones stop the run or are dropped
                     r"^(verify|validate|check)_(images?|imgs?|labels?|samples?|annotations?|records?)(_(and_)?(images?|labels?|annotations?|masks?|targets?))?$|"
                     # data tests named for what they check (``test_data_schema``, ``test_no_missing_values``): checks of a
                     # dataset when the test loads real data (``real_data``), schema tests on fixtures otherwise
                     r"^test_(raw_|input_|training_|train_)?(data_)?(schema|columns|dtypes|no_(missing|null|nan)s?(_values)?|"
                     r"missing_values|nulls?|nans?|no_duplicates|duplicates|value_ranges?|ranges?|label_values)(_|$)")
_READERS = ("read_csv", "read_parquet", "read_json", "read_table", "read_feather", "read_excel", "read_sql", "load_dataset")
_FRAME_ATTRS = {"isnull", "isna", "notnull", "dtypes", "dtype", "columns", "shape", "nunique", "duplicated", "describe", "values",
                "empty", "index", "between", "isin", "unique", "value_counts", "mean", "std", *_READERS}
# an attribute access ``.name`` of one of _FRAME_ATTRS as Python can write it: between the dot and the name, spaces,
# a backslash continuation, and inside brackets line breaks and comments (a superset: strings and comments count too)
_FRAME_ATTR_USE = lazy_re(r"\.(?:[ \t\f]|\\\r?\n|\r?\n|#[^\r\n]*+)*+(?:" + "|".join(sorted(_FRAME_ATTRS)) + r")\b")


def may_check(index: FileIndex, e: FileEntry) -> bool:
    """Without a library needle, a file can still hold a custom check or Great Expectations calls set up in a conftest."""
    if below_ge_conftest(index, e) or e.template:
        return True
    text = index.text(e.path) or ""
    names = _DEF.findall(text)
    if not any(_CUSTOM.search(name) for name in names):
        # a check that quarantines failing files (``quarantine_check``): named for a check, moving files to a reject folder
        # (the words first: a case-blind search of the whole text cost the 100k synthetic repository ~10 s of CPU)
        return (any(_CHECK_NAME.search(n) for n in names) and index.mentions(e.path, _MOVE_WORDS)
                and _MOVE_CALL.search(text) is not None and _QUARANTINE.search(text) is not None)
    # custom_check needs a table attribute in the function (a notebook's code is JSON-escaped in its text: not checked)
    return e.path.endswith(".ipynb") or _FRAME_ATTR_USE.search(text) is not None


def below_ge_conftest(index: FileIndex, e: FileEntry) -> bool:
    """A conftest.py naming Great Expectations sits in the file's directory or above (only such a conftest can
    make ``ge`` true for a file that does not name it itself)."""
    ge_dirs = index.memo("data-validation-ge-conftest-dirs", lambda: {
        f.vpath.rpartition("/")[0] for f in index.select(("**/conftest.py",)) if index.mentions(f.path, (b"great_expectations",))})
    return any(not d or e.vpath.startswith(d + "/") for d in ge_dirs)



def pandera_schemas(index: FileIndex) -> tuple[set[str], set[str]]:
    """Names of Pandera schemas defined in the project and of helper methods that call ``validate``."""
    names: set[str] = set()
    wrappers: set[str] = set()
    for _e, tree in index.python_files((b"pandera",)):
        al = ops.aliases(tree)
        if not ops.imports_module(al, "pandera"):
            continue
        for node in walk(tree):
            if isinstance(node, ast.ClassDef) and any(ops.dotted(b).endswith(("DataFrameModel", "SchemaModel")) or ops.dotted(b) in names for b in node.bases):
                names.add(node.name)
                for fn in node.body:
                    if isinstance(fn, ast.FunctionDef) and any(isinstance(n, ast.Attribute) and n.attr == "validate" for n in walk(fn)):
                        wrappers.add(fn.name)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and (ops.qualname(node.value.func, al) or "").endswith("DataFrameSchema"):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names, wrappers


def custom_check(fn: ast.FunctionDef) -> bool:
    """A data check by name that fails loudly (raise/assert) and looks at a table, not at a config."""
    if not _CUSTOM.search(fn.name) or any("validator" in ops.dotted(d.func if isinstance(d, ast.Call) else d) for d in fn.decorator_list):
        return False
    nodes = list(walk(fn))
    fails = any(isinstance(n, (ast.Raise, ast.Assert)) for n in nodes)
    return fails and any(isinstance(n, ast.Attribute) and n.attr in _FRAME_ATTRS for n in nodes) and not presence_only(fn)


# a class that holds settings (``class DiffusionConfig(PreTrainedConfig)``, ``TrainingArguments``, ``ModelParams``): its
# checks (``if self.crop_shape[0] > image.shape[1]: raise``) validate the settings against each other, not data
_CONFIG_CLASS = lazy_re(r"(?:Config|Configuration|Settings|Options|Params|HParams|Hyperparameters|Args|Arguments)$")


def config_methods(tree: ast.AST) -> set[int]:
    """``id`` of every method of the module's configuration classes (named, or derived from a class named, for
    settings: ``_CONFIG_CLASS``): a check there is a configuration check, never a data check."""
    out: set[int] = set()
    for n in walk(tree):
        if isinstance(n, ast.ClassDef) and (_CONFIG_CLASS.search(n.name) or any(
                _CONFIG_CLASS.search(ops.dotted(b).rsplit(".", 1)[-1]) for b in n.bases)):
            out |= {id(f) for f in n.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return out


def _failing_tests(fn: ast.FunctionDef) -> list[ast.expr]:
    """The tests that make a check fail: ``assert`` tests and the tests of ``if`` statements that raise."""
    return [n.test for n in walk(fn) if isinstance(n, ast.Assert)
            or isinstance(n, ast.If) and any(isinstance(x, ast.Raise) for st in n.body for x in walk(st))]


def _columns(node: ast.AST) -> bool:
    """``df.columns``, or it wrapped (``set(df.columns)``, ``list(df.columns)``, ``df.columns.tolist()``)."""
    return any(isinstance(x, ast.Attribute) and x.attr == "columns" for x in walk(node))


def _presence(test: ast.AST, assigned: dict[str, ast.expr], depth: int = 0) -> bool:
    """Does a test only ask which columns a table has (``"target" not in df.columns``, ``set(cols).issubset(df.columns)``,
    ``missing`` assigned ``[c for c in cols if c not in df.columns]``)?"""
    if depth > 3:
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _presence(test.operand, assigned, depth + 1)
    if isinstance(test, ast.BoolOp):
        return all(_presence(v, assigned, depth + 1) for v in test.values)
    if isinstance(test, ast.Compare) and all(isinstance(op, (ast.In, ast.NotIn)) for op in test.ops):
        return _columns(test.comparators[-1])
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in ("issubset", "issuperset"):
        return _columns(test)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id in ("all", "any", "len", "bool") and test.args:
        return _presence(test.args[0], assigned, depth + 1)
    if isinstance(test, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return all(_presence(c, assigned, depth + 1) for g in test.generators for c in g.ifs) and any(g.ifs for g in test.generators) \
            or _presence(test.elt, assigned, depth + 1)
    if isinstance(test, ast.BinOp) and isinstance(test.op, ast.Sub):
        return _columns(test.right)  # ``set(required) - set(df.columns)``
    if isinstance(test, ast.Name) and test.id in assigned:
        return _presence(assigned[test.id], assigned, depth + 1)
    return False


def presence_only(fn: ast.FunctionDef) -> bool:
    """A check whose every failing test asks only whether named columns exist: a schema check of the table's header,
    not validation of the data in it."""
    tests = _failing_tests(fn)
    assigned = {t.id: n.value for n in walk(fn) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return bool(tests) and all(_presence(t, assigned) for t in tests)


def _reads_frame(node: ast.AST) -> bool:
    return any(isinstance(x, ast.Attribute) and x.attr in _FRAME_ATTRS for x in walk(node))


def _exists_only(test: ast.AST) -> bool:
    """``os.path.exists(p)``, ``os.path.isfile(p)``, ``Path(p).exists()`` (negated or not): whether a file is there."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in ("exists", "isfile", "is_file", "isdir")


def check_line(fn: ast.FunctionDef) -> int:
    """The line of a custom check's deciding test: the first ``assert`` or ``if ...: raise`` that reads the table
    (``assert lb.shape[1] == 5``), else the first of any kind, else the first ``if`` that moves a file aside, else the
    function's own line."""
    tests: list[tuple[int, ast.AST]] = []
    for n in walk(fn):
        if isinstance(n, ast.Assert):
            tests.append((n.lineno, n.test))
        elif isinstance(n, ast.If) and any(isinstance(x, ast.Raise) for st in n.body for x in walk(st)):
            tests.append((n.lineno, n.test))
    tests.sort(key=lambda t: t[0])
    # a name assigned from the table (``actual_columns = header.shape[1]``) reads it too
    framed_names = {t.id for n in walk(fn) if isinstance(n, ast.Assign) and _reads_frame(n.value) for t in n.targets if isinstance(t, ast.Name)}
    framed = next((ln for ln, t in tests if _reads_frame(t) or any(isinstance(x, ast.Name) and x.id in framed_names for x in walk(t))), None)
    # a test that the data file exists (``assert os.path.exists(datafile)``) checks no data: any other test first
    real = [ln for ln, t in tests if not _exists_only(t)]
    if framed or tests:
        return framed or (real[0] if real else tests[0][0])
    # a quarantining check decides at the test that moves a failing file aside (``if not re.match(...): shutil.move(...)``)
    moves = [n.lineno for n in walk(fn) if isinstance(n, ast.If) and any(
        isinstance(x, ast.Call) and isinstance(x.func, ast.Attribute) and x.func.attr in _MOVES for st in n.body for x in walk(st))]
    return min(moves, default=fn.lineno)


# Quarantining validation (a raw-data validation stage as the common "end-to-end ML project" templates write it): each
# incoming file is checked (its name against a regex, its column count, columns that are all null) and a failing file
# is moved to an ``invalid``/``bad``/``rejected`` folder; the stage raises when no valid file is left, so training never
# sees bad files and stops when there is nothing good to train on
_CHECK_NAME = lazy_re(r"^(validate|check|verify)_\w+")
_QUARANTINE = lazy_re(r"(?i)invalid|\bbad|bad_|reject|quarantin|corrupt")
_MOVES = frozenset({"move", "copy", "copy2", "copyfile", "rename", "replace"})
_INSPECTS = _FRAME_ATTRS | {"count", "match", "fullmatch", "search"}
_MOVE_WORDS = (b"shutil", b"rename", b"replace")  # a word of each _MOVE_CALL form, for the words index
_MOVE_CALL = lazy_re(r"\b(?:shutil\.(?:move|copy\w*)|os\.(?:rename|replace)|\.rename)\(")


def quarantine_check(fn: ast.FunctionDef) -> bool:
    """A check by name (``validate_col_length``, ``validate_raw_fname``) that inspects a table or a file name and moves or
    copies what fails into a folder named for rejects (``shutil.move(file, cfg.invalid_data_dir)``)."""
    if not _CHECK_NAME.search(fn.name):
        return False
    nodes = list(walk(fn))
    moves = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _MOVES
                and any(_QUARANTINE.search(ops.dotted(a) or (a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else ""))
                        for a in n.args[1:]) for n in nodes)
    return moves and any(isinstance(n, ast.Attribute) and n.attr in _INSPECTS for n in nodes)


def raises_outside_handlers(tree: ast.AST) -> bool:
    """The module raises somewhere other than in an ``except`` clause (where it only re-wraps an error)."""
    handled = {id(x) for n in walk(tree) if isinstance(n, ast.ExceptHandler) for x in walk(n)}
    return any(isinstance(n, ast.Raise) and id(n) not in handled for n in walk(tree))


_ROW_ITER = ("iterrows", "itertuples", "to_dicts", "iter_rows")


def row_validation(fn: ast.FunctionDef) -> bool:
    """The rows of a table checked one by one against a Pydantic model (``for _, row in df.iterrows(): try:
    Model(**row.to_dict()) except ValidationError: ...``, also ``to_dict("records")`` and ``model_validate``): bad rows
    are dropped or stop the run. Request validation in a web app never loops over a table's rows."""
    for loop in walk(fn):
        if not isinstance(loop, ast.For):
            continue
        it = loop.iter
        rows = isinstance(it, ast.Call) and (ops.dotted(it.func).rsplit(".", 1)[-1] in _ROW_ITER or ops.dotted(it.func).endswith("to_dict")
                                              and any(isinstance(a, ast.Constant) and a.value == "records" for a in [*it.args, *(k.value for k in it.keywords)]))
        if not rows:
            continue
        for t in walk(loop):
            if isinstance(t, ast.Try) and any(h.type is not None and ops.dotted(h.type).endswith("ValidationError") for h in t.handlers):
                if any(isinstance(c, ast.Call) and (isinstance(c.func, ast.Name) and c.func.id[:1].isupper() or
                                                     ops.dotted(c.func).endswith(("model_validate", "parse_obj")))
                       for st in t.body for c in walk(st)):
                    return True
    return False


def is_called(index: FileIndex, name: str) -> bool:
    """Some project Python file calls a function or method of this name."""
    needle = (name.encode(),)  # the called name stands verbatim in the source: a substring check before the parse
    return any(c.attr == name or _passed(c.node, name) for e in index.select(("**/*.py",)) if index.contains(e.path, needle)
               for c in ops.py_calls(index, e)[1])


def _passed(call: ast.Call, name: str) -> bool:
    """The function is handed to a call that runs it: ``pool.imap(verify, items)``, ``executor.submit(check, df)``,
    ``map(check, rows)``, ``df.apply(check)``."""
    return any(isinstance(a, ast.Name) and a.id == name or isinstance(a, ast.Attribute) and a.attr == name for a in call.args)


def conftests(index: FileIndex, e: FileEntry) -> list[FileEntry]:
    """The conftest.py files of the file's directory and every directory above it, nearest first."""
    parts = e.vpath.split("/")[:-1]
    return [f for i in range(len(parts), -1, -1) for f in index.select(("/".join([*parts[:i], "conftest.py"]),)) if f.path != e.path]


def real_data(index: FileIndex, e: FileEntry) -> bool:
    """A test that loads a dataset from outside the test tree (not a hand-made fixture frame)."""
    for f in [e, *conftests(index, e)]:
        for c in ops.py_calls(index, f)[1]:
            if c.attr in _READERS:
                arg = ops.literal(c.node.args[0]) if c.node.args else None
                if not (isinstance(arg, str) and re.search(r"fixture|tests?/|sample|dummy", arg)):
                    return True
    return False




def cli_tool(cmd: str, index: FileIndex) -> str | None:
    """The validation tool a command runs: a Great Expectations checkpoint, a Soda scan, dbt tests (in a dbt project)."""
    words = cmd.split()
    if len(words) >= 3 and words[0] in ("great_expectations", "gx") and "checkpoint" in words and "run" in words:
        return "great_expectations"
    if words[:2] == ["soda", "scan"]:
        return "soda"
    if words[:1] == ["dbt"] and len(words) > 1 and words[1] in ("test", "build") and index.select(("**/dbt_project.yml",)):
        return "dbt"
    return None


# Great Expectations run as an orchestrator task: Prefect 1's task library class (an instance called inside a flow) and the
# prefect-great-expectations collection's task (Prefect 2+). Both fail the task on a failed validation by default (Prefect 1:
# ``signals.VALIDATIONFAIL``; the collection: ``raise_on_validation_failure=True``)
_PREFECT_GE_CLASS = ("prefect.tasks.great_expectations.", "RunGreatExpectationsValidation")
_PREFECT_GE_TASK = ("prefect_great_expectations.", "run_checkpoint_validation")


def prefect_ge_runs(tree: ast.AST, al: dict[str, str]) -> list[tuple[int, bool]]:
    """Great Expectations validations a Prefect flow runs as a task: ``(line, blocking)`` for each run. A Prefect 1
    ``RunGreatExpectationsValidation`` instance called in a flow blocks when its result feeds another task (an argument,
    ``upstream_tasks=[...]``, ``set_upstream``/``set_dependencies``): then the downstream tasks do not run after a failed
    validation; a run nothing depends on only marks the flow failed. The collection's ``run_checkpoint_validation`` blocks
    unless ``raise_on_validation_failure=False`` or ``return_state=True`` turns the failure into a value."""
    classes = {n for n in walk(tree) if isinstance(n, ast.Call) and _is(ops.qualname(n.func, al), _PREFECT_GE_CLASS)}
    instances = {t.id for n in walk(tree) if isinstance(n, ast.Assign) and n.value in classes for t in n.targets if isinstance(t, ast.Name)}
    par = {c: p for p in walk(tree) for c in ast.iter_child_nodes(p)}
    out: list[tuple[int, bool]] = []
    for n in walk(tree):
        if not isinstance(n, ast.Call):
            continue
        if _is(ops.qualname(n.func, al), _PREFECT_GE_TASK):
            off = ops.literal(ops.kwarg(n, "raise_on_validation_failure")) is False or ops.literal(ops.kwarg(n, "return_state")) is True
            out.append((n.lineno, not off))
        elif isinstance(n.func, ast.Name) and n.func.id in instances or n.func in classes:
            out.append((n.lineno, _feeds_a_task(n, par, tree)))
    return sorted(out)


def _is(qual: str | None, spec: tuple[str, str]) -> bool:
    return qual is not None and qual.startswith(spec[0]) and qual.endswith("." + spec[1])


def _feeds_a_task(call: ast.Call, par: dict[ast.AST, ast.AST], tree: ast.AST) -> bool:
    """Does a Prefect 1 task call's result reach another task: nested in its arguments, or assigned to a name that a later
    call takes (an argument, ``upstream_tasks=[v]``, ``t.set_upstream(v)``, ``v.set_downstream(t)``)?"""
    up = par.get(call)
    if isinstance(up, (ast.Call, ast.keyword, ast.List, ast.Tuple)):
        return True
    if not (isinstance(up, ast.Assign) and len(up.targets) == 1 and isinstance(up.targets[0], ast.Name)):
        return False
    name = up.targets[0].id
    for n in walk(tree):
        if not isinstance(n, ast.Call) or n is call or n.lineno < call.lineno:
            continue
        if isinstance(n.func, ast.Attribute) and n.func.attr == "set_downstream" and isinstance(n.func.value, ast.Name) and n.func.value.id == name:
            return True
        if any(isinstance(x, ast.Name) and x.id == name for a in [*n.args, *(k.value for k in n.keywords)] for x in walk(a)):
            return True
    return False
