from django.apps import AppConfig


class RebalanceConfig(AppConfig):
    """HTTP layer of the simulation service; the engine lives in rebalance.engine."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rebalance"
