"""Root URL configuration."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from lotus_manage.health import LiveView, ReadyView
from lotus_manage.metrics_endpoint import MetricsView

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # OpenAPI document and its two viewers (assets from drf-spectacular-sidecar).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Operations: probes for load balancers, metrics for Prometheus (docs/operations.md).
    path("health/live", LiveView.as_view(), name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    # Service endpoints live at the root (/rebalance/...), as the contract specifies.
    path("", include("rebalance.urls")),
    path("", include("dpm_runs.urls")),
]

# Errors outside DRF views get the same problem-details envelope.
handler400 = "lotus_manage.problems.bad_request"
handler404 = "lotus_manage.problems.page_not_found"
handler500 = "lotus_manage.problems.server_error"
