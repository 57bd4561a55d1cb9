"""DVC remotes in .dvc/config (a shared store for data and models); feeds T2, D1."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import words
from mlscan.facts.placeholders import placeholder_value
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_LOCAL = lazy_re(r"^(/|\.|~|[A-Za-z]:\\|file:)")


class DvcRemote(Detector):
    """DVC remote storage configured in .dvc/config; feeds T2."""

    id = "dvc.remote"
    questions = ("T2",)
    globs = ("**/.dvc/config",)
    needs = ("**/.dvc/config",)
    signals = ("dvc.remote",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        models: bool | None = None  # computed once, when a remote is found
        for e in index.select(self.globs):
            text = index.text(e.path)
            if text is None:
                continue
            import configparser  # here: most repositories have no .dvc/config

            cp = configparser.ConfigParser(interpolation=None, strict=False)
            try:
                cp.read_string(text)
            except configparser.Error as err:
                index.warn("parse-error", f"ini: {str(err).splitlines()[0]}", e.path)
                continue
            lines = text.splitlines()
            for section in cp.sections():
                m = re.search(r"""remote\s+["']?([^"']+)["']?""", section)
                if not m or "url" not in cp[section]:
                    continue
                url = cp[section]["url"].strip()
                line = next((i for i, ln in enumerate(lines, 1) if ln.strip().startswith("url") and url in ln), None)
                local = bool(_LOCAL.match(url))
                placeholder = placeholder_value(url)  # gdrive://<folder-id>, s3://your-bucket: no store yet
                shared = not local and not placeholder
                scheme = url.split("://", 1)[0] if "://" in url else ("local" if local else "ssh")
                if models is None:
                    models = _tracks_models(index)
                yield self.found("dvc.remote", index, e.path, line, strength=Strength.STRONG if shared else Strength.WEAK,
                                 snippet=f"[{section}] url = {_redact(url)}",
                                 attrs={"name": m.group(1), "scheme": scheme, "shared": shared, **({"placeholder": True} if placeholder else {}),
                                        # what DVC pushes there: False when the repository's DVC outputs are all data
                                        # (a ``.dvc`` file for a CSV), so the remote holds no model (T2 is about models)
                                        **({"models": models} if models is not None else {})})


_WEIGHTS_EXT = (".pt", ".pth", ".h5", ".onnx", ".safetensors", ".keras", ".cbm", ".ckpt", ".joblib", ".tflite", ".mlmodel",
                ".pkl", ".pickle", ".sav", ".pb", ".bin", ".gguf")


def _tracks_models(index: FileIndex) -> bool | None:
    """Whether any output DVC tracks (``outs`` of dvc.yaml stages, dvc.lock, ``.dvc`` files) is a model: a weights or
    pickle format, or a path named for models/checkpoints/weights; None when the repository declares no DVC output."""
    outs: list[str] = []
    for e in index.select(("**/dvc.yaml", "**/dvc.lock", "**/*.dvc")):
        for doc in index.yaml(e.path):
            if not isinstance(doc, dict):
                continue
            stages = doc.get("stages")
            blocks = list(stages.values()) if isinstance(stages, dict) else [doc]
            for st in blocks:
                for o in (st.get("outs") if isinstance(st, dict) else None) or []:
                    name = o.get("path") if isinstance(o, dict) and "path" in o else (next(iter(o), None) if isinstance(o, dict) else o)
                    if name is not None:
                        outs.append(str(name))
    if not outs:
        return None
    return any(_model_out(p) for p in outs)


_RECORD_EXT = (".json", ".yaml", ".yml", ".csv", ".tsv", ".txt", ".md", ".html", ".png", ".svg", ".log")
_MODEL_WORDS = frozenset({"model", "models", "checkpoint", "checkpoints", "weights"})


def _model_out(path: str) -> bool:
    """A weights or pickle format, or a path named for models; a text record (``model/train_data.json``: run id and
    hashes) only by its own file name."""
    p = path.lower()
    if p.endswith(_WEIGHTS_EXT):
        return True
    return bool(words(p.rsplit("/", 1)[-1] if p.endswith(_RECORD_EXT) else p) & _MODEL_WORDS)


def _redact(url: str) -> str:
    return re.sub(r"//[^/@]+@", "//***@", url)
