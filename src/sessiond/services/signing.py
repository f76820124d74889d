"""Short-lived JWTs signed with a per-tenant Ed25519 key (EdDSA, RFC 8037).

The key's 32-byte seed lives in the database beside the other shared server secrets, so every
node signs and verifies alike; it is made on first use and never leaves the server. Anyone may
verify with the public key (`public_jwk`).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sessiond.domain.errors import AuthenticationFailed, InvalidInput
from sessiond.services.context import Deps
from sessiond.services.tenants import require_tenant, signing_secret_name

ALGORITHM = "EdDSA"
MAX_TTL = timedelta(hours=1)


class TenantSigner:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps
        self._keys: dict[uuid.UUID, Ed25519PrivateKey] = {}

    async def sign(self, tenant_id: uuid.UUID, claims: dict[str, Any], *, ttl: timedelta) -> str:
        if not timedelta(seconds=1) <= ttl <= MAX_TTL:
            raise InvalidInput(
                f"the lifetime must be 1 to {int(MAX_TTL.total_seconds())} seconds", field="ttl"
            )
        key = await self._key(tenant_id)
        now = self._deps.clock.now()
        payload = {**claims, "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())}
        return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": _kid(key)})

    async def verify(
        self, tenant_id: uuid.UUID, token: str, *, audience: str | None = None
    ) -> dict[str, Any]:
        """The claims of a token this tenant signed; one with an `aud` needs that `audience`."""
        key = await self._key(tenant_id)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key(),
                algorithms=[ALGORITHM],
                audience=audience,
                options={"require": ["exp", "iat"], "verify_iat": False, "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the token is not valid") from exc
        # Expiry against the injected clock, not the library's own.
        exp = claims["exp"]
        if not isinstance(exp, int) or exp <= self._deps.clock.now().timestamp():
            raise AuthenticationFailed("the token has expired")
        return claims

    async def public_jwk(self, tenant_id: uuid.UUID) -> dict[str, str]:
        key = await self._key(tenant_id)
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": _kid(key), "alg": ALGORITHM}

    async def _key(self, tenant_id: uuid.UUID) -> Ed25519PrivateKey:
        key = self._keys.get(tenant_id)
        if key is None:
            async with self._deps.store.unit_of_work() as uow:
                await require_tenant(uow, tenant_id)
                seed = await uow.secrets.get_or_create(
                    signing_secret_name(tenant_id), at=self._deps.clock.now()
                )
                await uow.commit()
            key = self._keys[tenant_id] = Ed25519PrivateKey.from_private_bytes(seed)
        return key


def _kid(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
