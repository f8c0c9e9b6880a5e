"""A small closed-loop load generator for the benchmarks.

``measure(call, concurrency, duration)`` runs ``call(worker_index, iteration)`` in
``concurrency`` threads for ``duration`` seconds (after a warm-up) and returns
throughput, latency percentiles and errors. ``call`` returns True for a success.
The machine is shared and noisy: every scenario compares itself with a baseline
measured in the same run, and the ratio is the figure to quote.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    name: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    extra: dict = field(default_factory=dict)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(
        len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1)))
    )
    return sorted_values[index]


def measure(
    name: str,
    call: Callable[[int, int], bool],
    concurrency: int,
    duration: float,
    warmup: float = 1.0,
) -> Measurement:
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start_at = time.monotonic() + warmup
    stop_at = start_at + duration

    def worker(index: int) -> None:
        iteration = 0
        while True:
            now = time.monotonic()
            if now >= stop_at:
                return
            began = time.perf_counter()
            try:
                ok = call(index, iteration)
            except Exception:  # noqa: BLE001 - an error is a figure, not a crash
                ok = False
            elapsed = time.perf_counter() - began
            iteration += 1
            if now >= start_at:
                latencies[index].append(elapsed)
                if not ok:
                    errors[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = sorted(x for per in latencies for x in per)
    return Measurement(
        name=name,
        concurrency=concurrency,
        seconds=duration,
        requests=len(merged),
        errors=sum(errors),
        throughput=len(merged) / duration,
        p50_ms=percentile(merged, 0.50) * 1000,
        p95_ms=percentile(merged, 0.95) * 1000,
        p99_ms=percentile(merged, 0.99) * 1000,
    )


def combined(name: str, parts: list[Measurement]) -> Measurement:
    """Rounds of one scenario as one: total requests over total time; the
    percentiles are the worst round's (the raw latencies are not kept)."""
    seconds = sum(p.seconds for p in parts)
    count = sum(p.requests for p in parts)
    return Measurement(
        name=name,
        concurrency=parts[0].concurrency,
        seconds=seconds,
        requests=count,
        errors=sum(p.errors for p in parts),
        throughput=count / seconds,
        p50_ms=max(p.p50_ms for p in parts),
        p95_ms=max(p.p95_ms for p in parts),
        p99_ms=max(p.p99_ms for p in parts),
        extra={"rounds (req/s)": ", ".join(f"{p.throughput:.1f}" for p in parts)},
    )


def ratio(subject: Measurement, baseline: Measurement) -> float:
    return (
        subject.throughput / baseline.throughput
        if baseline.throughput
        else float("nan")
    )


def table(rows: list[tuple[Measurement, Measurement | None]]) -> str:
    header = (
        f"{'scenario':<36} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7} {'vs baseline':>12}"
    )
    lines = [header, "-" * len(header)]
    baselines = {id(baseline) for _, baseline in rows if baseline}
    for subject, baseline in rows:
        if baseline:
            versus = f"{ratio(subject, baseline):.2f}"
        else:
            versus = "baseline" if id(subject) in baselines else "-"
        lines.append(
            f"{subject.name:<36} {subject.concurrency:>4} {subject.throughput:>9.1f} "
            f"{subject.p50_ms:>8.1f} {subject.p95_ms:>8.1f} {subject.p99_ms:>8.1f} "
            f"{subject.errors:>7} {versus:>12}"
        )
        for key, value in subject.extra.items():
            lines.append(f"{'':<38}{key}: {value}")
    return "\n".join(lines)


def machine() -> dict:
    import os

    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_results(
    scenario: str, rows: list[tuple[Measurement, Measurement | None]]
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{scenario}-{stamp}.json"
    payload = {
        "scenario": scenario,
        "at": stamp,
        "machine": machine(),
        "rows": [
            {
                **asdict(subject),
                "baseline": baseline.name if baseline else None,
                "ratio": ratio(subject, baseline) if baseline else None,
            }
            for subject, baseline in rows
        ],
    }
    path.write_text(json.dumps(payload, indent=2))
    return path


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def stack_command(
    doc: str, choices: Collection[str], what: str
) -> argparse.ArgumentParser:
    """The command line of a run against a stack: the ``--url`` of a running one or
    ``--fresh`` (an isolated stack started for the run), and ``--only`` some of
    ``choices`` (all by default); the first paragraph of ``doc`` describes it."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/api/v1")
    parser.add_argument("--fresh", action="store_true", help="start an isolated stack")
    parser.add_argument(
        "--only", default=",".join(choices), help=f"{what}, comma-separated"
    )
    return parser


def chosen(
    parser: argparse.ArgumentParser, only: str, choices: Collection[str], what: str
) -> list[str]:
    """The ``--only`` value as a list; an unknown choice ends the command."""
    picked = [choice for choice in only.split(",") if choice]
    unknown = set(picked) - set(choices)
    if unknown:
        parser.error(f"unknown {what} {sorted(unknown)}; known: {list(choices)}")
    return picked
