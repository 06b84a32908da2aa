"""The contract at the boundary: request models, their input limits, response shapes.

* ``RebalanceRequest`` (simulate) and ``BatchRebalanceRequest`` (analyze): validate with
  ``validate_request_body(raw, Model)``, which returns ``(request, [])`` or
  ``(None, issues)`` with the contract's 422 issues.
* ``request.to_engine()`` gives the engine's dataclasses; ``request.request_tree()`` the
  normalized request that is hashed and stored.
* ``validate_engine_options(raw)``: one analyze scenario's options, or ``InvalidOptions``.
* ``limits.py``: every input limit; ``responses.py``: the response bodies, declared once.
"""

from rebalance.boundary.bodies import BatchRebalanceRequest, RebalanceRequest
from rebalance.boundary.decoding import validate_request, validate_request_body
from rebalance.boundary.options import EngineOptions, validate_engine_options

__all__ = [
    "BatchRebalanceRequest",
    "EngineOptions",
    "RebalanceRequest",
    "validate_engine_options",
    "validate_request",
    "validate_request_body",
]
