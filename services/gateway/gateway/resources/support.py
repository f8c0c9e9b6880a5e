"""Help (flow 9): the support contact, published by the platform in one place.

It comes from the gateway's settings (``SUPPORT_PHONE``, ``SUPPORT_EMAIL``,
``SUPPORT_FAX``, ``SUPPORT_HOURS``), so a deployment changes it without a release;
no service is called. Unset ones are left out.
"""

from __future__ import annotations

from gateway.bodies import SupportContact


class Contact:
    cacheable = True  # public for every caller (gateway/security_headers.py)

    def __init__(self, settings):
        contact = {
            "phone": settings.support_phone,
            "email": settings.support_email,
            "fax": settings.support_fax,
            "hours": settings.support_hours,
        }
        self.contact = SupportContact(
            **{name: value for name, value in contact.items() if value}
        ).dump()

    def on_get(self, req, resp):
        resp.media = self.contact
        resp.cache_control = ["public", "max-age=300"]


def add_routes(app, ctx) -> None:
    app.add_route(f"{ctx.api}/help/contact", Contact(ctx.settings))
