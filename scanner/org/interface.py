"""Frozen types shared by the org-scan modules (sources, clones, store, queue, worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import MlscanError


class RepoKind(StrEnum):
    URL = "url"  # cloned into the clone cache
    LOCAL = "local"  # an existing checkout, scanned in place


@dataclass(frozen=True, slots=True)
class Repo:
    """One repository to scan, as a source listed it. ``url`` never carries credentials."""

    name: str  # display name: owner/repo, group/sub/project, or the directory name
    url: str  # clone URL (no credentials) or absolute local path
    kind: RepoKind
    subdir: str = ""  # from ``URL#subdir``: scan only that project
    source: str = ""  # github:ORG, gitlab:GROUP, list:FILE, dir:DIR
    auth_host: str = ""  # host whose token (by source) may be sent with git: "" for none


@dataclass(frozen=True, slots=True)
class Settings:
    """What a scan depends on besides the repository: part of the skip fingerprint."""

    frameworks: tuple[str, ...] = ("checklist20",)
    rules: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    use_attestations: bool = True


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float = 600.0  # seconds per repository (CLOMonitor's REPOSITORY_TRACK_TIMEOUT)
    memory: int = 4 << 30  # bytes of address space per repository scan
    lease: float = 120.0  # seconds a claimed job stays ours without a heartbeat
    max_age_days: float = 7.0  # rescan an unchanged repository after this long anyway


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


TERMINAL = (JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    run_id: int
    repo: Repo
    attempts: int


@dataclass(frozen=True, slots=True)
class ProjectResult:
    """One scanned project (the repository, or one monorepo subproject) of a job."""

    subdir: str
    ok: bool
    report: dict | None = None  # the full JSON report (mlscan.report.build_report)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker reports for a job: scanned projects, or one failure reason for the repository."""

    status: JobStatus
    head: str | None = None
    projects: tuple[ProjectResult, ...] = ()
    reason: str = ""
    seconds: float = 0.0
    skipped_from: int | None = None  # scan id reused when skipped
    extra: dict = field(default_factory=dict)


class OrgError(MlscanError):
    """A source or the database could not be used: one line for the CLI (exit 3)."""
