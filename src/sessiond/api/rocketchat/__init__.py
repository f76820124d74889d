"""The Rocket.Chat front door: device management, login and REST two-factor under `/api/v1/`."""

from __future__ import annotations

from sessiond.api.rocketchat.app import create_door

__all__ = ["create_door"]
