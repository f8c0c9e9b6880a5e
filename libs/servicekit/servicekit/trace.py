"""Print the path of one request across every process, from their JSON log lines.

    python -m servicekit.trace <request id> [log files or directories ...]
    make trace ID=<request id>

Every process logs one line per *hop* it ran for a request (see ``jsonlog.py`` for
the shapes): the gateway's ``request finished`` (hop ``http``), a Nameko worker's
``entrypoint finished`` (``rpc``, ``event``, ``timer``), the outbox relay's ``outbox
event published`` (``outbox_relay``) and a durable work item's ``work item
finished`` (``work_item``). Each carries the request's ``correlation_id``, its own
``call_id`` and the ``parent_call_id`` of whoever caused it; this module joins them
into a tree ordered by start time. It reads any number of files (several copies of a
service each write their own) in any order; a hop whose parent is in none of them is
shown at the top level, marked.

Everything except :func:`main` is pure (lines in, hops or text out) so it is
unit-tested on crafted lines.
"""

from __future__ import annotations

import argparse
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


def build_tree(lines: Iterable[LogLine]) -> tuple[list[Hop], list[LogLine]]:
    """Roots of the hop tree (each subtree in time order), and the ordinary lines
    that belong to no hop. Ordinary lines of a hop go to its ``notes``."""
    hops: list[Hop] = []
    others: list[LogLine] = []
    for line in lines:
        hop = to_hop(line)
        if hop is None:
            others.append(line)
        else:
            hops.append(hop)
    by_id: dict[str, list[Hop]] = {}
    for hop in hops:
        by_id.setdefault(hop.id, []).append(hop)

    roots: list[Hop] = []
    for hop in hops:
        parent = None
        for caller in hop.callers:
            candidates = [c for c in by_id.get(caller, ()) if c is not hop]
            if candidates:
                parent = _pick(candidates, hop)
                break
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

    def order(nodes: list[Hop]) -> None:
        nodes.sort(key=lambda h: h.sort_key)
        for node in nodes:
            node.notes.sort(key=lambda n: n.time or node.started)
            order(node.children)

    order(roots)
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


# --- printing ----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def format_trace(
    correlation_id: str,
    roots: list[Hop],
    unattached: list[LogLine],
    verbose: bool = False,
) -> str:
    """The human-readable path of the request."""
    hops = list(walk(roots))
    if not hops and not unattached:
        return f"no log line carries correlation id {correlation_id}\n"
    out: list[str] = []
    services = list(
        dict.fromkeys(
            hop.service for _, hop in sorted(hops, key=lambda dh: dh[1].sort_key)
        )
    )
    if hops:
        first = min(hop.started for _, hop in hops)
        last = max(
            hop.started + timedelta(milliseconds=hop.duration_ms or 0)
            for _, hop in hops
        )
        span_ms = (last - first).total_seconds() * 1000
        bad = sum(1 for _, hop in hops if hop.outcome in BAD_OUTCOMES)
        out.append(
            f"request {correlation_id}: {len(hops)} hops in {len(services)} services "
            f"({', '.join(services)}), {first:%Y-%m-%d %H:%M:%S.%f}"[:-3]
            + f" UTC, {span_ms:.1f} ms first start to last end"
            + (f", {bad} FAILED" if bad else "")
        )
    else:
        first = min((n.time for n in unattached if n.time), default=datetime.now(UTC))
        out.append(f"request {correlation_id}: no hop lines, only log messages")
    trace_ids = sorted(
        {hop.line["trace_id"] for _, hop in hops if hop.line.get("trace_id")}
    )
    for trace_id in trace_ids:
        out.append(f"OpenTelemetry trace {trace_id}")
    out.append("")
    out.append(
        f"{'start (UTC)':<15} {'+ms':>9} {'took ms':>9}  {'outcome':<8} {'service (process)':<32} hop"
    )
    for depth, hop in hops:
        where = (
            f"{hop.service} ({hop.source})"
            if hop.source != hop.service
            else hop.service
        )
        indent = "   " * (depth - 1) + "└─ " if depth else ""
        offset = (hop.started - first).total_seconds() * 1000
        marker = ""
        if hop.orphan:
            marker = f"   (caller {hop.parent_id} is not in these logs)"
        out.append(
            f"{hop.started:%H:%M:%S.%f}"[:-3]
            + f"    {offset:>9.1f} {_ms(hop.duration_ms):>9}  {hop.outcome or '?':<8} {where:<32} "
            f"{indent}{hop.describe()}{marker}"
        )
        if verbose:
            for note in hop.notes:
                out.append(_note_line(note, first, "   " * depth + "   · "))
    if unattached and verbose:
        out.append("")
        out.append("log lines of this request outside any hop:")
        for note in unattached:
            out.append(_note_line(note, first, "   · "))
    elif unattached:
        out.append(
            f"({len(unattached)} more log lines of this request: --verbose shows them)"
        )
    return "\n".join(out) + "\n"


def _note_line(note: LogLine, first: datetime, indent: str) -> str:
    when = note.time
    stamp = f"{when:%H:%M:%S.%f}"[:-3] if when else "?" * 12
    offset = f"{(when - first).total_seconds() * 1000:>9.1f}" if when else " " * 9
    level = note.data.get("level", "")
    message = note.data.get("message", "")
    where = note.source
    return f"{stamp}    {offset} {'':>9}  {level:<8} {where:<32} {indent}{message}"


def to_json(roots: list[Hop]) -> list[dict[str, Any]]:
    """The hops in print order, for scripts and tests."""
    return [
        {
            "depth": depth,
            "hop": hop.kind,
            "id": hop.id,
            "parent_id": hop.parent_id,
            "orphan": hop.orphan,
            "service": hop.service,
            "process": hop.source,
            "started_at": hop.started.isoformat(),
            "duration_ms": hop.duration_ms,
            "outcome": hop.outcome,
            "what": hop.describe(),
        }
        for depth, hop in walk(roots)
    ]


# --- command line ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m servicekit.trace",
        description="Print the path of one request (its X-Request-ID) across every "
        "service, from the processes' JSON logs.",
    )
    parser.add_argument(
        "request_id", help="the request id (X-Request-ID, correlation_id)"
    )
    parser.add_argument(
        "logs",
        nargs="*",
        help="log files or directories of *.log files, '-' for stdin (default: var/log)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show every log line under its hop"
    )
    parser.add_argument("--json", action="store_true", help="print the hops as JSON")
    args = parser.parse_args(argv)

    paths = expand_paths(args.logs or DEFAULT_LOGS)
    missing = [str(p) for p in paths if p != "-" and not Path(p).is_file()]
    if missing:
        print(f"no such log file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not paths:
        print(
            f"no *.log files in {' '.join(args.logs or DEFAULT_LOGS)}", file=sys.stderr
        )
        return 2
    roots, unattached = build_tree(read_logs(paths, args.request_id))
    if args.json:
        print(json.dumps(to_json(roots), indent=2))
    else:
        sys.stdout.write(format_trace(args.request_id, roots, unattached, args.verbose))
    return 0 if roots or unattached else 1


if __name__ == "__main__":
    raise SystemExit(main())
