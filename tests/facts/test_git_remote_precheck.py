"""git_remote.push_remote tells a command that is no ``git push`` from its text before splitting it into words: a word
``push`` needs ``push`` in the text, unless quotes or a backslash join it from pieces."""

from __future__ import annotations

import random

from mlscan.facts.commands import words
from mlscan.facts.git_remote import _JOINS


def test_a_push_word_needs_push_in_the_text_or_a_joining_character() -> None:
    rng = random.Random(3)
    pieces = ["git", " ", "pu", "sh", "push", '"', "'", "\\", "$", "=", "A", "&&", ";", "-f", "origin", "\n", "${A}", "$(p)", "`",
              "#", "p", "ush", "\t", "|", "env ", "sudo "]
    pushes = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        try:
            w = words(text)
        except ValueError:
            continue
        if "push" in w:
            pushes += 1
            assert "push" in text or _JOINS.search(text), repr(text)
    assert pushes > 200
    assert "push" in words('git pu"sh" origin') and _JOINS.search('git pu"sh" origin')  # joined: told by the slow path
