"""The org dashboard: one static, script-free HTML page from the results database, each project's own HTML
report beside it (``mlscan.reporters.html``), and CSV/JSON exports of the same rows.

Hooks for tests and styling: #levels .level-bar[data-level][data-count], #org-radar svg, #projects
tr.project[data-repo][data-level] with .sparkline, #pitfalls li.pitfall[data-id][data-count],
#movers tr.mover[data-delta], #failures li.failure, a.report-link.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..reporters.html import CSS as REPORT_CSS
from ..reporters.html import radar_svg, render_report
from ..target import redact_url
from .store import Store, now, scans

HISTORY = 30  # points in a sparkline


@dataclass
class Project:
    repo: str
    url: str
    subdir: str
    status: str
    level: int | None
    level_name: str | None
    yes_count: int | None
    head: str | None
    scanned_at: datetime
    reason: str
    answers: dict[str, str] = field(default_factory=dict)
    radar: list[dict[str, Any]] = field(default_factory=list)
    pitfalls: list[str] = field(default_factory=list)
    history: list[tuple[datetime, int | None, int | None]] = field(default_factory=list)  # (when, level, yes)
    scan_id: int = 0
    framework: str | None = None

    @property
    def slug(self) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", self.repo.lower()).strip("-")[:60] or "repo"
        return f"{base}-{hashlib.sha256(f'{self.url}#{self.subdir}'.encode()).hexdigest()[:8]}"


def _e(v: Any) -> str:
    return "" if v is None else escape(str(v), quote=True)


def load(store: Store) -> tuple[list[Project], dict[int, str]]:
    """The newest scan of every project with its history, and the titles of the pitfalls seen."""
    hist: dict[tuple[str, str], list[Any]] = defaultdict(list)
    cols = [scans.c.id, scans.c.repo, scans.c.url, scans.c.subdir, scans.c.status, scans.c.level, scans.c.level_name, scans.c.yes_count,
            scans.c.head, scans.c.scanned_at, scans.c.reason, scans.c.answers, scans.c.radar, scans.c.pitfalls, scans.c.framework]
    with store.engine.connect() as conn:
        for r in conn.execute(select(*cols).order_by(scans.c.scanned_at, scans.c.id)):
            hist[(r.url, r.subdir)].append(r)
    out = []
    for rows in hist.values():
        last = rows[-1]
        p = Project(
            repo=last.repo, url=last.url, subdir=last.subdir, status=last.status, level=last.level, level_name=last.level_name,
            yes_count=last.yes_count, head=last.head, scanned_at=last.scanned_at, reason=last.reason or "",
            answers=json.loads(last.answers) if last.answers else {}, radar=json.loads(last.radar) if last.radar else [],
            pitfalls=json.loads(last.pitfalls) if last.pitfalls else [], scan_id=last.id, framework=last.framework,
        )
        p.history = [(r.scanned_at, r.level, r.yes_count) for r in rows if r.status == "ok"][-HISTORY:]
        out.append(p)
    out.sort(key=lambda p: (p.repo.lower(), p.subdir))
    return out, {}


def _report_of(store: Store, scan_id: int) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        raw = conn.execute(select(scans.c.report).where(scans.c.id == scan_id)).scalar()
    return json.loads(raw) if raw else None


def distribution(projects: Sequence[Project]) -> dict[int, int]:
    c = Counter(p.level for p in projects if p.status == "ok" and p.level is not None)
    top = max([4, *c.keys()])
    return {lv: c.get(lv, 0) for lv in range(0, top + 1)}


def org_radar(projects: Sequence[Project]) -> list[dict[str, Any]]:
    """Each dimension's mean level over the projects' newest scans (rounded down: a level is reached or not)."""
    sums: dict[str, list[int]] = {}
    for p in projects:
        if p.status != "ok":
            continue
        for d in p.radar:
            if isinstance(d.get("level"), int):
                sums.setdefault(str(d.get("name")), []).append(d["level"])
    return [{"name": n, "level": int(sum(v) / len(v)), "label": f"mean {sum(v) / len(v):.1f} over {len(v)}"} for n, v in sums.items()]


def movers(projects: Sequence[Project], days: int, at: datetime | None = None) -> list[dict[str, Any]]:
    """Projects whose yes-count changed since their newest scan at least ``days`` old, biggest change first."""
    cut = (at or now()) - timedelta(days=days)
    out = []
    for p in projects:
        before = [h for h in p.history if h[0] <= cut]
        if p.status != "ok" or not before or p.yes_count is None or before[-1][2] is None:
            continue
        delta = p.yes_count - before[-1][2]
        if delta:
            out.append({"repo": p.repo, "subdir": p.subdir, "from_level": before[-1][1], "to_level": p.level, "from_yes": before[-1][2],
                        "to_yes": p.yes_count, "delta": delta, "since": before[-1][0].isoformat(timespec="seconds"), "slug": p.slug})
    out.sort(key=lambda m: (-abs(m["delta"]), m["repo"]))
    return out[:15]


def sparkline(points: Sequence[tuple[datetime, int | None, int | None]], *, top: int = 20, w: int = 120, h: int = 24) -> str:
    ys = [y for _, _, y in points if y is not None]
    if not ys:
        return ""
    n = len(ys)
    step = w / max(n - 1, 1)
    coords = [(round(i * step if n > 1 else w / 2, 1), round(h - 2 - (h - 4) * min(y, top) / max(top, 1), 1)) for i, y in enumerate(ys)]
    title = "yes answers: " + " → ".join(str(y) for y in ys)
    poly = " ".join(f"{x},{y}" for x, y in coords)
    lx, ly = coords[-1]
    return (f'<svg class="sparkline" data-points="{n}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"><title>{_e(title)}</title>'
            f'<polyline points="{poly}"/><circle cx="{lx}" cy="{ly}" r="2.5"/></svg>')


def _levels_svg(dist: Mapping[int, int]) -> str:
    total = max(sum(dist.values()), 1)
    peak = max([*dist.values(), 1])
    bars = []
    for i, (lv, n) in enumerate(sorted(dist.items())):
        bh = round(140 * n / peak, 1)
        x = 20 + i * 90
        bars.append(
            f'<g class="level-bar" data-level="{lv}" data-count="{n}"><rect class="lvl-{min(lv, 4)}" x="{x}" y="{160 - bh}" width="60" height="{bh}"/>'
            f'<text x="{x + 30}" y="{155 - bh}" text-anchor="middle">{n} ({100 * n / total:.0f}%)</text>'
            f'<text x="{x + 30}" y="178" text-anchor="middle" class="axis">L{lv}</text></g>'
        )
    w = 40 + 90 * len(dist)
    return f'<svg viewBox="0 0 {w} 190" width="{w}" height="190" role="img" aria-label="projects per level">{"".join(bars)}</svg>'


def render(projects: Sequence[Project], pitfall_titles: Mapping[str, str], days: int, generated: datetime) -> str:
    ok = [p for p in projects if p.status == "ok"]
    failed = [p for p in projects if p.status != "ok"]
    dist = distribution(projects)
    radar = org_radar(projects)
    pits = Counter(pid for p in ok for pid in p.pitfalls)
    moved = movers(projects, days, generated)
    rows = []
    for p in projects:
        lvl = f"L{p.level}" if p.level is not None else "—"
        link = f'<a class="report-link" href="repos/{_e(p.slug)}.html">{_e(p.repo)}</a>' if p.status == "ok" else _e(p.repo)
        rows.append(
            f'<tr class="project" data-repo="{_e(p.repo)}" data-level="{_e(p.level)}" data-status="{_e(p.status)}">'
            f'<td>{link}</td><td class="lvl"><span class="pill lvl-{p.level if p.level is not None else "x"}">{lvl}</span> {_e(p.level_name)}</td>'
            f'<td class="yes">{_e(p.yes_count)}</td><td>{sparkline(p.history)}</td>'
            f'<td><code>{_e((p.head or "")[:12])}</code></td><td>{p.scanned_at:%Y-%m-%d %H:%M}</td>'
            f'<td class="why">{_e(p.reason) if p.status != "ok" else ""}</td></tr>'
        )
    pit_items = "".join(
        f'<li class="pitfall" data-id="{_e(pid)}" data-count="{n}"><strong>{_e(pitfall_titles.get(pid, pid))}</strong> '
        f'<span class="count">{n} of {len(ok)} projects</span></li>'
        for pid, n in pits.most_common(10)
    ) or "<li>none found</li>"
    mover_rows = "".join(
        f'<tr class="mover" data-delta="{m["delta"]}"><td><a href="repos/{_e(m["slug"])}.html">{_e(m["repo"])}</a></td>'
        f'<td>L{_e(m["from_level"])} → L{_e(m["to_level"])}</td><td class="{"up" if m["delta"] > 0 else "down"}">{m["delta"]:+d} yes</td>'
        f'<td>{_e(m["since"][:10])}</td></tr>'
        for m in moved
    )
    movers_html = (f'<table><thead><tr><th>Project</th><th>Level</th><th>Change</th><th>Compared with</th></tr></thead><tbody>{mover_rows}</tbody></table>'
                   if moved else f"<p>No project changed since {days} days ago (or no scan is that old yet).</p>")
    fail_items = "".join(f'<li class="failure"><strong>{_e(p.repo)}</strong>: {_e(p.reason)}</li>' for p in failed)
    body = f"""
<header id="org-summary"><h1>ML maturity across the organisation</h1>
<p>{len(projects)} projects · {len(ok)} scanned · {len(failed)} failed · generated {generated:%Y-%m-%d %H:%M} UTC ·
<a href="mlscan-org.csv">CSV</a> · <a href="mlscan-org.json">JSON</a></p></header>
<section id="levels"><h2>Level distribution</h2>{_levels_svg(dist)}</section>
<section id="org-radar"><h2>The organisation's radar</h2><p class="count">Each dimension: the mean level of the newest scans.</p>{radar_svg(radar)}</section>
<section id="pitfalls"><h2>Most common pitfalls</h2><ol>{pit_items}</ol></section>
<section id="movers"><h2>Biggest movers since {days} days ago</h2>{movers_html}</section>
<section id="projects"><h2>Projects</h2><table><thead><tr><th>Project</th><th>Level</th><th>Yes</th><th>Trend</th><th>Commit</th>
<th>Scanned (UTC)</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>
{f'<section id="failures"><h2>Failed</h2><ul>{fail_items}</ul></section>' if failed else ""}
<footer><p>mlscan org report · every project's page is its own mlscan HTML report.</p></footer>"""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">'
        f"<title>mlscan — organisation dashboard</title><style>{REPORT_CSS}{CSS}</style></head>\n<body><main>{body}\n</main></body></html>\n"
    )


CSS = """
.sparkline polyline{fill:none;stroke:#0969da;stroke-width:1.5}.sparkline circle{fill:#0969da}
#levels rect.lvl-0{fill:#cf222e}#levels rect.lvl-1{fill:#e16f24}#levels rect.lvl-2{fill:#bf8700}#levels rect.lvl-3{fill:#6f9e1f}#levels rect.lvl-4{fill:#1a7f37}
#levels text{font-size:12px;fill:#1f2328}#levels text.axis{font-weight:700}
td.up{color:#1a7f37;font-weight:600}td.down{color:#cf222e;font-weight:600}td.why{color:#cf222e;font-size:12px}
.pill.lvl-0{background:#cf222e}.pill.lvl-1{background:#e16f24}.pill.lvl-2{background:#bf8700}.pill.lvl-3{background:#6f9e1f}.pill.lvl-4{background:#1a7f37}
"""

CSV_FIELDS = ("repo", "url", "subdir", "status", "level", "level_name", "yes_count", "head", "scanned_at", "reason")


def write_dashboard(store: Store, out: Path, *, days: int = 7, at: datetime | None = None) -> int:
    """index.html, repos/<project>.html, mlscan-org.csv and mlscan-org.json in ``out``; returns the project count."""
    generated = at or now()
    projects, _ = load(store)
    titles: dict[str, str] = {}
    (out / "repos").mkdir(parents=True, exist_ok=True)
    for p in projects:
        if p.status != "ok":
            continue
        report = _report_of(store, p.scan_id)
        if report is None:
            continue
        for pit in report.get("pitfalls") or []:
            if isinstance(pit, Mapping) and pit.get("id"):
                titles.setdefault(str(pit["id"]), str(pit.get("title") or pit["id"]))
        (out / "repos" / f"{p.slug}.html").write_text(render_report(report), encoding="utf-8")
    (out / "index.html").write_text(render(projects, titles, days, generated), encoding="utf-8")
    questions = sorted({q for p in projects for q in p.answers}, key=lambda q: (re.sub(r"\d+", "", q), int(re.sub(r"\D", "", q) or 0)))
    with open(out / "mlscan-org.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*CSV_FIELDS, *questions])
        for p in projects:
            w.writerow([p.repo, redact_url(p.url), p.subdir, p.status, p.level, p.level_name, p.yes_count, p.head,
                        p.scanned_at.isoformat(timespec="seconds"), p.reason, *(p.answers.get(q, "") for q in questions)])
    data = {
        "generated_at": generated.isoformat(timespec="seconds"),
        "level_distribution": {f"L{k}": v for k, v in distribution(projects).items()},
        "radar": org_radar(projects),
        "pitfalls": [{"id": k, "title": titles.get(k, k), "projects": n} for k, n in Counter(x for p in projects if p.status == "ok" for x in p.pitfalls).most_common()],
        "movers": [{k: v for k, v in m.items() if k != "slug"} for m in movers(projects, days, generated)],
        "projects": [
            {
                "repo": p.repo, "url": redact_url(p.url), "subdir": p.subdir, "status": p.status, "level": p.level, "level_name": p.level_name,
                "yes_count": p.yes_count, "head": p.head, "scanned_at": p.scanned_at.isoformat(timespec="seconds"), "reason": p.reason,
                "answers": p.answers, "pitfalls": p.pitfalls, "report": f"repos/{p.slug}.html" if p.status == "ok" else None,
                "history": [{"at": t.isoformat(timespec="seconds"), "level": lv, "yes_count": y} for t, lv, y in p.history],
            }
            for p in projects
        ],
    }
    (out / "mlscan-org.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(projects)
