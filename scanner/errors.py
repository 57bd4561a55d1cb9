"""Exceptions that end a scan with a one-line message and a fixed exit code."""


class MlscanError(Exception):
    """Base class: carries the process exit code."""

    exit_code = 3


class UsageError(MlscanError):
    """Bad path, option, config or rule pack: exit 2."""

    exit_code = 2


class RulePackError(UsageError):
    """A rule pack is invalid; the message reads ``file:line: problem``."""


class PluginError(UsageError):
    """A detector or rule-pack plugin could not be loaded."""


class ScanError(MlscanError):
    """The scan could not run (e.g. git failed badly): exit 3."""
