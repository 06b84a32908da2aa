"""WSGI entry point (gunicorn: `gunicorn lotus_manage.wsgi`)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotus_manage.settings")

application = get_wsgi_application()
