"""mlscan: evidence-backed ML infrastructure maturity from a repository."""

__version__ = "0.1.0"


def _drop_working_directory() -> None:
    """``python -m mlscan`` run inside a checkout puts that directory first on ``sys.path`` (Python's behaviour, unless
    ``-P``), so a ``json.py`` or a ``*.dist-info`` plug-in the scanned repository holds would be imported by what this
    package imports next. Under ``-m`` (``sys.argv[0]`` is ``"-m"`` while the package is imported) that entry goes
    before anything else is imported; the installed ``mlscan`` command and library use are left as they are."""
    import os
    import sys

    if sys.argv[:1] == ["-m"] and not sys.flags.safe_path and sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


_drop_working_directory()

from .lazyre import seed_re_cache  # noqa: E402

seed_re_cache()  # before anything else is imported: the patterns modules compile as they are imported come from stored code
