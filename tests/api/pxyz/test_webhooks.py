"""The pxyz backend's webhook endpoints (`/api/v0/webhooks`): made, listed, read and deleted with
a tenant's secret key; the secret shown once; bad input answered in pxyz's error shape."""

from __future__ import annotations

import httpx
from standardwebhooks import Webhook

from sessiond.services.container import Services
from tests.helpers.pxyz import Keyed
from tests.helpers.pxyz_contract import check

URL = "https://hooks.example/sessiond"


async def test_a_webhook_is_made_listed_read_and_deleted_with_a_secret_key(
    http: httpx.AsyncClient, a: Keyed, services: Services
) -> None:
    body = {"tenantId": a.pid, "url": URL, "events": ["session.ended", "user.created"]}
    made = await http.post("/api/v0/webhooks", headers=a.auth, json=body)
    assert made.status_code == 201, made.text
    created = made.json()
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    Webhook(secret)  # a secret the Standard Webhooks libraries take
    assert created["url"] == URL
    assert created["events"] == ["session.ended", "user.created"]
    assert created["tenantId"] == a.pid
    assert created["enabled"] is True
    assert created["id"].startswith("c")

    listed = await http.get("/api/v0/webhooks", params={"tenantId": a.pid}, headers=a.auth)
    assert listed.json() == [created]
    one = await http.get(f"/api/v0/webhooks/{created['id']}", headers=a.auth)
    assert one.json() == created
    assert secret not in listed.text + one.text
    [stored] = await services.webhooks.endpoints(a.tenant.id)
    assert stored.secret == secret

    gone = await http.delete(f"/api/v0/webhooks/{created['id']}", headers=a.auth)
    assert gone.json() == {"deleted": True}
    again = await http.get(f"/api/v0/webhooks/{created['id']}", headers=a.auth)
    assert again.status_code == 404
    check("auth-sessions-get", 404, again.json())


async def test_bad_webhooks_are_refused_in_the_pxyz_error_shape(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    for body in (
        {"tenantId": a.pid, "url": URL, "events": ["session.teleported"]},
        {"tenantId": a.pid, "url": "ftp://hooks.example", "events": ["user.created"]},
        {"tenantId": a.pid, "url": URL, "events": []},
    ):
        response = await http.post("/api/v0/webhooks", headers=a.auth, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["status"] == "error"
    unsigned = await http.get("/api/v0/webhooks", params={"tenantId": a.pid})
    assert unsigned.status_code == 401
    assert unsigned.json()["status"] == "error"
