"""DVC remotes in .dvc/config (a shared store for data and models); feeds T2, D1."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
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
    signals = ("dvc.remote",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
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
                yield self.found("dvc.remote", index, e.path, line, strength=Strength.STRONG if shared else Strength.WEAK,
                                 snippet=f"[{section}] url = {_redact(url)}",
                                 attrs={"name": m.group(1), "scheme": scheme, "shared": shared, **({"placeholder": True} if placeholder else {})})


def _redact(url: str) -> str:
    return re.sub(r"//[^/@]+@", "//***@", url)
