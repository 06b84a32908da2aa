"""Routes of the simulation endpoints (POST /rebalance/simulate, /rebalance/analyze)."""

from django.urls import path

from .views import AnalyzeView, SimulateView

urlpatterns = [
    path("rebalance/simulate", SimulateView.as_view(), name="rebalance-simulate"),
    path("rebalance/analyze", AnalyzeView.as_view(), name="rebalance-analyze"),
]
