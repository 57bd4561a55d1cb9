"""Tests of mlscan.reporters: golden files and rendering."""
