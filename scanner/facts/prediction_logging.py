"""Prediction logging and prediction drift in Python: does code make predictions (call a model's prediction API
or define a prediction handler), does a logger/Fluentd call carry prediction values (checked on the text before a
parse, then on the call's arguments), is a two-sample statistic computed on predictions. Monitoring detectors ask
these so that a ``pred*`` value logged in a training loop or a library helper is not taken for production logging."""

from __future__ import annotations

import ast
import re

from mlscan.facts.ops import PY_STRING, PyCall
from mlscan.facts.place import place
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex

from ..lazyre import lazy_re

# The logger/Fluentd call names whose arguments logs_predictions looks at: a file naming none of them logs no predictions
LOG_CALLS = (b"info", b"debug", b"warning", b"log", b"emit")
# (call pattern, is ``emit``) for each of those names: a pattern per name starts with a literal, which the regex engine
# finds far faster than an alternation (no two names overlap, so together they find what one alternation would);
# the word start is checked in code: faster than \b
_LOG_CALL_NAMES = tuple((lazy_re(name + r"\s*\("), name == "emit") for name in ("info", "debug", "warning", "log", "emit"))
# string literals (any prefix, triple-quoted too), comments and brackets of a call's argument text
_ARG_TOKEN = lazy_re(PY_STRING + r"|#[^\n]*|[()\[\]{}]", re.S)
_DICT_KEY = lazy_re(r"\s*:")
# Code that makes predictions (makes_predictions): it calls a model's prediction API or defines a prediction handler. Logging a ``pred*``
# value anywhere else (a library helper's ``predict_label`` variable, a training loop's batch predictions) is not
# prediction logging.
# (Two patterns, each starting with a literal the regex engine scans for: an alternation led by ``\b`` was tried at
# every character of every file.)
_PREDICT_CALL = lazy_re(r"\.(?:predict|predict_proba|predict_log_proba|decision_function|invoke_endpoint|infer|inference)\s*\(")
_PREDICT_DEF = lazy_re(r"def\s+(?:predict|predict_fn|inference|infer|handle)\s*\(")


def makes_predictions(text: str) -> bool:
    """The code calls a model's prediction API or defines a prediction handler."""
    if _PREDICT_CALL.search(text):
        return True
    return any(m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_") for m in _PREDICT_DEF.finditer(text))


def logs_predictions(text: str) -> bool:
    """Some ``info``/``debug``/``warning``/``log`` call has ``pred`` in a name, an f-string or a dict key among its
    arguments, an ``emit`` call in any string too (what mentions_prediction looks for); comments never count."""
    low = _lower_same_length(text)  # "pred" in any case, found with str.find at the text's own offsets
    last = low.rfind("pred")
    if last < 0:
        return False
    for pattern, emit in _LOG_CALL_NAMES:
        # only calls ending at or before the last "pred" can have one among their arguments
        for m in pattern.finditer(text, 0, last):
            if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_"):
                continue  # ``catalog(``, ``weblog(``
            if _call_has_pred(text, low, m.end(), emit):
                return True
    return False


def _lower_same_length(text: str) -> str:
    """``text.lower()`` with the same offsets as ``text``: U+0130 is the one character whose lower case is two
    characters (it is no letter of "pred", and neither is the "i" it becomes). ``"pred" in low[a:b]`` then holds
    exactly when ``re.search("pred", text[a:b], re.I)`` matches."""
    return (text if text.isascii() else text.replace("\u0130", "I")).lower()


def _call_has_pred(text: str, low: str, pos: int, emit: bool) -> bool:
    """The argument text of the call whose parenthesis ends at ``pos`` carries ``pred`` (see logs_predictions)."""
    depth = 1
    for t in _ARG_TOKEN.finditer(text, pos):
        start = t.start()
        if low.find("pred", pos, start) >= 0:
            return True  # in the code between literals
        tok, pos = t.group(), t.end()
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth -= 1
            if depth == 0:
                return False
        elif tok[0] != "#" and low.find("pred", start, pos) >= 0 and (emit or "f" in t.group("prefix").lower() or _DICT_KEY.match(text, pos)):
            return True
    return low.find("pred", pos) >= 0



_TWO_SAMPLE = frozenset({"ks_2samp", "kstest", "wasserstein_distance", "jensenshannon", "chisquare", "chi2_contingency", "mannwhitneyu",
                         "ttest_ind", "anderson_ksamp", "energy_distance", "entropy"})
_PSI = lazy_re(r"(^|_)psi($|_)|population_stability", re.I)
_PREDICTION_WORDS = frozenset({"pred", "preds", "prediction", "predictions", "predicted", "score", "scores", "proba", "probability",
                               "probabilities", "output", "outputs", "yhat"})


def prediction_drift(c: PyCall) -> bool:
    """A two-sample statistic (KS, Wasserstein, Jensen-Shannon, PSI ...) whose arguments are predictions."""
    if not (c.attr in _TWO_SAMPLE or _PSI.search(c.attr)):
        return False
    args = [*c.node.args, *(k.value for k in c.node.keywords)]
    texts = " ".join(ast.unparse(a) for a in args)
    return bool(set(re.findall(r"[a-z]+", texts.lower())) & _PREDICTION_WORDS)



def mentions_prediction(c: PyCall, strings: bool = False) -> bool:
    """An argument carries prediction values (a ``pred*`` variable or a ``{"prediction": value}`` payload);
    with ``strings`` an event label such as ``"prediction"`` counts too."""
    for arg in [*c.node.args, *(k.value for k in c.node.keywords)]:
        for n in walk(arg):
            if isinstance(n, ast.Name) and re.search(r"pred", n.id, re.I) or isinstance(n, ast.Attribute) and re.search(r"pred", n.attr, re.I):
                return True
            if isinstance(n, ast.Dict) and any(isinstance(k, ast.Constant) and re.search(r"pred", str(k.value), re.I) for k in n.keys):
                return True
            if strings and isinstance(n, ast.Constant) and re.search(r"predict", str(n.value), re.I):
                return True
    return False


def may_log_predictions(index: FileIndex, e: FileEntry) -> bool:
    """Can the file log predictions? Decided on words and text, before any parse: a
    logger/Fluentd call name, outside notebooks and tests (Fluentd events anywhere), a call carrying ``pred*`` values
    (logs_predictions; notebook JSON and unrendered templates get no closer text check), in code that makes predictions."""
    if not index.mentions(e.path, LOG_CALLS):
        return False
    if place(index, e).kind in ("notebook", "test") and not index.mentions(e.path, (b"fluent",)):
        return False
    text = index.text(e.path) or ""
    if not makes_predictions(text):  # one regex search: far cheaper than logs_predictions' look at every logging call
        return False
    return e.suffix == ".ipynb" or e.template or logs_predictions(text)
