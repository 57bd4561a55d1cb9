"""Tests of mlscan.index: listing, scope, reading, caches."""
