"""The one command expansion (commands.invoked) and its three users: a CI job's commands (job_commands), the
commands on automated paths (ops.automated_commands) and the files an automated path reaches (wiring) follow a
CI step into the same scripts, Makefile targets and task-runner tasks, at the same lines."""

from __future__ import annotations

from pathlib import Path

from mlscan.ci import ci_model
from mlscan.facts.commands import invoked, job_commands
from mlscan.facts.ops import automated_commands
from mlscan.facts.wiring import AUTOMATED, wiring
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo

WORKFLOW = """\
on: push
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - run: make -C ml train
      - run: just evaluate
      - run: bash scripts/publish.sh
"""
FILES = {
    ".github/workflows/train.yml": WORKFLOW,
    "ml/Makefile": "data:\n\tpython prepare.py\n\ntrain: data\n\tpython train.py --epochs 3\n",
    "ml/prepare.py": "print('prepare')\n",
    "ml/train.py": "print('train')\n",
    "justfile": "# tasks\nevaluate:\n    python src/evaluate.py\n",
    "src/evaluate.py": "print('evaluate')\n",
    "scripts/publish.sh": "set -e\necho publishing\npython src/publish.py || true\n",
    "src/publish.py": "print('publish')\n",
    "src/unused.py": "print('never run')\n",
}
# (text, file, line) of every command the job runs, in order, through make (prerequisite first), just and the script
EXPANDED = [
    ("make -C ml train", ".github/workflows/train.yml", 6),
    ("python prepare.py", "ml/Makefile", 2),
    ("python train.py --epochs 3", "ml/Makefile", 5),
    ("just evaluate", ".github/workflows/train.yml", 7),
    ("python src/evaluate.py", "justfile", 3),
    ("bash scripts/publish.sh", ".github/workflows/train.yml", 8),
    ("set -e", "scripts/publish.sh", 1),
    ("echo publishing", "scripts/publish.sh", 2),
    ("python src/publish.py || true", "scripts/publish.sh", 3),
]


def _index(tmp_path: Path) -> FileIndex:
    return FileIndex(resolve_target(str(git_repo(tmp_path / "repo", FILES))))


def test_invoked_is_one_level_with_where_each_command_runs(tmp_path: Path) -> None:
    index = _index(tmp_path)
    subs = invoked(index, "make -C ml train", ".github/workflows/train.yml", 6)
    assert [(s.text, s.file.path, s.line, s.cwd, s.via) for s in subs] == [
        ("python prepare.py", "ml/Makefile", 2, "ml", "make data"),
        ("python train.py --epochs 3", "ml/Makefile", 5, "ml", "make train"),
    ]
    script = invoked(index, "bash scripts/publish.sh", ".github/workflows/train.yml", 8)
    assert [(s.text, s.blocks, s.ignored) for s in script] == [
        ("set -e", True, False), ("echo publishing", True, False), ("python src/publish.py || true", False, True)]
    assert invoked(index, "python src/evaluate.py", "justfile", 3) == []  # a leaf: nothing further to expand


def test_job_commands_and_automated_commands_expand_alike(tmp_path: Path) -> None:
    index = _index(tmp_path)
    (job,) = ci_model(index).active_jobs()
    assert [(c.text, c.path, c.line) for c in job_commands(index, job)] == EXPANDED
    autos = automated_commands(index)
    assert [(c.text, c.path) for c in autos] == [(t, p) for t, p, _line in EXPANDED]
    # commands found in a Makefile, justfile or script carry their own line; the CI step's commands the step's line
    assert [c.line for c in autos if c.path != ".github/workflows/train.yml"] == [ln for _t, p, ln in EXPANDED if p != ".github/workflows/train.yml"]
    assert {c.root for c in autos} == {"ci .github/workflows/train.yml:3"}  # the job's line


def test_wiring_reaches_what_the_expansion_runs(tmp_path: Path) -> None:
    w = wiring(_index(tmp_path))
    for path in ("ml/prepare.py", "ml/train.py", "src/evaluate.py", "src/publish.py", "scripts/publish.sh"):
        assert w.automated(path), path
    assert not w.automated("src/unused.py")
    assert w.of("ml/train.py").chain == ("ci .github/workflows/train.yml:6", "make train (ml/Makefile)", "ml/train.py")  # type: ignore[union-attr]
    assert w.of("src/evaluate.py").chain == ("ci .github/workflows/train.yml:7", "just evaluate (justfile)", "src/evaluate.py")  # type: ignore[union-attr]
    assert w.of("src/publish.py").chain == (  # type: ignore[union-attr]
        "ci .github/workflows/train.yml:8", "scripts/publish.sh:3", "src/publish.py")
    assert w.of("ml/train.py").kind == AUTOMATED  # type: ignore[union-attr]


def test_a_script_run_from_several_steps_is_split_and_located_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlscan.facts import commands

    index = _index(tmp_path)
    located: list[str] = []
    real = commands.locate
    monkeypatch.setattr(commands, "locate", lambda ix, path, start, text: located.append(path) or real(ix, path, start, text))
    first = invoked(index, "bash scripts/publish.sh", ".github/workflows/train.yml", 8)
    assert located == ["scripts/publish.sh"] * 3
    again = invoked(index, "bash ./scripts/publish.sh --dry-run", ".github/workflows/other.yml", 30)  # another step, same script
    assert located == ["scripts/publish.sh"] * 3 and again == first
    assert [(s.text, s.line) for s in again] == [("set -e", 1), ("echo publishing", 2), ("python src/publish.py || true", 3)]
    strict = invoked(index, "bash -e scripts/publish.sh", ".github/workflows/train.yml", 40)  # run with -e: its own flow
    assert [s.blocks for s in strict] == [True, True, False] and len(located) == 6


def _walked(index: FileIndex, cmd, out: list, depth: int, seen: frozenset) -> None:  # type: ignore[no-untyped-def]
    """The expansion as job_commands walked it for each job before session 16: the reference for the shared one."""
    from mlscan.facts.commands import MAX_DEPTH, Cmd

    if depth >= MAX_DEPTH:
        return
    for sub in invoked(index, cmd.text, cmd.path, cmd.line, cmd.cwd):
        if sub.via == "script" and sub.file.path in seen:
            continue
        child = Cmd(cmd.job, cmd.step, sub.text, sub.file.path, sub.line, cmd.blocking and sub.blocks, cmd.ignored or sub.ignored,
                    (*cmd.via, f"{cmd.path}:{cmd.line}"), sub.cwd, cmd.active)
        out.append(child)
        _walked(index, child, out, depth + 1, seen | {sub.file.path})


SHARED = {
    ".github/workflows/a.yml": "on: push\njobs:\n" + "".join(
        f"  j{i}:\n    runs-on: ubuntu-latest\n    {'continue-on-error: true' if i == 1 else 'if: false' if i == 2 else ''}\n"
        f"    steps:\n      - run: bash scripts/run.sh job{i}.yml\n      - run: ./scripts/deep.sh || true\n"
        f"      - run: make -C ml all\n" for i in range(4)),
    "scripts/run.sh": "set -e\necho $1\nbash scripts/inner.sh\npython src/train.py --config $1\nbash scripts/run.sh again\n",
    "scripts/inner.sh": "make -C ml all || echo failed\nbash scripts/run.sh loop\n",
    "scripts/deep.sh": "bash scripts/d1.sh\n",
    "scripts/d1.sh": "bash scripts/d2.sh\necho d1\n",
    "scripts/d2.sh": "bash scripts/d3.sh\necho d2\n",
    "scripts/d3.sh": "bash scripts/d4.sh\necho d3\n",
    "scripts/d4.sh": "echo d4\n",
    "ml/Makefile": "all: data\n\tpython train.py\n\ndata:\n\t-python prepare.py\n",
    "src/train.py": "print('train')\n",
}


def test_job_commands_share_the_expansion_of_what_several_jobs_run(tmp_path: Path) -> None:
    """Jobs that run the same scripts share one job-free expansion (commands._runs), bound to each job on the way out: the
    commands, their order, lines, blocking/ignored flags, ``via`` chains and activity are those of the per-job walk,
    through a script that runs itself (not entered again), scripts nested past MAX_DEPTH and a Makefile's ignored line."""
    from mlscan.facts.commands import Cmd

    index = FileIndex(resolve_target(str(git_repo(tmp_path / "repo", SHARED))))
    jobs = ci_model(index).jobs
    assert len(jobs) == 4
    for job in jobs:
        got = job_commands(index, job)
        want: list = []
        for c in got:
            if len(c.via) == 1:  # a step's own command: expand it the old way
                want.append(c)
                _walked(index, c, want, 0, frozenset())
        assert [tuple(getattr(c, f) for f in Cmd._fields) for c in got] == [tuple(getattr(c, f) for f in Cmd._fields) for c in want]
    texts = [c.text for c in job_commands(index, jobs[0])]
    assert texts.count("echo d3") == 1 and "echo d4" not in texts  # four levels below the step, no further
    assert texts.count("bash scripts/run.sh again") == 1  # run.sh is not entered again from itself
    flags = {(c.text, c.blocking, c.ignored) for c in job_commands(index, jobs[1])}
    assert ("python src/train.py --config $1", False, True) in flags  # continue-on-error: nothing below blocks


def test_automated_commands_enter_scripts_again_as_before(tmp_path: Path) -> None:
    """ops.automated_commands reads the shared expansion without the cycle rule (commands.runs_below): the commands, in
    order, of the old per-root walk, which entered a script that runs itself again down to four levels."""
    from mlscan.facts.ops import Command

    index = FileIndex(resolve_target(str(git_repo(tmp_path / "repo", SHARED))))

    def walk(cmd: str, path: str, line: int, cwd: str, root: str, out: list, depth: int) -> None:  # type: ignore[type-arg]
        out.append(Command(cmd, path, line, root, len(out)))
        if depth > 3:
            return
        for sub in invoked(index, cmd, path, line, cwd):
            walk(sub.text, sub.file.path, sub.line, sub.cwd, root, out, depth + 1)

    want: list = []  # type: ignore[type-arg]
    for job in ci_model(index).active_jobs():
        for step, cmd in job.commands():
            walk(cmd, step.path, step.line, step.cwd, f"ci {job.path}:{job.line}", want, 0)
    got = automated_commands(index)
    assert [(c.text, c.path, c.line, c.root, c.seq) for c in got] == [(c.text, c.path, c.line, c.root, c.seq) for c in want]
    assert sum(c.text == "bash scripts/run.sh again" for c in got) > len(ci_model(index).active_jobs())  # entered again
