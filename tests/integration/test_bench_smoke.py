"""The server benchmark runs end to end (tiny sizes), so that it cannot rot between releases."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
BENCH = Path(__file__).resolve().parents[2] / "bench" / "argilla_server.py"


def test_server_benchmark_prints_its_table(server, project):
    result = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "60", "--queries", "3", "--project", str(project.root / "bucle.yaml")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    header, rule, row = result.stdout.strip().splitlines()[-3:]
    assert "SDK ingest rec/s" in header and "SQLite ceiling rec/s" in header
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[0] == "60"
    assert all(cell for cell in cells)


def test_ingest_benchmark_prints_its_table():
    result = subprocess.run(
        [sys.executable, str(BENCH.parent / "ingest.py"), "--rows", "1500"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| bucle ingest (all checks) | 1,500 |" in result.stdout
    assert "read + parse JSON (baseline)" in result.stdout


def test_demo_benchmark_prints_its_table():
    result = subprocess.run([sys.executable, str(BENCH.parent / "demo.py"), "--requests", "6", "--clients", "2"],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| champion predict_proba (baseline) | 1 | 6 |" in result.stdout
    assert "| demo, 2 concurrent clients | 2 |" in result.stdout
