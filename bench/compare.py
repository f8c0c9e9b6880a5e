"""Compare two benchmark runs: `python -m bench.compare old.json new.json`.

Prints, for every scenario present in both, throughput, p95 and the ratio to its
baseline in each run and the change. On a shared machine absolute figures drift
with the load; the ratio column is the one that should hold still.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def load(path: Path) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(path.read_text())["rows"]}


def change(old: float | None, new: float | None) -> str:
    if not old or new is None or math.isnan(old) or math.isnan(new):
        return "-"
    return f"{(new - old) / old * 100:+.0f}%"


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def compare(old_path: Path, new_path: Path) -> str:
    old, new = load(old_path), load(new_path)
    header = (
        f"{'scenario':<36} {'req/s old':>9} {'new':>9} {'chg':>6} {'p95 old':>8} "
        f"{'new':>8} {'chg':>6} {'ratio old':>9} {'new':>6}"
    )
    lines = [f"old: {old_path.name}   new: {new_path.name}", header, "-" * len(header)]
    for name in [n for n in new if n in old]:
        a, b = old[name], new[name]
        lines.append(
            f"{name:<36} {fmt(a['throughput']):>9} {fmt(b['throughput']):>9} "
            f"{change(a['throughput'], b['throughput']):>6} {fmt(a['p95_ms']):>8} "
            f"{fmt(b['p95_ms']):>8} {change(a['p95_ms'], b['p95_ms']):>6} "
            f"{fmt(a.get('ratio'), 2):>9} {fmt(b.get('ratio'), 2):>6}"
        )
    only = sorted(set(old) ^ set(new))
    if only:
        lines.append(f"in one run only: {', '.join(only)}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    print(compare(args.old, args.new))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
