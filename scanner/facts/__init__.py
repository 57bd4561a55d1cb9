"""File facts shared by detectors: what a command, a Python call, a README block or a CI step means. Not detectors."""
