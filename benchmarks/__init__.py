"""Stand-alone performance benchmarks (no Django, not part of the test suite)."""
