"""Governance declared in the repo: branch rules, policy-as-code, model cards, PR templates, fairness checks; feeds T4."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.pyast import walk
from mlscan.facts.wiring import wiring
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_MODEL_CARD = lazy_re(r"(^|/)(model[_-]?card|modelcard)[\w.-]*\.(md|markdown|rst|json|ya?ml|html|txt|j2|jinja2?)$", re.IGNORECASE)
_PR_TEMPLATE = lazy_re(
    r"(^|/)(\.github/|docs/|\.azuredevops/)?pull_request_template(\.md|\.txt)?$|(^|/)\.github/pull_request_template/[^/]+\.md$"
    r"|(^|/)\.gitlab/merge_request_templates/[^/]+\.md$",
    re.IGNORECASE,
)
_TF_PROTECTION = ("github_branch_protection", "github_branch_protection_v3", "github_repository_ruleset", "gitlab_branch_protection")
_ML_RESOURCES = ("models", "registered_models", "experiments", "model_serving_endpoints")
_REGO_RULE = lazy_re(r"^(deny|violation|warn|allow)\b[^\n]*(\{|\bif\b|:?=)", re.MULTILINE)
_REGO_SUBJECT = lazy_re(r"\b(Deployment|StatefulSet|Pod|InferenceService|SeldonDeployment|Service|image|containers?|model\w*|namespace|replicas)\b")
FAIRNESS = ("fairlearn", "aif360", "fairness_indicators", "responsibleai")
FAIRNESS_NEEDLES = tuple(m.encode() for m in FAIRNESS)  # module level: part of the scan's vocabulary
CARD_CODE = ("model_card_toolkit", "huggingface_hub")


def _used_call(tree: ast.AST, modules: tuple[str, ...], names: tuple[str, ...] = ()) -> tuple[str, int] | None:
    """First call of something imported from ``modules`` (optionally only the imported ``names``)."""
    aliases: dict[str, str] = {}
    for node in walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in modules and not names:
                    aliases[(a.asname or a.name).split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in modules:
            for a in node.names:
                if not names or a.name in names:
                    aliases[a.asname or a.name] = (node.module or "").split(".")[0]
    if not aliases:
        return None
    for node in walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            while isinstance(f, ast.Attribute):
                f = f.value
            if isinstance(f, ast.Name) and f.id in aliases:
                return aliases[f.id], node.lineno
    return None


def _ml_grants(resources: object, depth: int = 0) -> list[tuple[str, int]]:
    """Databricks bundle ML resources (models, experiments, serving endpoints) with permissions or grants, each with the
    line of its grant list: the grant itself, also when a resource merges it from an anchor (``<<: *grants``: the line
    of the anchor's ``grants:``, not the reference)."""
    out: list[tuple[str, int]] = []
    if not isinstance(resources, dict) or depth > 3:
        return out
    for kind, items in resources.items():
        if not isinstance(items, dict):
            continue
        for name, spec in items.items():
            key = next((k for k in ("grants", "permissions") if kind in _ML_RESOURCES and isinstance(spec, dict)
                        and isinstance(spec.get(k), list) and spec[k]), None)
            if key:
                out.append((f"{kind}.{name}", spec.line_of(key) if hasattr(spec, "line_of") else 0))
        if kind in _ML_RESOURCES:
            out += _ml_grants(items, depth + 1)  # kinds nested by rendering both branches of a template
    return out


class GovernancePolicy(Detector):
    """Branch protection/rulesets, OPA/Kyverno/Gatekeeper policies, model cards, PR templates, fairlearn/aif360 use; feeds T4."""

    id = "governance.policy"
    questions = ("T4",)
    globs = (".github/settings.yml", ".github/rulesets/*.json", "**/*.rego", "**/*.tf", "**/*.yaml", "**/*.md", "**/*.py")
    signals = ("governance.policy", "governance.model_card", "governance.review", "governance.fairness")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield from self._branch_rules(index)
        yield from self._policy_as_code(index)
        yield from self._documents(index)
        yield from self._code(index)

    def _branch_rules(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select((".github/settings.yml",)):
            for doc in index.yaml(e.path):
                branches = doc.get("branches") if isinstance(doc, dict) else None
                for i, b in enumerate(branches if isinstance(branches, list) else []):
                    prot = b.get("protection") if isinstance(b, dict) else None
                    if isinstance(prot, dict) and prot:
                        reviews = prot.get("required_pull_request_reviews") or {}
                        yield self.found("governance.policy", index, e.path, branches.line_of(i), strength=Strength.STRONG,
                                         attrs={"kind": "branch-protection", "branch": str(b.get("name", "")), "source": "probot-settings",
                                                "reviews": int(reviews.get("required_approving_review_count", 0) or 0) if isinstance(reviews, dict) else 0})
                        break
        for e in index.select((".github/rulesets/*.json", "**/rulesets/*.json", "**/*ruleset*.json")):
            data = index.json(e.path)
            rules = data.get("rules") if isinstance(data, dict) else None
            if not (isinstance(rules, list) and rules and all(isinstance(r, dict) and "type" in r for r in rules)):
                continue
            if str(data.get("enforcement", "active")).lower() in ("disabled", "evaluate"):
                continue  # declared but not enforced
            types = [str(r["type"]) for r in rules]
            reviews = next((int((r.get("parameters") or {}).get("required_approving_review_count", 0) or 0) for r in rules
                            if r.get("type") == "pull_request" and isinstance(r.get("parameters"), dict)), 0)
            text = index.text(e.path) or ""
            line = text[: text.find('"rules"')].count("\n") + 1 if '"rules"' in text else 1
            yield self.found("governance.policy", index, e.path, line, strength=Strength.STRONG,
                             attrs={"kind": "ruleset", "target": str(data.get("target", "branch")), "rules": sorted(set(types)), "reviews": reviews})
        for e in index.select(("**/*.tf",)):
            if not index.contains(e.path, (b"github_branch_protection", b"github_repository_ruleset", b"gitlab_branch_protection",
                                           b"databricks_permissions", b"databricks_grants")):
                continue
            seen: set[str] = set()
            for b in ops.tf_blocks(index, e):
                if b.kind != "resource":
                    continue
                if b.type in _TF_PROTECTION and "protection" not in seen:
                    seen.add("protection")
                    yield self.found("governance.policy", index, e.path, b.line, strength=Strength.STRONG,
                                     attrs={"kind": "branch-protection", "source": "terraform", "resource": b.type})
                elif "grants" not in seen and (
                    (b.type == "databricks_permissions" and any(ops.tf_has(b, a) for a in ("registered_model_id", "experiment_id", "serving_endpoint_id")))
                    or (b.type == "databricks_grants" and ops.tf_has(b, "model"))
                ):
                    seen.add("grants")
                    yield self.found("governance.policy", index, e.path, b.line, strength=Strength.STRONG,
                                     attrs={"kind": "access-grants", "source": "terraform", "resource": b.type})
        for e in index.select(("**/*.yml", "**/*.yaml")):
            if not (index.contains(e.path, (b"permissions", b"grants")) and index.contains(e.path, (b"resources",))):
                continue
            for doc in index.yaml(e.path):
                granted = _ml_grants(doc.get("resources")) if isinstance(doc, dict) else []
                if granted:
                    # cited at the grant of a registered model first (who may use the model), else the first grant
                    line = next((ln for n, ln in granted if ln and "model" in n.split(".")[0]), 0) or granted[0][1] or doc.line_of("resources")
                    yield self.found("governance.policy", index, e.path, line, strength=Strength.STRONG,
                                     attrs={"kind": "access-grants", "source": "databricks-bundle", "resources": [n for n, _ in granted[:10]]})
                    break

    def _policy_as_code(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(("**/*.rego",)):
            text = index.text(e.path) or ""
            m = _REGO_RULE.search(text)
            subject = _REGO_SUBJECT.search(text)
            if text.lstrip().startswith("package") or re.search(r"^package\s", text, re.MULTILINE):
                if m and subject:  # a rule about deployable resources or models, not e.g. lint conventions
                    yield self.found("governance.policy", index, e.path, text[: m.start()].count("\n") + 1, strength=Strength.STRONG,
                                     attrs={"kind": "opa", "rule": m.group(1), "subject": subject.group(1)})
        for e in index.select(("**/*.yaml", "**/*.yml")):
            if not index.contains(e.path, (b"kyverno.io", b"ConstraintTemplate")):
                continue
            for doc in index.yaml(e.path):
                if not isinstance(doc, dict):
                    continue
                api, kind, spec = str(doc.get("apiVersion", "")), doc.get("kind"), doc.get("spec")
                if api.startswith("kyverno.io/") and kind in ("ClusterPolicy", "Policy") and isinstance(spec, dict) and spec.get("rules"):
                    action = str(spec.get("validationFailureAction", "Audit")).lower()
                    yield self.found("governance.policy", index, e.path, doc.line_of("kind"), strength=Strength.STRONG,
                                     attrs={"kind": "kyverno", "enforce": action == "enforce", "rules": len(spec["rules"])})
                elif api.startswith("templates.gatekeeper.sh/") and kind == "ConstraintTemplate":
                    yield self.found("governance.policy", index, e.path, doc.line_of("kind"), strength=Strength.STRONG,
                                     attrs={"kind": "gatekeeper"})

    def _documents(self, index: FileIndex) -> Iterator[Finding]:
        cards = 0
        for e in index.select(("**/*.md", "**/*.markdown", "**/*.rst", "**/*.json", "**/*.yaml", "**/*.yml", "**/*.html",
                               "**/*.txt", "**/*.j2", "**/*.jinja", "**/*.jinja2", "**/pull_request_template", "**/PULL_REQUEST_TEMPLATE")):
            if _MODEL_CARD.search(e.vpath) and cards < 3:
                text = index.text(e.path) or ""
                if sum(1 for ln in text.splitlines() if ln.strip()) >= 3:  # an empty placeholder is not a card
                    cards += 1
                    yield self.found("governance.model_card", index, e.path, 1, strength=Strength.MEDIUM,
                                     attrs={"kind": "template" if "template" in e.vpath.lower() else "file"})
            elif _PR_TEMPLATE.search(e.vpath):
                text = index.text(e.path) or ""
                if text.strip():
                    checklist = bool(re.search(r"^\s*[-*]\s*\[[ xX]\]", text, re.MULTILINE))
                    yield self.found("governance.review", index, e.path, 1, strength=Strength.MEDIUM,
                                     attrs={"kind": "pr-template", "checklist": checklist})

    def _code(self, index: FileIndex) -> Iterator[Finding]:
        wired = wiring(index)
        for e, tree in index.python_files(FAIRNESS_NEEDLES):
            hit = _used_call(tree, FAIRNESS)
            if hit:
                automated = wired.automated(e.vpath)
                line, snippet = ops.locate(index, e, hit[1])
                yield self.found("governance.fairness", index, e.path, line, snippet=snippet,
                                 strength=Strength.STRONG if automated else Strength.MEDIUM, attrs={"library": hit[0], "automated": automated})
        for e, tree in index.python_files((b"model_card_toolkit", b"ModelCard")):
            hit = _used_call(tree, ("model_card_toolkit",)) or _used_call(tree, ("huggingface_hub",), ("ModelCard", "ModelCardData"))
            if hit:
                line, snippet = ops.locate(index, e, hit[1])
                yield self.found("governance.model_card", index, e.path, line, snippet=snippet, strength=Strength.MEDIUM,
                                 attrs={"kind": "toolkit" if hit[0] == "model_card_toolkit" else "huggingface"})

