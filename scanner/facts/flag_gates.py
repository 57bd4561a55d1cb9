"""Metric verdicts that CI passes on as a flag: a step sets a step output from a metric comparison (a script that prints
or writes the verdict, or a shell test), written to ``$GITHUB_OUTPUT``; the job exports it (``outputs:``) and a job that
deploys or promotes the model runs only ``if:`` the flag is true (``needs.<job>.outputs.<flag> == 'true'``), or a
later step of the same job does (``steps.<id>.outputs.<flag>``). GitHub skips a job whose ``if:`` is false, and the
jobs that need it, unless their own ``if:`` asks a status function (``always()``): the comparison blocks the
promotion (GitHub's docs: "Defining outputs for jobs", "Using conditions to control job execution")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.ci import CiJob, CiStep, ci_model
from mlscan.facts.ci_vocab import deploy_command, deploy_uses, python_deploy, test_runner
from mlscan.facts.commands import Cmd, find_line, job_commands, python_target
from mlscan.index import FileIndex
from mlscan.index.formats import LineDict, LineList

from ..lazyre import lazy_re
from ..valueclass import Value, setfield

_NEEDS_REF = lazy_re(r"\bneeds\.([\w-]+)\.outputs\.([\w-]+)")
_STEPS_REF = lazy_re(r"\bsteps\.([\w-]+)\.outputs\.([\w-]+)")
_OUTPUT_OF = lazy_re(r"^\s*\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}\s*$")
# the condition is the flag, or the flag compared with a true value / with a false one by ``!=``
_TRUE = r"(?:'true'|\"true\"|true|'1'|1|'yes'|\"yes\")"
_FALSE = r"(?:'false'|\"false\"|false|'0'|0|'')"
# a status function lets a job run whatever its ``needs`` did
_STATUS = lazy_re(r"\b(?:always|failure|cancelled)\s*\(\s*\)")
_PY_RUN = lazy_re(r"\bpython[\d.]*\s+(?:-[uBO]+\s+)*(-m\s+[\w.]+|[\w./-]+\.py)\b")
_SHELL_METRIC = lazy_re(r"(?i)(?<![a-z])(?:acc|accuracy|auc|f1|rmse|mse|mae|r2|score|metric|loss|precision|recall)\w*")
_SHELL_COMPARE = lazy_re(r"-lt|-gt|-le|-ge|<|>")
# a redirection is no comparison: into the step's output or environment file, /dev/null, another descriptor, a file
_REDIRECT = lazy_re(r"\d?>>?\s*(?:\"?\$\{?GITHUB_\w+\}?\"?|/dev/null|&\d|\"?[\w.-]*[A-Za-z_][\w./-]*\.\w+\"?)")
_PROMOTE_CMD = lazy_re(r"(?i)\b(promot\w*|deploy\w*|register\w*|transition\w*|release|rollout)\b")


class FlagGate(Value, frozen=True):
    """A metric verdict passed as a flag that a promoting job or step waits for."""

    path: str  # the file holding the comparison (a script, or the workflow for a shell test)
    line: int
    workflow: str
    condition_line: int  # the ``if:`` that reads the flag
    job: str  # the deploying job's id

    _fields = ("path", "line", "workflow", "condition_line", "job")

    def __init__(self, path: str, line: int, workflow: str, condition_line: int, job: str) -> None:
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "workflow", workflow)
        setfield(self, "condition_line", condition_line)
        setfield(self, "job", job)


def requires_flag(cond: object, ref: str) -> bool:
    """Does an ``if:`` expression hold only when the flag ``ref`` is true: the flag alone (or through ``fromJSON``),
    ``== 'true'``, ``!= 'false'``, joined to other conditions by ``&&`` only (``||`` lets the job run without it)?"""
    if not isinstance(cond, str):
        return False
    text = cond.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if "||" in text:
        return False
    ref_re = rf"(?:fromJSON\(\s*)?{re.escape(ref)}(?:\s*\))?"
    pattern = re.compile(rf"\(*\s*(?:{ref_re}|{ref_re}\s*==\s*{_TRUE}|{_TRUE}\s*==\s*{ref_re}|{ref_re}\s*!=\s*{_FALSE})\s*\)*")
    return any(pattern.fullmatch(part.strip()) for part in text.split("&&"))


def _promotes(index: FileIndex, job: CiJob, step: CiStep | None = None) -> bool:
    """Does the job (or that step of it) deploy or promote a model: a deploy action or command, a script that deploys
    through an SDK, or a command named for promoting, deploying or registering (not a test)?"""
    if any(s.active and deploy_uses(s) for s in job.steps if step is None or s is step):
        return True
    for c in job_commands(index, job):
        if c.active and (step is None or c.step is step) and (
                deploy_command(c.text) or python_deploy(index, c) or _PROMOTE_CMD.search(c.text) and not test_runner(c.text)):
            return True
    return False


def _verdict_in_script(index: FileIndex, cmd: Cmd) -> tuple[str, int] | None:
    """(path, line) of the metric comparison a Python script run by the command makes (not one every score meets)."""
    e = python_target(index, cmd)
    tree = index.python(e.path) if e is not None and e.suffix == ".py" else None
    if tree is None or e is None:
        return None
    from mlscan.facts.gates import metric_comparisons  # imported where a script's tree is at hand

    return next(((e.path, n.lineno) for n in metric_comparisons(tree)), None)


def _verdict(index: FileIndex, job: CiJob, step: dict, step_line: int, key: str) -> tuple[str, int] | None:
    """Where the step that sets output ``key`` compares a metric: a Python script its command runs (printing the
    verdict into the output, or writing ``$GITHUB_OUTPUT`` itself), or a shell test on a metric in its own text."""
    run = step.get("run")
    ci_step = next((s for s in job.steps if s.line == step_line), None)
    if not isinstance(run, str) or ci_step is None:
        return None
    sets = key in run and ("GITHUB_OUTPUT" in run or "::set-output" in run)  # the step itself writes the output
    for m in _PY_RUN.finditer(run):
        cmd = Cmd(job, ci_step, m.group(0), ci_step.path, step_line, True, False, (f"{ci_step.path}:{step_line}",), ci_step.cwd, True)
        hit = _verdict_in_script(index, cmd)
        line = run[run.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
        # the step writes the output from what the script prints, or the script writes (or prints) the output itself
        if hit is not None and (sets or "GITHUB_OUTPUT" in line and index.contains(hit[0], (key.encode(),))
                                or index.contains(hit[0], (b"GITHUB_OUTPUT", b"::set-output")) and index.contains(hit[0], (key.encode(),))):
            return hit
    for line in run.splitlines() if sets else ():
        text = _REDIRECT.sub(" ", line)
        metric = _SHELL_METRIC.search(text)
        if metric and _SHELL_COMPARE.search(text, metric.end()):
            return ci_step.path, find_line(index, ci_step.path, step_line, line.strip()) or step_line
    return None


def _outputs(index: FileIndex, job: CiJob, raw: dict, flag: str) -> tuple[str, int] | None:
    """The verdict behind job output ``flag`` (``outputs: {flag: ${{ steps.<id>.outputs.<key> }}}``)."""
    outs = raw.get("outputs")
    value = outs.get(flag) if isinstance(outs, dict) else None
    m = _OUTPUT_OF.match(value) if isinstance(value, str) else None
    return _step_verdict(index, job, raw, m.group(1), m.group(2)) if m else None


def _step_verdict(index: FileIndex, job: CiJob, raw: dict, sid: str, key: str) -> tuple[str, int] | None:
    steps = raw.get("steps")
    if not isinstance(steps, LineList):
        return None
    for i, s in enumerate(steps):
        if isinstance(s, dict) and str(s.get("id", "")) == sid:
            return _verdict(index, job, s, steps.line_of(i), key)
    return None


def flag_gates(index: FileIndex) -> list[FlagGate]:
    """Every promoting GitHub job or step that runs only when a metric verdict's flag is true, and every GitLab job
    whose script deploys only when a dotenv variable set from a verdict is true (memoised per scan)."""
    return index.memo("flag-gates", lambda: [*_flag_gates(index), *_dotenv_gates(index)])  # type: ignore[no-any-return]


def _flag_gates(index: FileIndex) -> Iterator[FlagGate]:
    by_file: dict[str, list[CiJob]] = {}
    for j in ci_model(index).active_jobs():
        if j.system == "github":
            by_file.setdefault(j.path, []).append(j)
    for path, jobs in by_file.items():
        if not index.contains(path, (b"outputs",)):
            continue
        for doc in index.yaml(path):
            raw_jobs = doc.get("jobs") if isinstance(doc, dict) else None
            if not isinstance(raw_jobs, LineDict):
                continue
            by_line = {j.line: j for j in jobs}
            ids = {jid: by_line.get(raw_jobs.line_of(jid)) for jid in raw_jobs}
            yield from _job_gates(index, path, raw_jobs, ids)
            yield from _step_gates(index, path, raw_jobs, ids)


def _job_gates(index: FileIndex, path: str, raw_jobs: LineDict, ids: dict) -> Iterator[FlagGate]:
    """Jobs whose ``if:`` reads a ``needs`` output, promoting themselves or through the jobs that need them."""
    for jid, raw in raw_jobs.items():
        job = ids.get(jid)
        if job is None or not isinstance(raw, LineDict) or not isinstance(raw.get("if"), str):
            continue
        cond = raw["if"]
        for m in _NEEDS_REF.finditer(cond):
            up, flag = m.group(1), m.group(2)
            if up not in job.needs or not requires_flag(cond, m.group(0)) or not _promotes_after(index, jid, raw_jobs, ids):
                continue
            up_raw, up_job = raw_jobs.get(up), ids.get(up)
            hit = _outputs(index, up_job, up_raw, flag) if isinstance(up_raw, dict) and up_job is not None else None
            if hit is not None:
                yield FlagGate(hit[0], hit[1], path, raw.line_of("if"), str(jid))
                break


def _promotes_after(index: FileIndex, jid: str, raw_jobs: LineDict, ids: dict) -> bool:
    """Does the job, or a job that needs it (directly or not) and so is skipped with it, deploy or promote?"""
    todo, seen = [jid], set()
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        job = ids.get(cur)
        if job is not None and _promotes(index, job):
            return True
        for other, raw in raw_jobs.items():
            j = ids.get(other)
            if j is not None and cur in j.needs and not (isinstance(raw, dict) and _STATUS.search(str(raw.get("if", "")))):
                todo.append(other)
    return False


def _step_gates(index: FileIndex, path: str, raw_jobs: LineDict, ids: dict) -> Iterator[FlagGate]:
    """Steps whose ``if:`` reads an earlier step's output in the same job and that deploy or promote."""
    for jid, raw in raw_jobs.items():
        job = ids.get(jid)
        steps = raw.get("steps") if isinstance(raw, dict) else None
        if job is None or not isinstance(steps, LineList):
            continue
        for i, s in enumerate(steps):
            cond = s.get("if") if isinstance(s, LineDict) else None
            if not isinstance(cond, str):
                continue
            m = _STEPS_REF.search(cond)
            if m is None or not requires_flag(cond, m.group(0)):
                continue
            ci_step = next((x for x in job.steps if x.line == steps.line_of(i)), None)
            if ci_step is None or not ci_step.active:
                continue
            if not _promotes(index, job, ci_step):
                continue
            hit = _step_verdict(index, job, raw, m.group(1), m.group(2))
            if hit is not None:
                yield FlagGate(hit[0], hit[1], path, s.line_of("if"), str(jid))
                break


# ------------------------------------------------------------------ GitLab: a dotenv report read by a later job's script

# a shell test of a variable against a true or false word: ``[ "$IS_BETTER" = "true" ]``, ``[[ $DEPLOY != "false" ]]``
_VAR_TEST = lazy_re(r"\[\[?\s*\"?\$\{?(\w+)\}?\"?\s*(==|=|!=)\s*[\"']?(true|false|1|0|yes|no)[\"']?\s*\]\]?")
_TRUE_WORDS = frozenset({"true", "1", "yes"})


def _dotenv_files(raw: object) -> list[str]:
    reports = raw.get("artifacts", {}).get("reports") if isinstance(raw, dict) and isinstance(raw.get("artifacts"), dict) else None
    dotenv = reports.get("dotenv") if isinstance(reports, dict) else None
    return [str(d) for d in (dotenv if isinstance(dotenv, list) else [dotenv]) if isinstance(d, str)]


def _dotenv_verdict(index: FileIndex, job: CiJob, files: list[str], key: str) -> tuple[str, int] | None:
    """Where the job that writes ``key`` into its dotenv report compares a metric: a Python script run on a line that
    writes the report (``echo "IS_BETTER=$(python compare.py)" >> deploy.env``, ``python compare.py > deploy.env``) or
    that writes the key and the report itself, or a shell test on a metric in a job that writes the key."""
    steps = [s for s in job.steps if not s.disabled and s.command]  # ``echo KEY=... >> file`` is no placeholder here
    if not any(key in s.command and any(f in s.command for f in files) for s in steps):
        return None
    for s in steps:
        for m in _PY_RUN.finditer(s.command):
            cmd = Cmd(job, s, m.group(0), s.path, s.line, True, False, (f"{s.path}:{s.line}",), s.cwd, True)
            hit = _verdict_in_script(index, cmd)
            if hit is not None and (any(f in s.command for f in files) or index.contains(hit[0], tuple(f.encode() for f in files))):
                return hit
    for s in steps:
        text = _REDIRECT.sub(" ", s.command)
        metric = _SHELL_METRIC.search(text)
        if metric and _SHELL_COMPARE.search(text, metric.end()):
            return s.path, s.line
    return None


def _guards_deploy(index: FileIndex, job: CiJob) -> Iterator[tuple[str, int]]:
    """(variable, line) of the shell tests that let the job's deploy run only when the variable is true: ``if [ "$X" =
    "true" ]; then <deploy>``, or an exit before the deploy when it is not (``[ "$X" != "true" ] && exit 0``, ``[ "$X" =
    "true" ] || exit 0``)."""
    steps = [s for s in job.steps if s.active and s.command]
    for i, s in enumerate(steps):
        for m in _VAR_TEST.finditer(s.command):
            var, op, value = m.group(1), m.group(2), m.group(3).lower()
            wants_true = (value in _TRUE_WORDS) == (op != "!=")  # the test holds when the flag is true
            rest = s.command[m.end():]
            if wants_true and re.match(r"\s*\]?\s*;?\s*then\b", rest):
                block = rest.split("fi", 1)[0] if "fi" in rest else rest
                later = [block]
            elif re.match(r"\s*\]?\s*(\|\||&&)\s*exit\b", rest) and (rest.lstrip(" ]").startswith("||") == wants_true):
                later = [x.command for x in steps[i + 1:]]
            elif not wants_true and re.match(r"\s*\]?\s*;?\s*then\b", rest) and re.search(r"\bexit\b", rest.split("fi", 1)[0]):
                later = [x.command for x in steps[i + 1:]]
            else:
                continue
            if any(_deploys_text(index, job, t) for t in later):
                yield var, s.line


def _deploys_text(index: FileIndex, job: CiJob, text: str) -> bool:
    for line in re.split(r"[;\n]|&&|\bthen\b", text):
        t = line.strip()
        if t and (deploy_command(t) or _PROMOTE_CMD.search(t) and not test_runner(t) and not t.startswith(("echo", "printf"))):
            return True
    return False


def _dotenv_gates(index: FileIndex) -> Iterator[FlagGate]:
    jobs = [j for j in ci_model(index).active_jobs() if j.system == "gitlab"]
    if not jobs:
        return
    raw: dict[str, object] = {}
    for path in {j.path for j in jobs}:
        if index.contains(path, (b"dotenv",)):
            for doc in index.yaml(path):
                if isinstance(doc, dict):
                    raw.update({str(k): v for k, v in doc.items()})
    producers = {j.name: (j, files) for j in jobs if (files := _dotenv_files(raw.get(j.name)))}
    if not producers:
        return
    for job in jobs:
        for var, line in _guards_deploy(index, job):
            # a dotenv report reaches the jobs that need its job, or (without ``needs``) every job of a later stage
            ups = [producers[n] for n in job.needs if n in producers] or [p for n, p in producers.items() if n != job.name]
            hit = next((h for up, files in ups if (h := _dotenv_verdict(index, up, files, var)) is not None), None)
            if hit is not None:
                yield FlagGate(hit[0], hit[1], job.path, line, job.name)
                break
