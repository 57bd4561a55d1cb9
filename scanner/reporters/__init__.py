"""Reporters render a ScanResult; each module has one ``render(result) -> str``."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from ..engine import ScanResult

REPORTERS: dict[str, str] = {
    "terminal": "terminal",
    "json": "json_report",
    "markdown": "markdown",
}


def get_reporter(name: str) -> Callable[..., str]:
    return import_module(f"{__name__}.{REPORTERS[name]}").render  # type: ignore[no-any-return]


__all__ = ["REPORTERS", "ScanResult", "get_reporter"]
