"""JSON reporter: the report contract, pretty-printed."""

from __future__ import annotations

import io
import json

from ..engine import ScanResult
from ..report import build_report


def render(result: ScanResult, **_: object) -> str:
    # Same text as json.dumps(indent=2), written chunk by chunk: dumps joins a list of every chunk, which
    # for a report of 12,000 findings held ~50 MB of small strings at once.
    out = io.StringIO()
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(build_report(result)):
        out.write(chunk)
    out.write("\n")
    return out.getvalue()
