"""``git_remote._pushed_remote``: the remote a command's text pushes to, kept per text (a pure function of the text)."""

from __future__ import annotations

from mlscan.facts.git_remote import _pushed_remote


def test_git_push_remotes() -> None:
    assert _pushed_remote("git push space main") == "space"
    assert _pushed_remote("git push --force origin HEAD:main") == "origin"
    assert _pushed_remote("git push") == "origin"
    assert _pushed_remote('git "pu"sh "$REMOTE" main') == "$REMOTE"  # a word joined from quoted pieces
    assert _pushed_remote("FOO=1 sudo git push hf main") == "hf"  # env assignments and wrappers dropped


def test_not_a_push() -> None:
    assert _pushed_remote("echo 'git push space main'") is None  # quoted text of another command
    assert _pushed_remote("docker push registry/image:tag") is None
    assert _pushed_remote("git commit -m 'push it'") is None
    assert _pushed_remote('python -c "print(1)"') is None
    assert _pushed_remote("") is None
