"""Registration, checks, log in / out, my information and agents (the accounts
service).

Thin: read the body as its contract model (``parse``: shape errors are a 422
before any RPC), call accounts through its typed client, render the reply model.
Every domain rule comes from accounts; errors render through ``gateway.errors``
(field errors: 422 problem+json with ``errors``).
"""

from __future__ import annotations

import functools
import hashlib

import falcon
from contracts import accounts as contract
from contracts import errors as ce
from contracts.models import parse
from contracts.sso import SsoClient

from gateway.auth import clear_session_cookie, set_session_cookie
from gateway.errors import Problem
from gateway.i18n import DEFAULT_PAGE_LOCALE, from_accept_language
from gateway.quotas import ClientQuota, gateway_quota, login_unlock_quota
from gateway.resources.base import ServiceResource


class Base(ServiceResource):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.accounts = ctx.client(contract.AccountsClient)


def registration_quota(ctx) -> ClientQuota:
    """Registrations (both kinds together) per client address: each answer may
    say a document, code or name is in use (after the SMS code, issue 12)."""
    return gateway_quota(ctx, "registration", ctx.settings.registrations_per_hour, 3600)


class PersonRegistrations(Base):
    def __init__(self, ctx, quota: ClientQuota):
        super().__init__(ctx)
        self.quota = quota

    def on_post(self, req, resp):
        body = self.body(req)
        self.quota.hit(self.client(req))  # a malformed one counts too
        registration = parse(contract.PersonRegistration, body)
        resp.status = falcon.HTTP_201
        resp.media = self.accounts.register_person(registration=registration).dump()


class OrganizationRegistrations(PersonRegistrations):
    def on_post(self, req, resp):
        body = self.body(req)
        self.quota.hit(self.client(req))
        registration = parse(contract.OrganizationRegistration, body)
        resp.status = falcon.HTTP_201
        resp.media = self.accounts.register_organization(
            registration=registration
        ).dump()


AGREEMENT_LANGUAGES = {"zh_CN": "zh-CN", "en": "en"}


def agreement_language(req) -> str:
    """``lang`` when given (``zh-CN`` / ``en``), else ``Accept-Language``, else
    zh-CN: the agreement is read in Chinese first."""
    lang = req.get_param("lang")
    if lang is not None:
        if lang not in AGREEMENT_LANGUAGES.values():
            raise Problem(
                422,
                "lang_invalid",
                "lang is zh-CN or en.",
                errors=[
                    {"field": "lang", "code": "lang_invalid", "message": "zh-CN or en"}
                ],
            )
        return lang
    locale = from_accept_language(req.get_header("Accept-Language"))
    return AGREEMENT_LANGUAGES[locale or DEFAULT_PAGE_LOCALE]


class Agreements(Base):
    """The current agreement of a registration kind (read by the registration
    pages too)."""

    def on_get(self, req, resp, kind):
        if kind not in ("person", "organization"):
            raise Problem(404, "not_found", "No agreement of this kind.")
        resp.media = self.accounts.get_agreement(
            kind=kind, language=agreement_language(req)
        ).dump()


class LoginNames(Base):
    """Whether a login name is taken: anyone may ask (product.md), so it is
    limited per client address and per name asked about (issue 12)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        quota = functools.partial(
            ClientQuota,
            ctx.redis,
            ctx.settings.redis_key_prefix,
            window=3600,
            code="login_name_check_rate_limited",
        )
        self.per_address = quota(
            "login_name_check", ctx.settings.login_name_checks_per_hour
        )
        self.per_name = quota(
            "login_name_check_name",
            ctx.settings.login_name_checks_per_name_per_hour,
            per_target=True,
        )

    def on_get(self, req, resp, login_name):
        self.per_address.hit(self.client(req))  # a malformed name counts too
        # Case-insensitive like the names themselves; hashed, never kept in clear.
        target = hashlib.sha256(login_name.lower().encode("utf-8")).hexdigest()
        self.per_name.hit(target[:32])
        try:
            answer = self.accounts.check_login_name(login_name=login_name)
        except ce.InvalidInput as exc:
            # api.md: a malformed name is a bad request, not a field error.
            raise Problem(
                400,
                "login_name_invalid",
                exc.message,
                errors=exc.details.get("errors", []),
            ) from None
        resp.media = answer.dump()


class DocumentChecks(Base):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.quota = gateway_quota(
            ctx, "document_check", ctx.settings.document_checks_per_hour, 3600
        )

    def on_post(self, req, resp):
        body = self.body(req)
        self.quota.hit(self.client(req))  # a malformed query counts too
        query = parse(contract.DocumentQuery, body)
        resp.media = self.accounts.check_document(
            identity_region=query.identity_region,
            doc_type=query.doc_type,
            doc_number=query.doc_number,
            captcha_id=query.captcha_id,
            captcha_answer=query.captcha_answer,
        ).dump()


class LoginUnlockCodes(Base):
    """Both unlock steps share one quota per client address (``quota``)."""

    def __init__(self, ctx, quota: ClientQuota):
        super().__init__(ctx)
        self.quota = quota

    def on_post(self, req, resp):
        """An SMS code to unlock a login name, to its reserved phone (same 202
        whether or not anything was sent)."""
        body = self.body(req)
        self.quota.hit(self.client(req))
        request = parse(contract.UnlockCodeRequest, body)
        self.accounts.send_unlock_code(request=request, client_ip=self.client(req))
        resp.status = falcon.HTTP_202


class LoginUnlock(LoginUnlockCodes):
    def on_post(self, req, resp):
        """The code unlocks the name for this client."""
        body = self.body(req)
        self.quota.hit(self.client(req))
        request = parse(contract.LoginUnlock, body)
        self.accounts.unlock_login(request=request, client_ip=self.client(req))
        resp.status = falcon.HTTP_204


class PasswordStrength(Base):
    def on_post(self, req, resp):
        candidate = parse(contract.PasswordCandidate, self.body(req))
        resp.media = self.accounts.rate_password(
            password=candidate.password, login_name=candidate.login_name
        ).dump()


class Sessions(Base):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.sso = ctx.client(SsoClient)

    def on_post(self, req, resp):
        """Log in: a new session for every login (bearer token and cookie)."""
        credentials = parse(contract.Credentials, self.body(req))
        answer = self.accounts.log_in(
            login_name=credentials.login_name,
            password=credentials.password,
            client_ip=self.client(req),
            captcha_id=credentials.captcha_id,
            captcha_answer=credentials.captcha_answer,
        )
        set_session_cookie(resp, answer.token, answer.max_age)
        resp.status = falcon.HTTP_201
        resp.media = contract.SessionOpened(
            token=answer.token,
            csrf_token=answer.csrf_token,
            expires_in=answer.expires_in,
            account=answer.account,
            must_change_password=answer.must_change_password,
            phone_proof_required=answer.phone_proof_required,
        ).dump()

    def on_delete_current(self, req, resp):
        """Log out (works with a temporary password too)."""
        account = self.auth.require_account(req, allow_temporary=True)
        # first the business systems it entered (durable back-channel logout), so
        # that a failure leaves the session open for a retry rather than lost
        self.sso.end_session(session_id=account["session_id"])
        self.accounts.log_out(token=req.context.session_token)
        clear_session_cookie(resp)
        resp.status = falcon.HTTP_204


class Me(Base):
    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        resp.media = self.accounts.get_me(account_id=account["account_id"]).dump()


class MyProfile(Base):
    def on_patch(self, req, resp):
        account = self.auth.require_account(req)
        changes = parse(contract.ProfileChanges, self.body(req))
        resp.media = self.accounts.update_profile(
            account_id=account["account_id"], changes=changes
        ).dump()


class MyPhone(Base):
    def on_put(self, req, resp):
        """Change the reserved phone with an SMS code sent to the new one."""
        account = self.auth.require_account(req)
        change = parse(contract.PhoneChange, self.body(req))
        resp.media = self.accounts.change_phone(
            account_id=account["account_id"],
            phone=change.phone,
            sms_code=change.sms_code,
        ).dump()


class MyPassword(Base):
    def on_put(self, req, resp):
        account = self.auth.require_account(req, allow_temporary=True)
        change = parse(contract.PasswordChange, self.body(req))
        self.accounts.change_password(
            account_id=account["account_id"],
            session_id=account["session_id"],
            current_password=change.current_password,
            new_password=change.new_password,
            new_password_confirmation=change.new_password_confirmation,
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_204


class MyAgents(Base):
    """An organisation's agents (代办人, flow 7). Who may designate (an
    organisation, verified) is accounts' rule: a person gets its 403 from there."""

    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        resp.media = self.accounts.list_agents(account_id=account["account_id"]).dump()

    def on_post(self, req, resp):
        account = self.auth.require_account(req)
        designation = parse(contract.AgentDesignation, self.body(req))
        resp.status = falcon.HTTP_201
        resp.media = self.accounts.designate_agent(
            account_id=account["account_id"], login_name=designation.login_name
        ).dump()

    def on_delete_agent(self, req, resp, person_id):
        account = self.auth.require_account(req)
        self.accounts.revoke_agent(
            account_id=account["account_id"], person_id=person_id
        )
        resp.status = falcon.HTTP_204


class MyOrganizations(Base):
    """The organisations a person is an active agent of."""

    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        resp.media = self.accounts.list_represented_organizations(
            account_id=account["account_id"]
        ).dump()


def add_routes(app, ctx) -> None:
    api = ctx.api
    registrations = registration_quota(ctx)
    app.add_route(
        f"{api}/registrations/person", PersonRegistrations(ctx, registrations)
    )
    app.add_route(
        f"{api}/registrations/organization",
        OrganizationRegistrations(ctx, registrations),
    )
    app.add_route(f"{api}/agreements/{{kind}}", Agreements(ctx))
    app.add_route(f"{api}/login-names/{{login_name}}", LoginNames(ctx))
    app.add_route(f"{api}/documents/check", DocumentChecks(ctx))
    app.add_route(f"{api}/password-strength", PasswordStrength(ctx))
    unlocks = login_unlock_quota(ctx)
    app.add_route(f"{api}/login/unlock-codes", LoginUnlockCodes(ctx, unlocks))
    app.add_route(f"{api}/login/unlock", LoginUnlock(ctx, unlocks))
    sessions = Sessions(ctx)
    app.add_route(f"{api}/sessions", sessions)
    app.add_route(f"{api}/sessions/current", sessions, suffix="current")
    app.add_route(f"{api}/me", Me(ctx))
    app.add_route(f"{api}/me/profile", MyProfile(ctx))
    app.add_route(f"{api}/me/phone", MyPhone(ctx))
    app.add_route(f"{api}/me/password", MyPassword(ctx))
    agents = MyAgents(ctx)
    app.add_route(f"{api}/me/agents", agents)
    app.add_route(f"{api}/me/agents/{{person_id}}", agents, suffix="agent")
    app.add_route(f"{api}/me/organizations", MyOrganizations(ctx))
