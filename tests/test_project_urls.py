"""Project-level routes: admin and the OpenAPI document with its viewers."""
import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def anonymous() -> Client:
    """A client without an API key or a session (the project's ``client`` fixture holds a key)."""
    return Client()


def test_schema_is_served(anonymous):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_local_assets(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr.net" not in html


@pytest.mark.django_db
def test_admin_redirects_anonymous_user_to_login(anonymous):
    response = anonymous.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi:")
