"""Outgoing mail over SMTP, with the standard library, off the event loop.

`SESSIOND_SMTP_URL` is `smtp://[user:password@]host[:port][?from=addr&starttls=true]`, or
`smtps://...` for TLS from the first byte.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sessiond.domain.errors import InvalidInput, MailUnavailable

DEFAULT_FROM = "sessiond@localhost"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    host: str
    port: int
    sender: str = DEFAULT_FROM
    tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise InvalidInput("the SMTP URL must look like smtp://host:port")
        query = parse_qs(parts.query)
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise InvalidInput("the SMTP URL has a bad port") from exc
        return cls(
            host=parts.hostname,
            port=port,
            sender=query.get("from", [DEFAULT_FROM])[0],
            tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["false"])[0].lower() == "true",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    async def send(self, *, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"the mail server did not take the message: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=context)
        return smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
