"""Tests of mlscan.facts: the file facts detectors share."""
