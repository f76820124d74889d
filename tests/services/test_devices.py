"""1,000 sign-ins over the real-world user-agent corpus: the stored device is what ua-parser says
and what a person checked by hand, on every backend."""

from __future__ import annotations

import asyncio
from itertools import cycle, islice

import ua_parser

from sessiond.domain.device import Device, pxyz_display, rocketchat_device
from sessiond.domain.listing import OffsetPage, SessionQuery
from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from tests.helpers.user_agents import CORPUS, Case

SIGN_INS = 1000
USERS = 10
BATCH = 10


def _joined(*parts: str | None) -> str | None:
    present = [p for p in parts if p is not None]
    return ".".join(present) or None


def _ua_parser_answer(raw: str) -> tuple[str | None, str | None, str | None, str | None]:
    result = ua_parser.parse(raw)
    agent, os = result.user_agent, result.os
    browser = None if agent is None or agent.family == "Other" else agent.family
    browser_version = (
        None
        if browser is None or agent is None
        else _joined(agent.major, agent.minor, agent.patch, agent.patch_minor)
    )
    os_name = None if os is None or os.family == "Other" else os.family
    os_version = (
        None
        if os_name is None or os is None
        else _joined(os.major, os.minor, os.patch, os.patch_minor)
    )
    return browser, browser_version, os_name, os_version


def _check_hand_checked(device: Device, case: Case) -> None:
    agent = device.agent
    assert (agent.os_name, agent.os_version) == (case.os, case.os_version), case.id
    assert agent.device_type == case.device_type, case.id
    assert agent.engine_name == case.engine, case.id
    assert agent.cpu_arch == case.cpu, case.id
    assert agent.app_kind == case.app_kind, case.id
    if case.app_kind is None:
        assert (agent.browser_name, agent.browser_version) == (
            case.browser,
            case.browser_version,
        ), case.id
    if case.rocketchat is not None:
        rendered = rocketchat_device(agent)
        expected = case.rocketchat
        assert (rendered["type"], rendered["name"], rendered["version"]) == (
            expected.type,
            expected.name,
            expected.version,
        ), case.id
    if case.pxyz is not None:
        display = pxyz_display(agent)
        assert (display.browser, display.os) == (case.pxyz.browser, case.pxyz.os), case.id


async def test_thousand_sign_ins_store_the_parsed_device(
    services: Services, tenant: Tenant
) -> None:
    assert len({case.ua for case in CORPUS}) >= 50
    assert any(case.ua == "" for case in CORPUS)
    for i in range(USERS):
        await services.users.create(
            tenant.id, NewUser(username=f"device-user-{i}", password="a long password")
        )
    plan = list(islice(cycle(CORPUS), SIGN_INS))

    async def sign_in(index: int, case: Case) -> tuple[str, Case]:
        result = await services.sign_ins.password(
            PasswordSignIn(
                tenant.id,
                identifier=f"device-user-{index % USERS}",
                password="a long password",
                client=Client(user_agent=case.ua, ip=f"198.51.100.{index % 250}", host="test"),
            )
        )
        assert result.issued is not None
        return result.issued.record.session.id.hex, case

    issued: dict[str, Case] = {}
    for start in range(0, SIGN_INS, BATCH):
        batch = plan[start : start + BATCH]
        done = await asyncio.gather(*(sign_in(start + i, c) for i, c in enumerate(batch)))
        issued.update(done)
    assert len(issued) == SIGN_INS

    stored: list[Device] = []
    offset = 0
    while True:
        page = await services.sessions.list_offset(
            SessionQuery(tenant_id=tenant.id), OffsetPage(offset=offset, limit=1000)
        )
        for record in page.items:
            assert record.device is not None
            case = issued.pop(record.session.id.hex)
            assert record.device.agent.raw == case.ua
            if case.app_kind is None:
                assert (
                    record.device.agent.browser_name,
                    record.device.agent.browser_version,
                    record.device.agent.os_name,
                    record.device.agent.os_version,
                ) == _ua_parser_answer(case.ua), case.id
            _check_hand_checked(record.device, case)
            stored.append(record.device)
        offset += len(page.items)
        if offset >= page.total:
            break
    assert issued == {}
    assert len(stored) == SIGN_INS
    assert len({d.agent.raw for d in stored}) == len({c.ua for c in CORPUS})
