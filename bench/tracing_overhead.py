"""What span export costs a request: exporter off, on, and pointed at a dead collector.

    .venv/bin/python -m bench.tracing_overhead [--requests 200] [--clients 8] [--rounds 2]

Starts the platform as the integration tests do (own databases, vhost, key prefix,
ports; removed at the end), then for each configuration restarts the gateway,
accounts and verification with it and sends pipeline canaries through the gateway
(POST /api/v1/dev/pipeline-canaries: gateway -> accounts RPC -> outbox ->
verification): first one at a time, then from several clients at once. Prints the
latency percentiles and throughput; writes them to bench/results/. The
configurations take turns (off, on, dead, off, on, dead, ...) so that a machine
whose load drifts (other processes on a shared box) biases none of them.

Configurations: ``off`` (OTEL_TRACES_EXPORTER unset, the default), ``on`` (OTLP to a
receiver in this process that answers at once), ``dead`` (OTLP to a port where
nothing listens: every export is refused and retried in the background).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.harness import RESULTS
from tests.support.isolation import free_port
from tests.support.otlp import OtlpReceiver
from tests.support.stack import Stack, isolated_stack

TRACED = ("gateway", "accounts", "verification")


def post(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    answer = session.post(f"{url}/dev/pipeline-canaries", timeout=10)
    took = (time.perf_counter() - started) * 1000
    if answer.status_code != 202:
        raise RuntimeError(f"{answer.status_code} {answer.text}")
    return took


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p90": round(ordered[int(len(ordered) * 0.9) - 1], 2),
        "p99": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)], 2),
        "max": round(ordered[-1], 2),
    }


def measure(stack: Stack, count: int, clients: int) -> dict:
    session = requests.Session()
    for _ in range(10):  # warm the connections and pools
        post(session, stack.url)
    sequential = [post(session, stack.url) for _ in range(count)]

    def client(n: int) -> list[float]:
        own = requests.Session()
        return [post(own, stack.url) for _ in range(n)]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        batches = list(pool.map(client, [count // clients] * clients))
    elapsed = time.perf_counter() - started
    concurrent = [t for batch in batches for t in batch]
    return {
        "sequential_ms": percentiles(sequential),
        "concurrent_ms": percentiles(concurrent),
        "concurrent_per_s": round(len(concurrent) / elapsed, 1),
    }


def restart(stack: Stack, **env: str) -> None:
    for service in TRACED:
        stack.kill(service)
    for service in TRACED:
        stack.start(service, **env)
    stack.wait_ready()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--order", default="off,on,dead", help="configurations, in the order of a round"
    )
    args = parser.parse_args()

    results = {}
    with isolated_stack("bench-logs-") as stack:
        receiver = OtlpReceiver()
        configurations = {
            "off": {},
            "on": {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            },
            "dead": {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            },
        }
        for round_no in range(1, args.rounds + 1):
            for name in args.order.split(","):
                env = configurations[name]
                restart(stack, **env)
                result = measure(stack, args.requests, args.clients)
                if name == "on":
                    result["spans_received_so_far"] = len(receiver.spans)
                results[f"{name} #{round_no}"] = result
                print(name, round_no, json.dumps(result), flush=True)
        receiver.stop()

    print(
        f"\n{'exporter':<8} {'seq p50':>8} {'seq p90':>8} {'conc p50':>9} "
        f"{'conc p99':>9} {'req/s':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<8} {r['sequential_ms']['p50']:>8} {r['sequential_ms']['p90']:>8} "
            f"{r['concurrent_ms']['p50']:>9} {r['concurrent_ms']['p99']:>9} "
            f"{r['concurrent_per_s']:>7}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"tracing-overhead-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"written to {out}; the processes' logs are in {stack.log_dir}")


if __name__ == "__main__":
    main()
