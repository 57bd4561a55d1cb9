"""The file index: the only stage that reads files. One listing pass; lazy, cached, safe parses."""

from __future__ import annotations

import ast
import fnmatch
import os
import stat
import subprocess
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from .. import safegit
from ..cache.record import Recorder
from ..lazyre import lazy_re
from ..model import Warning_, clean_snippet
from ..target import LS_FILES_ARGS, Target, git
from ..valueclass import Value, setfield
from . import formats
from .globs import _Matcher, _name_and_path_regex, literal_pieces
from .lru import MISSING as _MISSING
from .lru import Lru
from .paths import (
    JUNK_DIRS,
    JUNK_SUFFIXES,
    ROOT_APPLICABLE,
    TEMPLATE_MANIFESTS,
    VENDOR_DIRS,
    _parent,
    _template_vpath,
    _vendored_roots,
    is_test_path,
)
from .templates import _render_template


def _removed(vpath: str, removed: tuple[str, ...]) -> bool:
    """Is a generated project's file one of ``removed`` or inside one of its directories?"""
    return any(vpath == r or vpath.startswith(r + "/") for r in removed)


def _renamed(vpath: str, renamed: dict[str, str]) -> str:
    """Where a generated project's file lands after the hook's renames of it or of a directory holding it."""
    for old, new in renamed.items():
        if vpath == old:
            return new
        if vpath.startswith(old + "/"):
            return new + vpath[len(old):]
    return vpath


MAX_FILE_BYTES = 1 << 20  # 1 MiB: larger files are listed but not parsed
HEAD_BYTES = 1 << 16  # 64 KiB: the head of a file read for its evidence (``head_lines``) when it is too large to parse
MAX_NOTEBOOK_BYTES = 16 << 20  # notebooks carry outputs; only code cells are kept
# Lines longer than this are cut to it before any parser or pattern sees them (JSON and notebooks, one linear parse
# each, keep theirs; a notebook's code cells are cut in formats.notebook_code): no legitimate config, requirement,
# Dockerfile or script line is that long, and a hostile one then costs every later step a bounded amount.
MAX_LINE_CHARS = formats.MAX_LINE_CHARS
_WHOLE_LINES = (".json", ".ipynb")
# Caches are bounded by the characters of source they stand for, least recently used out first: an
# ``ast`` tree takes ~35x its source in memory, so keeping every parse of a 100k-file repository
# would need gigabytes. Small repositories fit entirely and never re-read or re-parse.
TEXT_CACHE_CHARS = 2 << 20
PARSE_CACHE_CHARS = 512 << 10
# Detector passes walk the Python files in turn, and an LRU smaller than the set they walk never hits (ultralytics/yolov5,
# 731 K characters of Python, parsed its 52 files 125 times: 0.6 of its scan's parse time went to parsing again). So,
# as for YAML (below), the first Python and notebook trees parsed, up to PARSE_CACHE_CHARS of source, are kept for the
# whole scan of a repository of at most YAML_KEPT_MAX_FILES listed files, the others go through the parse cache; a
# parallel scan keeps none (FileIndex.share_caches).
# File facts (``fact``) are small JSON values, kept apart from parses so that a parse cache sized for trees does not
# evict them: a fact evicted with the trees had to be derived again, by parsing again. Weighted by the length of their
# text form (~10 bytes of memory a character): every fact of PrefectHQ/prefect (1,405 Python files) takes 0.8 M.
FACT_CACHE_CHARS = 2 << 20
# YAML documents take 6-7 bytes of memory a character of source (an ``ast`` tree ~30), and a dozen detector passes each
# read every YAML file in turn: an LRU smaller than the set they walk never hits (Azure/azureml-examples parsed its
# 1,090 YAML files 4,019 times, kubeflow/pipelines 714 files 1,777 times: a third of its CPU). So the first YAML files
# parsed, up to this many characters (~25 MiB of documents), are kept for the whole scan, and the passes find at least
# that share parsed; the others go through the parse cache. Not above YAML_KEPT_MAX_FILES listed files, where memory
# comes first (the 100k-file synthetic repository holds 15 MB of YAML).
YAML_KEPT_CHARS = 4 << 20
YAML_KEPT_MAX_FILES = 20_000
# contains() asks a file about one detector's needles at a time, and ~30 detector passes and CI parsers each ask every YAML
# file in turn: with only the last file's bytes at hand (``_last_raw``), kubeflow/pipelines read its YAML files ~40
# times each (29,500 reads of 1,968 files, 220 MB) and Azure/azureml-examples 46,200 reads of 2,740 files. So the bytes
# of the first files contains() or mentions() read, those of at most HAY_KEPT_FILE_BYTES each, are kept for the whole
# scan up to HAY_KEPT_BYTES (per process), as YAML documents are (not above YAML_KEPT_MAX_FILES listed files).
HAY_KEPT_BYTES = 8 << 20
HAY_KEPT_FILE_BYTES = 64 << 10
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
MAX_DERIVED = 100_000  # values derived() keeps (a CI-heavy repository asks ~18,000 command expansions)
# the files a scan's words phase splits (jobs.work_files counts them; a parallel scan's workers split them first): the
# ones detectors ask ``mentions`` about most
WORD_SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json")
MAX_MEMO_NEEDLES = 512  # distinct needles whose per-file answers contains() remembers
# mentions(): a file is split once into the words it shares with the scan's vocabulary. Words are runs
# of ASCII letters and digits (``log_metric`` -> ``log``, ``metric``).
_TOKEN_B = lazy_re(rb"[A-Za-z0-9]+")
_HUMP_HEADS = lazy_re(rb"(?=([A-Z][A-Za-z0-9]))")  # every capital with the letter or digit after it (overlapping)
_NON_WORD = bytes(c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32 for c in range(256))


def _words(data: bytes) -> set[bytes]:
    """The file's distinct words (translate + split: ~10 ms/MB, several times a regex)."""
    return set(data.translate(_NON_WORD).split())


# name -> function(index, path) of a file fact (FileIndex.fact): pure, JSON-valued, registered by the module defining it
FACT_BUILDERS: dict[str, Any] = {}
# name -> predicate(index, path) of the Python facts derived as soon as a Python file or notebook is parsed, while its tree is
# at hand: a fact asked for later (after the parse cache dropped the tree) then costs no second parse
EAGER_FACTS: dict[str, Any] = {}
# the same for facts of YAML files, derived as soon as a YAML file is loaded, from the documents at hand
EAGER_YAML_FACTS: dict[str, Any] = {}
# names of the facts read from a file's YAML (or JSON): their files' parse kind is not Python's (register_fact)
YAML_FACTS: set[str] = set()


def _fact_weight(value: Any) -> int:
    return 16 + len(str(value))


def register_fact(name: str, build: Any, eager: Any = None, kind: str = "python") -> str:
    """Register a file fact. ``eager`` (a predicate on the index and path, asking nothing a unit records; needs a ``build`` that only parses that file): derive
    it whenever the file's Python is parsed, for the paths it accepts. ``kind`` "yaml": a fact of a YAML (or JSON) file,
    derived eagerly as its YAML is loaded."""
    FACT_BUILDERS[name] = build
    if kind == "yaml":
        YAML_FACTS.add(name)
    if eager is not None:
        (EAGER_YAML_FACTS if kind == "yaml" else EAGER_FACTS)[name] = eager
    return name


def _notebook_kept(index: FileIndex, path: str) -> bool | list[int]:
    """The code cells a notebook's parse kept (``NotebookCode.kept``): True for every one as written, False when the
    notebook does not parse."""
    nb = index.notebook(path)
    return False if nb is None else True if nb.kept is None else list(nb.kept)


NOTEBOOK_KEPT = register_fact("notebook.kept", _notebook_kept, eager=lambda index, path: path.endswith(".ipynb"))


def _fact_level(name: str, path: str) -> str:
    """The parse kind a fact's file is read as: what reading it causes (warnings, skips) is recorded under it."""
    if name in YAML_FACTS:
        return "json" if path.endswith(".json") else "yaml"
    return "notebook" if path.endswith(".ipynb") else "python"


def _split_before(state: int | None, width: int) -> bool:
    """Must the file be split (again) to know the vocabulary's first ``width`` words? Not yet split, or split when
    the vocabulary was smaller (its marker bit sits at the vocabulary's size then); 0 (unreadable) never."""
    return state is None or (state != 0 and state.bit_length() <= width)






class FileEntry(Value, frozen=True):
    """A file in the scan's scope: its real and project-visible paths and how it applies."""
    path: str  # real path, relative to the repository root
    vpath: str  # path the project sees: equals path except for rendered template files
    scope: str  # "project" or "root" (a root file applying to a subdirectory project)
    template: bool
    test: bool  # test code or test data of the project (is_test_path, within the scanned subdirectory)

    _fields = ("path", "vpath", "scope", "template", "test")
    __slots__ = _fields

    def __init__(self, path: str, vpath: str, scope: str, template: bool = False, test: bool = False) -> None:
        setfield(self, "path", path)
        setfield(self, "vpath", vpath)
        setfield(self, "scope", scope)
        setfield(self, "template", template)
        setfield(self, "test", test)

    @property
    def name(self) -> str:
        return self.vpath.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        return name[name.rfind(".") :].lower() if "." in name else ""


class SortedPaths:
    """Every listed path (in scope or not), for membership tests: a sorted list searched by bisection, a fifth
    of a frozenset's memory for a 100k-file repository."""

    __slots__ = ("_paths",)

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths = sorted(paths)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        i = bisect_left(self._paths, path)
        return i < len(self._paths) and self._paths[i] == path

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __eq__(self, other: object) -> bool:
        return set(self._paths) == set(other) if isinstance(other, (set, frozenset, SortedPaths)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


class IndexMark(Value, frozen=True):
    """The size of an index's records at one moment (``FileIndex.mark``)."""
    warnings: int
    skipped: dict[str, int]
    read: int
    parsed: int
    tokens: int
    late_needles: frozenset[bytes]
    fx: int

    _fields = ("warnings", "skipped", "read", "parsed", "tokens", "late_needles", "fx")

    def __init__(
        self,
        warnings: int,
        skipped: dict[str, int],
        read: int,
        parsed: int,
        tokens: int,
        late_needles: frozenset[bytes],
        fx: int = 0,
    ) -> None:
        setfield(self, "warnings", warnings)
        setfield(self, "skipped", skipped)
        setfield(self, "read", read)
        setfield(self, "parsed", parsed)
        setfield(self, "tokens", tokens)
        setfield(self, "late_needles", late_needles)
        setfield(self, "fx", fx)


class IndexChanges(Value):
    """What an index recorded since a mark: warnings, skips, reads, parses and words."""
    warnings: list[Warning_]
    skipped: dict[str, list[str]]
    read: dict[str, int]
    parsed: list[str]
    late_needles: set[bytes]
    words: dict[str, int]
    vocabulary: int  # words are bits of a vocabulary of this size: merged only into an index with the same
    fx: dict[tuple[str, str], list[tuple[Any, ...]]]  # first failures (FileIndex._fx)

    _fields = ("warnings", "skipped", "read", "parsed", "late_needles", "words", "vocabulary", "fx")

    def __init__(
        self,
        warnings: list[Warning_],
        skipped: dict[str, list[str]],
        read: dict[str, int],
        parsed: list[str],
        late_needles: set[bytes],
        words: dict[str, int],
        vocabulary: int,
        fx: dict[tuple[str, str], list[tuple[Any, ...]]] | None = None,
    ) -> None:
        self.warnings = warnings
        self.skipped = skipped
        self.read = read
        self.parsed = parsed
        self.late_needles = late_needles
        self.words = words
        self.vocabulary = vocabulary
        self.fx = {} if fx is None else fx


class ScanStats(Value):
    """Counts of the files listed, read and parsed, and the paths skipped by reason."""
    listed: int
    read: int
    parsed: int
    skipped: dict[str, list[str]]
    _seen: set[tuple[str, str]]

    _fields = ("listed", "read", "parsed", "skipped", "_seen")

    def __init__(
        self,
        listed: int = 0,
        read: int = 0,
        parsed: int = 0,
        skipped: dict[str, list[str]] | None = None,
        _seen: set[tuple[str, str]] | None = None,
    ) -> None:
        self.listed = listed
        self.read = read
        self.parsed = parsed
        self.skipped = defaultdict(list) if skipped is None else skipped
        self._seen = set() if _seen is None else _seen

    def skip(self, reason: str, path: str) -> None:
        """Record a skipped file once per reason (a parallel scan's processes may meet it more than once)."""
        if (reason, path) not in self._seen:
            self._seen.add((reason, path))
            self.skipped[reason].append(path)


class FileIndex:
    """What the detectors see of a repository. Detectors ask; only this class touches the disk."""

    def __init__(
        self, target: Target, excludes: Iterable[str] = (), max_bytes: int = MAX_FILE_BYTES, listing: subprocess.Popen[bytes] | None = None
    ) -> None:
        """``listing``: the ``git ls-files`` of ``target`` already started (``target.start_listing``), else run here."""
        self.target = target
        self._listing = listing
        self.root = target.root
        self.max_bytes = max_bytes
        self.warnings: list[Warning_] = []
        self._warned: set[Warning_] = set()
        self.stats = ScanStats()
        self._excludes = _Matcher(excludes) if excludes else None
        self._root_str = str(target.root)
        self._root_slash = os.path.join(self._root_str, "")  # + a listed (relative) path: os.path.join's result, without its cost
        self._text = Lru(TEXT_CACHE_CHARS)
        self._no_text: set[str] = set()  # binary, unreadable or too large: asked once
        self._parsed = Lru(PARSE_CACHE_CHARS)
        # YAML documents kept for the scan (YAML_KEPT_CHARS), and the characters of source still to keep
        self._yaml_kept: dict[str, Any] = {}
        self._yaml_room = 0
        self._yaml_room_held = 0  # the room set aside while workers run (share_caches), given back after them
        # Python and notebook trees kept for the scan (PARSE_CACHE_CHARS of source), and the characters still to keep
        self._trees_kept: dict[tuple[str, str], Any] = {}
        self._tree_room = 0
        self._facts = Lru(FACT_CACHE_CHARS)
        self._facts_building: set[tuple[str, str]] = set()  # (path, fact) being derived: not derived again eagerly
        self._pinned: dict[tuple[str, str], Any] = {}  # trees held while their eager facts are derived
        # whether a parse derives the eager facts of its file (``register_fact``): off once the detectors are done, when
        # a file parsed again (a notebook whose cited line the evidence pass reads) would derive them for no one
        self.eager_facts = True
        # facts derived while a worker logs them (start_fact_log): [name, path, value, effects to store or None]
        self._fact_log: list[list[Any]] | None = None
        self._by_path: dict[str, FileEntry] | None = None
        self._parse_failed: set[tuple[str, str]] = set()  # warned once, never parsed again
        # (path, kind) -> times parsed in this process (a parse evicted and asked again counts again): the measure of
        # "each file is parsed once per scan" (tests, benchmarks)
        self.parse_counts: dict[tuple[str, str], int] = {}
        self._failed_read: dict[str, int] = {}  # path -> limit it failed at (-1: unreadable)
        self._last_raw: tuple[str, bytes] | None = None  # contains() -> text() hand-over
        self._hay_kept: dict[str, bytes] = {}  # bytes contains() read, kept for the scan (HAY_KEPT_BYTES)
        self._hay_room = 0
        # files read -> bytes (weights of derived data); insertion-ordered: a worker's additions are a tail (changes_since)
        self._read_paths: dict[str, int] = {}
        self._parsed_paths: dict[str, None] = {}
        # contains() memo: each needle gets a bit; per path (needles checked, needles found)
        self._needle_bits: dict[bytes, int] = {}
        self._needle_str: dict[bytes, str] = {}
        self._needle_masks: dict[tuple[bytes, ...], int] = {}
        self._needles_checked: dict[str, int] = {}
        self._needles_found: dict[str, int] = {}  # only paths where some needle was found
        self._select_cache: dict[tuple[str, ...], list[FileEntry]] = {}
        self._lookup: tuple[dict[str, int], array[int], dict[str, array[int]], str, tuple[str, ...]] | None = None
        self._lstat_ok: dict[str, bool] = {}
        # mentions() memo: each vocabulary token gets a bit; per path (tokens known then, tokens present)
        self._vocab: dict[bytes, int] = {}
        # capitalised vocabulary words, also found inside CamelCase words, by their first two characters (b"": one-letter words)
        self._humps: dict[bytes, list[tuple[bytes, int]]] = {}
        # needles -> (highest bit + 1, OR of one-word needles, masks of many-word needles); -1 width: always true
        self._mention_masks: dict[tuple[bytes, ...], tuple[int, int, tuple[int, ...]]] = {}
        self._mention_ids: dict[int, tuple[tuple[bytes, ...], tuple[int, int, tuple[int, ...]]]] = {}
        # needle tuples whose every word is in the vocabulary (may_mention): the vocabulary only grows, so a yes stays yes
        self._in_vocab: set[tuple[bytes, ...]] = set()
        self._needle_parts: dict[tuple[bytes, ...], tuple[tuple[bytes, ...], ...]] = {}  # _cannot_mention's words of each needle
        # path -> words found, as a bitmask with one extra bit at position len(vocabulary) when the file was
        # split (one int per file; 0: unreadable)
        self._tokens: dict[str, int] = {}
        self.late_needles: set[bytes] = set()
        self._memo: dict[str, Any] = {}
        self._derived: dict[tuple[Any, ...], tuple[Any, Recorder | None]] = {}  # derived()
        # What the current unit of work observes and does (mlscan.cache.record): None when nothing records. With
        # recording on, every scan-wide model built by ``memo`` gets its own recorder (``memo_nodes``).
        self._rec: Recorder | None = None
        self._recording = False
        self._memo_nodes: dict[str, Recorder] = {}
        # warnings and skips a file caused the first time it was read or parsed, by (path, level): what a later
        # unit that meets the remembered failure would have caused too
        self._fx: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        self.fact_store: Any = None  # mlscan.cache.facts.FactCache: file facts kept between scans
        # mlscan.cache.units.Units.restore_memo: a model kept between scans (memo with a codec), or _MISSING
        self.memo_store: Any = None
        # derives one file fact of many files at once (a parallel scan's workers: parallel.prefetch_facts), or None; set
        # while the scanning process builds its shared models alone, for a model that will ask a fact of many files
        self.fact_prefetcher: Any = None
        self._memo_codecs: dict[str, Any] = {}
        self._helm_dirs: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # chart directories (paths, vpaths)
        self._virtual: dict[str, bytes] = {}
        all_paths = self._list_paths()
        self.stats.listed = len(all_paths)
        self.all_paths = SortedPaths(all_paths)
        self.is_template_repo = any(
            p in self.all_paths or (target.subdir and f"{target.subdir}/{p}" in self.all_paths)
            for p in TEMPLATE_MANIFESTS
        )
        self._hook_removed, self._hook_renamed = self._template_hook_effects() if self.is_template_repo else ((), {})
        self.entries: list[FileEntry] = self._classify(all_paths)
        # files notebooks write with ``%%writefile`` (notebook_files): real path ``nb.ipynb#written/path`` -> bytes
        self._virtual = {} if self.is_template_repo else self._notebook_files()
        if self._virtual:
            self.all_paths = SortedPaths([*all_paths, *self._virtual])
        self.template_files = sum(1 for e in self.entries if e.template)
        self._yaml_room = YAML_KEPT_CHARS if len(self.entries) <= YAML_KEPT_MAX_FILES else 0
        self._tree_room = PARSE_CACHE_CHARS if len(self.entries) <= YAML_KEPT_MAX_FILES else 0
        self._hay_room = HAY_KEPT_BYTES if len(self.entries) <= YAML_KEPT_MAX_FILES else 0

    # ------------------------------------------------------------ listing
    def _list_paths(self) -> list[str]:
        if self.target.is_git:
            try:
                listing, self._listing = self._listing, None
                cp = safegit.finish(listing) if listing is not None else git(self.root, *LS_FILES_ARGS, check=False)
            except OSError:
                cp = None
            if cp is not None and cp.returncode == 0:
                seen: dict[str, None] = {}
                for raw in cp.stdout.split(b"\0"):
                    if raw:
                        seen[raw.decode("utf-8", "surrogateescape")] = None
                return list(seen)
            self.warn("git-failed", "git ls-files failed; walking the directory instead")
        return self._walk()

    def _walk(self) -> list[str]:
        """Directory walk for non-git targets: honours .gitignore files (common patterns), no symlinks."""
        out: list[str] = []
        ignore_stack: list[tuple[str, list[str]]] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir
            ignore_stack = [(d, pats) for d, pats in ignore_stack if rel_dir == d or rel_dir.startswith(d + "/") or d == ""]
            if ".gitignore" in filenames:
                try:
                    pats = [
                        ln.strip()
                        for ln in (Path(dirpath) / ".gitignore").read_text("utf-8", "replace").splitlines()
                        if ln.strip() and not ln.startswith("#") and not ln.startswith("!")
                    ]
                    ignore_stack.append((rel_dir, pats))
                except OSError:
                    pass

            def ignored(name: str, is_dir: bool, rel_dir: str = rel_dir, ignore_stack: list[tuple[str, list[str]]] = ignore_stack) -> bool:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                for base, pats in ignore_stack:
                    sub = rel[len(base) + 1 :] if base else rel
                    for pat in pats:
                        if pat.endswith("/"):
                            if not is_dir:
                                continue
                            pat = pat[:-1]
                        pat = pat.lstrip("/")
                        target = sub if "/" in pat else name
                        if fnmatch.fnmatchcase(target, pat):
                            return True
                return False

            dirnames[:] = [d for d in dirnames if d != ".git" and not ignored(d, True)]
            for f in filenames:
                if not ignored(f, False):
                    out.append(f"{rel_dir}/{f}" if rel_dir else f)
        return out

    def _classify(self, paths: list[str]) -> list[FileEntry]:
        sub = self.target.subdir
        root_applicable = _Matcher(ROOT_APPLICABLE)
        skipped = self.stats.skipped
        # a subdirectory the user targets is the project, even when it looks like an upstream copy
        vendored_roots = {r for r in _vendored_roots(paths) if not (sub and (sub == r or sub.startswith(r + "/")))}
        entries: list[FileEntry] = []
        for p in paths:
            parts = p.split("/")
            scope = "project"
            if sub and not (p.startswith(sub + "/")):
                if root_applicable(p, parts[-1]):
                    scope = "root"
                else:
                    continue  # sibling subprojects never leak in
            rel_parts = parts[len(sub.split("/")) :] if sub and scope == "project" else parts
            if any(part in VENDOR_DIRS or part.endswith(".egg-info") for part in rel_parts[:-1]):
                skipped["vendored"].append(p)
                continue
            if any(p.startswith(v + "/") for v in vendored_roots):
                skipped["vendored"].append(p)
                continue
            if any(part in JUNK_DIRS for part in rel_parts[:-1]) or parts[-1].endswith(JUNK_SUFFIXES):
                skipped["run-output-or-junk"].append(p)
                continue
            if self._excludes and self._excludes(p, parts[-1]):
                skipped["excluded"].append(p)
                continue
            is_template = p.endswith((".tmpl", ".jinja", ".jinja2", ".j2")) or "{{" in p or "{%" in p
            vpath = p
            if self.is_template_repo:
                # policy "rendered-defaults": the project is what the template generates; the
                # template's own machinery (hooks, schema, library/*.tmpl, its CI) is not the project
                if "{{" not in p and "{%" not in p:
                    skipped["template-source"].append(p)
                    continue
                vpath = _template_vpath(p)
                is_template = True
                if self._hook_removed and _removed(vpath, self._hook_removed):
                    skipped["template-removed"].append(p)  # the post-generation hook deletes it under the default options
                    continue
                if self._hook_renamed:
                    vpath = _renamed(vpath, self._hook_renamed)  # where the hook moves it (``tasks_uv.py`` -> ``tasks.py``)
            elif is_template:
                skipped["template"].append(p)
                continue
            inner = vpath[len(sub) + 1 :] if sub and scope == "project" and vpath.startswith(sub + "/") else vpath
            entries.append(FileEntry(p, vpath, scope, is_template, is_test_path(inner)))
        return entries

    def _notebook_files(self) -> dict[str, bytes]:
        """Adds an entry for each file a listed notebook writes with ``%%writefile`` where no listed file has its path
        (``notebook_files``); returns their contents by real path. The notebooks are read here without counting as read
        by a detector (their bytes, not their parse: most hold no ``%%writefile``)."""
        from .notebook_files import MAGIC, SEPARATOR, written_files

        sub = self.target.subdir
        out: dict[str, bytes] = {}
        notebooks = [e for e in self.entries if e.vpath.endswith(".ipynb")]
        if not notebooks:
            return out
        taken = {e.vpath for e in self.entries}
        for e in notebooks:
            if not self._safe(e.path):
                continue
            try:
                fd = os.open(self._root_slash + e.path, os.O_RDONLY | _NOFOLLOW)
                try:
                    data = os.read(fd, MAX_NOTEBOOK_BYTES + 1)
                finally:
                    os.close(fd)
            except OSError:
                continue
            if MAGIC not in data or len(data) > MAX_NOTEBOOK_BYTES:
                continue
            for vpath, body in written_files(data.decode("utf-8", "replace"), e.vpath).items():
                if vpath in taken or self._excludes and self._excludes(vpath, vpath.rsplit("/", 1)[-1]):
                    continue  # the repository's own file of that path, or a path the user excludes
                taken.add(vpath)
                path = f"{e.path}{SEPARATOR}{vpath}"
                out[path] = body.encode("utf-8")
                self._lstat_ok[path] = True
                inner = vpath[len(sub) + 1 :] if sub and vpath.startswith(sub + "/") else vpath
                self.entries.append(FileEntry(path, vpath, e.scope, False, is_test_path(inner)))
        return out

    def virtual_ids(self) -> dict[str, str]:
        """Content ids (Git's blob id of the bytes) of the files notebooks write, for the facts cache."""
        if not self._virtual:
            return {}  # (no hashlib import: OpenSSL's module costs a small scan 2-10 ms)
        import hashlib

        return {p: hashlib.sha1(b"blob %d\0" % len(d) + d, usedforsecurity=False).hexdigest() for p, d in self._virtual.items()}

    def _template_hook_effects(self) -> tuple[tuple[str, ...], dict[str, str]]:
        """Paths of the generated project a cookiecutter ``hooks/post_gen_project.py`` deletes, and those it renames
        (old -> new), under the defaults of ``cookiecutter.json`` (read, never run: ``template_hooks``)."""
        from .template_hooks import hook_effects

        sub = self.target.subdir
        for base in ([f"{sub}/"] if sub else []) + [""]:
            manifest, hook = f"{base}cookiecutter.json", f"{base}hooks/post_gen_project.py"
            if manifest in self.all_paths and hook in self.all_paths:
                m, h = self.raw(manifest), self.raw(hook)
                if m is None or h is None:
                    return (), {}
                return hook_effects(m.decode("utf-8", "replace"), h.decode("utf-8", "replace"))
        return (), {}

    # ------------------------------------------------------------ selection
    def select(self, patterns: Iterable[str], *, include_root: bool = True) -> list[FileEntry]:
        """Entries whose (virtual) path matches any glob, safe to read (no symlinks, regular files)."""
        patterns = tuple(patterns)
        if self._rec is not None:
            self._rec.selects.add((patterns, include_root))
        key = (*patterns, "+root" if include_root else "-root")
        hit = self._select_cache.get(key)
        if hit is not None:
            return hit
        positions = self._fast_positions(patterns)
        if positions is None:
            m = _Matcher(patterns)
            candidates: Iterable[FileEntry] = (e for e in self.entries if m(e.vpath, e.name))
        else:
            candidates = (self.entries[i] for i in positions)
        out = [e for e in candidates if (include_root or e.scope == "project") and self._safe(e.path)]
        self._select_cache[key] = out
        return out

    def _fast_positions(self, patterns: tuple[str, ...]) -> list[int] | None:
        """Entry positions for globs that need no scan (``**/name``, ``**/*.ext``, a literal path), in
        entry order; None when a pattern needs the regex matcher."""
        if self._lookup is None:
            # Compact for 100k files (lists of ints per name cost ~20 MB): the first entry of each name and of each
            # extension, then a chain through the entries with the same name (-1 ends it), extensions as arrays.
            first: dict[str, int] = {}
            last: dict[str, int] = {}  # while building only
            chain = array("i", [-1]) * len(self.entries)
            by_ext: dict[str, array[int]] = {}
            for i, e in enumerate(self.entries):
                name = e.name
                if first.setdefault(name, i) != i:
                    chain[last[name]] = i
                last[name] = i
                dot = name.rfind(".")
                if dot >= 0:
                    positions = by_ext.get(name[dot:])
                    if positions is None:
                        by_ext[name[dot:]] = positions = array("i")
                    positions.append(i)
            # the distinct names, one per line, for glob searches that touch no name object (a forked worker copies
            # every page whose objects it touches); the rare names holding a newline are set aside, tested one by one
            odd = tuple(n for n in first if "\n" in n)
            names = "\n".join(n for n in first if "\n" not in n) + "\n" if odd else "\n".join(first) + "\n"
            self._lookup = (first, chain, by_ext, names, odd)
        first, chain, by_ext, names, odd = self._lookup

        def named(name: str) -> Iterator[int]:
            at = first.get(name, -1)
            while at >= 0:
                yield at
                at = chain[at]

        found: set[int] = set()
        for p in patterns:
            body = p[3:] if p.startswith("**/") else None
            if body and not any(c in body for c in "*?[/"):
                found.update(named(body))
            elif body and body.startswith("*.") and not any(c in body[1:] for c in "*?[/") and body.count(".") == 1:
                found.update(by_ext.get(body[1:], ()))
            elif body and not any(c in body for c in "*?["):  # ``**/pkg/mod.py``: a literal path at any depth
                found.update(i for i in named(body.rsplit("/", 1)[-1])
                             if (vp := self.entries[i].vpath) == body or vp.endswith("/" + body))
            elif p and "*" not in p and "?" not in p:  # a literal path: the entries of its file name
                found.update(i for i in named(p.rsplit("/", 1)[-1]) if self.entries[i].vpath == p)
            elif "**" not in (last := p.rsplit("/", 1)[-1]) and last not in ("*", ""):
                # any other glob: its last component matches a file name (``*`` and ``?`` stay inside one component),
                # so only the entries of the distinct names that match it are tested against the whole glob
                name_rx, path_rx = _name_and_path_regex(p, last)
                for name in odd:
                    found.update(i for i in named(name) if path_rx.fullmatch(self.entries[i].vpath))
                pieces = literal_pieces(last)
                if pieces is not None and not all(piece in names for piece in pieces):
                    continue  # no name holds the glob's literal text
                for m in name_rx.finditer(names):
                    found.update(i for i in named(m.group()) if path_rx.fullmatch(self.entries[i].vpath))
            else:
                return None
        return sorted(found)

    def _real_dir(self, rel_dir: str) -> bool:
        """Is every component of this directory a real directory (no symlink on the way)? A tracked file's parent
        may be replaced by a symlink in the work tree; opening the file with O_NOFOLLOW would still follow it."""
        if not rel_dir:
            return True
        key = rel_dir + "/"
        ok = self._lstat_ok.get(key)
        if ok is None:
            parent = rel_dir.rsplit("/", 1)[0] if "/" in rel_dir else ""
            try:
                ok = self._real_dir(parent) and stat.S_ISDIR(os.lstat(os.path.join(self._root_str, rel_dir)).st_mode)
            except OSError:
                ok = False
            self._lstat_ok[key] = ok
        return ok

    def _safe(self, path: str) -> bool:
        ok = self._lstat_ok.get(path)
        if ok is None:
            try:
                st = os.lstat(os.path.join(self._root_str, path))
                if not self._real_dir(path.rsplit("/", 1)[0] if "/" in path else ""):
                    ok = False
                    self._skip("symlink", path, "safe")
                elif stat.S_ISLNK(st.st_mode):
                    ok = False
                    self._skip("symlink", path, "safe")
                elif not stat.S_ISREG(st.st_mode):
                    ok = False
                    self._skip("not-a-file", path, "safe")
                else:
                    ok = True
            except OSError:
                ok = False
                self._skip("missing", path, "safe")
            self._lstat_ok[path] = ok
        return ok

    def entry(self, path: str) -> FileEntry | None:
        """The entry of a listed, in-scope file by its real path (a file fact's builder is given the path)."""
        if self._by_path is None:
            self._by_path = {e.path: e for e in self.entries}
        return self._by_path.get(path)

    def exists(self, vpath: str) -> bool:
        return any(e.vpath == vpath for e in self.select((vpath,)))

    def memo(self, key: str, build: Any, codec: tuple[Any, Any] | None = None) -> Any:
        """Derived data shared by detectors (the CI model, the wiring graph), built once per scan. While recording,
        the build is a unit of its own and whoever asks observes it (mlscan.cache.record). With ``codec`` (encode to
        JSON, decode back) the facts cache keeps the value: a later scan in which nothing the build observed changed
        decodes it instead of building it."""
        outer = self._rec
        if key not in self._memo:
            if not self._recording:
                self._memo[key] = build()
                return self._memo[key]
            if codec is not None and self.memo_store is not None:
                restored = self.memo_store(key, codec[1])
                if restored is not _MISSING:
                    self._memo[key] = restored
                    if outer is not None:
                        outer.memos.add(key)
                    return restored
            node = self._rec = Recorder()
            try:
                value = build()
            except BaseException:
                if outer is not None:
                    outer.merge(node)  # what it observed before failing, as if the asker had done it
                raise
            finally:
                self._rec = outer
            self._memo[key] = value
            self._memo_nodes[key] = node
            if codec is not None:
                self._memo_codecs[key] = codec[0]
        if outer is not None:
            outer.memos.add(key)
        return self._memo[key]

    def fact(self, path: str, name: str) -> Any:
        """A JSON value that the fact builder registered as ``name`` (``register_fact``) derives from this one file's
        content alone (kept in the facts cache of the index, apart from parses). While recording, the unit observes the value, not the content: an
        edit that leaves the fact as it was does not invalidate it."""
        build = FACT_BUILDERS[name]
        rec, self._rec = self._rec, None
        try:
            k = (path, name)
            value = self._facts.get(k)
            if value is _MISSING:
                self._facts_building.add(k)
                try:
                    value = self._build_fact(path, name, build)
                finally:
                    self._facts_building.discard(k)
                self._facts.put(k, value, _fact_weight(value))
        finally:
            self._rec = rec
        if rec is not None:
            rec.answers[(path, "f", name)] = value
            self._touch(path, _fact_level(name, path), parsed=path in self._parsed_paths, content=False)
        return value

    def fact_at_hand(self, path: str, name: str) -> bool:
        """Can ``fact`` answer without deriving the fact: known in this process, or kept by the facts cache (taken from
        it now)? A parallel scan asks before having its workers derive facts the scanning process will need."""
        if self._facts.get((path, name)) is not _MISSING:
            return True
        store = self.fact_store
        if store is None or store.get(self._fact_key(name, path), path) is None:
            return False
        self.fact(path, name)
        return True

    def _fact_key(self, name: str, path: str) -> str:
        level = _fact_level(name, path)
        return f"{name}|{level}|{'tmpl' if self._is_tmpl(path) else 'plain'}"

    def _build_fact(self, path: str, name: str, build: Any) -> Any:
        """The fact from the facts cache (``fact_store``: what deriving it did to the index is replayed), else built
        (and stored when deriving it touched nothing but this file). While a log is kept (``start_fact_log``) the fact
        is logged with what to store."""
        value, stored = self._derive_fact(path, name, build)
        if self._fact_log is not None:
            self._fact_log.append([name, path, value, stored])
        return value

    def _derive_fact(self, path: str, name: str, build: Any) -> tuple[Any, list[list[Any]] | None]:
        """(value, effects to store with it: None when it is not to be stored)."""
        store = self.fact_store
        if store is None:
            return build(self, path), None
        level = _fact_level(name, path)
        key = self._fact_key(name, path)
        got = store.get(key, path)
        if got is not None:
            value, effects = got
            for e in effects:
                if e[0] == "w":
                    self._fail_warn(e[1], e[2], path, level)
                elif e[0] == "s":
                    self._skip(e[1], path, level)
                elif e[0] == "r":
                    self.mark_read(path, e[1])
                else:
                    self.mark_parsed(path)
            return value, None
        node = self._rec = Recorder()
        try:
            value = build(self, path)
        finally:
            self._rec = None
        stored: list[list[Any]] = []
        for e in sorted(node.effects, key=repr):
            if e[0] == "w" and e[3] == path:
                stored.append(["w", e[1], e[2]])
            elif e[0] == "s" and e[2] == path:
                stored.append(["s", e[1]])
            elif e[0] == "r" and e[1] == path:
                stored.append(["r", e[2]])
            elif e[0] == "p" and e[1] == path:
                stored.append(["p"])
            else:
                return value, None  # it touched another file: not a fact of this one alone
        # what it asked of the same file (another fact, its words, a substring) depends on this file alone too
        if node.content - {path} or node.memos or any(k[0] != path for k in node.answers):
            return value, None
        store.put(key, path, value, stored)
        return value, stored

    def prefetch_facts(self, name: str, paths: list[str]) -> None:
        """Derive the file fact ``name`` of these files (not at hand yet), in a parallel scan's workers when ``fact_prefetcher``
        is set (their facts adopted here, as the words phase's are); otherwise nothing is done: each is derived when asked."""
        if self.fact_prefetcher is not None:
            self.fact_prefetcher(name, paths)

    def start_fact_log(self) -> None:
        """Log every file fact derived from now on (a worker process sends them to the scanning process: adopt_facts)."""
        self._fact_log = []

    def take_fact_log(self) -> list[list[Any]]:
        """The facts logged since start_fact_log; logging stops."""
        log, self._fact_log = self._fact_log or [], None
        return log

    def adopt_facts(self, log: list[list[Any]]) -> None:
        """Keep the file facts a worker derived (take_fact_log) as if derived here: asked later, they cost no parse; with
        the facts cache, those a worker would have stored are stored. What deriving them read, parsed and warned comes
        with the worker's index changes (absorb)."""
        by_path = self._by_path if self._by_path is not None else {e.path: e for e in self.entries}
        self._by_path = by_path
        store = self.fact_store
        for name, path, value, stored in log:
            e = by_path.get(path)
            path = path if e is None else e.path  # this index's own string, not the worker's copy
            k = (path, name)
            if self._facts.get(k) is _MISSING:
                self._facts.put(k, value, _fact_weight(value))
            if stored is not None and store is not None:
                store.put(self._fact_key(name, path), path, value, stored)

    def memo_value(self, key: str) -> Any:
        """The JSON form of a model built in this scan with a codec (None: none, or it cannot be encoded)."""
        encode = self._memo_codecs.get(key)
        if encode is None or key not in self._memo:
            return None
        try:
            return encode(self._memo[key])
        except (TypeError, ValueError):
            return None

    def memo_nodes(self) -> dict[str, Recorder]:
        """The recorders of the models built (or adopted from a worker) in this scan."""
        return self._memo_nodes

    def adopt_memo_node(self, key: str, node: Recorder) -> None:
        self._memo_nodes.setdefault(key, node)

    def recording(self, on: bool) -> None:
        """Record units from now on (the facts cache is in use)."""
        self._recording = on

    def record_into(self, rec: Recorder | None) -> Recorder | None:
        """Make ``rec`` the recorder of the unit that runs now; returns the previous one."""
        prev, self._rec = self._rec, rec
        return prev

    def file_memo(self, key: str, path: str, build: Any) -> Any:
        """Like ``memo`` for data derived from one file (its calls, aliases, imports): kept in the
        bounded parse cache (weighted by the file's size) instead of for the whole scan, so a
        100k-file repository does not hold every file's derivation. ``build`` must be pure: it may
        run again after eviction."""
        k = (path, "memo:" + key)
        hit = self._parsed.get(k)
        if hit is not _MISSING:
            return self._replayed(hit)
        built = self._recorded(build)
        self._parsed.put(k, built, max(self._read_paths.get(path, 0), 64))
        return built[0]

    def derived(self, key: tuple[Any, ...], build: Any) -> Any:
        """Like ``file_memo`` for a small value derived from files by a pure ``build`` that many callers ask with the same
        arguments (``key``), kept for the scan (up to MAX_DERIVED values): a CI command's expansion is asked once per
        job that runs it and once per caller that expands commands. While recording, whoever asks observes what
        building it observed."""
        hit = self._derived.get(key)
        if hit is not None:
            return self._replayed(hit)
        built = self._recorded(build)
        if len(self._derived) < MAX_DERIVED:
            self._derived[key] = built
        return built[0]

    def _recorded(self, build: Any) -> tuple[Any, Recorder | None]:
        """``build()``, and (while recording) what building it observed and did, merged into the current unit too."""
        outer = self._rec
        node = self._rec = Recorder() if self._recording else None
        try:
            value = build()
        finally:
            self._rec = outer
        if outer is not None and node is not None:
            outer.merge(node)
        return value, node

    def _replayed(self, hit: tuple[Any, Recorder | None]) -> Any:
        """A kept ``_recorded`` value; the current unit observes what building it observed, as if built again."""
        if self._rec is not None and hit[1] is not None:
            self._rec.merge(hit[1])
        return hit[0]

    # ------------------------------------------------------------ reading
    def warn(self, code: str, message: str, path: str | None = None) -> None:
        """Record a problem once (the same warning again, from another detector or process, adds nothing)."""
        w = Warning_(code, message, path)
        if self._rec is not None:
            self._rec.effects.add(("w", code, message, path))
        if w not in self._warned:
            self._warned.add(w)
            self.warnings.append(w)

    def drop_set_aside(self) -> None:
        """Forget the one text and the one parse too large for their caches, kept aside until another such value comes
        (lru.Lru): a parallel scan's process calls it between tasks, whose files are their own (a worker kept the last
        big notebook's tree and the 8 MB line of a minified file through every later task)."""
        self._text.big = None
        self._parsed.big = None

    def share_caches(self, processes: int) -> None:
        """Empty the text and parse caches and size them for ``processes`` processes working at once (before
        forking workers; with 1 after them). A parallel scan is a large repository's, where the shared Python
        pass parses each file once for all visitors and caches rarely hit: on the 100k-file synthetic repository,
        parse budgets from 512K down to 32K characters per process changed CPU time by under 1 % and saved ~20 MB
        of peak memory (docs/benchmarks.md); small repositories keep the full budgets and never re-parse."""
        parallel = processes > 1
        self._text = Lru(TEXT_CACHE_CHARS // (2 * processes) if parallel else TEXT_CACHE_CHARS)
        self._parsed = Lru(PARSE_CACHE_CHARS // (8 * processes) if parallel else PARSE_CACHE_CHARS)
        # file facts are kept (the most recently used first) in a share of their budget: each process derives the facts
        # of the files it parses; at full budget in every process they held ~16 MiB each on the 100k-file repository
        self._facts = self._facts.resized(FACT_CACHE_CHARS // processes)
        # the kept YAML documents stay: the workers inherit what the CI model and the wiring graph parsed; no process
        # keeps more while workers run (each worker's own kept documents, on top of the inherited ones it touches and
        # so copies, took azureml-examples' summed PSS from 167 to 280 MiB). The room comes back once they are done:
        # the CI model and the wiring graph are built after the words phase's workers (without it, none of their YAML
        # was kept, and the detector passes parsed Azure/azureml-examples' workflows five times more)
        # kept Python trees go with the parse cache; a parallel scan keeps none from then on: the workers parse their own
        # files, and a kept tree the scanning process touched would be copied
        self._trees_kept = {}
        if parallel:
            self._yaml_room_held += self._yaml_room
            self._yaml_room = 0
            self._tree_room = 0
        else:
            self._yaml_room += self._yaml_room_held
            self._yaml_room_held = 0
        self._last_raw = None

    def keep_yaml_here(self) -> None:
        """The scanning process, its workers forked (share_caches held the room back before): it keeps YAML documents
        again, up to the room left, while the workers keep none. Its detector passes read every YAML file in turn, each
        a pass of its own, and the parse cache's share holds a few of them: Azure/azureml-examples' scanning process
        parsed YAML 653 times in its detector passes (1,120 files, 1.9 M characters, all within the room). Only this
        process's memory grows (the workers were forked before), by at most the room."""
        self._yaml_room += self._yaml_room_held
        self._yaml_room_held = 0

    def release(self) -> None:
        """Let go of what the scan kept (texts, trees, YAML documents, facts, shared models): the scan is done and reported.
        The models refer back to the index (the wiring graph's ``index``, closures of their builders), so without this
        the index and all it holds were cyclic garbage, left to the collector's next pass over everything the scan made
        (Azure/azureml-examples: ~0.4 s of CPU after the scan); emptied here, they are freed as they are dropped."""
        self._memo.clear()
        self._memo_nodes.clear()
        self._derived.clear()
        self._text = Lru(TEXT_CACHE_CHARS)
        self._parsed = Lru(PARSE_CACHE_CHARS)
        self._facts = Lru(FACT_CACHE_CHARS)
        self._yaml_kept.clear()
        self._trees_kept.clear()
        self._hay_kept.clear()
        self._pinned.clear()
        self._last_raw = None
        self.fact_store = self.memo_store = self.fact_prefetcher = None

    def mark(self) -> IndexMark:
        """Where the index's records stand now (before a worker process starts its tasks)."""
        return IndexMark(len(self.warnings), {r: len(p) for r, p in self.stats.skipped.items()}, len(self._read_paths),
                         len(self._parsed_paths), len(self._tokens), frozenset(self.late_needles), len(self._fx))

    def changes_since(self, mark: IndexMark, words: bool = False) -> IndexChanges:
        """What this process recorded after ``mark``: warnings, skipped files, files read and parsed, late
        needles (and, with ``words``, the files split into words) — sent back by a worker process."""
        return IndexChanges(
            self.warnings[mark.warnings:],
            {r: p[mark.skipped.get(r, 0):] for r, p in self.stats.skipped.items() if len(p) > mark.skipped.get(r, 0)},
            dict(islice(self._read_paths.items(), mark.read, None)),
            list(islice(self._parsed_paths, mark.parsed, None)),
            self.late_needles - mark.late_needles,
            dict(islice(self._tokens.items(), mark.tokens, None)) if words else {},
            len(self._vocab),
            dict(islice(self._fx.items(), mark.fx, None)),
        )

    def absorb(self, changes: IndexChanges) -> None:
        """Merge a worker's changes; what this process already has (the same warning, a file already
        counted) is kept once."""
        rec, self._rec = self._rec, None  # a worker's records are no observation of the unit running here
        try:
            for w in changes.warnings:
                self.warn(w.code, w.message, w.path)
        finally:
            self._rec = rec
        for k, effects in changes.fx.items():
            self._fx.setdefault(k, effects)
        for reason, paths in changes.skipped.items():
            for p in paths:
                self.stats.skip(reason, p)
        # a worker's paths are new copies of the listed ones (unpickled): this index keeps its own (a 100k-file
        # repository's words phase sends back 62,500 paths, ~6 MiB of strings)
        by_path = self._by_path if self._by_path is not None else {e.path: e for e in self.entries}
        self._by_path = by_path
        for p, size in changes.read.items():
            e = by_path.get(p)
            self._read_paths.setdefault(p if e is None else e.path, size)
        for p in changes.parsed:
            e = by_path.get(p)
            self._parsed_paths.setdefault(p if e is None else e.path)
        self.stats.read, self.stats.parsed = len(self._read_paths), len(self._parsed_paths)
        self.late_needles |= changes.late_needles
        if changes.vocabulary == len(self._vocab):
            for p, found in changes.words.items():
                e = by_path.get(p)
                self._tokens.setdefault(p if e is None else e.path, found)

    # ------------------------------------------------------------ recording (mlscan.cache)
    def _skip(self, reason: str, path: str, level: str) -> None:
        """A skipped file, remembered as what reading ``path`` at ``level`` causes."""
        self.stats.skip(reason, path)
        self._fx.setdefault((path, level), []).append(("s", reason, path))
        if self._rec is not None:
            self._rec.effects.add(("s", reason, path))

    def _fail_warn(self, code: str, message: str, path: str, level: str) -> None:
        self.warn(code, message, path)
        self._fx.setdefault((path, level), []).append(("w", code, message, path))

    def _touch(self, path: str, level: str, parsed: bool = False, content: bool = True) -> None:
        """The current unit read ``path`` (at ``level``: raw, text or a parse kind): its content is an input (unless
        ``content`` is False: a pre-check whose answer is recorded instead); what reading it causes is an effect."""
        rec = self._rec
        if rec is None:
            return
        if content:
            rec.content.add(path)
        eff = rec.effects
        size = self._read_paths.get(path)
        if size is not None:
            eff.add(("r", path, size))
        if parsed or (not content and level == "notebook" and path in self._parsed_paths):  # a notebook is split by its parse
            eff.add(("p", path))
        fx = self._fx
        if fx:
            for lv in ("safe", "raw", "text", level):
                for e in fx.get((path, lv), ()):
                    eff.add(e)

    def mark_read(self, path: str, size: int) -> None:
        """Count a file as read (a reused unit read it)."""
        if path not in self._read_paths:
            self._read_paths[path] = size
            self.stats.read = len(self._read_paths)

    def mark_parsed(self, path: str) -> None:
        if path not in self._parsed_paths:
            self._parsed_paths[path] = None
            self.stats.parsed = len(self._parsed_paths)

    def raw(self, path: str, limit: int | None = None) -> bytes | None:
        """Bytes of a file, or None (too large, unreadable, symlink). Never follows links."""
        limit = limit or self.max_bytes
        virtual = self._virtual.get(path) if self._virtual else None
        if virtual is not None and len(virtual) > limit:
            if path not in self._failed_read:
                self._failed_read[path] = limit
                self._skip("too-large", path, "raw")
            return None
        if virtual is not None:
            if path not in self._read_paths:
                self._read_paths[path] = len(virtual)
                self.stats.read = len(self._read_paths)
            if self._rec is not None:
                self._touch(path, "raw")
            return virtual
        if not self._safe(path):
            if self._rec is not None:
                self._touch(path, "raw")
            return None
        failed = self._failed_read.get(path)
        if failed is not None and (failed < 0 or limit <= failed):
            if self._rec is not None:
                self._touch(path, "raw")
            return None  # reported once already
        try:
            fd = os.open(self._root_slash + path, os.O_RDONLY | _NOFOLLOW)
            try:
                size = os.fstat(fd).st_size
                data = b"" if size > limit else os.read(fd, size + 1)
                while size <= limit and len(data) <= limit and len(data) < size:  # short read
                    more = os.read(fd, size + 1 - len(data))
                    if not more:
                        break
                    data += more
            finally:
                os.close(fd)
        except OSError as e:
            self._failed_read[path] = -1
            self._skip("unreadable", path, "raw")
            self._fail_warn("unreadable", f"cannot read: {e.strerror or e}", path, "raw")
            return None
        if size > limit or len(data) > limit:
            self._failed_read[path] = limit
            self._skip("too-large", path, "raw")
            self._fail_warn("too-large", f"larger than {limit // 1024} KiB; listed, not parsed", path, "raw")
            return None
        if path not in self._read_paths:
            self._read_paths[path] = len(data)
            self.stats.read = len(self._read_paths)
        if self._rec is not None:
            self._touch(path, "raw")
        return data

    def head_lines(self, path: str, limit: int = HEAD_BYTES) -> list[str]:
        """The complete lines of a file's first ``limit`` bytes, whatever its size (a lock file too large to parse still
        shows a pinned package as its evidence); [] when unreadable, binary or a link. Never follows links, never cached."""
        if self._rec is not None:
            self._touch(path, "raw")
        if not self._safe(path):
            return []
        try:
            fd = os.open(self._root_slash + path, os.O_RDONLY | _NOFOLLOW)
            try:
                data = os.read(fd, limit)
            finally:
                os.close(fd)
        except OSError:
            return []
        if b"\0" in data[:8192]:
            return []
        if len(data) >= limit:
            data = data[: data.rfind(b"\n") + 1]  # the last line may be cut
        return data.decode("utf-8", "replace").splitlines()

    def text(self, path: str, keep: bool = True) -> str | None:
        """The file as text (None: unreadable, binary, too large); ``keep=False`` leaves it out of the cache
        (a notebook's JSON, megabytes of outputs, is wanted once: for its code cells)."""
        if self._rec is not None:
            rec, self._rec = self._rec, None
            try:
                return self.text(path, keep)
            finally:
                self._rec = rec
                self._touch(path, "text")
        txt = self._text.get(path)
        if txt is not _MISSING:
            return txt  # type: ignore[no-any-return]
        if path in self._no_text:
            return None
        last = self._last_raw
        if last is not None and last[0] == path:
            data: bytes | None = last[1]
            self._last_raw = None
        else:
            data = self._hay_kept.get(path)
            if data is None:
                data = self.raw(path, MAX_NOTEBOOK_BYTES if path.endswith(".ipynb") else self.max_bytes)
        txt = None
        if data is not None:
            if b"\0" in data[:8192]:
                self._skip("binary", path, "text")
            else:
                try:
                    txt = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    txt = data.decode("utf-8", "replace")
                    self._fail_warn("not-utf8", "not valid UTF-8; undecodable bytes replaced", path, "text")
        if txt is None:
            self._no_text.add(path)
            return None
        if len(txt) > MAX_LINE_CHARS and not path.endswith(_WHOLE_LINES):
            txt, cut = formats.cap_lines(txt)
            if cut:
                self._fail_warn("long-line", f"{cut:,} line(s) longer than {MAX_LINE_CHARS:,} characters; read up to that length", path,
                                "text")
        if keep:
            self._text.put(path, txt, len(txt))
        return txt

    def contains(self, path: str, needles: tuple[bytes, ...]) -> bool:
        """Cheap byte check before parsing: does the file mention any needle (case-sensitive)? (``_contains``)"""
        if self._rec is None:
            return self._contains(path, needles)
        rec, self._rec = self._rec, None
        try:
            found = self._contains(path, needles)
        finally:
            self._rec = rec
        rec.answers[(path, "c", needles)] = found
        self._touch(path, "text", content=False)
        return found

    def _contains(self, path: str, needles: tuple[bytes, ...]) -> bool:
        """Cheap byte check before parsing: does the file mention any needle (case-sensitive)?
        Answers are remembered per needle, so asking again (any detector, any loop) reads nothing."""
        mask = self._needle_masks.get(needles)
        if mask is None:
            mask = self._register_needles(needles)
        checked = self._needles_checked.get(path, 0)
        found = self._needles_found.get(path, 0)
        if found & mask:
            return True
        if mask and not mask & ~checked:
            return False
        hay = self._haystack(path)
        if hay is None:
            self._needles_checked[path] = -1  # unreadable: every needle is absent
            return False
        if not mask:  # needles beyond the memo's capacity: plain check
            return any((n in hay) if isinstance(hay, bytes) else (n.decode("utf-8", "replace") in hay) for n in needles)
        for n in needles:
            bit = self._needle_bits[n]
            if checked & bit:
                continue
            checked |= bit
            if (n in hay) if isinstance(hay, bytes) else (self._needle_str[n] in hay):
                found |= bit
                break
        self._needles_checked[path] = checked
        if found:
            self._needles_found[path] = found
        return bool(found & mask)

    def register_vocabulary(self, needles: Iterable[bytes]) -> None:
        """Declare, before the detectors run, the needles they will ask ``mentions`` about: each file
        is then tokenised once for all of them. Needles declared late still work (the file is
        tokenised again)."""
        for n in needles:
            for part in _TOKEN_B.findall(n):
                if part not in self._vocab:
                    self._vocab[part] = bit = 1 << len(self._vocab)
                    if part[:1].isupper():
                        self._humps.setdefault(part[:2] if len(part) > 1 else b"", []).append((part, bit))

    def may_mention(self, path: str, needles: tuple[bytes, ...]) -> bool:
        """``mentions`` when the vocabulary holds every word of the needles, else True (asking would make them late
        needles): for eager file facts (``register_fact``), which may be derived when unsure."""
        if needles not in self._in_vocab:  # asked ~25 times per file parsed (the eager facts' predicates): split once
            vocab = self._vocab
            if not all(part in vocab for n in needles for part in _TOKEN_B.findall(n)):
                return True
            if len(self._in_vocab) < 4096:
                self._in_vocab.add(needles)
        return self.mentions(path, needles)

    def mentions(self, path: str, needles: tuple[bytes, ...]) -> bool:
        """Word-level pre-filter (``_mentions``); while recording, the answer is what the unit observed."""
        if self._rec is None:
            return self._mentions(path, needles)
        rec, self._rec = self._rec, None
        try:
            found = self._mentions(path, needles)
        finally:
            self._rec = rec
        rec.answers[(path, "m", needles)] = found
        self._touch(path, "notebook" if path.endswith(".ipynb") else "text", content=False)
        return found

    def _mentions(self, path: str, needles: tuple[bytes, ...]) -> bool:
        """Word-level pre-filter: do all word segments of some needle occur as words of the file
        (``b"mlflow.log_metric"``: ``mlflow``, ``log`` and ``metric``)? Words are runs of letters and
        digits, so ``b"drift"`` matches ``data_drift`` but not ``drifted``; a capitalised needle word
        also matches inside a longer word (``b"Logger"`` in ``TensorBoardLogger``). It only selects
        files for a parse; answers for every vocabulary word come from one read of the file."""
        by_id = self._mention_ids.get(id(needles))  # needles are mostly module constants: skip hashing the tuple
        if by_id is not None and by_id[0] is needles:
            width, single, multi = by_id[1]
        else:
            width, single, multi = self._mention_entry(needles)
        if width < 0:
            return True
        # The file's words as one int: bit i for vocabulary word i, plus a marker bit at the vocabulary's size when
        # it was split (0: unreadable). The needle bits all lie below the marker, so it needs no masking off.
        # (``_split_before``, inlined: this runs millions of times on a large repository)
        state = self._tokens.get(path)
        if state is None or (state and state.bit_length() <= width):
            if (state or state is None and not path.endswith(WORD_SUFFIXES)) and self._cannot_mention(path, needles, state is None):
                return False  # none of the needles can be among the file's words: no split (a second one, or of a file
                # the words phase does not split)
            state = self._split_words(path)
        if state & single:
            return True
        for m in multi:
            if state & m == m:
                return True
        return False

    def _cannot_mention(self, path: str, needles: tuple[bytes, ...], read: bool) -> bool:
        """Can this file be known not to mention any of the needles without splitting it into words? Yes when, for each
        needle, one of its words is not even a substring of the bytes (text) a split would read (a word of the file, or
        the capitalised part of one that ``_split_words`` finds, is a substring of them). With ``read`` they are read as
        a split reads them (``_haystack``: the same reads, kept as it keeps them; a file it does not keep is split at
        once, so that no later needle reads it again: speedG's lesson, 8,775 reads of feast-dev/feast's name search), else
        only taken when at hand.
        Notebooks are split from their code cells, not their bytes: never.

        Asked of a file split before some of the needles' words joined the vocabulary: needles made of a repository's own
        names (a helper's functions, a class asked for its constructions) join it late, and each such question split
        every file it asked about again (feast-dev/feast: 1,337 second splits, Azure/azureml-examples 1,555). And of a
        file the words phase does not split (not of WORD_SUFFIXES), asked about a few needles: kubeflow/pipelines' CI
        model split 372 TypeScript and JavaScript files in the scanning process to find none naming ``aws-cdk``."""
        if path.endswith(".ipynb"):
            return False
        if read:
            hay: Any = self._haystack(path)
            if hay is not None and path not in self._hay_kept and self._text.get(path) is _MISSING:
                return False  # not kept: split it now, from the bytes at hand, rather than read it again for the next needle
        else:
            hay = self._text.get(path)
            if hay is _MISSING or hay is None:
                last = self._last_raw
                hay = last[1] if last is not None and last[0] == path else self._hay_kept.get(path)
        if hay is None:
            return False  # not at hand (splitting reads it anyway), or unreadable (the split says so)
        parts = self._needle_parts.get(needles)
        if parts is None:
            parts = tuple(tuple(_TOKEN_B.findall(n)) for n in needles)
            if len(self._needle_parts) < 4096:
                self._needle_parts[needles] = parts
        if isinstance(hay, str):
            return not any(all(p.decode("ascii") in hay for p in ps) for ps in parts)
        return not any(all(p in hay for p in ps) for ps in parts)

    def _mention_entry(self, needles: tuple[bytes, ...]) -> tuple[int, int, tuple[int, ...]]:
        """(width, single-word needle bits, multi-word needle masks) of a needle tuple, registered on first use."""
        entry = self._mention_masks.get(needles)
        if entry is None:
            if self._tokens and any(p not in self._vocab for n in needles for p in _TOKEN_B.findall(n)):
                self.late_needles.update(needles)  # files already split must be read again (docs/benchmarks.md)
            self.register_vocabulary(needles)
            masks = []
            for n in needles:
                m = 0
                for p in _TOKEN_B.findall(n):
                    m |= self._vocab[p]
                masks.append(m)
            if not all(masks):  # a needle without letters or digits: no word pre-filter
                entry = (-1, 0, ())
            else:
                single = 0
                for m in masks:
                    if m & (m - 1) == 0:
                        single |= m
                entry = (max(masks).bit_length(), single, tuple(m for m in masks if m & (m - 1)))
            self._mention_masks[needles] = entry
        if len(self._mention_ids) < 4096:
            self._mention_ids[id(needles)] = (needles, entry)  # holds the tuple: its id cannot be reused
        return entry

    def _split_words(self, path: str) -> int:
        """Split the file into words once and keep the vocabulary words it has (one int per file)."""
        if path.endswith(".ipynb"):  # code cells only: outputs hold megabytes of base64, not code
            nb = self.notebook(path)
            state = self._tokens.get(path)
            if state is not None and not _split_before(state, len(self._vocab)):
                # split while it was parsed: the eager facts' predicates asked mentions() of it (Azure/azureml-examples:
                # 397 notebooks split twice); the vocabulary has not grown since
                return state & ~(1 << len(self._vocab))
            hay: str | bytes | None = nb.source if nb is not None else None
        else:
            hay = self._haystack(path)
        if hay is None:
            self._tokens[path] = 0
            return 0
        vocab = self._vocab
        found = 0
        words = _words(hay if isinstance(hay, bytes) else hay.encode("utf-8", "replace"))
        for t in vocab.keys() & words:
            found |= vocab[t]
        mixed = b" ".join([w for w in words if not w.islower()])
        if mixed:  # ``Logger`` in ``TensorBoardLogger``, ``Drift`` in ``DataDriftPreset``: only the capitalised words whose
            humps = self._humps  # first two characters start a capital in the file are looked for
            for head in (b"", *set(_HUMP_HEADS.findall(mixed))):
                for t, bit in humps.get(head, ()):
                    if not found & bit and t in mixed:
                        found |= bit
        self._tokens[path] = found | (1 << len(self._vocab))
        return found

    def prime_words(self, paths: Iterable[str]) -> None:
        """Split these files into words now (``mentions`` then reads nothing): the first phase of a
        parallel scan, whose workers send the words back to the parent (changes_since, absorb)."""
        width = len(self._vocab)
        for path in paths:
            if _split_before(self._tokens.get(path), width):
                self._split_words(path)

    def _haystack(self, path: str) -> str | bytes | None:
        """The cached text, else the file's bytes (kept for the parse that usually follows)."""
        txt = self._text.get(path)
        if txt is not _MISSING and txt is not None:
            return txt  # type: ignore[no-any-return]
        last = self._last_raw
        if last is not None and last[0] == path:
            return last[1]
        data = self._hay_kept.get(path)
        if data is not None:
            return data
        data = self.raw(path, MAX_NOTEBOOK_BYTES if path.endswith(".ipynb") else self.max_bytes)
        if data is not None:
            self._last_raw = (path, data)
            n = len(data)
            if n <= HAY_KEPT_FILE_BYTES and n <= self._hay_room:
                self._hay_kept[path] = data
                self._hay_room -= n
        return data

    def _register_needles(self, needles: tuple[bytes, ...]) -> int:
        """A bit per needle; 0 (no memo) once the registry is full, so per-path masks stay small
        when a detector asks for a different needle per file."""
        if len(self._needle_bits) + len(needles) > MAX_MEMO_NEEDLES and any(n not in self._needle_bits for n in needles):
            return 0
        mask = 0
        for n in needles:
            bit = self._needle_bits.get(n)
            if bit is None:
                bit = self._needle_bits[n] = 1 << len(self._needle_bits)
                self._needle_str[n] = n.decode("utf-8", "replace")
            mask |= bit
        self._needle_masks[needles] = mask
        return mask

    def lines(self, path: str) -> list[str]:
        key = (path, "lines")
        hit = self._parsed.get(key)
        if hit is not _MISSING:
            if self._rec is not None:
                self._touch(path, "text")
            return hit  # type: ignore[no-any-return]
        txt = self.text(path)
        out = txt.splitlines() if txt is not None else []
        self._parsed.put(key, out, len(txt or ""))
        return out

    def snippet(self, path: str, line: int | None, end_line: int | None = None) -> str:
        """Up to three lines of a file for evidence. While recording, the unit observes the snippet, not the file: an
        edit elsewhere in a file that a finding cites leaves the unit reusable (mlscan.cache.run ``_same``)."""
        if not line:
            return ""
        rec = self._rec
        if rec is None:
            return self._snippet(path, line, end_line)
        self._rec = None
        try:
            readable = self.text(path) is not None
            value = self._snippet(path, line, end_line)
        finally:
            self._rec = rec
        if readable:
            rec.answers[(path, "s", f"{line}:{end_line or 0}")] = value
            self._touch(path, "text", content=False)
        else:
            self._touch(path, "text")  # unreadable now: a change to readable must run the unit again
        return value

    def _snippet(self, path: str, line: int, end_line: int | None) -> str:
        lines = self.lines(path)
        end = min(end_line or line, line + 2)
        return clean_snippet("\n".join(lines[line - 1 : end]))

    def _parse(self, path: str, kind: str, fn: Any) -> Any:
        if self._rec is None:
            return self._parse_file(path, kind, fn)
        rec, self._rec = self._rec, None
        result = None
        try:
            result = self._parse_file(path, kind, fn)
        finally:
            self._rec = rec
            self._touch(path, kind, parsed=result is not None)
        return result

    def _parse_file(self, path: str, kind: str, fn: Any) -> Any:
        key = (path, kind)
        if kind == "yaml":
            hit = self._yaml_kept.get(path, _MISSING)
            if hit is not _MISSING:
                return hit
        elif kind == "python" or kind == "notebook":
            hit = self._trees_kept.get(key, _MISSING)
            if hit is not _MISSING:
                return hit
        hit = self._parsed.get(key)
        if hit is not _MISSING:
            return hit
        hit = self._pinned.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        if key in self._parse_failed:
            return None
        txt = self.text(path, keep=kind != "notebook")
        result = None
        if txt is not None:
            self.parse_counts[key] = self.parse_counts.get(key, 0) + 1
            try:
                result = fn(txt)
            except ValueError as e:
                self._parse_failed.add(key)
                if kind == "yaml" and self._in_helm_templates(path):  # not the repository's fault: our rendering is rough
                    self._skip("helm-template", path, kind)
                    self._fail_warn("template-unrendered", f"Helm template: not YAML once rendered without values ({e}); not read",
                                    path, kind)
                else:
                    self._skip("unparseable", path, kind)
                    self._fail_warn("parse-error", f"{kind}: {e}", path, kind)
                return None
            if path not in self._parsed_paths:
                self._parsed_paths[path] = None
                self.stats.parsed = len(self._parsed_paths)
            weight = len(result.source) if isinstance(result, formats.NotebookCode) else len(txt)
            if kind == "yaml" and weight <= self._yaml_room:
                self._yaml_kept[path] = result
                self._yaml_room -= weight
            elif (kind == "python" or kind == "notebook") and weight <= self._tree_room:
                self._trees_kept[key] = result
                self._tree_room -= weight
            else:
                self._parsed.put(key, result, weight)
            eager = EAGER_FACTS if kind == "python" or kind == "notebook" else EAGER_YAML_FACTS if kind == "yaml" else None
            if eager and self.eager_facts:
                # the tree (documents) stays at hand while its facts are derived, even if their own reads push it out of the cache
                self._pinned[key] = result
                try:
                    self._eager_facts(path, eager)
                finally:
                    del self._pinned[key]
        return result

    def _eager_facts(self, path: str, eager: dict[str, Any]) -> None:
        """Derive the eager facts (``register_fact``) of a file just parsed, from the tree (documents) in the parse cache. A
        builder that fails is left to whoever asks for the fact (the failure is theirs)."""
        rec, self._rec = self._rec, None
        try:
            for name, want in eager.items():
                k = (path, name)
                if k in self._facts_building or self._facts.get(k) is not _MISSING or not want(self, path):
                    continue
                try:
                    value = self._build_fact(path, name, FACT_BUILDERS[name])
                except Exception:  # noqa: BLE001 - asked for later, it fails there and is reported there
                    continue
                self._facts.put(k, value, _fact_weight(value))
        finally:
            self._rec = rec

    def yaml(self, path: str) -> list[Any]:
        """All documents (safe loader, line-aware); [] when unparseable."""
        return self._parse(path, "yaml", lambda t: formats.load_yaml_all(_render_template(t) if self._is_tmpl(path) else t)) or []

    def json(self, path: str) -> Any:
        return self._parse(path, "json", lambda t: formats.load_json(_render_template(t) if self._is_tmpl(path) else t))

    def toml(self, path: str) -> dict[str, Any] | None:
        return self._parse(path, "toml", formats.load_toml)

    def python(self, path: str) -> ast.Module | None:
        if path.endswith(".ipynb"):
            nb = self.notebook(path)
            return nb.tree if nb else None
        return self._parse(
            path, "python", lambda t: formats.parse_python(_render_template(t) if self._is_tmpl(path) else t, path)
        )

    def notebook(self, path: str) -> formats.NotebookCode | None:
        return self._parse(path, "notebook", lambda t: formats.notebook_code(t, path))

    def notebook_source(self, path: str) -> tuple[str, tuple[int, ...]] | None:
        """A notebook's code as ``notebook`` gives it (source, cell_of_line) when its syntax tree is not wanted: from the
        parse at hand, else rebuilt from its JSON and the cells its parse kept (the file fact NOTEBOOK_KEPT, derived as
        the notebook was parsed), so that no notebook is parsed again for its text (the evidence pass, the name search)."""
        key = (path, "notebook")
        nb = self._trees_kept.get(key, _MISSING)
        if nb is _MISSING:
            nb = self._parsed.get(key)
        if nb is not _MISSING and nb is not None:
            return nb.source, nb.cell_of_line
        kept = self.fact(path, NOTEBOOK_KEPT)
        text = self.text(path, keep=False) if kept is not False else None
        if text is None:
            return None
        try:
            return formats.kept_code(text, None if kept is True else kept)
        except ValueError:  # not as it was when the fact was derived (a fact kept by the facts cache): parse it
            nb = self.notebook(path)
            return (nb.source, nb.cell_of_line) if nb is not None else None

    def dockerfile(self, path: str) -> list[formats.DockerInstruction]:
        return self._parse(path, "dockerfile", formats.parse_dockerfile) or []

    def requirements(self, path: str) -> list[formats.Requirement]:
        return self._parse(path, "requirements", formats.parse_requirements) or []

    def _is_tmpl(self, path: str) -> bool:
        """Rendered before parsing (``_render_template``): template sources of a template repository, and the
        templates of a Helm chart (``templates/`` beside a ``Chart.yaml``), which are Go templates, not YAML."""
        return (self.is_template_repo and (path.endswith(".tmpl") or "{{" in path)) or self._in_helm_templates(path)

    def _in_helm_templates(self, path: str) -> bool:
        return self.chart_dir(path) is not None

    def chart_dir(self, path: str, *, virtual: bool = False) -> str | None:
        """The directory of the Helm chart (a ``Chart.yaml``) whose ``templates/`` holds ``path`` ("" for a chart
        at the root), or None. With ``virtual``, ``path`` and the charts are as the project sees them (vpaths)."""
        if "templates/" not in path:
            return None
        if self._helm_dirs is None:
            charts = self.select(("**/Chart.yaml",))
            self._helm_dirs = (tuple(_parent(e.path) for e in charts), tuple(_parent(e.vpath) for e in charts))
        return next((d for d in self._helm_dirs[virtual] if path.startswith(f"{d}/templates/" if d else "templates/")), None)

    def python_files(self, needles: tuple[bytes, ...], patterns: tuple[str, ...] = ("**/*.py", "**/*.ipynb")) -> Iterator[tuple[FileEntry, ast.Module]]:
        """Python sources (and notebooks) that mention a needle (``mentions``: identifiers, not
        substrings), parsed. The token check keeps ``ast`` off files that cannot matter."""
        for e in self.select(patterns):
            if self.mentions(e.path, needles):
                tree = self.python(e.path)
                if tree is not None:
                    yield e, tree

    def skipped_summary(self) -> dict[str, Any]:
        return {
            reason: {"count": len(paths), "examples": sorted(paths)[:10]}
            for reason, paths in sorted(self.stats.skipped.items())
            if paths
        }


