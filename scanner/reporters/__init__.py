"""Reporters render a ScanResult; REPORTERS maps a format name to ``module`` (its ``render``) or ``module:function``.

Every renderer has the signature ``render(result, **options) -> str``; modules are imported only when used.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

REPORTERS: dict[str, str] = {
    "terminal": "terminal",
    "json": "json_report",
    "markdown": "markdown",
    "html": "html",
    "sarif": "sarif",
    "badge-json": "badge:render_json",
    "badge-svg": "badge:render_svg",
}


def get_reporter(name: str) -> Callable[..., str]:
    module, _, func = REPORTERS[name].partition(":")
    return getattr(import_module(f"{__name__}.{module}"), func or "render")  # type: ignore[no-any-return]


__all__ = ["REPORTERS", "get_reporter"]
