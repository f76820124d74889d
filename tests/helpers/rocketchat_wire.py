"""The seeds' examples (Rocket.Chat's documented answers), to compare answers field for field."""

from __future__ import annotations

from typing import Any

SEED_LIST = {
    "sessions": [
        {
            "sessionId": "QoYYFw2t9oKks2niG",
            "userId": "rbAXPnMktTFbNpwtJ",
            "device": {
                "type": "browser",
                "name": "Chrome",
                "longVersion": "113.0.0.0",
                "os": {"name": "Windows", "version": "10"},
                "version": "113.0.0",
            },
            "host": "localhost:3000",
            "ip": "172.20.0.2",
            "loginAt": "2023-05-23T16:33:45.202Z",
            "_id": "QoYYFw2t9oKks2niG",
        }
    ],
    "total": 2,
    "count": 50,
    "offset": 0,
    "success": True,
}
SEED_LIST_ALL_ITEM = {
    "sessionId": "o94SveQp6fyPsoiNC",
    "userId": "2tTEqR7ZNMJ4HGGNa",
    "device": {
        "type": "browser",
        "name": "Chrome",
        "longVersion": "113.0.0.0",
        "os": {"name": "Windows", "version": "10"},
        "version": "113.0.0",
    },
    "host": "localhost:3000",
    "ip": "172.20.0.2",
    "loginAt": "2023-05-24T00:25:54.234Z",
    "_user": {"username": "testroxie", "name": "Test"},
    "_id": "o94SveQp6fyPsoiNC",
}
SEED_TOTP_REQUIRED = {
    "success": False,
    "error": "TOTP Required [totp-required]",
    "errorType": "totp-required",
    "details": {"method": "password", "codeGenerated": False, "availableMethods": []},
}
SEED_FORBIDDEN = {
    "success": False,
    "error": "User does not have the permissions required for this action [error-unauthorized]",
}
# Newer Rocket.Chat versions add `current` to every item (compat page).
NEWER_ITEM_FIELDS = {"current": bool}


def shape(value: Any) -> Any:
    """Names and types, recursively: what "field for field" compares."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def item_shape(item: dict[str, Any]) -> Any:
    extra = {name: kind.__name__ for name, kind in NEWER_ITEM_FIELDS.items()}
    return {**shape(item), **extra}
