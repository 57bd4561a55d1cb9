"""Rule packs: YAML files validated against a JSON Schema, with ``file:line`` errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import RulePackError

Condition = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    section: str
    dimension: str
    looked_for: str
    why: str
    yes: Condition
    partial: Condition | None
    reason_yes: str
    reason_partial: str
    reason_no: str


@dataclass(frozen=True, slots=True)
class Band:
    min: int
    max: int
    level: int
    name: str


@dataclass(frozen=True, slots=True)
class CascadeLevel:
    level: int
    name: str
    label: str
    requires: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class Rung:
    level: int
    when: Condition


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    labels: tuple[str, ...]
    rungs: tuple[Rung, ...]


@dataclass(frozen=True, slots=True)
class RulePack:
    framework: str
    title: str
    source: str
    description: str
    method: str
    bands: tuple[Band, ...]
    levels: tuple[CascadeLevel, ...]
    level_prefix: str
    dimensions: tuple[Dimension, ...]
    questions: tuple[Question, ...]
    path: str
    extends: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


# ---------------------------------------------------------------- schema validation


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("mlscan").joinpath("schemas/rulepack.schema.json").read_text("utf-8"))


def _node_line(root: yaml.Node | None, path: list[Any]) -> tuple[int, int]:
    """Line and column (1-based) of the YAML node at a JSON-Schema error path."""
    node = root
    best = (1, 1)
    for part in path:
        if node is None:
            break
        best = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == part:
                    best = (k.start_mark.line + 1, k.start_mark.column + 1)
                    nxt = v
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        best = (node.start_mark.line + 1, node.start_mark.column + 1)
    return best


def _rule_context(data: Any, path: list[Any]) -> str:
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        try:
            return f" (question {data['questions'][path[1]]['id']})"
        except (KeyError, IndexError, TypeError):
            return ""
    return ""


def validate_pack_data(data: Any, text: str, where: str) -> None:
    import jsonschema  # lazy: only when a pack is validated

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    path = list(err.absolute_path)
    line, col = _node_line(root, path)
    msg = err.message
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        msg = f"condition needs exactly one of any/all/not/signal/answer/const, got {sorted(err.instance)}"
    raise RulePackError(f"{where}:{line}:{col}: {msg}{_rule_context(data, path)}")


# ---------------------------------------------------------------- loading


def parse_pack(text: str, where: str, *, validate: bool = True) -> RulePack:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise RulePackError(f"{where}:{line}: invalid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise RulePackError(f"{where}:1:1: a rule pack is a YAML mapping")
    if validate:
        validate_pack_data(data, text, where)
    return _build(data, where, text)


def _build(data: dict[str, Any], where: str, text: str) -> RulePack:
    scoring = data["scoring"]
    questions = tuple(
        Question(
            id=q["id"],
            text=q["text"],
            section=q.get("section", ""),
            dimension=q.get("dimension", ""),
            looked_for=q.get("looked_for", ""),
            why=q.get("why", ""),
            yes=q["yes_if"],
            partial=q.get("partial_if"),
            reason_yes=q.get("reason_yes", "found: {signals}"),
            reason_partial=q.get("reason_partial", "partly: {signals}"),
            reason_no=q.get("reason_no", "not found: {looked_for}"),
        )
        for q in data.get("questions", [])
    )
    ids = [q.id for q in questions]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise RulePackError(f"{where}:1:1: duplicate question id(s): {', '.join(sorted(dup))}")
    pack = RulePack(
        framework=data["framework"],
        title=data["title"],
        source=data.get("source", ""),
        description=data.get("description", ""),
        method=scoring["method"],
        bands=tuple(Band(b["min"], b["max"], b["level"], b["name"]) for b in scoring.get("bands", [])),
        levels=tuple(
            CascadeLevel(lv["level"], lv["name"], lv.get("label", ""), tuple(lv.get("requires", [])), lv.get("description", ""))
            for lv in scoring.get("levels", [])
        ),
        level_prefix=scoring.get("level_prefix", "L"),
        dimensions=tuple(
            Dimension(d["name"], tuple(d["labels"]), tuple(Rung(r["level"], r["when"]) for r in d.get("rungs", [])))
            for d in data.get("dimensions", [])
        ),
        questions=questions,
        path=where,
        extends=data.get("extends", ""),
        extra=data.get("extra", {}),
    )
    _check_references(pack, text, where)
    return pack


def _check_references(pack: RulePack, text: str, where: str) -> None:
    if pack.extends:
        return  # references resolve against the merged pack
    ids = {q.id for q in pack.questions}

    def refs(cond: Any) -> list[str]:
        if not isinstance(cond, dict):
            return []
        out = [cond["answer"]] if "answer" in cond else []
        for k in ("any", "all"):
            for c in cond.get(k, []):
                out += refs(c)
        if "not" in cond:
            out += refs(cond["not"])
        return out

    conds = [q.yes for q in pack.questions] + [q.partial for q in pack.questions if q.partial]
    conds += [r.when for d in pack.dimensions for r in d.rungs]
    for lv in pack.levels:
        for r in lv.requires:
            if r not in ids:
                raise RulePackError(f"{where}:{_line_of(text, r)}:1: level {lv.level} requires unknown question {r!r}")
    for c in conds:
        for r in refs(c):
            if r not in ids:
                raise RulePackError(f"{where}:{_line_of(text, 'answer: ' + r)}:1: condition refers to unknown question {r!r}")
    if pack.method == "bands" and not pack.bands:
        raise RulePackError(f"{where}:{_line_of(text, 'scoring')}:1: scoring method 'bands' needs bands")
    if pack.method == "cascade" and not pack.levels:
        raise RulePackError(f"{where}:{_line_of(text, 'scoring')}:1: scoring method 'cascade' needs levels")


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    return 1


def load_pack_file(path: Path, *, validate: bool = True) -> RulePack:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulePackError(f"{path}:1:1: cannot read rule pack: {getattr(e, 'strerror', None) or e}") from None
    return parse_pack(text, str(path), validate=validate)


def builtin_pack_files() -> list[Path]:
    base = resources.files("mlscan.rules")
    return sorted(Path(str(p)) for p in base.iterdir() if p.name.endswith((".yaml", ".yml")))


def _merge(base: RulePack, over: RulePack) -> RulePack:
    """A pack with ``extends: X`` replaces X's questions by id and appends new ones."""
    by_id = {q.id: q for q in base.questions}
    order = [q.id for q in base.questions]
    for q in over.questions:
        if q.id not in by_id:
            order.append(q.id)
        by_id[q.id] = q
    from dataclasses import replace

    return replace(
        base,
        questions=tuple(by_id[i] for i in order),
        dimensions=over.dimensions or base.dimensions,
        path=f"{base.path} + {over.path}",
    )


def load_packs(extra_paths: list[str] = (), *, validate_builtin: bool = False) -> dict[str, RulePack]:
    """Built-in packs, then entry-point packs, then ``--rules`` paths (files or directories).
    A later pack with the same framework name replaces an earlier one; ``extends`` merges."""
    from .plugins import rule_pack_entry_points

    files: list[tuple[Path, bool]] = [(p, validate_builtin) for p in builtin_pack_files()]
    for ep in rule_pack_entry_points():
        try:
            obj = ep.load()
            paths = obj() if callable(obj) else [Path(obj.__file__).parent]
        except Exception as e:
            raise RulePackError(f"entry point mlscan.rules[{ep.name}]: cannot load: {e}") from None
        for p in paths:
            p = Path(p)
            files += [(f, True) for f in (sorted(p.glob("*.y*ml")) if p.is_dir() else [p])]
    for raw in extra_paths:
        p = Path(raw)
        if not p.exists():
            raise RulePackError(f"{raw}:1:1: rule pack path does not exist")
        found = sorted(list(p.glob("*.yaml")) + list(p.glob("*.yml"))) if p.is_dir() else [p]
        if p.is_dir() and not found:
            raise RulePackError(f"{raw}:1:1: no *.yaml rule packs in this directory")
        files += [(f, True) for f in found]
    packs: dict[str, RulePack] = {}
    for f, validate in files:
        pack = load_pack_file(f, validate=validate)
        target = pack.extends or pack.framework
        if pack.extends:
            if pack.extends not in packs:
                raise RulePackError(f"{f}:1:1: extends unknown framework {pack.extends!r}")
            packs[target] = _merge(packs[target], pack)
        else:
            packs[pack.framework] = pack
    return packs
