"""The roles an API client can hold."""
from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    # POST /rebalance/simulate and /rebalance/analyze; read its own runs.
    SIMULATE = "simulate", "simulate: run simulations, read own runs"
    # Read any run through every lookup (and, with ?client=, any key space).
    SUPPORT = "support", "support: read any run"
