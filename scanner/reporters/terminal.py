"""Terminal reporter (rich): level, radar, the answers with their strongest evidence, warnings."""

from __future__ import annotations

import io
from typing import Any

from ..engine import ScanResult
from ..model import AnswerValue
from ..textsafe import display_path, first_line, more, printable, truncate

_STYLE = {AnswerValue.YES: "green", AnswerValue.PARTIAL: "yellow", AnswerValue.NO: "red", AnswerValue.UNKNOWN: "dim"}


def _extras(con: Any, result: ScanResult) -> None:
    """Crosswalk, pitfalls and next steps: short, the JSON report has the rest."""
    from .markdown import crosswalk_line

    if result.crosswalk:
        con.print(f"[bold]Crosswalk[/bold] {crosswalk_line(result.crosswalk)}", highlight=False)
    for hit in result.pitfalls:
        p = hit.pitfall
        where = ", ".join(f"{display_path(e.path)}:{e.line}" if e.line else display_path(e.path) for e in hit.evidence[:2])
        miss = ", ".join(m.question or m.text for m in hit.missing)
        con.print(f"[red]Pitfall[/red] [bold]{p.title}[/bold] ({p.source})", highlight=False)
        con.print(f"  evidence: {where or '-'}" + (f"; missing: {miss}" if miss else ""), markup=False)
        con.print(f"  fix: {p.fix}", markup=False)
    ns = result.next_steps
    if ns is not None and ns.target_level is not None:
        b = ns.bottleneck or {}
        con.print(
            f"[bold]Next: level {ns.current_level} → {ns.target_level}[/bold] ({ns.target_name}); "
            f"{ns.needed_yes} more yes; bottleneck: {b.get('dimension', '-')}",
            highlight=False,
        )
        for a in ns.actions:
            tools = f" [{', '.join(a.tools)}]" if a.tools else ""
            con.print(f"  {a.question} ({a.answer}): {a.action}{tools}", markup=False)
        t = ns.transition
        if t:
            facts = " · ".join(str(t[k]) for k in ("duration", "effort", "cost") if t.get(k))
            con.print(f"  transition: {facts}", markup=False)


def _s(text: object) -> str:
    """Repository text for a rich markup string: escape sequences and control characters as \\xNN, markup escaped."""
    from rich.markup import escape

    return escape(printable(str(text), keep="\n"))


def render(result: ScanResult, *, color: bool = False, width: int = 120, **_: object) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    s = result.primary
    t = result.target
    con.print(f"[bold]mlscan[/bold] {_s(display_path(str(t.root)))}{'/' + _s(display_path(t.subdir)) if t.subdir else ''}" + (f" @ {_s(t.commit[:12])}" if t.commit else ""))
    con.print(f"[bold]Level L{s.level}[/bold] — {s.level_name}   ({s.yes_count}/{s.total} yes, {s.title})")
    radar = Table(title="Radar", show_header=True, header_style="bold")
    radar.add_column("Dimension")
    radar.add_column("Level")
    radar.add_column("")
    for d in s.radar:
        radar.add_row(d.name, f"L{d.rung} " + "■" * d.rung + "□" * (4 - d.rung), d.label)
    con.print(radar)
    table = Table(show_header=True, header_style="bold", show_lines=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("Answer", no_wrap=True)
    table.add_column("Question")
    table.add_column("Evidence / reason (defined at ... ← how it is reached, ⚠ caveats)", overflow="fold")  # paths wrap, never cut
    for a in s.answers:
        if a.evidence:
            e = a.evidence[0]
            ev = _s(e.location() + (f" ({e.context})" if e.context else ""))
            if first_line(e.snippet):
                ev += f"\n  {_s(truncate(first_line(e.snippet), 80))}"
            if e.chain:
                ev += "\n  " + _s(e.wiring())
            if e.caveats:
                ev += "\n  ⚠ " + "; ".join(_s(c) for c in e.caveats)
            extra = len(a.evidence) - 1 + a.evidence_omitted
            if extra:
                ev += f"\n  {more(extra)}"
        else:
            ev = _s(a.reason)
        label = str(a.value) + (" (attested)" if a.attested else "")
        table.add_row(a.id, f"[{_STYLE[a.value]}]{label}[/]", a.text, ev)
    con.print(table)
    for _name, other in list(result.scores.items())[1:]:
        con.print(f"{other.title}: level {other.level} — {other.level_name}")
    if result.extras.get("live"):  # declared vs observed (scanner/live/render.py)
        from ..live.render import text_lines

        for line in text_lines(result.extras["live"], {a.id: str(a.value) for a in s.answers}):
            con.print(line, markup=False)
    _extras(con, result)
    if result.warnings:
        con.print(f"[yellow]{len(result.warnings)} warning(s)[/yellow]")
        for w in result.warnings[:20]:
            con.print(f"  {display_path(w.path or '-')}: {printable(w.message)}", markup=False)
        if len(result.warnings) > 20:
            con.print(f"  {more(len(result.warnings) - 20)} (see --format json)")
    skipped = ", ".join(f"{k} {v['count']}" for k, v in result.skipped.items())
    if skipped:
        con.print(f"[dim]skipped files: {skipped}[/dim]")
    text = buf.getvalue()
    return text if color else printable(text, keep="\n")  # plain text: nothing but what the report wrote
