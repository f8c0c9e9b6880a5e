"""Contract of ``sso``'s CAS 3.0 façade (spec sso.md): service tickets over the
portal session, for business systems that only speak CAS.

The RPCs are ``sso``'s (``SsoClient`` inherits :class:`CasRpcs`); the gateway hosts
``/cas/login``, ``/cas/p3/serviceValidate``, ``/cas/serviceValidate`` and
``/cas/logout`` (Apereo CAS Protocol 3.0) and renders the XML or JSON answers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.client import ServiceClient
from contracts.models import Model

# CAS Protocol 3.0 §2.5.3: the codes of a failed ticket validation.
CasFailureCode = Literal[
    "INVALID_REQUEST",
    "INVALID_TICKET_SPEC",
    "INVALID_TICKET",
    "INVALID_SERVICE",
    "INTERNAL_ERROR",
]
# CAS 3.0 §3.1.1: ``ST-`` then letters, digits and dashes; at most 256 characters.
SERVICE_TICKET_PATTERN = r"^ST-[A-Za-z0-9-]{1,253}$"
AttributeValue = str | int | bool


class CasService(Model):
    """The enabled business system that registered a CAS service URL (exactly)."""

    client_id: str
    name_zh: str
    name_en: str


class CasRenewal(Model):
    """A request for the password again (``renew=true``, or a login the ticket
    will then say was new): met by a portal session that is not ``session_id``'s."""

    renewal_id: str
    expires_in: int


class CasTicketRequest(Model):
    """``/cas/login`` with a portal session: a service ticket for ``service``."""

    service: str = Field(description="The service URL, as sent (matched exactly).")
    account_id: str
    session_id: str
    renew: bool = Field(
        default=False,
        description="``renew=true``: only a login made after ``renewal`` started.",
    )
    renewal: str | None = Field(
        default=None, description="The ``renewal_id`` of ``start_cas_renewal``."
    )
    acting_choice: str | None = Field(
        default=None,
        description="An agent's answer (``choose_acting_for``), as for OIDC.",
    )
    select_account: bool = False


class CasTicketIssued(Model):
    ticket: str = Field(description="``ST-...``: single use, stored hashed.")
    expires_in: int
    from_new_login: bool


class CasFailure(Model):
    code: CasFailureCode
    description: str


class CasValidation(Model):
    """A ticket validation: ``user`` and ``attributes``, or ``failure``."""

    user: str | None = Field(
        default=None, description="The ``sub`` OIDC gives this business system."
    )
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    failure: CasFailure | None = None


class CasRpcs(ServiceClient):
    """The CAS RPCs of ``sso`` (mixed into ``SsoClient``)."""

    def get_cas_service(self, service_url: str) -> CasService | None:
        """The enabled business system that registered ``service_url`` exactly as
        one of its ``cas_services``, or None."""
        return self._call("get_cas_service", locals())

    def start_cas_renewal(self, session_id: str | None) -> CasRenewal:
        """Remember that a login is asked for now, while ``session_id`` (None: no
        session) is the browser's: a ticket request with this renewal and
        another session proves a login made since (CAS ``renew``)."""
        return self._call("start_cas_renewal", locals())

    def issue_service_ticket(self, request: CasTicketRequest) -> CasTicketIssued:
        """A service ticket (``ST-...``, single use, lives at most 10 s) bound to
        the service URL and the portal session, with the admission rules of OIDC.
        Raises ``NotFound`` (``cas_service_not_registered``), ``Forbidden``
        (``account_kind_not_admitted``, ``real_name_required``,
        ``account_selection_required``, ``not_an_agent``, ``cas_renewal_required``:
        ``renew`` without a login since the renewal started)."""
        return self._call("issue_service_ticket", locals())

    def validate_service_ticket(
        self, ticket: str, service_url: str, renew: bool
    ) -> CasValidation:
        """Consume ``ticket`` once: the user (``sub``) and attributes, or a
        failure (``INVALID_TICKET``: unknown, spent, expired, not from a new login
        when ``renew``, or the account may no longer enter; ``INVALID_SERVICE``:
        another service's, and the ticket is spent). Audited; records the SSO
        session entry and emits ``business_system_entered``."""
        return self._call("validate_service_ticket", locals())


class CasJsonSuccess(Model):
    user: str
    attributes: dict[str, AttributeValue] | None = None


class CasJsonAnswer(Model):
    """One of the two (set fields only)."""

    authenticationSuccess: CasJsonSuccess | None = None
    authenticationFailure: CasFailure | None = None


class CasJsonResponse(Model):
    """``format=JSON`` of a ticket validation (CAS 3.0 §2.5.2 and Appendix)."""

    serviceResponse: CasJsonAnswer
