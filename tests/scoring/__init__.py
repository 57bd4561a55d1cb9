"""Tests of mlscan.scoring: rule packs, conditions, scores, pitfalls, next steps."""
