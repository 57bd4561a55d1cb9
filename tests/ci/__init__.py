"""Tests of mlscan.ci: the CI model and its dialects."""
