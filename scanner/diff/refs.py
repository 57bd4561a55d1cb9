"""Scan two refs of one repository without checking them out over its work tree.

A ref is read with ``safegit.export_tree`` (blobs via ``cat-file``: no checkout, filters or hooks) into
a temporary directory and scanned as the same project (the subdirectory target is kept, so the root
CI files and CODEOWNERS that apply to it are seen). The head is the work tree, as ``mlscan scan PATH``
sees it, unless ``head`` names a ref.

Speed: the base tree is exported by a child process while the head is scanned. Reuse: when no file the project can see differs between base and head (``git diff-tree``/``git diff``
names only, nothing is read), the head's result is the base's, relabelled with the head commit: a
monorepo pull request that does not touch a subproject costs one scan for it, not two.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import safegit
from ..engine import ScanOptions, ScanResult, scan
from ..errors import UsageError
from ..scoring.rulepack import RulePack, load_packs
from ..target import Target, resolve_target
from ..valueclass import replace
from .export import Export
from .scope import in_scope


@dataclass(frozen=True)
class RefScan:
    result: ScanResult
    ref: str | None  # as given; None: the work tree
    commit: str | None
    reused: bool = False  # no file in the project's scope changed since the base: the base's result
    dirty: bool = False  # the work tree differs from its commit (uncommitted or untracked files)


def scan_refs(path: str, base: str, head: str | None = None, options: ScanOptions | None = None) -> tuple[RefScan, RefScan]:
    """Scan ``base`` (a ref) and ``head`` (a ref, or None: the work tree) of the repository at ``path``.

    The base tree is exported by a child process while the head is scanned here (file creation overlaps
    the CPU-bound scan), then scanned in this process (module and rule-pack caches warm)."""
    options = options or ScanOptions()
    target = resolve_target(path)
    if not target.is_git:
        raise UsageError(f"{path} is not inside a Git repository (--base needs one)")
    base_sha = _resolve(target, base)
    head_sha = _resolve(target, head) if head is not None else None
    head_commit = head_sha or target.commit
    packs = load_packs(list(options.rules))  # once for both scans
    changed = changed_paths(target.root, base_sha, head_sha)
    reuse = changed is not None and not any(in_scope(target.subdir, p) for p in changed)
    with tempfile.TemporaryDirectory(prefix="mlscan-diff-") as tmp:
        base_export = Export(target.root, base_sha, Path(tmp) / "base", target.subdir)
        head_export = Export(target.root, head_sha, Path(tmp) / "head", target.subdir) if head_sha and not reuse else None
        try:
            head_result = None
            if not reuse:
                if head_export is not None:
                    head_export.wait()
                    head_result = _scan_export(path, target, head_sha or "", head_export.dest, options, packs)
                else:
                    head_result = scan(path, options, packs=packs)
            base_export.wait()
            base_result = _scan_export(path, target, base_sha, base_export.dest, options, packs)
        finally:
            base_export.kill()
            if head_export is not None:
                head_export.kill()
    base_scan = RefScan(base_result, base, base_sha)
    dirty = False
    if head_sha is None and target.commit:
        since_commit = changed_paths(target.root, target.commit, None)
        dirty = bool(since_commit) and any(in_scope(target.subdir, p) for p in since_commit)
    if head_result is None:
        t = replace(base_result.target, commit=head_commit)
        return base_scan, RefScan(replace(base_result, target=t), head, head_commit, reused=True, dirty=dirty)
    return base_scan, RefScan(head_result, head, head_commit, dirty=dirty)


def _resolve(target: Target, ref: str) -> str:
    sha = safegit.resolve_ref(target.root, ref)
    if not sha:
        hint = " (a shallow clone may lack it: fetch it, e.g. actions/checkout with fetch-depth: 0)"
        raise UsageError(f"unknown Git ref {ref!r} in {target.root}{hint}")
    return sha


def _scan_export(path: str, target: Target, sha: str, dest: Path, options: ScanOptions, packs: dict[str, RulePack]) -> ScanResult:
    exported = Target(dest, target.subdir, False, sha, target.remote_url)
    result = scan(path, options, target=exported, packs=packs)
    # The report names the repository and the ref's commit, not the temporary directory.
    return replace(result, target=replace(target, commit=sha))


def changed_paths(root: Path, base_sha: str, head_sha: str | None) -> list[str] | None:
    """Paths that differ between ``base_sha`` and ``head_sha`` (None: the work tree, untracked files
    included); None when Git cannot tell."""
    if head_sha is not None:
        cp = safegit.run(root, "diff-tree", "-r", "-z", "--no-commit-id", "--name-only", "--no-renames", base_sha, head_sha, check=False)
        return _names(cp.stdout) if cp.returncode == 0 else None
    tracked = safegit.run(root, "diff", "-z", "--name-only", "--no-renames", "--no-ext-diff", base_sha, "--", check=False)
    others = safegit.run(root, "ls-files", "-z", "--others", "--exclude-standard", check=False)
    if tracked.returncode != 0 or others.returncode != 0:
        return None
    return _names(tracked.stdout) + _names(others.stdout)


def _names(raw: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p]
