from django.apps import AppConfig


class DpmRunsConfig(AppConfig):
    """Recorded runs and idempotency mappings, plus their support lookups."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dpm_runs"
    verbose_name = "DPM runs"

    def ready(self) -> None:
        from . import run_metrics  # noqa: F401  (connects the runs-recorded counter)
