"""Python 3.12 f-strings (PEP 701) for the Python 3.11 parser.

Since Python 3.12 a replacement field may hold a string quoted like the f-string around it
(``f"{row["name"]}"``, ``f"{os.path.join(d, "model.pkl")}"``). Python 3.11's parser rejects such a file
outright, which hid every practice in it. ``older_fstrings`` rewrites the inner string's quotes to the
other quote character, which 3.11 accepts and which does not change any string's value; every other
character stays where it was, so line and column numbers hold. What the rewrite cannot express in 3.11
(a backslash or a comment inside a replacement field, a replacement field running over lines of a
one-line f-string, an inner string holding both quote characters) gives None: the file stays unparsed.
"""

from __future__ import annotations

_QUOTES = "'\""


class _Unsupported(Exception):
    pass


def _prefix(src: str, quote_at: int) -> str:
    """The string prefix (``f``, ``rb``, ...) right before the quote at ``quote_at``, lower-cased; '' when none."""
    j = quote_at
    while j > 0 and src[j - 1].isalpha() and quote_at - j < 2:
        j -= 1
    p = src[j:quote_at].lower()
    if j > 0 and (src[j - 1].isalnum() or src[j - 1] == "_"):
        return ""  # the letters end a longer name, not a prefix
    return p if p and set(p) <= set("rbuf") else ""


class _Rewriter:
    def __init__(self, src: str) -> None:
        self.src = src
        self.out: dict[int, str] = {}

    def delim(self, i: int) -> str:
        """The opening delimiter (one or three quote characters) at ``i``."""
        q = self.src[i]
        return q * 3 if self.src.startswith(q * 3, i) else q

    def plain(self, i: int, delim: str) -> int:
        """Skip a string literal without replacement fields whose body starts at ``i``; the index after it."""
        s = self.src
        while i < len(s):
            if s.startswith(delim, i):
                return i + len(delim)
            if s[i] == "\\":
                i += 2
                continue
            if s[i] == "\n" and len(delim) == 1:
                raise _Unsupported
            i += 1
        raise _Unsupported

    def fstring(self, i: int, delim: str, enclosing: tuple[str, ...]) -> int:
        """Walk an f-string body starting at ``i`` (its delimiter ``delim``); the index after its closing quote."""
        s = self.src
        while i < len(s):
            if s.startswith(delim, i):
                return i + len(delim)
            c = s[i]
            if c == "\\":
                i += 2
            elif c == "\n" and len(delim) == 1:
                raise _Unsupported
            elif c == "{" and s.startswith("{{", i):
                i += 2
            elif c == "{":
                i = self.field(i + 1, (*enclosing, delim))
            else:
                i += 1
        raise _Unsupported

    def field(self, i: int, enclosing: tuple[str, ...]) -> int:
        """Walk a replacement field from ``i`` (after its ``{``); the index after its closing ``}``."""
        s = self.src
        depth = 0
        one_line = all(len(d) == 1 for d in enclosing)
        while i < len(s):
            c = s[i]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0 and c == "}":
                    return i + 1
                depth -= 1
            elif c in "#\\" or c == "\n" and one_line:
                raise _Unsupported
            elif c in _QUOTES:
                i = self.inner(i, enclosing)
                continue
            i += 1
        raise _Unsupported

    def inner(self, i: int, enclosing: tuple[str, ...]) -> int:
        """A string literal inside a replacement field, at its opening quote ``i``: requoted when its quote would end
        an enclosing f-string under Python 3.11; the index after it."""
        s = self.src
        delim = self.delim(i)
        clash = any(d[0] == delim[0] and (len(d) == 1 or len(delim) == 3) for d in enclosing)
        is_f = "f" in _prefix(s, i)
        if not clash:
            body = i + len(delim)
            return self.fstring(body, delim, enclosing) if is_f else self.plain(body, delim)
        if len(delim) == 3:
            raise _Unsupported
        other = '"' if delim == "'" else "'"
        if any(d[0] == other for d in enclosing):
            raise _Unsupported
        # find the end in the original quoting, then check the body can take the other quote
        body = i + 1
        end = self.fstring(body, delim, enclosing) if is_f else self.plain(body, delim)
        if other in s[body:end - 1]:
            raise _Unsupported
        self.out[i] = other
        self.out[end - 1] = other
        return end

    def run(self) -> str:
        s = self.src
        i = 0
        while i < len(s):
            c = s[i]
            if c == "#":
                nl = s.find("\n", i)
                i = len(s) if nl < 0 else nl
            elif c in _QUOTES:
                delim = self.delim(i)
                body = i + len(delim)
                i = self.fstring(body, delim, ()) if "f" in _prefix(s, i) else self.plain(body, delim)
            else:
                i += 1
        if not self.out:
            return s
        chars = list(s)
        for at, q in self.out.items():
            chars[at] = q
        return "".join(chars)


def older_fstrings(src: str) -> str | None:
    """``src`` with the inner strings of its f-strings requoted so Python 3.11 can parse them (see the module
    docstring); the text itself when nothing needed requoting; None when the rewrite cannot be made."""
    try:
        return _Rewriter(src).run()
    except (_Unsupported, IndexError, RecursionError):
        return None
