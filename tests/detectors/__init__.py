"""Tests of the detectors: fixtures, registration, metadata."""
