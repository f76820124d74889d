from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
import ua_parser
from ua_parser import Domain, PartialResult

from sessiond.domain.device import (
    USER_AGENT_MAX_BYTES,
    UserAgentInfo,
    pxyz_display,
    rocketchat_device,
)
from sessiond.infra.useragent import (
    AGENT_NAME_MAX_LENGTH,
    PART_MAX_LENGTH,
    UserAgentParser,
    best_resolver,
)
from tests.helpers.user_agents import CORPUS, Case

CHROME_WINDOWS = CORPUS[0].ua


@pytest.fixture(scope="module")
def parser() -> UserAgentParser:
    return UserAgentParser()


def _version(part: ua_parser.UserAgent | ua_parser.OS | None) -> tuple[str | None, str | None]:
    if part is None or part.family == "Other":
        return None, None
    numbers = [n for n in (part.major, part.minor, part.patch, part.patch_minor) if n]
    return part.family, ".".join(numbers) or None


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.id)
def test_corpus_entry_parses_to_its_expectations(parser: UserAgentParser, case: Case) -> None:
    info = parser.parse(case.ua)

    assert info.raw == case.ua
    assert (info.browser_name, info.browser_version) == (case.browser, case.browser_version)
    assert (info.os_name, info.os_version) == (case.os, case.os_version)
    assert info.device_type == case.device_type
    assert info.engine_name == case.engine
    assert info.cpu_arch == case.cpu
    assert info.app_kind == case.app_kind


@pytest.mark.parametrize(
    "case", [c for c in CORPUS if c.app_kind != "mobile-app"], ids=lambda case: case.id
)
def test_browser_and_os_are_ua_parsers_own_answers(parser: UserAgentParser, case: Case) -> None:
    expected = ua_parser.parse(case.ua)

    info = parser.parse(case.ua)

    assert (info.browser_name, info.browser_version) == _version(expected.user_agent)
    assert (info.os_name, info.os_version) == _version(expected.os)


@pytest.mark.parametrize(
    "case", [c for c in CORPUS if c.rocketchat is not None], ids=lambda case: case.id
)
def test_rocketchat_device_of_a_parsed_user_agent(parser: UserAgentParser, case: Case) -> None:
    assert case.rocketchat is not None

    device = rocketchat_device(parser.parse(case.ua))

    assert (device["type"], device["name"], device["version"]) == (
        case.rocketchat.type,
        case.rocketchat.name,
        case.rocketchat.version,
    )


@pytest.mark.parametrize("case", [c for c in CORPUS if c.pxyz is not None], ids=lambda c: c.id)
def test_pxyz_strings_of_a_parsed_user_agent(parser: UserAgentParser, case: Case) -> None:
    assert case.pxyz is not None

    strings = pxyz_display(parser.parse(case.ua))

    assert (strings.browser, strings.os) == (case.pxyz.browser, case.pxyz.os)


def test_seed_user_agents_render_as_the_seed_shows(parser: UserAgentParser) -> None:
    windows = parser.parse(CHROME_WINDOWS)
    android = parser.parse(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/112.0.0.0 Mobile Safari/537.36"
    )

    assert rocketchat_device(windows) == {
        "type": "browser",
        "name": "Chrome",
        "longVersion": "113.0.0.0",
        "os": {"name": "Windows", "version": "10"},
        "version": "113.0.0",
    }
    assert rocketchat_device(android) == {
        "type": "mobile",
        "name": "Chrome",
        "longVersion": "112.0.0.0",
        "os": {"name": "Android", "version": "10"},
        "version": "112.0.0",
    }
    assert pxyz_display(windows).engine == "Blink 113.0.0.0"
    assert pxyz_display(windows).cpu == "amd64"


def test_rocketchat_mobile_app_parts(parser: UserAgentParser) -> None:
    info = parser.parse("RC Mobile; iOS 12.2; v3.4.0 (250)")

    assert (info.app_name, info.app_version, info.app_build) == ("RC Mobile", "3.4.0", "250")


def test_rocketchat_desktop_app_parts(parser: UserAgentParser) -> None:
    info = parser.parse(next(c.ua for c in CORPUS if c.id == "rc-desktop-macos"))

    assert (info.app_name, info.app_version, info.app_build) == ("Rocket.Chat", "2.15.2", None)


def test_an_apple_device_has_vendor_and_model(parser: UserAgentParser) -> None:
    info = parser.parse(next(c.ua for c in CORPUS if c.id == "safari-iphone-16"))

    assert (info.device_vendor, info.device_model) == ("Apple", "iPhone")
    assert pxyz_display(info).device == "Apple iPhone"


def test_placeholder_brands_are_not_vendors(parser: UserAgentParser) -> None:
    reduced = parser.parse(next(c.ua for c in CORPUS if c.id == "chrome-android-10"))
    firefox = parser.parse(next(c.ua for c in CORPUS if c.id == "firefox-android-phone"))
    bot = parser.parse(next(c.ua for c in CORPUS if c.id == "googlebot"))

    assert (reduced.device_vendor, reduced.device_model) == (None, "K")
    assert (firefox.device_vendor, firefox.device_model) == (None, None)
    assert (bot.device_vendor, bot.device_model) == (None, None)


def test_empty_user_agent_parses_to_nothing(parser: UserAgentParser) -> None:
    assert parser.parse("") == UserAgentInfo(raw="")


def test_raw_is_truncated_to_512_bytes_on_a_character_boundary(parser: UserAgentParser) -> None:
    raw = CHROME_WINDOWS + " " + "€" * 200

    info = parser.parse(raw)

    encoded = info.raw.encode("utf-8")
    assert USER_AGENT_MAX_BYTES - 3 < len(encoded) <= USER_AGENT_MAX_BYTES
    assert raw.startswith(info.raw)
    assert info.browser_name == "Chrome"


def test_parts_captured_from_a_crafted_user_agent_are_bounded(parser: UserAgentParser) -> None:
    raw = f"Mozilla/5.0 (Linux; Android 10; {'A' * 300} Build/X) Chrome/1.{'1' * 200}"

    info = parser.parse(raw)

    assert info.device_model is not None
    assert len(info.device_model) <= AGENT_NAME_MAX_LENGTH
    parts = [info.browser_version, info.engine_version, info.os_version]
    assert all(part is None or len(part) <= PART_MAX_LENGTH for part in parts)


def test_a_cache_hit_answers_the_same(parser: UserAgentParser) -> None:
    first = parser.parse(CHROME_WINDOWS)

    assert parser.parse(CHROME_WINDOWS) == first


def test_a_tiny_cache_still_answers_the_same() -> None:
    tiny = UserAgentParser(cache_size=1)
    agents = [case.ua for case in CORPUS[:5]]

    first = [tiny.parse(ua) for ua in agents]

    assert [tiny.parse(ua) for ua in reversed(agents)] == list(reversed(first))


@pytest.mark.parametrize(
    "raw",
    [
        "\x00\x01\x02\xff\xfe" * 80,
        "\udcff\udc80 Mozilla/5.0",
        "Mozilla/5.0 (" * 100,
        "RC Mobile",
        "RC Mobile;;;;",
        "  ",
        "🙂" * 200,
    ],
)
def test_garbage_does_not_raise(parser: UserAgentParser, raw: str) -> None:
    info = parser.parse(raw)

    assert len(info.raw.encode("utf-8")) <= USER_AGENT_MAX_BYTES
    assert "\x00" not in info.raw


class _BrokenResolver:
    def __call__(self, ua: str, domains: Domain, /) -> PartialResult:
        raise RuntimeError("boom")


def test_a_failing_resolver_gives_an_unparsed_info_and_keeps_the_ua_out_of_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = UserAgentParser(resolver=_BrokenResolver())
    caplog.set_level(logging.DEBUG)

    info = broken.parse(CHROME_WINDOWS)

    assert info == UserAgentInfo(raw=CHROME_WINDOWS)
    assert all(
        CHROME_WINDOWS not in record.getMessage()
        for record in caplog.records
        if record.levelno > logging.DEBUG
    )


def test_parsing_from_several_threads_agrees_with_one(parser: UserAgentParser) -> None:
    fresh = UserAgentParser(cache_size=16)
    agents = [case.ua for case in CORPUS]
    expected = [parser.parse(ua) for ua in agents]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: [fresh.parse(ua) for ua in agents], range(4)))

    assert results == [expected] * 4


def test_the_native_accelerator_is_used_when_installed() -> None:
    pytest.importorskip("ua_parser_rs")
    from ua_parser.regex import Resolver as RegexResolver

    assert isinstance(best_resolver(), RegexResolver)
