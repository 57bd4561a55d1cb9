"""The JSON reporter writes exactly what ``json.dumps(report, indent=2, ensure_ascii=False)`` writes."""

from __future__ import annotations

import enum
import io
import json
import random
from typing import Any

from mlscan.reporters import json_report


class _Outcome(enum.StrEnum):
    YES = "yes"


class _Level(enum.IntEnum):
    TWO = 2


def _text(value: Any) -> str:
    out = io.StringIO()
    json_report._write(value, out.write, 0)
    return out.getvalue()


def test_written_as_json_dumps_writes_it() -> None:
    samples: list[Any] = [
        {}, [], (), "", "é\u2028\n\t\"\\ \x00\x1f\ud800", 0, -1, 10**30, 0.1, -0.0, 1e100, 5e-324, float("nan"), float("inf"), float("-inf"),
        True, False, None, {"a": [], "b": {}, "c": [{}], "d": [[1, [2, {"e": None}]], ()]},
        {7: "int key", 2.5: "float key", True: "bool key", None: "none key", "s": _Outcome.YES},
        [_Outcome.YES, {"k": (1, "two", 3.0)}],
    ]
    for value in samples:
        assert _text(value) == json.dumps(value, indent=2, ensure_ascii=False), value
    rng = random.Random(15)

    def make(depth: int) -> Any:
        pick = rng.randrange(9 if depth < 4 else 5)
        return [lambda: rng.choice(["", "x", "ü", "a\nb", "\"q\""]), lambda: rng.randint(-5, 10**12), lambda: rng.random() * 1e6,
                lambda: rng.choice([None, True, False]), lambda: _Outcome.YES,
                lambda: [make(depth + 1) for _ in range(rng.randrange(4))], lambda: tuple(make(depth + 1) for _ in range(rng.randrange(3))),
                lambda: {rng.choice(["k", "é", "a b", 3, 1.5, None, False]): make(depth + 1) for _ in range(rng.randrange(4))},
                lambda: {str(i): make(depth + 1) for i in range(rng.randrange(3))}][pick]()

    for _ in range(500):
        value = make(0)
        assert _text(value) == json.dumps(value, indent=2, ensure_ascii=False), value


def test_values_beyond_the_report_contract_are_left_to_json() -> None:
    import pytest

    for value in ({"level": _Level.TWO}, [object()], {(1, 2): "tuple key"}):
        with pytest.raises(json_report._Other):
            _text(value)
