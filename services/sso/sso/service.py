"""The sso Nameko service: entrypoints only (convert, call a use case, answer)."""

import servicekit  # noqa: F401, I001 - configures psycopg for eventlet before anything else

from contracts.accounts import AccountsClient
from contracts.base import PingResult
from contracts.errors import Forbidden, NotFound, ServiceError
from contracts import sso as contract
from nameko.rpc import RpcProxy
from servicekit.calls import TimedCaller
from servicekit.clock import utc_now
from servicekit.context import CallId, CorrelationId
from servicekit.crypto import PersonalData
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.providers import BuiltOnce, ObservedService
from servicekit.rpc import rpc
from servicekit.workqueue import work_item

from sso import (
    acting,
    backchannel,
    catalogue,
    claims,
    clients,
    codes,
    exchange,
    keys,
    logout,
    tokens,
)
from sso.dependencies import settings_and_clients
from sso.models import outbox

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
            notified = backchannel.end_session(
                session, session_id, utc_now(), (self.correlation_id, self.call_id)
            )
        return contract.SessionEnded(notified=notified)

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
