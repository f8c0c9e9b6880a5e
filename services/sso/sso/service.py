"""The sso Nameko service: entrypoints only (convert, call a use case, answer)."""

import servicekit  # noqa: F401, I001 - configures psycopg for eventlet before anything else

from contracts.accounts import AccountsClient, PasswordChanged
from contracts.base import PingResult
from contracts.events import Envelope
from contracts.errors import Forbidden, NotFound, ServiceError
from contracts import sso as contract
from contracts import sso_cas as cas_contract
from nameko.rpc import RpcProxy
from servicekit.calls import TimedCaller
from servicekit.clock import utc_now
from servicekit.context import CallId, CorrelationId
from servicekit.crypto import PersonalData
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.idempotency import consume, first_delivery
from servicekit.providers import BuiltOnce, ObservedService
from servicekit.rpc import rpc
from servicekit.workqueue import work_item

from sso import (
    acting,
    backchannel,
    cas,
    cas_logout,
    catalogue,
    claims,
    clients,
    codes,
    exchange,
    keys,
    logout,
    sessions,
    tokens,
)
from sso.dependencies import settings_and_clients
from sso.models import outbox, processed_events

EXPECTED = (ServiceError,)


class SsoService(ObservedService):
    name = "sso"

    db = Database(outbox=outbox)
    crypto = PersonalData()
    correlation_id = CorrelationId()
    call_id = CallId()
    settings = BuiltOnce(settings_and_clients)
    accounts_rpc = RpcProxy("accounts")

    def _accounts(self) -> AccountsClient:
        """accounts' typed client over servicekit's one timed adapter."""
        caller = TimedCaller(self.accounts_rpc, "accounts", self.settings.rpc_timeout)
        return AccountsClient(caller.call)

    def _token_deps(self) -> tokens.TokenDeps:
        return tokens.TokenDeps(
            session=self.db.session,
            cipher=self.crypto,
            accounts=self._accounts(),
            settings=self.settings,
            emit=self.db.emit,
            now=utc_now(),
            correlation_id=self.correlation_id,
        )

    @rpc
    def ping(self) -> PingResult:
        return ping_result(self.name, database=self.db.ping())

    @rpc
    def get_provider_info(self) -> contract.ProviderInfo:
        return contract.ProviderInfo(
            issuer=self.settings.issuer,
            id_token_signing_alg_values_supported=list(keys.ALGORITHMS),
            scopes_supported=claims.SCOPES_SUPPORTED,
            claims_supported=claims.CLAIMS_SUPPORTED,
            code_ttl_seconds=self.settings.code_ttl_seconds,
        )

    @rpc
    def get_client(self, client_id: str) -> contract.ClientInfo | None:
        row = clients.find(self.db.session, client_id)
        return None if row is None else clients.info(row)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("grant.code",))
    def save_authorization_code(self, grant: contract.CodeGrant) -> contract.CodeSaved:
        accounts = self._accounts()
        me = claims.account(accounts, grant.account_id)
        organizations = acting.represented(me)
        session, now = self.db.session, utc_now()
        with session.begin():
            row = clients.find(session, grant.client_id)
            if row is None:
                raise NotFound("client_not_found", "No such business system.")
            reason = claims.refusal(row, me)
            if reason is not None:
                raise Forbidden(reason, contract.REFUSALS[reason])
            organization = acting.resolve(session, grant, organizations, now)
            org = None if organization is None else acting.acting_for(me, organization)
            user = tokens.user_claims(me, grant.scope, org)
            ttl = self.settings.code_ttl_seconds
            return codes.save(session, grant, organization, user, now, ttl)

    @rpc(expected_exceptions=EXPECTED)
    def choose_acting_for(
        self, session_id: str, account_id: str, organization_id: str | None
    ) -> contract.ActingChoice:
        session = self.db.session
        with session.begin():
            return acting.choose(
                session,
                self._accounts(),
                self.settings.choice_ttl_seconds,
                utc_now(),
                (session_id, account_id, organization_id),
            )

    @rpc(
        sensitive_arguments=(
            "request.code",
            "request.client_secret",
            "request.client_assertion",
            "request.code_verifier",
        )
    )
    def exchange_code(self, request: contract.TokenRequest) -> contract.CodeExchanged:
        deps = self._token_deps()
        with deps.session.begin():
            return exchange.exchange(deps, request)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("access_token",))
    def get_userinfo(self, access_token: str) -> contract.UserInfo:
        deps = self._token_deps()
        with deps.session.begin():
            return contract.UserInfo.model_validate(tokens.userinfo(deps, access_token))

    @rpc(sensitive_arguments=("id_token_hint",))
    def check_logout(
        self,
        id_token_hint: str | None,
        client_id: str | None,
        post_logout_redirect_uri: str | None,
    ) -> contract.LogoutTarget:
        session = self.db.session
        with session.begin():
            return logout.target(
                session,
                self.settings.issuer,
                utc_now(),
                (id_token_hint, client_id, post_logout_redirect_uri),
            )

    @rpc
    def end_session(self, session_id: str) -> contract.SessionEnded:
        session = self.db.session
        with session.begin():
            trace = (self.correlation_id, self.call_id)
            notified = backchannel.end_session(session, session_id, utc_now(), trace)
        return contract.SessionEnded(notified=notified)

    @consume(PasswordChanged)
    def on_accounts_password_changed(self, envelope: Envelope[PasswordChanged]):
        """The account's other sessions ended: logout tokens for their entries."""
        session = self.db.session
        with session.begin():
            consumer = "on_accounts_password_changed"
            if first_delivery(session, processed_events, envelope.event_id, consumer):
                sessions.password_changed(
                    session,
                    envelope.data,
                    envelope.occurred_at,
                    (envelope.correlation_id, self.call_id),
                )

    @sessions.sweep(interval=sessions.LEASE_SECONDS)  # SSO_SESSION_SWEEP_SECONDS
    def sweep_expired_sessions(self):
        """Sessions that expired: asked of accounts when due (``sso.sessions``)."""
        session, now = self.db.session, utc_now()
        with session.begin():
            due = sessions.claim_due(session, now)
        if not due:
            return
        lifetimes = self._accounts().get_session_lifetimes(session_ids=due)
        with session.begin():
            sessions.apply_lifetimes(
                session, lifetimes, utc_now(), (self.correlation_id, self.call_id)
            )

    @work_item(backchannel.DELIVER)
    def deliver_logout_token(self, item):
        context = (self.settings.issuer, self.settings.backchannel_timeout, utc_now())
        backchannel.deliver(self.db.session, self.crypto, item, context)

    @rpc
    def get_jwks(self) -> contract.Jwks:
        session, now = self.db.session, utc_now()
        with session.begin():
            # make the active keys now, so a client fetching the JWKS before the
            # first token already sees them
            for alg in keys.ALGORITHMS:
                keys.active_key(session, self.crypto, alg, now)
            return contract.Jwks(keys=keys.published(session, now))

    @rpc(expected_exceptions=EXPECTED)
    def list_services(self, account_id: str | None = None) -> contract.Catalogue:
        return catalogue.list_services(
            self.db.session, self._accounts(), account_id, self.settings.issuer
        )

    # --- the CAS 3.0 façade (sso/cas.py) -------------------------------------------------

    @rpc
    def get_cas_service(self, service_url: str) -> cas_contract.CasService | None:
        row = cas.find_service(self.db.session, service_url)
        return None if row is None else cas.service_info(row)

    @rpc
    def start_cas_renewal(self, session_id: str | None) -> cas_contract.CasRenewal:
        session = self.db.session
        with session.begin():
            return cas.start_renewal(session, session_id, utc_now())

    @rpc(expected_exceptions=EXPECTED)
    def issue_service_ticket(
        self, request: cas_contract.CasTicketRequest
    ) -> cas_contract.CasTicketIssued:
        me = claims.account(self._accounts(), request.account_id)
        session = self.db.session
        with session.begin():
            return cas.issue(session, me, request, utc_now())

    @rpc(sensitive_arguments=("ticket",))
    def validate_service_ticket(
        self, ticket: str, service_url: str, renew: bool
    ) -> cas_contract.CasValidation:
        deps = self._token_deps()
        with deps.session.begin():
            return cas.validate(deps, ticket, service_url, renew)

    @work_item(cas_logout.DELIVER)
    def deliver_cas_logout(self, item):
        cas_logout.deliver(item, self.settings.backchannel_timeout, utc_now())
