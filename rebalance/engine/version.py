"""The engine's release, recorded with every run (``RebalanceRun.engine_version``).

Bump it with any change that can alter the result of a stored request (rules,
rounding, rendering): ``verify_runs`` then tells a drift caused by the new
engine apart from a damaged record, because the run names the engine it was
produced with.
"""

ENGINE_VERSION = "0.1.0"
