"""Built-in detectors. Each module holds one detector; they register through the
``mlscan.detectors`` entry-point group like any third-party plugin."""
