"""The console's charts: sessions started per day over the last 30 days, and live sessions by
browser, OS, kind of device and country. Bars drawn as SVG by the template, each chart with its
numbers as a table too."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import services_of
from sessiond.web.admin_gate import admin_of
from sessiond.web.devices import KIND_LABELS
from sessiond.web.pages import page

router = APIRouter(prefix="/t/{slug}/admin")
DAYS = 30
MOST_BARS = 10
UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    share: float  # of the largest bar, 0 to 1


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    title: str
    bars: list[Bar]

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)


@router.get("/charts")
async def charts(request: Request, slug: str) -> Response:
    admin = await admin_of(request, slug)
    if isinstance(admin, Response):
        return admin
    stats = services_of(request).stats
    days = await stats.sessions_by_day(admin.tenant.id, days=DAYS)
    live = await stats.live_by_device(admin.tenant.id)
    kinds = [(KIND_LABELS.get(kind, kind), count) for kind, count in live.kind]
    return page(
        request,
        "admin_charts.html",
        tenant=admin.tenant,
        admin=admin.user,
        by_day=chart("by-day", f"Sessions started per day, last {DAYS} days",
                     [(d.day.isoformat(), d.count) for d in days], most=DAYS),
        live=[
            chart("browser", "Live sessions by browser", live.browser),
            chart("os", "Live sessions by OS", live.os),
            chart("kind", "Live sessions by device type", kinds),
            chart("country", "Live sessions by country", live.country),
        ],
    )  # fmt: skip


def chart(key: str, title: str, counts: list[tuple[str, int]], *, most: int = MOST_BARS) -> Chart:
    """The first `most - 1` counts as they come and the rest as "Other", when there are more."""
    shown = list(counts)
    if len(shown) > most:
        shown = [*shown[: most - 1], ("Other", sum(count for _, count in shown[most - 1 :]))]
    top = max((count for _, count in shown), default=0) or 1
    bars = [Bar(label or UNKNOWN, count, count / top) for label, count in shown]
    return Chart(key, title, bars)
