"""Model performance measured on stored ground truth: code that reads predictions that were served together with the
outcomes or feedback later recorded for them (a feedback table, a ground-truth file, a SQL join of predictions and
labels) and computes a performance metric on them (``accuracy_score(truth, predicted)``, ``correct / total``,
``AVG(CASE WHEN prediction = label ...)``). That is how a drop in a deployed model's performance is seen once labels
arrive (Evidently/NannyML "performance" reports need the same join; Databricks inference-log monitors take a label
column; SageMaker Model Quality merges captured predictions with ground truth). Offline evaluation in a training
script (the module fits a model) measures the model before it is deployed and is not this."""

from __future__ import annotations

import ast
import re

from mlscan.facts.orchestration import call_tail, dotted, fits_model, words
from mlscan.facts.placeholders import route_of
from mlscan.facts.pyast import walk

from ..lazyre import lazy_re

# what was later learned about a served prediction: user feedback, ground truth, the actual outcome
GROUND_TRUTH = lazy_re(r"feedback|ground[\s_-]?truth|groundtruth|\bactuals\b|actual_(?:label|class|value|outcome)|is_correct|"
                       r"correct_(?:label|class)|true_(?:label|class)|\blabels?_table\b|\boutcomes?\b", re.I)
NEEDLES = (b"feedback", b"Feedback", b"ground_truth", b"groundtruth", b"ground truth", b"Ground truth", b"actuals", b"is_correct", b"outcome",
           b"true_label", b"actual_label")
_PREDICTION = lazy_re(r"predict", re.I)
# what a service endpoint receiving the truth for a prediction names it (its parameters, route or function name)
_LABEL_WORDS = frozenset({"label", "labels", "truth", "actual", "actuals", "feedback", "outcome", "correct"})
_PERF_CALLS = frozenset({"accuracy_score", "balanced_accuracy_score", "f1_score", "precision_score", "recall_score", "roc_auc_score",
                         "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "r2_score",
                         "mean_absolute_percentage_error", "classification_report", "matthews_corrcoef", "log_loss",
                         "precision_recall_fscore_support"})
_PERF_WORDS = frozenset({"accuracy", "acc", "f1", "precision", "recall", "auc", "mae", "rmse", "mse", "mape", "error", "hit"})
# reading stored records: a database query, a dataframe read, a document store's query
_READS = frozenset({"execute", "read_sql", "read_sql_query", "read_sql_table", "query", "fetchall", "fetchone", "fetchmany", "read_csv",
                    "read_parquet", "read_json", "read_table", "stream", "find", "scan", "where", "collection", "table", "sql",
                    "get_item", "select", "load_table", "read"})
_SQL = lazy_re(r"\bselect\b[\s\S]{1,2000}?\bfrom\b", re.I)
_SQL_METRIC = lazy_re(r"\bavg\s*\(\s*case\s+when\b|\bsum\s*\(\s*case\s+when\b[\s\S]{1,400}?=|\bcount\s*\([\s\S]{1,200}?\)\s*/", re.I)


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _names(node: ast.AST) -> list[str]:
    return [n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else n.arg
            for n in walk(node) if isinstance(n, (ast.Name, ast.Attribute, ast.arg))]


def _ratio_metrics(node: ast.AST) -> list[int]:
    """Lines of ``accuracy = correct / total`` or ``{"accuracy": correct / total}``: a performance word given a division;
    also a performance gauge set to one (``ACCURACY.set(correct / total)``, ``self.accuracy.set(...)``)."""
    out: list[int] = []
    for n in walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("set", "observe") and n.args \
                and words(dotted(n.func.value)) & _PERF_WORDS and _divides(n.args[0]):
            out.append(n.lineno)
            continue
        if isinstance(n, (ast.Assign, ast.AnnAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(words(t.id) & _PERF_WORDS for t in targets if isinstance(t, ast.Name)) and _divides(n.value):
                out.append(n.lineno)
        elif isinstance(n, ast.Dict):
            out += [k.lineno for k, v in zip(n.keys, n.values, strict=False)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str) and words(k.value) & _PERF_WORDS and _divides(v)]
    return out


def _divides(v: ast.AST | None) -> bool:
    return v is not None and any(isinstance(x, ast.BinOp) and isinstance(x.op, ast.Div) for x in walk(v))


def _feedback_routes(tree: ast.Module) -> int | None:
    """The line where a web service's endpoint that receives the ground truth for earlier predictions (``@app.post(
    "/feedback")`` taking the true label) computes the model's performance on it: ``accuracy_score(y_true, y_pred)``,
    ``accuracy = correct / total``, ``ACCURACY.set(correct / total)`` in the handler or a function of the module it calls.
    The service measures its live model once labels arrive: label-based production monitoring."""
    funcs = {f.name: f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for fn in funcs.values():
        route = route_of(fn)
        if route is None:
            continue
        said = {w for p in [*fn.args.args, *fn.args.kwonlyargs] for w in words(p.arg)} | words(route) | words(fn.name)
        if not (GROUND_TRUTH.search(" ".join([route, fn.name, *(p.arg for p in fn.args.args)])) or said & _LABEL_WORDS):
            continue
        # the handler and the module's functions or methods it calls (one level)
        called = {c.func.id if isinstance(c.func, ast.Name) else c.func.attr for c in walk(fn) if isinstance(c, ast.Call)
                  and isinstance(c.func, (ast.Name, ast.Attribute))}
        scope = [fn, *(funcs[n] for n in sorted(called) if n in funcs and funcs[n] is not fn)]
        lines = [c.lineno for s in scope for c in walk(s) if isinstance(c, ast.Call) and call_tail(c) in _PERF_CALLS] \
            or [ln for s in scope for ln in _ratio_metrics(s)]
        if lines:
            return min(lines)
    return None


# a held-out split of the training data, and words for evaluating a model before it is deployed
_HELD_OUT = frozenset({"test", "testing", "holdout", "val", "valid", "validation", "eval", "evaluate", "evaluation", "backtest"})
# words for predictions that were served: what a deployed model saw and answered
_SERVED = frozenset({"prod", "production", "live", "serving", "served", "inference", "feedback", "captured", "logged", "requests"})
_OWN_PREDICTIONS = frozenset({"predict", "predict_proba", "forecast"})


def _offline_evaluation(scope: ast.AST, text: str) -> bool:
    """Does a scope measure a model it runs itself on a held-out split: it calls ``predict``/``forecast`` and names a test,
    validation or evaluation set (``test = pd.read_csv("data/test.csv")``, ``def evaluate():``) and nothing served
    (production, inference, feedback, captured requests)? Its ``actuals`` are the split's targets: offline evaluation
    (MAPE of a forecast on the test weeks), not the deployed model's predictions joined with outcomes recorded later."""
    if not any(isinstance(c, ast.Call) and call_tail(c) in _OWN_PREDICTIONS for c in walk(scope)):
        return False
    said = words(text) | (words(scope.name) if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else set())
    return bool(said & _HELD_OUT) and not said & _SERVED


def performance_on_ground_truth(tree: ast.Module) -> int | None:
    """The line where a function (or the module's top level) computes a performance metric on stored predictions and
    their ground truth, or a service endpoint computes it on the labels it receives for earlier predictions; None when
    none does, or when the module fits a model (offline evaluation)."""
    if fits_model(tree):
        return None
    routed = _feedback_routes(tree)
    if routed is not None:
        return routed
    top = ast.Module([s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))], [])
    scopes = [n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [top]
    # module-level strings (a query kept in a constant) read by name in a function
    consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
              and isinstance(n.value.value, str) for t in n.targets if isinstance(t, ast.Name)}
    for fn in scopes:
        strings = _strings(fn) + [consts[n.id] for n in walk(fn) if isinstance(n, ast.Name) and n.id in consts]
        text = " ".join([*_names(fn), *strings])
        if not GROUND_TRUTH.search(text) or not _PREDICTION.search(text):
            continue
        if _offline_evaluation(fn, text):
            continue
        sql = [s for s in strings if _SQL.search(s)]
        reads = bool(sql) or any(isinstance(c, ast.Call) and call_tail(c) in _READS for c in walk(fn))
        if not reads:
            continue
        lines = [c.lineno for c in walk(fn) if isinstance(c, ast.Call) and call_tail(c) in _PERF_CALLS] or _ratio_metrics(fn) or [
            n.lineno for n in walk(fn) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and _SQL.search(n.value) and _SQL_METRIC.search(n.value) and GROUND_TRUTH.search(n.value)]  # the metric computed in SQL
        if lines:
            return min(lines)
    return None
