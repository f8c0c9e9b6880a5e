"""The identity authority: the interface a real one plugs into, and the simulation.

A real authority (the public-security identity service for persons, the registry of
legal persons for organisations) is an adapter implementing
:class:`IdentityAuthority`; ``AUTHORITY_KIND`` in config.yml picks it. The project
ships :class:`SimulatedAuthority`, backed by a registry file, as the default.
"""

from __future__ import annotations

import csv
import os
import random
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from contracts.verification import (
    REASON_AUTHORITY_MATCH,
    REASON_LEGAL_REPRESENTATIVE_MISMATCH,
    REASON_NAME_MISMATCH,
    REASON_NO_RECORD,
)


@dataclass(frozen=True)
class PersonQuery:
    name: str
    doc_type: str
    doc_number: str


@dataclass(frozen=True)
class OrganizationQuery:
    name: str
    credit_code: str
    legal_representative_name: str


@dataclass(frozen=True)
class Verdict:
    matched: bool
    reason_code: str  # REASON_AUTHORITY_MATCH when matched, else why not


class AuthorityUnavailable(Exception):
    """The authority cannot answer now (down, timed out, failed): ask again later.
    It never means "no match"."""


class IdentityAuthority(ABC):
    """What verification asks an identity authority.

    Implementations must answer within their own timeout (shorter than the work
    lease, ``WORK_LEASE_SECONDS``) and be safe to call from several greenthreads.
    """

    @abstractmethod
    def check_person(self, query: PersonQuery) -> Verdict:
        """Whether a person with this name holds this document.

        Returns a :class:`Verdict`: matched with ``authority_match``; otherwise
        ``no_record`` (no such document) or ``name_mismatch`` (the document
        belongs to someone else). Raises :class:`AuthorityUnavailable` when it
        cannot tell now; never raises for a non-match.
        """

    @abstractmethod
    def check_organization(self, query: OrganizationQuery) -> Verdict:
        """Whether the organisation with this credit code has this name and legal
        representative.

        Returns a :class:`Verdict`: matched with ``authority_match``; otherwise
        ``no_record``, ``name_mismatch`` or ``legal_representative_mismatch``.
        Raises :class:`AuthorityUnavailable` when it cannot tell now.
        """


def normalize_name(name: str) -> str:
    """Names compare after Unicode NFKC (full-width letters), case folding and
    dropping spaces and middle dots (``·`` in transliterated names)."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·.・")


def normalize_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code or "").strip().upper()


REGISTRY_COLUMNS = (
    "kind",
    "name",
    "doc_type",
    "doc_number",
    "credit_code",
    "legal_representative_name",
)


@dataclass
class _Registry:
    persons: dict[tuple[str, str], str]  # (doc_type, doc_number) -> normalised name
    organizations: dict[str, tuple[str, str]]  # credit code -> (name, legal rep)


def load_registry(path: str) -> _Registry:
    persons: dict[tuple[str, str], str] = {}
    organizations: dict[str, tuple[str, str]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind = (row.get("kind") or "").strip()
            if kind == "person":
                key = (
                    (row["doc_type"] or "").strip(),
                    normalize_code(row["doc_number"]),
                )
                persons[key] = normalize_name(row["name"])
            elif kind == "organization":
                organizations[normalize_code(row["credit_code"])] = (
                    normalize_name(row["name"]),
                    normalize_name(row["legal_representative_name"]),
                )
    return _Registry(persons, organizations)


class SimulatedAuthority(IdentityAuthority):
    """An authority backed by a CSV registry (``REGISTRY_COLUMNS``).

    The file is read again whenever its modification time or size changes, so a
    test (or an operator) can append entries while the service runs. ``latency``
    (seconds) is spent on every call; with probability ``error_rate`` a call
    fails; ``down`` makes every call fail. Failures raise
    :class:`AuthorityUnavailable`, as a real outage would.
    """

    def __init__(
        self,
        registry_path: str,
        latency: float = 0.0,
        error_rate: float = 0.0,
        down: bool = False,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.registry_path = registry_path
        self.latency = latency
        self.error_rate = error_rate
        self.down = down
        # the simulated authority's delays and errors: no secret depends on them
        self.rng = rng or random.Random()  # noqa: S311
        self.sleep = sleep
        self._stamp: tuple[int, int] | None = None
        self._registry: _Registry | None = None
        self._lock = threading.Lock()

    def _answer_or_fail(self) -> _Registry:
        if self.latency > 0:
            self.sleep(self.latency)
        if self.down:
            raise AuthorityUnavailable("the identity authority is down")
        if self.error_rate > 0 and self.rng.random() < self.error_rate:
            raise AuthorityUnavailable("the identity authority failed to answer")
        return self._current_registry()

    def _current_registry(self) -> _Registry:
        try:
            stat = os.stat(self.registry_path)
        except OSError as exc:
            # fail closed but not final: an unreadable registry is an outage
            raise AuthorityUnavailable(f"registry unreadable: {exc}") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._registry is None or stamp != self._stamp:
                self._registry = load_registry(self.registry_path)
                self._stamp = stamp
            return self._registry

    def check_person(self, query: PersonQuery) -> Verdict:
        registry = self._answer_or_fail()
        key = (query.doc_type.strip(), normalize_code(query.doc_number))
        name = registry.persons.get(key)
        if name is None:
            return Verdict(False, REASON_NO_RECORD)
        if name != normalize_name(query.name):
            return Verdict(False, REASON_NAME_MISMATCH)
        return Verdict(True, REASON_AUTHORITY_MATCH)

    def check_organization(self, query: OrganizationQuery) -> Verdict:
        registry = self._answer_or_fail()
        entry = registry.organizations.get(normalize_code(query.credit_code))
        if entry is None:
            return Verdict(False, REASON_NO_RECORD)
        name, legal_representative = entry
        if name != normalize_name(query.name):
            return Verdict(False, REASON_NAME_MISMATCH)
        if legal_representative != normalize_name(query.legal_representative_name):
            return Verdict(False, REASON_LEGAL_REPRESENTATIVE_MISMATCH)
        return Verdict(True, REASON_AUTHORITY_MATCH)


def authority_from_config(config: dict) -> IdentityAuthority:
    """The authority the settings name (``AUTHORITY_*``, see
    ``verification.settings``); ValueError for a kind that is not built in."""
    # imported here: the settings take the use cases' defaults from handlers,
    # which import this module
    from verification.settings import VerificationSettings

    settings = VerificationSettings.from_config(config)
    return SimulatedAuthority(
        registry_path=settings.authority_registry_path,
        latency=settings.authority_latency_ms / 1000.0,
        error_rate=settings.authority_error_rate,
        down=settings.authority_down,
    )
