"""The Ory Kratos front door: sessions, identities and native self-service flows for one tenant."""

from sessiond.api.kratos.app import create_door

__all__ = ["create_door"]
