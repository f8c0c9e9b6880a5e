"""The token request in one RPC and one transaction (RFC 6749 §4.1.3, sso.md).

In order: the client authenticates by the method it registered (a wrong one, or a
wrong credential: ``invalid_client``, and the code is untouched); then the code is
consumed once, in one statement that also checks it is this client's, alive, for
this ``redirect_uri`` and this PKCE S256 verifier (any of these wrong:
``invalid_grant``, the code spent; a replay revokes what it issued); then the
tokens are issued from the claims the code took at authorize. Everything commits
together, so no copy ever sees a redeemed code without its tokens.
"""

from __future__ import annotations

from contracts.sso import CodeExchanged, TokenRequest

from sso import assertions, clients, codes, tokens

SECRET_METHODS = clients.SECRET_METHODS


def _authenticated(deps: tokens.TokenDeps, row, request: TokenRequest) -> bool:
    """Whether the client ``row`` authenticated with its registered method."""
    method = request.auth_method
    if row is None or method != row.token_endpoint_auth_method:
        return False
    if method in SECRET_METHODS:
        return clients.secret_matches(row, request.client_secret or "")
    if method == "private_key_jwt":
        return assertions.authenticate(
            deps.session,
            row,
            request.client_assertion,
            deps.settings.issuer,
            deps.now,
        )
    # a public client: PKCE is its only proof, and it sends no credential
    return not request.client_secret and not request.client_assertion


def exchange(deps: tokens.TokenDeps, request: TokenRequest) -> CodeExchanged:
    row = clients.find(deps.session, request.client_id)
    if not _authenticated(deps, row, request):
        return CodeExchanged(refused="invalid_client")
    binding = (request.client_id, request.redirect_uri, request.code_verifier)
    code = codes.redeem(deps.session, request.code, binding, deps.now)
    if code is None or code.claims is None:
        return CodeExchanged(refused="invalid_grant")
    return CodeExchanged(
        tokens=tokens.issue(deps, code, row),
        redirect_uri=code.redirect_uri,
        code_challenge=code.code_challenge,
    )
