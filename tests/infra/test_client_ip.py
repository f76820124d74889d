from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from sessiond.domain.errors import InvalidInput
from sessiond.infra.client_ip import (
    DEFAULT_TRUSTED_PROXIES,
    LOCATION_MAX_LENGTH,
    ClientAddress,
    TrustedProxies,
    parse_ip,
    resolve_client,
)

LOCAL = TrustedProxies.parse(DEFAULT_TRUSTED_PROXIES)
ALL_HEADERS = {
    "True-Client-IP": "1.0.0.1",
    "Cf-Connecting-IP": "1.0.0.2",
    "X-Real-IP": "1.0.0.3",
    "X-Forwarded-For": "192.168.1.1, 1.0.0.4, 10.0.0.1",
}


def _resolve(headers: dict[str, str], *, peer: str | None = "127.0.0.1") -> ClientAddress:
    return resolve_client(peer=peer, headers=headers, trusted=LOCAL)


def test_default_trusts_loopback_only() -> None:
    assert LOCAL.contains("127.0.0.1")
    assert LOCAL.contains("127.10.0.3")
    assert LOCAL.contains("::1")
    assert LOCAL.contains("::ffff:127.0.0.1")
    assert not LOCAL.contains("10.0.0.1")
    assert not LOCAL.contains("2606:4700:4700::1111")


def test_contains_is_false_for_something_that_is_not_an_ip() -> None:
    assert not LOCAL.contains("localhost")
    assert not LOCAL.contains("")


def test_parse_accepts_spaces_bare_addresses_and_nothing() -> None:
    proxies = TrustedProxies.parse(" 10.0.0.0/8 ,, 192.0.2.7, fd00::/8 ")

    assert proxies.contains("10.1.2.3")
    assert proxies.contains("192.0.2.7")
    assert not proxies.contains("192.0.2.8")
    assert proxies.contains("fd12::1")
    assert TrustedProxies.parse("").networks == ()


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "not-a-network", "10.0.0.1/8", "::1/129"])
def test_a_bad_network_is_invalid_input_naming_it(bad: str) -> None:
    with pytest.raises(InvalidInput, match="invalid trusted proxy network") as caught:
        TrustedProxies.parse(f"127.0.0.1/32,{bad}")

    assert bad in caught.value.message
    assert caught.value.field == "trusted_proxies"


def test_headers_of_an_untrusted_peer_are_ignored() -> None:
    headers = {**ALL_HEADERS, "Cf-Ipcity": "Berlin", "Cf-Ipcountry": "DE"}

    assert _resolve(headers, peer="1.0.0.9") == ClientAddress(ip="1.0.0.9", location="")


def test_a_trusted_peer_without_headers_is_the_client() -> None:
    assert _resolve({}) == ClientAddress(ip="127.0.0.1", location="")


def test_no_peer_and_an_unparsable_peer_give_no_ip() -> None:
    assert _resolve(ALL_HEADERS, peer=None) == ClientAddress(ip=None, location="")
    assert _resolve(ALL_HEADERS, peer="testclient") == ClientAddress(ip=None, location="")


@pytest.mark.parametrize(
    ("dropped", "expected"),
    [
        ((), "1.0.0.1"),
        (("True-Client-IP",), "1.0.0.2"),
        (("True-Client-IP", "Cf-Connecting-IP"), "1.0.0.3"),
        (("True-Client-IP", "Cf-Connecting-IP", "X-Real-IP"), "1.0.0.4"),
        (("True-Client-IP", "Cf-Connecting-IP", "X-Real-IP", "X-Forwarded-For"), "127.0.0.1"),
    ],
)
def test_headers_are_read_in_kratos_order(dropped: tuple[str, ...], expected: str) -> None:
    headers = {name: value for name, value in ALL_HEADERS.items() if name not in dropped}

    assert _resolve(headers).ip == expected


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("54.155.246.232,10.145.1.10", "54.155.246.232"),
        ("8.8.8.8, 1.1.1.1, 172.16.0.9, 127.0.0.1", "1.1.1.1"),
        ("1.1.1.1", "1.1.1.1"),
        ("10.0.0.7, 192.168.0.2", "10.0.0.7"),
        ("169.254.1.1, fe80::1, ::1, 100.64.0.1", "169.254.1.1"),
        ("garbage, 8.8.4.4, also-garbage", "8.8.4.4"),
        ("unknown, ", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_forwarded_for_takes_the_rightmost_public_entry(forwarded_for: str, expected: str) -> None:
    assert _resolve({"X-Forwarded-For": forwarded_for}).ip == expected


def test_repeated_forwarded_for_headers_are_one_list() -> None:
    headers = Headers(
        raw=[(b"x-forwarded-for", b"8.8.8.8"), (b"x-forwarded-for", b"10.0.0.1, 1.1.1.1")]
    )

    assert resolve_client(peer="127.0.0.1", headers=headers, trusted=LOCAL).ip == "1.1.1.1"


def test_starlette_headers_work_as_they_are() -> None:
    headers = Headers(raw=[(b"x-real-ip", b"9.9.9.9"), (b"cf-ipcountry", b"DE")])

    resolved = resolve_client(peer="::1", headers=headers, trusted=LOCAL)

    assert resolved == ClientAddress(ip="9.9.9.9", location="DE")


def test_invalid_single_ip_headers_are_skipped() -> None:
    headers = {
        "True-Client-IP": "not-an-ip",
        "Cf-Connecting-IP": "1.2.3.4.5",
        "X-Real-IP": "9.9.9.9",
    }

    assert _resolve(headers).ip == "9.9.9.9"


def test_header_names_are_case_insensitive() -> None:
    headers = {"tRUE-cLIENT-ip": "1.0.0.1", "CF-IPCITY": "Berlin", "cf-ipcountry": "DE"}

    assert _resolve(headers) == ClientAddress(ip="1.0.0.1", location="Berlin, DE")


@pytest.mark.parametrize(
    ("city", "country", "location"),
    [
        ("Berlin", "DE", "Berlin, DE"),
        (None, "DE", "DE"),
        ("Berlin", None, "Berlin"),
        (" ", "  ", ""),
        (None, None, ""),
    ],
)
def test_location_joins_city_and_country(
    city: str | None, country: str | None, location: str
) -> None:
    headers = {"Cf-Ipcity": city, "Cf-Ipcountry": country}
    present = {name: value for name, value in headers.items() if value is not None}

    assert _resolve(present).location == location


def test_location_is_bounded() -> None:
    headers = {"Cf-Ipcity": "x" * 1000, "Cf-Ipcountry": "DE"}

    assert len(_resolve(headers).location) == LOCATION_MAX_LENGTH


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2606:4700:4700:0000:0000:0000:0000:1111", "2606:4700:4700::1111"),
        ("[2606:4700:4700::1111]:443", "2606:4700:4700::1111"),
        ("2001:4860:4860::8888%eth0", "2001:4860:4860::8888"),
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("8.8.8.8:51234", "8.8.8.8"),
    ],
)
def test_ips_are_canonical(header: str, expected: str) -> None:
    assert _resolve({"X-Real-IP": header}).ip == expected


def test_an_ipv6_peer_and_forwarded_for() -> None:
    trusted = TrustedProxies.parse("fd00::/8")
    headers = {"X-Forwarded-For": "2606:4700:4700::1111, fd00::2"}

    resolved = resolve_client(peer="fd00::1", headers=headers, trusted=trusted)

    assert resolved.ip == "2606:4700:4700::1111"


def test_an_untrusted_ipv6_peer_is_canonical() -> None:
    assert _resolve({}, peer="2606:4700:4700:0:0:0:0:1111").ip == "2606:4700:4700::1111"


@pytest.mark.parametrize("text", ["", "   ", "1.2.3", "::g", "[::1", "1.2.3.4:5:6", "localhost"])
def test_parse_ip_rejects_what_is_not_an_address(text: str) -> None:
    assert parse_ip(text) is None
