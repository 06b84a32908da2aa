"""How the OpenAPI document declares ``Authorization: Api-Key <key>``.

Swagger UI's "Authorize" dialog sends the value as typed, so the description
asks for the whole header value, keyword included.
"""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import KEYWORD

SECURITY_SCHEME_NAME = "ApiKeyAuth"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "access_control.authentication.ApiKeyAuthentication"
    name = SECURITY_SCHEME_NAME

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"An API key issued to your client, sent as `Authorization: {KEYWORD} <key>`. "
                f"In Swagger UI's Authorize dialog, enter `{KEYWORD} <key>` (keyword, space, key). "
                "Keys carry roles: `simulate` (run simulations, read your own runs) and "
                "`support` (read any run)."
            ),
        }
