"""The index's bounded caches: text and parses are kept by the characters of source they stand for, least
recently used out first."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

MISSING: Any = object()  # a cache miss (None is a cached value)


class Lru:
    """A mapping bounded by the summed weight of its values; the least recently used go first. One
    value heavier than the whole budget (a big notebook) is kept aside, so asking again is cheap."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.weight = 0
        self.data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self.big: tuple[Any, Any] | None = None

    def get(self, key: Any) -> Any:
        item = self.data.get(key)
        if item is None:
            big = self.big
            return big[1] if big is not None and big[0] == key else MISSING
        self.data.move_to_end(key)
        return item[0]

    def put(self, key: Any, value: Any, weight: int) -> None:
        old = self.data.pop(key, None)
        if old is not None:
            self.weight -= old[1]
        if weight > self.budget:
            self.big = (key, value)
            return
        self.data[key] = (value, weight)
        self.weight += weight
        while self.weight > self.budget:
            _, (_, w) = self.data.popitem(last=False)
            self.weight -= w

    def resized(self, budget: int) -> Lru:
        """A cache of ``budget`` holding this one's values, the most recently used as far as they fit."""
        out = Lru(budget)
        if self.big is not None:
            out.big = self.big
        for key, (value, weight) in self.data.items():  # least recently used first: the last ones stay
            out.put(key, value, weight)
        return out

