"""The client's address and location, from proxy headers only when a trusted proxy sent them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from sessiond.domain.errors import InvalidInput

DEFAULT_TRUSTED_PROXIES = "127.0.0.0/8,::1/128"
LOCATION_MAX_LENGTH = 256

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

_SINGLE_IP_HEADERS = ("true-client-ip", "cf-connecting-ip", "x-real-ip")
_FORWARDED_FOR = "x-forwarded-for"
_LOCATION_HEADERS = ("cf-ipcity", "cf-ipcountry")


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """Networks from a comma-separated list of CIDRs or addresses; "" trusts no proxy."""
        return cls(tuple(_network(item.strip()) for item in text.split(",") if item.strip()))

    def contains(self, ip: str) -> bool:
        address = parse_ip(ip)
        return address is not None and self._has(address)

    def _has(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True, slots=True)
class ClientAddress:
    ip: str | None
    location: str


def resolve_client(
    *, peer: str | None, headers: Mapping[str, str], trusted: TrustedProxies
) -> ClientAddress:
    """The client's IP and location, found the way Ory Kratos does, from a trusted proxy only.

    From a trusted peer, the IP is the first valid `True-Client-IP`, `Cf-Connecting-IP` or
    `X-Real-IP`; else the right-most valid `X-Forwarded-For` entry that is publicly routable
    (ipaddress's `is_global`; each proxy appends the address it saw, so internal hops sit on
    the right); else, when every entry is internal, the left-most valid one (the hop farthest
    away); else the peer. Kratos keeps garbage entries and answers "" when all are private;
    here invalid values are skipped. The location is `Cf-Ipcity` and `Cf-Ipcountry` joined
    with ", ", cut to `LOCATION_MAX_LENGTH` characters. An untrusted peer's headers are
    ignored. IPs are canonical (see `parse_ip`); a peer that is not an IP gives `ip=None`.
    """
    peer_ip = parse_ip(peer) if peer else None
    if peer_ip is None or not trusted._has(peer_ip):
        return ClientAddress(ip=_text(peer_ip), location="")
    lowered = _lower_keys(headers)
    ip = _first_valid(lowered.get(name, "") for name in _SINGLE_IP_HEADERS)
    if ip is None:
        ip = _forwarded_ip(lowered.get(_FORWARDED_FOR, ""))
    return ClientAddress(ip=_text(peer_ip if ip is None else ip), location=_location(lowered))


def parse_ip(text: str) -> IPAddress | None:
    """An IP address from `text`, allowing `[v6]`, `[v6]:port` and `v4:port`; None if invalid.

    IPv6 zone ids are dropped and IPv4-mapped IPv6 addresses become IPv4.
    """
    candidate = text.strip()
    if candidate.startswith("["):
        candidate, bracket, _ = candidate[1:].partition("]")
        if not bracket:
            return None
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ipaddress.ip_address(candidate.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _network(item: str) -> IPNetwork:
    try:
        network = ipaddress.ip_network(item)
    except ValueError as exc:
        raise InvalidInput(
            f"invalid trusted proxy network {item!r}: {exc}", field="trusted_proxies"
        ) from exc
    return network


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key == _FORWARDED_FOR and key in lowered:
            lowered[key] = f"{lowered[key]},{value}"
        else:
            lowered.setdefault(key, value)
    return lowered


def _first_valid(values: Iterable[str]) -> IPAddress | None:
    return next((ip for value in values if (ip := parse_ip(value)) is not None), None)


def _forwarded_ip(value: str) -> IPAddress | None:
    entries = [ip for item in value.split(",") if (ip := parse_ip(item)) is not None]
    public = next((ip for ip in reversed(entries) if ip.is_global), None)
    if public is None and entries:
        return entries[0]
    return public


def _location(headers: Mapping[str, str]) -> str:
    parts = (headers.get(name, "").strip() for name in _LOCATION_HEADERS)
    return ", ".join(part for part in parts if part)[:LOCATION_MAX_LENGTH]


def _text(ip: IPAddress | None) -> str | None:
    return None if ip is None else str(ip)
