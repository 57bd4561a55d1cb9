"""Versioned artifact buckets declared as infrastructure: an S3 bucket with versioning enabled (Terraform
``aws_s3_bucket_versioning { versioning_configuration { status = "Enabled" } }`` or the inline ``versioning { enabled =
true }``, CloudFormation ``VersioningConfiguration: {Status: Enabled}``, CDK ``new s3.Bucket(this, 'Models', { versioned:
true })`` / ``s3.Bucket(self, "Models", versioned=True)``) or a GCS bucket with ``versioning { enabled = true }``, that
the repository uses for models: a line elsewhere names the bucket with a model's words (``ModelDataUrl``,
``output_path``, ``S3OutputPath``, ``model.tar.gz``, ``artifacts``), or the bucket is named for models and something
else refers to it. Every object written there keeps its versions: the store training output goes to and the deployed
model is read from. A versioned bucket for state, logs or raw data, or a model bucket nothing refers to, is no model
store. Feeds T2."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import words
from mlscan.facts.typescript import prop, strings, ts_file
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_MODEL_WORDS = frozenset({"model", "models", "artifact", "artifacts", "checkpoint", "checkpoints", "weights", "modeldataurl",
                          "modeldata", "s3outputpath", "outputpath", "mlflow", "registry", "tar"})
_NOT_MODELS = frozenset({"tfstate", "state", "terraform", "log", "logs", "logging", "access", "cloudtrail", "website", "static",
                         "frontend", "backup", "backups", "raw", "landing"})
_CONFIG_TYPES = ("aws_s3_bucket", "google_storage_bucket")  # the bucket's own configuration blocks start with these
_TF_VERSIONED = lazy_re(r"(?s)\bversioning(?:_configuration)?\s*\{[^{}]*?\b(?:enabled\s*=\s*true|status\s*=\s*\"Enabled\")")
_TS_BUCKET = frozenset({"Bucket", "CfnBucket"})
_USE_GLOBS = ("**/*.py", "**/*.tf", *ops.YAML_GLOBS, "**/*.json", "**/*.ts", "**/*.js", "**/*.sh", "**/*.toml", "**/*.env")
_PY_BUCKET = lazy_re(r"(?m)^\s*(?:self\.)?(\w+)\s*=\s*(?:\w+\.)*(?:Cfn)?Bucket\s*\(")
# a line of a bucket's own configuration resources, not a use of the bucket
_CONFIG_LINE = lazy_re(r"aws_s3_bucket_(versioning|server_side_encryption|policy|public_access_block|lifecycle|acl|ownership)"
                       r"|google_storage_bucket_iam|BucketPolicy|PublicAccessBlock|^\s*bucket\s*=")


def _modelish(*texts: str) -> bool:
    w: set[str] = set()
    for t in texts:
        w |= words(re.sub(r"([a-z])([A-Z])", r"\1 \2", t).replace("-", " ").replace(".", " ")) | {t.lower()}
    return bool(w & _MODEL_WORDS) and not w & _NOT_MODELS


class VersionedBucket(Detector):
    """Versioned S3/GCS buckets (Terraform, CloudFormation, CDK) the repository keeps models in; feeds T2."""

    id = "artifact.versioned_bucket"
    questions = ("T2",)
    globs = ("**/*.tf", *ops.YAML_GLOBS, "**/*.json", "**/*.ts", "**/*.js", "**/*.py")
    needs = globs
    needs_words = (b"versioning", b"versioned", b"Versioning")
    signals = ("artifact.store",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(self.globs):
            if e.test or e.name.endswith(".d.ts") or not index.mentions(e.path, self.needs_words):
                continue
            # each kind read only where its own words are (a bucket resource, a CDK import): no other file is parsed
            if e.suffix == ".tf":
                found = self._terraform(index, e) if index.contains(e.path, (b"_bucket",)) else []
            elif e.suffix in (".yaml", ".yml", ".json"):
                found = self._cloudformation(index, e) if index.contains(e.path, (b"AWS::S3::Bucket",)) else []
            elif e.suffix == ".py":
                found = self._cdk_python(index, e) if index.mentions(e.path, (b"aws_cdk",)) else []
            else:
                found = self._cdk_ts(index, e) if index.mentions(e.path, (b"aws-cdk-lib", b"@aws-cdk")) else []
            for kind, line, refs, own in found:
                use = _use(index, e, refs, own)
                if use is not None:
                    f = self.found("artifact.store", index, e.path, line, strength=Strength.MEDIUM,
                                   attrs={"how": "versioned-bucket", "kind": kind, "versioned": True, "wired": False})
                    yield replace(f, evidence=(*f.evidence, self.evidence(index, use[0], use[1])))

    def _terraform(self, index: FileIndex, e: FileEntry) -> list[tuple[str, int, tuple[str, ...], tuple[int, int]]]:
        blocks = [b for b in ops.tf_blocks(index, e) if b.kind == "resource"]
        out = []
        for b in blocks:
            if b.type not in _CONFIG_TYPES:
                continue
            address = f"{b.type}.{b.name}"
            name = re.search(r'(?m)^\s*(?:bucket|name)\s*=\s*"([^"$]+)"', b.body)
            versioned = _TF_VERSIONED.search(b.body)
            line = b.line + b.body.count("\n", 0, versioned.start()) if versioned else 0
            if not versioned:  # the separate versioning resource of provider v4+ naming this bucket
                v = next((x for x in blocks if x.type == "aws_s3_bucket_versioning" and re.search(rf"\b{re.escape(address)}\b", x.body)
                          and _TF_VERSIONED.search(x.body)), None)
                line = v.line if v is not None else 0
            if line:
                refs = (address, *( (name.group(1),) if name else ()))
                out.append(("gcs" if b.type.startswith("google") else "s3", line, refs, (b.line, b.line + b.body.count("\n"))))
        return out

    def _cloudformation(self, index: FileIndex, e: FileEntry) -> list[tuple[str, int, tuple[str, ...], tuple[int, int]]]:
        docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
        out = []
        for doc in docs:
            resources = doc.get("Resources") if isinstance(doc, dict) else None
            if not isinstance(resources, dict):
                continue
            for logical, r in resources.items():
                if not (isinstance(r, dict) and r.get("Type") == "AWS::S3::Bucket" and isinstance(r.get("Properties"), dict)):
                    continue
                props = r["Properties"]
                v = props.get("VersioningConfiguration")
                if isinstance(v, dict) and v.get("Status") == "Enabled":
                    line = resources.line_of(logical) if hasattr(resources, "line_of") else 1
                    name = props.get("BucketName")
                    refs = (str(logical), *((name,) if isinstance(name, str) and "$" not in name else ()))
                    out.append(("s3", line, refs, (line, line)))
        return out

    def _cdk_ts(self, index: FileIndex, e: FileEntry) -> list[tuple[str, int, tuple[str, ...], tuple[int, int]]]:
        f = ts_file(index, e)
        if f is None or not f.cdk():
            return []
        out = []
        for n in f.news:
            props = n.props()
            if n.tail in _TS_BUCKET and ((prop(props, "versioned") or "") == "true"
                                          or "Enabled" in strings(prop(prop(props, "versioningConfiguration") or "", "status") or "")):
                ident = strings(n.args[1])[0] if len(n.args) > 1 and strings(n.args[1]) else ""
                refs = tuple(x for x in (n.var, ident) if x)
                out.append(("s3", n.line, refs, (n.line, f.line_at(n.end))))
        return out

    def _cdk_python(self, index: FileIndex, e: FileEntry) -> list[tuple[str, int, tuple[str, ...], tuple[int, int]]]:
        al, calls = ops.py_calls(index, e)
        if not ops.imports_module(al, "aws_cdk"):
            return []
        lines = index.lines(e.path)
        out = []
        for c in calls:
            if c.attr in ("Bucket", "CfnBucket") and c.qual.startswith("aws_cdk.aws_s3."):
                end = getattr(c.node, "end_lineno", None) or c.line
                text = "\n".join(lines[c.line - 1 : end])
                if not re.search(r"\bversioned\s*=\s*True\b|status\s*=\s*[\"']Enabled[\"']", text):
                    continue
                bound = _PY_BUCKET.match(lines[c.line - 1]) if 0 < c.line <= len(lines) else None
                ident = re.search(r"\(\s*self\s*,\s*[\"']([^\"']+)[\"']", text)
                refs = tuple(x for x in (bound.group(1) if bound else "", ident.group(1) if ident else "") if x)
                out.append(("s3", c.line, refs, (c.line, end)))
        return out


def _use(index: FileIndex, e: FileEntry, refs: tuple[str, ...], own: tuple[int, int]) -> tuple[str, int] | None:
    """(path, line) where the bucket is used for models: a line outside its own declaration naming it (its address,
    variable, logical id or bucket name) with a model's words, or any such line when the bucket itself is named for
    models. Looked for in the declaring file and, for a bucket name, in the files that mention it."""
    refs = tuple(r for r in refs if r)
    if not refs:
        return None
    named = _modelish(*refs)
    pattern = re.compile("|".join(rf"(?<![\w.-]){re.escape(r)}(?![\w-])" for r in refs))
    # the declaring file, the other files of its Terraform module, and files naming the bucket by a name of its own
    names = tuple(r.encode() for r in refs if len(r) > 5 and not r.startswith(_CONFIG_TYPES))
    here = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    files = [e.path] + [x.path for x in index.select(_USE_GLOBS) if x.path != e.path and not x.test and (
        (e.suffix == ".tf" and x.suffix == ".tf" and (x.vpath.rsplit("/", 1)[0] if "/" in x.vpath else "") == here)
        or (names and index.contains(x.path, names)))]
    fallback = None
    for path in files:
        for i, ln in enumerate(index.lines(path), start=1):
            if path == e.path and own[0] <= i <= own[1]:
                continue
            code = ln.split("#", 1)[0] if path.endswith((".py", ".tf", ".sh", ".yaml", ".yml")) else ln
            if code.lstrip().startswith("//") or not pattern.search(code):
                continue
            if _modelish(code) and not _config_line(code):
                return path, i
            if named and fallback is None and not _config_line(code):
                fallback = (path, i)
    return fallback


def _config_line(line: str) -> bool:
    """A line of the bucket's own configuration (its versioning, encryption, policy, public access block, lifecycle)."""
    return bool(_CONFIG_LINE.search(line))
