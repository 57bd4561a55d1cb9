"""AI coding-agent instruction files: what a coding assistant is told about a repository, not a procedure a newcomer
or an operator follows (``AGENTS.md`` and its variants, ``CLAUDE.md``, ``.cursor/rules``, ``.github/copilot-instructions.md``,
``.kiro/``, ``.gemini/``)."""

from __future__ import annotations

import re

from .lazyre import lazy_re

# a named agent file, also a variant of it (``AGENTS_uv.md``, ``CLAUDE.local.md``), or anything under an agent's folder
_AGENT_DOC = lazy_re(
    r"(^|/)(agents|claude|gemini|copilot-instructions)([-_.][\w-]+)*\.(md|mdc|markdown|txt)$|(^|/)\.(cursorrules|windsurfrules|clinerules)$"
    r"|(^|/)(\.kiro|\.gemini|\.claude|\.cursor|\.windsurf|\.clinerules|\.roo|\.github/(agents|instructions|prompts|chatmodes))/",
    re.IGNORECASE,
)


def agent_instructions(path: str) -> bool:
    """A file written for an AI coding agent rather than for people (``{{ project }}/AGENTS_pip.md``, ``.cursor/rules/x.mdc``)."""
    return bool(_AGENT_DOC.search(path))
