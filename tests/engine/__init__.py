"""Unit and property tests of the DPM simulation engine (``rebalance.engine``).

A package so that these modules are imported as ``engine.test_*`` and cannot clash with
same-named test modules elsewhere under ``tests/``.
"""
