"""The device a session was issued to, as parsed from its user agent, and each door's view of it.

Parts are stored with ua-parser's names ("Chrome Mobile", "Mac OS X"). The pxyz and Rocket.Chat
formats were made with UAParser.js, so their renderings translate the few names that differ.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

USER_AGENT_MAX_BYTES = 512

_UAPARSER_JS_BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome WebView",
    "HeadlessChrome": "Chrome Headless",
    "Edge Mobile": "Edge",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "IE Mobile": "IEMobile",
    "Opera Mobile": "Opera",
    "Yandex Browser": "Yandex",
}
_UAPARSER_JS_OSES = {
    "Mac OS X": "Mac OS",
    "Chrome OS": "Chromium OS",
}
# UAParser.js's device types; "bot" is ours and does not change Rocket.Chat's `type`.
_ROCKETCHAT_DEVICE_TYPES = frozenset({"mobile", "tablet", "smarttv", "wearable", "console"})
_ROCKETCHAT_VERSION = re.compile(r"(?:\d+\.){0,2}\d+")
# The kind of device a person recognises, from the app kind or else the device type.
_KINDS = {
    "mobile": "phone",
    "wearable": "phone",
    "tablet": "tablet",
    "bot": "bot",
    "mobile-app": "app",
    "desktop-app": "app",
}
DEVICE_KINDS = ("desktop", "phone", "tablet", "app", "bot")


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    raw: str
    browser_name: str | None = None
    browser_version: str | None = None
    engine_name: str | None = None
    engine_version: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    device_type: str | None = None
    device_vendor: str | None = None
    device_model: str | None = None
    cpu_arch: str | None = None
    app_kind: str | None = None
    app_name: str | None = None
    app_version: str | None = None
    app_build: str | None = None


def kind_of(*, app_kind: str | None, device_type: str | None) -> str:
    """desktop, phone, tablet, app or bot."""
    return _KINDS.get(app_kind or "") or _KINDS.get(device_type or "", "desktop")


def country_of(location: str) -> str:
    """The last part of "City, Country" (what `infra.client_ip` records), or "" when unknown."""
    return location.rpartition(",")[2].strip()


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """One kind of device a tenant has seen: the parts lists filter and count sessions by."""

    id: uuid.UUID
    browser_name: str | None
    app_name: str | None
    device_type: str | None
    app_kind: str | None
    os_name: str | None

    @property
    def browser(self) -> str | None:
        """The app's name for an app, else the browser's."""
        return self.app_name if self.app_name is not None else self.browser_name

    @property
    def kind(self) -> str:
        return kind_of(app_kind=self.app_kind, device_type=self.device_type)


@dataclass(frozen=True, slots=True)
class Device:
    """What was recorded about the client when a session was issued; never updated after."""

    id: uuid.UUID
    agent: UserAgentInfo
    ip: str | None
    location: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PxyzDeviceStrings:
    browser: str | None
    device: str | None
    engine: str | None
    os: str | None
    cpu: str | None


def truncate_user_agent(raw: str, max_bytes: int = USER_AGENT_MAX_BYTES) -> str:
    """Cut `raw` to at most `max_bytes` of UTF-8 on a character boundary.

    NUL characters are dropped and lone surrogates replaced, so the result is always storable.
    """
    encoded = raw.replace("\x00", "").encode("utf-8", "replace")
    return encoded[:max_bytes].decode("utf-8", "ignore")


def pxyz_display(info: UserAgentInfo) -> PxyzDeviceStrings:
    """pxyz's nullable display strings, joined like UAParser.js's `toString`."""
    return PxyzDeviceStrings(
        browser=_named(_js_browser(info.browser_name), info.browser_version),
        device=_joined(info.device_vendor, info.device_model),
        engine=_named(info.engine_name, info.engine_version),
        os=_named(_js_os(info.os_name), info.os_version),
        cpu=info.cpu_arch,
    )


def rocketchat_device(info: UserAgentInfo) -> dict[str, object]:
    """Rocket.Chat's `device` object, following its SAUMonitor rules.

    Unlike Rocket.Chat, a device model without a device type (Apple Macintosh) keeps the type
    `browser` instead of turning it into an empty string.
    """
    kind, name, long_version = _rocketchat_identity(info)
    return {
        "type": kind,
        "name": name,
        "longVersion": long_version,
        "os": _rocketchat_os(info),
        "version": _rocketchat_version(long_version),
    }


def _rocketchat_identity(info: UserAgentInfo) -> tuple[str, str, str]:
    if info.app_kind is not None:
        long_version = info.app_version or ""
        if long_version and info.app_build:
            long_version = f"{long_version} {info.app_build}"
        return info.app_kind, info.app_name or "", long_version
    kind, name, long_version = "other", "", ""
    if info.browser_name:
        kind, name = "browser", _js_browser(info.browser_name) or ""
        long_version = info.browser_version or ""
    if info.device_type is not None and info.device_type in _ROCKETCHAT_DEVICE_TYPES:
        kind = info.device_type
    return kind, name, long_version


def _rocketchat_os(info: UserAgentInfo) -> dict[str, str]:
    if not info.os_name:
        return {"name": "", "version": ""}
    os = {"name": _js_os(info.os_name) or ""}
    if info.os_version:
        os["version"] = info.os_version
    return os


def _rocketchat_version(long_version: str) -> str:
    found = _ROCKETCHAT_VERSION.search(long_version)
    return found.group() if found else ""


def _js_browser(name: str | None) -> str | None:
    return _UAPARSER_JS_BROWSERS.get(name, name) if name else name


def _js_os(name: str | None) -> str | None:
    return _UAPARSER_JS_OSES.get(name, name) if name else name


def _named(name: str | None, version: str | None) -> str | None:
    return _joined(name, version) if name else None


def _joined(first: str | None, second: str | None) -> str | None:
    return " ".join(part for part in (first, second) if part) or None
