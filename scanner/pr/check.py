"""``mlscan check``: the pull-request check for one or several subprojects, as the GitHub Action runs it.

For each PATH: the diff of the base ref against the work tree (``mlscan diff``), or a plain scan when
there is no base (a push, a schedule). Once every PATH is scanned it writes, under the output directory, per subproject
``<slug>/diff.json``, ``diff.md``, ``report.json`` and ``report.sarif`` (its own ``automationDetails``
category), then ``comment.md`` (all sections: the sticky comment's body), appends the body to the job
summary and the outputs to ``$GITHUB_OUTPUT``, posts the comment when asked, and only then applies
the gates, so the comment always shows why a job failed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import ScanOptions
from ..errors import UsageError
from ..lazyre import lazy_re

_SLUG = lazy_re(r"[^A-Za-z0-9._-]+")


@dataclass
class ProjectOutcome:
    path: str
    subdir: str
    level: int
    yes_count: int
    level_change: int | None
    regressions: list[str]
    section: str
    files: dict[str, str] = field(default_factory=dict)  # kind -> path
    category: str = ""
    contents: dict[str, str] = field(default_factory=dict)  # kind -> text, written by write()

    def write(self) -> None:
        """Write the reports; done after every subproject was scanned, so an output directory inside the
        work tree is never part of a scan."""
        for kind, path in self.files.items():
            p = Path(path)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(self.contents[kind], encoding="utf-8")


def event_base() -> tuple[str | None, int | None]:
    """(base commit, pull-request number) of the CI event: GitHub's pull_request payload, else GitLab's
    merge-request pipeline variables."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if path:
        try:
            event = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            event = {}
        pr = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(pr, dict):
            sha = (pr.get("base") or {}).get("sha")
            num = pr.get("number")
            return (sha if isinstance(sha, str) else None), (num if isinstance(num, int) else None)
    sha = os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
    iid = os.environ.get("CI_MERGE_REQUEST_IID", "")
    return (sha or None), (int(iid) if iid.isdigit() else None)


def slug(subdir: str) -> str:
    return _SLUG.sub("_", subdir.strip("/")) or "root"


def _scan_section(report: dict[str, Any]) -> str:
    from ..diff.render import code, escape

    where = report["target"].get("subdir") or "."
    capped = [f"**{escape(q['id'])}** {escape(', '.join(dict.fromkeys(str(c).split(':')[0] for c in q['capped_by'])))}"
              for q in report.get("questions") or [] if isinstance(q.get("capped_by"), list) and q["capped_by"]]
    return (f"### ML maturity of {code(where)}: L{report['level']} {escape(report.get('level_name'))}\n\n"
            f"{report['yes_count']}/{report.get('total', 0)} yes ({escape(report['framework'])}); no base to compare with.\n"
            + (f"\n⚠ Held at partial by a caveat: {'; '.join(capped)}\n" if capped else ""))


def run_project(path: str, base: str | None, options: ScanOptions, out: Path, report_url: str | None, sarif: bool = True) -> ProjectOutcome:
    from ..diff.compare import compare
    from ..diff.refs import scan_refs
    from ..diff.render import markdown, to_json
    from ..engine import scan
    from ..report import build_report
    from ..reporters import get_reporter

    if base:
        b, h = scan_refs(path, base, None, options)
        result = h.result
        report = build_report(result)
        doc = compare(build_report(b.result), report, base_ref=base, reused=h.reused, head_dirty=h.dirty)
    else:
        result = scan(path, options)
        report = build_report(result)
        doc = None
    subdir = result.target.subdir
    d = out / slug(subdir)
    contents = {"report": json.dumps(report, indent=2, ensure_ascii=False) + "\n"}
    files = {"report": d / "report.json"}
    category = f"mlscan/{subdir}/" if subdir else "mlscan/"
    if sarif:
        log = json.loads(get_reporter("sarif")(result))
        for run in log.get("runs", []):
            run["automationDetails"] = {"id": category}  # upload-sarif's category: one per subproject
        files["sarif"], contents["sarif"] = d / "report.sarif", json.dumps(log, indent=2) + "\n"
    if doc is not None:
        section = markdown(doc, report_url=report_url)
        files["diff"], contents["diff"] = d / "diff.json", to_json(doc)
    else:
        section = _scan_section(report)
    files["markdown"], contents["markdown"] = d / "diff.md", section
    return ProjectOutcome(
        path=path, subdir=subdir, level=report["level"], yes_count=report["yes_count"],
        level_change=doc["level"]["change"] if doc else None, regressions=doc["regressions"] if doc else [],
        section=section, files={k: str(v) for k, v in files.items()}, category=category, contents=contents,
    )


def write_outputs(path: str | None, values: dict[str, str]) -> None:
    """``key=value`` lines for ``$GITHUB_OUTPUT`` (values never contain newlines here)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for k, v in values.items():
            fh.write(f"{k}={v.replace(chr(10), ' ')}\n")


def outputs(results: list[ProjectOutcome], out: Path, comment_file: Path) -> dict[str, str]:
    def join(vals: list[Any]) -> str:
        return " ".join(str(v) for v in vals)

    return {
        "level": join([r.level for r in results]),
        "yes-count": join([r.yes_count for r in results]),
        "level-change": join(["" if r.level_change is None else (f"+{r.level_change}" if r.level_change > 0 else str(r.level_change)) for r in results]),
        "regressed": "true" if any(r.regressions for r in results) else "false",
        "report-dir": str(out),
        "comment-file": str(comment_file),
        "sarif-files": join([r.files["sarif"] for r in results if "sarif" in r.files]),
        "sarif-categories": join([r.category for r in results if "sarif" in r.files]),
        "json-reports": join([r.files["report"] for r in results]),
    }


def default_out_dir() -> Path:
    tmp = os.environ.get("RUNNER_TEMP")
    if tmp:
        return Path(tmp) / "mlscan"
    raise UsageError("no output directory: pass --out-dir (outside the scanned work tree)")
