"""What `sessiond seed` draws from: real user agents (a subset of the ones the tests check,
weighted roughly by how often each shows up), names, places and hosts."""

from __future__ import annotations

# (weight, user agent)
# fmt: off
AGENTS: tuple[tuple[int, str], ...] = (
    (14, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36"),  # noqa: E501
    (12, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),  # noqa: E501
    (7, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36 Edg/113.0.1774.57"),  # noqa: E501
    (4, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    (1, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36 OPR/98.0.0.0"),  # noqa: E501
    (8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36"),  # noqa: E501
    (6, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"),  # noqa: E501
    (2, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Safari/605.1.15"),  # noqa: E501
    (2, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:109.0) Gecko/20100101 Firefox/113.0"),
    (1, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36 Edg/113.0.1774.50"),  # noqa: E501
    (3, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36"),  # noqa: E501
    (2, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/113.0"),
    (1, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36"),  # noqa: E501
    (9, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"),  # noqa: E501
    (3, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Mobile/15E148 Safari/604.1"),  # noqa: E501
    (2, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/114.0.5735.99 Mobile/15E148 Safari/604.1"),  # noqa: E501
    (2, "Mozilla/5.0 (iPad; CPU OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Mobile/15E148 Safari/604.1"),  # noqa: E501
    (1, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 287.0.0.19.301 (iPhone14,5; iOS 16_5; en_US; en; scale=3.00; 1170x2532; 487050347)"),  # noqa: E501
    (5, "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.131 Mobile Safari/537.36"),  # noqa: E501
    (4, "Mozilla/5.0 (Linux; Android 12; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.41 Mobile Safari/537.36"),  # noqa: E501
    (2, "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/21.0 Chrome/110.0.5481.154 Mobile Safari/537.36"),  # noqa: E501
    (1, "Mozilla/5.0 (Android 13; Mobile; rv:109.0) Gecko/114.0 Firefox/114.0"),
    (1, "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.131 Safari/537.36"),  # noqa: E501
    (1, "Mozilla/5.0 (Linux; Android 12; SM-A515F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.130 Mobile Safari/537.36"),  # noqa: E501
    (1, "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15"),  # noqa: E501
    (1, "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager"),  # noqa: E501
    (1, "curl/8.1.2"),
    (1, "python-requests/2.31.0"),
    (1, "okhttp/4.11.0"),
    (2, "RC Mobile; ios 17.4.1; v4.48.0 (53487)"),
    (2, "RC Mobile; android 14; v4.48.0 (53487)"),
    (1, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Rocket.Chat/3.9.4 Chrome/112.0.5615.204 Electron/24.4.0 Safari/537.36"),  # noqa: E501
    (1, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_1) AppleWebKit/537.36 (KHTML, like Gecko) Rocket.Chat/2.15.2 Chrome/69.0.3497.128 Electron/4.1.4 Safari/537.36"),  # noqa: E501
)
# fmt: on

FIRST_NAMES = (
    "Ada", "Amir", "Ana", "Ben", "Chen", "Chloe", "Dara", "David", "Elena", "Emeka", "Eva",
    "Farah", "Hana", "Ivan", "Jamal", "Jin", "Julia", "Kai", "Lars", "Leila", "Lucas", "Maria",
    "Mei", "Mia", "Noah", "Nora", "Omar", "Priya", "Rafael", "Sara", "Sofia", "Tomas", "Yuki",
    "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Adeyemi", "Bauer", "Chen", "Costa", "Dubois", "Garcia", "Hansen", "Ito", "Jensen", "Khan",
    "Kim", "Kowalski", "Lopez", "Martin", "Meyer", "Moreau", "Nakamura", "Novak", "Okafor",
    "Patel", "Rossi", "Santos", "Schmidt", "Silva", "Smith", "Tanaka", "Wang", "Weber", "Wilson",
    "Yilmaz",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")

# As `Cf-Ipcity, Cf-Ipcountry` give them; "" where no trusted proxy said.
LOCATIONS = (
    "", "", "Amsterdam, NL", "Austin, US", "Berlin, DE", "Bengaluru, IN", "Chicago, US",
    "Dublin, IE", "Lagos, NG", "Lisbon, PT", "London, GB", "Madrid, ES", "Melbourne, AU",
    "Mexico City, MX", "Montreal, CA", "Nairobi, KE", "New York, US", "Osaka, JP", "Paris, FR",
    "Seoul, KR", "Singapore, SG", "Sao Paulo, BR", "Stockholm, SE", "Tokyo, JP", "Warsaw, PL",
)  # fmt: skip

HOSTS = ("app.example.com", "auth.example.com", "chat.example.com", None)
