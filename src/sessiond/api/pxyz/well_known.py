"""The tenant's JWT verification key as a JWKS, where pxyz's SDK asks for it
(`GET /api/.well-known/jwks/{domain}`, packages/api-clients/src/frontend/paths.ts in pxyz-js).

sessiond tenants have no domain of their own: `{domain}` is the tenant's slug or id, and it must
be the tenant of the public key the request sends, like every frontend call."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sessiond.api.kit import services_of
from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import public_tenant
from sessiond.api.pxyz.signed_in import success
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import TenantNotFound

router = APIRouter(prefix="/api/.well-known")


@router.get("/jwks/{domain}")
async def jwks(domain: str, request: Request) -> OrjsonResponse:
    tenant = await public_tenant(request)
    if domain not in (tenant.slug, wire.pid(tenant.id)):
        raise TenantNotFound(f"tenant {domain[:64]!r} is not the tenant of the public key")
    jwk = await services_of(request).signer.public_jwk(tenant.id)
    return success({"keys": [{**jwk, "use": "sig"}]})
