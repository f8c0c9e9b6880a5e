"""Registration, checks, log in / out, my information and agents (the accounts
service).

Thin: read the body, pick the fields the contract names, call accounts, render.
Every rule (and every field error) comes from accounts; errors render through
``gateway.errors`` (field errors: 422 problem+json with ``errors``).
"""

from __future__ import annotations

import falcon
from contracts import errors as ce

from gateway.auth import clear_session_cookie, set_session_cookie
from gateway.errors import Problem
from gateway.quotas import ClientQuota
from gateway.resources.base import ServiceResource, no_store
from gateway.schemas import read_json

PERSON_FIELDS = (
    "login_name",
    "password",
    "password_confirmation",
    "name",
    "identity_region",
    "doc_type",
    "doc_number",
    "phone",
    "sms_code",
    "agreement_version",
    "agreement_accepted",
)
ORGANIZATION_FIELDS = (
    "login_name",
    "password",
    "password_confirmation",
    "name",
    "name_en",
    "short_name",
    "homepage",
    "area",
    "region",
    "legal_person_type",
    "credit_code",
    "registration_number",
    "agreement_version",
    "agreement_accepted",
)
ORGANIZATION_PERSON_FIELDS = (
    "name",
    "phone",
    "sms_code",
    "identity_region",
    "doc_type",
    "doc_number",
    "doc_valid_from",
    "doc_valid_to",
    "doc_long_term",
)


def pick(body: dict, fields: tuple[str, ...]) -> dict:
    return {name: body[name] for name in fields if name in body}


class Base(ServiceResource):
    service = "accounts"


class PersonRegistrations(Base):
    def on_post(self, req, resp):
        body = read_json(req, self.max_body)
        resp.status = falcon.HTTP_201
        resp.media = self.call(
            "register_person", registration=pick(body, PERSON_FIELDS)
        )
        no_store(resp)


class OrganizationRegistrations(Base):
    def on_post(self, req, resp):
        body = read_json(req, self.max_body)
        registration = pick(body, ORGANIZATION_FIELDS)
        for block in ("legal_representative", "main_agent"):
            value = body.get(block)
            if value is not None:
                registration[block] = (
                    pick(value, ORGANIZATION_PERSON_FIELDS)
                    if isinstance(value, dict)
                    else value
                )
        resp.status = falcon.HTTP_201
        resp.media = self.call("register_organization", registration=registration)
        no_store(resp)


class LoginNames(Base):
    def on_get(self, req, resp, login_name):
        try:
            answer = self.call("check_login_name", login_name=login_name)
        except ce.InvalidInput as exc:
            # api.md: a malformed name is a bad request, not a field error.
            raise Problem(
                400,
                "login_name_invalid",
                exc.message,
                errors=exc.details.get("errors", []),
            ) from None
        resp.media = {
            "login_name": answer["login_name"],
            "available": answer["available"],
        }


class DocumentChecks(Base):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.quota = ClientQuota(
            ctx.redis,
            ctx.settings.redis_key_prefix,
            "document_check",
            ctx.settings.document_checks_per_hour,
            window=3600,
        )

    def on_post(self, req, resp):
        body = read_json(req, self.max_body)
        self.quota.hit(self.client(req))
        resp.media = self.call(
            "check_document",
            identity_region=body.get("identity_region"),
            doc_type=body.get("doc_type"),
            doc_number=body.get("doc_number"),
            captcha_id=body.get("captcha_id"),
            captcha_answer=body.get("captcha_answer"),
        )
        no_store(resp)


class PasswordStrength(Base):
    def on_post(self, req, resp):
        body = read_json(req, self.max_body)
        resp.media = self.call(
            "rate_password",
            password=body.get("password"),
            login_name=body.get("login_name"),
        )
        no_store(resp)


class Sessions(Base):
    def on_post(self, req, resp):
        """Log in: a new session for every login (bearer token and cookie)."""
        body = read_json(req, self.max_body)
        answer = self.call(
            "log_in",
            login_name=body.get("login_name"),
            password=body.get("password"),
            client_ip=self.client(req),
            captcha_id=body.get("captcha_id"),
            captcha_answer=body.get("captcha_answer"),
        )
        set_session_cookie(resp, answer["token"], answer["max_age"])
        resp.status = falcon.HTTP_201
        resp.media = {
            "token": answer["token"],
            "csrf_token": answer["csrf_token"],
            "expires_in": answer["expires_in"],
            "account": answer["account"],
            "must_change_password": answer["must_change_password"],
        }
        no_store(resp)

    def on_delete_current(self, req, resp):
        """Log out (works with a temporary password too)."""
        self.auth.require_account(req, allow_temporary=True)
        self.call("log_out", token=req.context.session_token)
        clear_session_cookie(resp)
        resp.status = falcon.HTTP_204


class Me(Base):
    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        resp.media = self.call("get_me", account_id=account["account_id"])
        no_store(resp)


class MyProfile(Base):
    def on_patch(self, req, resp):
        account = self.auth.require_account(req)
        changes = read_json(req, self.max_body)
        resp.media = self.call(
            "update_profile", account_id=account["account_id"], changes=changes
        )
        no_store(resp)


class MyPhone(Base):
    def on_put(self, req, resp):
        """Change the reserved phone with an SMS code sent to the new one."""
        account = self.auth.require_account(req)
        body = read_json(req, self.max_body)
        resp.media = self.call(
            "change_phone",
            account_id=account["account_id"],
            phone=body.get("phone"),
            sms_code=body.get("sms_code"),
        )
        no_store(resp)


class MyPassword(Base):
    def on_put(self, req, resp):
        account = self.auth.require_account(req, allow_temporary=True)
        body = read_json(req, self.max_body)
        self.call(
            "change_password",
            account_id=account["account_id"],
            session_id=account["session_id"],
            current_password=body.get("current_password"),
            new_password=body.get("new_password"),
            new_password_confirmation=body.get("new_password_confirmation"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_204


class MyAgents(Base):
    """An organisation's agents (代办人, flow 7). Who may designate (an
    organisation, verified) is accounts' rule: a person gets its 403 from there."""

    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        resp.media = self.call("list_agents", account_id=account["account_id"])
        no_store(resp)

    def on_post(self, req, resp):
        account = self.auth.require_account(req)
        body = read_json(req, self.max_body)
        resp.status = falcon.HTTP_201
        resp.media = self.call(
            "designate_agent",
            account_id=account["account_id"],
            login_name=body.get("login_name"),
        )
        no_store(resp)

    def on_delete_agent(self, req, resp, person_id):
        account = self.auth.require_account(req)
        self.call("revoke_agent", account_id=account["account_id"], person_id=person_id)
        resp.status = falcon.HTTP_204


class MyOrganizations(Base):
    """The organisations a person is an active agent of."""

    def on_get(self, req, resp):
        account = self.auth.require_account(req)
        resp.media = self.call(
            "list_represented_organizations", account_id=account["account_id"]
        )
        no_store(resp)


def add_routes(app, ctx) -> None:
    api = ctx.api
    app.add_route(f"{api}/registrations/person", PersonRegistrations(ctx))
    app.add_route(f"{api}/registrations/organization", OrganizationRegistrations(ctx))
    app.add_route(f"{api}/login-names/{{login_name}}", LoginNames(ctx))
    app.add_route(f"{api}/documents/check", DocumentChecks(ctx))
    app.add_route(f"{api}/password-strength", PasswordStrength(ctx))
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
