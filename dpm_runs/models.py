"""Models of recorded runs (none yet)."""
