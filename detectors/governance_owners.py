"""Code ownership: CODEOWNERS rules (GitHub/GitLab locations) and Prow/Kubernetes OWNERS approvers; feeds T4."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

# the only places GitHub and GitLab read a CODEOWNERS file from (repository-root relative)
CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


def _rules(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, pattern, owners) of each rule; comments, blank lines and GitLab section headers skipped."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("[", "^[")):
            continue
        words = line.split()
        owners = []
        for w in words[1:]:
            if w.startswith("#"):
                break
            if w.startswith("@") or ("@" in w and "." in w.split("@", 1)[1]):
                owners.append(w)
        out.append((n, words[0], owners))
    return out


def _covers(pattern: str, subdir: str) -> bool:
    """Does a CODEOWNERS pattern apply to files of the subdirectory project?"""
    p = pattern.strip()
    anchored = p.startswith("/") or "/" in p.rstrip("/")
    if not anchored:
        return True  # `*`, `*.py`, `docs/`: match at any depth, so inside the subproject too
    p = p.strip("/")
    for suffix in ("/**", "/*"):
        if p.endswith(suffix):
            p = p[: -len(suffix)]
    if p in ("", "*", "**"):
        return True
    pp, sp = p.split("/"), subdir.split("/")
    n = min(len(pp), len(sp))
    # the rule's path contains the subproject, or lies inside it
    return all(c == "**" or fnmatch.fnmatchcase(s, c) for c, s in zip(pp[:n], sp[:n]))


class GovernanceOwners(Detector):
    """CODEOWNERS with owner rules (covering the scanned subproject) and Prow OWNERS approvers; feeds T4."""

    id = "governance.owners"
    questions = ("T4",)
    globs = (*CODEOWNERS, "**/OWNERS")
    needs = globs
    signals = ("governance.codeowners",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        sub = index.target.subdir
        for e in index.select(CODEOWNERS):
            rules = [r for r in _rules(index.text(e.path) or "") if r[2]]  # a pattern without owners un-owns
            if sub:
                rules = [r for r in rules if _covers(r[1], sub)]
            if not rules:
                continue
            specific = bool(sub) and any(r[1].strip("/") not in ("*", "**") and (r[1].startswith("/") or "/" in r[1].rstrip("/")) for r in rules)
            teams = any("/" in o for r in rules for o in r[2])
            yield self.found(
                "governance.codeowners", index, e.path, rules[0][0], strength=Strength.STRONG,
                attrs={"kind": "codeowners", "rules": len(rules), "covers_subdir": specific, "teams": teams},
            )
        owners = []
        for e in index.select(("**/OWNERS",)):
            for doc in index.yaml(e.path):
                if not isinstance(doc, dict):
                    continue
                approvers = doc.get("approvers") if isinstance(doc.get("approvers"), list) else []
                reviewers = doc.get("reviewers") if isinstance(doc.get("reviewers"), list) else []
                filters = doc.get("filters") if isinstance(doc.get("filters"), dict) else {}
                for f in filters.values():
                    if isinstance(f, dict) and isinstance(f.get("approvers"), list):
                        approvers = approvers + f["approvers"]
                if approvers:
                    line = doc.line_of("approvers") if "approvers" in doc else doc.line_of("filters")
                    owners.append((e, line, len(approvers), len(reviewers)))
                break
        if owners:
            owners.sort(key=lambda t: (t[0].path.count("/"), t[0].path))
            e, line, n_app, n_rev = owners[0]
            yield self.found(
                "governance.codeowners", index, e.path, line, strength=Strength.STRONG,
                attrs={"kind": "owners", "files": len(owners), "approvers": n_app, "reviewers": n_rev},
            )
