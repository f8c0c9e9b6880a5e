"""Every error ``code`` the services and the gateway can answer has a zh_CN
message in the catalogue (``gateway/error_messages.py`` CODES, translated in the
one catalogue): a code missing there reaches a Chinese page in English.

The codes are read from the source's syntax tree, not by text search: a string
literal passed as the ``code`` of an error (the first argument of a
``contracts.errors.ServiceError`` class, ``ErrorCode(...)`` on a contract field)
or to any of our functions or classes whose parameter is named ``code``
(``field_error``, ``single``, ``target_quotas.require``, ``Problem``...), by
position or keyword. A ``ClientQuota`` without ``code`` answers
``<name>_rate_limited``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from gateway import error_messages

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "services", ROOT / "libs"]
ERROR_CLASSES = {"ServiceError", "ErrorCode"}
CODE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for top in SOURCES:
        for path in sorted(top.rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"tests", "migrations", ".venv"}:
                continue
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _code_positions(trees) -> dict[str, set[int]]:
    """Name of each function or class taking a ``code`` parameter → its index."""
    positions: dict[str, set[int]] = {}
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & ERROR_CLASSES or node.name in ERROR_CLASSES:
                    ERROR_CLASSES.add(node.name)
                    positions.setdefault(node.name, set()).add(0)
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        _add(positions, node.name, item.args, skip=1)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                _add(positions, node.name, node.args, skip=0)
    return positions


def _add(positions, name: str, args: ast.arguments, skip: int) -> None:
    names = [a.arg for a in args.posonlyargs + args.args][skip:]
    if "code" in names:
        positions.setdefault(name, set()).add(names.index("code"))


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _called(node: ast.Call) -> str:
    """The callee's name; for ``functools.partial(f, ...)`` the keywords are
    ``f``'s."""
    name = _name(node.func)
    if name == "partial" and node.args:
        return _name(node.args[0])
    return name


def _literal(node) -> str | None:
    """A string constant shaped like a code (a message in a same-named
    function's ``code`` position is not one)."""
    text = node.value if isinstance(node, ast.Constant) else None
    return text if isinstance(text, str) and CODE.fullmatch(text) else None


def _codes_of(call: ast.Call, positions: dict[str, set[int]]) -> Iterator[str]:
    name = _called(call)
    for index in positions.get(name, ()):
        if index < len(call.args) and (code := _literal(call.args[index])):
            yield code
    keywords = {k.arg: k.value for k in call.keywords}
    if name in positions and (code := _literal(keywords.get("code"))):
        yield code
    quota = _literal(call.args[2]) if len(call.args) > 2 else None
    if name == "ClientQuota" and "code" not in keywords and quota:
        yield f"{quota}_rate_limited"


def raised_codes() -> dict[str, str]:
    """Each error code found in the source → one file that raises it."""
    trees = list(_sources())
    positions = _code_positions(trees)
    found: dict[str, str] = {}
    for path, tree in trees:
        for node in ast.walk(tree):
            codes = ()
            if isinstance(node, ast.Call):
                codes = _codes_of(node, positions)
            elif isinstance(node, ast.ClassDef) and node.name in ERROR_CLASSES:
                codes = _default_code(node)
            for code in codes:
                found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def _default_code(node: ast.ClassDef) -> Iterator[str]:
    """An error class's ``code = "..."``: what it answers raised without one."""
    for item in node.body:
        targets = [getattr(t, "id", "") for t in getattr(item, "targets", [])]
        if targets == ["code"] and (code := _literal(item.value)):
            yield code


def test_the_scan_finds_codes_raised_every_way():
    codes = raised_codes()
    # a ServiceError subclass, ErrorCode on a contract field, field_error,
    # target_quotas.require, a gateway quota's code= and its default.
    for code in (
        "account_not_found",
        "candidate_invalid",
        "credit_code_required",
        "registration_rate_limited",
        "login_name_check_rate_limited",
        "login_unlock_rate_limited",
    ):
        assert code in codes, code
    assert len(codes) > 100


def test_every_raised_code_has_a_catalogue_entry():
    catalogued = set(error_messages.CODES)
    missing = {c: f for c, f in raised_codes().items() if c not in catalogued}
    assert missing == {}, "add to gateway/error_messages.py CODES: " + repr(missing)
