"""Real-world user agents with hand-checked expectations, shared by the parser and door tests.

Browser and OS names are ua-parser's ("Chrome Mobile", "Mac OS X"); versions are ua-parser's
components joined with dots, which keep at most the first three numbers for some browsers
(Opera "OPR/98.0.0.0" gives "98.0.0"). The door renderings use UAParser.js's names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RocketChat:
    type: str
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class Pxyz:
    browser: str | None
    os: str | None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    ua: str
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_type: str | None
    engine: str | None
    cpu: str | None
    app_kind: str | None = None
    rocketchat: RocketChat | None = None
    pxyz: Pxyz | None = None


# fmt: off
_WIN64 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit"
_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko)"
)
_IPAD = "Mozilla/5.0 (iPad; CPU OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
_ANDROID_K = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"

WINDOWS = [
    Case(
        "chrome-windows-10",
        f"{_WIN64} Chrome/113.0.0.0 Safari/537.36",
        "Chrome", "113.0.0.0", "Windows", "10", None, "Blink", "amd64",
        rocketchat=RocketChat("browser", "Chrome", "113.0.0"),
        pxyz=Pxyz("Chrome 113.0.0.0", "Windows 10"),
    ),
    # Windows 11 still says "Windows NT 10.0": the user agent cannot tell them apart.
    Case(
        "chrome-windows-11",
        f"{_WIN64} Chrome/124.0.0.0 Safari/537.36",
        "Chrome", "124.0.0.0", "Windows", "10", None, "Blink", "amd64",
    ),
    Case(
        "edge-windows",
        f"{_WIN64} Chrome/113.0.0.0 Safari/537.36 Edg/113.0.1774.57",
        "Edge", "113.0.1774.57", "Windows", "10", None, "Blink", "amd64",
        rocketchat=RocketChat("browser", "Edge", "113.0.1774"),
        pxyz=Pxyz("Edge 113.0.1774.57", "Windows 10"),
    ),
    Case(
        "firefox-112-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/112.0",
        "Firefox", "112.0", "Windows", "10", None, "Gecko", "amd64",
        rocketchat=RocketChat("browser", "Firefox", "112.0"),
        pxyz=Pxyz("Firefox 112.0", "Windows 10"),
    ),
    Case(
        "firefox-125-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox", "125.0", "Windows", "10", None, "Gecko", "amd64",
    ),
    Case(
        "opera-windows",
        f"{_WIN64} Chrome/112.0.0.0 Safari/537.36 OPR/98.0.0.0",
        "Opera", "98.0.0", "Windows", "10", None, "Blink", "amd64",
        rocketchat=RocketChat("browser", "Opera", "98.0.0"),
    ),
    Case(
        "chrome-windows-7-32bit",
        "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/109.0.0.0 Safari/537.36",
        "Chrome", "109.0.0.0", "Windows", "7", None, "Blink", None,
    ),
    Case(
        "ie11-windows-7",
        "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "IE", "11.0", "Windows", "7", None, "Trident", "amd64",
        rocketchat=RocketChat("browser", "IE", "11.0"),
        pxyz=Pxyz("IE 11.0", "Windows 7"),
    ),
    Case(
        "ie11-windows-10",
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "IE", "11.0", "Windows", "10", None, "Trident", "amd64",
    ),
    Case(
        "edge-legacy-windows",
        f"{_WIN64} Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
        "Edge", "18.19582", "Windows", "10", None, "EdgeHTML", "amd64",
    ),
    # Brave today sends Chrome's exact user agent; early versions named themselves.
    Case(
        "brave-windows-early",
        f"{_WIN64} brave/0.7.10 Chrome/47.0.2526.110 Brave/0.36.5 Safari/537.36",
        "Brave", "0.7.10", "Windows", "10", None, "Blink", "amd64",
    ),
    Case(
        "vivaldi-windows",
        f"{_WIN64} Chrome/112.0.0.0 Safari/537.36 Vivaldi/6.0.2979.22",
        "Vivaldi", "6.0.2979", "Windows", "10", None, "Blink", "amd64",
    ),
    Case(
        "yandex-windows",
        f"{_WIN64} Chrome/112.0.0.0 YaBrowser/23.5.1.750 Yowser/2.5 Safari/537.36",
        "Yandex Browser", "23.5.1", "Windows", "10", None, "Blink", "amd64",
        pxyz=Pxyz("Yandex 23.5.1", "Windows 10"),
    ),
    Case(
        "opera-presto-windows",
        "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18",
        "Opera", "12.18", "Windows", "7", None, "Presto", "amd64",
    ),
    Case(
        "headless-chrome-windows",
        f"{_WIN64} HeadlessChrome/114.0.5735.90 Safari/537.36",
        "HeadlessChrome", "114.0.5735", "Windows", "10", None, "Blink", "amd64",
        pxyz=Pxyz("Chrome Headless 114.0.5735", "Windows 10"),
    ),
]

MACOS = [
    Case(
        "chrome-macos",
        f"{_MAC}/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36",
        "Chrome", "113.0.0.0", "Mac OS X", "10.15.7", None, "Blink", None,
        rocketchat=RocketChat("browser", "Chrome", "113.0.0"),
        pxyz=Pxyz("Chrome 113.0.0.0", "Mac OS 10.15.7"),
    ),
    Case(
        "safari-16-macos",
        f"{_MAC}/605.1.15 (KHTML, like Gecko) Version/16.5 Safari/605.1.15",
        "Safari", "16.5", "Mac OS X", "10.15.7", None, "WebKit", None,
        rocketchat=RocketChat("browser", "Safari", "16.5"),
        pxyz=Pxyz("Safari 16.5", "Mac OS 10.15.7"),
    ),
    Case(
        "safari-17-macos",
        f"{_MAC}/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Safari", "17.4.1", "Mac OS X", "10.15.7", None, "WebKit", None,
    ),
    Case(
        "firefox-macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:109.0) Gecko/20100101 Firefox/113.0",
        "Firefox", "113.0", "Mac OS X", "10.15", None, "Gecko", None,
    ),
    Case(
        "edge-macos",
        f"{_MAC}/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36 Edg/113.0.1774.50",
        "Edge", "113.0.1774.50", "Mac OS X", "10.15.7", None, "Blink", None,
    ),
    Case(
        "opera-macos",
        f"{_MAC}/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36 OPR/99.0.0.0",
        "Opera", "99.0.0", "Mac OS X", "10.15.7", None, "Blink", None,
    ),
]

LINUX_AND_CHROMEOS = [
    Case(
        "chrome-linux",
        f"{_LINUX} Chrome/113.0.0.0 Safari/537.36",
        "Chrome", "113.0.0.0", "Linux", None, None, "Blink", "amd64",
        rocketchat=RocketChat("browser", "Chrome", "113.0.0"),
        pxyz=Pxyz("Chrome 113.0.0.0", "Linux"),
    ),
    Case(
        "firefox-ubuntu",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/113.0",
        "Firefox", "113.0", "Ubuntu", None, None, "Gecko", "amd64",
    ),
    Case(
        "firefox-linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox", "125.0", "Linux", None, None, "Gecko", "amd64",
    ),
    Case(
        "firefox-fedora",
        "Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/114.0",
        "Firefox", "114.0", "Fedora", None, None, "Gecko", "amd64",
    ),
    Case(
        "chromium-ubuntu",
        f"{_LINUX} Ubuntu Chromium/83.0.4103.61 Chrome/83.0.4103.61 Safari/537.36",
        "Chromium", "83.0.4103.61", "Ubuntu", None, None, "Blink", "amd64",
    ),
    Case(
        "chrome-raspberry-pi",
        "Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/92.0.4515.98 Safari/537.36",
        "Chrome", "92.0.4515.98", "Linux", None, None, "Blink", "armhf",
    ),
    Case(
        "firefox-linux-aarch64",
        "Mozilla/5.0 (X11; Linux aarch64; rv:109.0) Gecko/20100101 Firefox/115.0",
        "Firefox", "115.0", "Linux", None, None, "Gecko", "arm64",
    ),
    Case(
        "firefox-linux-i686",
        "Mozilla/5.0 (X11; Linux i686; rv:109.0) Gecko/20100101 Firefox/115.0",
        "Firefox", "115.0", "Linux", None, None, "Gecko", "ia32",
    ),
    Case(
        "chrome-chromeos",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/113.0.0.0 Safari/537.36",
        "Chrome", "113.0.0.0", "Chrome OS", "14541.0.0", None, "Blink", "amd64",
        pxyz=Pxyz("Chrome 113.0.0.0", "Chromium OS 14541.0.0"),
    ),
    Case(
        "chrome-chromeos-arm",
        "Mozilla/5.0 (X11; CrOS aarch64 15359.58.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/114.0.5735.350 Safari/537.36",
        "Chrome", "114.0.5735.350", "Chrome OS", "15359.58.0", None, "Blink", "arm64",
    ),
]

IOS = [
    Case(
        "safari-iphone-16",
        f"{_IPHONE} Version/16.5 Mobile/15E148 Safari/604.1",
        "Mobile Safari", "16.5", "iOS", "16.5", "mobile", "WebKit", None,
        rocketchat=RocketChat("mobile", "Mobile Safari", "16.5"),
        pxyz=Pxyz("Mobile Safari 16.5", "iOS 16.5"),
    ),
    Case(
        "safari-iphone-17",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari", "17.4.1", "iOS", "17.4.1", "mobile", "WebKit", None,
    ),
    # Every iOS browser is WebKit, whatever its name.
    Case(
        "chrome-iphone",
        f"{_IPHONE} CriOS/114.0.5735.99 Mobile/15E148 Safari/604.1",
        "Chrome Mobile iOS", "114.0.5735.99", "iOS", "16.5", "mobile", "WebKit", None,
        rocketchat=RocketChat("mobile", "Chrome", "114.0.5735"),
        pxyz=Pxyz("Chrome 114.0.5735.99", "iOS 16.5"),
    ),
    Case(
        "firefox-iphone",
        f"{_IPHONE} FxiOS/114.0 Mobile/15E148 Safari/605.1.15",
        "Firefox iOS", "114.0", "iOS", "16.5", "mobile", "WebKit", None,
        rocketchat=RocketChat("mobile", "Firefox", "114.0"),
    ),
    Case(
        "edge-iphone",
        f"{_IPHONE} Version/16.0 EdgiOS/113.1774.50 Mobile/15E148 Safari/605.1.15",
        "Edge Mobile", "113.1774.50", "iOS", "16.5", "mobile", "WebKit", None,
    ),
    Case(
        "safari-ipad",
        f"{_IPAD} Version/16.5 Mobile/15E148 Safari/604.1",
        "Mobile Safari", "16.5", "iOS", "16.5", "tablet", "WebKit", None,
        rocketchat=RocketChat("tablet", "Mobile Safari", "16.5"),
    ),
    Case(
        "chrome-ipad",
        f"{_IPAD} CriOS/114.0.5735.124 Mobile/15E148 Safari/604.1",
        "Chrome Mobile iOS", "114.0.5735.124", "iOS", "16.5", "tablet", "WebKit", None,
    ),
    # In-app browsers: ua-parser keeps three of the app's version numbers.
    Case(
        "facebook-iphone",
        f"{_IPHONE} Mobile/15E148 [FBAN/FBIOS;FBAV/417.0.0.33.65;FBBV/511297513;"
        "FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/16.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]",
        "Facebook", "417.0.0", "iOS", "16.5", "mobile", "WebKit", None,
        rocketchat=RocketChat("mobile", "Facebook", "417.0.0"),
    ),
    Case(
        "instagram-iphone",
        f"{_IPHONE} Mobile/15E148 Instagram 287.0.0.19.301 (iPhone14,5; iOS 16_5; en_US; en; "
        "scale=3.00; 1170x2532; 487050347)",
        "Instagram", "287.0.0", "iOS", "16.5", "mobile", "WebKit", None,
    ),
]

ANDROID = [
    Case(
        "chrome-android-10",
        f"{_ANDROID_K} Chrome/112.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile", "112.0.0.0", "Android", "10", "mobile", "Blink", None,
        rocketchat=RocketChat("mobile", "Chrome", "112.0.0"),
        pxyz=Pxyz("Chrome 112.0.0.0", "Android 10"),
    ),
    Case(
        "chrome-android-galaxy-s21",
        "Mozilla/5.0 (Linux; Android 12; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/101.0.4951.41 Mobile Safari/537.36",
        "Chrome Mobile", "101.0.4951.41", "Android", "12", "mobile", "Blink", None,
    ),
    Case(
        "chrome-android-pixel-7",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/114.0.5735.131 Mobile Safari/537.36",
        "Chrome Mobile", "114.0.5735.131", "Android", "13", "mobile", "Blink", None,
    ),
    # Chrome on a tablet drops "Mobile"; ua-parser then answers plain "Chrome".
    Case(
        "chrome-android-tablet",
        f"{_ANDROID_K} Chrome/114.0.0.0 Safari/537.36",
        "Chrome", "114.0.0.0", "Android", "10", "tablet", "Blink", None,
        rocketchat=RocketChat("tablet", "Chrome", "114.0.0"),
    ),
    Case(
        "chrome-android-galaxy-tab",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/114.0.5735.131 Safari/537.36",
        "Chrome", "114.0.5735.131", "Android", "13", "tablet", "Blink", None,
    ),
    Case(
        "samsung-internet-phone",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/21.0 Chrome/110.0.5481.154 Mobile Safari/537.36",
        "Samsung Internet", "21.0", "Android", "13", "mobile", "Blink", None,
        rocketchat=RocketChat("mobile", "Samsung Internet", "21.0"),
        pxyz=Pxyz("Samsung Internet 21.0", "Android 13"),
    ),
    Case(
        "samsung-internet-tablet",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/21.0 Chrome/110.0.5481.154 Safari/537.36",
        "Samsung Internet", "21.0", "Android", "13", "tablet", "Blink", None,
    ),
    Case(
        "firefox-android-phone",
        "Mozilla/5.0 (Android 13; Mobile; rv:109.0) Gecko/114.0 Firefox/114.0",
        "Firefox Mobile", "114.0", "Android", "13", "mobile", "Gecko", None,
        rocketchat=RocketChat("mobile", "Firefox", "114.0"),
        pxyz=Pxyz("Firefox 114.0", "Android 13"),
    ),
    Case(
        "firefox-android-tablet",
        "Mozilla/5.0 (Android 13; Tablet; rv:109.0) Gecko/114.0 Firefox/114.0",
        "Firefox Mobile", "114.0", "Android", "13", "tablet", "Gecko", None,
    ),
    Case(
        "edge-android",
        f"{_ANDROID_K} Chrome/113.0.0.0 Mobile Safari/537.36 EdgA/113.0.1774.63",
        "Edge Mobile", "113.0.1774.63", "Android", "10", "mobile", "Blink", None,
        rocketchat=RocketChat("mobile", "Edge", "113.0.1774"),
    ),
    Case(
        "opera-android",
        f"{_ANDROID_K} Chrome/112.0.0.0 Mobile Safari/537.36 OPR/75.1.3978.72665",
        "Opera Mobile", "75.1.3978", "Android", "10", "mobile", "Blink", None,
    ),
    Case(
        "webview-android",
        "Mozilla/5.0 (Linux; Android 12; SM-A515F Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.130 Mobile Safari/537.36",
        "Chrome Mobile WebView", "114.0.5735.130", "Android", "12", "mobile", "Blink", None,
        rocketchat=RocketChat("mobile", "Chrome WebView", "114.0.5735"),
    ),
    Case(
        "instagram-android",
        "Mozilla/5.0 (Linux; Android 13; SM-S918B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.131 Mobile Safari/537.36 "
        "Instagram 288.0.0.19.109 Android (33/13; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; "
        "qcom; en_US; 487958563)",
        "Instagram", "288.0.0", "Android", "13", "mobile", "Blink", None,
    ),
    Case(
        "facebook-android",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230605.012; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.130 Mobile Safari/537.36 "
        "[FB_IAB/FB4A;FBAV/418.0.0.33.69;]",
        "Facebook", "418.0.0", "Android", "13", "mobile", "Blink", None,
    ),
    Case(
        "silk-kindle-fire",
        "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Silk/103.3.3 like Chrome/103.0.5060.129 Safari/537.36",
        "Amazon Silk", "103.3.3", "Android", "9", "tablet", "Blink", None,
    ),
    # Android's own HTTP stack: ua-parser calls it the "Android" browser; no device type.
    Case(
        "dalvik-android",
        "Dalvik/2.1.0 (Linux; U; Android 11; SM-G991B Build/RP1A.200720.012)",
        "Android", "11", "Android", "11", None, None, None,
    ),
]

OTHER_DEVICES = [
    Case(
        "edge-windows-phone",
        "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 "
        "Edge/15.15063",
        "Edge Mobile", "15.15063", "Windows Phone", "10.0", "mobile", "EdgeHTML", None,
    ),
    Case(
        "edge-xbox",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19041",
        "Edge", "18.19041", "Windows", "10", "console", "EdgeHTML", "amd64",
        rocketchat=RocketChat("console", "Edge", "18.19041"),
    ),
    Case(
        "playstation-5",
        "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/13.0 Safari/605.1.15",
        "Safari", "13.0", None, None, "console", "WebKit", None,
    ),
    Case(
        "lg-webos-tv",
        "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/79.0.3945.79 Safari/537.36 WebAppManager",
        "Chrome", "79.0.3945.79", "Web0S", None, "smarttv", "Blink", None,
    ),
    Case(
        "fire-tv",
        "Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/108.0.5359.160 Mobile Safari/537.36",
        "Chrome Mobile WebView", "108.0.5359.160", "Android", "9", "smarttv", "Blink", None,
    ),
]

TOOLS = [
    Case(
        "curl-8", "curl/8.1.2", "curl", "8.1.2", None, None, None, None, None,
        rocketchat=RocketChat("browser", "curl", "8.1.2"),
        pxyz=Pxyz("curl 8.1.2", None),
    ),
    Case("curl-7", "curl/7.68.0", "curl", "7.68.0", None, None, None, None, None),
    Case(
        "python-requests", "python-requests/2.31.0",
        "Python Requests", "2.31", None, None, None, None, None,
    ),
    Case(
        "go-http-client-1", "Go-http-client/1.1",
        "Go-http-client", "1.1", None, None, None, None, None,
    ),
    Case(
        "go-http-client-2", "Go-http-client/2.0",
        "Go-http-client", "2.0", None, None, None, None, None,
    ),
    Case("okhttp", "okhttp/4.11.0", "okhttp", "4.11.0", None, None, None, None, None),
    Case(
        "postman", "PostmanRuntime/7.32.2",
        "PostmanRuntime", "7.32.2", None, None, None, None, None,
    ),
    Case("axios", "axios/1.4.0", "axios", "1.4.0", None, None, None, None, None),
    Case("wget", "Wget/1.21.3", "Wget", "1.21.3", None, None, None, None, None),
    # The generated SDKs (ory-kratos-client and others): ua-parser knows none of them.
    Case(
        "openapi-generator-kratos-python", "OpenAPI-Generator/v1.3.8/python",
        None, None, None, None, None, None, None,
        rocketchat=RocketChat("other", "", ""),
        pxyz=Pxyz(None, None),
    ),
    Case(
        "openapi-generator-java", "OpenAPI-Generator/1.0.0/java",
        None, None, None, None, None, None, None,
    ),
]

BOTS = [
    Case(
        "googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", "2.1", None, None, "bot", None, None,
        rocketchat=RocketChat("browser", "Googlebot", "2.1"),
    ),
    Case(
        "googlebot-smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/113.0.5672.126 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", "2.1", "Android", "6.0.1", "bot", "Blink", None,
    ),
    Case(
        "bingbot",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "bingbot", "2.0", None, None, "bot", None, None,
    ),
    Case(
        "duckduckbot",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "DuckDuckBot", "1.1", None, None, "bot", None, None,
    ),
    Case(
        "yandexbot",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "YandexBot", "3.0", None, None, "bot", None, None,
    ),
    Case(
        "applebot",
        "Mozilla/5.0 (compatible; Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Applebot", "0.1", None, None, "bot", None, None,
    ),
    Case(
        "gptbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; "
        "+https://openai.com/gptbot)",
        "GPTBot", "1.0", None, None, "bot", "WebKit", None,
    ),
    Case(
        "facebookexternalhit",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "FacebookBot", "1.1", None, None, "bot", None, None,
    ),
]

ROCKETCHAT_APPS = [
    Case(
        "rc-mobile-ios",
        "RC Mobile; iOS 12.2; v3.4.0 (250)",
        "RC Mobile", "3.4.0", "iOS", "12.2", "mobile", None, None, "mobile-app",
        rocketchat=RocketChat("mobile-app", "RC Mobile", "3.4.0"),
        pxyz=Pxyz("RC Mobile 3.4.0", "iOS 12.2"),
    ),
    # The React Native app writes React Native's Platform.OS: "ios" or "android".
    Case(
        "rc-mobile-ios-lowercase",
        "RC Mobile; ios 17.4.1; v4.48.0 (53487)",
        "RC Mobile", "4.48.0", "iOS", "17.4.1", "mobile", None, None, "mobile-app",
        rocketchat=RocketChat("mobile-app", "RC Mobile", "4.48.0"),
    ),
    Case(
        "rc-mobile-android",
        "RC Mobile; Android 9; v4.1.0 (1234)",
        "RC Mobile", "4.1.0", "Android", "9", "mobile", None, None, "mobile-app",
        rocketchat=RocketChat("mobile-app", "RC Mobile", "4.1.0"),
    ),
    Case(
        "rc-mobile-android-lowercase",
        "RC Mobile; android 14; v4.48.0 (53487)",
        "RC Mobile", "4.48.0", "Android", "14", "mobile", None, None, "mobile-app",
    ),
    Case(
        "rc-desktop-macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_1) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Rocket.Chat/2.15.2 Chrome/69.0.3497.128 Electron/4.1.4 Safari/537.36",
        "Electron", "4.1.4", "Mac OS X", "10.14.1", None, "Blink", None, "desktop-app",
        rocketchat=RocketChat("desktop-app", "Rocket.Chat", "2.15.2"),
        pxyz=Pxyz("Electron 4.1.4", "Mac OS 10.14.1"),
    ),
    Case(
        "rc-desktop-windows",
        f"{_WIN64} Rocket.Chat/3.9.4 Chrome/112.0.5615.204 Electron/24.4.0 Safari/537.36",
        "Electron", "24.4.0", "Windows", "10", None, "Blink", "amd64", "desktop-app",
        rocketchat=RocketChat("desktop-app", "Rocket.Chat", "3.9.4"),
    ),
    Case(
        "rc-desktop-linux",
        f"{_LINUX} Rocket.Chat/3.9.4 Chrome/112.0.5615.204 Electron/24.4.0 Safari/537.36",
        "Electron", "24.4.0", "Linux", None, None, "Blink", "amd64", "desktop-app",
        rocketchat=RocketChat("desktop-app", "Rocket.Chat", "3.9.4"),
    ),
    # Another Electron app is not Rocket.Chat's.
    Case(
        "slack-desktop-macos",
        f"{_MAC}/537.36 (KHTML, like Gecko) Slack/4.33.73 Chrome/114.0.5735.134 "
        "Electron/25.2.0 Safari/537.36 Sonic Slack_SSB/4.33.73",
        "Slack Desktop Client", "4.33.73", "Mac OS X", "10.15.7", None, "Blink", None,
        rocketchat=RocketChat("browser", "Slack Desktop Client", "4.33.73"),
    ),
]

EMPTY = [
    Case(
        "empty", "", None, None, None, None, None, None, None,
        rocketchat=RocketChat("other", "", ""),
        pxyz=Pxyz(None, None),
    ),
]

# fmt: on

CORPUS: list[Case] = [
    *WINDOWS,
    *MACOS,
    *LINUX_AND_CHROMEOS,
    *IOS,
    *ANDROID,
    *OTHER_DEVICES,
    *TOOLS,
    *BOTS,
    *ROCKETCHAT_APPS,
    *EMPTY,
]
