"""The config-flag table's key scan (facts.pyeval._boolish_keys) finds what a plain finditer of its pattern finds."""

from __future__ import annotations

import random

from mlscan.facts.pyeval import _BOOLISH, _boolish_keys


def _plain(text: str) -> set[str]:
    return {m.group(1) for m in _BOOLISH.finditer(text)}


def test_boolish_keys_as_finditer_on_examples() -> None:
    cases = [
        "use_wandb: true\nlog.x: False\n",
        '{"use-mlflow": "false", "a": 1, "b.c": "on"}',
        "a: true.b: false",  # a match may start right where the previous one ended, inside a run of key characters
        "a: yes-b: no c :\n off",
        "key'x: true",
        "x" * 500 + ": maybe\n" + "k: on",
        "ünï: TRUE ok: Nope ok2: nO",
        "",
    ]
    for text in cases:
        assert _boolish_keys(text) == _plain(text), text


def test_boolish_keys_as_finditer_on_random_text() -> None:
    rnd = random.Random(7)
    alphabet = ["a", "b", ".", "-", "_", ":", "'", '"', " ", "\n", "true", "false", "yes", "no", "on", "off", "1", "é"]
    for _ in range(20000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        assert _boolish_keys(text) == _plain(text), repr(text)
