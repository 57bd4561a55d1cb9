"""mlscan: evidence-backed ML infrastructure maturity from a repository."""

from .dataclass_code import install as _install_dataclass_code

__version__ = "0.1.0"

_install_dataclass_code()  # before any of mlscan's dataclasses is made (scanner/dataclass_code.py)
