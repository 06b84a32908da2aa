"""Routes of the simulation endpoints (POST /rebalance/simulate, /rebalance/analyze)."""

urlpatterns = []
