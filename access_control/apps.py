from django.apps import AppConfig


class AccessControlConfig(AppConfig):
    name = "access_control"
    verbose_name = "Access control"

    def ready(self) -> None:
        # Registers the Api-Key security scheme with drf-spectacular.
        from . import openapi  # noqa: F401
