"""Built-in rule packs (YAML files in this package)."""
