"""User-agent parsing: ua-parser for browser, OS and device; token rules for the rest.

ua-parser names no engine, CPU or device type, so those come from small rules over the user
agent's tokens that follow UAParser.js's conventions (the library pxyz and Rocket.Chat use).
Rocket.Chat's own apps are recognised first, the way Rocket.Chat recognises them.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import fields, replace

from ua_parser import (
    OS,
    BasicResolver,
    Domain,
    Resolver,
    UserAgent,
    load_builtins,
    load_lazy_builtins,
)
from ua_parser import Device as ParsedDevice

from sessiond.domain.device import UserAgentInfo, truncate_user_agent

DEFAULT_CACHE_SIZE = 2000

_log = logging.getLogger(__name__)

_RC_MOBILE = "RC Mobile"
_RC_DESKTOP = re.compile(r"Rocket\.Chat/(\d+(?:\.\d+)+)")
_RC_OS_NAMES = {"ios": "iOS", "ipados": "iPadOS", "android": "Android"}

_EDGEHTML = re.compile(r"\bEdge/([\d.]+)")
_CHROME = re.compile(r"Chrome/((\d+)[\d.]*)")
_PRESTO = re.compile(r"\bPresto/([\d.]+)")
_WEBKIT = re.compile(r"AppleWebKit/([\d.]+)")
_TRIDENT = re.compile(r"\bTrident/([\d.]+)")
_GECKO = re.compile(r"\brv:([\d.]{1,9})\b.*\bGecko/")

_CPU_RULES = (
    (re.compile(r"\b(?:amd64|x86[-_]?64|x64|wow64|win64)\b", re.I), "amd64"),
    (re.compile(r"\b(?:i[3-6]86|x86)\b", re.I), "ia32"),
    (re.compile(r"\b(?:aarch64|arm64|armv[89]l?)\b", re.I), "arm64"),
    (re.compile(r"\b(?:armv[67]h?l|armhf)\b", re.I), "armhf"),
    (re.compile(r"\barm(?:v[1-5]l?)?\b", re.I), "arm"),
    (re.compile(r"\b(?:ppc|powerpc)64\b", re.I), "ppc64"),
    (re.compile(r"\b(?:ppc|powerpc)\b", re.I), "ppc"),
)

_CRAWLER = re.compile(r"(?:bot|crawler|spider)\b.*\bhttps?://", re.I)
_DEVICE_TYPE_RULES = (
    (re.compile(r"\b(?:Xbox|PlayStation|Nintendo)\b", re.I), "console"),
    (
        re.compile(r"smart-?tv|\bhbbtv\b|\bweb0s\b|\bappletv|\bcrkey\b|googletv|android ?tv", re.I),
        "smarttv",
    ),
    (re.compile(r"\bAFT[A-Z]{1,5}\b"), "smarttv"),
    (re.compile(r"\bwatch(?: ?os[,/]|\d+,\d+/)|\bwear ?os\b", re.I), "wearable"),
    (re.compile(r"\biPad\b|\btablet[;/)]", re.I), "tablet"),
    (re.compile(r"\b(?:iPhone|iPod|Windows Phone|BlackBerry|BB10)\b|Mobi", re.I), "mobile"),
)
_ANDROID = re.compile(r"\bAndroid\b", re.I)
_BROWSER_MARK = re.compile(r"\b(?:Safari|Firefox)/")

_PLACEHOLDER_BRANDS = frozenset({"Generic", "Spider"})

# Crafted user agents can make ua-parser capture long strings; these bound every stored part.
AGENT_NAME_MAX_LENGTH = 128
PART_MAX_LENGTH = 64
_NAME_FIELDS = frozenset({"browser_name", "os_name", "device_vendor", "device_model"})
_PART_FIELDS = tuple(f.name for f in fields(UserAgentInfo) if f.name != "raw")


class UserAgentParser:
    """Parses user agents into `UserAgentInfo`; never raises, safe to share between threads.

    `parse` is synchronous and may take about a millisecond for a string it has not seen:
    from async code, call it through `asyncio.to_thread`.
    """

    def __init__(
        self, *, cache_size: int = DEFAULT_CACHE_SIZE, resolver: Resolver | None = None
    ) -> None:
        self._cache_size = cache_size
        self._given = resolver
        self._resolver: Resolver | None = None
        self._lock = threading.Lock()
        # Whole answers by raw string: a service sees the same few agents again and again.
        self._answers: dict[str, UserAgentInfo] = {}

    def parsed(self, raw: str) -> UserAgentInfo | None:
        """The answer for a user agent parsed lately, without parsing; None if there is none."""
        return self._answers.get(raw)

    def warm(self) -> None:
        """Builds the rules now (about 0.2 s) rather than on the first user agent."""
        self._rules()

    def _rules(self) -> Resolver:
        if self._resolver is None:
            with self._lock:
                if self._resolver is None:
                    self._resolver = self._given or best_resolver()
        return self._resolver

    def parse(self, raw: str) -> UserAgentInfo:
        found = self._answers.get(raw)
        if found is None:
            found = self._parse(raw)
            if len(self._answers) >= self._cache_size:
                self._answers.clear()  # rare: a service sees few distinct agents
            self._answers[raw] = found
        return found

    def _parse(self, raw: str) -> UserAgentInfo:
        ua = truncate_user_agent(raw)
        if not ua:
            return UserAgentInfo(raw=ua)
        try:
            return _clipped(_parse_rc_mobile(ua) or self._parse_generic(ua))
        except Exception as exc:
            _log.warning("user-agent parsing failed (%s); storing it unparsed", type(exc).__name__)
            _log.debug("unparsable user agent %r", ua, exc_info=True)
            return UserAgentInfo(raw=ua)

    def _parse_generic(self, ua: str) -> UserAgentInfo:
        result = self._rules()(ua, Domain.ALL)
        browser_name, browser_version = _named_version(result.user_agent)
        os_name, os_version = _named_version(result.os)
        engine_name, engine_version = _engine(ua)
        vendor, model = _vendor_model(result.device)
        info = UserAgentInfo(
            raw=ua,
            browser_name=browser_name,
            browser_version=browser_version,
            engine_name=engine_name,
            engine_version=engine_version,
            os_name=os_name,
            os_version=os_version,
            device_type=_device_type(ua, result.device),
            device_vendor=vendor,
            device_model=model,
            cpu_arch=_cpu(ua),
        )
        return _with_rc_desktop(info)


@functools.cache
def best_resolver() -> Resolver:
    """The fastest ua-parser resolver installed: the Rust accelerator, else RE2, else `re`.

    Built once per process and shared by every parser (it is safe to share between threads): a
    build takes about 0.3 s and 25 MB of native memory, and the rules never change.
    """
    try:
        from ua_parser.regex import Resolver as RegexResolver
    except ImportError:
        pass
    else:
        return RegexResolver(load_lazy_builtins())
    try:
        from ua_parser.re2 import Resolver as Re2Resolver
    except ImportError:
        return BasicResolver(load_builtins())
    return Re2Resolver(load_lazy_builtins())


def _parse_rc_mobile(ua: str) -> UserAgentInfo | None:
    """`RC Mobile; <os> <os version>; v<version> (<build>)`, as Rocket.Chat's mobile apps send."""
    name, *parts = ua.split(";")
    if name.strip() != _RC_MOBILE:
        return None
    os_tokens = parts[0].split() if parts else []
    app_tokens = parts[1].split() if len(parts) > 1 else []
    os_name = _token(os_tokens, 0)
    version = (_token(app_tokens, 0) or "").removeprefix("v") or None
    build = (_token(app_tokens, 1) or "").replace("(", "").replace(")", "") or None
    return UserAgentInfo(
        raw=ua,
        browser_name=_RC_MOBILE,
        browser_version=version,
        os_name=os_name and _RC_OS_NAMES.get(os_name.lower(), os_name),
        os_version=_token(os_tokens, 1),
        device_type="mobile",
        app_kind="mobile-app",
        app_name=_RC_MOBILE,
        app_version=version,
        app_build=build,
    )


def _clipped(info: UserAgentInfo) -> UserAgentInfo:
    changes = {}
    for name in _PART_FIELDS:
        value = getattr(info, name)
        limit = AGENT_NAME_MAX_LENGTH if name in _NAME_FIELDS else PART_MAX_LENGTH
        if value is not None and len(value) > limit:
            changes[name] = value[:limit]
    return replace(info, **changes) if changes else info


def _token(tokens: list[str], index: int) -> str | None:
    return tokens[index] if index < len(tokens) else None


def _with_rc_desktop(info: UserAgentInfo) -> UserAgentInfo:
    if " Electron/" not in info.raw:
        return info
    found = _RC_DESKTOP.search(info.raw)
    if found is None:
        return info
    return replace(info, app_kind="desktop-app", app_name="Rocket.Chat", app_version=found[1])


def _named_version(part: UserAgent | OS | None) -> tuple[str | None, str | None]:
    if part is None or not part.family or part.family == "Other":
        return None, None
    numbers = (part.major, part.minor, part.patch, part.patch_minor)
    return part.family, ".".join(n for n in numbers if n) or None


def _vendor_model(device: ParsedDevice | None) -> tuple[str | None, str | None]:
    if device is None or device.family == "Other" or device.brand in _PLACEHOLDER_BRANDS:
        return None, None
    brand = device.brand
    vendor = None if not brand or brand.startswith("Generic") else brand
    return vendor, device.model or None


def _engine(ua: str) -> tuple[str | None, str | None]:
    if (edge := _EDGEHTML.search(ua)) and "Windows" in ua:
        return "EdgeHTML", edge[1]
    if (chrome := _CHROME.search(ua)) and "AppleWebKit/537.36" in ua and int(chrome[2]) >= 28:
        return "Blink", chrome[1]
    for pattern, name in ((_PRESTO, "Presto"), (_WEBKIT, "WebKit"), (_TRIDENT, "Trident")):
        if found := pattern.search(ua):
            return name, found[1]
    if gecko := _GECKO.search(ua):
        return "Gecko", gecko[1]
    return None, None


def _cpu(ua: str) -> str | None:
    return next((arch for pattern, arch in _CPU_RULES if pattern.search(ua)), None)


def _device_type(ua: str, device: ParsedDevice | None) -> str | None:
    if (device is not None and device.family == "Spider") or _CRAWLER.search(ua):
        return "bot"
    for pattern, kind in _DEVICE_TYPE_RULES:
        if pattern.search(ua):
            return kind
    if _ANDROID.search(ua) and _BROWSER_MARK.search(ua):
        return "tablet"
    return None
