"""Setup/run documentation a newcomer can follow: README or docs sections with install/run commands, a guide page of
numbered steps, or a README's setup section of numbered steps (Markdown, reStructuredText or AsciiDoc); feeds T1."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.ci_vocab import test_runner, test_target_name
from mlscan.facts.doc_blocks import (
    INSTALL,
    LIST,
    RUN,
    TEXT,
    Block,
    Document,
    Section,
    classify,
    commands,
    document,
    missing_file,
    planned,
    project_docs,
)
from mlscan.facts.placeholders import placeholder_shell
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

# set-up and prerequisite headings of READMEs written in French, Spanish, Portuguese and German
_FOREIGN_PREREQUISITES = r"pr[ée]-?requis|pr[ée]-?requisitos|requisitos|voraussetzungen"
_FOREIGN_SETUP = (_FOREIGN_PREREQUISITES + r"|instala\w*|installieren|d[ée]marrage|d[ée]marrer|mise en place|utilisation|"
                  r"lancement|lancer|exécution|configuraci[oó]n|configura[çc][ãa]o|ejecuci[oó]n|execu[çc][ãa]o|uso|"
                  r"primeros pasos|primeiros passos|einrichtung|verwendung|schnellstart|ausf[üu]hren|inbetriebnahme")
# the same headings in Japanese, Chinese and Korean READMEs ("セットアップ手順", "环境配置", "快速开始", "설치"): words written
# without spaces, so matched anywhere in the heading (no word boundary between them and the next character)
_CJK_SETUP = (r"セットアップ|インストール|環境構築|導入手順|使い方|実行方法|クイックスタート|始め方|"
              r"安装|快速开始|快速上手|使用方法|环境配置|環境設定|部署|설치|시작하기|사용법|실행")
# a section (or a whole page, by its file name) that tells someone how to set up or run the project
_SETUP = lazy_re(
    r"\b(install\w*|set[\s_-]?up|setting[\s_-]up|getting[\s_-]started|get[\s_-]started|quick[\s_-]?start|usage|how[\s_-]to|"
    r"run\w*|execut\w*|launch\w*|start\w*|develop\w*|local\w*|deploy\w*|build\w*|train\w*|tutorials?|guides?|steps?|"
    r"prerequisites?|requirements|environment|walkthrough|scripts?|commands?|docker|serv(e|ing)|test\w*|reproduc\w*|"
    r"pipelines?|workflows?|experiments?|inference|predict\w*|evaluat\w*|bootstrap\w*|onboarding|instructions?|"
    r"demo|examples?|configur\w*|provision\w*|operat\w*|"
    # the same headings in French, Spanish, Portuguese and German READMEs ("Pré-requis", "Instalación", "Démarrage")
    + _FOREIGN_SETUP + r")\b|" + _CJK_SETUP,
    re.IGNORECASE,
)
MAX_FILES = 6
# a guide page without commands still counts when it walks through numbered steps ("1. Create ...", "**Step 2.** ...")
MIN_STEPS = 3
_STEP = lazy_re(r"^[*_\s]*step\s*\d+\b", re.IGNORECASE)
_INLINE_CODE = lazy_re(r"`([^`\n]+)`")
# a command the page itself calls optional ("(Optional) ...", "Alternatively, ...", "if you want to ...", "you can copy
# additional records like so") or only a possibility ("CI runs the steps in cloudbuild.yaml, which may include: running
# `terraform apply`"): an aside, not a step a newcomer has to follow
_OPTIONAL = lazy_re(r"\boptional(ly)?\b|\balternatively\b|\b(may|might|could) (include|involve)\b|\bif you (want|wish|prefer|would like)\b|\bnot (required|needed|necessary)\b|"
                    r"\byou (can|may) (also )?\w+ (additional|extra|more)\b|\b(if you'?re|if you are) (really )?in a hurry\b", re.IGNORECASE)
# the machine's package manager: a prerequisite of the machine (curl, a VPN client, drivers, a CLI), not the project's setup
# (``sudo apt install curl``, ``brew install terraform``, a vendor's ``curl ... | sh`` installer): it installs, it runs nothing
_BUILDS_IMAGE = lazy_re(r"\bdocker[\s-]compose\s+(.*\s)?(up\s+(.*\s)?--build\b|build\b)|\b(docker|podman)\s+(image\s+)?build\b")
_SYSTEM_INSTALL = lazy_re(r"^\s*(sudo\s+(-\S+\s+)*)?(apt(-get)?|brew|yum|dnf|snap|choco|apk|pacman|zypper|port)\s+(-\S+\s+)*install\b|"
                          r"\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z)?sh\b|^\s*(sudo\s+)?(ba|z)?sh\s+<\(\s*(curl|wget)\b|"
                          r"\b(irm|iwr|Invoke-WebRequest)\b[^|]*\|\s*iex\b")  # (a table cell's ``\|`` is read as ``|``)



# a command that adds a dependency to the project's declaration (``uv add``, ``poetry add``): what a contributor does to
# change the project, not a step of setting it up; so is an install whose package is a placeholder to fill in
# (``uv add [package-name]``, ``pip install <package>``; ``az ad sp show --id <app_id>`` is a step with a value to fill in)
_ADDS_DEPENDENCY = lazy_re(r"^\s*(uv|poetry|pdm|rye|pixi|hatch|yarn|pnpm|pipenv)\s+add\b|^\s*(npm|pipenv)\s+(install|i)\s+(-\S+\s+)*[A-Za-z@<\[{]")
_PLACEHOLDER_WORD = lazy_re(r"^(<[^<>-][^<>]*>|\[[\w.][\w\s.-]*\]|\{[\w.][\w\s.-]*\}|your[_-][\w-]+|YOUR_[A-Z_]+)$")
_PACKAGE_MANAGERS = frozenset({"pip", "pip3", "pipx", "uv", "poetry", "pdm", "pipenv", "conda", "mamba", "micromamba", "npm", "yarn", "pnpm"})


# a command that installs what the project itself declares: its lock, requirements or package, its environment file, its
# set-up target, or its stack of services
_PROJECT_INSTALL = lazy_re(
    r"^\s*(sudo\s+)?((python[\d.]*\s+-m\s+)?pip[\d.]*\s+install\s+(.*\s)?(-r|--requirement|-e|--editable)(\s|=)|"
    r"(python[\d.]*\s+-m\s+)?pip[\d.]*\s+install\s+(-\S+\s+)*\.(\[[^\]]*\])?(\s|$)|uv\s+(sync|pip\s+(sync|install\s+(-r|-e)))\b|"
    r"poetry\s+install\b|pipenv\s+(sync|install(\s+-\S+)*\s*$)|pdm\s+(install|sync)\b|rye\s+sync\b|pixi\s+install\b|"
    r"(conda|mamba|micromamba)\s+(env\s+(create|update)|create\s+.*(-f|--file))|npm\s+(ci|install)\s*$|"
    r"make\s+(install|setup|requirements|deps|dependencies|env|venv|init|bootstrap)\s*$|docker[\s-]compose\s+(.*\s)?up\b)")


# a command that creates a new project from a template (cookiecutter, copier, ``databricks bundle init``, ``kedro new``,
# ``uv init``, ``npx create-...``): it starts another project, it neither installs nor runs this one
_SCAFFOLD = lazy_re(r"^\s*(cookiecutter\b|copier\s+(copy|new|run)\b|databricks\s+bundle\s+init\b|dbx\s+init\b|kedro\s+new\b|"
                    r"(uv|poetry|pdm|hatch|rye|pixi|cargo)\s+(init|new)\b|django-admin\s+startproject\b|npx\s+create-|"
                    r"(npm|yarn|pnpm)\s+(init|create)\b|mlflow\s+recipes\s+create\b|zenml\s+init\b)")


def _guidance(cmd: str) -> bool:
    """A command a page gives as guidance for changing the project or as a template, not a set-up step: adding a
    dependency, an install of a placeholder package, creating a new project from a template."""
    words = cmd.split()
    return bool(_ADDS_DEPENDENCY.match(cmd) or _SCAFFOLD.match(cmd)) or (
        bool(words) and words[0] in _PACKAGE_MANAGERS and classify(cmd) == INSTALL and any(_PLACEHOLDER_WORD.match(w) for w in words[1:]))


# a command that only shows state (``kubectl get deployments``, ``docker ps``, ``helm status``, ``az ad sp show``, ``gcloud
# ... describe``): a guide checks with it what an earlier step (a pipeline, a portal) did; it sets up and runs nothing
_INSPECTS = lazy_re(r"^\s*(sudo\s+)?((kubectl|oc)\s+(get|describe|logs|top|explain|version|cluster-info|config\s+(view|get-\w+))\b|"
                    r"helm\s+(list|ls|status|history|get|show|search)\b|docker\s+(ps|images|logs|inspect|info|version)\b|"
                    r"docker[\s-]compose\s+(ps|logs|config)\b|git\s+(status|log|diff|show|branch)\b|"
                    r"(az|gcloud)\s+([\w-]+\s+)*(show|list|describe)(\s|$))")


def _inline_line(index: FileIndex, e: FileEntry, first: int, cmd: str) -> int:
    """The line of a paragraph (starting at ``first``) holding the inline command ```cmd```: a paragraph's later
    sentence ("Try `python train.py -c config.json` to run code.") is cited at its own line, not at the paragraph's
    opening sentence; ``first`` when no line of the paragraph shows it whole."""
    lines = index.lines(e.path)
    needle = f"`{cmd}`"
    for n in range(first, min(first + 40, len(lines) + 1)):
        text = lines[n - 1]
        if needle in text:
            return n
        if not text.strip():
            break  # the paragraph ended
    return first


def _tests_only(cmd: str) -> bool:
    """A command that runs the project's tests (``pytest tests/unit -v``, ``python -m unittest``, ``make test``,
    ``npm test``): what a contributor checks, not how a newcomer sets up or runs the project."""
    if test_runner(cmd):
        return True
    w = cmd.split()
    # a test script run by its path (``./run-unit-tests.sh``, ``bash scripts/test.sh``): named for the tests it runs
    script = w[1] if len(w) >= 2 and w[0] in ("bash", "sh", "zsh") else w[0] if w else ""
    if script.endswith(".sh") and set(re.split(r"[-_.]", script.rsplit("/", 1)[-1].lower())) & _TEST_WORDS:
        return True
    return len(w) >= 2 and w[0] in ("make", "just", "task", "poe", "invoke", "inv", "nox", "tox") and test_target_name(w[1])


_TEST_WORDS = frozenset({"test", "tests", "unittest", "unittests", "pytest"})


def _system_install(cmd: str) -> bool:
    return bool(_SYSTEM_INSTALL.search(cmd.replace("\\|", "|")))


def _onboarding(name: str) -> bool:
    """Is the page named for onboarding (``GetStarted.md``, ``TEAM_SETUP.md``, ``quickstart.rst``; not ``dataset_upload.md``)?"""
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", name.rsplit(".", 1)[0]).replace("_", " ").replace("-", " ")
    return bool(_ONBOARDING.search(stem))


def _reference(trail: tuple[str, ...] | list[str]) -> bool:
    """A section under a command-reference heading ("Quick Reference Commands > Training") and no setup heading."""
    below = trail[1:] if len(trail) > 1 else trail  # the page's own title ("# mytool CLI") names the project, not a section
    return any(_REFERENCE.search(t) for t in below) and not any(_README_SETUP.search(t) for t in trail)


# a README section that is the setup guide by its heading ("Getting started", "Installation", "Quick start", "Usage")
_README_SETUP = lazy_re(r"\b(getting[\s_-]started|get[\s_-]started|quick[\s_-]?start|set[\s_-]?up|setting[\s_-]up|install\w*|usage|"
                        r"how[\s_-]to[\s_-](run|use|start)|running|" + _FOREIGN_SETUP + r")\b|" + _CJK_SETUP, re.IGNORECASE)


# a heading that names the project's own way in ("Quick start", "Getting started", "Setup", "Installation", "How to run"),
# narrower than ``_README_SETUP`` ("Running debug tasks", "Installing Kubernetes via Minikube", "Usage" of one tool)
_QUICK_START = lazy_re(r"\b(?:getting[\s_-]started|get[\s_-]started|quick[\s_-]?start|how[\s_-]to[\s_-](?:run|use|start)|"
                       r"(set[\s_-]?up|setting[\s_-]up|installation))\b", re.IGNORECASE)


# a section that describes the system rather than telling the reader what to do: its numbered list is the order things
# happen in ("Flow: 1. Code pushed to GitHub, 2. CI builds the image"), not steps to follow
_DESCRIBES = lazy_re(r"\b(flow|architecture|overview|diagram|how it works|features?|components?|outline)\b", re.IGNORECASE)


# a line that stands for a heading in a README written without Markdown headings: short, on its own, not a sentence
# (``[+] Installation and Execution``, ``=== Usage ===``); a line ending in a colon introduces the block after it
_PLAIN_HEADING = lazy_re(r"^[\W_]{0,4}\s*([A-Za-z][\w /&()-]{1,48}?)\s*[\W_]{0,4}$")


def _plain_headings(doc: Document) -> tuple[Section, ...]:
    """The sections of a page (a README) with no Markdown headings at all (one untitled section), split at the paragraphs of a
    single short line that stand for headings; any other page keeps its sections."""
    if len(doc.sections) != 1 or doc.sections[0].title:
        return doc.sections
    out: list[Section] = []
    title, line, blocks = "", doc.sections[0].line, []  # type: ignore[var-annotated]
    for b in doc.sections[0].blocks:
        m = _PLAIN_HEADING.match(b.text) if b.kind == TEXT and "\n" not in b.text.strip() else None
        if m and not b.text.rstrip().endswith((".", ",", ";", ":")):
            if blocks or title:
                out.append(Section(title, 1 if title else 0, line, (title,) if title else (), tuple(blocks)))
            title, line, blocks = m.group(1).strip(), b.line, []
            continue
        blocks.append(b)
    out.append(Section(title, 1 if title else 0, line, (title,) if title else (), tuple(blocks)))
    return tuple(out)


# a section listing what the reader's machine needs before the set-up starts ("Prerequisites", "Before you begin")
_PREREQUISITES = lazy_re(r"\b(pre-?requisites?|before you (begin|start)|what you need|you will need|system requirements|"
                         + _FOREIGN_PREREQUISITES + r")\b", re.IGNORECASE)
# upgrading the installer itself (``pip install --upgrade pip``, ``python -m pip install -U pip setuptools wheel``):
# machine preparation before the project's own install
# (or installing the installer the project's set-up then uses: ``pip install uv``, ``pipx install poetry``)
_INSTALLER_UPGRADE = lazy_re(r"^\s*(python[\d.]*\s+-m\s+)?pip[x\d.]*\s+install\s+(-\S+\s+)*(pip|setuptools|wheel|uv|poetry|pipenv|pdm|pipx|"
                             r"hatch|rye|virtualenv|pip-tools|conda-lock)(\s+(pip|setuptools|wheel|uv|poetry|pipenv|pdm|pipx|hatch|rye|"
                             r"virtualenv|pip-tools|conda-lock))*\s*$")
_ONBOARDING = lazy_re(r"\b(get(ting)?[\s_-]?started|quick[\s_-]?start|set[\s_-]?up|install\w*|onboard\w*)\b", re.IGNORECASE)
_LISTS_ONLY = lazy_re(r"^\s*[\w.-]+\s+(--list|-l|--help|-h|help|--version|-V|list)\s*$")
# a section that is a command reference ("Quick Reference Commands", "CLI", "Cheat sheet") rather than the steps to set up
_REFERENCE = lazy_re(r"\b(reference|cheat[\s_-]?sheet|commands?|cli)\b", re.IGNORECASE)


_MAKE = lazy_re(r"^\s*make((?:\s+[A-Za-z0-9_.][\w.-]*)*)\s*$")


_COMPOSE = lazy_re(r"^\s*(docker-compose|docker\s+compose)\b(?!(\s+-\S+)*\s+(-f|--file|--project-directory)\b)")
_SCRIPT = lazy_re(r"^\s*(?:(?:ba|z)?sh\s+)?(\.{0,2}/?[\w./-]+\.sh)\s*$")
_PY_SCRIPT = lazy_re(r"^\s*python[\d.]*\s+(?:-[uOB]+\s+)*((?:\./)?[\w/.-]+\.py)(?:\s|$)")
_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def _runs_nothing(index: FileIndex, doc_path: str, cmd: str, unbuilt: set[str] | None = None) -> bool:
    """A command whose file beside the page (else at the root) defines nothing to run: ``make build`` with no ``build``
    target, ``docker compose up`` with a compose file that declares no services (an empty placeholder file), ``bash
    run_demo.sh`` whose script only echoes, ``docker build -t app .`` with no Dockerfile in its context (its tag is added
    to ``unbuilt``) and ``docker run app`` of such an image."""
    here = doc_path.rsplit("/", 1)[0] + "/" if "/" in doc_path else ""
    if _LISTS_ONLY.match(cmd):
        return True  # ``invoke --list``, ``make help``: prints what there is to run, runs none of it
    if missing_file(index, doc_path, cmd):
        return True  # ``python src/train.py``, ``bash setup.sh``, ``pip install -r requirements.txt``: no such file here
    if _COMPOSE.match(cmd):
        found = next((x for d in dict.fromkeys((here, "")) for x in index.select(tuple(f"{d}{n}" for n in _COMPOSE_FILES))), None)
        if found is None:
            return False
        docs = index.yaml(found.path)
        return not any(isinstance(d, dict) and isinstance(d.get("services"), dict) and d["services"] for d in docs)
    m = _SCRIPT.match(cmd)
    if m:
        found = next((x for d in dict.fromkeys((here, "")) for x in index.select((f"{d}{m.group(1).lstrip('./')}",))), None)
        return found is not None and placeholder_shell(index.text(found.path) or "")
    m = _PY_SCRIPT.match(cmd)
    if m:  # ``python app.py`` where the repository has no app.py anywhere (the page may cd into any folder first)
        rel = m.group(1).removeprefix("./")
        return not index.select((rel, f"**/{rel}"))
    if _DOCKER_BUILD.match(cmd):
        if not _no_dockerfile(index, here, cmd):
            return False
        words = cmd.split()
        tags = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-t", "--tag")] + \
            [w.split("=", 1)[1] for w in words if w.startswith("--tag=")]
        if unbuilt is not None:
            unbuilt.update(t.split(":")[0] for t in tags)
        return True
    m = _DOCKER_RUN.match(cmd)
    if m and unbuilt:
        return any(w.split(":")[0] in unbuilt for w in cmd.split()[2:] if not w.startswith("-"))
    return _undefined_make(index, doc_path, cmd)


_DOCKER_RUN = lazy_re(r"^\s*(?:sudo\s+)?(?:docker|podman)\s+(?:container\s+)?run\s")
_DOCKER_BUILD = lazy_re(r"^\s*(?:sudo\s+)?(?:docker|podman)\s+(?:image\s+)?build\s")
# ``docker build`` options that take a value (the context is the one positional argument)
_BUILD_VALUE_OPTS = frozenset({"-t", "--tag", "--build-arg", "--target", "--platform", "--network", "--label", "--cache-from",
                               "--cache-to", "--secret", "--ssh", "--progress", "-o", "--output", "--add-host", "--iidfile",
                               "--build-context", "-m", "--memory", "--shm-size", "--ulimit", "--builder"})


def _no_dockerfile(index: FileIndex, here: str, cmd: str) -> bool:
    """``docker build -t app .`` whose context (beside the page, else from the root) holds no Dockerfile and that names
    none with ``-f``: the build fails, so the step installs nothing (a repository of ``Dockerfile.train`` and
    ``Dockerfile.api`` only)."""
    words = cmd.split()
    ctx = None
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-f", "--file") or w.startswith(("--file=", "-f=")) or (w.startswith("-f") and len(w) > 2 and not w.startswith("--")):
            return False
        if w.startswith("-"):
            i += 2 if w in _BUILD_VALUE_OPTS else 1
            continue
        if w not in ("sudo", "docker", "podman", "image", "build"):
            ctx = w
        i += 1
    if ctx is None or ctx == "-" or "://" in ctx or ctx.startswith(("git@", "$", "~", "/")) or any(c in ctx for c in "$`{<>|&;"):
        return False
    ctx = ctx.strip("'\"").removeprefix("./").rstrip("/")
    ctx = "" if ctx in (".", "") else ctx + "/"
    return not any(index.select(tuple(f"{d}{ctx}{n}" for n in ("Dockerfile", "dockerfile", "Containerfile")))
                   for d in dict.fromkeys((here, "")))


def _undefined_make(index: FileIndex, doc_path: str, cmd: str) -> bool:
    """``make build`` where the Makefile beside the page (else at the root) defines none of the targets asked for (a
    Makefile left as a placeholder defines none): the command runs nothing. A command with options, variables or
    another directory (``make -C infra``, ``make train X=1``) is not judged."""
    m = _MAKE.match(cmd)
    if not m:
        return False
    here = doc_path.rsplit("/", 1)[0] + "/" if "/" in doc_path else ""
    found = next((x for d in dict.fromkeys((here, "")) for x in index.select((f"{d}Makefile", f"{d}makefile", f"{d}GNUmakefile"))), None)
    if found is None:
        return False
    from mlscan.facts.taskrunners import makefile_recipes  # imported where a Makefile is read

    recipes = makefile_recipes(index.text(found.path) or "")
    wanted = m.group(1).split()
    return not recipes if not wanted else not any(t in recipes for t in wanted)


_SENTENCE_END = (".", ":", ",", ";", "!", "?")
# words that follow a tool's name in a sentence, never as its subcommand ("docker is used to ...")
_PROSE_WORDS = frozenset({"is", "are", "was", "were", "be", "and", "or", "the", "a", "an", "to", "for", "will", "can", "should",
                          "must", "has", "have", "with", "of", "in", "on", "that", "which", "it", "as", "by", "from"})
# a one-line label that introduces the commands below it ("Docker:", "Inference:")
_LABEL = lazy_re(r"^[A-Za-z][\w /&()+-]{0,40}:$")


def _bare_commands(index: FileIndex, doc_path: str, b: Block) -> list[tuple[int, str, str]]:
    """A paragraph that is nothing but shell commands written as plain lines (no code fence: ``docker compose -f
    docker-compose.yaml up -d`` under "### 3 Start the stack"), after an optional one-line label (``Docker:``):
    ``(line, command, kind)`` of its install and run commands. Every line must read as a command (lower-case, a known
    command not followed by a word of prose, no sentence punctuation at its end; ``docker build .`` ends in a path);
    one line of prose makes the paragraph prose. Lines are read from the page (a paragraph's text joins them)."""
    lines = index.lines(doc_path) if b.end_line >= b.line else []
    rows = [(b.line + i, raw.strip()) for i, raw in enumerate(lines[b.line - 1:b.end_line]) if raw.strip()] or [(b.line, b.text.strip())]
    if len(rows) > 1 and _LABEL.match(rows[0][1]):
        rows = rows[1:]
    joined: list[tuple[int, str]] = []
    for line, text in rows:  # ``\`` continues a command on the next line
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1].rstrip() + " " + text)
        else:
            joined.append((line, text))
    out: list[tuple[int, str, str]] = []
    for line, cmd in joined:
        kind = _bare_kind(index, cmd)
        if kind is None:
            return []
        if kind in (INSTALL, RUN) and not _runs_nothing(index, doc_path, cmd):
            out.append((line, cmd, kind))
    return out


def _bare_kind(index: FileIndex, cmd: str) -> str | None:
    """What a line written as a bare command does (``classify``), None when it reads as prose instead."""
    kind = classify(cmd)
    words = cmd.split()
    if kind is None or not (cmd[0].islower() or cmd[0] in "./") or (cmd.endswith(_SENTENCE_END) and not cmd.endswith(" .")) \
            or len(words) > 1 and words[1].lower() in _PROSE_WORDS:
        return None
    head = words[0].rsplit("/", 1)[-1]
    if head.startswith("python") and not (len(words) > 1 and (words[1].endswith(".py") or words[1] in ("-m", "-c"))):
        return None  # "python is required": prose
    if head in ("make", "gmake") and not index.select(("Makefile", "makefile", "GNUmakefile", "**/Makefile")):
        return None  # "make sure ...": prose, unless the project has a Makefile
    return kind


def _indent_of(index: FileIndex, path: str, line: int) -> int:
    lines = index.lines(path)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text) - len(text.lstrip())


def _steps(doc: Document, readme: bool = False) -> list[Block]:
    """The numbered steps of a page: ordered list items and paragraphs that start with "Step N". In a README, only
    the steps of a section whose heading names the setup guide ("Getting started": 1. start the services, 2. fill
    in the secrets, 3. run the pipeline's steps in order); a README's other numbered lists are features or notes, and
    so are those of a sub-section that describes the system ("Flow", "Architecture")."""
    out: list[Block] = []
    for sec in doc.sections:
        if planned(sec.trail):
            continue
        setup = any(_README_SETUP.search(t) for t in sec.trail) and not _DESCRIBES.search(sec.title)
        if readme and not setup:
            continue
        out += [b for b in sec.blocks if b.kind == LIST and b.ordered or b.kind == TEXT and _STEP.match(b.text)]
        # a set-up section written as bullets, each an instruction ("- Fork this repository", "- Create a service
        # principal ...", "- Update your workspace in `cli/setup.sh`"), is numbered steps without the numbers
        bullets = [b for b in sec.blocks if b.kind == LIST and not b.ordered and _INSTRUCTION.match(b.text.strip())]
        if setup and not any(b.kind == LIST and b.ordered for b in sec.blocks) and len(bullets) >= MIN_STEPS:
            out += bullets
    return sorted(out, key=lambda b: b.line)


# the verb an instruction starts with ("Fork this repository", "Create a service principal", "Update your settings")
_INSTRUCTION = lazy_re(r"^[*_]*(fork|clone|create|install|set|configure|update|add|run|open|go|navigate|download|copy|edit|"
                       r"start|deploy|build|export|enable|register|sign|log\s?in|generate|save|upload|choose|select|replace|fill|"
                       r"provide|define|launch|execute|follow|make sure|ensure|activate|initiali[sz]e|authenticate|grant|assign|"
                       r"provision|apply|push|trigger|connect)\b", re.IGNORECASE)


# where a sentence or a clause ends: an optional clause ("or if you want to schedule it, run ...") begins an aside
_CLAUSE = lazy_re(r"(?<=[.;!?])\s+|,\s*(?=(?:or|and|but|otherwise)\b)|\s(?=or\s+if\b)")


def _clauses(text: str) -> list[str]:
    """The sentences and clauses of a paragraph, split outside its inline code (``cd src. python x.py`` stays whole)."""
    masked = _INLINE_CODE.sub(lambda m: "`" + "x" * (len(m.group(0)) - 2) + "`", text)
    cuts = [0, *(m.end() for m in _CLAUSE.finditer(masked)), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def _before_optional(text: str) -> list[str]:
    """The clauses of a paragraph before the first one that calls something optional."""
    out: list[str] = []
    for clause in _clauses(text):
        if _OPTIONAL.search(clause):
            break
        out.append(clause)
    return out


_ITEM_ARG = lazy_re(r"^(-{1,2}[\w-]+|[a-z0-9][\w.:/=-]*|\.{1,2}(/[\w./-]*)?)$")


def _bare_item(index: FileIndex, doc_path: str, b: Block) -> list[tuple[int, str, str]]:
    """A one-line list item that is nothing but a shell command (``- pip install -r requirements.txt`` under "Configure
    your environment"), read like a paragraph of bare commands: ``[(line, command, kind)]`` or none."""
    cmd = b.text.strip()
    words = cmd.split()
    # a one-word item (``- docker``) names a tool to have; a requirement (``tensorboard >= 1.14 (see [docs](#tb))``) or
    # an item with Markdown markup is a note: a command's second word is a subcommand, a path or an option
    if b.line != b.end_line or len(words) < 2 or not _ITEM_ARG.match(words[1]) or any(c in cmd for c in "[]()*`"):
        return []
    kind = _bare_kind(index, cmd)
    return [(b.line, cmd, kind)] if kind in (INSTALL, RUN) and not _runs_nothing(index, doc_path, cmd) else []


# an entry of a curated list ("awesome-…", "best-of-…"): a list item that opens with a link to another project
# (``- [Aim](https://github.com/aimhubio/aim) - a tracker, install with `pip install aim```, ``* **[DVC](https://dvc.org)**:``,
# ``- <a href="…">X</a>``); the commands in it set up that project, not this one
_LINK_ENTRY = lazy_re(r"^[*_\s]*(\[[^\]\n]+\]\(\s*(https?:)?//[^)\s]+[^)]*\)|<a\s[^>]*href=[\"']?(https?:)?//)", re.IGNORECASE)
# a section made of such entries (at least this many, and two thirds of its list items), or a page made of them (at
# least PAGE_LINK_ENTRIES: a README's few links to its prerequisites or references do not make it a curated list)
MIN_LINK_ENTRIES = 3
PAGE_LINK_ENTRIES = 10


def _link_entries(blocks: tuple[Block, ...] | list[Block]) -> tuple[int, int]:
    """How many of ``blocks`` are curated-list entries, and how many are list items."""
    items = [b for b in blocks if b.kind == LIST]
    return sum(1 for b in items if _LINK_ENTRY.match(b.text)), len(items)


def _link_list(blocks: tuple[Block, ...] | list[Block], least: int = MIN_LINK_ENTRIES) -> bool:
    """Are ``blocks`` (a section's, or a whole page's) a curated list: mostly items that are links to other projects?"""
    links, items = _link_entries(blocks)
    return links >= least and 3 * links >= 2 * items


class DocsSetup(Detector):
    """README/docs sections with install and run commands a newcomer can follow; feeds T1."""

    id = "docs.setup"
    questions = ("T1",)
    globs = ("**/*.md", "**/*.rst", "**/*.adoc", "**/*.asciidoc", "**/README")
    signals = ("docs.setup",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        emitted = 0
        # a page named for onboarding (GetStarted.md, TEAM_SETUP.md, quickstart.md) is read before the other pages beside it
        order = {"readme": 0, "docs": 1, "guide": 2}
        docs = sorted(project_docs(index), key=lambda t: (order.get(t[1], 3), not _onboarding(t[0].name)))
        for e, where in docs:
            if emitted >= MAX_FILES:
                break
            doc = document(index, e.path)
            stem = e.name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ")
            page_is_guide = where != "readme" and bool(_SETUP.search(stem))
            found: list[tuple[int, str, str, str]] = []  # (line, command, kind, section)
            unbuilt: set[str] = set()  # images the page builds from a context with no Dockerfile: running them fails too
            refs: set[int] = set()  # lines of commands in a command reference section
            sections = _plain_headings(doc)
            # a README's one top title names the project ("Fraud MLOps Pipeline"): when a section below it is titled for
            # the set-up, the text right under the title (badges, a status note mentioning `dvc repro`) is no set-up section
            titled = where == "readme" and sum(1 for x in sections if x.level == 1) == 1 and any(
                _SETUP.search(t) for x in sections for t in x.trail[1:])
            # a top README with no headings at all is its own guide: its paragraphs of bare commands are the steps to follow
            headingless = where == "readme" and len(doc.sections) == 1 and not doc.sections[0].title
            setup_found: dict[int, int] = {}  # index in ``found`` -> its section, for commands under a heading titled for the set-up
            # index in ``found`` -> 0 under a quick start / getting started / how to run heading, 1 under a set-up or installation one
            quick_found: dict[int, int] = {}
            # a curated list ("awesome-…", "best-of-…"): a page made of entries that link to other projects
            catalogue = _link_list([b for x in sections for b in x.blocks], PAGE_LINK_ENTRIES)
            for n, s in enumerate(sections):
                trail = () if titled and s.level == 1 else s.trail
                before = len(found)
                self._section(index, e, s, trail, page_is_guide, headingless, found, unbuilt, refs, catalogue)
                if any(_README_SETUP.search(t) for t in trail):
                    setup_found.update((i, n) for i in range(before, len(found)))
                # the page's own quick start, not a topic's "Setup" (top two heading levels); "Quick start" before "Setup"
                quick = [m for t in trail[:2] if (m := _QUICK_START.search(t))]
                if quick:
                    quick_found.update((i, 1 if all(m.group(1) for m in quick) else 0) for i in range(before, len(found)))
            if not found:
                steps = _steps(doc) if page_is_guide else _steps(doc, readme=True) if where == "readme" else []
                if len(steps) >= MIN_STEPS:  # a setup guide of numbered steps done in consoles and portals, not commands
                    emitted += 1
                    yield self.found("docs.setup", index, e.path, steps[0].line, strength=Strength.WEAK,
                                     attrs={"where": where, "section": doc.title, "install": False, "run": False, "commands": 0,
                                            "steps": len(steps)})
                continue  # describes or markets the project, but gives no steps to follow
            kinds = {INSTALL if _system_install(c) else k for _, c, k, _ in found}
            # cited at the first command of the project's own set-up, past the machine's prerequisites: a system package
            # manager's install, and the tools a "Prerequisites" list asks the reader to have (``pip install dvc``), past
            # guidance for changing the project (``uv add [package-name]``); first the install of what the project
            # declares (``uv sync``, ``pip install -r requirements.txt``, ``docker compose up``) under a heading titled for
            # the set-up, a prerequisites list's included, cited at that section's first step (a README's exercises or
            # notes further down run commands too)
            def step(f: tuple[int, str, str, str]) -> bool:
                return not _system_install(f[1]) and not _INSTALLER_UPGRADE.match(f[1]) and not _guidance(f[1]) and not _INSPECTS.match(f[1])

            def own(f: tuple[int, str, str, str]) -> bool:
                return step(f) and (not _PREREQUISITES.search(f[3]) or bool(_PROJECT_INSTALL.match(f[1])))

            first = next((setup_found[i] for i, f in enumerate(found) if i in setup_found and step(f) and _PROJECT_INSTALL.match(f[1])), None)
            # a set-up or run step before a test command (``pytest tests/unit -v`` under "Running Tests" above "docker run")
            # then a step under a heading titled for the set-up ("Quick start": ``./setup.sh``, ``make deploy``) before a
            # command elsewhere on the page (a Lambda layer's ``pip install pygithub -t layer/``, a tip's ``export``)
            line, cmd, _, section = next(
                (f for i, f in enumerate(found) if first is not None and setup_found.get(i) == first and own(f)),
                next((f for _, i, f in sorted((quick_found[i], i, f) for i, f in enumerate(found)
                                               if i in quick_found and own(f) and not _tests_only(f[1]))),
                next((f for f in found if step(f) and not _PREREQUISITES.search(f[3]) and not _tests_only(f[1])),
                     next((f for f in found if step(f) and not _PREREQUISITES.search(f[3])),
                          next((f for f in found if not _system_install(f[1])), found[0])))))
            # install commands alone, however many, say nothing about running the project (T1's partial)
            strong_enough = len(kinds) == 2 or (len(found) >= 2 and RUN in kinds)
            emitted += 1
            yield self.found(
                "docs.setup", index, e.path, line,
                strength=Strength.MEDIUM if strong_enough else Strength.WEAK,
                attrs={
                    "where": where,
                    "section": section or doc.title,
                    # building the project's images installs its dependencies into them (``docker compose up --build``)
                    "install": INSTALL in kinds or any(_BUILDS_IMAGE.search(c) for _, c, k, _ in found if k == RUN),
                    "run": RUN in kinds,
                    "commands": len(found),
                    **({"reference": True} if line in refs else {}),
                },
            )

    @staticmethod
    def _section(index: FileIndex, e: FileEntry, s: Section, trail: tuple[str, ...], page_is_guide: bool, headingless: bool,
                 found: list[tuple[int, str, str, str]], unbuilt: set[str], refs: set[int], catalogue: bool = False) -> None:
        """Append the install and run commands of one section to ``found`` (``(line, command, kind, section)``), the lines
        of those in a command reference section to ``refs``. In a curated list (the page's or the section's entries are
        mostly links to other projects: ``catalogue``), the commands inside an entry (inline, or a code block indented
        under it) install or run the project it links to, not this one."""
        if _OPTIONAL.search(s.title) or planned(s.trail):  # an aside, or a to-do list ("# TODO:", "Roadmap")
            return
        catalogue = catalogue or _link_list(s.blocks)
        entry: int | None = None  # the indent of the curated-list entry the blocks below belong to
        if not (page_is_guide or any(_SETUP.search(t) for t in trail)):
            for b in s.blocks if headingless else ():
                if b.kind == TEXT and not _INLINE_CODE.search(b.text):
                    found.extend((line, cmd, kind, s.title) for line, cmd, kind in _bare_commands(index, e.vpath, b))
            return
        reference = _reference(s.trail)
        aside = False  # the paragraph before a code block calls it optional
        under: int | None = None  # the indent of a list item whose sub-items it calls optional ("which may include:")
        for b in s.blocks:
            if catalogue and b.kind == LIST:
                entry = _indent_of(index, e.path, b.line) if _LINK_ENTRY.match(b.text) else None
            elif entry is not None and _indent_of(index, e.path, b.line) <= entry:
                entry = None  # a paragraph or code block back at the entry's indent or left of it: out of the entry
            if entry is not None:
                continue  # a curated-list entry, or a code block nested in one: another project's install
            if b.kind in (TEXT, LIST):  # a quick start written as inline code: "install with `pip install -e .`"
                indent = _indent_of(index, e.path, b.line) if b.kind == LIST else -1
                if under is not None and indent <= under:
                    under = None
                aside = under is not None or bool(_OPTIONAL.search(b.text))
                if b.kind == LIST and under is None and aside and b.text.rstrip().endswith(":"):
                    under = indent
                # an optional clause makes the rest of the paragraph an aside, not what comes before it ("run `make
                # train`, or if you want to schedule it, `make schedule`": the first is a step, the second an aside)
                inline = [] if under is not None else [c for clause in _before_optional(b.text) for c in _INLINE_CODE.findall(clause)]
                for cmd in inline:
                    kind = classify(cmd)
                    if kind in (INSTALL, RUN) and len(cmd.split()) >= 2 and not _runs_nothing(index, e.vpath, cmd, unbuilt):
                        at = _inline_line(index, e, b.line, cmd)
                        found.append((at, cmd, kind, s.title))
                        if reference:
                            refs.add(at)
                if not aside and not _INLINE_CODE.search(b.text):
                    # commands written as bare lines under a step heading, or as a list of them (``- uv sync``)
                    bare = _bare_commands(index, e.vpath, b) if b.kind == TEXT else _bare_item(index, e.vpath, b)
                    for line, cmd, kind in bare:
                        found.append((line, cmd, kind, s.title))
                        if reference:
                            refs.add(line)
                continue
            if not b.is_shell or aside:
                continue
            for line, cmd in commands(b):
                kind = classify(cmd)
                if kind in (INSTALL, RUN) and not _runs_nothing(index, e.vpath, cmd, unbuilt):
                    found.append((line, cmd, kind, s.title))
                    if reference:
                        refs.add(line)
