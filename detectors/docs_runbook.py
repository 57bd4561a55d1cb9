"""Runbook text: how to retrain a model and how to roll back a model/deployment, as steps or commands; feeds T3."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from mlscan.detector import Detector
from mlscan.facts.doc_blocks import (
    INSTALL,
    LIST,
    RUN,
    TEXT,
    Block,
    classify,
    commands,
    comments,
    document,
    missing_target,
    parse,
    planned,
    project_docs,
)
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_RETRAIN = lazy_re(
    r"\b(re-?train\w*|continual(ly)?[\s-](learning|training|improv\w*)|continuous[\s-](training|learning)|"
    r"model[\s-](refresh|retraining)|refresh(ing)?[\s-](the[\s-])?model|train(ing)?[\s-](a[\s-])?new[\s-]model)\b",
    re.IGNORECASE,
)
# "trigger the training pipeline", "the scheduled training job": training started on purpose, not a first run
_TRAIN = lazy_re(r"\btrain(ing|s|ed)?\b", re.IGNORECASE)
_TRIGGER = lazy_re(r"\b(trigger\w*|schedul\w*|cron|kick(s|ed)?[\s-]off|re-?run\w*|submit\w*)\b", re.IGNORECASE)
_RUNNABLE = lazy_re(r"\b(pipelines?|jobs?|workflows?|runs?|dags?)\b", re.IGNORECASE)
_ROLLBACK = lazy_re(
    r"\b(roll(ing|s|ed)?[\s-]?back\w*|revert(ing|s)?[\s-](to[\s-])?(the[\s-]|a[\s-])?(previous|prior|last|older|earlier|old|stable)\b|"
    r"restor(e|ing)[\s-](the[\s-]|a[\s-])?(previous|prior|last|older|stable)\b|downgrad\w*|undo[\s-](the[\s-])?(deploy\w*|release|rollout))",
    re.IGNORECASE,
)
# a word every retraining or rollback hit above needs (a superset): documents without one are not parsed
# (matched on lower-cased text: several times faster than re.IGNORECASE)
_CANDIDATE = lazy_re(r"re-?train|continu|refresh|new[\s-]model|trigger|schedul|cron|kick|re-?run|submit|roll(ing|s|ed)?[\s-]?back|"
                        r"abort|revert|restor|downgrad|undo")
# its plain-literal alternatives, found with ``in`` (a regex alternation tries every position); the two alternatives
# with a separator go to _CANDIDATE itself, only when the text has both of their words
_CANDIDATE_LITERALS = ("retrain", "re-train", "continu", "refresh", "trigger", "schedul", "cron", "kick", "rerun", "re-run", "submit",
                       "abort", "revert", "restor", "downgrad", "undo")
_IMPERATIVE = {
    "run", "trigger", "execute", "merge", "create", "open", "push", "set", "configure", "deploy", "determine", "wait",
    "check", "review", "select", "update", "train", "retrain", "register", "promote", "approve", "go", "navigate", "click",
    "use", "call", "submit", "commit", "start", "launch", "schedule", "build", "install", "copy", "edit", "change", "add",
    "roll", "revert", "restore", "switch", "redeploy", "rerun", "re-run", "verify", "validate", "monitor", "compare", "pull",
    "tag", "delete", "remove", "stop", "scale", "route", "shift", "point", "apply", "upload", "download", "make", "ensure",
    "confirm", "kick", "rebuild", "retrieve", "get", "find", "fetch", "evaluate", "test", "publish", "disable", "enable",
}
_STEP_WORDS = _IMPERATIVE | {"then", "now", "next", "once", "after", "finally", "first", "if", "when", "we", "you", "to"}
_INLINE_CODE = lazy_re(r"`([^`]+)`")
MAX_FILES = 3
Absent = Callable[[str], bool]  # does a documented command run a script the repository lacks


def _candidate(low: str) -> bool:
    """``_CANDIDATE.search(low)``: lower-cased text with a word a retraining or rollback hit needs."""
    if any(w in low for w in _CANDIDATE_LITERALS):
        return True
    return ("new" in low and "model" in low or "roll" in low and "back" in low) and _CANDIDATE.search(low) is not None


# literal pieces (lower-cased) that every retraining hit (_RETRAIN, or _TRAIN with a trigger) and every rollback hit
# (_ROLLBACK, a rollback or ``rollout undo`` command) contains: a document without those of one kind is not searched for
# it, and one without either is not parsed. The parse drops HTML comments, which can join letters: such text is searched.
# Retraining: ``train`` (re-train, continual/continuous training, model retraining, training a new model, _TRAIN),
# ``refresh`` (model refresh, refreshing the model), or ``continu`` with ``learning``/``improv`` (continual learning or
# improvement, continuous learning). Rollback: ``roll`` with ``back`` (roll back, rollback, roll-back) or with ``undo``/
# ``abort`` (``rollout undo``), ``revert``, ``restor``, ``downgrad``, or ``undo`` with what it undoes (a deploy, release,
# rollout). ("continue" and "scroll" alone admitted a third of feast's pages.)


def _kinds(low: str) -> tuple[bool, bool]:
    """(may hold retraining, may hold a rollback) for lower-cased text that ``_candidate`` admits."""
    if "<!--" in low:
        return True, True
    retrain = "train" in low or "refresh" in low or "continu" in low and ("learning" in low or "improv" in low)
    rollback = ("roll" in low and ("back" in low or "undo" in low or "abort" in low) or "revert" in low or "restor" in low
                or "downgrad" in low or "undo" in low and ("deploy" in low or "release" in low or "rollout" in low))
    return retrain, rollback


# every byte but an ASCII letter or digit, as a space: a page's words (``_page_kinds``)
_SEPARATE = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))
_TRAIN_WORD = lazy_re(rb" (?:train|training|trains|trained) | retrain")
_ROLLBACK_WORD = lazy_re(rb" (?:roll|revert|restor|downgrad)")


def _page_kinds(low: str) -> tuple[bool, bool]:
    """``_kinds`` by whole words, for lower-cased page text (not a notebook's JSON, whose escapes join letters: ``\\nrollback``).
    Every pattern a hit needs starts at a word boundary (``\\b``), and the parse turns no letter, digit or ``_`` of a page
    into a separator's neighbour that was not one: so a hit's first word starts a word of the page here too (any character
    but an ASCII letter or digit separates, a non-ASCII one too: a superset of the patterns' boundaries). Retraining: a word of ``_TRAIN``, one
    starting with ``retrain`` (``re-train``: ``re`` and a word starting with ``train``), ``continual``/``continuous``
    with ``learning``/``training``/``improv...``, ``refresh``/``refreshing`` with ``model``. Rollback: ``rollback``
    or ``roll-back`` anywhere (a command's word may hold it: ``--auto-rollback``), a word starting with ``roll``,
    ``revert``, ``restor``, ``downgrad``, or ``undo`` with a word starting ``deploy``/``release``/``rollout`` (``_ROLLBACK`` has no
    boundary after them: ``undo-releases``). Pages that are pieces of
    ``_kinds``'s literals only (``control``, ``constraint``, ``continue``) are not parsed."""
    if "<!--" in low:
        return True, True
    t = b" " + low.encode("ascii", "replace").translate(_SEPARATE) + b" "  # words between single spaces
    retrain = (_TRAIN_WORD.search(t) is not None or b" re " in t and b" train" in t
               or b" continu" in t and (b" learning " in t or b" training " in t or b" improv" in t)
               or (b" refresh " in t or b" refreshing " in t) and b" model " in t)
    rollback = ("rollback" in low or "roll-back" in low or _ROLLBACK_WORD.search(t) is not None
                or b" undo " in t and (b" release" in t or b" deploy" in t or b" rollout" in t))
    return retrain, rollback


def _first_word(text: str) -> str:
    m = re.match(r"[\W_]*([A-Za-z-]+)", text)
    return m.group(1).lower() if m else ""


def _procedure(blocks: Iterable[Block], absent: Absent = lambda c: False) -> str | None:
    """``commands`` when the blocks hold runnable shell commands, ``steps`` for two or more
    numbered/imperative list items, else None (a description, not a procedure). A command that runs a script the
    repository lacks (``absent``) is a claim: it makes no procedure, nor does a step that only calls such scripts."""
    steps = 0
    for b in blocks:
        if b.is_shell and any(classify(c) in (RUN, INSTALL) and not absent(c) for _, c in commands(b)):
            return "commands"
        inline = _inline_commands(b.text) if b.kind in (LIST, TEXT) else []
        if any(not absent(c) for c in inline):
            return "commands"  # "1. `dvc pull` to fetch the data"
        if inline:
            continue  # "1. Run `python scripts/rollback.py`" with no such script
        if b.kind == LIST and not b.text.startswith("[") and _first_word(b.text) in _STEP_WORDS:  # "[Install](#install)": a TOC
            steps += 1  # "1. Raw data lands in S3" / "1. **Monitoring**" describe, they do not instruct
    return "steps" if steps >= 2 else None


_EMPHASIS = lazy_re(r"[*_`~]+")


def _plain(text: str) -> str:
    return _EMPHASIS.sub(" ", text)  # emphasis markers glue words: _ML Training Pipeline_


# a hyphenated resource name in inline code (a topic `retrain-trigger`, a queue, a bucket) names a thing, it is no step;
# `make retrain`, `retrain.py` and `retrain_model()` stay
_IDENTIFIER_CODE = lazy_re(r"`\w+(?:-\w+)+`")


def _is_retraining(text: str) -> bool:
    text = _plain(_IDENTIFIER_CODE.sub(" ", text))
    return bool(_RETRAIN.search(text) or (_TRAIN.search(text) and _TRIGGER.search(text) and _RUNNABLE.search(text)))


def _rollback_command(cmd: str) -> bool:
    words = [w.lower() for w in re.split(r"\s+", cmd)[:6]]
    if classify(cmd) != RUN:
        return False
    return any("rollback" in w or "roll-back" in w for w in words) or (
        any(w in ("rollout", "rollouts") for w in words) and any(w in ("undo", "abort") for w in words)
    )


def _inline_commands(text: str) -> list[str]:
    return [c for c in _INLINE_CODE.findall(text) if classify(c) in (RUN, INSTALL)]


# what a procedure's headings say it is about: the platform (a cluster, its nodes, a database, a tool's upgrade) or a model
_INFRA_DOC = lazy_re(r"(?i)\b(?:cluster|control[ -]plane|node ?(?:group|pool)s?|nodes|eks|aks|gke|karpenter|terraform|database|postgres\w*|"
                     r"upgrades?|disaster[ -]recovery|backups?|certificates?|ingress|dns)\b")
_MODEL_DOC = lazy_re(r"(?i)model|serving|inference|predict|endpoint|canary|traffic|champion|challenger|registry|retrain|deploy(?:ment)? of|"
                     r"rollback\W+(?:\w+\W+){0,3}deployment")  # "Rollback Cloud Run Deployment": the served app's release
# a code migration or refactor's procedure (its rollback is a git checkout of the code, not a model's)
_CODE_DOC = lazy_re(r"(?i)\b(migrat\w*|refactor\w*)\b")


# what a procedure's own steps change: the platform (Terraform, networks, clusters) or a model (its version, endpoint,
# registry, training)
_INFRA_STEPS = lazy_re(r"(?i)\b(?:terraform|tofu|pulumi|vpc|subnets?|cidr|security[ -]groups?|firewall|nat[ -]gateway|route[ -]tables?|"
                       r"peering|networks?|networking|dns|load[ -]balancers?|cluster|node[ -]?(?:group|pool)s?|database|certificates?)\b")
_MODEL_STEPS = lazy_re(r"(?i)model|endpoint|serving|inference|predict|registry|champion|challenger|mlflow|sagemaker|artifact|checkpoint|"
                       r"weights|re-?train|training|canary|traffic")


def _procedure_text(doc, line: int | None) -> str:  # type: ignore[no-untyped-def]
    """The text of the section (with its subsections) that starts at ``line``, or of the section holding that line."""
    sections = doc.sections
    at = max((i for i, x in enumerate(sections) if x.line == line), default=None)  # a titled section after the preamble
    if at is None:
        at = max((i for i, x in enumerate(sections) if any(b.line == line for b in x.blocks)), default=None)
    if at is None:
        return ""
    return "\n".join(b.text for x in doc.subtree(at) for b in x.blocks)


class DocsRunbook(Detector):
    """Documented retraining and rollback procedures (steps or commands, not concepts); feeds T3."""

    id = "docs.runbook"
    questions = ("T3",)
    globs = ("**/*.md", "**/*.rst", "**/*.adoc", "**/*.asciidoc", "**/*.ipynb")
    signals = ("docs.retraining", "docs.rollback")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        counts = {"docs.retraining": 0, "docs.rollback": 0}
        # each signal keeps its first MAX_FILES documents: once it has them, no document is read, lowered or parsed for it
        # (Azure/azureml-examples: ~600 pages and notebooks searched, most after both were full)
        wanted = [True, True]
        for e, where, doc, (retrain, roll_back) in self._documents(index, wanted):
            def absent(cmd: str, path: str = e.path) -> bool:  # type: ignore[attr-defined]
                return missing_target(index, path, cmd)

            for signal, hit in (("docs.retraining", _retraining(doc, absent) if retrain else None),
                                ("docs.rollback", _rollback(doc, absent) if roll_back else None)):
                if hit is None or counts[signal] >= MAX_FILES:
                    continue
                counts[signal] += 1
                line, section, how = hit
                if where == "notebook":
                    line = None  # a line of the joined markdown cells, not of the notebook's JSON
                # a section whose heading names the procedure ("Retraining the model", "Rollback") is the runbook
                # itself; a retraining step met inside another section is an aside: both count, the first leads
                titled = bool((_RETRAIN if signal == "docs.retraining" else _ROLLBACK).search(_plain(section)))
                # a rollback of the cluster, a database or a tool upgrade is not a model's: "Upgrade Procedures >
                # EKS Cluster Upgrade > Rollback"
                trail = " ".join([str(getattr(doc, "title", "") or ""), *next((x.trail for x in doc.sections if x.line == line), [section])])
                about = "infra" if _INFRA_DOC.search(_plain(trail)) and not _MODEL_DOC.search(_plain(trail)) else "model"
                # a procedure whose steps change only the platform (a Terraform network fix: subnets, routes, security
                # groups) under a plain "Rollback" heading rolls back no model either
                body = _procedure_text(doc, line)
                if about == "model" and _INFRA_STEPS.search(body) and not _MODEL_STEPS.search(body) and not _MODEL_DOC.search(_plain(trail)):
                    about = "infra"
                stem = e.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("_", " ").replace("-", " ")  # type: ignore[attr-defined]
                if _CODE_DOC.search(f"{stem} {_plain(trail)}") and not _MODEL_DOC.search(_plain(section)):
                    about = "code"  # the rollback plan of a code migration or refactor (git checkout, old configs)
                yield self.found(signal, index, e.path, line, strength=Strength.STRONG if titled else Strength.MEDIUM,
                                 attrs={"where": where, "section": section, "how": how, "about": about})
            wanted[:] = [counts["docs.retraining"] < MAX_FILES, counts["docs.rollback"] < MAX_FILES]


    @staticmethod
    def _documents(index: FileIndex, wanted: list[bool]) -> Iterator[tuple[object, str, object, tuple[bool, bool]]]:
        """The project's documentation pages, then the markdown cells of its notebooks (a runbook kept in the notebook
        that is the workflow: "## Retraining" / "## Rolling back" with the steps), each with ``_kinds`` of the kinds still
        ``wanted`` (retraining, rollback: the caller updates it); none once neither is wanted."""
        def still(kinds: tuple[bool, bool]) -> tuple[bool, bool]:
            return kinds[0] and wanted[0], kinds[1] and wanted[1]

        for e, where in project_docs(index):
            if not any(wanted):
                return
            low = (index.text(e.path) or "").lower()
            kinds = still(_page_kinds(low)) if _candidate(low) and any(still(_kinds(low))) else (False, False)
            if any(kinds):
                yield e, where, document(index, e.path), kinds
        for e in index.select(("**/*.ipynb",)):
            if not any(wanted):
                return
            if e.test:
                continue
            raw = (index.text(e.path) or "").lower()  # the notebook's JSON: its markdown's letters stand in it as written
            if not _candidate(raw) or not any(still(_kinds(raw))):
                continue
            text = _notebook_markdown(index.json(e.path))
            kinds = still(_page_kinds(text.lower())) if text and _candidate(text.lower()) else (False, False)
            if any(kinds):
                yield e, "notebook", index.file_memo("notebook-markdown", e.path, lambda t=text, p=e.path: parse(t, p)), kinds


def _notebook_markdown(nb: object) -> str:
    """The markdown cells of a notebook (JSON), joined as one document (line numbers are those of the joined text)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    parts: list[str] = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            src = cell.get("source")
            parts.append("".join(x for x in src if isinstance(x, str)) if isinstance(src, list) else src if isinstance(src, str) else "")
    return "\n\n".join(p for p in parts if p)


def _retraining(doc, absent: Absent) -> tuple[int, str, str] | None:  # type: ignore[no-untyped-def]
    """Best evidence first: a retraining heading with steps, then retraining steps in a section about
    training, then retraining steps anywhere."""
    ranked: list[tuple[int, int, str, str]] = []
    for i, s in enumerate(doc.sections):
        if planned(s.trail):
            continue  # a to-do list's "retrain on a schedule" is a plan, not a procedure
        if s.level and _RETRAIN.search(_plain(s.title)):
            how = _procedure((b for x in doc.subtree(i) for b in x.blocks), absent)
            if how:
                ranked.append((3, s.line, s.title, how))
                continue
        how = _procedure(s.blocks, absent)
        if not how:
            continue
        for b in s.blocks:
            texts = [b.text] if b.kind in (TEXT, LIST) else [t for _, t in comments(b)] if b.is_shell else []
            if any(_is_retraining(t) for t in texts):
                ranked.append((2 if _TRAIN.search(s.title) else 1, b.line, s.title, how))
                break
    if not ranked:
        return None
    best = max(r[0] for r in ranked)
    _, line, title, how = next(r for r in ranked if r[0] == best)
    return line, title, how


def _rollback(doc, absent: Absent) -> tuple[int, str, str] | None:  # type: ignore[no-untyped-def]
    # a section titled for the rollback ("Rollback Cloud Run Deployment") is the procedure, before a command or a comment
    # met earlier in another section ("Quick Reference: # Emergency rollback")
    for i, s in enumerate(doc.sections):
        if s.level and _ROLLBACK.search(_plain(s.title)) and not planned(s.trail):
            how = _procedure((b for x in doc.subtree(i) for b in x.blocks), absent)
            if how:
                return s.line, s.title, how
    for s in doc.sections:
        for b in s.blocks if not planned(s.trail) else ():
            if b.is_shell:
                cmds = commands(b)
                cmds = [(ln, c) for ln, c in cmds if not absent(c)]
                for line, cmd in cmds:
                    if _rollback_command(cmd):
                        return line, s.title, "command"
                for line, note in comments(b):
                    if _ROLLBACK.search(note) and any(ln > line and classify(c) == RUN for ln, c in cmds):
                        return line, s.title, "command"
            elif b.kind in (TEXT, LIST) and _ROLLBACK.search(_plain(b.text)) and (
                    b.kind == LIST and not b.text.lstrip().startswith("|") and any(not absent(c) for c in _inline_commands(b.text))
                    or any(_rollback_command(c) and not absent(c) for c in _inline_commands(b.text))):
                # a list step, or a sentence or table whose command rolls back (``kubectl rollout undo``); a status table
                # naming "auto-rollback" beside `terraform validate` is no procedure
                return b.line, s.title, "command"
    return None
