"""The pxyz front door: the backend API (`/api/v0`, secret keys) and the frontend API (`/api`,
public key and session token). See docs/pxyz.md."""

from sessiond.api.pxyz.app import create_door

__all__ = ["create_door"]
