"""SMTP delivery against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import pytest

from sessiond.domain.errors import InvalidInput, MailUnavailable
from sessiond.infra.mail import SmtpMailer
from tests.helpers.live import free_port
from tests.helpers.mail import Inbox


def test_the_url_gives_host_port_sender_and_credentials() -> None:
    mailer = SmtpMailer.from_url("smtps://me%40x.io:p%40ss@mail.example:2465?from=a%40b.io")
    assert (mailer.host, mailer.port, mailer.tls, mailer.starttls) == (
        "mail.example",
        2465,
        True,
        False,
    )
    assert (mailer.sender, mailer.username, mailer.password) == ("a@b.io", "me@x.io", "p@ss")
    assert "p@ss" not in repr(mailer)
    plain = SmtpMailer.from_url("smtp://localhost?starttls=true")
    assert (plain.port, plain.starttls, plain.username) == (25, True, None)


@pytest.mark.parametrize("url", ["http://x", "smtp://", "smtp://x:port"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        SmtpMailer.from_url(url)


async def test_a_message_reaches_the_server(inbox: Inbox) -> None:
    mailer = SmtpMailer.from_url(inbox.url)
    await mailer.send(to="bob@example.test", subject="Hello", text="Your code: 123-456")
    [message] = inbox.messages
    assert (message["To"], message["From"], message["Subject"]) == (
        "bob@example.test",
        "sessiond@example.test",
        "Hello",
    )
    assert inbox.last_code("bob@example.test") == "123-456"


async def test_an_unreachable_server_is_a_clear_error() -> None:
    mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(MailUnavailable, match="did not take the message"):
        await mailer.send(to="bob@example.test", subject="Hello", text="x")
