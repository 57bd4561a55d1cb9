"""JSON reporter: the report contract, pretty-printed."""

from __future__ import annotations

import json

from ..engine import ScanResult
from ..report import build_report


def render(result: ScanResult, **_: object) -> str:
    return json.dumps(build_report(result), indent=2, ensure_ascii=False) + "\n"
