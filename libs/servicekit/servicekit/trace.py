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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from servicekit.trace_tree import (
    BAD_OUTCOMES,
    DEFAULT_LOGS,
    Hop,
    LogLine,
    build_tree,
    expand_paths,
    read_logs,
    walk,
)

# --- printing ----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def _headline(
    correlation_id: str,
    hops: list[tuple[int, Hop]],
    unattached: list[LogLine],
    out: list[str],
) -> datetime:
    """Append the request's summary lines; returns the time offsets count from."""
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
    return first


def _hop_line(depth: int, hop: Hop, first: datetime) -> str:
    where = (
        f"{hop.service} ({hop.source})" if hop.source != hop.service else hop.service
    )
    indent = "   " * (depth - 1) + "└─ " if depth else ""
    offset = (hop.started - first).total_seconds() * 1000
    marker = ""
    if hop.orphan:
        marker = f"   (caller {hop.parent_id} is not in these logs)"
    return (
        f"{hop.started:%H:%M:%S.%f}"[:-3]
        + f"    {offset:>9.1f} {_ms(hop.duration_ms):>9}  {hop.outcome or '?':<8} "
        f"{where:<32} {indent}{hop.describe()}{marker}"
    )


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
    first = _headline(correlation_id, hops, unattached, out)
    out.append("")
    out.append(
        f"{'start (UTC)':<15} {'+ms':>9} {'took ms':>9}  {'outcome':<8} "
        f"{'service (process)':<32} hop"
    )
    for depth, hop in hops:
        out.append(_hop_line(depth, hop, first))
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
