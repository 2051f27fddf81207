"""Benchmarks: figures printed as JSON, never timed assertions in the test suite."""
