"""Key rotation: rewrite every stored personal value under the active key.

After a new key is added to ``PII_KEYS`` and made active (``PII_ACTIVE_KEY_ID``),
new values use it at once and old ones stay readable. This job rewrites the old
ones, so that the old key can then be removed. Each service that stores personal
data lists its encrypted columns with their kinds and offers the command::

    python -m accounts.cli reencrypt-personal-data
    python -m recovery.cli reencrypt-personal-data

It is safe beside the running service and to run again: rows are read in primary-key
order in batches, and each value is replaced only if it is still the one that was
read (a compare-and-set), so a value the service changed meanwhile (already under the
active key) is left alone. Blind indexes use their own key and do not change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from servicekit.crypto import DecryptionError, PersonalDataCipher

_log = logging.getLogger("servicekit.rotation")


def reencrypt_from_config(
    config: dict, columns: Iterable[tuple[sa.Column, str]]
) -> dict[str, dict[str, int]]:
    """:func:`reencrypt` with a service's config (``DB_URL``, ``PII_KEYS``...)."""
    engine = sa.create_engine(config["DB_URL"], poolclass=sa.pool.NullPool)
    try:
        cipher = PersonalDataCipher.from_config(config)
        return reencrypt(lambda: Session(engine), cipher, columns)
    finally:
        engine.dispose()


def reencrypt(
    new_session: Callable[[], Session],
    cipher: PersonalDataCipher,
    columns: Iterable[tuple[sa.Column, str]],
    batch: int = 500,
) -> dict[str, dict[str, int]]:
    """Rewrite ``columns`` (each with the kind bound to its values);
    ``{"table.column": {"rewritten": n, "unreadable": m}}``, where ``unreadable``
    counts values whose key is not configured (they stay as they are)."""
    report = {}
    for column, kind in columns:
        report[f"{column.table.name}.{column.name}"] = _column(
            new_session, cipher, column, kind, batch
        )
    return report


def _column(new_session, cipher, column, kind, batch) -> dict[str, int]:
    table = column.table
    keys = list(table.primary_key.columns)
    current = f"v1.{cipher.active_key_id}.%"
    rewritten = unreadable = 0
    after = None
    while True:
        query = (
            sa.select(*keys, column)
            .where(column.is_not(None), column.not_like(current))
            .order_by(*keys)
            .limit(batch)
        )
        if after is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*after))
        with new_session() as session, session.begin():
            rows = session.execute(query).all()
            for row in rows:
                *key_values, stored = row
                try:
                    fresh = cipher.encrypt(cipher.decrypt(stored, kind), kind)
                except DecryptionError:
                    unreadable += 1
                    continue
                same_row = [k == v for k, v in zip(keys, key_values, strict=True)]
                result = session.execute(
                    sa.update(table)
                    .where(*same_row, column == stored)
                    .values({column.name: fresh})
                )
                rewritten += result.rowcount
        if len(rows) < batch:
            break
        after = tuple(rows[-1][: len(keys)])
    if unreadable:
        _log.warning(
            "%s.%s: %d values under a key that is not configured",
            table.name,
            column.name,
            unreadable,
        )
    return {"rewritten": rewritten, "unreadable": unreadable}
