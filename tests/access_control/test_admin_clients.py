"""Admin of API clients: create (the key shown once), change roles, issue keys, revoke."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from access_control.models import ApiClient, ApiKey

pytestmark = pytest.mark.django_db

CLIENTS = "/admin/access_control/apiclient/"
LOOKUP = "/rebalance/runs/rr_00000000"
KEY_LOOKUP = "/rebalance/runs/idempotency/no-such-key"
KEY_INPUT = re.compile(r'class="api-key-value" value="([A-Za-z0-9]{8}\.[A-Za-z0-9]+)"')


def _keys_on(html: str) -> list[str]:
    return KEY_INPUT.findall(html)


def _lookup(key: str):
    return Client().get(LOOKUP, headers={"Authorization": f"Api-Key {key}"})


def _create(admin_client, name="acme", roles=("simulate",), expires_days=""):
    return admin_client.post(
        f"{CLIENTS}add/", {"name": name, "roles": list(roles), "key_expires_days": expires_days, "_save": "Save"}
    )


def _change_url(client: ApiClient) -> str:
    return f"{CLIENTS}{client.pk}/change/"


def test_add_page_offers_name_roles_as_checkboxes_and_an_expiry(admin_client):
    html = admin_client.get(f"{CLIENTS}add/").content.decode()
    assert 'name="name"' in html
    assert 'type="checkbox" name="roles" value="simulate"' in html
    assert 'type="checkbox" name="roles" value="support"' in html
    assert 'name="key_expires_days"' in html
    # The answer to the save is the key page, whatever the button: only one is offered.
    assert 'name="_addanother"' not in html and 'name="_continue"' not in html


def test_created_client_key_is_shown_once_and_works_against_the_api(admin_client):
    response = _create(admin_client, roles=("simulate", "support"))
    assert response.status_code == 200
    html = response.content.decode()
    [key] = _keys_on(html)
    assert "only place it is ever shown" in html
    assert "no-store" in response["Cache-Control"]

    client = ApiClient.objects.get(name="acme")
    assert client.roles == ["simulate", "support"]
    [api_key] = ApiKey.objects.filter(client=client)
    assert key.startswith(api_key.prefix + ".")
    assert api_key.expiry_date is None
    # Stored hashed only: no column holds the secret.
    assert key not in (api_key.pk, api_key.hashed_key)
    assert key.partition(".")[2] not in api_key.hashed_key

    lookup = _lookup(key)
    assert lookup.status_code == 404, lookup.content
    assert lookup.json()["detail"] == "DPM_RUN_NOT_FOUND"

    # Never shown again, nor kept anywhere to be shown later (no message, no session).
    for page in (_change_url(client), CLIENTS, "/admin/"):
        assert key not in admin_client.get(page).content.decode(), page
    assert not any(key in str(s.get_decoded()) for s in Session.objects.all())
    assert all(key not in cookie.value for cookie in response.cookies.values())


def test_change_page_lists_keys_by_prefix_never_by_hash(admin_client):
    _create(admin_client)
    client = ApiClient.objects.get(name="acme")
    api_key = ApiKey.objects.get(client=client)
    html = admin_client.get(_change_url(client)).content.decode()
    assert f"<code>{api_key.prefix}…</code>" in html
    assert api_key.hashed_key not in html
    assert api_key.pk not in html  # the primary key embeds the hash
    assert "active" in html and "never" in html


def test_expiry_days_set_the_key_expiry(admin_client):
    _create(admin_client, expires_days="30")
    api_key = ApiKey.objects.get(client__name="acme")
    expected = timezone.now() + timedelta(days=30)
    assert abs((api_key.expiry_date - expected).total_seconds()) < 60


@pytest.mark.parametrize(
    "data, field_error",
    [
        ({"name": "acme", "roles": []}, "roles"),
        ({"name": "has space", "roles": ["simulate"]}, "name"),
        ({"name": "acme", "roles": ["simulate"], "key_expires_days": "0"}, "key_expires_days"),
    ],
)
def test_invalid_clients_are_refused_and_get_no_key(admin_client, data, field_error):
    response = admin_client.post(f"{CLIENTS}add/", {**data, "_save": "Save"})
    assert response.status_code == 200
    assert field_error in response.context["adminform"].form.errors
    assert not _keys_on(response.content.decode())
    assert not ApiClient.objects.filter(name=data["name"]).exists()
    assert not ApiKey.objects.exists()


def test_a_taken_name_is_refused(admin_client):
    _create(admin_client)
    response = _create(admin_client)
    assert "name" in response.context["adminform"].form.errors
    assert ApiKey.objects.count() == 1


def test_roles_can_be_changed_and_the_name_cannot(admin_client):
    key = _keys_on(_create(admin_client, roles=("simulate",)).content.decode())[0]
    client = ApiClient.objects.get(name="acme")
    caller = Client(headers={"Authorization": f"Api-Key {key}"})
    # Naming another key space takes the support role.
    assert caller.get(KEY_LOOKUP, {"client": "acme"}).status_code == 403

    response = admin_client.post(_change_url(client), {"name": "renamed", "roles": ["support"], "_save": "Save"})
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.roles) == ("acme", ["support"])
    assert caller.get(KEY_LOOKUP, {"client": "acme"}).status_code == 404

    response = admin_client.post(_change_url(client), {"roles": [], "_save": "Save"})
    assert response.status_code == 200 and "roles" in response.context["adminform"].form.errors


def test_revoke_button_asks_then_revokes_the_client_and_every_key(admin_client):
    first = _keys_on(_create(admin_client).content.decode())[0]
    client = ApiClient.objects.get(name="acme")
    second = _keys_on(admin_client.post(f"{CLIENTS}{client.pk}/issue-key/", {"post": "yes"}).content.decode())[0]
    change_page = admin_client.get(_change_url(client)).content.decode()
    assert f'href="{CLIENTS}{client.pk}/revoke/"' in change_page

    confirm = admin_client.get(f"{CLIENTS}{client.pk}/revoke/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    client.refresh_from_db()
    assert client.revoked_at is None  # asking is not revoking

    response = admin_client.post(f"{CLIENTS}{client.pk}/revoke/", {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == _change_url(client)
    client.refresh_from_db()
    assert client.revoked_at is not None
    assert not ApiKey.objects.filter(client=client, revoked=False).exists()
    for key in (first, second):
        assert _lookup(key).status_code == 401

    # Irreversible: the page is view-only, no buttons, no new key.
    html = admin_client.get(_change_url(client)).content.decode()
    assert "/revoke/" not in html and "/issue-key/" not in html
    assert 'name="roles"' not in html and 'name="_save"' not in html
    assert "revoked" in html
    assert '<div class="readonly">simulate</div>' in html  # the roles, as text
    assert admin_client.post(_change_url(client), {"roles": ["simulate", "support"]}).status_code == 403
    response = admin_client.post(f"{CLIENTS}{client.pk}/issue-key/", {"post": "yes"})
    assert response.status_code == 302 and not _keys_on(response.content.decode())
    assert ApiKey.objects.filter(client=client, revoked=False).count() == 0
    client.refresh_from_db()
    assert client.roles == ["simulate"]


def test_revoke_selected_action_confirms_then_revokes(admin_client):
    keys = {name: _keys_on(_create(admin_client, name=name).content.decode())[0] for name in ("one", "two", "three")}
    chosen = list(ApiClient.objects.filter(name__in=["one", "two"]).values_list("pk", flat=True))
    selection = {"action": "revoke_selected", "_selected_action": chosen}

    confirm = admin_client.post(CLIENTS, {**selection, "index": 0})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "one" in html and "two" in html and "cannot be undone" in html
    assert not ApiClient.objects.filter(revoked_at__isnull=False).exists()

    done = admin_client.post(CLIENTS, {**selection, "post": "yes"})
    assert done.status_code == 302
    assert set(ApiClient.objects.filter(revoked_at__isnull=False).values_list("name", flat=True)) == {"one", "two"}
    assert _lookup(keys["one"]).status_code == 401
    assert _lookup(keys["two"]).status_code == 401
    assert _lookup(keys["three"]).status_code == 404


def test_issue_new_key_rotates_without_breaking_the_old_key(admin_client):
    old = _keys_on(_create(admin_client).content.decode())[0]
    client = ApiClient.objects.get(name="acme")

    form = admin_client.get(f"{CLIENTS}{client.pk}/issue-key/")
    assert form.status_code == 200 and 'name="key_expires_days"' in form.content.decode()
    assert ApiKey.objects.filter(client=client).count() == 1

    response = admin_client.post(f"{CLIENTS}{client.pk}/issue-key/", {"post": "yes", "key_expires_days": "7"})
    [new] = _keys_on(response.content.decode())
    assert new != old
    assert ApiKey.objects.filter(client=client).count() == 2
    assert ApiKey.objects.get(prefix=new.partition(".")[0]).expiry_date is not None
    assert _lookup(new).status_code == 404
    assert _lookup(old).status_code == 404
    assert new not in admin_client.get(_change_url(client)).content.decode()


def test_issue_new_key_action_shows_each_new_key_once(admin_client):
    for name in ("one", "two"):
        _create(admin_client, name=name)
    chosen = list(ApiClient.objects.values_list("pk", flat=True))
    response = admin_client.post(CLIENTS, {"action": "issue_new_key", "_selected_action": chosen, "post": "yes"})
    keys = _keys_on(response.content.decode())
    assert len(keys) == 2
    for key in keys:
        assert _lookup(key).status_code == 404


def test_clients_cannot_be_deleted(admin_client):
    _create(admin_client)
    client = ApiClient.objects.get(name="acme")
    assert admin_client.get(f"{CLIENTS}{client.pk}/delete/").status_code == 403
    assert admin_client.post(f"{CLIENTS}{client.pk}/delete/", {"post": "yes"}).status_code == 403
    assert 'value="delete_selected"' not in admin_client.get(CLIENTS).content.decode()
    assert ApiClient.objects.filter(pk=client.pk).exists()


def test_view_only_staff_cannot_create_revoke_or_issue(admin_client):
    _create(admin_client)
    client = ApiClient.objects.get(name="acme")
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apiclient"))
    browser = Client()
    browser.force_login(viewer)

    assert browser.get(_change_url(client)).status_code == 200
    assert browser.get(f"{CLIENTS}add/").status_code == 403
    assert browser.get(f"{CLIENTS}{client.pk}/revoke/").status_code == 403
    assert browser.post(f"{CLIENTS}{client.pk}/revoke/", {"post": "yes"}).status_code == 403
    assert browser.post(f"{CLIENTS}{client.pk}/issue-key/", {"post": "yes"}).status_code == 403
    client.refresh_from_db()
    assert client.revoked_at is None and ApiKey.objects.filter(client=client).count() == 1


def test_the_packages_own_api_key_model_is_not_in_the_admin(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "rest_framework_api_key" not in html
    assert admin_client.get("/admin/rest_framework_api_key/apikey/").status_code == 404
