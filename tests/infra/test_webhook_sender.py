"""Webhook signing, checked against the Standard Webhooks specification's published example."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from sessiond.infra.webhook_sender import WebhookSender, signed_headers

# The specification's example (standard-webhooks.com, "Signature scheme").
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signatures_match_the_specifications_example() -> None:
    at = datetime.fromtimestamp(SPEC_TIMESTAMP, UTC)
    headers = signed_headers(secret=SPEC_SECRET, message_id=SPEC_ID, body=SPEC_BODY, at=at)
    assert headers == {
        "content-type": "application/json",
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }


async def test_an_answer_says_what_came_back_or_why_nothing_did() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "down.example":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(int(request.url.path.strip("/")))

    sender = WebhookSender(timeout=1.0, transport=httpx.MockTransport(answer))
    at = datetime.now(UTC)
    try:
        sent = {
            url: await sender.send(url=url, secret=SPEC_SECRET, message_id="m", body="{}", at=at)
            for url in ("http://up.example/204", "http://up.example/503", "http://down.example/")
        }
    finally:
        await sender.close()
    ok, refused, down = sent.values()
    assert (ok.ok, ok.status_code, ok.error) == (True, 204, None)
    assert (refused.ok, refused.status_code) == (False, 503)
    assert down.status_code is None
    assert down.error is not None
    assert "ConnectError" in down.error
