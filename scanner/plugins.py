"""Load detectors and rule packs from entry points (built-in ones are registered the same way)."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from .detector import Detector
from .errors import PluginError

DETECTOR_GROUP = "mlscan.detectors"
RULES_GROUP = "mlscan.rules"


def _describe(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.name if dist else '?'}[{ep.name}]"


def load_detectors(only: set[str] | None = None) -> list[Detector]:
    """Instantiate every registered detector, sorted by id; ``only`` limits to those ids."""
    seen: dict[str, Detector] = {}
    for ep in entry_points(group=DETECTOR_GROUP):
        if only is not None and ep.name not in only:
            continue
        try:
            cls = ep.load()
        except Exception as e:  # a broken plugin is a configuration problem, reported in one line
            raise PluginError(f"{_describe(ep)}: cannot load detector: {e}") from None
        if not (isinstance(cls, type) and issubclass(cls, Detector)) or not cls.id:
            raise PluginError(f"{_describe(ep)}: not a Detector subclass with an id")
        seen.setdefault(cls.id, cls())
    return [seen[k] for k in sorted(seen)]


def describe_entry_point(ep: EntryPoint) -> str:
    """``dist[name]`` for messages and ``mlscan frameworks``."""
    return _describe(ep)


def rule_pack_entry_points() -> list[EntryPoint]:
    return list(entry_points(group=RULES_GROUP))
