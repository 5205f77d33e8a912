#!/usr/bin/env python
"""Check the figures of ``augkit bench --json FILE`` against the claims in docs/benchmarks.md.

Each claim is a row of the "## Claims" table there: a case, the rows augkit is compared with,
and the target for the median paired ratio (augkit's rate over the fastest of those rows in
each repetition). Prints one line per claim; exits 1 when a measured claim is not met.
Run: ``python scripts/check_bench_claims.py bench.json [--claims docs/benchmarks.md]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def read_claims(markdown: str) -> list[tuple[str, list[str], float]]:
    """``(case, against, target)`` of each row of the table under the ``## Claims`` heading."""
    claims, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Claims"
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if inside and line.startswith("|") else []
        if len(cells) == 3 and cells[0] not in ("case", "") and not cells[0].startswith("---"):
            claims.append((cells[0], [name.strip() for name in cells[1].split(",")], float(cells[2])))
    return claims


def _group(name: str) -> str:
    """The group of a row named ``"group: implementation"`` (as the benchmark's report groups rows); "" for others."""
    return name.split(":", 1)[0] if ":" in name and not name.startswith("decode only:") else ""


def check(figures: dict, claims: list[tuple[str, list[str], float]]) -> list[dict]:
    """The median paired ratio of each claim whose rows were measured, and whether it is met."""
    results = []
    for case, against, target in claims:
        rows = [r for r in figures["rows"] if r["case"] == case and r["rates"]]
        ours = next((r for r in rows if r["augkit"] and _group(r["name"]) == _group(against[0])), None)
        ours = ours or next((r for r in rows if r["augkit"]), None)
        peers = [r for r in rows if r["name"] in against]
        if ours is None or not peers:
            continue
        ratios = [mine / max(theirs) for mine, *theirs in zip(ours["rates"], *(p["rates"] for p in peers))]
        median = statistics.median(ratios)
        results.append({"case": case, "against": against, "target": target, "ratio": median, "met": median >= target})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", type=Path, help="the JSON file written by augkit bench --json")
    parser.add_argument("--claims", type=Path, default=REPO / "docs" / "benchmarks.md", help="markdown file with the Claims table")
    args = parser.parse_args(argv)
    claims = read_claims(args.claims.read_text(encoding="utf-8"))
    if not claims:
        raise SystemExit(f"no claims table under '## Claims' in {args.claims}")
    results = check(json.loads(args.figures.read_text(encoding="utf-8")), claims)
    for r in results:
        verdict = "met" if r["met"] else "NOT met"
        print(f"{r['case']}: {r['ratio']:.2f}x against {', '.join(r['against'])} (claim {r['target']:.2f}x): {verdict}")
    if not results:
        print("no claim's rows were measured in these figures")
    return 0 if all(r["met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
