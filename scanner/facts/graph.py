"""Reachability in a small directed graph given as successor sets (a DAG's task edges, pipeline blocks' upstreams,
jobs that start other jobs)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def reachable(succ: Mapping[N, Iterable[N]], starts: Iterable[N]) -> set[N]:
    """Every node reached from ``starts`` in one step or more (a start only when a cycle leads back to it)."""
    seen: set[N] = set()
    todo = list(starts)
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
