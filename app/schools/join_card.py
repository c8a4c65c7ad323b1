"""The class's join card: the full join address, a server-rendered QR code (SVG) and the code, to print or project."""

from __future__ import annotations

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.access import coordinator_route, owned_class
from app.schools.classes import join_url
from app.templating import render
from rooms.clock import utcnow


def qr_svg(data: str) -> Markup:
    """An inline SVG QR code drawn by segno on the server: no image request, no other host, sharp at any size.

    Error correction M survives a smudged printout or a glare on a projector; segno raises it further when the
    payload leaves room in the same version (``boost_error``, on by default). The quiet zone (border 4) is
    what the QR standard asks for, so phones lock on quickly.
    """
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, svgclass="qr-code", lineclass=None, omitsize=True)
    # Only numbers and path data segno generated: safe as markup. The template names it for screen readers.
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


async def join_card(request: Request) -> Response:
    """``GET /classes/{id}/card``: a page of its own, laid out for a projector and for one printed A4 page."""
    owned = await owned_class(request)
    school_class = owned.school_class
    address = join_url(owned.svc.settings, school_class.join_code)
    context = {
        "school": owned.school,
        "c": school_class,
        "join_address": join_url(owned.svc.settings),
        "join_link": address,
        "qr": qr_svg(address),
        "expired": school_class.join_code_expires_at <= utcnow(),
    }
    return render(request, "schools/join_card.html", context)


routes: list[BaseRoute] = [coordinator_route("/classes/{class_id:int}/card", join_card, ["GET"])]
