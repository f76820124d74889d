"""The audit trail of administrative actions: who did what to which target, when and from where.

An action is recorded in the unit of work that makes it, so a change and its record commit
together or not at all. Only administrative callers are recorded (an operator at the CLI, a
secret key, a user acting with an administrator's permission): people ending their own sessions
are not administrators, and their sessions say who ended them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ActorKind(StrEnum):
    CLI = "cli"  # an operator running `sessiond` on a machine with the database's credentials
    KEY = "key"  # a secret key (pxyz backend API, Kratos admin API)
    USER = "user"  # a user with an administrator's permission (Rocket.Chat)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str  # the key's or the user's id, or the operator's login name
    ip: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: uuid.UUID
    at: datetime
    actor: Actor
    action: str  # e.g. `users.suspend`, `sessions.revoke`
    tenant_id: uuid.UUID | None
    target: str | None  # what the action was done to, e.g. a user or session id
