"""Progress of a worker: a rich progress bar on a terminal, one plain line per repository otherwise (CI logs)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from .interface import Job, JobStatus, Outcome


def line(job: Job, outcome: Outcome) -> str:
    """One line for a finished repository; never a URL with credentials (listings hold none)."""
    if outcome.status == JobStatus.SKIPPED:
        return f"{job.repo.name}: unchanged, skipped"
    if outcome.status == JobStatus.FAILED and not any(p.ok for p in outcome.projects):
        return f"{job.repo.name}: FAILED: {outcome.reason}"
    parts = []
    for p in outcome.projects:
        label = p.subdir or "."
        parts.append(f"{label} L{p.report.get('level')}" if p.ok and p.report else f"{label} FAILED: {p.reason}")
    what = parts[0].split(" ", 1)[1] if len(parts) == 1 and not job.repo.subdir and outcome.projects[0].subdir == "" else ", ".join(parts)
    return f"{job.repo.name}: {what} ({outcome.seconds:.1f} s)"


class Progress:
    def __init__(self, total: int, *, already: int = 0, stream: Any = None) -> None:
        self.total = total
        self.count = already
        self.stream = stream or sys.stderr
        self._rich: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
                console=Console(file=self.stream), transient=False,
            )
            self._rich.__enter__()
            self._task = self._rich.add_task("", total=self.total, completed=self.count)
        return self

    def done(self, job: Job, outcome: Outcome) -> None:
        self.count += 1
        text = line(job, outcome)
        if self._rich is not None:
            self._rich.update(self._task, advance=1, description=text[:60])
            if outcome.status == JobStatus.FAILED:
                self._rich.console.print(text, markup=False, highlight=False)
        else:
            width = len(str(self.total))
            print(f"[{self.count:>{width}}/{self.total}] {text}", file=self.stream, flush=True)

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._rich is not None:
            self._rich.__exit__(et, ev, tb)
