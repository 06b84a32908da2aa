"""ASGI entry point. The service is CPU-bound and synchronous; WSGI is the primary target."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotus_manage.settings")

application = get_asgi_application()
