"""``.mlscan.yml`` in the scanned repository: excludes and attestations (placeholder until issue 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .index import FileIndex
from .model import AnswerValue, Evidence, Warning_


@dataclass
class RepoConfig:
    excludes: list[str] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)

    def attestation_overrides(self) -> dict[str, tuple[AnswerValue, str, tuple[Evidence, ...]]]:
        return {}

    def report(self, used: bool) -> list[dict[str, Any]]:
        return []


def load_config(index: FileIndex) -> RepoConfig:
    return RepoConfig()
