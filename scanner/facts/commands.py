"""Helpers for the CI detectors (not a detector): every shell command a CI job runs, followed through the
scripts, task runners (make, mise, just, Task, npm, poe) and job specs (``entrypoint:``) it calls, with
whether its failure fails the job; and the vocabulary that classifies commands (test runners, deploys,
image pushes, metric diffs, training). Nothing here reads files except through the index."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from mlscan.ci import CiJob, CiStep, argv, shell_flow, split_commands
from mlscan.facts.composite_actions import composite_runs
from mlscan.facts.dvc_stages import dvc_file
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding

from ..lazyre import lazy_re
from ..valueclass import Value, replace, setfield

MAX_DEPTH = 4
WRAPPERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye", "conda", "mamba", "micromamba", "time", "nohup",
                      "sudo", "env", "timeout", "xvfb-run", "exec", "command", "pixi"})
WRAPPER_SUBS = frozenset({"run", "exec"})
# a wrapper's options written apart from their value (``uv run --extra test pytest``, ``conda run -n env python``,
# ``poetry -C app run``, ``pixi run -e gpu``): the value is not the command
WRAPPER_VALUE_OPTIONS = frozenset({"-n", "--name", "-p", "--prefix", "-e", "--env", "--environment", "--with", "--extra", "--group",
                                   "--only-group", "--no-group", "--with-editable", "--with-requirements", "--python", "--package",
                                   "--project", "--directory", "-C", "-P", "--env-file", "--index", "--default-index", "--index-url",
                                   "--extra-index-url", "--find-links", "--config-file", "--cache-dir", "--manifest-path",
                                   "--cwd", "--signal", "--kill-after", "-u", "--user"})
INSTALL = lazy_re(r"\b(pip3?|uv pip|conda|mamba|apt(-get)?|yum|apk|brew|npm|yarn|pnpm|poetry|pipx)\s+(install|add|i)\b|\buv (sync|add)\b")
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "source", "."})


class Cmd(Value, frozen=True):
    """One shell command that an automated path runs: the CI step it comes from, and whether its failure counts."""

    job: CiJob
    step: CiStep
    text: str
    path: str  # the file that holds the command (CI file, script, Makefile ...)
    line: int
    blocking: bool  # a failure of this command fails the job
    ignored: bool  # its failure is deliberately swallowed somewhere on the way
    via: tuple[str, ...]  # "path:line" of the invocations that lead here, the CI step first
    cwd: str
    active: bool  # the step runs (not disabled, not a placeholder)

    _fields = ("job", "step", "text", "path", "line", "blocking", "ignored", "via", "cwd", "active")
    __slots__ = _fields

    def __init__(
        self,
        job: CiJob,
        step: CiStep,
        text: str,
        path: str,
        line: int,
        blocking: bool,
        ignored: bool,
        via: tuple[str, ...],
        cwd: str,
        active: bool,
    ) -> None:
        setfield(self, "job", job)
        setfield(self, "step", step)
        setfield(self, "text", text)
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "blocking", blocking)
        setfield(self, "ignored", ignored)
        setfield(self, "via", via)
        setfield(self, "cwd", cwd)
        setfield(self, "active", active)


# sshpass's options that take a value (``-p PASSWORD``, ``-f FILE``, ``-d FD``, ``-P PROMPT``); ``-e``/``-v`` take none
SSHPASS_VALUE_OPTIONS = frozenset({"-p", "-f", "-d", "-P"})


def words(text: str) -> list[str]:
    """argv without leading env assignments and wrappers (``uv run``, ``poetry run``, ``conda run -n x``, ``sshpass -p
    "$PW"`` ...)."""
    w = argv(text)
    changed = True
    while w and changed:
        changed = False
        while w and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w[0]):
            w, changed = w[1:], True
        if w and w[0].rsplit("/", 1)[-1] == "sshpass":  # the password feeder before ``ssh``/``scp``/``rsync``
            w, changed = w[1:], True
            while w and w[0].startswith("-"):
                w = w[2:] if w[0] in SSHPASS_VALUE_OPTIONS else w[1:]
        if w and w[0] in WRAPPERS:
            w, changed = w[1:], True
            while w and (w[0] in WRAPPER_SUBS or w[0].startswith("-")):
                w = w[2:] if w[0] in WRAPPER_VALUE_OPTIONS else w[1:]
            while w and re.match(r"^\d+[smh]?$", w[0]):  # timeout 600
                w = w[1:]
    return w


# make itself, and a recipe's recursive ``$(MAKE) target`` / ``${MAKE} target`` (GNU make's variable for the make running it)
MAKE_HEADS = ("make", "gmake", "$(MAKE)", "${MAKE}")


def head(w: list[str]) -> str:
    return w[0].rsplit("/", 1)[-1] if w else ""


def job_commands(index: FileIndex, job: CiJob) -> list[Cmd]:
    """Every command of a job (inactive steps included, flagged), expanded through what it calls."""

    def build() -> list[Cmd]:
        out: list[Cmd] = []
        for step in job.steps:
            if not step.command:
                if step.uses and job.system == "github":
                    _composite(index, job, step, out)
                continue
            cursor = step.line
            for sc in shell_flow(step.command, step.strict):
                found = find_line(index, step.path, cursor, sc.text)
                if found is None and cursor == step.line:  # assembled from a list (``entrypoint: python``, ``args: [...]``)
                    found = list_arg_line(index, step.path, step.line, sc.text)
                line = cursor = found or cursor
                cmd = Cmd(job, step, sc.text, step.path, line, step.blocking and sc.blocks, not step.blocking or sc.ignored,
                          (f"{step.path}:{step.line}",), step.cwd, step.active and job.active)
                out.append(cmd)
                _expand(index, cmd, out, 0, frozenset())
        return out

    return index.memo(f"ci-commands:{job.path}:{job.line}:{job.name}:{job.stage}", build)  # type: ignore[no-any-return]


def _composite(index: FileIndex, job: CiJob, step: CiStep, out: list[Cmd]) -> None:
    """The commands of the repository's own composite action a ``uses: ./dir`` step runs, cited in its ``action.yml``
    and reached from the step (``called from CI step .github/workflows/deploy.yml:62``), then what they run."""
    here = f"{step.path}:{step.line}"
    for run in composite_runs(index, step.uses, step.with_):
        cursor = run.line
        flow = shell_flow(run.text, run.strict)
        written = shell_flow(run.written, run.strict)  # the same commands as written, to find their lines by
        for i, sc in enumerate(flow):
            line = cursor = find_line(index, run.path, cursor, written[i].text if len(written) == len(flow) else sc.text) or cursor
            cmd = Cmd(job, step, sc.text, run.path, line, step.blocking and run.blocking and sc.blocks,
                      not (step.blocking and run.blocking) or sc.ignored, (here, here), "", step.active and job.active)
            out.append(cmd)
            _expand(index, cmd, out, 1, frozenset())


def _expand(index: FileIndex, cmd: Cmd, out: list[Cmd], depth: int, seen: frozenset[str]) -> None:
    """Append what ``cmd`` runs (depth first, at most MAX_DEPTH levels; a script already on the way is not entered again),
    bound to ``cmd``'s job and step from the job-free expansion of what it invokes (``_runs``)."""
    if depth >= MAX_DEPTH:
        return
    job, step, blocking, ignored, active = cmd.job, cmd.step, cmd.blocking, cmd.ignored, cmd.active
    via = (*cmd.via, f"{cmd.path}:{cmd.line}")
    for text, path, line, blocks, ign, chain, cwd in _runs(index, invoked(index, cmd.text, cmd.path, cmd.line, cmd.cwd), depth, seen):
        out.append(Cmd(job, step, text, path, line, blocking and blocks, ignored or ign, (*via, *chain) if chain else via, cwd, active))


# (text, path, line, blocks, ignored, via, cwd) of a command reached below an invoked one: ``blocks``/``ignored`` composed
# on the way down, ``via`` the "path:line" of each command on the way after the first invoked one
_Runs = tuple[tuple[str, str, int, bool, bool, tuple[str, ...], str], ...]


def _runs(index: FileIndex, subs: list[Invoked], depth: int, seen: frozenset[str] | None) -> _Runs:
    """Everything the commands ``subs`` (one command's ``invoked``) run, themselves first, depth first, without the job: the
    same for every job whose command invokes them, so derived once per scan. Azure/azureml-examples' 356 jobs each run
    one of a few scripts, and job_commands walked the script's expansion again for each (62,821 commands, ~98,000
    ``derived`` lookups); now one lookup per CI command, the job bound from tuples. Keyed by the identity of ``subs``
    (kept for the scan by ``invoked``), held by the value so that it cannot be reused. ``seen`` None: scripts on the way
    are entered again too (ops.automated_commands)."""
    return index.derived(("commands-runs", id(subs), depth, seen), lambda: (subs, _build_runs(index, subs, depth, seen)))[1]  # type: ignore[no-any-return]


def _build_runs(index: FileIndex, subs: list[Invoked], depth: int, seen: frozenset[str] | None) -> _Runs:
    rows: list[tuple[str, str, int, bool, bool, tuple[str, ...], str]] = []
    for sub in subs:
        if seen is not None and sub.via == "script" and sub.file.path in seen:
            continue
        rows.append((sub.text, sub.file.path, sub.line, sub.blocks, sub.ignored, (), sub.cwd))
        if depth + 1 < MAX_DEPTH:
            here = (f"{sub.file.path}:{sub.line}",)
            below = invoked(index, sub.text, sub.file.path, sub.line, sub.cwd)
            for t, p, ln, b, ig, chain, c in _runs(index, below, depth + 1, None if seen is None else seen | {sub.file.path}) if below else ():
                rows.append((t, p, ln, sub.blocks and b, sub.ignored or ig, (*here, *chain), c))
    return tuple(rows)


def runs_below(index: FileIndex, text: str, path: str, line: int, cwd: str, depth: int) -> _Runs:
    """What one command at ``depth`` runs, depth first to MAX_DEPTH levels, scripts on the way entered again
    (ops.automated_commands): ``_runs`` of its ``invoked``."""
    return _runs(index, invoked(index, text, path, line, cwd), depth, None) if depth < MAX_DEPTH else ()


def _flat_lines(index: FileIndex, path: str) -> list[str]:
    """The lines of a file with runs of blanks made one space, derived once per file (``locate`` is asked for every
    command of every job: normalising the whole file each time was most of a CI-heavy repository's scan)."""
    return index.file_memo("flat-lines", path, lambda: [" ".join(ln.split()) for ln in index.lines(path)])  # type: ignore[no-any-return]


def locate(index: FileIndex, path: str, start: int, text: str) -> int:
    """The line of ``text`` at or after ``start`` (by its first 40 characters, else its first three
    words: continuation lines split a command), else ``start``."""
    return find_line(index, path, start, text) or start


def find_line(index: FileIndex, path: str, start: int, text: str) -> int | None:
    """``locate``'s line, None when neither needle is found."""
    flat = " ".join(text.split())
    lines = _flat_lines(index, path)
    window = range(max(start, 1) - 1, min(len(lines), max(start, 1) + 400))
    for needle in (flat[:40], " ".join(flat.split()[:3])):
        for i in window:
            if needle and needle in lines[i]:
                return i + 1
    return None


def list_arg_line(index: FileIndex, path: str, start: int, text: str) -> int | None:
    """The line of a step whose command is written as a list of arguments (a Cloud Build step's ``entrypoint: python``
    and ``args: ['-m', 'pytest', ...]``): the first line of the step's block holding the command's first argument that
    is no option (``pytest``, a docker builder's ``build``) as a list item; None when no line of the block does."""
    lines = index.lines(path)
    if not (0 < start <= len(lines)):
        return None
    words = text.split()
    arg = next((w for w in words[1:] if not w.startswith("-")), "")
    if not arg:
        return None
    item = re.compile(r"(?:^|[\[,\s])(?:-\s+)?['\"]?" + re.escape(arg[:200]) + r"['\"]?\s*(?:,|\]|$)")
    head = lines[start - 1]
    base = len(head) - len(head.lstrip(" \t"))
    for i in range(start, min(len(lines), start + 60)):
        raw = lines[i]
        st = raw.strip()
        if not st or st.startswith("#"):
            continue
        ind = len(raw) - len(raw.lstrip(" \t"))
        if ind < base or ind == base and st.startswith("-"):
            break  # the next step, or the end of the steps
        if item.search(st[:2000]):
            return i + 1
    return None


def normpath(p: str) -> str:
    """A repository-relative path with ``.``, empty and ``..`` parts resolved (never above the root)."""
    out: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/".join(out)


def resolve(index: FileIndex, rel: str, path: str, cwd: str = "") -> FileEntry | None:
    """The file a command run from ``path`` (in working directory ``cwd``) names: tried in the working directory,
    beside ``path``, in the scanned project's subdirectory, then from the repository root."""
    rel = rel.strip("'\"")
    if not rel or "$" in rel or "*" in rel:
        return None
    while rel.startswith("./"):
        rel = rel[2:]
    base = path.rsplit("/", 1)[0] if "/" in path else ""
    sub = index.target.subdir
    for cand in (f"{cwd}/{rel}" if cwd else "", f"{base}/{rel}" if base else "", f"{sub}/{rel}" if sub else "", rel):
        if cand:
            cand = normpath(cand)
            hit = next((e for e in index.select((cand,)) if e.vpath == cand or e.path == cand), None)
            if hit:
                return hit
    return None


def with_chain(f: Finding, chain: tuple[str, ...]) -> Finding:
    """``f`` whose leading evidence item carries ``chain`` (how its file is reached)."""
    if not chain or not f.evidence:
        return f
    return replace(f, evidence=(replace(f.evidence[0], chain=chain), *f.evidence[1:]))


def reached_by(cmd: Cmd) -> tuple[str, ...]:
    """How a command is reached, nearest first, as an evidence chain: ``run by Makefile:4`` for each script or task
    on the way, ending at ``called from CI step .github/workflows/ci.yml:24`` (empty for a command written in the
    CI file itself)."""
    if len(cmd.via) < 2:
        return ()
    ci = cmd.via[0].rsplit(":", 1)[0]
    return tuple(("called from CI step " if v.rsplit(":", 1)[0] == ci else "run by ") + v for v in reversed(cmd.via[1:]))


# ------------------------------------------------------------------ the one command expansion


class Invoked(Value, frozen=True):
    """A command that another command runs: a line of the script it calls, a recipe line of the Makefile target, a
    task of a task runner (mise, poe, just, Task, npm scripts), the command after ``ray ... --``, or the
    ``entrypoint:`` of a job spec it submits."""

    file: FileEntry  # the file holding the command
    text: str
    line: int
    blocks: bool  # its failure fails the invoking command
    ignored: bool  # its failure is deliberately swallowed on the way
    cwd: str  # the working directory it runs in ('' = unknown: beside its file or the repository root)
    via: str  # "script", "make <target>", "<runner> <task>" (mise, poe, just, task, npm), "ray" or "entrypoint"

    _fields = ("file", "text", "line", "blocks", "ignored", "cwd", "via")
    __slots__ = _fields

    def __init__(self, file: FileEntry, text: str, line: int, blocks: bool, ignored: bool, cwd: str, via: str) -> None:
        setfield(self, "file", file)
        setfield(self, "text", text)
        setfield(self, "line", line)
        setfield(self, "blocks", blocks)
        setfield(self, "ignored", ignored)
        setfield(self, "cwd", cwd)
        setfield(self, "via", via)


_Subs = list[Invoked]


def invoked(index: FileIndex, text: str, path: str, line: int, cwd: str = "") -> list[Invoked]:
    """The commands that one command (written at ``path``:``line``, run in ``cwd``) runs directly, in order: one level of the
    expansion through scripts, Makefiles, task runners and job specs. Callers recurse with their own depth and cycle
    rules (job_commands, ops.automated_commands and wiring all expand commands through this), so the same command is
    asked many times: each expansion is derived once per scan (Azure/azureml-examples asks 132,480 for 17,780 commands)."""
    return index.derived(("invoked", text, path, line, cwd), lambda: _invoked(index, text, path, line, cwd))  # type: ignore[no-any-return]


def _invoked(index: FileIndex, text: str, path: str, line: int, cwd: str) -> list[Invoked]:
    w = words(text)
    h = head(w)
    if h in SHELLS or h.endswith(".sh") or (w and w[0].startswith("./") and "." not in h):
        script = next((x for x in w[1:] if not x.startswith("-")), None) if h in SHELLS else w[0]
        e = resolve(index, script, path, cwd) if script else None
        if e is None:
            return []
        strict = any(re.match(r"^-[a-z]*e", x) for x in w[1:3]) if h in SHELLS else False
        return _script(index, e, strict, cwd)
    if h in MAKE_HEADS:
        return _make(index, path, cwd, w)
    if h == "mise" and len(w) > 2 and w[1] in ("run", "r", "task"):
        return _toml_tasks(index, path, cwd, w[2], ("mise.toml", ".mise.toml", "mise/config.toml", ".config/mise.toml"), "mise")
    if h in ("just",) and len(w) > 1:
        return _just(index, path, cwd, [x for x in w[1:] if not x.startswith("-")][:1])
    if h == "task" and len(w) > 1:
        return _taskfile(index, path, cwd, w[1])
    if h in ("npm", "yarn", "pnpm") and len(w) > 1:
        target = w[2] if w[1] in ("run", "run-script") and len(w) > 2 else w[1]
        return _npm(index, path, cwd, target)
    if h == "poe" and len(w) > 1:
        return _toml_tasks(index, path, cwd, w[1], ("pyproject.toml",), "poe")
    if h in ("invoke", "inv") and len(w) > 1:
        return _invoke(index, path, cwd, w[1:])
    if h.startswith("python") and w[1:3] == ["-m", "invoke"] and len(w) > 3:
        return _invoke(index, path, cwd, w[3:])
    if h == "dvc" and w[1:2] == ["repro"]:
        return _dvc_stages(index, path, cwd, w[2:])
    if h == "ray" and "--" in w:
        rest = " ".join(w[w.index("--") + 1 :])
        e = next(iter(index.select((path,))), None)
        return [Invoked(e, rest, line, True, False, cwd, "ray")] if rest and e is not None else []
    out = []
    for x in w[1:]:  # job specs submitted by the command (Anyscale/Ray `entrypoint:`)
        if x.endswith((".yaml", ".yml")):
            e = resolve(index, x, path, cwd)
            for doc in index.yaml(e.path) if e else []:
                ep = doc.get("entrypoint") if isinstance(doc, dict) else None
                if isinstance(ep, str) and e is not None:
                    for sc in shell_flow(ep, True):
                        out.append(Invoked(e, sc.text, doc.line_of("entrypoint"), sc.blocks, sc.ignored, "", "entrypoint"))
    return out


def _script(index: FileIndex, e: FileEntry, strict: bool, cwd: str) -> _Subs:
    """The commands of a script run in ``cwd``: the same for every command that runs it, so derived once per script (a
    CI-heavy repository runs a few scripts from hundreds of steps: Azure/azureml-examples 57,572 script lines for 1,033
    invocations, 638 distinct)."""

    def build() -> _Subs:
        out: _Subs = []
        cursor = 1
        for sc in shell_flow(index.text(e.path) or "", strict):
            cursor = locate(index, e.path, cursor, sc.text)
            out.append(Invoked(e, sc.text, cursor, sc.blocks, sc.ignored, cwd, "script"))
        return out

    return index.derived(("script", e.path, strict, cwd), build)  # type: ignore[no-any-return]


def _make(index: FileIndex, path: str, cwd: str, w: list[str]) -> _Subs:
    mf, targets = "Makefile", []
    i = 1
    while i < len(w):
        if w[i] in ("-C", "--directory") and i + 1 < len(w):
            cwd = normpath(f"{cwd}/{w[i + 1]}" if cwd else w[i + 1])
            i += 2
        elif w[i] in ("-f", "--file") and i + 1 < len(w):
            mf = w[i + 1]
            i += 2
        else:
            if not w[i].startswith("-") and "=" not in w[i]:
                targets.append(w[i])
            i += 1
    e = resolve(index, mf, path, cwd) or resolve(index, "makefile", path, cwd)
    if e is None:
        return []
    from mlscan.facts.taskrunners import makefile_recipes  # imported where a Makefile is read

    recipes = makefile_recipes(index.text(e.path) or "")
    out: _Subs = []
    done: set[str] = set()
    order: list[str] = []

    def visit(t: str, depth: int = 0) -> None:
        if t in done or t not in recipes or depth > 8:
            return
        done.add(t)
        for p in recipes[t][0]:
            visit(p, depth + 1)
        order.append(t)

    for t in targets or [next(iter(recipes), "")]:
        visit(t)
    for t in order:
        for raw in recipes[t][1]:
            ignored = raw.lstrip("@+").startswith("-")
            line = locate(index, e.path, 1, raw.lstrip("@-+ "))
            for sc in shell_flow(raw.lstrip("@-+ "), False):
                out.append(Invoked(e, sc.text, line, sc.blocks and not ignored, sc.ignored or ignored, cwd, f"make {t}"))
    return out


def defined_target(index: FileIndex, cmd: Cmd) -> str:
    """``make test``/``mise run test``/``npm test`` ... when the task exists: '<tool> <target>', else ''."""
    w = words(cmd.text)
    h = head(w)
    if h in MAKE_HEADS:
        t = next((x for x in w[1:] if not x.startswith("-") and "=" not in x), "")
        e = resolve(index, "Makefile", cmd.path, cmd.cwd)
        if not (t and e):
            return ""
        from mlscan.facts.taskrunners import makefile_recipes

        return f"make {t}" if t in makefile_recipes(index.text(e.path) or "") else ""
    if h in ("mise", "just", "task", "npm", "yarn", "pnpm", "poe", "tox", "nox"):
        rest = [x for x in w[1:] if not x.startswith("-") and x not in ("run", "r", "run-script")]
        return f"{h} {rest[0]}" if rest else h
    return ""


def _toml_tasks(index: FileIndex, path: str, cwd: str, name: str, files: tuple[str, ...], tool: str) -> _Subs:
    for f in files:
        e = resolve(index, f, path, cwd)
        data = index.toml(e.path) if e else None
        if not data or e is None:
            continue
        tasks = data.get("tasks") if tool == "mise" else (data.get("tool") or {}).get("poe", {}).get("tasks")
        out: _Subs = []
        _toml_task(index, e, tasks or {}, name, out, 0, f"{tool} {name}")
        if out:
            return out
    return []


def _toml_task(index: FileIndex, e: FileEntry, tasks: dict, name: str, out: _Subs, depth: int, via: str) -> None:  # type: ignore[type-arg]
    spec = tasks.get(name)
    if spec is None or depth > 6:
        return
    if isinstance(spec, dict):
        for dep in spec.get("depends") or spec.get("deps") or []:
            if isinstance(dep, str):
                _toml_task(index, e, tasks, dep.split()[0], out, depth + 1, via)
        run = spec.get("run") or spec.get("cmd") or spec.get("shell") or spec.get("script")
        for seq in spec.get("sequence") or []:
            if isinstance(seq, str):
                if seq in tasks:
                    _toml_task(index, e, tasks, seq, out, depth + 1, via)
                else:
                    out.append(Invoked(e, seq, locate(index, e.path, 1, seq), True, False, "", via))
    else:
        run = spec
    for text in run if isinstance(run, list) else [run]:
        if isinstance(text, str):
            for sc in shell_flow(text, True):
                out.append(Invoked(e, sc.text, locate(index, e.path, 1, sc.text), sc.blocks, sc.ignored, "", via))


def _dvc_stages(index: FileIndex, path: str, cwd: str, args: list[str]) -> _Subs:
    """The ``cmd`` of each stage that ``dvc repro <stage> ...`` names (``stage``, ``dvc.yaml:stage``,
    ``sub/dvc.yaml:stage``), run in the stage's ``wdir``. A bare ``dvc repro`` (every stage whose inputs changed) and
    ``foreach`` stages (``name@key``) name no one stage: nothing is expanded for them."""
    out: _Subs = []
    targets = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in ("-j", "--jobs"))]
    for t in targets:
        file, _, stage = t.rpartition(":") if ":" in t else ("dvc.yaml", "", t)
        if not stage or "@" in stage or "$" in t or not file.endswith(("dvc.yaml", "dvc.yml")):
            continue
        e = resolve(index, file, path, cwd)
        stages = dvc_file(index, e).first if e is not None else None
        spec = stages.get(stage) if isinstance(stages, dict) else None
        if e is None or not isinstance(spec, dict):
            continue
        base = e.path.rsplit("/", 1)[0] if "/" in e.path else ""
        wdir = spec.get("wdir")
        run_in = normpath(f"{base}/{wdir}") if isinstance(wdir, str) else base
        cmd = spec.get("cmd")
        line = spec.line_of("cmd") if hasattr(spec, "line_of") else 1
        for text in cmd if isinstance(cmd, list) else [cmd]:
            if isinstance(text, str):
                for sc in shell_flow(text, True):
                    out.append(Invoked(e, sc.text, line, sc.blocks, sc.ignored, run_in, f"dvc repro {stage}"))
    return out


def _just(index: FileIndex, path: str, cwd: str, targets: list[str]) -> _Subs:
    e = next((x for f in ("justfile", "Justfile", ".justfile") if (x := resolve(index, f, path, cwd))), None)
    if e is None or not targets:
        return []
    lines = index.lines(e.path)
    out: _Subs = []
    inside = False
    for i, ln in enumerate(lines, start=1):
        m = re.match(r"^@?([A-Za-z0-9_-]+)(\s[^:=]*)?:(?!=)", ln)
        if m:
            inside = m.group(1) == targets[0]
            continue
        if inside and ln[:1] in (" ", "\t") and ln.strip():
            raw = ln.strip()
            ignored = raw.lstrip("@").startswith("-")
            for sc in shell_flow(raw.lstrip("@- "), False):
                out.append(Invoked(e, sc.text, i, sc.blocks and not ignored, sc.ignored or ignored, "", f"just {targets[0]}"))
        elif inside and ln.strip() and ln[:1] not in (" ", "\t", "#"):
            inside = False
    return out


def _taskfile(index: FileIndex, path: str, cwd: str, name: str) -> _Subs:
    e = next((x for f in ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml") if (x := resolve(index, f, path, cwd))), None)
    docs = index.yaml(e.path) if e else []
    tasks = docs[0].get("tasks") if docs and isinstance(docs[0], dict) else None
    spec = tasks.get(name) if isinstance(tasks, dict) else None
    out: _Subs = []
    items = spec.get("cmds") if isinstance(spec, dict) else spec if isinstance(spec, list) else []
    for i, c in enumerate(items or []):
        text = c if isinstance(c, str) else c.get("cmd") if isinstance(c, dict) else None
        if isinstance(text, str) and e is not None:
            line = items.line_of(i) if hasattr(items, "line_of") else 1
            for sc in shell_flow(text, True):
                out.append(Invoked(e, sc.text, line, sc.blocks, sc.ignored or (isinstance(c, dict) and c.get("ignore_error") is True), "", f"task {name}"))
    return out


_INVOKE_VALUED = frozenset({"-c", "--collection", "-r", "--search-root", "-f", "--config", "--prefix", "--write-pyc", "-p"})


def _invoke(index: FileIndex, path: str, cwd: str, args: list[str]) -> _Subs:
    """``invoke [--core-opts] task [--task-opts] [task ...]``: the commands of each named task of ``tasks.py`` (or the
    ``-c`` collection), through ``taskrunners.invoke_task_commands``."""
    collection, names, i = "tasks", [], 0
    while i < len(args):
        a = args[i]
        if a in ("-c", "--collection") and i + 1 < len(args):
            collection = args[i + 1]
        if a in _INVOKE_VALUED:
            i += 2
            continue
        if not a.startswith("-") and "=" not in a:
            names.append(a)
        i += 1
    e = next((x for f in (f"{collection}.py", f"{collection}/__init__.py") if (x := resolve(index, f, path, cwd))), None)
    tree = index.python(e.path) if e else None
    if e is None or tree is None or not names:
        return []
    from mlscan.facts.taskrunners import invoke_task_commands  # imported where a tasks.py is read

    out: _Subs = []
    for name in names:
        for text, line, warn in invoke_task_commands(tree, name.rsplit(".", 1)[-1]):
            for sc in shell_flow(text, False):
                out.append(Invoked(e, sc.text, line, sc.blocks and not warn, sc.ignored or warn, cwd, f"invoke {name}"))
    return out


def _npm(index: FileIndex, path: str, cwd: str, name: str) -> _Subs:
    e = resolve(index, "package.json", path, cwd)
    data = index.json(e.path) if e else None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    text = scripts.get(name) if isinstance(scripts, dict) else None
    if not isinstance(text, str) or e is None:
        return []
    line = locate(index, e.path, 1, f'"{name}"')
    return [Invoked(e, sc.text, line, sc.blocks, sc.ignored, "", f"npm {name}") for sc in shell_flow(text, True)]


# ------------------------------------------------------------------ python entry points


def python_target(index: FileIndex, cmd: Cmd) -> FileEntry | None:
    """The project file a ``python x.py`` / ``python -m a.b`` / ``./x.py`` command runs."""
    w = words(cmd.text)
    h = head(w)
    if h.endswith(".py"):
        return resolve(index, w[0], cmd.path, cmd.cwd)
    if not (h.startswith("python") or h == "py"):
        return None
    rest = w[1:]
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        rest = rest[1:]
    if rest[:1] == ["-m"] and len(rest) > 1:
        mod = rest[1].replace(".", "/")
        for cand in (f"{mod}.py", f"{mod}/__main__.py", f"src/{mod}.py", f"src/{mod}/__main__.py"):
            hit = resolve(index, cand, cmd.path, cmd.cwd)
            if hit:
                return hit
        return None
    return resolve(index, rest[0], cmd.path, cmd.cwd) if rest and rest[0].endswith((".py", ".ipynb")) else None


def is_install(text: str) -> bool:
    return bool(INSTALL.search(text))


_SUBST = lazy_re(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)|`([^`]*)`")


@lru_cache(maxsize=1 << 15)
def segments(text: str) -> list[list[str]]:
    """argv of each member of a pipeline (``kustomize build | kubectl apply -f -``), and of the commands
    in ``$(...)``/backtick substitutions (``report=$(dvc exp diff --md)``). Memoised (callers must not change the
    lists): each command of each CI job is asked about by several detectors (test runner, deploy, push, metrics diff:
    300,000 calls for 5,000 commands on a CI-heavy repository)."""
    inner = [m.group(1) or m.group(2) or "" for m in _SUBST.finditer(text)]
    outer = _SUBST.sub(" _ ", text)
    out: list[list[str]] = []
    for t in (outer, *inner):
        out += [words(part) for part in re.split(r"(?<!\|)\|(?!\|)", t) if part.strip()]
    return out


def step_texts(step: CiStep) -> str:
    return " ".join([step.name, step.uses, step.command, *(v for _, v in step.with_)])


def split_lines(text: str) -> list[str]:
    return split_commands(text)


# ------------------------------------------------------------------ test commands


def root_line(cmd: Cmd) -> int:
    """The line of the CI command a (possibly nested) command was reached from."""
    return cmd.line if len(cmd.via) == 1 else int(cmd.via[1].rsplit(":", 1)[1])


def missing_unittest_targets(index: FileIndex, c: Cmd) -> bool:
    """Does a ``python -m unittest`` command name only dotted test targets that do not exist (``tests.TestModel.test_train``
    where the ``tests`` package defines no ``TestModel``)? unittest then fails to load them: the step tests nothing.
    False when a target resolves, when a target is a file or option, or when the module cannot be read."""
    seg = next((w for w in segments(c.text) if "unittest" in w), [])
    args = [a for a in seg[seg.index("unittest") + 1:] if not a.startswith("-")] if "unittest" in seg else []
    if not args or args[0] == "discover" or any("/" in a or a.endswith(".py") or "." not in a for a in args):
        return False
    cwd = c.cwd.strip("./") if c.cwd else ""
    for a in args:
        parts = a.split(".")
        for i in range(len(parts), 0, -1):
            rel = "/".join(p for p in (cwd, *parts[:i]) if p)
            module = next((e for e in index.entries if e.vpath in (f"{rel}.py", f"{rel}/__init__.py")), None)
            if module is None:
                continue
            rest = parts[i:]
            if not rest:
                return False
            tree = index.python(module.path)
            if tree is None:
                return False
            names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
            names |= {al.asname or al.name.split(".")[0] for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) for al in n.names}
            names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
            if rest[0] in names or module.name == "__init__.py" and any(
                    e.vpath in (f"{rel}/{rest[0]}.py", f"{rel}/{rest[0]}/__init__.py") for e in index.entries):
                return False
            break
        else:
            return False  # no module of the project: an installed package's tests, not this repository's to judge
    return True


def collected_tests(index: FileIndex, c: Cmd, runner: str) -> list[FileEntry]:
    """The Python test files a test command runs: the paths it names (files, or the test files under named
    folders), else every test file under its working directory."""
    seg = next((w for w in segments(c.text) if runner in w or head(w).startswith(("python", "py")) or head(w) == runner), [])
    args = [a for a in seg[1:] if not a.startswith("-") and a not in ("-m", runner) and "=" not in a]
    cwd = c.cwd.strip("./") if c.cwd else ""
    tests = [e for e in index.entries if e.test and e.name.endswith(".py") and e.name != "conftest.py" and e.name != "__init__.py"]
    out: list[FileEntry] = []
    for a in args:
        rel = f"{cwd}/{a}".strip("/") if cwd and not a.startswith("/") else a.lstrip("./")
        rel = rel.split("::", 1)[0]
        hit = [e for e in index.entries if e.vpath == rel and e.name.endswith(".py")] or [e for e in tests if e.vpath.startswith(rel.rstrip("/") + "/")]
        if not hit and rel.endswith(".py"):  # relative to a build's source root: a file below a folder holding the CI file
            base = c.path.rsplit("/", 1)[0] if "/" in c.path else ""
            while base and not hit:
                hit = [e for e in index.entries if e.vpath == f"{base}/{rel}"]
                base = base.rsplit("/", 1)[0] if "/" in base else ""
        out += hit
    if out or args and runner == "python":
        return out
    return [e for e in tests if not cwd or e.vpath.startswith(cwd + "/")]
