"""Scan two refs of one repository without checking them out over its work tree.

A ref is read with ``safegit.export_tree`` (blobs via ``cat-file``: no checkout, filters or hooks) into
a temporary directory and scanned as the same project (the subdirectory target is kept, so the root
CI files and CODEOWNERS that apply to it are seen). The head is the work tree, as ``mlscan scan PATH``
sees it, unless ``head`` names a ref.

Reuse: when no file the project can see differs between base and head (``git diff-tree``/``git diff``
names only, nothing is read), the head's result is the base's, relabelled with the head commit: a
monorepo pull request that does not touch a subproject costs one scan for it, not two.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import safegit
from ..engine import ScanOptions, ScanResult, scan
from ..errors import UsageError
from ..target import Target, resolve_target


@dataclass(frozen=True)
class RefScan:
    result: ScanResult
    ref: str | None  # as given; None: the work tree
    commit: str | None
    reused: bool = False  # no file in the project's scope changed since the base: the base's result


def scan_refs(path: str, base: str, head: str | None = None, options: ScanOptions | None = None) -> tuple[RefScan, RefScan]:
    """Scan ``base`` (a ref) and ``head`` (a ref, or None: the work tree) of the repository at ``path``."""
    options = options or ScanOptions()
    target = resolve_target(path)
    if not target.is_git:
        raise UsageError(f"{path} is not inside a Git repository (--base needs one)")
    base_sha = _resolve(target, base)
    head_sha = _resolve(target, head) if head is not None else None
    with tempfile.TemporaryDirectory(prefix="mlscan-diff-") as tmp:
        base_scan = RefScan(_scan_ref(path, target, base_sha, Path(tmp) / "base", options), base, base_sha)
        head_commit = head_sha or target.commit
        changed = changed_paths(target.root, base_sha, head_sha)
        if changed is not None and not any(in_scope(target.subdir, p) for p in changed):
            t = dataclasses.replace(base_scan.result.target, commit=head_commit)
            return base_scan, RefScan(dataclasses.replace(base_scan.result, target=t), head, head_commit, reused=True)
        if head_sha is None:
            return base_scan, RefScan(scan(path, options), None, target.commit)
        return base_scan, RefScan(_scan_ref(path, target, head_sha, Path(tmp) / "head", options), head, head_sha)


def _resolve(target: Target, ref: str) -> str:
    sha = safegit.resolve_ref(target.root, ref)
    if not sha:
        hint = " (a shallow clone may lack it: fetch it, e.g. actions/checkout with fetch-depth: 0)"
        raise UsageError(f"unknown Git ref {ref!r} in {target.root}{hint}")
    return sha


def _scan_ref(path: str, target: Target, sha: str, dest: Path, options: ScanOptions) -> ScanResult:
    safegit.export_tree(target.root, sha, dest)
    exported = Target(dest, target.subdir, False, sha, target.remote_url)
    result = scan(path, options, target=exported)
    # The report names the repository and the ref's commit, not the temporary directory.
    return dataclasses.replace(result, target=dataclasses.replace(target, commit=sha))


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


def in_scope(subdir: str, path: str) -> bool:
    """Whether a change to ``path`` can change the scan of the project at ``subdir``: any path for the
    whole repository; the project's files and the root files that apply to it (CI, CODEOWNERS, .dvc,
    .mlscan.yml, template manifests) for a subdirectory."""
    if not subdir or path == subdir or path.startswith(subdir + "/"):
        return True
    from ..index import ROOT_APPLICABLE, TEMPLATE_MANIFESTS, _Matcher

    return path in TEMPLATE_MANIFESTS or path == ".mlscan.yaml" or _Matcher(ROOT_APPLICABLE)(path, path.rsplit("/", 1)[-1])
