"""Human approvals written as code in a deployment pipeline: a ZenML pipeline whose deployer's ``deploy_decision`` is
the answer of an alerter's ask step (``slack_alerter_ask_step``: the step returns True only when someone approves in
Slack), and a pipeline script that asks for an approval (a Slack/Teams message or an approval helper) and stops when
the answer is not an approval (``if not approved: raise SystemExit("Deployment rejected")``) before it deploys. A
notification that decides nothing (a post, no branch on the answer), or an approval branch that only logs, is no gate.
Feeds T4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops, zenml
from mlscan.facts.orchestration import call_tail, decorator, dotted, functions, kwarg, words
from mlscan.facts.pyast import walk
from mlscan.facts.wiring import wiring
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_ASK_STEPS = frozenset({"slack_alerter_ask_step", "discord_alerter_ask_step", "alerter_ask_step"})
_DEPLOY_WORDS = frozenset({"deploy", "deployment", "deployer", "promote", "promotion", "release", "rollout", "production", "endpoint",
                           "serve", "serving", "publish"})
_STOPS = frozenset({"exit", "abort", "fail"})


class HumanApproval(Detector):
    """Approvals asked in code (a ZenML alerter ask step deciding the deploy, a Slack approval whose rejection stops the deploy); feeds T4."""

    id = "governance.human_approval"
    questions = ("T4",)
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = (b"approve", b"approved", b"approval", b"approvals", b"approving", b"Approve", b"Approved", b"Approval",
                   b"alerter_ask_step")
    signals = ("governance.approval",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        wired = None
        for e in index.select(self.globs):
            if e.test or not index.mentions(e.path, self.needs_words):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            al, _calls = ops.py_calls(index, e)
            hit = _zenml_ask(tree, al) if ops.imports_module(al, "zenml") else None
            how = "alerter-ask-step"
            if hit is None:
                hit, how = _rejection_stops(tree), "approval-request"
            if hit is None:
                continue
            wired = wired or wiring(index)
            reached = wired.automated(e.vpath) or e.vpath in wired.reach or _is_main(tree) or _is_handler(tree)
            if not reached:
                continue
            at, snip = ops.locate(index, e, hit)
            yield self.found("governance.approval", index, e.path, at, snippet=snip, strength=Strength.MEDIUM,
                             attrs={"kind": "manual-approval", "system": "code", "how": how})


def _zenml_ask(tree: ast.Module, al: dict[str, str]) -> int | None:
    """The line of a ZenML pipeline's ask step whose answer is its deployer's ``deploy_decision``."""
    for fn in functions(tree).values():
        if not decorator(fn, "pipeline"):
            continue
        asked: dict[str, int] = {}
        for n in walk(fn):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) in _ASK_STEPS:
                asked.update({t.id: n.lineno for t in n.targets if isinstance(t, ast.Name)})
        for c in walk(fn):
            if isinstance(c, ast.Call) and zenml.is_deployer(c, al):
                d = kwarg(c, "deploy_decision")
                if isinstance(d, ast.Name) and d.id in asked:
                    return asked[d.id]
                if isinstance(d, ast.Call) and call_tail(d) in _ASK_STEPS:
                    return d.lineno
    return None


def _rejection_stops(tree: ast.Module) -> int | None:
    """The line of an approval request whose answer a branch turns into a stop, in a module that deploys: a call named
    for an approval (``request_approval(...)``, ``wait_for_approval()``) or a message post (``chat_postMessage``,
    ``requests.post``) whose text asks for one, and an ``if`` on the answer (a name or comparison naming the approval or
    a rejection) whose body raises or exits."""
    if not any(words(n) & _DEPLOY_WORDS for n in _names(tree)):
        return None
    ask = None
    for c in walk(tree):
        if not isinstance(c, ast.Call):
            continue
        name = dotted(c.func).lower()
        if "approv" in name.rsplit(".", 1)[-1] or (name.rsplit(".", 1)[-1] in ("chat_postmessage", "post", "send", "post_message")
                                                    and any("approv" in s.lower() for s in _strings(c))):
            ask = c.lineno
            break
    if ask is None:
        return None
    for n in walk(tree):
        if isinstance(n, ast.If) and _about_approval(n.test):
            branches = [n.body, n.orelse]
            if any(_stops(b) for b in branches):
                return ask
    return None


def _names(tree: ast.Module) -> list[str]:
    return [*functions(tree), *(call_tail(c) for c in walk(tree) if isinstance(c, ast.Call))]


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _about_approval(test: ast.expr) -> bool:
    text = " ".join([dotted(n) for n in walk(test) if isinstance(n, (ast.Name, ast.Attribute))] + _strings(test)).lower()
    return "approv" in text or "reject" in text or "denied" in text


def _stops(body: list[ast.stmt]) -> bool:
    """A branch that ends the run: ``raise``, ``sys.exit(...)``/``exit(...)``, ``pytest.fail``-like calls."""
    for st in body:
        for n in walk(st):
            if isinstance(n, ast.Raise):
                return True
            if isinstance(n, ast.Call) and (call_tail(n) in _STOPS or dotted(n.func) in ("sys.exit", "os._exit")):
                return True
    return False


def _is_handler(tree: ast.Module) -> bool:
    """A cloud function's entry point (``def handler(event, context)``): the platform runs it, a pipeline's state calls it."""
    return any([a.arg for a in fn.args.args][:2] == ["event", "context"] for fn in functions(tree).values())


def _is_main(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.If) and "__main__" in _strings(n.test) for n in tree.body)
