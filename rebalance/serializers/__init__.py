"""Request validation for the DPM endpoints (DRF serializers → engine dataclasses).

Public API:

* ``RebalanceRequestSerializer`` — simulate body; ``to_engine()`` →
  ``(RebalanceInputs, EngineOptions)``.
* ``BatchRebalanceRequestSerializer`` — analyze body; ``to_engine()`` →
  ``(RebalanceInputs, {scenario name: raw options dict})``.
* ``EngineOptionsSerializer`` / ``validate_engine_options(raw)`` — one scenario's
  options; the latter raises ``InvalidOptions`` with the first issue's message.

Turn ``serializer.errors`` into 422 issues with
``rebalance.validation_issues.flatten_errors``.
"""

from rebalance.engine.errors import InvalidOptions
from rebalance.serializers.options import EngineOptionsSerializer, validate_engine_options
from rebalance.serializers.requests import (
    BatchRebalanceRequestSerializer,
    RebalanceRequestSerializer,
)

__all__ = [
    "BatchRebalanceRequestSerializer",
    "EngineOptionsSerializer",
    "InvalidOptions",
    "RebalanceRequestSerializer",
    "validate_engine_options",
]
