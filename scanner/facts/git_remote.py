"""Where a ``git push`` in a CI job goes: the remote's URL worked out from the commands before it (not a detector).

Hosting services that deploy on a push (Hugging Face Spaces, Heroku, Dokku) are usually reached through a remote the
script sets up itself: ``git clone $SPACE_URL dir`` then ``git push`` (the clone's ``origin``), or ``git remote add
space URL`` then ``git push space main``. The URL is often a script argument or a variable, so words are resolved the
way the shell would: ``$1`` (after ``shift``s) from the command that ran the script, ``name=value`` assignments made
earlier in the same script, then the environment variables the CI definition sets for the job."""

from __future__ import annotations

import re
from functools import lru_cache

from ..ci.shell import word_may_hold
from .commands import SHELLS, Cmd, head, words

_VAR = re.compile(r"^\$(?:\{(\w+)\}|(\w+))$")
_ASSIGN = re.compile(r"^(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=(.*)$", re.S)
MAX_HOPS = 8


def _same_script(a: Cmd, b: Cmd) -> bool:
    return a.path == b.path and a.via == b.via


def _parent(cmds: list[Cmd], c: Cmd) -> Cmd | None:
    """The command that ran the script ``c`` is in (None for a command written in the CI file)."""
    if len(c.via) < 2:
        return None
    at = c.via[-1]
    return next((p for p in cmds if f"{p.path}:{p.line}" == at and p.via == c.via[:-1]), None)


def resolve_word(cmds: list[Cmd], c: Cmd, word: str, env: dict[str, str], hops: int = 0) -> str | None:
    """The value of one shell word of ``c`` (quotes removed), or None when it depends on something unknown."""
    word = word.strip().strip("\"'")
    m = _VAR.match(word)
    if not m:
        return None if "$" in word or hops > MAX_HOPS else word
    name = m.group(1) or m.group(2)
    earlier = [x for x in cmds if _same_script(x, c) and x.line < c.line]
    if name.isdigit():
        parent = _parent(cmds, c)
        if parent is None or name == "0":
            return None
        w = words(parent.text)
        args = w[2:] if head(w) in SHELLS else w[1:]
        i = int(name) - 1 + sum(1 for x in earlier if x.text.strip() == "shift")
        return resolve_word(cmds, parent, args[i], env, hops + 1) if i < len(args) else None
    for x in reversed(earlier):
        a = _ASSIGN.match(x.text.strip())
        if a and a.group(1) == name:
            return resolve_word(cmds, x, a.group(2), env, hops + 1)
    return env.get(name)


@lru_cache(maxsize=16384)
def _pushed_remote(text: str) -> str | None:
    """The remote a command's text pushes to when it is a ``git push`` (``origin`` when none is named), else None: a pure
    function of the text, kept per text because a job's expanded commands repeat the same lines of the same scripts
    (Azure/azureml-examples: ~62,700 commands asked, ~34,000 of them with quotes that a word test cannot rule out)."""
    if not word_may_hold(text, "push"):
        return None
    w = words(text)
    if head(w) != "git" or "push" not in w[1:3]:
        return None
    rest = [x for x in w[w.index("push") + 1 :] if not x.startswith("-")]
    return rest[0] if rest else "origin"


def push_remote(cmds: list[Cmd], c: Cmd, env: dict[str, str]) -> str | None:
    """The URL a ``git push`` command pushes to, when the job's commands tell it; None otherwise (or not a push). A
    command whose text holds neither ``push`` nor a quote or backslash (which could join a ``push`` word from pieces) is
    none, told before it is split into words: a job's commands are each asked (Azure/azureml-examples: 62,000)."""
    remote = _pushed_remote(c.text)
    if remote is None:
        return None
    direct = resolve_word(cmds, c, remote, env)
    if direct and ("://" in direct or direct.startswith("git@")):
        return direct
    for x in reversed([x for x in cmds if _same_script(x, c) and x.line < c.line]):
        xw = words(x.text)
        if head(xw) != "git":
            continue
        args = [a for a in xw[1:] if not a.startswith("-")]
        if args[:3] in (["remote", "add", remote], ["remote", "set-url", remote]) and len(args) > 3:
            return resolve_word(cmds, x, args[3], env)
        if remote == "origin" and args[:1] == ["clone"] and len(args) > 1:
            return resolve_word(cmds, x, args[1], env)
    return None


__all__ = ["push_remote", "resolve_word"]
