"""shell.word_may_hold tells from a command's text whether a shell word of it can hold a piece (``push``, ``py``): the
text holds the piece, or quotes or a backslash can join it from parts. git_remote.push_remote and ci_vocab.python_deploy
ask it before splitting or deriving anything for each command of each job."""

from __future__ import annotations

import random

from mlscan.ci.shell import word_may_hold
from mlscan.facts.commands import head, words


def test_a_word_holding_a_piece_needs_the_piece_in_the_text_or_a_joining_character() -> None:
    rng = random.Random(3)
    pieces = ["git", " ", "pu", "sh", "push", '"', "'", "\\", "$", "=", "A", "&&", ";", "-f", "origin", "\n", "${A}", "$(p)", "`",
              "#", "p", "ush", "\t", "|", "env ", "sudo ", "y", "python", "x.py", "uv run ", "\u00a0", "é"]
    seen = {"push": 0, "py": 0}
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        w = words(text)
        for piece in seen:
            if any(piece in x for x in w):
                seen[piece] += 1
                assert word_may_hold(text, piece), (piece, repr(text))
    assert min(seen.values()) > 200
    assert head(words('git pu"sh" origin')) == "git" and "push" in words('git pu"sh" origin')
    assert word_may_hold('git pu"sh" origin', "push") and not word_may_hold("make deploy && kubectl apply -f k8s/", "push")
    assert not word_may_hold("make deploy && kubectl apply -f k8s/", "py") and word_may_hold("p\\ython train.py", "py")
