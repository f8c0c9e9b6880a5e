"""The CAS 3.0 endpoints (Apereo CAS Protocol 3.0) over the portal session; the
tickets, their rules and who may enter are ``sso``'s (``contracts.sso_cas``).

``/cas/login`` is a page: its refusals (an unregistered service, an account the
business system does not admit) are error pages in the portal's frame, never a
redirect to the service. The validation endpoints answer CAS XML or JSON only.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

import falcon
from contracts import errors as ce
from contracts.sso import REFUSALS, SsoClient
from contracts.sso_cas import SERVICE_TICKET_PATTERN, CasTicketRequest

from gateway.auth import clear_session_cookie
from gateway.cas import responses
from gateway.errors import Problem
from gateway.oidc.resources import _session_of
from gateway.oidc.server import login_redirect
from gateway.rpc import ServiceUnavailable

LOGIN = "/cas/login"
VALIDATE_P3 = "/cas/p3/serviceValidate"
VALIDATE = "/cas/serviceValidate"
LOGOUT = "/cas/logout"
RENEWAL = "cas_renewal"  # the query parameter that carries sso's renewal id
TICKET = re.compile(SERVICE_TICKET_PATTERN)


def _flag(req: falcon.Request, name: str) -> bool:
    """CAS 3.0 §2.1.1: a parameter set (``true``, or any value but ``false``)."""
    value = req.get_param(name)
    return value is not None and value.lower() != "false"


def with_ticket(service: str, ticket: str) -> str:
    separator = "&" if "?" in service else "?"
    return f"{service}{separator}{urlencode({'ticket': ticket})}"


def _back_here(req: falcon.Request, **extra: str) -> str:
    """This login request again (a path of ours), without a spent renewal or
    acting choice, with ``extra``."""
    kept = [
        (k, v)
        for k, v in parse_qsl(req.query_string or "", keep_blank_values=True)
        if k not in (RENEWAL, "acting_choice")
    ]
    return f"{req.path}?{urlencode([*kept, *extra.items()])}"


def _not_registered() -> Problem:
    return Problem(
        400,
        "cas_service_not_registered",
        "No business system registered this address as its CAS service.",
    )


class Login:
    """CAS 3.0 §2.1 ``/cas/login?service=[&renew=true][&gateway=true]``: a
    service ticket to the registered service for the portal session; the portal's
    login page first when there is none (or, with ``renew``, always)."""

    def __init__(self, sso: SsoClient, auth, login_url: str, choice_url: str):
        self.sso = sso
        self.auth = auth
        self.login_url = login_url
        self.choice_url = choice_url

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        service = req.get_param("service")
        if not service:  # no business system: the portal itself
            raise falcon.HTTPFound("/me")
        if self.sso.get_cas_service(service_url=service) is None:
            raise _not_registered()
        renew = _flag(req, "renew")
        account = _session_of(self.auth, req)
        if account is None and _flag(req, "gateway") and not renew:
            raise falcon.HTTPFound(service)  # §2.1.1: back without a ticket
        renewal = req.get_param(RENEWAL)
        if account is None or (renew and not renewal):
            self._ask_login(req, account)
        try:
            issued = self.sso.issue_service_ticket(
                request=CasTicketRequest(
                    service=service,
                    account_id=account["account_id"],
                    session_id=account["session_id"],
                    renew=renew,
                    renewal=renewal,
                    acting_choice=req.get_param("acting_choice"),
                )
            )
        except ce.NotFound:
            raise _not_registered() from None
        except ce.Forbidden as exc:
            self._refused(req, account, exc)
        raise falcon.HTTPFound(with_ticket(service, issued.ticket))

    def _ask_login(self, req: falcon.Request, account: dict | None) -> None:
        """The portal's login page, back here with a renewal: the ticket then
        says the login was new (``isFromNewLogin``), which ``renew`` requires."""
        session_id = account["session_id"] if account else None
        renewal = self.sso.start_cas_renewal(session_id=session_id)
        back = _back_here(req, **{RENEWAL: renewal.renewal_id})
        raise falcon.HTTPFound(login_redirect(self.login_url, back))

    def _refused(self, req: falcon.Request, account: dict, exc: ce.Forbidden):
        if exc.error_code == "account_selection_required":
            # an agent: as myself, or for which organisation? (as OIDC asks)
            raise falcon.HTTPFound(login_redirect(self.choice_url, _back_here(req)))
        if exc.error_code == "cas_renewal_required":
            self._ask_login(req, account)
        message = REFUSALS.get(
            exc.error_code, "This business system cannot be entered."
        )
        raise Problem(403, exc.error_code, message)


class Validate:
    """CAS 3.0 §2.5-2.6 ``serviceValidate?service=&ticket=[&renew=true]
    [&format=JSON]``: the ticket is spent by this first validation, whatever
    the answer."""

    def __init__(self, sso: SsoClient, with_attributes: bool, retry_after: int):
        self.sso = sso
        self.with_attributes = with_attributes
        self.retry_after = retry_after

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        service, ticket = req.get_param("service"), req.get_param("ticket")
        try:
            validation = self._validate(service, ticket, _flag(req, "renew"))
        except (ce.ServiceError, ServiceUnavailable):
            validation = responses.failure(
                "INTERNAL_ERROR", "The ticket could not be validated; try again."
            )
            resp.status = falcon.HTTP_503
            resp.set_header("Retry-After", str(self.retry_after))
        resp.content_type, resp.text = responses.render(
            validation, req.get_param("format"), self.with_attributes
        )

    def _validate(self, service: str | None, ticket: str | None, renew: bool):
        if not service or not ticket:
            return responses.failure(
                "INVALID_REQUEST", "Both service and ticket are required."
            )
        if not TICKET.fullmatch(ticket):
            return responses.failure("INVALID_TICKET", "Not a service ticket.")
        return self.sso.validate_service_ticket(
            ticket=ticket, service_url=service, renew=renew
        )


class Logout:
    """CAS 3.0 §2.3 ``/cas/logout[?service=]``: the portal session ends (with
    the OIDC back-channel and CAS single logouts to what it entered); then the
    registered service, or the portal's home."""

    def __init__(self, sso: SsoClient, auth):
        self.sso = sso
        self.auth = auth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        account = _session_of(self.auth, req)
        if account is not None:
            self.sso.end_session(session_id=account["session_id"])
            self.auth.accounts.log_out(token=req.context.session_token)
        clear_session_cookie(resp)
        service = req.get_param("service")
        registered = service and self.sso.get_cas_service(service_url=service)
        raise falcon.HTTPFound(service if registered else "/")
