"""mlscan: evidence-backed ML infrastructure maturity from a repository."""

__version__ = "0.1.0"

from .lazyre import seed_re_cache  # noqa: E402

seed_re_cache()  # before anything else is imported: the patterns modules compile as they are imported come from stored code
