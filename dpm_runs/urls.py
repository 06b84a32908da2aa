"""Routes of the support lookups (GET /rebalance/runs/...)."""

urlpatterns = []
