"""The YAML half of ``formats``: PyYAML's safe loader (libyaml when present) with line numbers, the direct converter
and the alias-bomb checks. ``formats.load_yaml_all``/``check_aliases`` import this module on first use, so a scan of a
repository without YAML files never imports PyYAML (~8-13 ms with its ``datetime``/``base64``)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .yaml_data import MAX_YAML_ALIASES, MAX_YAML_EXPANDED_NODES, LineDict, LineList, may_alias

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


# A plain scalar's tag by its text (resolved by the safe loader's implicit resolvers: PyYAML's ``resolve`` builds a list of
# candidate patterns and matches them for every scalar, ~250,000 scalars in kubeflow/pipelines' 700 YAML files, most of
# them the same keys and values again). Short texts only, and a bounded number of them.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAG_MAX_CHARS = 64
_PLAIN_TAG_MAX_TEXTS = 1 << 15


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader (libyaml when present) whose mappings and sequences carry line numbers."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """``BaseResolver.resolve``, for a loader without path resolvers (else it is asked): a quoted or block scalar is a
        string, a plain one takes the tag its implicit resolvers give its text (remembered for short texts), a
        collection its default tag."""
        if self.yaml_path_resolvers:
            return _BaseLoader.resolve(self, kind, value, implicit)
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = _BaseLoader.resolve(self, kind, value, implicit)
                if len(value) <= _PLAIN_TAG_MAX_CHARS and len(_PLAIN_TAGS) < _PLAIN_TAG_MAX_TEXTS:
                    _PLAIN_TAGS[value] = tag
            return tag  # type: ignore[no-any-return]
        if kind is yaml.MappingNode:
            return _MAP_TAG
        if kind is yaml.SequenceNode:
            return _SEQ_TAG
        return _BaseLoader.resolve(self, kind, value, implicit)


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    d = LineDict()
    d.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        d[key] = loader.construct_object(value_node, deep=True)
        d.key_lines[key] = key_node.start_mark.line + 1
    return d


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    seq = LineList(loader.construct_object(child, deep=True) for child in node.value)
    seq.line = node.start_mark.line + 1
    seq.item_lines = [child.start_mark.line + 1 for child in node.value]
    return seq


def _construct_undefined(loader: Any, node: yaml.Node) -> Any:
    """Unknown tags (``!Ref``, ``!reference``, ``!!python/object``) become plain data, never objects."""
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return _construct_sequence(loader, node)
    return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor(None, _construct_undefined)
# timestamps stay strings: they are never needed as datetimes and cannot fail
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def load_yaml_all(text: str) -> list[Any]:
    """All documents of a YAML stream, safely. Raises ValueError on malformed or hostile input."""
    if text.count("*") > MAX_YAML_ALIASES and len(re.findall(r"(?<![\w*])\*[A-Za-z0-9_-]+", text)) > MAX_YAML_ALIASES:
        raise ValueError("too many YAML aliases (possible alias bomb)")
    aliases = may_alias(text)  # no anchor or no alias: nothing can expand, and the direct converter builds the documents
    loader = _LineLoader(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            if aliases:
                _check_expansion(node)
            data = loader.construct_document(node) if aliases or node is None else _Converter(loader, "<<" in text).convert(node)
            if data is not None:
                docs.append(data)
        return docs
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValueError(f"{where}{problem}") from None
    except RecursionError:
        raise ValueError("YAML nested too deeply") from None
    finally:
        loader.dispose()



class _Converter:
    """The line-aware constructor's result, built by one direct recursion over the composed nodes (about 3x
    faster than PyYAML's generic, generator-based constructor) for documents without aliases; scalars of other
    tags than plain strings and collections still go through the loader's own constructors."""

    __slots__ = ("loader", "merges")

    def __init__(self, loader: Any, merges: bool) -> None:
        self.loader = loader
        self.merges = merges  # ``<<`` keys: flattened as the constructor does

    def convert(self, node: yaml.Node) -> Any:
        cls = node.__class__
        if cls is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            return self.loader.construct_object(node, deep=True)
        if cls is yaml.MappingNode:
            if node.tag != _MAP_TAG:
                return self.loader.construct_object(node, deep=True)
            if self.merges:
                self.loader.flatten_mapping(node)
            d = LineDict()
            d.line = node.start_mark.line + 1
            lines = d.key_lines
            for key_node, value_node in node.value:
                key = key_node.value if key_node.__class__ is yaml.ScalarNode and key_node.tag == _STR_TAG else self.convert(key_node)
                try:
                    hash(key)
                except TypeError:
                    key = str(key)
                d[key] = self.convert(value_node)
                lines[key] = key_node.start_mark.line + 1
            return d
        if cls is yaml.SequenceNode and node.tag == _SEQ_TAG:
            children = node.value
            seq = LineList([self.convert(c) for c in children])
            seq.line = node.start_mark.line + 1
            seq.item_lines = [c.start_mark.line + 1 for c in children]
            return seq
        return self.loader.construct_object(node, deep=True)


def check_aliases(text: str) -> None:
    """``formats.check_aliases`` once the text may hold an alias (``formats`` answers the others without PyYAML)."""
    try:
        for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
            _check_expansion(node)
    except yaml.YAMLError:
        return  # the loader itself reports a malformed text, with its line


def _check_expansion(root: yaml.Node | None) -> None:
    """Reject a document whose aliases expand to a huge tree (a "billion laughs" bomb): a few hundred
    bytes that every later walk over the data would pay for with millions of nodes. Counted on the
    composed node graph, where an alias is the same node object, so the check is linear."""
    if root is None:
        return
    size: dict[int, int] = {}
    open_: set[int] = set()  # entered, not yet summed: met again below itself, it is an alias of an ancestor
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in size:
            continue
        if not done and key in open_:
            # an anchor whose own content aliases it: a cyclic document every later walk would follow forever
            raise ValueError("YAML alias refers to its own anchor (recursive document)")
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            size[key] = 1
            continue
        if done:
            total = 1 + sum(size[id(c)] for c in children)
            if total > MAX_YAML_EXPANDED_NODES:
                raise ValueError(f"YAML aliases expand to more than {MAX_YAML_EXPANDED_NODES} nodes (possible alias bomb)")
            size[key] = total
        else:
            open_.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in size)
