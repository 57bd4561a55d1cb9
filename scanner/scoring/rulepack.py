"""Rule packs: YAML files validated against a JSON Schema, with ``file:line`` errors."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RulePackError
from ..lazyre import lazy_re
from ..valueclass import Value, replace, setfield

if TYPE_CHECKING:
    import yaml

Condition = dict[str, Any]


class Question(Value, frozen=True):
    """One question of a rule pack: its text, section, dimension and answer conditions."""
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
    applies: Condition | None
    reason_na: str
    # what makes evidence decisive for this question: signal selectors ({signal, attrs, min_strength, fact, line, prefer});
    # ``prefer`` names an item fact that leads when the finding cites it (before the selector's own fact)
    # the scorer leads with findings meeting one, and a yes none of whose findings meets one is only partial
    decisive: tuple[Condition, ...]
    reason_undecided: str
    # caveat attributes (evidence.CAVEAT_ATTRS keys) this question's yes condition already accepts: shown, never capping
    accepts_caveats: tuple[str, ...]
    # the question this one builds on (E2 on E1): its lead must be another line than that question's lead; when its only
    # decisive evidence is that very line, the answer says so with ``reason_shared_lead``
    distinct_lead: str
    reason_shared_lead: str
    # a question whose yes needs several parts (T3: retraining AND rollback), as signal selectors ({signal, label}): the
    # first part's evidence leads, and a lead that does not show another part names where that part is (a chain entry)
    parts: tuple[Condition, ...]

    _fields = ("id", "text", "section", "dimension", "looked_for", "why", "yes", "partial", "reason_yes", "reason_partial", "reason_no", "applies", "reason_na", "decisive", "reason_undecided", "accepts_caveats", "distinct_lead", "reason_shared_lead", "parts")
    __slots__ = _fields

    def __init__(
        self,
        id: str,
        text: str,
        section: str,
        dimension: str,
        looked_for: str,
        why: str,
        yes: Condition,
        partial: Condition | None,
        reason_yes: str,
        reason_partial: str,
        reason_no: str,
        applies: Condition | None = None,
        reason_na: str = "",
        decisive: tuple[Condition, ...] = (),
        reason_undecided: str = "",
        accepts_caveats: tuple[str, ...] = (),
        distinct_lead: str = "",
        reason_shared_lead: str = "",
        parts: tuple[Condition, ...] = (),
    ) -> None:
        setfield(self, "id", id)
        setfield(self, "text", text)
        setfield(self, "section", section)
        setfield(self, "dimension", dimension)
        setfield(self, "looked_for", looked_for)
        setfield(self, "why", why)
        setfield(self, "yes", yes)
        setfield(self, "partial", partial)
        setfield(self, "reason_yes", reason_yes)
        setfield(self, "reason_partial", reason_partial)
        setfield(self, "reason_no", reason_no)
        setfield(self, "applies", applies)
        setfield(self, "reason_na", reason_na)
        setfield(self, "decisive", decisive)
        setfield(self, "reason_undecided", reason_undecided)
        setfield(self, "accepts_caveats", accepts_caveats)
        setfield(self, "distinct_lead", distinct_lead)
        setfield(self, "reason_shared_lead", reason_shared_lead)
        setfield(self, "parts", parts)


class Band(Value, frozen=True):
    """A range of yes-answers that maps to a level (a pack scored by count)."""
    min: int
    max: int
    level: int
    name: str

    _fields = ("min", "max", "level", "name")
    __slots__ = _fields

    def __init__(self, min: int, max: int, level: int, name: str) -> None:
        setfield(self, "min", min)
        setfield(self, "max", max)
        setfield(self, "level", level)
        setfield(self, "name", name)


class CascadeLevel(Value, frozen=True):
    """A level reached when every question it requires holds (a pack scored by cascade)."""
    level: int
    name: str
    label: str
    requires: tuple[str, ...]
    description: str

    _fields = ("level", "name", "label", "requires", "description")
    __slots__ = _fields

    def __init__(self, level: int, name: str, label: str, requires: tuple[str, ...], description: str) -> None:
        setfield(self, "level", level)
        setfield(self, "name", name)
        setfield(self, "label", label)
        setfield(self, "requires", requires)
        setfield(self, "description", description)


class Rung(Value, frozen=True):
    """A dimension's rung: its level and the condition that reaches it."""
    level: int
    when: Condition

    _fields = ("level", "when")
    __slots__ = _fields

    def __init__(self, level: int, when: Condition) -> None:
        setfield(self, "level", level)
        setfield(self, "when", when)


class Dimension(Value, frozen=True):
    """A scored dimension of a rule pack: its rung labels and conditions."""
    name: str
    labels: tuple[str, ...]
    rungs: tuple[Rung, ...]

    _fields = ("name", "labels", "rungs")
    __slots__ = _fields

    def __init__(self, name: str, labels: tuple[str, ...], rungs: tuple[Rung, ...]) -> None:
        setfield(self, "name", name)
        setfield(self, "labels", labels)
        setfield(self, "rungs", rungs)


class RulePack(Value, frozen=True):
    """A maturity model loaded from a rule pack file: questions, scoring and sources."""
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
    extends: str
    extra: dict[str, Any]
    guidance: dict[str, Any]
    origin: str  # built-in | entry point <dist>[<name>] | --rules

    _fields = ("framework", "title", "source", "description", "method", "bands", "levels", "level_prefix", "dimensions", "questions", "path", "extends", "extra", "guidance", "origin")
    __slots__ = _fields

    def __init__(
        self,
        framework: str,
        title: str,
        source: str,
        description: str,
        method: str,
        bands: tuple[Band, ...],
        levels: tuple[CascadeLevel, ...],
        level_prefix: str,
        dimensions: tuple[Dimension, ...],
        questions: tuple[Question, ...],
        path: str,
        extends: str = "",
        extra: dict[str, Any] | None = None,
        guidance: dict[str, Any] | None = None,
        origin: str = "built-in",
    ) -> None:
        setfield(self, "framework", framework)
        setfield(self, "title", title)
        setfield(self, "source", source)
        setfield(self, "description", description)
        setfield(self, "method", method)
        setfield(self, "bands", bands)
        setfield(self, "levels", levels)
        setfield(self, "level_prefix", level_prefix)
        setfield(self, "dimensions", dimensions)
        setfield(self, "questions", questions)
        setfield(self, "path", path)
        setfield(self, "extends", extends)
        setfield(self, "extra", {} if extra is None else extra)
        setfield(self, "guidance", {} if guidance is None else guidance)
        setfield(self, "origin", origin)

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def level_name(self, level: int) -> str:
        """The name of a level (band or cascade level), '' when the pack has none."""
        for b in self.bands:
            if b.level == level:
                return b.name
        return next((lv.name for lv in self.levels if lv.level == level), "")

    @property
    def level_numbers(self) -> list[int]:
        return sorted({b.level for b in self.bands} | {lv.level for lv in self.levels})


# ---------------------------------------------------------------- schema validation


@lru_cache(maxsize=8)
def load_schema(name: str) -> dict[str, Any]:
    """A bundled JSON Schema (``rulepack``, ``pitfalls``, ``crosswalk``, ``config``, ``report``)."""
    return json.loads((package_dir("mlscan") / "schemas" / f"{name}.schema.json").read_text("utf-8"))


def _schema() -> dict[str, Any]:
    return load_schema("rulepack")


def _node_line(root: yaml.Node | None, path: list[Any], *, key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the YAML node at a JSON-Schema error path (of its key when ``key``)."""
    import yaml

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
    if node is not None and not key:
        best = (node.start_mark.line + 1, node.start_mark.column + 1)
    return best


def _rule_context(data: Any, path: list[Any]) -> str:
    for key, label in (("questions", "question"), ("pitfalls", "pitfall")):
        if len(path) >= 2 and path[0] == key and isinstance(path[1], int):
            try:
                return f" ({label} {data[key][path[1]]['id']})"
            except (KeyError, IndexError, TypeError):
                return ""
    return ""


def validate_pack_data(data: Any, text: str, where: str) -> None:
    validate_data(data, text, where, "rulepack")


def validate_data(data: Any, text: str, where: str, schema: str, error: type[Exception] = RulePackError) -> None:
    """Validate parsed YAML against a bundled schema; raise ``error('file:line:col: message')``."""
    import jsonschema  # lazy: only when a file is validated

    validator = jsonschema.Draft202012Validator(load_schema(schema))
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    import yaml  # lazy: a scan reads the bundled packs as JSON (_bundle) and never imports PyYAML for them

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    path = list(err.absolute_path)
    at_key = err.validator == "additionalProperties" and isinstance(err.instance, dict)
    if at_key:
        unexpected = sorted(k for k in err.instance if k not in err.schema.get("properties", {}))
        path += unexpected[:1]  # point at the unexpected key, not at its mapping
    line, col = _node_line(root, path, key=at_key)
    msg = err.message
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        msg = f"condition needs exactly one of any/all/not/n_of/signal/answer/const, got {sorted(err.instance)}"
    raise error(f"{where}:{line}:{col}: {msg}{_rule_context(data, path)}")


# ---------------------------------------------------------------- loading


def package_dir(name: str) -> Path:
    """The directory of an installed mlscan package (``importlib.resources`` costs a few ms to import; mlscan's data
    files are always plain files next to its modules)."""
    from importlib import import_module

    return Path(str(import_module(name).__file__)).parent


BUNDLE_NAME = "_parsed.json"  # in the mlscan.rules package: the bundled YAML files, parsed (scripts/bundle_rules.py)
_BUNDLE: dict[str, str] | None = None


def _bundle() -> dict[str, str]:
    """sha256 of a bundled YAML text -> its data as JSON text. Parsing the bundled packs with PyYAML's constructor
    took ~25 ms of every scan; JSON is ~20x faster. A file edited since the bundle was made has another digest and is
    parsed from YAML (tests/scoring/test_rules_bundle.py keeps the bundle current)."""
    global _BUNDLE
    if _BUNDLE is None:
        try:
            raw = json.loads((package_dir("mlscan.rules") / BUNDLE_NAME).read_text("utf-8"))
            _BUNDLE = dict(raw["files"]) if isinstance(raw, dict) and isinstance(raw.get("files"), dict) else {}
        except (OSError, ValueError, TypeError):
            _BUNDLE = {}
    return _BUNDLE


def bundle_entry(text: str) -> str:
    from ..digest import sha256_hex

    return sha256_hex(text.encode("utf-8"))


def _safe_yaml(text: str, where: str, error: type[Exception] = RulePackError) -> Any:
    bundled = _bundle().get(bundle_entry(text)) if len(text) > 256 else None
    if bundled is not None:
        return json.loads(bundled)
    return _parse_yaml(text, where, error)


def _parse_yaml(text: str, where: str, error: type[Exception] = RulePackError) -> Any:
    import yaml  # lazy: a scan reads the bundled packs as JSON (_bundle) and never imports PyYAML for them

    from ..index.formats import check_aliases

    try:
        check_aliases(text)  # a recursive or exploding alias would send the schema validator into endless recursion
    except ValueError as e:
        raise error(f"{where}:1:1: invalid YAML: {e}") from None
    try:
        try:
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - CSafeLoader (libyaml safe loader), never the unsafe one
        except yaml.YAMLError:
            return yaml.safe_load(text)  # the pure-Python loader words errors better; it raises again
    except RecursionError:
        raise error(f"{where}:1:1: invalid YAML: nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise error(f"{where}:{line}: invalid YAML: {getattr(e, 'problem', None) or e}") from None


def read_data_file(path: Path, schema: str, *, validate: bool = False) -> dict[str, Any]:
    """A bundled mlscan data file (pitfalls, crosswalk), parsed and validated against its schema."""
    where = str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulePackError(f"{where}:1:1: cannot read: {getattr(e, 'strerror', None) or e}") from None
    data = _safe_yaml(text, where)
    if not isinstance(data, dict):
        raise RulePackError(f"{where}:1:1: expected a YAML mapping")
    if validate:  # bundled files are validated by the test suite, not on every scan
        validate_data(data, text, where, schema)
    return data


def parse_pack(text: str, where: str, *, validate: bool = True) -> RulePack:
    data = _safe_yaml(text, where)
    if not isinstance(data, dict):
        raise RulePackError(f"{where}:1:1: a rule pack is a YAML mapping")
    if validate:
        validate_pack_data(data, text, where)
    return _build(data, where, text, check_patterns=validate)


def _build(data: dict[str, Any], where: str, text: str, *, check_patterns: bool = True) -> RulePack:
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
            applies=q.get("applies_if"),
            reason_na=q.get("reason_na", "not applicable here"),
            decisive=tuple(q.get("decisive") or ()),
            reason_undecided=q.get("reason_undecided", ""),
            accepts_caveats=tuple(q.get("accepts_caveats") or ()),
            distinct_lead=q.get("distinct_lead", ""),
            reason_shared_lead=q.get("reason_shared_lead", ""),
            parts=tuple(q.get("parts") or ()),
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
        guidance=data.get("guidance", {}),
    )
    _check_references(pack, text, where, check_patterns=check_patterns)
    return pack


def _check_references(pack: RulePack, text: str, where: str, *, check_patterns: bool = True) -> None:
    """References and the base level, always; decisive line patterns compile (``check_patterns``) unless the pack is
    a bundled one, which the test suite validates (the engine compiles the few it uses)."""
    if pack.extends:
        return  # references resolve against the merged pack
    ids = {q.id for q in pack.questions}

    def refs(cond: Any) -> list[str]:
        if not isinstance(cond, dict):
            return []
        out = [cond["answer"]] if "answer" in cond and not cond.get("framework") else []
        for k in ("any", "all", "of"):
            for c in cond.get(k, []):
                out += refs(c)
        if "not" in cond:
            out += refs(cond["not"])
        return out

    conds = [q.yes for q in pack.questions] + [q.partial for q in pack.questions if q.partial]
    conds += [q.applies for q in pack.questions if q.applies]
    conds += [r.when for d in pack.dimensions for r in d.rungs]
    if pack.levels:
        base = min(pack.levels, key=lambda lv: lv.level)
        if base.requires:
            raise RulePackError(
                f"{where}:{_line_of(text, 'requires')}:1: the base level {base.level} ({base.name}) must have no requirements:"
                " a cascade starts at the base level"
            )
    for q in pack.questions if check_patterns else ():
        for sel in q.decisive:
            try:
                re.compile(str(sel.get("line") or ""))
            except re.error as e:
                raise RulePackError(f"{where}:{_line_of(text, str(sel.get('line')))}:1: decisive line pattern of {q.id} is not a regular expression: {e}") from None
    for qid in pack.guidance.get("questions", {}):
        if qid not in ids:
            raise RulePackError(f"{where}:{_line_of(text, qid + ':')}:1: guidance for unknown question {qid!r}")
    for lv in pack.levels:
        for r in lv.requires:
            if r not in ids:
                raise RulePackError(f"{where}:{_line_of(text, r)}:1: level {lv.level} requires unknown question {r!r}")
    for c in conds:
        for r in refs(c):
            if r not in ids:
                raise RulePackError(f"{where}:{_line_of(text, 'answer: ' + r)}:1: condition refers to unknown question {r!r}")
    for q in pack.questions:
        if q.distinct_lead and (q.distinct_lead not in ids or q.distinct_lead == q.id):
            raise RulePackError(f"{where}:{_line_of(text, 'distinct_lead: ' + q.distinct_lead)}:1: distinct_lead of {q.id} names "
                                f"{'itself' if q.distinct_lead == q.id else 'unknown question ' + repr(q.distinct_lead)}")
    if pack.method == "bands" and not pack.bands:
        raise RulePackError(f"{where}:{_line_of(text, 'scoring')}:1: scoring method 'bands' needs bands")
    if pack.method == "cascade" and not pack.levels:
        raise RulePackError(f"{where}:{_line_of(text, 'scoring')}:1: scoring method 'cascade' needs levels")


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line and not line.lstrip().startswith("#"):
            return i
    return 1


# other mlscan data files may sit next to packs (rules/pitfalls.yaml, rules/crosswalk.yaml): skipped
PACK_SCHEMA = "mlscan.rules/v1"
_OTHER_KINDS = lazy_re(r"(?m)^schema:[ \t]*['\"]?mlscan\.(?!rules/)[a-z]+/v[0-9]+")


def is_pack_text(text: str) -> bool:
    """False for the other mlscan data files (``schema: mlscan.pitfalls/v1`` ...), True otherwise."""
    return not _OTHER_KINDS.search(text)


_PARSED: dict[tuple[str, int, int, bool], RulePack | None] = {}


def load_pack_file(path: Path, *, validate: bool = True, origin: str = "built-in") -> RulePack | None:
    """The pack in ``path``; None when the file is another kind of mlscan data file. A long-lived process
    (``mlscan org`` workers scan thousands of repositories) parses an unchanged file once: packs are frozen."""
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, validate)
        if key in _PARSED:
            hit = _PARSED[key]
            return None if hit is None else replace(hit, origin=origin)
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulePackError(f"{path}:1:1: cannot read rule pack: {getattr(e, 'strerror', None) or e}") from None
    if not is_pack_text(text):
        _PARSED[key] = None
        return None
    pack = parse_pack(text, str(path), validate=validate)
    _PARSED[key] = pack
    return replace(pack, origin=origin)


def _yaml_files(p: Path) -> list[Path]:
    return sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file())


def builtin_pack_files() -> list[Path]:
    base = package_dir("mlscan.rules")
    return sorted(Path(str(p)) for p in base.iterdir() if p.name.endswith((".yaml", ".yml")))


def _merge(base: RulePack, over: RulePack) -> RulePack:
    """A pack with ``extends: X`` replaces X's questions by id and appends new ones."""
    by_id = {q.id: q for q in base.questions}
    order = [q.id for q in base.questions]
    for q in over.questions:
        if q.id not in by_id:
            order.append(q.id)
        by_id[q.id] = q
    guidance = dict(base.guidance)
    if over.guidance:
        guidance["questions"] = {**base.guidance.get("questions", {}), **over.guidance.get("questions", {})}
        if over.guidance.get("transitions"):
            guidance["transitions"] = over.guidance["transitions"]
    return replace(
        base,
        questions=tuple(by_id[i] for i in order),
        dimensions=over.dimensions or base.dimensions,
        path=f"{base.path} + {over.path}",
        guidance=guidance,
        origin=f"{base.origin} + {over.origin}",
    )


def _entry_point_paths(ep: Any) -> list[Path]:
    """An ``mlscan.rules`` entry point names a package (its directory, or its ``rules/`` subdirectory when
    it has one, holds the packs) or a callable returning a path or a list of paths."""
    from ..plugins import describe_entry_point

    who = describe_entry_point(ep)
    try:
        obj = ep.load()
        if callable(obj) and not isinstance(obj, type):
            got = obj()
            raw = [got] if isinstance(got, (str, Path)) else list(got)
        else:
            from importlib import resources

            base = Path(str(resources.files(obj)))
            raw = [base / "rules" if (base / "rules").is_dir() else base]
    except Exception as e:  # a broken plugin is a configuration problem, reported in one line
        raise RulePackError(f"entry point mlscan.rules {who}: cannot load: {e}") from None
    paths: list[Path] = []
    for r in raw:
        p = Path(r)
        if not p.exists():
            raise RulePackError(f"{p}:1:1: rule pack path from entry point {who} does not exist")
        paths += _yaml_files(p) if p.is_dir() else [p]
    return paths


def load_packs(extra_paths: Sequence[str] = (), *, validate_builtin: bool = False) -> dict[str, RulePack]:
    """Built-in packs, then entry-point packs (group ``mlscan.rules``), then ``--rules`` paths (files or
    directories). A later pack with the same framework name replaces an earlier one; ``extends`` merges."""
    from ..plugins import describe_entry_point, rule_pack_entry_points

    files: list[tuple[Path, bool, str]] = [(p, validate_builtin, "built-in") for p in builtin_pack_files()]
    for ep in sorted(rule_pack_entry_points(), key=lambda ep: ep.name):
        files += [(f, True, f"entry point {describe_entry_point(ep)}") for f in _entry_point_paths(ep)]
    for raw in extra_paths:
        p = Path(raw)
        if not p.exists():
            raise RulePackError(f"{raw}:1:1: rule pack path does not exist")
        found = _yaml_files(p) if p.is_dir() else [p]
        if p.is_dir() and not found:
            raise RulePackError(f"{raw}:1:1: no *.yaml rule packs in this directory")
        files += [(f, True, f"--rules {raw}") for f in found]
    packs: dict[str, RulePack] = {}
    for f, validate, origin in files:
        pack = load_pack_file(f, validate=validate, origin=origin)
        if pack is None:
            continue
        if pack.extends:
            if pack.extends not in packs:
                raise RulePackError(f"{f}:1:1: extends unknown framework {pack.extends!r}")
            merged = _merge(packs[pack.extends], pack)
            _check_references(replace(merged, extends=""), f.read_text("utf-8"), str(f))
            packs[pack.extends] = merged
        else:
            packs[pack.framework] = pack
    _check_external(packs)
    return packs


def external_refs(pack: RulePack) -> list[tuple[str, str]]:
    """(framework, question) of every ``{answer: Q, framework: F}`` condition in a pack."""
    out: list[tuple[str, str]] = []

    def walk(cond: Any) -> None:
        if not isinstance(cond, dict):
            return
        if "answer" in cond and cond.get("framework"):
            out.append((cond["framework"], cond["answer"]))
        for k in ("any", "all", "of"):
            for c in cond.get(k, []):
                walk(c)
        walk(cond.get("not"))

    for q in pack.questions:
        for c in (q.yes, q.partial, q.applies):
            walk(c)
    for d in pack.dimensions:
        for r in d.rungs:
            walk(r.when)
    return out


def _check_external(packs: dict[str, RulePack]) -> None:
    for pack in packs.values():
        where = pack.path.rsplit(" + ", 1)[-1]
        try:
            text = Path(where).read_text("utf-8")
        except OSError:
            text = ""
        for fw, qid in external_refs(pack):
            if fw not in packs:
                raise RulePackError(f"{where}:{_line_of(text, 'framework: ' + fw)}:1: condition refers to unknown framework {fw!r}")
            if packs[fw].question(qid) is None:
                raise RulePackError(f"{where}:{_line_of(text, 'answer: ' + qid)}:1: condition refers to unknown question {qid!r} of {fw}")
