"""Turn findings into answers and a level for one rule pack."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..evidence import (
    UNREACHED,
    caveats_of,
    course_path,
    doc_rank,
    is_prose,
    line_fact,
    non_product_path,
    non_product_tree,
    signal_matches,
    started_by_hand,
)
from ..lazyre import fnmatchcase
from ..model import Answer, AnswerValue, DimensionScore, Evidence, Finding, Score
from ..textsafe import display_path
from ..valueclass import replace
from .conditions import _STRENGTHS, Findings, _attr_ok, evaluate, signals_of
from .rulepack import Question, RulePack

MAX_EVIDENCE = 8
_UNDECIDED = "found {signals} ({paths}), but nothing shows what decides it: {decisive}"


class _Cycle(Exception):
    pass


def _selector_ok(sel: Mapping[str, Any], f: Finding) -> bool:
    pattern = str(sel.get("signal", ""))
    if not any(fnmatchcase(f.signal, p.strip()) for p in pattern.split("|")):
        return False
    if f.strength.rank < _STRENGTHS.get(sel.get("min_strength", "mention"), 0):
        return False
    return all(_attr_ok(f.attrs.get(k), v) for k, v in (sel.get("attrs") or {}).items())


def decisive_fact(q: Question, f: Finding) -> str | None:
    """The fact a decisive finding shows for ``q`` ('' when any item shows it), None when it is not decisive."""
    i = _decisive_index(q, f)
    if i is None:
        return None
    sel = q.decisive[i]
    return str(sel.get("fact") or (line_fact(str(sel["line"])) if sel.get("line") else ""))


def _decisive_index(q: Question, f: Finding) -> int | None:
    """The first selector of ``q.decisive`` the finding meets (selectors are listed in order of preference)."""
    return next((i for i, sel in enumerate(q.decisive) if _selector_ok(sel, f)), None)


def _own(q: Question) -> list[str]:
    return [p.strip() for cond in (q.yes, q.partial) for s in signals_of(cond or {}, negated=False) for p in s.split("|")] + [
        str(sel.get("signal")) for sel in q.decisive
    ]


def _rank(q: Question, findings: list[Finding]) -> list[tuple[Finding, str | None]]:
    """Findings in the order a reviewer should read them: decisive for the question first (product paths before
    non-product ones whichever selector each meets), then by the selector met (the deciding part first), the question's
    own signals before hits borrowed from another question's answer, product paths before tests, templates,
    demo and vendored trees, findings without caveats first, code something runs, imports or names before code nothing
    does and notebooks, a copy something runs (a wiring chain) before a copy of the same file name nothing runs, then strength, code modules before notebooks (often an
    exploration copy of the module), procedures before other documents and design notes, shallower documents, and path."""
    own = _own(q)
    # file names whose cited copy something runs (a chain: a job's command, a CI step, a DVC stage): another copy of the same
    # name that nothing runs (a legacy tree, a notebook-era duplicate) follows it
    run_names = {f.evidence[0].path.rsplit("/", 1)[-1] for f in findings if f.evidence and f.evidence[0].chain}

    def key(item: tuple[Finding, str | None]) -> tuple[Any, ...]:
        f, fact = item
        path = f.evidence[0].path if f.evidence else ""
        pref = _decisive_index(q, f)
        prefer = str(q.decisive[pref].get("prefer") or "") if pref is not None else ""
        return (
            # decisive findings first; of those, the product's before one in a demo, example, research or test tree whatever
            # selector each meets, unless the tree's meets one the rule pack marks ``any_tree`` (what the question asks) (an example's strongest shape does not lead a project that practises the question itself)
            pref is None,
            pref is not None and not q.decisive[pref].get("any_tree") and non_product_tree(path),
            len(q.decisive) if pref is None else pref,
            # within a selector, code something runs on a push or a schedule before code reached only through a job a
            # person starts (a course's notebooks run by hand-started "test" jobs beside the scheduled pipeline)
            bool(f.evidence) and started_by_hand(f.evidence[0]),
            # a question of several parts: within a selector, the part the rule pack lists first (the deciding one) leads
            _part_of(q, f.signal),
            # a finding citing the selector's preferred fact (the metric a run logs, the edge where data passes) before one
            # meeting the selector without it
            bool(prefer) and not any(e.fact == prefer for e in f.evidence),
            not any(fnmatchcase(f.signal, p) for p in own),
            non_product_path(path),
            any(not c.startswith(UNREACHED) for c in caveats_of(f.attrs)),
            # code something runs, imports or names before code nothing does, which ranks with notebooks (run by hand
            # too; the module before its notebook copy below)
            bool(f.attrs.get("unreached")) or path.endswith(".ipynb"),
            not f.evidence[0].chain and path.rsplit("/", 1)[-1] in run_names if f.evidence else False,
            -f.strength.rank,
            # of equal strength, one citing the selector's deciding line (an Airflow DAG's ``a >> b`` edge) before one citing
            # only another line of the same kind of finding (its ``with DAG(`` opener)
            bool(fact) and not _shows_line(f, fact or ""),
            path.endswith(".ipynb"),
            doc_rank(path),  # a README or runbook before other docs, design notes and decision records last
            path.count("/") if is_prose(path) else 0,  # the project's top-level docs before a sub-module's
            path,
        )

    return sorted(((f, decisive_fact(q, f)) for f in findings), key=key)


_LINE = line_fact("")  # the prefix of a deciding-line fact


@functools.lru_cache(maxsize=256)
def _line_rx(fact: str) -> re.Pattern[str] | None:
    return re.compile(fact[len(_LINE):]) if fact.startswith(_LINE) else None


def _shows_line(f: Finding, fact: str) -> bool:
    """Does one of ``f``'s items cite the deciding line ``fact`` names: an item tagged with it (a line found in the
    cited block), or a cited line that matches it itself (which the tagging leaves untagged)?"""
    rx = _line_rx(fact)
    return any(e.fact == fact or rx is not None and bool(rx.search((e.snippet or "").split("\n", 1)[0])) for e in f.evidence)


def _part_of(q: Question, signal: str) -> int:
    """The index of the first part of ``q`` (``parts``) a finding of ``signal`` belongs to (len(parts) for none)."""
    return next((i for i, p in enumerate(q.parts) if signal_matches(signal, str(p.get("signal", "")))), len(q.parts))


def _selector_note(q: Question, findings: list[Finding], lead: Evidence) -> str:
    """The ``note`` of the decisive selector the finding cited by ``lead`` meets ('' when it has none): what that kind of
    evidence does not show on its own (E2's per-run metric: runs are compared in the tracker's UI only)."""
    for f in findings:
        if any(_same_place(e, lead) for e in f.evidence):
            i = _decisive_index(q, f)
            return str(q.decisive[i].get("note") or "") if i is not None else ""
    return ""


def _same_place(a: Evidence, b: Evidence) -> bool:
    return a.path == b.path and a.line == b.line


def _shows_deciding(q: Question, f: Finding, fact: str, e: Evidence) -> bool:
    """Does item ``e`` of decisive finding ``f`` show what its selector decides by: the selector's preferred or own fact, or
    its deciding line on the cited line (any item of a selector that names neither)?"""
    i = _decisive_index(q, f)
    if i is None:
        return False
    prefer = str(q.decisive[i].get("prefer") or "")
    if not prefer and not fact:
        return True
    rx = _line_rx(fact) if fact else None
    return bool(e.fact) and e.fact in (prefer, fact) or rx is not None and bool(rx.search((e.snippet or "").split("\n", 1)[0]))


def _other_lead(q: Question, ranked: list[tuple[Finding, str | None]], avoid: Evidence) -> Evidence | None:
    """The first item of the ranked decisive findings that shows what decides ``q`` at another place than ``avoid`` (the
    lead of the question ``q`` builds on), None when every such item is that place, the same line in a twin copy, or (for
    a lead in a product module) in an example, research or test tree or a notebook: no better than the shared line."""
    product, module = not non_product_tree(avoid.path), not avoid.path.endswith(".ipynb")
    said = (avoid.snippet or "").strip()
    for f, fact in ranked:
        if fact is None or product and f.evidence and non_product_tree(f.evidence[0].path):
            continue
        for e in f.evidence:
            # not the same line in a twin copy (``flows/local/`` beside ``flows/cloud/``), nor a notebook's copy of a module's
            if _same_place(e, avoid) or (e.snippet or "").strip() == said or module and e.path.endswith(".ipynb"):
                continue
            if _shows_deciding(q, f, fact, e):
                return e
    return None


def _composed(q: Question, first: Evidence, ranked: list[tuple[Finding, str | None]]) -> Evidence:
    """The lead of a question of several parts, naming in its chain where each part it does not show is (``with rollback
    at docs/runbook.md:12``): the reviewer sees the deciding part and where the other one is."""
    lead_part = next((_part_of(q, f.signal) for f, _ in ranked if any(e is first or e == first for e in f.evidence)), len(q.parts))
    lo, hi = (first.line or 0) - 3, (first.end_line or first.line or 0) + 3
    added: list[str] = []
    for i, part in enumerate(q.parts):
        if i == lead_part:
            continue
        other = next((e for f, _ in ranked if _part_of(q, f.signal) == i for e in f.evidence), None)
        if other is None or other.path == first.path and other.line is not None and lo <= other.line <= hi:
            continue  # the part is missing (a partial answer) or shown around the lead already
        added.append(f"with {part.get('label')} at {display_path(other.path)}" + (f":{other.line}" if other.line else ""))
    return replace(first, chain=(*first.chain, *added)) if added else first


def _evidence(q: Question, findings: list[Finding], avoid: Evidence | None = None) -> tuple[tuple[Evidence, ...], int]:
    """Each ranked finding's leading item (the one showing the decisive fact, else its first), then the rest; at
    most MAX_EVIDENCE distinct items, and how many more there were. With ``avoid`` (the lead of the question ``q``
    builds on) another decisive item leads when there is one."""
    seen: set[tuple[str, int | None, str]] = set()
    lead: list[Evidence] = []
    rest: list[Evidence] = []
    ranked = _rank(q, findings)
    for f, fact in ranked:
        items = list(f.evidence)
        i = _decisive_index(q, f) if fact is not None else None
        prefer = str(q.decisive[i].get("prefer") or "") if i is not None else ""
        if fact or prefer:
            # a selector's ``prefer`` fact (the edge where data passes between steps) leads when the finding cites it,
            # else the item showing the selector's own fact
            items.sort(key=lambda e: (not prefer or e.fact != prefer, bool(fact) and e.fact != fact))
        elif fact is None and items and (hint := _line_hint(q, f)):
            # a finding that decides nothing (a schedule that is off, an unprotected approval) still leads with the line a
            # decisive one would be read at (``schedule_interval=None``): the reviewer sees why it does not count; not when
            # its first item already shows that line (``environment:`` / ``name: production``, a stub's echo lines)
            hinted = next((e for e in items if e.fact == hint), None)
            first = items[0]
            if hinted is not None and not (hinted.path == first.path and first.line is not None and hinted.line is not None
                                           and first.line <= hinted.line <= (first.end_line or first.line)):
                items.sort(key=lambda e: e.fact != hint)
        for i, e in enumerate(items):
            k = (e.path, e.line, e.detector)
            if k not in seen:
                seen.add(k)
                (lead if i == 0 else rest).append(e)
    items = lead + rest
    if avoid is not None and items and _same_place(items[0], avoid) and (other := _other_lead(q, ranked, avoid)) is not None:
        items = [other, *(e for e in items if e is not other and (e.path, e.line, e.detector) != (other.path, other.line, other.detector))]
    if q.parts and items:
        items[0] = _composed(q, items[0], ranked)
    return tuple(items[:MAX_EVIDENCE]), max(0, len(items) - MAX_EVIDENCE)


def _line_hint(q: Question, f: Finding) -> str:
    """The deciding-line fact of the first selector of ``q`` for ``f``'s signal whatever its attributes ('' when none)."""
    for sel in q.decisive:
        pattern = str(sel.get("signal", ""))
        if sel.get("line") and any(fnmatchcase(f.signal, p.strip()) for p in pattern.split("|")):
            return line_fact(str(sel["line"]))
    return ""


_COURSE = "course exercise: found only in exercise, solution or homework files"


def _downgrade(q: Question, fs: list[Finding]) -> str:
    """Why a yes is only partial ('' when it stands): no finding meets the question's decisive facts, or every
    decisive finding carries a caveat (optional, stub, non-blocking, synthetic input...)."""
    decisive = [f for f in fs if decisive_fact(q, f) is not None] if q.decisive else fs
    if q.decisive and not decisive:
        return "undecided"
    if fs and all(f.evidence and course_path(f.evidence[0].path) for f in fs):
        return _COURSE
    capped = _capping(q, decisive)
    return "; ".join(sorted({c.split(":")[0] for c in capped}))


def _capping(q: Question, decisive: list[Finding]) -> tuple[str, ...]:
    """The caveats that cap a yes at partial, in first-seen order (none unless every decisive finding carries one)."""
    acc = q.accepts_caveats
    per = [caveats_of(f.attrs, capping=True, accepted=acc) for f in decisive]
    if not decisive or not all(per):
        return ()
    return tuple(dict.fromkeys(c for cs in per for c in cs))


def _reason(template: str, q: Question, findings: list[Finding]) -> str:
    signals = sorted({f.signal for f in findings})
    paths = []
    for f in findings:
        for e in f.evidence:
            if display_path(e.path) not in paths:
                paths.append(display_path(e.path))
    try:
        return template.format(
            signals=", ".join(signals) or "-",
            count=len(findings),
            paths=", ".join(paths[:3]) or "-",
            looked_for=q.looked_for or q.text,
            decisive="; ".join(dict.fromkeys(str(d.get("label") or d.get("signal")) for d in q.decisive)) or "-",
        )
    except (KeyError, IndexError, ValueError):
        return template


Override = tuple[AnswerValue, str, tuple[Evidence, ...]]
# (framework, question id) -> (answer, findings that support it): answers of another pack, for
# ``{answer: E1, framework: checklist20}`` conditions
External = Callable[[str, str], tuple[AnswerValue, list[Finding]]]


def answer_questions(
    pack: RulePack, findings: Findings, overrides: Mapping[str, Override] | None = None, external: External | None = None
) -> dict[str, Answer]:
    """Answer every question of the pack. ``overrides`` (active attestations: value, reason, evidence) replace
    the computed answer; the computed evidence stays after the attestation's."""
    return _answer_all(pack, findings, overrides, external)[0]


def _answer_all(
    pack: RulePack, findings: Findings, overrides: Mapping[str, Override] | None, external: External | None
) -> tuple[dict[str, Answer], dict[str, list[Finding]]]:
    overrides = overrides or {}
    answers: dict[str, Answer] = {}
    support: dict[str, list[Finding]] = {}
    in_progress: set[str] = set()

    def answer_of(qid: str) -> tuple[AnswerValue, list[Finding]]:
        if ":" in qid:  # framework:question
            fw, _, other = qid.partition(":")
            return external(fw, other) if external else (AnswerValue.UNKNOWN, [])
        if qid not in answers:
            q = pack.question(qid)
            if q is None:
                return AnswerValue.UNKNOWN, []
            if qid in in_progress:
                raise _Cycle(qid)
            in_progress.add(qid)
            answers[qid] = compute(q)
            in_progress.discard(qid)
        return answers[qid].value, support.get(qid, [])

    def compute(q: Question) -> Answer:
        applies = evaluate(q.applies, findings, answer_of)[0] if q.applies else True
        ok, fs = evaluate(q.yes, findings, answer_of) if applies else (False, [])
        capped: tuple[str, ...] = ()
        if not applies:
            value, reason = AnswerValue.UNKNOWN, f"not applicable: {q.reason_na}"
        elif ok:
            value, reason = AnswerValue.YES, _reason(q.reason_yes, q, fs)
            why = _downgrade(q, fs)
            if why == "undecided":
                value, reason = AnswerValue.PARTIAL, _reason(q.reason_undecided or _UNDECIDED, q, fs)
            elif why:
                value, reason = AnswerValue.PARTIAL, f"{reason}; but with caveats: {why}"
                if why != _COURSE:
                    capped = _capping(q, [f for f in fs if decisive_fact(q, f) is not None] if q.decisive else fs)
        else:
            pok, pfs = evaluate(q.partial, findings, answer_of) if q.partial else (False, [])
            if pok:
                value, reason, fs = AnswerValue.PARTIAL, _reason(q.reason_partial, q, pfs), pfs
            else:
                value, reason, fs = AnswerValue.NO, _reason(q.reason_no, q, []), []
        support[q.id] = fs
        attested = False
        ev, omitted = _evidence(q, fs)
        shared_said = False
        if q.distinct_lead and ev and value in (AnswerValue.YES, AnswerValue.PARTIAL):
            answer_of(q.distinct_lead)
            base = answers.get(q.distinct_lead)
            shared = base.evidence[0] if base is not None and base.evidence else None
            if shared is not None and _same_place(ev[0], shared):
                ev, omitted = _evidence(q, fs, avoid=shared)
                if _same_place(ev[0], shared) and q.reason_shared_lead:
                    where = display_path(shared.path) + (f":{shared.line}" if shared.line else "")
                    note = _reason(q.reason_shared_lead.replace("{base}", q.distinct_lead).replace("{lead}", where), q, fs)
                    reason, shared_said = f"{reason}; {note}", True
                    # shown beside the snippet in every format (a note, not a capping caveat: the answer stands)
                    ev = (replace(ev[0], caveats=(*ev[0].caveats, note)), *ev[1:])
        if ev and value in (AnswerValue.YES, AnswerValue.PARTIAL) and not shared_said and (note := _selector_note(q, fs, ev[0])):
            # what the lead's selector does not show (one run's metrics where E2 compares runs): said beside the snippet in
            # every format and in the reason; a note, the answer stands
            reason = f"{reason}; {note}"
            ev = (replace(ev[0], caveats=(*ev[0].caveats, note)), *ev[1:])
        if q.id in overrides:
            found = value
            value, reason, att_ev = overrides[q.id]
            reason = f"{reason} (the scan alone found: {found})"
            both = (*att_ev, *ev)
            ev, omitted = both[:MAX_EVIDENCE], omitted + max(0, len(both) - MAX_EVIDENCE)
            attested = True
        signals = tuple(sorted({f.signal for f in fs}))
        return Answer(q.id, q.text, q.dimension, value, reason, ev, q.looked_for, signals, attested, omitted,
                      () if attested else capped)

    for q in pack.questions:
        try:
            answer_of(q.id)
        except _Cycle as c:
            from ..errors import RulePackError

            raise RulePackError(f"{pack.path}:1:1: questions refer to each other in a cycle ({c})") from None
    return answers, support


def resolver(packs: Mapping[str, RulePack], findings: Findings, overrides: Callable[[str], Mapping[str, Override]]) -> External:
    """Answers of other packs for cross-pack references, each pack answered once (with its own attestations)."""
    done: dict[str, tuple[dict[str, Answer], dict[str, list[Finding]]]] = {}
    busy: set[str] = set()

    def external(fw: str, qid: str) -> tuple[AnswerValue, list[Finding]]:
        if fw not in done:
            if fw not in packs:
                return AnswerValue.UNKNOWN, []
            if fw in busy:
                from ..errors import RulePackError

                raise RulePackError(f"{packs[fw].path}:1:1: packs refer to each other's answers in a cycle ({fw})")
            busy.add(fw)
            done[fw] = _answer_all(packs[fw], findings, overrides(fw), external)
            busy.discard(fw)
        answers, support = done[fw]
        a = answers.get(qid)
        return (a.value, support.get(qid, [])) if a else (AnswerValue.UNKNOWN, [])

    return external


def score_pack(
    pack: RulePack, findings: Findings, overrides: Mapping[str, Override] | None = None, external: External | None = None
) -> Score:
    answers = answer_questions(pack, findings, overrides, external)
    yes = sum(1 for a in answers.values() if a.value == AnswerValue.YES)
    level, level_name = 0, ""
    if pack.method == "bands":
        for b in pack.bands:
            if b.min <= yes <= b.max:
                level, level_name = b.level, b.name
                break
    else:  # cascade: a level is reached when its requirements and every lower level's are met
        levels = sorted(pack.levels, key=lambda lv: lv.level)
        if levels:
            level, level_name = levels[0].level, levels[0].name
        for lv in levels:
            if all(answers[r].value == AnswerValue.YES for r in lv.requires if r in answers):
                level, level_name = lv.level, lv.name
            else:
                break

    def answer_of(qid: str) -> tuple[AnswerValue, list[Finding]]:
        if ":" in qid and external:
            return external(*qid.split(":", 1))
        a = answers.get(qid)
        return (a.value, []) if a else (AnswerValue.UNKNOWN, [])

    radar = []
    for d in pack.dimensions:
        rung = 0
        for r in sorted(d.rungs, key=lambda r: r.level):
            ok, _ = evaluate(r.when, findings, answer_of)
            if not ok:
                break
            rung = r.level
        qs = tuple(q.id for q in pack.questions if q.dimension == d.name)
        radar.append(
            DimensionScore(
                d.name,
                rung,
                d.labels[min(rung, len(d.labels) - 1)],
                qs,
                sum(1 for q in qs if answers[q].value == AnswerValue.YES),
            )
        )
    return Score(
        framework=pack.framework,
        title=pack.title,
        level=level,
        level_name=level_name,
        yes_count=yes,
        total=len(pack.questions),
        answers=tuple(answers[q.id] for q in pack.questions),
        radar=tuple(radar),
    )
