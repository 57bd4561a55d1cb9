"""mlscan: evidence-backed ML infrastructure maturity from a repository."""

__version__ = "0.1.0"
