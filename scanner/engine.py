"""Run a scan: target -> index -> detectors -> findings -> rule packs -> scores."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .conditions import Findings
from .detector import Detector
from .errors import UsageError
from .index import FileIndex
from .model import Finding, Score, Warning_
from .plugins import load_detectors
from .rulepack import RulePack, load_packs
from .score import score_pack
from .target import Target, is_url, redact_url, resolve_target

DEFAULT_FRAMEWORK = "checklist20"


@dataclass(frozen=True)
class ScanOptions:
    frameworks: Sequence[str] = (DEFAULT_FRAMEWORK,)
    rules: Sequence[str] = ()
    excludes: Sequence[str] = ()
    only_detectors: frozenset[str] | None = None
    use_attestations: bool = True


@dataclass(frozen=True)
class ScanResult:
    target: Target
    display_path: str
    findings: tuple[Finding, ...]
    scores: dict[str, Score]
    packs: dict[str, RulePack]
    warnings: tuple[Warning_, ...]
    skipped: dict[str, Any]
    stats: dict[str, Any]
    policy: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def primary(self) -> Score:
        return next(iter(self.scores.values()))


def select_packs(options: ScanOptions) -> dict[str, RulePack]:
    packs = load_packs(list(options.rules))
    names = list(options.frameworks) or [DEFAULT_FRAMEWORK]
    if "all" in names:
        names = [DEFAULT_FRAMEWORK] + sorted(n for n in packs if n != DEFAULT_FRAMEWORK)
    chosen: dict[str, RulePack] = {}
    for n in names:
        if n not in packs:
            raise UsageError(f"unknown framework {n!r}; known: {', '.join(sorted(packs))}")
        chosen[n] = packs[n]
    return chosen


def run_detectors(index: FileIndex, detectors: Sequence[Detector]) -> list[Finding]:
    findings: list[Finding] = []
    for det in detectors:
        try:
            findings.extend(det.detect(index))
        except RecursionError:
            index.warn("detector-error", f"{det.id}: input nested too deeply; detector skipped")
        except Exception as e:  # one broken detector must not lose the rest of the scan
            index.warn("detector-error", f"{det.id}: {type(e).__name__}: {e}")
    return findings


def scan(path: str, options: ScanOptions | None = None) -> ScanResult:
    options = options or ScanOptions()
    started = time.perf_counter()
    target = resolve_target(path)
    packs = select_packs(options)
    detectors = load_detectors(set(options.only_detectors) if options.only_detectors else None)
    from .config import load_config

    index = FileIndex(target, excludes=list(options.excludes))
    config = load_config(index)
    if config.excludes:
        index = FileIndex(target, excludes=[*options.excludes, *config.excludes])
        index.warnings.extend(config.warnings)
    findings = run_detectors(index, detectors)
    fset = Findings(findings)
    overrides = config.attestation_overrides() if options.use_attestations else {}
    scores = {name: score_pack(pack, fset, overrides) for name, pack in packs.items()}
    elapsed = time.perf_counter() - started
    policy = {
        "templates": (
            "rendered-defaults" if index.is_template_repo else ("skipped" if index.stats.skipped.get("template") else "none")
        ),
        "template_files": index.template_files,
        "attestations": "used" if options.use_attestations else "ignored",
    }
    return ScanResult(
        target=target,
        display_path=(redact_url(path) or path) if is_url(path) else path,
        findings=tuple(findings),
        scores=scores,
        packs=packs,
        warnings=tuple(index.warnings),
        skipped=index.skipped_summary(),
        stats={
            "files_listed": index.stats.listed,
            "files_in_scope": len(index.entries),
            "files_read": index.stats.read,
            "files_parsed": index.stats.parsed,
            "detectors": len(detectors),
            "duration_seconds": round(elapsed, 3),
        },
        policy=policy,
        extras={"attestations": config.report(options.use_attestations)},
    )
