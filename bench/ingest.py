"""Benchmark of ``bucle ingest``: rows/s and peak memory on mixed-quality Spanish text.

Builds a JSON Lines file of N rows (default 100,000) from sentences of the example corpus,
recombined, with the usual dirt mixed in: exact and near duplicates, English rows, too-short
rows, HTML, mojibake, personal data and broken lines. Then it times, in the same run:

- the baseline: reading and JSON-parsing the file, nothing else;
- the full ingest into a fresh project (cleaning, language, duplicates, PII, pool writes),
  in a child process, so that its peak memory (max RSS) is its own.

    python bench/ingest.py            # 100k rows
    python bench/ingest.py --rows 5000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "noticias-falsas" / "data" / "train.jsonl"
ENGLISH = "The city council approved a new budget for public transport and road repairs in the northern districts."
TARGET_ROWS_PER_S = 2000


def sentences() -> list[str]:
    found = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s.strip()) <= 300]
    return found


def make_rows(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    pool = sentences()
    rows: list[dict] = []
    for i in range(n):
        kind = rng.random()
        text = " ".join(rng.sample(pool, rng.randint(3, 8))) + f" Nota {i}."
        if kind < 0.05 and rows:
            text = rows[rng.randrange(len(rows))]["text"]  # exact duplicate
        elif kind < 0.07 and rows:
            text = rows[rng.randrange(len(rows))]["text"] + " Actualización."  # near duplicate
        elif kind < 0.09:
            text = ENGLISH + f" Report {i}."
        elif kind < 0.10:
            text = "Breve."
        elif kind < 0.11:
            text = f"<p>{text}</p><p><b>Más</b> información &amp; detalles</p>"
        elif kind < 0.12:
            text = text.encode("utf-8").decode("cp1252", errors="replace")
        elif kind < 0.13:
            text += " Escriba a redaccion@diario.mx o llame al +52 55 1234 5678."
        rows.append({"id": f"n{i}", "text": text, "label": rng.choice(["falsa", "verdadera"]), "topic": f"t{i % 9}"})
    return rows


def write_jsonl(rows: list[dict], path: Path, broken_every: int = 997) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i, row in enumerate(rows):
            line = json.dumps(row, ensure_ascii=False)
            handle.write((line[:-5] if i % broken_every == 0 else line) + "\n")


def baseline(path: Path) -> float:
    start = time.perf_counter()
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            json.loads(line)
        except ValueError:
            pass
        count += 1
    return count / (time.perf_counter() - start)


CHILD = """
import json, resource, sys, time
from bucle.loop.config import load_config
from bucle.loop.ingest.pipeline import ingest
config = load_config(sys.argv[1])
start = time.perf_counter()
report = ingest(config)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": sum(s.rows for s in report.sources),
                  "quarantined": dict(report.quarantined), "pii": dict(report.pii_masked),
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bucle-ingest-") as folder:
        root = Path(folder)
        data = root / "noticias.jsonl"
        write_jsonl(make_rows(args.rows), data)
        config = {
            "name": "bench-ingest",
            "labels": {"falsa": "Falsa", "verdadera": "Verdadera"},
            "guidelines": "Benchmark.",
            "data": {
                "sources": [{"path": data.name}],
                "text": ["text"],
                "id": "id",
                "label": "label",
                "metadata": ["topic"],
            },
        }
        (root / "bucle.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        base = baseline(data)
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(root / "bucle.yaml")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    rate = result["rows"] / result["seconds"]
    print("| step | rows | seconds | rows/s | vs. baseline | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| read + parse JSON (baseline) | {args.rows:,} | {args.rows / base:.1f} | {base:,.0f} | 1.00 | |")
    print(
        f"| bucle ingest (all checks) | {result['rows']:,} | {result['seconds']:.1f} | {rate:,.0f} | "
        f"{rate / base:.3f} | {result['max_rss_mb']:,.0f} MB |"
    )
    print(f"\nquarantined: {result['quarantined']}; personal data masked: {result['pii']}")
    print(f"target >= {TARGET_ROWS_PER_S:,} rows/s: {'met' if rate >= TARGET_ROWS_PER_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
