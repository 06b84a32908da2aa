"""The request models document themselves in the OpenAPI schema without warnings."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.validation import validate_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from lotus_manage import openapi_pydantic  # noqa: F401  (registers the pydantic extension)
from rebalance.boundary import BatchRebalanceRequest, RebalanceRequest


class _Simulate(APIView):
    @extend_schema(request=RebalanceRequest, responses={200: None})
    def post(self, request):
        return Response()


class _Analyze(APIView):
    @extend_schema(request=BatchRebalanceRequest, responses={200: None})
    def post(self, request):
        return Response()


def test_schema_of_the_request_bodies(capsys):
    patterns = [path("simulate", _Simulate.as_view()), path("analyze", _Analyze.as_view())]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert "Warning" not in capsys.readouterr().err  # drf-spectacular reports on stderr

    components = schema["components"]["schemas"]
    options = {
        name: {key: value for key, value in prop.items() if key != "description"}
        for name, prop in components["EngineOptions"]["properties"].items()
    }
    assert len(options) == 40
    # Defaults are documented with the scale the request hash uses.
    assert options["fx_buffer_pct"] == {"type": "string", "format": "decimal", "default": "0.01"}
    assert options["max_turnover_pct"] == {
        "type": "string", "format": "decimal", "nullable": True, "default": None,
    }
    assert options["settlement_horizon_days"] == {
        "type": "integer", "minimum": 0, "maximum": 10, "default": 5,
    }
    assert options["allow_restricted"] == {"type": "boolean", "default": False}
    assert options["group_constraints"] == {
        "type": "object",
        "additionalProperties": {"$ref": "#/components/schemas/GroupConstraint"},
        "maxProperties": 200,
    }
    assert "required" not in components["EngineOptions"]
    positions = dict(components["PortfolioSnapshot"]["properties"]["positions"])
    assert positions.pop("description") == "Current holdings."
    assert positions == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Position"},
        "maxItems": 10000,
    }
    assert sorted(components["RebalanceRequest"]["required"]) == [
        "market_data_snapshot",
        "model_portfolio",
        "options",
        "portfolio_snapshot",
        "shelf_entries",
    ]
    assert components["StatusEnum"]["enum"] == [
        "APPROVED",
        "RESTRICTED",
        "BANNED",
        "SUSPENDED",
        "SELL_ONLY",
    ]
