"""Sending one webhook message, signed per the Standard Webhooks specification.

The receiver is told the message id (`webhook-id`, the event's id: its idempotency key), when it
was sent (`webhook-timestamp`, Unix seconds) and `webhook-signature`: `v1,` and the base64
HMAC-SHA256, under the endpoint's `whsec_` secret, of `{id}.{timestamp}.{body}`. The signing is the
`standardwebhooks` package's own, so receivers verify with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks import Webhook

from sessiond import __version__

ERROR_MAX_LENGTH = 512


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: the status code, or why there was none."""

    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


class WebhookSender:
    def __init__(
        self, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"user-agent": f"sessiond/{__version__} (webhooks)"},
        )

    async def send(
        self, *, url: str, secret: str, message_id: str, body: str, at: datetime
    ) -> Answer:
        """POSTs the message; the answer's body is never read."""
        headers = signed_headers(secret=secret, message_id=message_id, body=body, at=at)
        try:
            async with self._client.stream(
                "POST", url, content=body.encode(), headers=headers
            ) as response:
                code = response.status_code
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return Answer(None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH])
        return Answer(code, None if 200 <= code < 300 else f"the receiver answered {code}")

    async def close(self) -> None:
        await self._client.aclose()
