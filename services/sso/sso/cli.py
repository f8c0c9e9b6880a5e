"""Operator commands of the sso service (business systems and signing keys).

    python -m sso.cli add-client FILE.yml       # register (or update) the clients of a file
    python -m sso.cli rotate-secret CLIENT_ID   # print a new secret (kept hashed)
    python -m sso.cli set-jwks CLIENT_ID JWKS.json  # a private_key_jwt client's new keys
    python -m sso.cli disable CLIENT_ID | enable CLIENT_ID
    python -m sso.cli rotate-signing-keys       # retire the active keys; old ones stay
                                                # in the JWKS until their tokens expire

Reads the same ``config.yml`` as the service (``SSO_DB_URL``, ``PII_KEYS``...).
A file has the shape of ``SSO_CLIENTS_FILE`` (``clients.dev.yml``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import servicekit  # noqa: F401 - process setup (warnings, psycopg wait function)
import sqlalchemy as sa
from servicekit.clock import utc_now
from servicekit.config import load_config
from sqlalchemy.orm import Session

from sso import clients, keys
from sso.settings import SsoSettings

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config.yml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sso.cli")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("add-client").add_argument("file", type=Path)
    for name in ("rotate-secret", "disable", "enable"):
        commands.add_parser(name).add_argument("client_id")
    set_jwks = commands.add_parser("set-jwks")
    set_jwks.add_argument("client_id")
    set_jwks.add_argument("file", type=Path, help="the public JWK Set (JSON)")
    commands.add_parser("rotate-signing-keys")
    return parser


def run(session: Session, args: argparse.Namespace, config: dict) -> dict:
    now = utc_now()
    if args.command == "add-client":
        return {"registered": clients.load_file(session, args.file, now)}
    if args.command == "rotate-secret":
        secret = clients.rotate_secret(session, args.client_id, now)
        return {"client_id": args.client_id, "client_secret": secret}
    if args.command == "set-jwks":
        jwks = json.loads(args.file.read_text("utf-8"))
        done = clients.set_jwks(session, args.client_id, jwks, now)
        return {"client_id": args.client_id, "changed": done}
    if args.command in ("disable", "enable"):
        done = clients.set_enabled(
            session, args.client_id, args.command == "enable", now
        )
        return {"client_id": args.client_id, "changed": done}
    publish = SsoSettings.from_config(config).key_publish_seconds
    return {"retired": keys.rotate(session, now, publish)}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = load_config(args.config)
    engine = sa.create_engine(config["DB_URL"], poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session, session.begin():
            report = run(session, args, config)
    finally:
        engine.dispose()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    failed = report.get("client_secret", "") is None or report.get("changed") is False
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
