"""`session.expired` for the sessions token checks find expired or idle.

A check is a read, and a client may keep sending a dead token: the event is written once per
session (its id is derived from the session's, so a second write, here or on another node or by
the purge, is a no-op), and this process remembers the sessions it has reported lately so that
repeated checks of one dead token write nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from datetime import datetime

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.events import session_expired
from sessiond.domain.session import Session
from sessiond.services.context import Deps

log = logging.getLogger(__name__)

REMEMBERED = 10_000


class ExpiryReports:
    def __init__(self, *, deps: Deps, remembered: int = REMEMBERED) -> None:
        self._deps = deps
        self._remembered = remembered
        self._reported: OrderedDict[uuid.UUID, None] = OrderedDict()

    async def report(self, session: Session, *, idle: bool, now: datetime) -> None:
        if session.id in self._reported:
            return
        try:
            async with self._deps.store.unit_of_work() as uow:
                await uow.events.add(session_expired(session, idle=idle, found_at=now))
                await uow.commit()
        except StorageUnavailable as exc:  # the check's answer stands; the purge reports it later
            log.warning("a session.expired event was not written: %s", exc.message)
            return
        self._reported[session.id] = None
        if len(self._reported) > self._remembered:
            self._reported.popitem(last=False)
