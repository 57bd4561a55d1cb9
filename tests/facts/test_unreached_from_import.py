"""unreached's from-import search, started from its literal ``from``, finds what ``\\bfrom\\s+...`` finds."""

from __future__ import annotations

import random
import re

from mlscan.facts.unreached import _from_import


def test_from_import_is_the_word_bounded_search() -> None:
    rnd = random.Random(7)
    pieces = ["from", "xfrom", "_from", "éfrom", " ", "\n", "\t", ".", "pkg", "pkg.sub", "import", "imports", "a", "#", "(", "1from"]
    for head in ("pkg", "pkg.sub"):
        bounded = re.compile(r"\bfrom\s+\.*" + re.escape(head) + r"\.*\s+import\b")
        literal = re.compile(r"from\s+\.*" + re.escape(head) + r"\.*\s+import\b")
        for _ in range(20000):
            text = "".join(rnd.choices(pieces, k=rnd.randint(0, 12)))
            assert _from_import(literal, text) == bool(bounded.search(text)), text
        assert _from_import(literal, f"from {head} import train") and not _from_import(literal, f"xfrom {head} import train")
        assert _from_import(literal, f"xfrom {head} import a\nfrom ..{head} import b")
