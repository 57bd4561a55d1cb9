"""Workers: claim jobs, skip the unchanged, scan the rest in forked children with a timeout and a memory limit.

The worker process loads mlscan once; each repository is scanned in a child forked from it (cheap, no
re-import), in its own process group, with ``RLIMIT_AS`` set to the memory limit and killed with its git
processes at the timeout. A child that crashes, runs out of memory, hangs or cannot clone is recorded as
failed with its reason, and the run goes on. Children die with their worker (``PR_SET_PDEATHSIG``).

A repository is skipped without cloning when its head commit (``git ls-remote``, or ``rev-parse`` for a
local checkout) and the scanner's fingerprint (mlscan version, detectors, rule packs, settings) equal those
of its last complete scan and that scan is younger than the max age.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import resource
import select
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import MlscanError
from ..target import redact_url
from . import clones, queue
from .interface import Job, JobStatus, Limits, Outcome, ProjectResult, Repo, RepoKind, Settings
from .store import Store, now

Report = Callable[[Job, Outcome], None]
SKIP_BATCH = 16  # jobs claimed at once while repositories turn out unchanged


def fingerprint(settings: Settings) -> str:
    """What a scan depends on besides the repository: mlscan's version, the detectors installed (and their
    distributions' versions), every rule-pack file's content and the scan settings."""
    h = hashlib.sha256()
    h.update(f"mlscan {__version__}\n".encode())
    for group in ("mlscan.detectors", "mlscan.rules", "mlscan.reporters"):
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            h.update(f"{group} {ep.name} {ep.value} {getattr(dist, 'name', '')} {getattr(dist, 'version', '')}\n".encode())
    base = resources.files("mlscan.rules")
    files = [Path(str(p)) for p in base.iterdir() if p.name.endswith((".yaml", ".yml"))]
    for raw in settings.rules:
        p = Path(raw)
        files += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    for f in sorted(files):
        h.update(f"{f.name}\n".encode())
        try:
            h.update(hashlib.sha256(f.read_bytes()).digest())
        except OSError:
            h.update(b"missing")
    h.update(json.dumps([list(settings.frameworks), list(settings.excludes), settings.use_attestations]).encode())
    return h.hexdigest()


def tokens_from_env() -> dict[str, str]:
    return {k: v for k, v in (("github", os.environ.get("GITHUB_TOKEN", "")), ("gitlab", os.environ.get("GITLAB_TOKEN", ""))) if v}


def _forge(repo: Repo) -> str | None:
    kind = repo.source.partition(":")[0]
    if kind in ("github", "gitlab"):
        return kind
    host = repo.auth_host
    if host == "github.com":
        return "github"
    if host == "gitlab.com":
        return "gitlab"
    return None


def auth_of(repo: Repo, tokens: dict[str, str]) -> tuple[tuple[str, str] | None, str | None]:
    """The extraHeader for this repository's clone and the token (for scrubbing messages)."""
    forge = _forge(repo)
    token = tokens.get(forge or "")
    if repo.kind != RepoKind.URL or not token or not repo.auth_host:
        return None, None
    return clones.auth_for(repo.url, token, forge or ""), token


def head_of(repo: Repo, tokens: dict[str, str]) -> str | None:
    if repo.kind == RepoKind.LOCAL:
        if not Path(repo.url).is_dir():
            raise clones.CloneError(f"not a directory: {repo.url}")
        return clones.local_head(repo.url)
    auth, token = auth_of(repo, tokens)
    return clones.ls_remote_head(repo.url, auth=auth, token=token)


def check_heads(jobs: list[Job], tokens: dict[str, str], threads: int = 8) -> dict[int, tuple[str | None, str | None, float]]:
    """job id -> (head, error, seconds): the head commits of several repositories at once (``ls-remote`` is
    network-bound; GitHub answers in a few hundred milliseconds)."""

    def one(job: Job) -> tuple[str | None, str | None, float]:
        t0 = time.perf_counter()
        try:
            return head_of(job.repo, tokens), None, time.perf_counter() - t0
        except (clones.CloneError, MlscanError, ValueError) as e:
            return None, str(e), time.perf_counter() - t0

    if len(jobs) <= 1:
        return {j.id: one(j) for j in jobs}
    from concurrent.futures import ThreadPoolExecutor

    if all(j.repo.kind == RepoKind.LOCAL for j in jobs):
        threads = os.cpu_count() or 1  # local checkouts: git status is CPU and disk work, not waiting
    with ThreadPoolExecutor(max_workers=min(threads, len(jobs))) as pool:
        return dict(zip((j.id for j in jobs), pool.map(one, jobs)))


History = tuple[str | None, str | None, datetime | None]  # (head, fingerprint, when) of the last complete scan


def decide_skip(
    store: Store, job: Job, fp: str, limits: Limits, head: str | None, error: str | None, seconds: float, history: History | None = None,
) -> Outcome | None:
    """A skipped or failed outcome when the repository needs no scan (unchanged) or cannot be reached."""
    t0 = time.perf_counter()
    if error is not None:
        return Outcome(JobStatus.FAILED, reason=error, seconds=seconds)
    prev_head, prev_fp, when = history if history is not None else queue.last_done(store, job.repo)
    if head and not head.endswith("+dirty") and head == prev_head and _may_skip((prev_head, prev_fp, when), fp, limits):
        return Outcome(JobStatus.SKIPPED, head=head, reason=f"unchanged since {when:%Y-%m-%d %H:%M} UTC", seconds=seconds + time.perf_counter() - t0)
    return None


def _may_skip(history: History, fp: str, limits: Limits) -> bool:
    """Whether an unchanged head would skip: a complete scan with this fingerprint, younger than the max age."""
    prev_head, prev_fp, when = history
    return bool(prev_head) and prev_fp == fp and when is not None and now() - when < timedelta(days=limits.max_age_days)


@dataclass(frozen=True, slots=True)
class ToScan:
    job: Job
    scanned_before: bool  # a complete scan of this repository is on record: its facts cache is worth keeping


def triage(store: Store, claimed: list[Job], fp: str, limits: Limits, tokens: dict[str, str]) -> tuple[list[tuple[Job, Outcome]], list[ToScan]]:
    """Claimed jobs -> (settled without a scan: unchanged or unreachable, to scan).

    Only a repository whose last complete scan could make it skip (same fingerprint, fresh) needs its head
    before the scan; a local checkout without one goes straight to its scan, which reads the head itself (a
    first org scan then runs one ``git status`` per repository, not two). A remote's head is always asked
    first: ``ls-remote`` is cheap and fails early and clearly for an unreachable repository."""
    history = {j.id: queue.last_done(store, j.repo) for j in claimed}
    check = [j for j in claimed if j.repo.kind != RepoKind.LOCAL or _may_skip(history[j.id], fp, limits)]
    heads = check_heads(check, tokens)
    settled: list[tuple[Job, Outcome]] = []
    to_scan: list[ToScan] = []
    for job in claimed:
        outcome = decide_skip(store, job, fp, limits, *heads[job.id], history=history[job.id]) if job.id in heads else None
        if outcome is not None:
            settled.append((job, outcome))
        else:
            to_scan.append(ToScan(job, history[job.id][0] is not None))
    return settled, to_scan


def projects_of(root: Path, subdir: str) -> list[str]:
    """The projects to scan: ``subdir`` when the listing named one, else the ``projects`` of the repository's
    root ``.mlscan.yml`` (a monorepo), else the whole repository."""
    if subdir:
        return [subdir]
    from ..index.formats import load_yaml_all

    for name in (".mlscan.yml", ".mlscan.yaml"):
        p = root / name
        if p.is_file() and not p.is_symlink():
            try:
                docs = load_yaml_all(p.read_text(encoding="utf-8", errors="replace"))
            except ValueError:
                return [""]  # the scan reports the malformed configuration
            data = docs[0] if len(docs) == 1 else None
            raw = data.get("projects") if isinstance(data, dict) else None
            if not isinstance(raw, list) or not raw:
                return [""]
            out = []
            for item in raw:
                s = str(item).strip().strip("/")
                if s in ("", "."):
                    out.append("")
                elif not any(part in ("..", ".", "") for part in s.split("/")):
                    out.append(s)
            return list(dict.fromkeys(out)) or [""]
    return [""]


def scan_repo(job: Job, settings: Settings, cache: Path, tokens: dict[str, str], timeout: float, facts_cache: bool = True) -> Outcome:
    """Clone or update (URL) and scan every project of one repository. Runs in the forked child. With
    ``facts_cache`` the scans read and record the facts cache (``mlscan.cache``, its default directory)."""
    from ..engine import ScanOptions, scan
    from ..report import build_report

    t0 = time.perf_counter()
    repo = job.repo
    try:
        if repo.kind == RepoKind.URL:
            auth, token = auth_of(repo, tokens)
            entry = clones.cache_path(cache, repo.url)
            with clones.locked(entry):
                root, head = clones.ensure(repo.url, cache, auth=auth, token=token, timeout=timeout)
                return _scan_projects(job, root, head, settings, scan, ScanOptions, build_report, t0, facts_cache)
        root = Path(repo.url)
        if not root.is_dir():
            return Outcome(JobStatus.FAILED, reason=f"not a directory: {repo.url}", seconds=time.perf_counter() - t0)
        return _scan_projects(job, root, clones.local_head(str(root)), settings, scan, ScanOptions, build_report, t0, facts_cache)
    except (clones.CloneError, MlscanError) as e:
        return Outcome(JobStatus.FAILED, reason=str(e), seconds=time.perf_counter() - t0)


def _scan_projects(
    job: Job, root: Path, head: str | None, settings: Settings, scan: Any, options_cls: Any, build_report: Any, t0: float, facts_cache: bool = True,
) -> Outcome:
    results = []
    for sub in projects_of(root, job.repo.subdir):
        path = root / sub if sub else root
        if not path.is_dir():
            results.append(ProjectResult(sub, False, reason=f"project directory {sub or '.'} does not exist"))
            continue
        opts = options_cls(frameworks=settings.frameworks, rules=settings.rules, excludes=settings.excludes,
                           use_attestations=settings.use_attestations, jobs=1, cache=facts_cache)
        try:
            report = build_report(scan(str(path), opts))
        except MlscanError as e:
            results.append(ProjectResult(sub, False, reason=str(e).replace(str(root), job.repo.name)))
            continue
        if any(w.get("code") == "detector-error" and "MemoryError" in str(w.get("message")) for w in report.get("warnings") or []):
            raise MemoryError
        display = (redact_url(job.repo.url) or job.repo.url) if job.repo.kind == RepoKind.URL else job.repo.url
        report["target"]["path"] = display + (f"#{sub}" if sub else "")
        if job.repo.kind == RepoKind.URL:
            report["target"]["remote"] = redact_url(job.repo.url)
        results.append(ProjectResult(sub, True, report))
    ok = all(r.ok for r in results)
    reason = "" if ok else "; ".join(f"{r.subdir or '.'}: {r.reason}" for r in results if not r.ok)
    return Outcome(JobStatus.DONE if ok else JobStatus.FAILED, head=head, projects=tuple(results), reason=reason, seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------- forked children


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _peak_address_space() -> int:
    """VmPeak of this process in bytes (Linux), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _outcome_json(o: Outcome) -> dict[str, Any]:
    return {
        "status": str(o.status), "head": o.head, "reason": o.reason, "seconds": o.seconds,
        "projects": [{"subdir": p.subdir, "ok": p.ok, "report": p.report, "reason": p.reason} for p in o.projects],
    }


def _outcome_of(d: dict[str, Any]) -> Outcome:
    projects = tuple(ProjectResult(str(p["subdir"]), bool(p["ok"]), p.get("report"), str(p.get("reason") or "")) for p in d.get("projects") or [])
    return Outcome(JobStatus(d["status"]), d.get("head"), projects, str(d.get("reason") or ""), float(d.get("seconds") or 0))


FACTS_CACHE_POLICIES = ("rescans", "all", "none")


@dataclass
class Child:
    job: Job
    pid: int
    out: Path
    started: float
    pidfd: int | None = None  # readable once the child has exited (Linux); None: the worker polls


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def spawn(job: Job, settings: Settings, limits: Limits, cache: Path, tokens: dict[str, str], tmp: Path, facts_cache: bool = True) -> Child:
    fd, name = tempfile.mkstemp(prefix=f"job{job.id}-", suffix=".json", dir=tmp)
    os.close(fd)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.setpgid(0, 0)
            _die_with_parent()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            if limits.memory:
                resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
            try:
                outcome = scan_repo(job, settings, cache, tokens, limits.timeout, facts_cache)
                if limits.memory and _peak_address_space() > limits.memory - max(16 << 20, limits.memory // 20):
                    raise MemoryError  # an allocation near the limit failed somewhere (parsers report it as a bad file)
            except MemoryError:
                outcome = Outcome(JobStatus.FAILED, reason=f"memory limit of {limits.memory >> 20} MiB exceeded")
            except RecursionError:
                outcome = Outcome(JobStatus.FAILED, reason="crashed: input nested too deeply")
            except Exception as e:  # anything else: the repository fails, the run goes on
                outcome = Outcome(JobStatus.FAILED, reason=f"crashed: {type(e).__name__}: {e}"[:500])
            with open(name, "w", encoding="utf-8") as fh:
                json.dump(_outcome_json(outcome), fh)
            os._exit(0)
        except BaseException:
            os._exit(70)
    return Child(job, pid, Path(name), time.monotonic(), _pidfd(pid))


def _close_pidfd(child: Child) -> None:
    if child.pidfd is not None:
        os.close(child.pidfd)
        child.pidfd = None


def _wait_any(children: list[Child], timeout: float, poll: float) -> None:
    """Return when one of the children has exited or after ``timeout`` seconds (polling when a child has no pidfd)."""
    fds = [c.pidfd for c in children if c.pidfd is not None]
    if len(fds) < len(children) or not fds:
        time.sleep(min(timeout, poll))
        return
    select.select(fds, [], [], max(0.0, timeout))


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def collect(child: Child, status: int) -> Outcome:
    """The outcome a finished child wrote, or why it has none."""
    secs = time.monotonic() - child.started
    try:
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            with open(child.out, encoding="utf-8") as fh:
                return _outcome_of(json.load(fh))
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
            hint = " (out of memory?)" if sig == "SIGKILL" else ""
            return Outcome(JobStatus.FAILED, reason=f"crashed: killed by {sig}{hint}", seconds=secs)
        return Outcome(JobStatus.FAILED, reason=f"crashed: exit status {os.WEXITSTATUS(status)}", seconds=secs)
    except (OSError, ValueError, KeyError) as e:
        return Outcome(JobStatus.FAILED, reason=f"crashed: unreadable result ({type(e).__name__})", seconds=secs)
    finally:
        child.out.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- the worker loop


def warm(settings: Settings, facts_cache: bool = True) -> None:
    """Import everything a scan imports lazily (detectors, parsers, reporters, the facts cache's modules when
    scans will use it), once in the worker, so that every forked child starts warm: one scan of an empty
    directory does it (uncached: a temporary directory's facts are not worth keeping)."""
    from ..engine import ScanOptions, scan
    from ..report import build_report

    clones._git()  # GitPython finds git once, here
    if facts_cache:
        from ..cache import facts, run, store  # noqa: F401
    with tempfile.TemporaryDirectory(prefix="mlscan-warm-") as d:
        try:
            build_report(scan(d, ScanOptions(frameworks=settings.frameworks, rules=settings.rules, jobs=1, cache=False)))
        except MlscanError:
            pass


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    lost: int = 0  # completions refused because another worker had taken the job over


def work(
    store: Store,
    run: queue.Run,
    *,
    slots: int,
    limits: Limits,
    cache: Path,
    tokens: dict[str, str],
    on_done: Report | None = None,
    poll: float = 0.01,
    facts_cache: str = "rescans",
) -> Summary:
    """Work on one run until every job of it is done, skipped or failed (by this worker or others).

    ``facts_cache``: ``rescans`` (a repository with a complete scan on record reads and records the facts
    cache; a first scan records nothing: an unchanged repository is skipped without it, and most never
    change before their facts would be evicted), ``all`` or ``none``.

    The worker keeps ``slots`` claimed jobs ready beyond the running scans, so a finished scan's slot is
    refilled at once (the fork comes before the finished job is recorded); it waits on the children's
    pidfds, not with a timer."""
    if facts_cache not in FACTS_CACHE_POLICIES:
        raise ValueError(f"facts_cache: one of {', '.join(FACTS_CACHE_POLICIES)}")
    me = queue.worker_id()
    fp = fingerprint(run.settings)
    summary = Summary()
    t0 = time.perf_counter()
    running: dict[int, Child] = {}
    ready: list[ToScan] = []  # claimed, changed, waiting for a free slot
    scanned_last = True
    last_beat = time.monotonic()
    idle_until = 0.0
    tmp = Path(tempfile.mkdtemp(prefix="mlscan-org-"))
    warm(run.settings, facts_cache != "none")

    def finish(job: Job, outcome: Outcome) -> None:
        if queue.complete(store, job, me, outcome, fp):
            summary.counts[str(outcome.status)] = summary.counts.get(str(outcome.status), 0) + 1
            if on_done:
                on_done(job, outcome)
        else:
            summary.lost += 1

    def start() -> None:
        while ready and len(running) < slots:
            item = ready.pop(0)
            record = facts_cache == "all" or (facts_cache == "rescans" and item.scanned_before)
            child = spawn(item.job, run.settings, limits, cache, tokens, tmp, record)
            running[child.pid] = child

    try:
        while True:
            exited: list[tuple[Child, int]] = []
            timed_out: list[Child] = []
            for pid, child in list(running.items()):
                wpid, status = os.waitpid(pid, os.WNOHANG)
                if wpid:
                    del running[pid]
                    exited.append((child, status))
                elif time.monotonic() - child.started > limits.timeout:
                    _kill(pid)
                    os.waitpid(pid, 0)
                    del running[pid]
                    timed_out.append(child)
            start()  # refill the freed slots first: recording the finished jobs can wait for the database
            for child, status in exited:
                _close_pidfd(child)
                finish(child.job, collect(child, status))
            for child in timed_out:
                _close_pidfd(child)
                child.out.unlink(missing_ok=True)
                finish(child.job, Outcome(JobStatus.FAILED, reason=f"timed out after {limits.timeout:g} s", seconds=limits.timeout))
            if (running or ready) and time.monotonic() - last_beat > limits.lease / 4:
                queue.heartbeat(store, me, [c.job.id for c in running.values()] + [t.job.id for t in ready], limits.lease)
                last_beat = time.monotonic()
            want = 2 * slots - len(running) - len(ready)  # every slot busy and as many jobs ready behind them
            claimed: list[Job] = []
            if want > 0 and time.monotonic() >= idle_until:
                # after a batch that needed no scan (a quiet night), claim more at once: their heads are checked together
                claimed = queue.claim(store, run.id, me, want if scanned_last else max(want, SKIP_BATCH), limits.lease)
                settled, to_scan = triage(store, claimed, fp, limits, tokens)
                ready += to_scan
                scanned_last = bool(to_scan)
                start()
                for job, outcome in settled:
                    finish(job, outcome)
                if not claimed:
                    idle_until = time.monotonic() + 1.0  # nothing claimable now: look again in a second
            if not running and not ready and not claimed:
                if queue.finish_if_done(store, run.id):
                    break
                time.sleep(0.5)  # jobs other workers hold: wait for them, or for their leases to expire
            elif running and not claimed and not exited and not timed_out:
                now_ = time.monotonic()
                wake = min(c.started + limits.timeout for c in running.values()) - now_
                if want > 0:
                    wake = min(wake, idle_until - now_)
                _wait_any(list(running.values()), min(max(wake, 0.0), 0.25), poll)
    finally:
        for pid, child in list(running.items()):
            _kill(pid)
            _close_pidfd(child)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        for f in tmp.iterdir():
            f.unlink(missing_ok=True)
        tmp.rmdir()
    summary.seconds = time.perf_counter() - t0
    return summary
