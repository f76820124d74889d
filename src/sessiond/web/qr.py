"""The QR code an authenticator app scans, as inline SVG markup: the pages' CSP loads images from
this site only, and markup in the page needs nothing loaded at all."""

from __future__ import annotations

import segno
from markupsafe import Markup

TITLE = "QR code for your authenticator app"


def qr_svg(text: str) -> Markup:
    code = segno.make(text, error="m")
    svg = code.svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, title=TITLE, svgclass="qr"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup; the text is only drawn, never copied
