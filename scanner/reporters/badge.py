"""Badges: ``-f badge-json`` (a shields.io endpoint document) and ``-f badge-svg`` (a static self-contained SVG).

Both show the primary framework's level, coloured red (L0) to bright green (L4):
``{"schemaVersion": 1, "label": "ML maturity", "message": "L2", "color": "yellow"}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from ..engine import ScanResult
from ..report import build_report

LABEL = "ML maturity"
# level -> (shields.io named colour, the same colour in hex for the static SVG)
COLORS = {0: ("red", "#e05d44"), 1: ("orange", "#fe7d37"), 2: ("yellow", "#dfb317"), 3: ("yellowgreen", "#a4a61d"), 4: ("brightgreen", "#44cc11")}
UNKNOWN_COLOR = ("lightgrey", "#9f9f9f")

# Approximate advance widths (px) of Verdana at 11px, enough to size the two halves of the badge.
_NARROW = set("fijlrtI.,:;'!|()[] ")
_WIDE = set("mwMW@%")


def _color(level: Any) -> tuple[str, str]:
    if isinstance(level, int) and not isinstance(level, bool):
        return COLORS.get(max(0, min(level, 4)), UNKNOWN_COLOR)
    return UNKNOWN_COLOR


def _message(report: Mapping[str, Any]) -> str:
    level = report.get("level")
    return f"L{level}" if isinstance(level, int) else "unknown"


def badge_endpoint(report: Mapping[str, Any]) -> dict[str, Any]:
    """The shields.io endpoint JSON (https://shields.io/badges/endpoint-badge) for a report dict."""
    return {"schemaVersion": 1, "label": LABEL, "message": _message(report), "color": _color(report.get("level"))[0]}


def text_width(text: str) -> int:
    w = 0.0
    for ch in text:
        if ch in _NARROW:
            w += 4.0
        elif ch in _WIDE:
            w += 10.5
        elif ch.isupper() or ch.isdigit():
            w += 7.5
        else:
            w += 6.6
    return int(round(w))


def badge_svg(report: Mapping[str, Any]) -> str:
    """A flat 20px badge as standalone SVG: no fonts, images or links to fetch."""
    message = _message(report)
    color = _color(report.get("level"))[1]
    lw, mw = text_width(LABEL) + 12, text_width(message) + 12
    w = lw + mw
    title = f"{LABEL}: {message}"
    if report.get("level_name"):
        title += f" — {report['level_name']}"
    if report.get("framework"):
        title += f" ({report['framework']}, {report.get('yes_count')}/{report.get('total')} yes)"
    t, lbl, msg = escape(title), escape(LABEL), escape(message)
    font = 'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" viewBox="0 0 {w} 20" role="img" aria-label="{escape(LABEL)}: {msg}">'
        f"<title>{t}</title>"
        f'<clipPath id="mlscan-badge-clip"><rect width="{w}" height="20" rx="3"/></clipPath>'
        f'<g clip-path="url(#mlscan-badge-clip)"><rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{color}"/></g>'
        f'<g fill="#fff" text-anchor="middle" {font}>'
        f'<text x="{lw / 2:g}" y="15" fill="#010101" fill-opacity=".3">{lbl}</text><text x="{lw / 2:g}" y="14">{lbl}</text>'
        f'<text x="{lw + mw / 2:g}" y="15" fill="#010101" fill-opacity=".3">{msg}</text><text x="{lw + mw / 2:g}" y="14">{msg}</text>'
        "</g></svg>\n"
    )


def render_json(result: ScanResult, **_: object) -> str:
    return json.dumps(badge_endpoint(build_report(result)), indent=2) + "\n"


def render_svg(result: ScanResult, **_: object) -> str:
    return badge_svg(build_report(result))
