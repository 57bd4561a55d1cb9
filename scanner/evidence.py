"""Evidence a reviewer accepts at a glance: the deciding line (not a bare key, bracket, step name or comment),
where it sits in a structured file, how the file is reached, and what keeps it from proving the practice.

``focus(index, findings)`` runs once after the detectors: detectors cite a block (``stages:``, ``"rules": [``,
``- name: Train``); the cited line moves to the first informative line of that block, the range keeps the
block, the snippet starts at that line. A file whose existence is the evidence (a lock file, OWNERS) cites
its most telling line. Python files reached from CI, a pipeline or a container carry the wiring chain.
"""

from __future__ import annotations

import json
import re
import textwrap
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import accumulate
from types import MappingProxyType
from typing import Any

from .agent_docs import agent_instructions
from .facts.doc_blocks import BRACE_OPENER
from .index import FileIndex
from .lazyre import fnmatchcase, lazy_re
from .model import Evidence, Finding, clean_snippet
from .valueclass import replace

LOOKAHEAD = 25  # lines searched below a bare line for the informative one
HINT_LOOKAHEAD = 150  # lines of a cited block searched for a rule pack's deciding line (a DAG's edges close its block)
TELLING_SCAN = 80  # lines searched in a file whose existence is the evidence

_PROSE = (".md", ".markdown", ".rst", ".txt", ".adoc")
_STRUCTURED = (".yaml", ".yml", ".json", ".lock", ".toml", ".cfg", ".ini")
_STRUCTURED_NAMES = ("MLproject", "OWNERS", "OWNERS_ALIASES", "Pipfile", ".dvcignore")

# Patterns here read one line at a time; hostile lines run to 10,000 characters (the index's cut) and several
# patterns have adjacent optional runs (``\s*`` beside a class with a space), so each sees a bounded prefix.
HEAD_CHARS = 300
SEARCH_CHARS = 2000
_PUNCT_ONLY = lazy_re(r"""^[\s\[\]{}()<>,;:|>\-+.*='"`\\/]*$""")
# a key that opens a block: ``stages:``, ``- script:``, ``"rules": [``, ``run: |``, ``key: &anchor``, ``train:`` (make)
_KEY_OPENER = lazy_re(r"""^-?\s*["']?[\w.\-/$@{} ]+["']?\s*:\s*(?:[|>][-+0-9]*|[\[{(]|&[\w-]+|\\)?\s*$""")
# a list item keyed by a file (``- scores.json:`` under DVC's ``metrics:``, ``- models/model.pkl:`` with its options):
# the file is the value, the options below it (``cache: false``) are settings
_FILE_ITEM = lazy_re(r"""^-\s+["']?[\w.\-/]*(?:/|\.[A-Za-z][A-Za-z0-9]{0,5})["']?\s*:\s*$""")
# a one-word YAML list item (``- schedules`` under ``only:``, ``- main`` under ``branches:``)
_WORD_ITEM = lazy_re(r"""^-\s+["']?[A-Za-z_][\w-]*["']?$""")
_TABLE_HEADER = lazy_re(r"""^\[\[?\s*[\w.\-"' ]+\s*\]\]?$""")
# a TOML/INI key that opens a multi-line array or table (``dependencies = [``, ``install_requires =`` in setup.cfg): the
# entries below it are what it declares
_ASSIGN_OPENER = lazy_re(r"""^["']?[\w.\-]+["']?\s*=\s*[\[{]?\s*$""")
_ASSIGN_FILES = (".toml", ".cfg", ".ini")
# a step or object name: says what the block is called, not what it does
_NAME_LINE = lazy_re(r"""^-?\s*["']?(?:name|displayName|display_name|title|id|description)["']?\s*:\s*.+$""", re.IGNORECASE)
_VERSION_LINE = lazy_re(
    r"""^["']?(?:version|lockfileVersion|schema|schemaVersion|_meta|format|revision|metadata-version)["']?\s*[:=]\s*["']?(?:\d+(?:\.\d+)?)?["']?,?\s*(?:[{\[])?$""",
)
# a CI step's or job's settings: where and how it runs, not what it does (``working-directory:``, ``shell: bash``)
_STEP_SETTING = lazy_re(
    r"""^-?\s*["']?(?:working-directory|working_directory|workingDirectory|shell|timeout-minutes|timeout_in_minutes|timeoutInMinutes|"""
    r"""continue-on-error|continueOnError|runs-on|needs|dependsOn|cache-from|cache-to|permissions|concurrency|defaults|"""
    r"""fail-fast|max-parallel|retry|interruptible|allow_failure|image_pull_policy|imagePullPolicy|restartPolicy|"""
    # (a CodePipeline action's role, mode and artifacts: as whom and on what it runs, not what it deploys)
    r"""RoleArn|ActionMode|RunOrder|InputArtifacts|OutputArtifacts|Capabilities)["']?\s*:.*$""")
# a CI step's or job's condition: when it runs (``if: github.event_name != 'pull_request'``, Azure's ``condition:``), not
# what it does; a block's deciding line is below it (a GitLab ``rules:`` item, ``- if:``, is the rule itself)
_CONDITION = lazy_re(r"""^["']?(?:if|condition)["']?\s*:\s*\S""")
# a shell line that only prints (``@echo "Installing..."`` in a Makefile target): it announces the step, the next line does it
# a Python line that only prints or logs, or fetches a logger: it reports the step, the next statement does it
_PY_LOG = lazy_re(r"""^(?:print\(|(?:self\.)?\w*(?:logger|log|logging|LOGGER|LOG)\.(?:debug|info|warning|warn|error|exception|critical|log)\(|"""
                  r"""\w*(?:logger|log|LOGGER|LOG)\w*\s*=\s*(?:\w+\.)*(?:getLogger|get_run_logger|get_logger)\()""")
_ECHO = lazy_re(r"""^[@-]*\s*(?:echo|printf|Write-Host)\b""")
# a shell line that only activates an environment (``. .venv/bin/activate``, ``source venv/bin/activate``, ``conda activate
# ml``): where the next command runs, not what the step does
_ACTIVATE = lazy_re(r"""^[@-]*\s*(?:(?:source|\.)\s+["']?[\w.~/${}\\-]*activate(?:\.\w+)?["']?(?:\s+[\w.-]+)?|"""
                    r"""(?:conda|mamba|micromamba|pyenv)\s+activate(?:\s+[\w.-]+)?|[\w.\\/-]*\\Scripts\\activate(?:\.\w+)?)\s*(?:;|&&)?\s*$""")
# a document's schema reference (``$schema: https://.../data.schema.json``, ``"$schema": "..."``): which format the file
# follows, not what it declares
_SCHEMA_REF = lazy_re(r"""^["']?\$schema["']?\s*:""")
# the kind of a CodePipeline action (``ActionTypeId``'s ``Category: Deploy``, ``Owner: AWS``, ``Version: "1"``): the catalogue
# entry it is, not what it deploys (its ``Provider`` and ``Configuration``: ``StackName``, ``TemplatePath``); an approval
# action's ``Category: Approval`` is what it is (T4's deciding line)
_ACTION_TYPE = lazy_re(r"""^["']?(?:Category(?!["']?\s*:\s*["']?Approval)|Owner|Version)["']?\s*:\s*["']?[\w.\-]*["']?\s*,?$""")
# a YAML merge key (``<<: *grants``): settings merged in from an anchor elsewhere in the file, not what the block declares
_MERGE_KEY = lazy_re(r"""^-?\s*<<\s*:\s*\*""")
# a pipeline step's signature declaring the artifact it outputs (ZenML ``-> Annotated[pd.DataFrame, "raw_data"]:``, KFP
# ``dataset: Output[Dataset]``): what the step versions, not a bare opener
_PY_ARTIFACT_OUTPUT = lazy_re(r"->\s*(?:Tuple\[\s*)?Annotated\[|\bOutput\[")
_PY_OPENER = lazy_re(r"^(?:async\s+)?def\s.*:\s*$|^class\s.*:\s*$|^(?:try|else|finally|except(?:\s+[\w.,() ]+)?)\s*:\s*$|^if\s+__name__\s*==.*:\s*$")
# a Python call's settings arguments: where, as whom and how a step runs (a CDK deploy action's ``stack_name=``,
# ``admin_permissions=``, ``deployment_role=``; a SageMaker step's ``role=``, ``instance_type=``), not what it does
_PY_SETTING = lazy_re(
    r"^\w*(?:role|roles|permissions|stack_name|run_order|replace_on_failure|session|instance_type|instance_count|region|"
    r"timeout|retries|retry_policies)\s*=(?!=)", re.IGNORECASE)
_PY_COMPOUND = lazy_re(r"^(?:async\s+)?(?:with|for|while|if|elif|def|class|try|except|match|case)\b")
# a template's control tag alone on its line (Jinja ``{% if cookiecutter.x -%}``, ``{%- endif %}``; Go/Helm ``{{- if .Values.x }}``,
# ``{{ end }}``): which variant is rendered, not what the rendered file does
_TEMPLATE_CONTROL = lazy_re(r"^\{%-?\s*(?:if|elif|else|endif|for|endfor|set|raw|endraw|with|endwith|block|endblock)\b[^%]*-?%\}$|"
                            r"^\{\{-?\s*(?:if|else|end|range|with)\b[^}]*-?\}\}$")
_SHELL_WORDS = {"then", "fi", "do", "done", "esac", "else", "end", "endif", "begin", "set -e", "set -eu", "set -ex", "set -euo pipefail"}
_COMMENT_PREFIXES = ("//", "/*", "*/", "<!--", "-->", '"""', "'''", "rem ", "REM ", "::")


def is_bare(line: str, path: str = "", word_items: bool = True) -> bool:
    """True when ``line`` says nothing on its own: blank, a comment, only brackets, a key that opens a
    block, a table header, a step/object name, a format-version header or schema reference, a YAML merge key (``<<: *x``), a block opener (``def f():``), a CI
    step's setting (``working-directory:``, ``shell:``, ``needs:``), a shell or Python line that only prints or logs."""
    s = line.strip()[:HEAD_CHARS]  # what makes a line bare is at its start; the cap keeps every pattern linear
    if not s:
        return True
    prose = path.lower().endswith(_PROSE)
    if prose:  # headings and sentences are the evidence of documentation (a configuration's ``terraform {`` opens a block)
        return bool(_PUNCT_ONLY.match(s)) or s.startswith(("```", "~~~", "<!--")) or bool(BRACE_OPENER.match(s))
    if s.startswith("#") or s.startswith(_COMMENT_PREFIXES):
        return True
    code = _strip_trailing_comment(s)
    if not code or _PUNCT_ONLY.match(code):
        return True
    if not path.endswith(".py") and _TEMPLATE_CONTROL.match(code):
        return True
    if code.lower() in _SHELL_WORDS or (not path.endswith(".py") and (_ECHO.match(code) or _ACTIVATE.match(code))) \
            or (path.endswith(".py") and _PY_LOG.match(code)):
        return True
    if _FILE_ITEM.match(code):
        return False
    if _WORD_ITEM.match(code) and _structured(path):
        return word_items  # ``- schedules``: a one-word item means what its key says (``only:``), cited with it (``with_key``)
    return bool(
        _KEY_OPENER.match(code) or _TABLE_HEADER.match(code) or _NAME_LINE.match(code) or _VERSION_LINE.match(code) or _SCHEMA_REF.match(code)
        or _MERGE_KEY.match(code) or (_structured(path) and _ACTION_TYPE.match(code))
        or (_PY_OPENER.match(code) and not _PY_ARTIFACT_OUTPUT.search(code)) or (not path.endswith(".py") and _STEP_SETTING.match(code))
        or (path.endswith(_ASSIGN_FILES) and _ASSIGN_OPENER.match(code))
    )


def is_prose(path: str) -> bool:
    """A documentation file (Markdown, reStructuredText, text): headings and sentences are its evidence."""
    return path.lower().endswith(_PROSE)


def _strip_trailing_comment(s: str) -> str:
    """``key:  # note`` -> ``key:`` (a ``#`` after whitespace outside quotes)."""
    quote = ""
    for i, ch in enumerate(s):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and i > 0 and s[i - 1] in " \t":
            return s[:i].rstrip()
    return s


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t-")) if line.lstrip().startswith("- ") else len(line) - len(line.lstrip(" \t"))


def deciding_line(lines: list[str], line: int, path: str, end_line: int | None = None) -> int:
    """The first informative line at or below ``line`` (1-based) inside the block it opens; ``line`` when
    it is informative or nothing in its block is."""
    if not (0 < line <= len(lines)) or not is_bare(lines[line - 1], path, word_items=False):
        return line
    opener = lines[line - 1]
    s = opener.strip()
    is_comment = s.startswith(("#", "//", "<!--")) or not s
    base = _indent(opener)
    prose = path.lower().endswith(_PROSE)
    item = s.startswith("- ")
    code = _strip_trailing_comment(s)
    # a table header, format-version line or name line is followed by its siblings, not by a deeper block
    siblings = not item and not is_comment and not (_KEY_OPENER.match(code) or _PY_OPENER.match(code) or _PUNCT_ONLY.match(code))
    # a lone opening bracket (a JSON document's ``{``) holds everything up to its closing bracket, however its keys
    # are indented (hand-edited ``devcontainer.json`` files put some at the bracket's own depth)
    bracket = code in ("{", "[")
    last = min(len(lines), max(line + LOOKAHEAD, end_line or 0))
    docstring = ""  # the closing quotes of a Python docstring being skipped
    settings: int | None = None  # the depth of an ``env:`` block being skipped: its variables configure the step
    echo = 0  # the block's first line that only prints: what a step of nothing but ``echo`` does (a placeholder)
    for j in range(line + 1, last + 1):
        text = lines[j - 1]
        st = text.strip()
        if settings is not None and st and _indent(text) > settings:
            continue
        settings = None
        if docstring:
            if docstring in st:
                docstring = ""
            continue
        if path.endswith(".py") and st[:3] in ('"""', "'''"):
            if st.count(st[:3]) == 1:
                docstring = st[:3]  # a docstring describes the block, it does not decide it
            continue
        if not st or (not prose and st.startswith(("#", "//"))):
            continue  # blank lines and comments neither end a block nor decide it
        ind = _indent(text)
        item_key = item and ind == base and not text.lstrip().startswith("-")  # a sibling key of a ``- name:`` item
        if bracket and ind <= base and st[0] in "]}":
            break  # the bracket closed
        if not (is_comment or siblings) and ind <= base and not item_key and not _closes(text) and not bracket:
            break  # left the block
        if (is_comment or siblings) and ind < base:
            break
        if not path.endswith(".py") and _ENV_BLOCK.match(st):
            settings = ind
            continue
        if not prose and not path.endswith(".py") and _CONDITION.match(st):
            continue  # ``if: github.event_name != 'pull_request'``: when the step runs; what it does is below
        if not is_bare(text, path, word_items=False):  # a one-word item is found here and cited with its key
            return j
        if not echo and not path.endswith(".py") and _ECHO.match(_strip_trailing_comment(st)):
            echo = j
    return echo or line


_ENV_BLOCK = lazy_re(r"""^-?\s*["']?(?:env|environment_variables|variables|vars|envFrom)["']?\s*:\s*(?:#.*)?$""")


def _block_lines(lines: list[str], j: int, count: int = 3) -> list[str]:
    """Line ``j`` and up to ``count - 1`` lines after it that stay at its depth or deeper."""
    depth = _indent(lines[j - 1])
    out = [lines[j - 1]]
    for text in lines[j : j + count - 1]:
        if text.strip() and _indent(text) < depth:
            break
        out.append(text)
    while len(out) > 1 and not out[-1].strip():
        out.pop()
    return out


def _word_item_key(lines: list[str], j: int) -> int | None:
    """The key line (``only:``) a one-word YAML list item at line ``j`` (``- schedules``) belongs to, None when there is
    none (a top-level list) or line ``j`` is no such item."""
    if not (0 < j <= len(lines)) or not _WORD_ITEM.match(_strip_trailing_comment(lines[j - 1].strip())):
        return None
    base = len(lines[j - 1]) - len(lines[j - 1].lstrip())
    for k in range(j - 1, max(0, j - LOOKAHEAD) - 1, -1):
        text = lines[k - 1]
        st = text.strip()
        if not st or st.startswith("#"):
            continue
        ind = len(text) - len(text.lstrip())
        if ind < base or (ind == base and not st.startswith("-")):
            return k if _KEY_OPENER.match(_strip_trailing_comment(st)) else None
    return None


def with_key(lines: list[str], e: Evidence, j: int) -> Evidence | None:
    """``e`` citing the one-word list item at line ``j`` together with its key (``only:`` + ``- schedules``: the item
    means what the key says), None when line ``j`` is no such item."""
    k = _word_item_key(lines, j)
    if k is None:
        return None
    shown = lines[k - 1 : j][:3] if j - k < 3 else [lines[k - 1], lines[j - 1]]
    return replace(e, line=k, end_line=j,
                   snippet=clean_snippet(textwrap.dedent("\n".join(shown))), context=structural_path(lines, j))


# the keys under which a pipeline step lists the steps it waits for (Databricks ``depends_on: [- task_key: x]``, Azure
# ``dependsOn``, Tekton ``runAfter``, GitHub ``needs``, Argo ``dependencies``)
_DEPENDENCY_KEY = lazy_re(r"""^-?\s*["']?(?:depends_on|dependsOn|depends|needs|after|runAfter|dependencies|upstream|requires|wait_for)["']?\s*:\s*$""")
# a list item naming one step as a mapping (``- task_key: "preprocessing"``): a reference, not the step
_REFERENCE_ITEM = lazy_re(r"""^-\s+["']?[\w.\-]+["']?\s*:\s*["']?([^"'\s#{}\[\]]+)["']?\s*$""")


def with_dependent(lines: list[str], e: Evidence, j: int) -> Evidence | None:
    """``e`` citing the step reference on line ``j`` (``- task_key: "preprocessing"`` under ``depends_on:``) as the edge it
    is: the step that waits (``- task_key: "train"``), its dependency key and the reference, in context
    ``resources.jobs.x.tasks[train].depends_on: preprocessing``; None when line ``j`` is no such reference."""
    if not (0 < j <= len(lines)) or not _structured(e.path):
        return None
    ref = _REFERENCE_ITEM.match(_strip_trailing_comment(lines[j - 1].strip()[:HEAD_CHARS]))
    if ref is None:
        return None
    base = len(lines[j - 1]) - len(lines[j - 1].lstrip())
    key = owner = None
    for k in range(j - 1, max(0, j - LOOKAHEAD) - 1, -1):
        st = lines[k - 1].strip()
        if not st or st.startswith("#"):
            continue
        ind = len(lines[k - 1]) - len(lines[k - 1].lstrip())
        if key is None:
            if ind < base or (ind == base and not st.startswith("-")):
                if not _DEPENDENCY_KEY.match(_strip_trailing_comment(st)):
                    return None
                key = k
            continue
        if _indent(lines[k - 1]) < _indent(lines[key - 1]):
            return None  # left the step without finding where its item starts
        if _indent(lines[k - 1]) == _indent(lines[key - 1]) and st.startswith("- "):
            owner = k
            break
    if key is None or owner is None:
        return None
    name = _REFERENCE_ITEM.match(_strip_trailing_comment(lines[owner - 1].strip()[:HEAD_CHARS]))
    step = structural_path(lines, owner).rsplit(".", 1)[0] if name else structural_path(lines, key).rsplit(".", 1)[0]
    context = f"{step}[{name.group(1)}]" if name else step
    context += f".{_key_of(lines[key - 1])}: {ref.group(1)}"
    shown = textwrap.dedent("\n".join((lines[owner - 1], lines[key - 1], lines[j - 1])))
    return replace(e, line=owner, end_line=j, snippet=clean_snippet(shown), context=context)


def _closes(text: str) -> bool:
    return bool(_PUNCT_ONLY.match(text.strip()))


def telling_line(lines: list[str], path: str) -> int | None:
    """The most telling line of a file whose existence is the evidence: its first informative line."""
    for i, text in enumerate(lines[:TELLING_SCAN], start=1):
        if not is_bare(text, path, word_items=False):
            return i
    return None


_LOCK_NAMES = ("poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock", "conda-lock.yml", "conda-lock.yaml", "package-lock.json",
               "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "renv.lock", "pixi.lock")
# a pinned package: ``name = "numpy"`` (TOML locks), ``"version": "==1.26.4"``, ``numpy==1.26.4``, ``- numpy=1.26.4``
_PIN = lazy_re(r"""^\s*(?:name\s*=\s*"[^"]+"|"version"\s*:\s*"[=~^]*\d[^"]*"|-?\s*[A-Za-z0-9_.\-\[\]]+(?:\s*===?\s*|=)\d[\w.\-+]*)""")


def is_lock_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in _LOCK_NAMES or name.endswith((".lock", "-lock.json", "-lock.yaml", "-lock.yml"))


def pin_line(lines: list[str], start: int = 1) -> int | None:
    """The first line at or after ``start`` that pins a package (a lock file's most telling line)."""
    for i in range(max(start, 1), min(len(lines), start + 400) + 1):
        if _PIN.match(lines[i - 1][:HEAD_CHARS]):
            return i
    return None


LOCK_HEAD_BYTES = 8 << 20  # a lock file too large to parse is read this far for its telling line
# the package a pinned lock line names: ``name = "torch"`` (TOML locks), ``torch==2.5.1``, ``- torch=2.5.1``, ``"torch": {``
_PIN_NAME = lazy_re(r"""^\s*(?:name\s*=\s*"([^"]+)"|-?\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?(?:\s*===?\s*|=)\d|"([^"]+)"\s*:\s*\{)""")


def model_pin_line(lines: list[str]) -> int | None:
    """A lock file's most telling line: the pinned entry of a model library (``name = "torch"`` with its ``version``
    below, ``"torch": {`` above its ``"version": "==2.5.1"``), None when the lock pins none of them."""
    from .facts.declared_libraries import MODEL_LIBRARIES

    wanted = {d for dists in MODEL_LIBRARIES.values() for d in dists}
    for i, text in enumerate(lines, start=1):
        m = _PIN_NAME.match(text[:HEAD_CHARS])
        name = next((g for g in m.groups() if g), "") if m else ""
        if name.lower().replace("_", "-") not in wanted:
            continue
        if m.group(3) is not None:  # a JSON lock's package key: its version is the next pinned line inside it
            j = pin_line(lines[: i + 8], i + 1)
            if j is None or not lines[j - 1].lstrip().startswith('"version"'):
                continue
        return i
    return None


ARGUMENT_LINES = 8  # lines of a command's argument list shown from its cited word
# the keys whose value is one command written as a list of its words (Cloud Build ``args``, a container's ``command``)
_ARGV_KEY = lazy_re(r"""^-?\s*["']?(?:args|arguments|command|cmd|cmds|entrypoint)["']?\s*:\s*(\[)?\s*(?:#.*)?$""")
# one word of such a list on its own line: a flow element (``'deploy',``) or a block item (``- deploy``), no mapping
_FLOW_WORD = lazy_re(r"""^(?:(['"])(?:(?!\1).)*\1|[^\s'"\[\]{}#,][^\[\]{}#,]*?)\s*,?\s*\]?\s*$""")
# a block item whose value is a folded or literal scalar on the lines below (``- >-``, ``- |``)
_FOLDED_ITEM = lazy_re(r"""^-\s+[|>][-+0-9]*$""")
_BLOCK_WORD = lazy_re(r"""^-\s+(?:(['"])(?:(?!\1).)*\1|[^\s'"\[\]{}#][^\[\]{}#]*)\s*$""")


def argument_list_end(lines: list[str], line: int) -> int | None:
    """When line ``line`` of a YAML/JSON file is one word of a command written as a list of its words (``args: [`` ...
    ``'run',`` ``'deploy',`` ... ``]``, or a block list under ``command:``), the last line of that list to show with it
    (at most ``ARGUMENT_LINES`` lines in all); None otherwise (a mapping, a list of whole commands or of files)."""
    if not (0 < line <= len(lines)):
        return None
    st = lines[line - 1].strip()[:HEAD_CHARS]
    block = st.startswith("- ")
    word = _BLOCK_WORD if block else _FLOW_WORD
    if not word.match(st) or (block and ": " in st):
        return None
    depth = _indent(lines[line - 1])
    key = None
    for j in range(line - 1, max(0, line - 60) - 1, -1):
        text = lines[j - 1]
        t = text.strip()[:HEAD_CHARS]
        if not t or t.startswith("#"):
            continue
        if word.match(t) and not (block and ": " in t) and (_indent(text) == depth or not block):
            continue  # an earlier word of the same list
        key = _ARGV_KEY.match(t)
        break
    if key is None or bool(key.group(1)) == block:
        return None  # not a command's word list: a flow list opens with ``[``, a block list's key has none
    last = line
    folded = False  # inside a folded item's value (``- >-`` then ``--image=...`` on the deeper line below)
    for j in range(line, min(len(lines), line + ARGUMENT_LINES - 1) + 1):
        t = lines[j - 1].strip()[:HEAD_CHARS]
        if not t or t.startswith("#"):
            continue
        if block and folded and len(lines[j - 1]) - len(lines[j - 1].lstrip()) > len(lines[line - 1]) - len(lines[line - 1].lstrip()):
            last = j
            continue
        folded = block and bool(_FOLDED_ITEM.match(t))
        if block and (_indent(lines[j - 1]) != depth or not _BLOCK_WORD.match(t) or ": " in t):
            break
        if not block and not (_FLOW_WORD.match(t) or t.startswith("]")):
            break
        if not block and t.startswith("]"):
            break  # the closing bracket: the list ended on the line before
        last = j
        if not block and t.endswith("]"):
            break
    return last if last > line else None


def structural_path(lines: list[str], line: int) -> str:
    """``stages.train.outs`` for a line of YAML/JSON (parents by indentation), ``tool.poetry`` for TOML."""
    if not (0 < line <= len(lines)):
        return ""
    parts: list[str] = []
    own = _key_of(lines[line - 1])
    if own:
        parts.append(own)
    level = _indent(lines[line - 1])
    for j in range(line - 1, 0, -1):
        text = lines[j - 1]
        s = text.strip()
        if not s or s.startswith(("#", "//")):
            continue
        if _TABLE_HEADER.match(s) and _indent(text) == 0:  # a TOML/INI table names the rest of the path
            parts.append(s.strip("[] \"'"))
            break
        ind = _indent(text)
        if ind < level:
            key = _key_of(text)
            if key:
                parts.append(key)
            level = ind
            if ind == 0:
                break
    return ".".join(reversed(parts[:5]))


_KEY = lazy_re(r"""^\s*(?:-\s+)?["']?([\w.\-/$@ ]{1,60}?)["']?\s*[:=](?:\s|$|[\[{|>])""")


def _key_of(text: str) -> str:
    m = _KEY.match(text[:HEAD_CHARS])
    return m.group(1).strip() if m else ""


_TEMPLATE_SUFFIXES = (".tmpl", ".jinja2", ".jinja", ".j2")


def _structured(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    for suffix in _TEMPLATE_SUFFIXES:  # a template of a YAML file (``job.yml.tmpl``, ``deployment.yml.j2``) is read as one
        name = name.removesuffix(suffix)
    return name.endswith(_STRUCTURED) or name in _STRUCTURED_NAMES


# ---------------------------------------------------------------- caveats

# finding attribute -> (value that makes it a caveat, caveat text, caps a yes at partial). Detectors set these
# attributes; the scorer caps a yes at partial when every decisive finding carries a capping caveat. "non-blocking"
# and "hyperparameter search only" are shown but do not cap: the questions that need blocking tests or every
# training run tracked say so in their conditions (M4 ``blocking``, E1 ``tuning_only``), and the others accept them.
UNREACHED = "unreached"
CAVEAT_ATTRS: tuple[tuple[str, Any, str, bool], ...] = (
    ("optional", True, "optional: runs only when enabled or installed", True),
    # (a string attribute: the text names its value, the switch's test)
    ("guard", str, "optional: runs only when {value} is set by whoever runs it (its switch has no value in the repository)", True),
    ("install_gated", True, "install-gated: skipped when the package is missing", True),
    ("stub", True, "stub: the step does nothing yet", True),
    ("synthetic", True, "synthetic input: runs on generated or bundled toy data", True),
    ("random_metric", str, "synthetic value: every metric it logs is drawn from {value}, not measured", True),
    ("training_splits", True, "training splits only: compares the model's own train/test split files, no production data", True),
    ("training_sample", True, "simulated production data: the current data is a sample of the training split", True),
    ("one_file", True, "one data file against itself: reference and current data are slices of the same file, no "
     "production data (requests, predictions, inference logs) reaches the report", True),
    ("split_pair", True, "one split of the training data: the pipeline hands the report both parts of one "
     "train_test_split as reference and current data, no production data", True),
    ("placeholder", True, "placeholder: a location still to be filled in (s3://your-..., <bucket>, TODO)", True),
    ("published", False, "unpublished metric: nothing in the repository publishes the custom metric it watches", True),
    ("ignored", True, "failures ignored (continue-on-error, || true, allow_failure)", True),
    ("no_trigger", True, "never runs: its workflow has no trigger (every event under on: is missing or commented out)", True),
    ("uncalled", True, "never runs from this repository: a reusable workflow (on: workflow_call only) that no workflow "
     "of the repository calls", True),
    ("uncreated", True, "never created: the monitor is created inside a function nothing in the repository calls", True),
    ("constant_value", True, "constant: only ever set to a literal (a simulated value), it measures nothing", True),
    ("opt_in_component", str, "opt-in: a component registered as {value} that no shipped config, code default or command selects", True),
    ("stopped_by_default", True, "stopped by default: a Dagster schedule or sensor runs only once someone turns it on "
     "(no default_status=RUNNING)", True),
    ("active", False, "not active: disabled, commented out or a placeholder", True),
    ("declared_only", True, "declared, never called", True),
    ("missing_script", True, "missing script: its command runs a file absent from the repository", True),
    ("on_demand", True, "on demand: computed when someone opens an interactive page, nothing runs it unattended", True),
    ("unreached", True, UNREACHED + ": nothing in the repository runs, imports or names this code", False),
    ("blocking", False, "non-blocking: its failure does not stop the pipeline", False),
    ("tuning_only", True, "hyperparameter search only", False),
    ("split_substitute", True, "test-set substitute: reads another data split when its input is absent", False),
)


# a caveat that says why more precisely than another (the generic one is then left out)
_SAYS_WHY = {"active": ("stopped_by_default",)}
# the generic caveat a precise one stands in for: a question that accepts the generic one accepts it too
_SAID_BY = {k: tuple(g for g, ks in _SAYS_WHY.items() if k in ks) for ks in _SAYS_WHY.values() for k in ks}


def caveats_of(attrs: Mapping[str, Any], capping: bool = False, accepted: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The caveats a finding's attributes name (only those that cap a yes with ``capping``, less the ``accepted``
    attribute names a question's yes condition takes on purpose)."""
    return tuple(
        text.format(value=attrs[key]) if bad is str else text for key, bad, text, caps in CAVEAT_ATTRS
        if key in attrs and (attrs[key] is bad or bad is str and isinstance(attrs[key], str) and attrs[key])
        and (not capping or (caps and key not in accepted and not any(g in accepted for g in _SAID_BY.get(key, ()))))
        and not any(attrs.get(k) for k in _SAYS_WHY.get(key, ()))
    )


# ---------------------------------------------------------------- wiring chain


# said after a chain's root that runs only when a person starts it (a ``workflow_dispatch``-only workflow, a Databricks
# job with no schedule or trigger): the scorer ranks what it reaches after what a push or a schedule runs
HAND_STARTED = " (started by hand)"


def started_by_hand(e: Evidence) -> bool:
    """Is the item reached only through a root that a person starts (its chain's root says so)?"""
    return bool(e.chain) and e.chain[-1].endswith(HAND_STARTED)


def describe_link(link: str) -> str:
    """A wiring chain element as a reader reads it."""
    for prefix, verb in (("ci ", "called from CI step "), ("dvc stage ", "run by DVC stage "), ("container ", "run by container "),
                         ("MLproject ", "run by MLproject entry "), ("pipeline definition ", "part of pipeline definition "),
                         ("console script ", "run as console script "), ("make ", "run by make ")):
        if link.startswith(prefix):
            return verb + link[len(prefix):]
    if link.startswith("__main__ script "):
        return "run as script " + link[len("__main__ script "):]
    if link.startswith("pytest "):
        return "collected by " + link
    if link.endswith((".py", ".ipynb")):
        return "imported by " + link
    return "run by " + link


# ---------------------------------------------------------------- the pass


Hint = tuple[str, str]  # (signal pattern, regex of the line that decides it), from rule packs' ``decisive: [{line}]``


def line_fact(regex: str) -> str:
    """The ``Evidence.fact`` of an item that cites a line matching a rule pack's ``decisive: [{line: regex}]``."""
    return f"line:{regex}"


def pack_hints(packs: Iterable[Any]) -> list[Hint]:
    """The deciding-line hints every question of the packs declares."""
    out: list[Hint] = []
    for pack in packs:
        for q in pack.questions:
            for sel in q.decisive:
                if sel.get("line") and (str(sel["signal"]), str(sel["line"])) not in out:
                    out.append((str(sel["signal"]), str(sel["line"])))
    return out


def focus(index: FileIndex, findings: Iterable[Finding], hints: Iterable[Hint] = ()) -> list[Finding]:
    """Findings whose evidence cites the deciding line with its context, chain and caveats; with ``hints``,
    a finding of a hinted signal also cites the line of its block that matches the hint (tagged ``line_fact``)."""
    compiled = [(sig, rx, lazy_re(rx)) for sig, rx in hints]  # compiled when a finding of its signal is focused
    out: list[Finding] = []
    chains: dict[str, tuple[str, ...]] = {}
    wired = None
    vpaths: dict[str, str] | None = None
    orphans: dict[str, bool] = {}
    for f in findings:
        lead = f.evidence[0] if f.evidence else None
        if lead is not None and lead.path.endswith(".py") and lead.source == "declared" and "unreached" not in f.attrs:
            if lead.path not in orphans:
                from .facts.unreached import unreached

                orphans[lead.path] = unreached(index, lead.path)
            if orphans[lead.path]:
                f = replace(f, attrs=MappingProxyType({**f.attrs, "unreached": True}))
        caveats = caveats_of(f.attrs)
        new = []
        changed = False
        for e in f.evidence:
            g = _focus_one(index, e)
            if e.path.endswith((".py", ".ipynb")) and e.source == "declared":
                if e.path not in chains:
                    if wired is None:
                        from .facts.wiring import wiring

                        wired = wiring(index)
                        vpaths = {x.path: x.vpath for x in index.entries}
                    vp = (vpaths or {}).get(e.path, e.path)
                    reach = wired.of(vp) or wired.test_run(vp)
                    links = [c for c in reach.chain if not c.endswith(" " + e.path) and c != e.path] if reach else []
                    described = [describe_link(c) for c in links]
                    if links and links[0] == reach.chain[0]:
                        from .facts.hand_started import hand_started  # a root a person must start ranks after automated ones

                        if hand_started(index, links[0]):
                            described[0] += HAND_STARTED
                    chains[e.path] = tuple(reversed(described))
                if chains[e.path]:
                    g = replace(g, chain=chains[e.path])
            if caveats and not g.caveats:
                g = replace(g, caveats=caveats)
            changed |= g is not e
            new.append(g)
        for sig, rx, pattern in compiled:
            if f.evidence and signal_matches(f.signal, sig):
                hit = _hinted(index, f.evidence[0], pattern, line_fact(rx))
                if hit is not None:
                    hit = replace(hit, chain=new[0].chain, caveats=new[0].caveats)
                    new.append(hit)
                    changed = True
        out.append(Finding(f.signal, f.detector, tuple(new), f.attrs, f.strength, f.source) if changed else f)
    return out


def signal_matches(signal: str, pattern: str) -> bool:
    return any(fnmatchcase(signal, p.strip()) for p in pattern.split("|"))


def _hinted(index: FileIndex, e: Evidence, pattern: re.Pattern[str], fact: str) -> Evidence | None:
    """An item citing the first line of ``e``'s block (its cited line, the lines below it that stay inside)
    that matches ``pattern`` and is not a comment; None when the cited line itself matches (and says something on
    its own: a step name that matches is no deciding line) or none does."""
    if not e.line or e.source != "declared":
        return None
    if e.path.endswith(".ipynb"):
        return _hinted_notebook(index, e, pattern, fact)
    return _hinted_in(index.lines(e.path), e, pattern, fact)


def _notebook_lines(index: FileIndex, path: str) -> tuple[list[str], list[int], tuple[int, ...]]:
    """A notebook's code cells as Python lines, for each the line of the .ipynb JSON that holds it (0 for a blank or a
    magic; found in order, so a line repeated in several cells maps to each of its own places) and its cell."""
    def build() -> tuple[list[str], list[int], tuple[int, ...]]:
        nb = index.notebook_source(path)  # no second parse: the tree is not wanted
        code = nb[0].splitlines() if nb else []
        raw = index.lines(path)
        # the JSON lines joined, each line's offset: a needle (JSON-escaped, so without a line break) found at or after
        # the offset of line ``cursor`` is in the first line from there that holds it, found by one search, not one per line
        joined = "\n".join(raw)
        starts = list(accumulate((len(r) + 1 for r in raw[:-1]), initial=0)) if raw else []
        where: list[int] = []
        cursor = 0
        for text in code:
            at = 0
            if text.strip() and cursor < len(raw):
                found = joined.find(json.dumps(text, ensure_ascii=False)[1:-1], starts[cursor])
                at = bisect_right(starts, found) if found >= 0 else 0
                cursor = at or cursor
            where.append(at)
        return code, where, nb[1] if nb else ()

    # kept for the scan (``derived``), not in the parse cache: weighed there by the notebook's JSON (outputs and all), the
    # code of one large notebook pushed the others out, and Azure/azureml-examples' evidence pass rebuilt 203 notebooks'
    # lines 544 times, reading each JSON again
    return index.derived(("notebook-lines", path), build)  # type: ignore[no-any-return]


def _hinted_notebook(index: FileIndex, e: Evidence, pattern: re.Pattern[str], fact: str) -> Evidence | None:
    """``_hinted`` for a notebook item: its code line's block is read as Python (a multi-line ``log_model(`` with its
    ``registered_model_name=`` below) and the line found is cited at its place in the .ipynb JSON, the snippet as code."""
    code, where, cells = _notebook_lines(index, e.path)
    if e.line not in where or len(cells) < len(code):
        return None
    at = where.index(e.line)
    lo = hi = at  # the item's cell: a block is read within it
    while lo > 0 and cells[lo - 1] == cells[at]:
        lo -= 1
    while hi < len(cells) and cells[hi] == cells[at]:
        hi += 1
    py = replace(e, path=e.path[: -len(".ipynb")] + ".py", line=at - lo + 1, end_line=at - lo + 1)
    hit = _hinted_in(code[lo:hi], py, pattern, fact)
    if hit is None or not hit.line or not where[lo + hit.line - 1]:
        return None
    first = where[lo + hit.line - 1]
    last = max([first, *(w for w in where[lo + hit.line - 1 : lo + (hit.end_line or hit.line)] if w)])
    return replace(hit, path=e.path, line=first, end_line=last)


def _hinted_in(lines: list[str], e: Evidence, pattern: re.Pattern[str], fact: str) -> Evidence | None:
    """``_hinted`` over the lines of ``e``'s file (a notebook's code lines for a notebook)."""
    if not (0 < (e.line or 0) <= len(lines)):
        return None
    if pattern.search(lines[e.line - 1][:SEARCH_CHARS]) and not is_bare(lines[e.line - 1], e.path):
        return None
    if any(pattern.search(lines[k - 1][:SEARCH_CHARS]) and lines[k - 1].strip() in e.snippet
           for k in range(e.line + 1, min(e.end_line or e.line, e.line + LOOKAHEAD, len(lines)) + 1)):
        return None  # the item already shows the deciding line below its first (``for k, v in m.items():`` / ``log_metric(k, v)``)
    base = _indent(lines[e.line - 1])
    item = lines[e.line - 1].lstrip().startswith("- ")
    # a Python statement that opens no block (``mapping = ColumnMapping()``) is read with the statements after it in
    # its function, up to the end of that function
    # a statement spread over lines (``mapping = ColumnMapping(`` ... ``)``) reads on past its closing bracket too; a
    # compound statement (``with DAG(`` ... ``) as dag:``) or a decorator opens a block, its body is the block
    head = _strip_trailing_comment(lines[e.line - 1].strip())
    statement = e.path.endswith(".py") and not head.endswith((":", "(", "[", "{", ",", "\\")) and not head.startswith("@")
    if e.path.endswith(".py") and head.endswith(("(", "[", "{")) and not _PY_COMPOUND.match(head) and not head.startswith("@"):
        statement = _statement_level(lines, e.line)  # an argument of an enclosing call (``actions=[`` ``Action(``) is no statement
    last = min(len(lines), max(e.line + HINT_LOOKAHEAD, e.end_line or 0))
    settings: int | None = None  # the depth of an ``env:`` block: a variable's name or value is not the step's action
    decorated = e.path.endswith(".py") and lines[e.line - 1].lstrip().startswith("@")
    docstring = ""  # the closing quotes of a Python docstring being skipped: it describes the block, it decides nothing
    for j in range(e.line + 1, last + 1):
        text = lines[j - 1]
        st = text.strip()
        if docstring:
            if docstring in st:
                docstring = ""
            continue
        if e.path.endswith(".py") and st[:3] in ('"""', "'''"):
            if st.count(st[:3]) == 1:
                docstring = st[:3]
            continue
        if not st or st.startswith(("#", "//")):
            continue
        ind = _indent(text)
        if settings is not None and ind > settings:
            continue
        settings = None
        if not e.path.endswith(".py") and _ENV_BLOCK.match(st):
            settings = ind
            continue
        if ind == base and st[0] in ")]}":
            continue  # the closing bracket of a multi-line opener (``with DAG(`` ... ``) as dag:``) stays in the block
        if decorated and ind == base and st.startswith(("def ", "async def ", "class ")):
            decorated = False  # ``@dag(...)`` cites the function it decorates: its body is the block
            continue
        # the next item of the list (``- ...``) ends an item's block; an option continuing a folded command (``--tag x``) does not
        if ind < base or (ind == base and not statement and (not item or st == "-" or st.startswith("- ")) and j > (e.end_line or e.line)):
            break
        if e.path.endswith(".py") and _PY_SETTING.match(st):
            continue  # ``stack_name=``, ``deployment_role=``: where and as whom the step runs, not what it does
        if e.path.endswith(".py") and _PY_LOG.match(st[:HEAD_CHARS]):
            continue  # ``logger.info(f"... -> v{version}")`` reports what was decided, it decides nothing
        if not e.path.endswith(".py") and _CONDITION.match(st) and not is_prose(e.path):
            continue  # a step's ``if:`` naming a deploy label says when it runs; the step's action decides
        if _structured(e.path) and _STEP_SETTING.match(st[:HEAD_CHARS]):
            continue  # ``RoleArn: !GetAtt DeployRole.Arn``, ``needs: deploy``: as whom and after what it runs, not what it does
        if pattern.search(text[:SEARCH_CHARS]):
            hit = _hint_item(lines, e, j, fact)
            # an argument of the multi-line call the item cited (opened with its first arguments on its line too,
            # ``steps.TrainingStep("Training Job", estimator=xgb,``): the call
            if e.path.endswith(".py") and head.endswith(("(", ",")) and not _PY_COMPOUND.match(head) and not hit.context \
                    and _inside_call(lines, e.line, j):
                hit = replace(hit, context=f"in {head[:80].rstrip(',')}{'' if head.endswith('(') else ', ...'})")
            return hit
    # a ``with`` block's set-up on the statement just above it (``mlflow.autolog()`` before ``with mlflow.start_run():``)
    with_block = e.path.endswith(".py") and head.startswith(("with ", "async with ")) and head.endswith(":")
    if statement or with_block:
        # what a Python statement uses may be set just above it (``ckpt = {"git": GIT_INFO}`` before ``torch.save(ckpt)``)
        in_doc = False  # inside a docstring read upwards: it describes the function, it sets nothing the statement uses
        for j in range(e.line - 1, max(0, e.line - LOOKAHEAD) - 1, -1):
            text = lines[j - 1]
            st = text.strip()
            quotes = st.count('"""') + st.count("'''")
            if in_doc or quotes:
                in_doc = in_doc != (quotes % 2 == 1)
                continue
            if not st or st.startswith("#"):
                continue
            if _indent(text) < base:
                break
            if pattern.search(text[:SEARCH_CHARS]):
                return _hint_item(lines, e, j, fact)
            if with_block:
                break  # only the statement right above a ``with`` sets it up
    return None


# a keyword argument passed through under its own name (``model_metrics=model_metrics,``): it says nothing on its own
_PASS_THROUGH = lazy_re(r"^(\w+)\s*=\s*(\w+)\s*[,)]*\s*(?:#.*)?$")


def pass_through_definition(lines: list[str], line: int) -> int | None:
    """The line defining the value that line ``line`` of a Python file passes through under its own name
    (``model_metrics=model_metrics`` -> ``model_metrics = ModelMetrics(``), when that definition, in the same function
    above it, builds the value over several lines (a call, dict or list left open): what is passed is said there. None
    otherwise (a name bound to a literal or a parameter says no more than the argument)."""
    if not (0 < line <= len(lines)):
        return None
    m = _PASS_THROUGH.match(lines[line - 1].strip()[:HEAD_CHARS])
    if m is None or m.group(1) != m.group(2):
        return None
    name = m.group(1)
    depth = _indent(lines[line - 1])
    assign = re.compile(r"^\s*" + re.escape(name) + r"\s*(?::[^=]+)?=(?!=)")
    for j in range(line - 1, max(0, line - HINT_LOOKAHEAD) - 1, -1):
        text = lines[j - 1]
        st = text.strip()
        if not st or st.startswith("#"):
            continue
        if _indent(text) < depth and st.startswith(("def ", "async def ", "class ")):
            return None  # the function's start: the name is its parameter
        if _indent(text) < depth and assign.match(text[:HEAD_CHARS]):
            return j if _strip_trailing_comment(st).endswith(("(", "{", "[")) else None
    return None


def _pass_through_item(lines: list[str], e: Evidence, j: int) -> Evidence | None:
    """``e`` citing what a pass-through argument on line ``j`` (``thresholds=thresholds,``) stands for: the multi-line
    definition of its value above it (``pass_through_definition``), else the call it is passed to with the argument
    (``mlflow.validate_evaluation_results(`` ... ``validation_thresholds=validation_thresholds,``); None when line ``j`` is
    no pass-through or no call encloses it."""
    m = _PASS_THROUGH.match(lines[j - 1].strip()[:HEAD_CHARS]) if 0 < j <= len(lines) else None
    if m is None or m.group(1) != m.group(2):
        return None
    d = pass_through_definition(lines, j)
    if d is not None:
        shown = _block_lines(lines, d)
        return replace(e, line=d, end_line=d + len(shown) - 1, snippet=clean_snippet(textwrap.dedent("\n".join(shown))), context="")
    depth = _indent(lines[j - 1])
    for k in range(j - 1, max(0, j - HINT_LOOKAHEAD) - 1, -1):
        st = _strip_trailing_comment(lines[k - 1].strip())
        if not st or st.startswith("#") or _indent(lines[k - 1]) >= depth:
            continue
        if not st.endswith("("):
            return None  # the argument belongs to no call opened on its own line
        snippet = "\n".join((lines[k - 1].strip(), "    " + lines[j - 1].strip()))
        return replace(e, line=k, end_line=j, snippet=clean_snippet(snippet), context="")
    return None


# a keyword argument on a line of its own (``prediction_col="prediction",``): one setting of a call written over lines
_KEYWORD_ARG = lazy_re(r"^\w+\s*=(?!=)\s*\S")
_DICT_ENTRY = lazy_re(r"""^(['"])\w[\w.-]*\1\s*:\s*[^\s{\[]""")


def _cited_cell_line(index: FileIndex, e: Evidence) -> tuple[list[str], list[int], tuple[int, ...], int] | None:
    """A notebook item citing one line of a code cell: the notebook's code lines, their .ipynb lines and cells
    (``_notebook_lines``) and the position of the cited one; None for a range or a line outside the code cells."""
    if e.line is None or e.end_line not in (None, e.line):
        return None
    code, where, cells = _notebook_lines(index, e.path)
    if e.line not in where or len(cells) < len(code):
        return None
    return code, where, cells, where.index(e.line)


def _notebook_keyword_item(index: FileIndex, e: Evidence) -> Evidence | None:
    """``_keyword_item`` for a notebook item citing one line of a code cell (``version="1.0-1",``): the call it is an
    argument of, read in its cell as Python, becomes its context (``in image_uri = sagemaker.image_uris.retrieve(...)``).
    None when the item cites a range, a line outside the code cells, or no keyword argument of a call."""
    cited = _cited_cell_line(index, e) if not e.context else None
    if cited is None:
        return None
    code, _, cells, at = cited
    lo = hi = at
    while lo > 0 and cells[lo - 1] == cells[at]:
        lo -= 1
    while hi < len(cells) and cells[hi] == cells[at]:
        hi += 1
    arg = _keyword_item(code[lo:hi], e, at - lo + 1)
    return replace(e, context=arg.context) if arg is not None else None


def _notebook_opener_item(index: FileIndex, e: Evidence) -> Evidence | None:
    """A notebook item citing the opener of a call written over lines (``vertex_ai.log_metrics(``) shows its first
    arguments, as a ``.py`` item does: the cited range runs through them in the .ipynb JSON, the snippet as code. None
    for a range, a line outside the code cells, or a line that opens no call."""
    cited = _cited_cell_line(index, e)
    if cited is None:
        return None
    code, where, cells, at = cited
    if not _strip_trailing_comment(code[at].strip()).endswith("("):
        return None
    hi = at
    while hi + 1 < len(cells) and cells[hi + 1] == cells[at]:
        hi += 1
    shown = _block_lines(code[at : hi + 1], 1)
    last = max([e.line, *(w for w in where[at : at + len(shown)] if w)])
    if len(shown) < 2 or last == e.line:
        return None
    return replace(e, end_line=last, snippet=clean_snippet(textwrap.dedent("\n".join(shown))))


def _keyword_item(lines: list[str], e: Evidence, j: int) -> Evidence | None:
    """``e`` citing the keyword argument on line ``j`` of a Python file (``prediction_col="prediction",``) in the context
    of the call it is an argument of, from the statement's call (``w.quality_monitors.create(``) through a nested call it
    sits in: ``in w.quality_monitors.create(inference_log=MonitorInferenceLog(...))``; the argument stays the cited, deciding
    line. None when line ``j`` is no keyword argument or no call opened on its own line encloses it."""
    st = _strip_trailing_comment(lines[j - 1].strip()[:HEAD_CHARS]) if 0 < j <= len(lines) else ""
    entry = bool(_DICT_ENTRY.match(st))  # a request dict's key (``'S3OutputPath': output_location``) in the call it configures
    if e.context or not (_KEYWORD_ARG.match(st) or entry) or _PY_COMPOUND.match(st):
        return None
    openers: list[int] = []
    depth = _indent(lines[j - 1])
    for k in range(j - 1, max(0, j - HINT_LOOKAHEAD) - 1, -1):
        text = _strip_trailing_comment(lines[k - 1].strip())
        if not text or text.startswith("#") or _indent(lines[k - 1]) >= depth:
            continue
        if entry and not openers and text.endswith(("{", "[")) and _inside_call(lines, k, j):
            depth = _indent(lines[k - 1])  # the dict (``OutputDataConfig={``) the entry belongs to: the call is above it
            continue
        if not text.endswith("(") or not _inside_call(lines, k, j):
            break
        openers.append(k)
        depth = _indent(lines[k - 1])
        if _statement_level(lines, k):
            break
    if not openers or not _statement_level(lines, openers[-1]):
        return None
    calls = [lines[openers[-1] - 1].strip()[:80]] + ([lines[openers[0] - 1].strip()[:60]] if len(openers) > 1 else [])
    return replace(e, context="in " + "".join(calls) + "..." + ")" * len(calls))


def _inside_call(lines: list[str], opener: int, line: int) -> bool:
    """Is line ``line`` still inside the brackets that line ``opener`` leaves open (quotes and comments read roughly)?"""
    depth = 0
    for k in range(opener, line):
        text = re.sub(r"'[^']*'|\"[^\"]*\"", "", _strip_trailing_comment(lines[k - 1][:SEARCH_CHARS]))
        depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
        if depth <= 0:
            return False
    return True


def _statement_level(lines: list[str], line: int) -> bool:
    """True when line ``line`` of a Python file starts a statement: the nearest less indented line above it opens a
    block (``def f():``) or there is none, rather than an enclosing bracket (``actions=[``)."""
    base = _indent(lines[line - 1])
    for j in range(line - 1, max(0, line - HINT_LOOKAHEAD) - 1, -1):
        st = _strip_trailing_comment(lines[j - 1].strip())
        if not st or st.startswith("#") or _indent(lines[j - 1]) >= base:
            continue
        return st.endswith(":")
    return True


def continued_statement(lines: list[str], j: int, path: str) -> tuple[int, int] | None:
    """(first, last) line of the shell statement that line ``j`` of a script, CI block or Makefile belongs to when it is
    written over lines joined by ``\\`` (``aws s3 cp \\`` / ``model.tar.gz \\`` / ``s3://bucket/models/``); None for a
    statement on one line and for Python (whose lines ``_keyword_item`` reads)."""
    if path.endswith((".py", ".ipynb")) or is_prose(path) or not (0 < j <= len(lines)):
        return None

    def joined(k: int) -> bool:
        return 0 < k <= len(lines) and lines[k - 1][:SEARCH_CHARS].rstrip().endswith("\\")

    first = j
    while joined(first - 1) and j - first < LOOKAHEAD:
        first -= 1
    last = j
    while joined(last) and last - j < LOOKAHEAD and last < len(lines):
        last += 1
    return (first, last) if last > first else None


def _statement_item(lines: list[str], e: Evidence, j: int, span: tuple[int, int]) -> Evidence:
    """``e`` citing the whole continued statement ``span`` holding line ``j``: its first line through its end, the snippet
    its lines (its first line and the deciding one when it runs over more than three)."""
    first, last = span
    shown = lines[first - 1 : last] if last - first < 3 else [lines[first - 1], lines[j - 1]] if j != first else lines[first - 1 : first + 2]
    return replace(e, line=first, end_line=last, snippet=clean_snippet(textwrap.dedent("\n".join(shown))),
                   context=structural_path(lines, first) if _structured(e.path) else e.context)


def _hint_item(lines: list[str], e: Evidence, j: int, fact: str) -> Evidence:
    """``e`` citing line ``j`` (moved to its first informative line) with a few lines of context, tagged ``fact``."""
    j = deciding_line(lines, j, e.path)  # ``outs:`` -> ``- path: model.pkl``
    if (span := continued_statement(lines, j, e.path)) is not None:
        return replace(_statement_item(lines, e, j, span), fact=fact)  # ``aws s3 cp \\`` ... ``s3://...``: the statement
    if e.path.endswith(".py"):
        passed = _pass_through_item(lines, e, j)
        if passed is not None:
            return replace(passed, fact=fact)
    keyed = (with_key(lines, e, j) or with_dependent(lines, e, j)) if _structured(e.path) else None
    if keyed is not None:
        return replace(keyed, end_line=j, fact=fact)
    shown = _block_lines(lines, j)
    return replace(e, line=j, end_line=j + len(shown) - 1, snippet=clean_snippet(textwrap.dedent("\n".join(shown))),
                   context=structural_path(lines, j) if _structured(e.path) else "", fact=fact)


def _focus_one(index: FileIndex, e: Evidence) -> Evidence:
    if e.source == "declared" and e.path.endswith(".ipynb"):
        e = _notebook_keyword_item(index, e) or e
        return _notebook_opener_item(index, e) or e
    if e.source != "declared":
        return e
    lines = index.lines(e.path)
    lock = is_lock_file(e.path)
    if not lines and lock and (e.line is None or e.line == 1):
        lines = index.head_lines(e.path, LOCK_HEAD_BYTES)  # too large to parse: its pinned packages are still its evidence
        if (t := model_pin_line(lines) or pin_line(lines)) is not None:
            shown = _block_lines(lines, t)
            return replace(e, line=t, end_line=t + len(shown) - 1, snippet=clean_snippet("\n".join(shown)),
                           context=structural_path(lines, t) if _structured(e.path) else e.context)
    if not lines:
        return e
    structured = _structured(e.path)
    if e.line is None:
        if e.snippet:
            return e
        t = (pin_line(lines) if lock else None) or telling_line(lines, e.path)
        if t is None:
            return e
        keyed = with_key(lines, e, t) if structured and not lock else None
        if keyed is not None:
            return keyed
        return replace(e, line=t, end_line=t, snippet=clean_snippet("\n".join(lines[t - 1 : t + 2])),
                       context=structural_path(lines, t) if structured else e.context)
    auto = index.snippet(e.path, e.line, e.end_line)
    if e.snippet and e.snippet != auto:
        return e  # the detector chose what to show
    if is_prose(e.path) and heading_only(e.snippet or auto):
        return _section_body(lines, e)
    j = deciding_line(lines, e.line, e.path, e.end_line)
    if e.end_line in (None, e.line) and (span := continued_statement(lines, j, e.path)) is not None and span[0] != j:
        return _statement_item(lines, e, j, span)  # a line inside a statement continued over lines: the whole statement
    # one word of a command's argument list (``args:`` / ``- run``) is read as the list below, not as a key's word item
    argv = structured and e.end_line in (None, e.line) and j == e.line and argument_list_end(lines, j) is not None
    keyed = (with_key(lines, e, j) or with_dependent(lines, e, j)) if structured and not lock and not argv else None
    if keyed is not None:
        return keyed
    if lock and not _PIN.match(lines[j - 1][:HEAD_CHARS] if 0 < j <= len(lines) else ""):
        # a lock file shows a pinned package, not its header or hash: a model library's entry when the detector cited the
        # file (its first line), the next pin below a line it chose
        j = (model_pin_line(lines) if e.line == 1 else None) or pin_line(lines, e.line) or j
    if e.path.endswith(".py") and e.end_line in (None, e.line, j) and (passed := _pass_through_item(lines, e, j)) is not None:
        return passed  # ``model_metrics=model_metrics``: what it passes, or the call it is passed to
    if e.path.endswith(".py") and e.end_line in (None, e.line) and (arg := _keyword_item(lines, e, j)) is not None:
        e = arg  # ``prediction_col="prediction",``: in the call it configures (``w.quality_monitors.create(``)
    if j == e.line and e.path.endswith(".py") and e.end_line in (None, e.line) and e.fact:
        # an item a detector tagged with the fact it shows (the metric a run logs) reads like a rule pack's deciding line
        shown = _block_lines(lines, j)
        return replace(e, end_line=j + len(shown) - 1, snippet=clean_snippet(textwrap.dedent("\n".join(shown))))
    if j == e.line and e.path.endswith(".py") and e.end_line in (None, e.line) and _strip_trailing_comment(lines[j - 1].strip()).endswith("("):
        shown = _block_lines(lines, j)  # a multi-line call's opener shows its first arguments (``action_name="Deploy"``)
        if len(shown) > 1:
            return replace(e, end_line=j + len(shown) - 1, snippet=clean_snippet(textwrap.dedent("\n".join(shown))))
    if j == e.line and structured and e.end_line in (None, e.line) and (last := argument_list_end(lines, j)):
        # one word of a command written as a list of arguments (``args: ['run', 'deploy', ...]``): the command is the
        # list, its words shown on one line (``'run', 'deploy', 'bert-app', '--image', ...``)
        words = [w for w in (t.strip().removeprefix("- ").rstrip(",]").strip() for t in lines[j - 1 : last])
                 if w and not _FOLDED_ITEM.match(f"- {w}")]  # a folded item's indicator (``>-``): its value is the next line
        ctx = structural_path(lines, j) if not e.context else e.context
        return replace(e, end_line=last, snippet=clean_snippet(", ".join(words)), context=ctx)
    if j == e.line:
        ctx = structural_path(lines, j) if structured and not e.context else e.context
        return replace(e, context=ctx) if ctx != e.context else e
    shown = _block_lines(lines, j)
    end = max(e.end_line or e.line, j + len(shown) - 1)
    return replace(e, line=j, end_line=end, snippet=clean_snippet(textwrap.dedent("\n".join(shown))),
                   context=structural_path(lines, j) if structured else e.context)


# ---------------------------------------------------------------- what a reviewer reads first

# template sources are not here: the index renders a template repository's templates (they are its product) and
# skips them elsewhere; a CI system's ``templates/`` folder holds the pipelines it runs
_DEMO_DIRS = frozenset({"demo", "demos", "sample", "samples", "example", "examples", "tutorial", "tutorials", "scratch", "sandbox",
                        "playground", "issue_template", "_templates", "_template",  # (a package's ``_templates/``: files it renders for its users)
                        # a research or benchmark tree beside the product: experiments and measurements, not the pipeline
                        "research", "benchmarks", "benchmark"})
# words of a code file's name that make it a try-out (``flow_playground.py``, ``demo_assets.py``, ``sandbox_dag.py``)
_DEMO_STEMS = frozenset({"playground", "demo", "demos", "sandbox", "scratch", "scratchpad"})
_CONTRIBUTOR_DOCS = ("contributing", "code_of_conduct", "changelog", "history", "authors", "security")
# superseded trees kept for the record (``archive/old-pipeline.yml``): the live configuration is elsewhere
_ARCHIVE_DIRS = frozenset({"archive", "archived", "deprecated"})


# course material: exercises and their solutions, homework and assignments (``s8_monitoring/exercise_files/``,
# ``homework_solution/``, ``lab-3-solutions/``); they teach a practice, the course does not run it
_COURSE_DIR = lazy_re(r"^(?:exercises?|exercise[-_]files|homeworks?(?:[-_]\w+)?|assignments?(?:[-_]\d+)?|"
                      r"(?:homework|exercise|lab|assignment|week|module)s?[-_\d]*solutions?)$")


def course_path(path: str) -> bool:
    """A file inside a course's exercise, solution, homework or assignment folder."""
    return any(_COURSE_DIR.match(p) for p in path.lower().split("/")[:-1])


def non_product_tree(path: str) -> bool:
    """A file inside a tree that is not the product: tests, vendored code, demo, example, tutorial, research, benchmark,
    archived or course trees (the folder decides; ``non_product_path`` also reads the file's own name)."""
    from .index import VENDOR_DIRS, is_test_path

    dirs = path.lower().split("/")[:-1]
    return (is_test_path(path) or any(p in VENDOR_DIRS or p in _DEMO_DIRS or p in _ARCHIVE_DIRS for p in dirs)
            or course_path(path))


def non_product_path(path: str) -> bool:
    """Test infrastructure, templates (not a Helm chart's), vendored, demo or archived trees, demo and template documents,
    contributor docs, AI coding-agent instruction files: where a practice may be shown without the project practising it."""
    from .index import VENDOR_DIRS, is_test_path

    parts = path.lower().split("/")
    dirs = parts[:-1]
    if is_test_path(path) or any(p in VENDOR_DIRS for p in dirs) or agent_instructions(path):
        return True
    if any(p in _DEMO_DIRS or p in _ARCHIVE_DIRS for p in dirs) or course_path(path):
        return True
    stem = parts[-1].split(".", 1)[0]
    if parts[-1].endswith(_PROSE) and (stem in _DEMO_DIRS or "template" in stem):
        return True  # DEMO.md, DOCS_TEMPLATE.md: a walkthrough or a form to fill in, not the project's procedure
    if not parts[-1].endswith(_PROSE) and set(re.split(r"[^a-z0-9]+", stem)) & _DEMO_STEMS:
        return True  # flow_playground.py, demo_assets.py: a try-out beside the project's own flow, often on made-up data
    return stem in _CONTRIBUTOR_DOCS


_RUNBOOK_WORDS = frozenset({"readme", "runbook", "runbooks", "operations", "operation", "ops", "playbook", "playbooks", "procedure",
                            "procedures", "rollback", "retrain", "retraining", "oncall", "maintenance", "incident", "incidents"})
_GUIDE_WORDS = frozenset({"setup", "install", "installation", "deploy", "deployment", "release", "releasing", "guide", "usage",
                          "quickstart", "started", "howto", "contributing"})
_NOTES_DIRS = frozenset({"design", "decisions", "adr", "adrs", "rfc", "rfcs", "proposals", "conventions", "notes", "planning", "plans",
                         "meetings", "minutes", "research", "literature", "blog", "posts"})


def doc_rank(path: str) -> int:
    """How directly a document is a procedure a reader follows: 0 a README or a runbook/operations page (and
    anything that is not a document), 1 a setup, deployment or release guide, 2 other documentation, 3 design notes,
    decision records, conventions and plans, which describe a practice without being it."""
    if not is_prose(path):
        return 0
    parts = path.lower().split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    camel = re.sub(r"([a-z])([A-Z])", r"\1 \2", path.rsplit("/", 1)[-1].rsplit(".", 1)[0]).lower()  # GetStarted: get started
    words = set(re.split(r"[^a-z0-9]+", stem)) | set(re.split(r"[^a-z0-9]+", camel)) | {p for p in parts[:-1] if p in _RUNBOOK_WORDS}
    if any(p in _NOTES_DIRS for p in parts[:-1]) or words & {"decision", "decisions", "convention", "conventions", "adr", "proposal",
                                                             "plan", "notes"}:
        return 3
    if words & _RUNBOOK_WORDS:
        return 0
    return 1 if words & _GUIDE_WORDS else 2


_HEADING = lazy_re(r"^\s{0,3}#{1,6}\s+\S|^\s{0,3}#{1,6}\s*$")
_SETEXT = lazy_re(r"^\s{0,3}(?:=+|-+)\s*$")


def heading_only(snippet: str) -> bool:
    """A Markdown snippet that is only a heading (``## retraining_dag.py``): it names a section, it shows nothing of it."""
    lines = [ln for ln in snippet.splitlines() if ln.strip()]
    if len(lines) == 2 and _SETEXT.match(lines[1]) and not _SETEXT.match(lines[0]):
        return True  # ``Rollback`` underlined with ``---``
    return bool(lines) and all(_HEADING.match(ln) for ln in lines)


def _section_body(lines: list[str], e: Evidence) -> Evidence:
    """A heading cited alone moves to the first lines of its section (blank lines, fences and a code block's comments
    left out; the heading becomes the item's context; a section opening with a deeper subsection is read on into it); it
    stays when the section is empty before the next heading."""
    first = e.line or 1
    shown: list[str] = []
    start = end = 0
    level = len(lines[first - 1].strip()) - len(lines[first - 1].strip().lstrip("#")) if 0 < first <= len(lines) else 0
    fenced = False  # inside a code block a ``# comment`` is no heading
    for j in range(first + 1, min(len(lines), first + LOOKAHEAD) + 1):
        st = lines[j - 1].strip()
        if st.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced and (_HEADING.match(lines[j - 1]) or (j == first + 1 and st and _SETEXT.match(st))):
            if shown:
                break
            if j == first + 1 and _SETEXT.match(st):
                continue
            if level and len(st) - len(st.lstrip("#")) > level:
                continue  # a section that opens with its first subsection (``## Retraining`` / ``### Check ...``): read on
            break
        if not st or (fenced and st.startswith("#")):
            continue  # a code block's comment describes the command below it
        start = start or j
        end = j
        shown.append(lines[j - 1])
        if len(shown) == 3:
            break
    if not shown:
        return e
    heading = lines[first - 1].strip().lstrip("#").strip()
    return replace(e, line=start, end_line=end, snippet=clean_snippet(textwrap.dedent("\n".join(shown))), context=heading[:80])


def leading_problem(ev: Evidence | Mapping[str, Any], lines: list[str] | None = None) -> str:
    """Why a leading evidence item does not show the practice on its own ('' when it does): its first
    snippet line is a bare key, bracket, block opener, step name, merge key or comment, or it cites a line but shows
    nothing of it; with the file's ``lines``, also a line in the middle of a statement continued over lines."""
    path = ev.path if isinstance(ev, Evidence) else str(ev.get("path") or "")
    snippet = ev.snippet if isinstance(ev, Evidence) else str(ev.get("snippet") or "")
    line = ev.line if isinstance(ev, Evidence) else ev.get("line")
    source = ev.source if isinstance(ev, Evidence) else str(ev.get("source") or "declared")
    if not snippet:
        # (a file too large or unreadable to show: ``uv.lock:1`` with nothing under it)
        return "a line cited with an empty snippet" if line and source == "declared" and not str(path).endswith(".ipynb") else ""
    if lines and isinstance(line, int) and (span := continued_statement(lines, line, path)) is not None and span[0] < line:
        return f"line {line} continues the statement of line {span[0]}"  # ``s3://bucket/...`` without its ``aws s3 cp \\``
    first = snippet.splitlines()[0]
    if is_prose(path) and heading_only(snippet):
        return f"bare heading {first.strip()[:60]!r}"
    kind_path = path[: -len(".ipynb")] + ".py" if path.endswith(".ipynb") else path
    rest = [ln.strip() for ln in snippet.splitlines()[1:] if ln.strip()]
    if rest and _KEY_OPENER.match(first.strip()) and all(_WORD_ITEM.match(ln) for ln in rest) and _structured(kind_path):
        return ""  # a key shown with its one-word items (``only:`` ``- schedules``): together they say what runs when
    if rest and _KEY_OPENER.match(first.strip()) and _NAMED_BY.match(rest[0]) and _structured(kind_path):
        return ""  # a block shown with the name it is given (``environment:`` ``name: production``): together they name it
    caveats = ev.caveats if isinstance(ev, Evidence) else ev.get("caveats") or ()
    if is_bare(first, kind_path) and not (_ECHO.match(first.strip()) and any(str(c).startswith("stub") for c in caveats)):
        return f"bare line {first.strip()[:60]!r}"  # (a stub's ``echo "deploying"`` is what the step does: its evidence)
    head = first.strip()[:HEAD_CHARS]
    if kind_path.endswith(".py") and (m := _PASS_THROUGH.match(head)) and m.group(1) == m.group(2) and len(snippet.splitlines()) == 1:
        return f"pass-through argument {head[:60]!r}"  # ``model_metrics=model_metrics``: its value is said elsewhere
    context = ev.context if isinstance(ev, Evidence) else str(ev.get("context") or "")
    if kind_path.endswith(".py") and _KEYWORD_SETTING.match(head) and len(snippet.splitlines()) == 1 and not context.startswith("in "):
        return f"keyword argument without its call {head[:60]!r}"  # ``prediction_col="prediction",``: a setting of what?
    if _structured(path) and _STEP_REFERENCE.match(head) and len(snippet.splitlines()) == 1:
        return f"step reference without its step {head[:60]!r}"  # ``- task_key: "preprocessing"``: what waits for it?
    if _structured(path) and not is_prose(path) and _CONDITION.match(head):
        return f"step condition {head[:60]!r}"  # ``if: github.event_name != 'pull_request'``: when a step runs, not what it does
    if _structured(path) and _LONE_WORD.match(head) and len(snippet.splitlines()) == 1:
        return f"one word of a list {head[:60]!r}"  # ``'run',``: one word of a command written as a list
    return ""


# a list item that names a step (``- task_key: "preprocessing"`` under ``depends_on:``): which step waits is not shown
_STEP_REFERENCE = lazy_re(r"""^-\s+["']?\w+_key["']?\s*:\s*\S""")
# a keyword argument written as PEP 8 writes one (no spaces around ``=``, unlike an assignment) and followed by more
# arguments: ``prediction_col="prediction",`` alone says nothing of the call it configures
_KEYWORD_SETTING = lazy_re(r"^\w+=(?!=).*,\s*(?:#.*)?$")
# the ``name:`` of a block, shown under its key (a GitHub job's ``environment:`` mapping)
_NAMED_BY = lazy_re(r"""^["']?name["']?\s*:\s*\S""")
# one quoted word and its comma, alone on a line of a flow list (``'run',``)
_LONE_WORD = lazy_re(r"""^(['"])[^'"\s]*\1\s*,\s*$""")
