from __future__ import annotations

import pytest

from sessiond.domain.device import (
    USER_AGENT_MAX_BYTES,
    PxyzDeviceStrings,
    UserAgentInfo,
    pxyz_display,
    rocketchat_device,
    truncate_user_agent,
)

CHROME_WINDOWS = UserAgentInfo(
    raw="Mozilla/5.0 (Windows NT 10.0; Win64; x64) ... Chrome/113.0.0.0 Safari/537.36",
    browser_name="Chrome",
    browser_version="113.0.0.0",
    engine_name="Blink",
    engine_version="113.0.0.0",
    os_name="Windows",
    os_version="10",
    cpu_arch="amd64",
)
CHROME_ANDROID = UserAgentInfo(
    raw="Mozilla/5.0 (Linux; Android 10; K) ... Chrome/112.0.0.0 Mobile Safari/537.36",
    browser_name="Chrome Mobile",
    browser_version="112.0.0.0",
    engine_name="Blink",
    engine_version="112.0.0.0",
    os_name="Android",
    os_version="10",
    device_type="mobile",
    device_model="K",
)
FIREFOX = UserAgentInfo(
    raw="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/112.0",
    browser_name="Firefox",
    browser_version="112.0",
    engine_name="Gecko",
    engine_version="109.0",
    os_name="Windows",
    os_version="10",
    cpu_arch="amd64",
)
RC_MOBILE = UserAgentInfo(
    raw="RC Mobile; iOS 12.2; v3.4.0 (250)",
    browser_name="RC Mobile",
    browser_version="3.4.0",
    os_name="iOS",
    os_version="12.2",
    device_type="mobile",
    app_kind="mobile-app",
    app_name="RC Mobile",
    app_version="3.4.0",
    app_build="250",
)
RC_DESKTOP = UserAgentInfo(
    raw="Mozilla/5.0 (Macintosh; ...) Rocket.Chat/2.15.2 Chrome/69.0.3497.128 Electron/4.1.4",
    browser_name="Electron",
    browser_version="4.1.4",
    engine_name="Blink",
    engine_version="69.0.3497.128",
    os_name="Mac OS X",
    os_version="10.14.1",
    device_vendor="Apple",
    device_model="Mac",
    app_kind="desktop-app",
    app_name="Rocket.Chat",
    app_version="2.15.2",
)


def test_rocketchat_device_of_the_seeds_windows_chrome() -> None:
    assert rocketchat_device(CHROME_WINDOWS) == {
        "type": "browser",
        "name": "Chrome",
        "longVersion": "113.0.0.0",
        "os": {"name": "Windows", "version": "10"},
        "version": "113.0.0",
    }


def test_rocketchat_device_of_the_seeds_android_chrome() -> None:
    assert rocketchat_device(CHROME_ANDROID) == {
        "type": "mobile",
        "name": "Chrome",
        "longVersion": "112.0.0.0",
        "os": {"name": "Android", "version": "10"},
        "version": "112.0.0",
    }


def test_rocketchat_version_keeps_up_to_three_numbers() -> None:
    assert rocketchat_device(FIREFOX)["version"] == "112.0"


def test_rocketchat_device_keys_are_in_rocketchats_order() -> None:
    assert list(rocketchat_device(CHROME_WINDOWS)) == [
        "type",
        "name",
        "longVersion",
        "os",
        "version",
    ]


def test_rocketchat_mobile_app() -> None:
    assert rocketchat_device(RC_MOBILE) == {
        "type": "mobile-app",
        "name": "RC Mobile",
        "longVersion": "3.4.0 250",
        "os": {"name": "iOS", "version": "12.2"},
        "version": "3.4.0",
    }


def test_rocketchat_mobile_app_without_a_build_or_a_version() -> None:
    no_build = UserAgentInfo(
        raw="RC Mobile; iOS 12.2; v3.4.0",
        app_kind="mobile-app",
        app_name="RC Mobile",
        app_version="3.4.0",
    )
    bare = UserAgentInfo(raw="RC Mobile", app_kind="mobile-app", app_name="RC Mobile")

    assert rocketchat_device(no_build)["longVersion"] == "3.4.0"
    assert rocketchat_device(bare) == {
        "type": "mobile-app",
        "name": "RC Mobile",
        "longVersion": "",
        "os": {"name": "", "version": ""},
        "version": "",
    }


def test_rocketchat_desktop_app() -> None:
    assert rocketchat_device(RC_DESKTOP) == {
        "type": "desktop-app",
        "name": "Rocket.Chat",
        "longVersion": "2.15.2",
        "os": {"name": "Mac OS", "version": "10.14.1"},
        "version": "2.15.2",
    }


def test_rocketchat_device_of_an_empty_user_agent_is_the_default() -> None:
    assert rocketchat_device(UserAgentInfo(raw="")) == {
        "type": "other",
        "name": "",
        "longVersion": "",
        "os": {"name": "", "version": ""},
        "version": "",
    }


def test_rocketchat_os_drops_an_empty_version() -> None:
    linux = UserAgentInfo(raw="x", browser_name="Firefox", browser_version="125.0", os_name="Linux")

    assert rocketchat_device(linux)["os"] == {"name": "Linux"}


def test_rocketchat_os_without_a_browser_keeps_type_other() -> None:
    ios_only = UserAgentInfo(raw="x", os_name="iOS", os_version="16.5")

    assert rocketchat_device(ios_only)["type"] == "other"
    assert rocketchat_device(ios_only)["os"] == {"name": "iOS", "version": "16.5"}


def test_rocketchat_browser_without_a_version() -> None:
    bare = UserAgentInfo(raw="x", browser_name="Safari")

    device = rocketchat_device(bare)

    assert (device["type"], device["name"], device["longVersion"], device["version"]) == (
        "browser",
        "Safari",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("device_type", "expected"),
    [
        ("tablet", "tablet"),
        ("smarttv", "smarttv"),
        ("console", "console"),
        ("wearable", "wearable"),
        ("bot", "browser"),
        (None, "browser"),
    ],
)
def test_rocketchat_type_follows_uaparser_js_device_types(
    device_type: str | None, expected: str
) -> None:
    info = UserAgentInfo(raw="x", browser_name="Chrome", device_type=device_type)

    assert rocketchat_device(info)["type"] == expected


def test_a_mac_stays_a_browser_in_rocketchat() -> None:
    mac = UserAgentInfo(raw="x", browser_name="Safari", device_vendor="Apple", device_model="Mac")

    assert rocketchat_device(mac)["type"] == "browser"


@pytest.mark.parametrize(
    ("long_version", "version"),
    [("113.0.0.0", "113.0.0"), ("112.0", "112.0"), ("16", "16"), ("beta", "")],
)
def test_rocketchat_version_is_the_first_dotted_number(long_version: str, version: str) -> None:
    info = UserAgentInfo(raw="x", browser_name="Chrome", browser_version=long_version)

    assert rocketchat_device(info)["version"] == version


def test_pxyz_strings_of_windows_chrome() -> None:
    assert pxyz_display(CHROME_WINDOWS) == PxyzDeviceStrings(
        browser="Chrome 113.0.0.0",
        device=None,
        engine="Blink 113.0.0.0",
        os="Windows 10",
        cpu="amd64",
    )


def test_pxyz_strings_of_an_iphone() -> None:
    iphone = UserAgentInfo(
        raw="x",
        browser_name="Mobile Safari",
        browser_version="16.5",
        engine_name="WebKit",
        engine_version="605.1.15",
        os_name="iOS",
        os_version="16.5",
        device_type="mobile",
        device_vendor="Apple",
        device_model="iPhone",
    )

    assert pxyz_display(iphone) == PxyzDeviceStrings(
        browser="Mobile Safari 16.5",
        device="Apple iPhone",
        engine="WebKit 605.1.15",
        os="iOS 16.5",
        cpu=None,
    )


def test_pxyz_strings_use_uaparser_js_names() -> None:
    strings = pxyz_display(RC_DESKTOP)

    assert (strings.browser, strings.os) == ("Electron 4.1.4", "Mac OS 10.14.1")
    assert pxyz_display(CHROME_ANDROID).browser == "Chrome 112.0.0.0"


@pytest.mark.parametrize(
    ("vendor", "model", "device"),
    [("Samsung", "SM-G991B", "Samsung SM-G991B"), ("Apple", None, "Apple"), (None, "K", "K")],
)
def test_pxyz_device_is_vendor_and_model_whichever_exist(
    vendor: str | None, model: str | None, device: str
) -> None:
    info = UserAgentInfo(raw="x", device_vendor=vendor, device_model=model)

    assert pxyz_display(info).device == device


def test_pxyz_names_without_versions_and_versions_without_names() -> None:
    info = UserAgentInfo(raw="x", browser_name="Safari", os_version="10", engine_version="1.0")

    strings = pxyz_display(info)

    assert (strings.browser, strings.os, strings.engine) == ("Safari", None, None)


def test_pxyz_strings_of_an_empty_user_agent_are_all_null() -> None:
    assert pxyz_display(UserAgentInfo(raw="")) == PxyzDeviceStrings(None, None, None, None, None)


def test_truncate_keeps_a_short_user_agent() -> None:
    assert truncate_user_agent("curl/8.1.2") == "curl/8.1.2"


def test_truncate_cuts_on_a_character_boundary() -> None:
    raw = "a" + "é" * USER_AGENT_MAX_BYTES

    cut = truncate_user_agent(raw)

    assert cut == "a" + "é" * 255
    assert len(cut.encode("utf-8")) == USER_AGENT_MAX_BYTES - 1


def test_truncate_makes_any_string_storable() -> None:
    assert truncate_user_agent("a\x00b\udcffc") == "ab?c"
