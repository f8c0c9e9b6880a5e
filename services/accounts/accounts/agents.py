"""Agents (代办, product.md flow 7): an organisation designates natural persons who
act for it, lists and revokes them; a person lists whom it acts for.

An agent's name is shown masked to the organisation: it learns who, not more.
"""

from __future__ import annotations

import uuid

from contracts.accounts import AgentDesignated, AgentRevoked
from contracts.errors import Forbidden, InvalidInput, NotFound
from contracts.masking import mask_name

from accounts import field_rules, personal_data
from accounts.deps import Deps
from accounts.validation import single


def _agent_view(row) -> dict:
    return {
        "person_id": str(row.person_id),
        "login_name": row.login_name,
        "name": mask_name(row.name),
        "granted_at": row.granted_at.isoformat(),
    }


def _organization_for_agents(deps: Deps, key: uuid.UUID, for_update: bool = False):
    account = deps.repo.get_account(key, for_update=for_update)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    if account.kind != "organization":
        raise Forbidden(
            "organization_only", "Only an organisation account designates agents."
        )
    return account


def _agent_not_found() -> InvalidInput:
    # The same answer for no account, an organisation and a staff member: the
    # caller learns only that no natural person has that name.
    return single(
        "login_name", "agent_not_found", "No natural-person account has this name"
    )


def _already_designated() -> InvalidInput:
    return single(
        "login_name",
        "agent_already_designated",
        "This person is already an agent of the organisation",
    )


def _limit_reached(limit: int) -> InvalidInput:
    full = single(
        "login_name",
        "agent_limit_reached",
        f"At most {limit} active agents; revoke one first",
    )
    return InvalidInput(full.error_code, full.message, {**full.details, "limit": limit})


def designate_agent(deps: Deps, account_id: str, login_name: str) -> dict:
    """The organisation designates the natural person with ``login_name`` as
    its agent (re-activating a revoked designation with a new ``granted_at``).

    ``login_name``'s shape was checked by the contract's ``LoginName``.
    Returns ``{agent: {person_id, login_name, name (masked), granted_at}}``.
    Raises ``Forbidden`` (``organization_only``, ``organization_not_verified``),
    ``InvalidInput`` on ``login_name`` (``agent_not_found``,
    ``agent_already_designated``, ``agent_limit_reached``),
    ``NotFound``. Emits ``agent_designated``.
    """
    key = field_rules.account_key(account_id)
    settings = deps.settings
    with deps.repo.transaction():
        # The organisation's row, locked: designations of one organisation run
        # one at a time, so the cap and the "already designated" check hold
        # under races (the primary key would still refuse a duplicate pair).
        org = _organization_for_agents(deps, key, for_update=True)
        now = deps.clock()  # after the lock: one organisation's grants in order
        if (
            settings.agents_require_verified_organization
            and org.real_name_status != "passed"
        ):
            raise Forbidden(
                "organization_not_verified",
                "Pass real-name verification before designating agents.",
            )
        name = field_rules.login_name(login_name)
        person = deps.repo.find_person_by_login_name(name)
        if person is None:
            raise _agent_not_found()
        existing = deps.repo.get_agent(key, person.id)
        if existing is not None and existing.revoked_at is None:
            raise _already_designated()
        limit = settings.agents_per_organization
        if deps.repo.count_active_agents(key) >= limit:
            raise _limit_reached(limit)
        if not deps.repo.grant_agent(key, person.id, now):
            # Unreachable while the lock above is taken; the key decides if not.
            raise _already_designated()
        deps.emit(AgentDesignated(organization_id=str(key), person_id=str(person.id)))
    return {
        "agent": {
            "person_id": str(person.id),
            "login_name": person.login_name,
            "name": mask_name(person.name),
            "granted_at": now.isoformat(),
        }
    }


def list_agents(deps: Deps, account_id: object) -> dict:
    """``{items: [{person_id, login_name, name (masked), granted_at}]}``: the
    organisation's active agents, oldest grant first. Raises ``Forbidden``
    (``organization_only``), ``NotFound``."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        _organization_for_agents(deps, key)
        rows = deps.repo.active_agents(key)
    return {"items": [_agent_view(row) for row in rows]}


def revoke_agent(deps: Deps, account_id: object, person_id: object) -> dict:
    """End the organisation's designation of ``person_id`` at once:
    ``{person_id, revoked_at}``. Raises ``Forbidden`` (``organization_only``),
    ``NotFound`` (``agent_not_found``, ``account_not_found``). Emits
    ``agent_revoked``."""
    key = field_rules.account_key(account_id)
    now = deps.clock()
    with deps.repo.transaction():
        _organization_for_agents(deps, key)
        try:
            person = uuid.UUID(str(person_id))
        except ValueError:
            person = None
        if person is None or not deps.repo.revoke_agent(key, person, now):
            raise NotFound(
                "agent_not_found", "This person is not an agent of the organisation."
            )
        deps.emit(AgentRevoked(organization_id=str(key), person_id=str(person)))
    return {"person_id": str(person), "revoked_at": now.isoformat()}


def list_represented_organizations(deps: Deps, account_id: object) -> dict:
    """``{items: [{organization_id, name, unique_code (masked), granted_at}]}``:
    the organisations the person is an active agent of. Raises ``Forbidden``
    (``person_only``), ``NotFound``."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        if account.kind != "person":
            raise Forbidden(
                "person_only", "Only a natural person acts as an organisation's agent."
            )
        return {"items": represented(deps, key)}


def represented(deps: Deps, key: uuid.UUID) -> list[dict]:
    """The organisations the person ``key`` is an active agent of (inside the
    caller's transaction)."""
    return [
        {
            "organization_id": str(row.organization_id),
            "name": row.name,
            "unique_code": personal_data.masked_org_code(deps.cipher, row.code_enc),
            "granted_at": row.granted_at.isoformat(),
        }
        for row in deps.repo.represented_organizations(key)
    ]


def acts_for(deps: Deps, person_id: object, organization_id: object) -> bool:
    """Whether ``person_id`` is an active agent of ``organization_id`` now (one
    read, nothing cached). False for malformed ids; never raises."""
    try:
        person = uuid.UUID(str(person_id))
        organization = uuid.UUID(str(organization_id))
    except ValueError:
        return False
    return deps.repo.acts_for(person, organization)
