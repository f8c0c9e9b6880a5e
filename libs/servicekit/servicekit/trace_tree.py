"""The hop tree of one request: log lines in, hops joined by their call ids out.

Reading the JSON lines of every process (:func:`read_logs`), turning each hop line
into a :class:`Hop` (:func:`to_hop`) and joining hops under the hop that caused them
(:func:`build_tree`). Pure except :func:`read_logs`; :mod:`servicekit.trace` prints
the tree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

HOP_KINDS = ("http", "rpc", "event", "timer", "outbox_relay", "work_item")
# Tie-break for hops that start in the same microsecond: cause before effect.
_KIND_RANK = {kind: rank for rank, kind in enumerate(HOP_KINDS)}
# Clocks of different machines disagree a little: a child may seem to start before
# its parent. Within this margin it still counts as "after".
CLOCK_SLACK = timedelta(milliseconds=50)
DEFAULT_LOGS = ("var/log",)
BAD_OUTCOMES = {"error", "failed"}


@dataclass
class LogLine:
    """One JSON object from one process's log, and where it came from."""

    data: dict[str, Any]
    source: str  # the process: a log file's stem such as "accounts-1", or "-"

    @property
    def time(self) -> datetime | None:
        return parse_time(self.data.get("ts"))


@dataclass
class Hop:
    kind: str
    id: str
    # who may have caused it, most specific first (an event: the relay line that
    # published it, then the worker that emitted it)
    callers: tuple[str, ...]
    service: str
    source: str
    started: datetime
    duration_ms: float | None
    outcome: str | None
    line: dict[str, Any]
    children: list[Hop] = field(default_factory=list)
    notes: list[LogLine] = field(default_factory=list)
    parent_id: str | None = None  # the caller found (or, for an orphan, the one wanted)
    orphan: bool = False  # has a caller that no log given holds

    @property
    def sort_key(self) -> tuple:
        return (self.started, _KIND_RANK.get(self.kind, 99), self.id)

    def describe(self) -> str:
        """What ran, in a few words (never arguments: logs hold none)."""
        line = self.line
        if self.kind == "http":
            text = f"{line.get('method', '?')} {line.get('route', '?')} {line.get('status', '?')}"
        elif self.kind == "event":
            source = line.get("event_source")
            event = (
                f"{source}.{line.get('event_type')}"
                if source
                else line.get("event_type")
            )
            text = f"{line.get('entrypoint', '?')} <- {event}"
        elif self.kind == "outbox_relay":
            text = f"published {line.get('event_type', '?')} (event {_short(line.get('event_id'))})"
        elif self.kind == "work_item":
            text = (
                f"{line.get('work_item', '?')} attempt {line.get('attempt', '?')}"
                f" (item {_short(line.get('work_item_id'))})"
            )
            if line.get("next_attempt_at"):
                retry_at = parse_time(line["next_attempt_at"])
                text += f", retry at {retry_at:%H:%M:%S}" if retry_at else ""
        else:
            text = str(line.get("entrypoint") or line.get("call_id") or "?")
        if line.get("error") or line.get("error_code"):
            text += (
                " ["
                + ": ".join(
                    str(v) for v in (line.get("error"), line.get("error_code")) if v
                )
                + "]"
            )
        return f"{self.kind} {text}"


def _short(value: Any) -> str:
    return str(value)[:8] if value else "?"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- reading -----------------------------------------------------------------------------


def expand_paths(paths: Iterable[str]) -> list[Path | str]:
    """Files as given; a directory means every ``*.log`` in it; ``-`` is stdin."""
    found: list[Path | str] = []
    for raw in paths:
        if raw == "-":
            found.append("-")
            continue
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.glob("*.log")))
        else:
            found.append(path)
    return found


def source_name(path: Path | str) -> str:
    return "-" if path == "-" else Path(path).stem


def parse_lines(
    raw_lines: Iterable[str], source: str, correlation_id: str
) -> Iterator[LogLine]:
    """The JSON lines of one process that carry ``correlation_id``.

    Anything else (gunicorn's plain-text lines, a traceback, a torn last line) is
    skipped: a log is evidence, never input to trust.
    """
    for raw in raw_lines:
        if correlation_id not in raw:  # cheap filter before parsing
            continue
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("correlation_id") == correlation_id:
            yield LogLine(data, source)


def read_logs(
    paths: Iterable[Path | str], correlation_id: str, stdin: TextIO | None = None
) -> list[LogLine]:
    lines: list[LogLine] = []
    for path in paths:
        if path == "-":
            lines.extend(parse_lines(stdin or sys.stdin, "-", correlation_id))
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines.extend(parse_lines(handle, source_name(path), correlation_id))
    return lines


# --- joining -----------------------------------------------------------------------------


def _service_of(line: LogLine) -> str:
    service = line.data.get("service")
    if service:
        return str(service)
    # "accounts-1" -> "accounts": the file name of a `make up` or test process
    stem, _, copy = line.source.rpartition("-")
    return stem if stem and copy.isdigit() else line.source


def to_hop(line: LogLine) -> Hop | None:
    """The hop a line records, or None for an ordinary log line."""
    data = line.data
    kind = data.get("hop")
    if kind not in HOP_KINDS:
        return None
    duration = data.get("duration_ms")
    duration = float(duration) if isinstance(duration, int | float) else None
    started = parse_time(data.get("started_at"))
    if started is None:
        logged = line.time or datetime.fromtimestamp(0, UTC)
        started = logged - timedelta(milliseconds=duration or 0)
    callers = [data.get("parent_call_id")]
    if kind == "outbox_relay":
        # The relay may run inside a worker's teardown, so its line can carry that
        # worker's bound call_id: its own identity is the event it published.
        hop_id = f"outbox.{data.get('event_id')}"
    else:
        hop_id = data.get("call_id") or f"{line.source}:{data.get('ts')}"
    if kind == "event" and data.get("event_id"):
        # Handled events hang under the relay line that published them, when known.
        callers.insert(0, f"outbox.{data['event_id']}")
    return Hop(
        kind=kind,
        id=str(hop_id),
        callers=tuple(str(c) for c in callers if c),
        service=_service_of(line),
        source=line.source,
        started=started,
        duration_ms=duration,
        outcome=data.get("outcome"),
        line=data,
    )


def _pick(candidates: list[Hop], child: Hop) -> Hop:
    """Of several hops with one id (a request id reused, an event published twice),
    the latest that started before the child; else the earliest."""
    before = [c for c in candidates if c.started <= child.started + CLOCK_SLACK]
    return (
        max(before, key=lambda h: h.sort_key)
        if before
        else min(candidates, key=lambda h: h.sort_key)
    )


def _split(lines: Iterable[LogLine]) -> tuple[list[Hop], list[LogLine]]:
    """The hop lines as hops, and every other line."""
    hops: list[Hop] = []
    others: list[LogLine] = []
    for line in lines:
        hop = to_hop(line)
        if hop is None:
            others.append(line)
        else:
            hops.append(hop)
    return hops, others


def _parent_of(hop: Hop, by_id: dict[str, list[Hop]]) -> Hop | None:
    for caller in hop.callers:
        candidates = [c for c in by_id.get(caller, ()) if c is not hop]
        if candidates:
            return _pick(candidates, hop)
    return None


def _order(nodes: list[Hop]) -> None:
    nodes.sort(key=lambda h: h.sort_key)
    for node in nodes:
        node.notes.sort(key=lambda n: n.time or node.started)
        _order(node.children)


def build_tree(lines: Iterable[LogLine]) -> tuple[list[Hop], list[LogLine]]:
    """Roots of the hop tree (each subtree in time order), and the ordinary lines
    that belong to no hop. Ordinary lines of a hop go to its ``notes``."""
    hops, others = _split(lines)
    by_id: dict[str, list[Hop]] = {}
    for hop in hops:
        by_id.setdefault(hop.id, []).append(hop)

    roots: list[Hop] = []
    for hop in hops:
        parent = _parent_of(hop, by_id)
        if parent is None or _is_ancestor(hop, parent):
            hop.parent_id = hop.callers[-1] if hop.callers else None
            hop.orphan = bool(hop.callers)
            roots.append(hop)
        else:
            hop.parent_id = parent.id
            parent.children.append(hop)

    unattached: list[LogLine] = []
    for line in others:
        owner = _owner(line, by_id)
        if owner is None:
            unattached.append(line)
        else:
            owner.notes.append(line)

    _order(roots)
    unattached.sort(key=lambda n: n.time or datetime.fromtimestamp(0, UTC))
    return roots, unattached


def _is_ancestor(hop: Hop, candidate: Hop) -> bool:
    """True when ``hop`` is already above ``candidate`` (a crafted cycle)."""
    stack = list(hop.children)
    while stack:
        node = stack.pop()
        if node is candidate:
            return True
        stack.extend(node.children)
    return False


def _owner(line: LogLine, by_id: dict[str, list[Hop]]) -> Hop | None:
    data = line.data
    call_id = data.get("call_id")
    if not call_id and data.get("service") == "gateway":
        # the gateway binds only the request id; its hop id follows from it
        call_id = f"gateway.http.{data.get('correlation_id')}"
    candidates = by_id.get(call_id or "")
    if not candidates:
        return None
    when = line.time
    if when is None or len(candidates) == 1:
        return candidates[0]
    inside = [
        c
        for c in candidates
        if c.started - CLOCK_SLACK
        <= when
        <= c.started + timedelta(milliseconds=c.duration_ms or 0) + CLOCK_SLACK
    ]
    return (inside or candidates)[0]


def walk(roots: list[Hop]) -> Iterator[tuple[int, Hop]]:
    """Depth-first, in time order: (depth, hop)."""
    seen: set[int] = set()
    stack = [(0, root) for root in reversed(roots)]
    while stack:
        depth, hop = stack.pop()
        if id(hop) in seen:
            continue
        seen.add(id(hop))
        yield depth, hop
        stack.extend((depth + 1, child) for child in reversed(hop.children))
