"""Roles and what they permit. Roles are per user, per tenant; permissions follow from them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    VIEW_DEVICE_MANAGEMENT = "view-device-management"
    LOGOUT_DEVICE_MANAGEMENT = "logout-device-management"
    CREATE_USER = "create-user"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "user": frozenset(),
}


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has_permission(roles: Iterable[str], permission: Permission) -> bool:
    return permission in permissions_of(roles)
