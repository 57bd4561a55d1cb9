"""HTML reporter: one self-contained page (inline CSS and SVG, no script, no network) rendered from the JSON report.

Everything taken from the report is escaped: snippets, paths and messages come from an untrusted repository.
A Content-Security-Policy meta tag forbids scripts and remote loads as a second line of defence.
Stable hooks for tests and styling: #level, #level-name, #radar svg (.radar-axis, .radar-ring, .radar-polygon),
.answer[data-id][data-answer], .evidence a.evidence-link, .pitfall, .next-step, .attestation, .warning, .skipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from ..engine import ScanResult
from ..lazyre import lazy_re
from ..model import wiring_text
from ..report import build_report
from ..textsafe import more
from .links import blob_url, repo_web_url

ANSWER_ORDER = ("yes", "partial", "no", "unknown")
MAX_WARNINGS = 500
MAX_SKIPPED_EXAMPLES = 5
_TITLE_KEYS = ("title", "name", "summary", "label", "heading")
_BODY_KEYS = ("message", "text", "description", "detail", "why", "reason", "action", "advice", "fix", "remediation", "how")
_SLUG = lazy_re(r"[^a-z0-9]+")


def render(result: ScanResult, **_: object) -> str:
    return render_report(build_report(result))


def _e(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def _slug(value: Any) -> str:
    return _SLUG.sub("-", str(value).lower()).strip("-") or "x"


def _level(value: Any) -> str:
    return f"L{value}" if isinstance(value, int) else _e(value)


# ----------------------------------------------------------------------------- generic data


def _data(value: Any, depth: int = 0) -> str:
    """Any JSON value as escaped HTML: scalars as text, lists as lists, mappings as definition lists."""
    if depth > 4:
        return _e(value)
    if isinstance(value, Mapping):
        if not value:
            return ""
        rows = "".join(f"<dt>{_e(k)}</dt><dd>{_data(v, depth + 1)}</dd>" for k, v in value.items())
        return f'<dl class="data">{rows}</dl>'
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return _e(", ".join(_scalar(v) for v in value))
        if value and all(isinstance(v, Mapping) and "path" in v for v in value):
            return _evidence_list(value, {})
        return '<ul class="data">' + "".join(f"<li>{_data(v, depth + 1)}</li>" for v in value) + "</ul>"
    return _e(_scalar(value))


def _scalar(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "" if value is None else str(value)


def _question_refs(value: Any, framework: str) -> str:
    ids = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    if not ids:
        return _data(value)
    return " ".join(f'<a class="question-ref" href="#{_e(_slug(framework))}-{_e(q)}">{_e(q)}</a>' for q in ids)


def _item(item: Any, cls: str, target: Mapping[str, Any], framework: str = "") -> str:
    """One pitfall / next step / attestation: a string, or a mapping with a title, a body and other fields."""
    if not isinstance(item, Mapping):
        return f'<li class="{cls}"><p>{_data(item)}</p></li>'
    title_key = next((k for k in _TITLE_KEYS if isinstance(item.get(k), str) and item.get(k)), None)
    attrs = ""
    if item.get("id") is not None:
        attrs += f' data-id="{_e(item["id"])}"'
    for key in ("severity", "level", "priority"):
        if isinstance(item.get(key), (str, int)) and not isinstance(item.get(key), bool):
            attrs += f' data-{key}="{_e(item[key])}"'
    out = [f'<li class="{cls}"{attrs}>']
    head = []
    if item.get("id") is not None:
        head.append(f'<span class="chip item-id">{_e(item["id"])}</span>')
    if title_key:
        head.append(f'<strong class="item-title">{_e(item[title_key])}</strong>')
    for key in ("severity", "priority"):
        if isinstance(item.get(key), str):
            head.append(f'<span class="chip sev-{_slug(item[key])}">{_e(item[key])}</span>')
    if head:
        out.append('<div class="item-head">' + " ".join(head) + "</div>")
    used = {"id", title_key, "severity", "priority"}
    for key in _BODY_KEYS:
        if key in item and item[key] not in (None, "", [], {}):
            used.add(key)
            body = item[key]
            inner = _e(body) if isinstance(body, str) else _data(body)
            out.append(f'<p class="item-{_slug(key)}">{inner}</p>')
    evidence = item.get("evidence")
    if isinstance(evidence, list) and evidence and all(isinstance(v, Mapping) for v in evidence):
        used.add("evidence")
        out.append(_evidence_list(evidence, target))
    elif isinstance(item.get("path"), str) and item["path"]:
        used.update(("path", "line", "snippet"))
        out.append(_evidence_list([item], target))
    rest = [(k, v) for k, v in item.items() if k not in used and v not in (None, "", [], {})]
    if rest:
        cells = "".join(
            f"<dt>{_e(k)}</dt><dd>{_question_refs(v, framework) if k in ('question', 'questions') else _data(v, 1)}</dd>" for k, v in rest
        )
        out.append(f'<dl class="item-meta">{cells}</dl>')
    out.append("</li>")
    return "".join(out)


def _items_section(report: Mapping[str, Any], key: str, sid: str, title: str, cls: str, ordered: bool = False) -> str:
    value = report.get(key)
    if not value:
        return ""
    target = report.get("target") or {}
    items = value if isinstance(value, list) else [value]
    tag = "ol" if ordered else "ul"
    framework = str(report.get("framework") or "")
    body = "".join(_item(it, cls, target, framework) for it in items)
    return f'<section id="{sid}"><h2>{_e(title)} <span class="count">{len(items)}</span></h2><{tag} class="items">{body}</{tag}></section>'


# ----------------------------------------------------------------------------- evidence


def _evidence_list(evidence: Iterable[Mapping[str, Any]], target: Mapping[str, Any]) -> str:
    remote, commit = target.get("remote"), target.get("commit")
    out = ['<ul class="evidence-list">']
    for ev in evidence:
        path = str(ev.get("path") or "")
        line = ev.get("line") if isinstance(ev.get("line"), int) else None
        end = ev.get("end_line") if isinstance(ev.get("end_line"), int) else None
        loc = (f"{path}:{line}" + (f"-{end}" if end and end > line else "")) if line else path
        url = blob_url(remote, commit, path, line)
        where = (
            f'<a class="evidence-link" href="{_e(url)}" rel="noopener noreferrer">{_e(loc)}</a>'
            if url
            else f'<span class="evidence-path">{_e(loc)}</span>'
        )
        chips = " ".join(
            f'<span class="chip {k}-{_slug(ev[k])}">{_e(ev[k])}</span>' for k in ("detector", "strength", "source") if ev.get(k)
        )
        snippet = ev.get("snippet")
        snip = f'<pre class="snippet"><code>{_e(snippet)}</code></pre>' if snippet else ""
        snip += _wiring(ev, loc)
        attrs = f' data-path="{_e(path)}"' + (f' data-line="{line}"' if line else "")
        if ev.get("strength"):
            attrs += f' data-strength="{_e(ev["strength"])}"'
        out.append(f'<li class="evidence"{attrs}>{where} {chips}{snip}</li>')
    out.append("</ul>")
    return "".join(out)


def _wiring(ev: Mapping[str, Any], loc: str) -> str:
    """Where the cited line sits, how the file is reached (``defined at loc ← run by ... ← called from ...``) and its
    caveats, beside the snippet."""
    out = ""
    context = ev.get("context")
    if isinstance(context, str) and context:
        out += f'<div class="context">at <code>{_e(context)}</code></div>'
    chain = [c for c in ev.get("chain") or [] if isinstance(c, str)] if isinstance(ev.get("chain"), list) else []
    if chain:
        out += '<div class="chain">' + _e(wiring_text(loc, chain)) + "</div>"
    caveats = [c for c in ev.get("caveats") or [] if isinstance(c, str)] if isinstance(ev.get("caveats"), list) else []
    if caveats:
        out += '<ul class="caveats">' + "".join(f'<li class="caveat">⚠ {_e(c)}</li>' for c in caveats) + "</ul>"
    return out


# ----------------------------------------------------------------------------- radar


def radar_svg(radar: list[Mapping[str, Any]], max_level: int = 4) -> str:
    """The radar as inline SVG: one axis per dimension, rings L1..L{max}, the polygon of reached levels."""
    n = len(radar)
    if n < 3:
        return ""
    w, h, cx, cy, r = 640, 440, 320.0, 215.0, 150.0

    def point(i: int, level: float) -> tuple[float, float]:
        a = -math.pi / 2 + 2 * math.pi * i / n
        k = max(0.0, min(float(level), float(max_level))) / max_level
        return round(cx + r * k * math.cos(a), 2), round(cy + r * k * math.sin(a), 2)

    def pts(levels: Iterable[float]) -> str:
        return " ".join(f"{x},{y}" for x, y in (point(i, lv) for i, lv in enumerate(levels)))

    title = "Radar: " + ", ".join(f"{d.get('name')} {_level(d.get('level'))}" for d in radar)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-labelledby="radar-title" class="radar-chart"><title id="radar-title">{_e(title)}</title>'
    ]
    for k in range(1, max_level + 1):
        out.append(f'<polygon class="radar-ring" data-level="{k}" points="{pts([k] * n)}"/>')
    for i, d in enumerate(radar):
        x, y = point(i, max_level)
        out.append(f'<line class="radar-axis" data-dimension="{_e(d.get("name"))}" x1="{cx}" y1="{cy}" x2="{x}" y2="{y}"/>')
    for k in range(0, max_level + 1):
        _, y = point(0, k)
        out.append(f'<text class="radar-ring-label" x="{cx + 4}" y="{y - 3}">L{k}</text>')
    levels = [d.get("level") if isinstance(d.get("level"), int) else 0 for d in radar]
    out.append(f'<polygon class="radar-polygon" points="{pts(levels)}"/>')
    for i, (d, lv) in enumerate(zip(radar, levels)):
        x, y = point(i, lv)
        out.append(f'<circle class="radar-point" data-dimension="{_e(d.get("name"))}" data-level="{lv}" cx="{x}" cy="{y}" r="4"/>')
    for i, d in enumerate(radar):
        a = -math.pi / 2 + 2 * math.pi * i / n
        x, y = round(cx + (r + 16) * math.cos(a), 2), round(cy + (r + 16) * math.sin(a), 2)
        anchor = "middle" if abs(x - cx) < 1 else ("start" if x > cx else "end")
        y = round(y - 14, 2) if math.sin(a) < -0.9 else (round(y + 6, 2) if math.sin(a) > 0.3 else y)
        out.append(
            f'<text class="radar-label" data-dimension="{_e(d.get("name"))}" x="{x}" y="{y}" text-anchor="{anchor}">'
            f'<tspan class="radar-name">{_e(d.get("name"))} {_level(d.get("level"))}</tspan>'
            f'<tspan class="radar-sub" x="{x}" dy="1.25em">{_e(d.get("label"))}</tspan></text>'
        )
    out.append("</svg>")
    return "".join(out)


def _dim_yes(d: Mapping[str, Any]) -> str:
    n = len(d.get("questions") or [])
    return f"{_e(d.get('yes'))}/{n} yes" if n else "—"


def _radar_section(report: Mapping[str, Any]) -> str:
    radar = [d for d in report.get("radar") or [] if isinstance(d, Mapping)]
    if not radar:
        return ""
    rows = "".join(
        f'<tr class="dimension" data-dimension="{_e(d.get("name"))}" data-level="{_e(d.get("level"))}">'
        f'<th scope="row">{_e(d.get("name"))}</th><td class="dim-level">{_level(d.get("level"))}</td>'
        f'<td>{_e(d.get("label"))}</td><td class="dim-yes">{_dim_yes(d)}</td></tr>'
        for d in radar
    )
    table = f'<table class="dimensions"><thead><tr><th>Dimension</th><th>Level</th><th></th><th>Questions</th></tr></thead><tbody>{rows}</tbody></table>'
    return f'<section id="radar"><h2>Radar</h2><div class="radar-wrap">{radar_svg(radar)}{table}</div></section>'


# ----------------------------------------------------------------------------- answers and frameworks


def _answers_table(questions: list[Mapping[str, Any]], target: Mapping[str, Any], framework: str) -> str:
    rows = []
    for q in questions:
        ans = str(q.get("answer") or "unknown")
        cls = _slug(ans)
        mark = f'<span class="pill ans-{cls}">{_e(ans)}</span>'
        if q.get("attested"):
            mark += ' <span class="chip attested">attested</span>'
        live = q.get("live")
        if isinstance(live, Mapping) and live.get("observed") is not None:  # declared vs observed (docs/live.md)
            mark += f' <span class="chip live">declared {_e(live.get("declared"))} · observed {_e(live.get("observed"))}</span>'
        detail = [f'<p class="reason">{_e(q.get("reason"))}</p>'] if q.get("reason") else []
        if ans != "yes" and q.get("looked_for"):
            detail.append(f'<p class="looked-for"><span>Looked for:</span> {_e(q.get("looked_for"))}</p>')
        if q.get("evidence"):
            detail.append(_evidence_list(q["evidence"], target))
        if isinstance(q.get("evidence_omitted"), int):
            detail.append(f'<p class="more">{_e(more(q["evidence_omitted"]))} (see --format json)</p>')
        if q.get("signals"):
            detail.append('<p class="signals">' + " ".join(f'<code class="signal">{_e(s)}</code>' for s in q["signals"]) + "</p>")
        qid = _e(q.get("id"))
        rows.append(
            f'<tr class="answer ans-{cls}" id="{_e(_slug(framework))}-{qid}" data-id="{qid}" data-answer="{_e(ans)}" '
            f'data-framework="{_e(framework)}" data-dimension="{_e(q.get("dimension"))}">'
            f'<th scope="row" class="qid">{qid}</th>'
            f'<td class="question">{_e(q.get("text"))}<div class="dimension-name">{_e(q.get("dimension"))}</div></td>'
            f'<td class="answer-value">{mark}</td><td class="detail">{"".join(detail)}</td></tr>'
        )
    head = "<thead><tr><th>ID</th><th>Question</th><th>Answer</th><th>Evidence / why</th></tr></thead>"
    return f'<table class="answers">{head}<tbody>{"".join(rows)}</tbody></table>'


def _tally(questions: list[Mapping[str, Any]]) -> str:
    counts = {k: 0 for k in ANSWER_ORDER}
    for q in questions:
        a = str(q.get("answer"))
        counts[a] = counts.get(a, 0) + 1
    return " ".join(f'<span class="pill ans-{_slug(k)}" data-count="{v}">{v} {_e(k)}</span>' for k, v in counts.items() if v)


def _frameworks_section(report: Mapping[str, Any]) -> str:
    fws = report.get("frameworks") or {}
    if not isinstance(fws, Mapping) or not fws:
        return ""
    primary = report.get("framework")
    target = report.get("target") or {}
    rows, others = [], []
    for name, fw in fws.items():
        if not isinstance(fw, Mapping):
            continue
        mark = ' <span class="chip">primary</span>' if name == primary else ""
        rows.append(
            f'<tr class="framework" data-framework="{_e(name)}" data-level="{_e(fw.get("level"))}">'
            f'<th scope="row"><code>{_e(name)}</code>{mark}</th><td>{_e(fw.get("title"))}</td>'
            f'<td class="fw-level">{_level(fw.get("level"))}</td><td class="fw-level-name">{_e(fw.get("level_name"))}</td>'
            f'<td>{_e(fw.get("yes_count"))}/{_e(fw.get("total"))}</td></tr>'
        )
        if name != primary and fw.get("questions"):
            others.append(
                f'<details class="framework-answers" id="framework-{_e(_slug(name))}"><summary>{_e(fw.get("title") or name)}: '
                f"{_level(fw.get('level'))} {_e(fw.get('level_name'))} · {_tally(fw['questions'])}</summary>"
                f"{_answers_table(fw['questions'], target, str(name))}</details>"
            )
    head = "<thead><tr><th>Framework</th><th>Title</th><th>Level</th><th>Name</th><th>Met</th></tr></thead>"
    return (
        f'<section id="frameworks"><h2>Maturity models</h2><table class="frameworks">{head}<tbody>{"".join(rows)}</tbody></table>'
        f"{''.join(others)}</section>"
    )


def _crosswalk_section(report: Mapping[str, Any]) -> str:
    cw = report.get("crosswalk")
    if not cw:
        return ""
    return f'<section id="crosswalk"><h2>Crosswalk</h2><div class="crosswalk">{_data(cw)}</div></section>'


# ----------------------------------------------------------------------------- scan notes


def _warnings_section(report: Mapping[str, Any]) -> str:
    warnings = [w for w in report.get("warnings") or [] if isinstance(w, Mapping)]
    if not warnings:
        return ""
    items = "".join(
        f'<li class="warning" data-code="{_e(w.get("code"))}"><span class="chip">{_e(w.get("code"))}</span> '
        f'<code class="warning-path">{_e(w.get("path") or "-")}</code> {_e(w.get("message"))}</li>'
        for w in warnings[:MAX_WARNINGS]
    )
    omitted = report.get("warnings_omitted") if isinstance(report.get("warnings_omitted"), int) else 0
    total = len(warnings) + omitted
    rest = f'<p class="more">{_e(more(total - MAX_WARNINGS))} (see --format json)</p>' if total > MAX_WARNINGS else ""
    return (
        f'<section id="warnings"><details><summary><h2>Scan warnings <span class="count">{total}</span></h2></summary>'
        f'<ul class="warnings">{items}</ul>{rest}</details></section>'
    )


def _skipped_section(report: Mapping[str, Any]) -> str:
    skipped = report.get("skipped") or {}
    if not isinstance(skipped, Mapping) or not skipped:
        return ""
    rows = []
    total = 0
    for reason, info in skipped.items():
        info = info if isinstance(info, Mapping) else {}
        count = info.get("count", 0)
        total += count if isinstance(count, int) else 0
        examples = ", ".join(str(x) for x in (info.get("examples") or [])[:MAX_SKIPPED_EXAMPLES])
        rows.append(
            f'<tr class="skipped" data-reason="{_e(reason)}"><th scope="row">{_e(reason)}</th><td>{_e(count)}</td>'
            f"<td><code>{_e(examples)}</code></td></tr>"
        )
    return (
        f'<section id="skipped"><h2>Skipped files <span class="count">{total}</span></h2><table class="skipped-files">'
        f'<thead><tr><th>Reason</th><th>Files</th><th>Examples</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )


def _footer(report: Mapping[str, Any]) -> str:
    tool = report.get("tool") or {}
    stats = report.get("stats") or {}
    policy = report.get("policy") or {}
    facts = " · ".join(f"{_e(k.replace('_', ' '))}: {_e(_scalar(v))}" for k, v in stats.items() if not isinstance(v, (dict, list)))
    pol = " · ".join(
        f"{_e(k.replace('_', ' '))}: {_e(_scalar(v))}" for k, v in policy.items() if not isinstance(v, (dict, list)) and v not in ("", None)
    )
    return (
        f'<footer id="footer"><p class="stats">{facts}</p>'
        + (f'<p class="policy">{pol}</p>' if pol else "")
        + f'<p>Generated by <span id="tool">{_e(tool.get("name", "mlscan"))} {_e(tool.get("version"))}</span> · report schema '
        f"{_e(report.get('schema_version'))}. Presence is not practice: only tools wired into an automated path count.</p></footer>"
    )


def _header(report: Mapping[str, Any]) -> str:
    t = report.get("target") or {}
    level = report.get("level")
    lvl_cls = f"lvl-{level}" if isinstance(level, int) else "lvl-x"
    where = [f'<code id="target-path">{_e(t.get("path"))}</code>']
    if t.get("subdir"):
        where.append(f'subdir <code id="target-subdir">{_e(t["subdir"])}</code>')
    if t.get("commit"):
        where.append(f'@ <code id="target-commit" title="{_e(t["commit"])}">{_e(str(t["commit"])[:12])}</code>')
    web = repo_web_url(t.get("remote"))
    if web:
        where.append(f'<a id="target-remote" href="{_e(web)}" rel="noopener noreferrer">{_e(web)}</a>')
    elif t.get("remote"):
        where.append(f'<code id="target-remote">{_e(t["remote"])}</code>')
    return (
        f'<header id="summary"><div class="level-badge {lvl_cls}"><span id="level">{_level(level)}</span></div>'
        f'<div class="summary-text"><h1><span class="tool-name">mlscan</span> <span id="level-name">{_e(report.get("level_name"))}</span></h1>'
        f'<p id="framework-title">{_e(report.get("title"))} · <strong id="yes-count">{_e(report.get("yes_count"))}</strong>/'
        f'{_e(report.get("total"))} yes · {_tally(report.get("questions") or [])}</p>'
        f'<p id="target">{" ".join(where)}</p></div></header>'
    )


def _next_steps_section(report: Mapping[str, Any]) -> str:
    """Schema 1.1 ``next_steps`` object: target level, bottleneck, cheapest actions, cost and readiness."""
    ns = report.get("next_steps")
    if not isinstance(ns, Mapping):
        return _items_section(report, "next_steps", "next-steps", "Next steps", "next-step", ordered=True)
    if not ns:
        return ""
    parts = []
    if ns.get("target_level") is not None:
        parts.append(
            f'<p class="aim">Aim at <strong>L{_e(ns.get("target_level"))} — {_e(ns.get("target_name"))}</strong> next '
            f"(now L{_e(ns.get('current_level'))}): {_e(ns.get('needed_yes'))} more yes answer(s) needed.</p>"
        )
    else:
        parts.append('<p class="aim">At the top level of this model: keep every answer true.</p>')
    b = ns.get("bottleneck")
    if isinstance(b, Mapping) and b.get("dimension"):
        parts.append(f'<p class="bottleneck">Bottleneck: <strong>{_e(b.get("dimension"))}</strong> at L{_e(b.get("level"))} ({_e(b.get("label"))})</p>')
    items = []
    for a in ns.get("actions") or []:
        if not isinstance(a, Mapping):
            continue
        tools = ", ".join(str(t) for t in a.get("tools") or [])
        present = a.get("evidence_present") or []
        ev = ""
        if present:
            locs = ", ".join(f"{_e(e.get('path'))}:{_e(e.get('line'))}" for e in present if isinstance(e, Mapping))
            ev = f'<div class="present">Already there: <code>{locs}</code></div>'
        items.append(
            f'<li class="next-step" data-question="{_e(a.get("question"))}"><a href="#{_e(_slug(str(ns.get("framework") or report.get("framework") or "")))}-{_e(a.get("question"))}">{_e(a.get("question"))}</a> '
            f'({_e(a.get("answer"))}) {_e(a.get("text"))}<div class="action">{_e(a.get("action"))}'
            + (f" <span class=\"tools\">Tools: {_e(tools)}</span>" if tools else "")
            + f"</div>{ev}</li>"
        )
    if items:
        parts.append(f'<ol class="actions">{"".join(items)}</ol>')
    t = ns.get("transition")
    if isinstance(t, Mapping) and t:
        parts.append(
            f'<p class="transition">Transition L{_e(t.get("from"))} → L{_e(t.get("to"))}: {_e(t.get("duration"))}; '
            f"{_e(t.get('effort'))}; {_e(t.get('cost'))}. Payoff: {_e(t.get('payoff'))}</p>"
        )
    ready = [r for r in ns.get("readiness") or [] if isinstance(r, str)]
    if ready:
        parts.append('<p>Ready to level up when:</p><ul class="readiness">' + "".join(f"<li>{_e(r)}</li>" for r in ready) + "</ul>")
    return f'<section id="next-steps"><h2>Next steps</h2>{"".join(parts)}</section>'


def render_report(report: Mapping[str, Any]) -> str:
    """The whole page for a JSON report dict (``build_report``): pure, deterministic."""
    target = report.get("target") or {}
    title = f"mlscan {_level(report.get('level'))} — {report.get('level_name') or ''} — {target.get('path') or ''}"
    body = [
        _header(report),
        _radar_section(report),
        f'<section id="answers"><h2>Answers</h2>{_answers_table(report.get("questions") or [], target, str(report.get("framework") or ""))}</section>',
        _items_section(report, "pitfalls", "pitfalls", "Pitfalls", "pitfall"),
        _next_steps_section(report),
        _frameworks_section(report),
        _crosswalk_section(report),
        _items_section(report, "attestations", "attestations", "Attestations", "attestation"),
        _warnings_section(report),
        _skipped_section(report),
        _footer(report),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body><main>\n"
        + "\n".join(b for b in body if b)
        + "\n</main></body></html>\n"
    )


CSS = """
:root{--yes:#1a7f37;--partial:#b7791f;--no:#cf222e;--unknown:#6e7781;--ink:#1f2328;--mute:#59636e;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{margin:0;font-size:26px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
a{color:#0969da}
#summary{display:flex;gap:20px;align-items:center;padding:16px;border:1px solid var(--line);border-radius:10px;background:var(--bg)}
.level-badge{min-width:96px;height:96px;border-radius:14px;display:flex;align-items:center;justify-content:center;color:#fff;font-size:40px;font-weight:700}
.lvl-0{background:#cf222e}.lvl-1{background:#e16f24}.lvl-2{background:#bf8700}.lvl-3{background:#6f9e1f}.lvl-4{background:#1a7f37}.lvl-x{background:#6e7781}
.tool-name{color:var(--mute);font-weight:400}
.summary-text p{margin:6px 0}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff;background:var(--unknown)}
.pill.ans-yes{background:var(--yes)}.pill.ans-partial{background:var(--partial)}.pill.ans-no{background:var(--no)}
.chip{display:inline-block;border:1px solid var(--line);border-radius:6px;padding:0 6px;font-size:11px;color:var(--mute);background:#fff}
.count{font-size:12px;color:var(--mute);font-weight:400}
.radar-wrap{display:flex;flex-wrap:wrap;gap:16px;align-items:center}
.radar-chart{max-width:100%;height:auto}
.radar-ring{fill:none;stroke:#d0d7de;stroke-width:1}
.radar-ring[data-level="4"]{stroke:#afb8c1}
.radar-axis{stroke:#afb8c1;stroke-width:1}
.radar-polygon{fill:rgba(9,105,218,.22);stroke:#0969da;stroke-width:2}
.radar-point{fill:#0969da}
.radar-ring-label{font-size:10px;fill:#8c959f}
.radar-label{font-size:13px;fill:#1f2328}.radar-name{font-weight:700}.radar-sub{font-size:11px;fill:#59636e}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
thead th{background:var(--bg);font-size:12px;color:var(--mute)}
table.dimensions{width:auto;flex:1}
.answers .qid{font-weight:700;white-space:nowrap}
.answers .question{width:32%}
.answers .answer-value{white-space:nowrap}
.answer.ans-no{background:#fff8f8}.answer.ans-partial{background:#fffbf0}
.dimension-name{color:var(--mute);font-size:12px}
.reason{margin:0 0 4px}.looked-for{margin:0 0 4px;color:var(--mute);font-size:12px}.looked-for span{font-weight:600}
.evidence-list{list-style:none;margin:4px 0;padding:0}
.evidence{margin:0 0 6px}
.chain,.context{margin:2px 0 0;font-size:.9em;color:var(--muted,#555)}
.caveats{list-style:none;margin:2px 0 0;padding:0;color:#9a6700}
.snippet{margin:3px 0 0;padding:6px 8px;background:var(--bg);border:1px solid var(--line);border-radius:6px;white-space:pre-wrap;word-break:break-all;max-height:9em;overflow:auto}
.signals{margin:2px 0;font-size:11px}.signal{color:var(--mute)}
.items{padding-left:20px}.items>li{margin:0 0 12px}ul.items{list-style:none;padding-left:0}
.item-head{display:flex;gap:8px;align-items:center;flex-wrap:wrap}.items p{margin:3px 0}
.item-meta,.data{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0;font-size:12px}
.item-meta dt,.data dt{color:var(--mute)}.item-meta dd,.data dd{margin:0}
ul.data{margin:2px 0;padding-left:18px}
.sev-high,.sev-critical{border-color:var(--no);color:var(--no)}.sev-medium{border-color:var(--partial);color:var(--partial)}
.pitfall{border-left:3px solid var(--no);padding-left:10px}.attestation{border-left:3px solid var(--yes);padding-left:10px}.next-step{padding-left:4px}
details summary h2{display:inline;border:0}
.warnings{font-size:12px;padding-left:18px}
footer{margin-top:32px;color:var(--mute);font-size:12px;border-top:1px solid var(--line)}
@media print{.snippet{max-height:none}}
"""
