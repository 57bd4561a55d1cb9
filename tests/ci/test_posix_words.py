"""``shell.posix_words`` splits a command as ``shlex.split(command, comments=True)`` does, piece by piece."""

from __future__ import annotations

import random
import shlex

import pytest
from mlscan.ci.shell import argv, posix_words


def _shlex(command: str) -> list[str] | str:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return "error"


def _mine(command: str) -> list[str] | str:
    try:
        return posix_words(command)
    except ValueError:
        return "error"


@pytest.mark.parametrize("command", [
    "", "   ", "a b", "a  'b c' d", 'a "b \\" c" d', 'echo "\\$HOME \\\\ \\n"', "a\\ b c", "a#b c\nd", "a #b c\nd e", "''", "a '' b",
    '""x', "'unclosed", '"unclosed', "trailing\\", '"esc at end\\', "x\\\ny", "tab\there\r\nnext", "a\x0bb\xa0c",
    "sh -c 'if ! [ -x \"$(command -v pip)\" ]; then\n  python3 -m ensurepip\nfi\n# comment \"x\n' python3 -m kfp",
])
def test_the_words_of_shlex(command: str) -> None:
    assert _mine(command) == _shlex(command)


def test_random_commands_split_as_shlex_splits_them() -> None:
    rnd = random.Random(15)
    alphabet = list("ab #'\"\\\t\n\r$ x\x0b\xa0é-=")
    for _ in range(20000):
        command = "".join(rnd.choices(alphabet, k=rnd.randint(0, 16)))
        assert _mine(command) == _shlex(command), command


def test_argv_falls_back_to_white_space_on_an_unclosed_quote() -> None:
    assert argv("python 'train.py --x") == ["python", "'train.py", "--x"]
    assert argv("python 'train.py' --x # run") == ["python", "train.py", "--x"]
