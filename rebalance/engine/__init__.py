"""The DPM rebalance simulation engine: plain Python over ``Decimal``, no Django.

Public entry points: ``simulate`` (one run), ``run_batch`` (what-if scenarios) and the
renderers that turn results into the contract's JSON objects.
"""

from .batch import run_batch
from .pipeline import simulate
from .render import render_batch, render_result

__all__ = ["simulate", "run_batch", "render_result", "render_batch"]
