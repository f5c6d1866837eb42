"""The demo's batch mode: a CSV in, one prediction (or one message) per row out, as a CSV that
is safe to open in a spreadsheet.

Reading shares ingestion's CSV reader, so a row with an unclosed quote or the wrong number of
fields gets its message and never takes the rows after it along; a field of any length is read
whole (and then refused by the length rule, not truncated). Every text cell written back that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is
prefixed with a single quote, as OWASP's CSV injection advice says, and every text cell quoted.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from bucle.common.errors import BucleError
from bucle.loop.ingest.readers import BadRow, binary_offset, csv_records
from bucle.loop.ingest.text_cleaning import decode

TEXT_COLUMNS = ("text", "texto")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_csv_texts(path: str, max_rows: int) -> list[tuple[str, str | None]]:
    """``(text, message)`` for every row of an uploaded CSV: the ``text``/``texto`` column, else
    the first; ``message`` says why an unreadable row has no text (Spanish)."""
    raw = Path(path).read_bytes()
    if binary_offset(raw) is not None:
        raise BucleError("El archivo no parece un CSV de texto (contiene datos binarios). Sube un CSV en UTF-8.")
    records = list(csv_records(decode(raw)[0]))
    if not records:
        raise BucleError("El CSV está vacío.")
    first = records[0]
    header = [cell.strip().lower() for cell in first[1]] if not isinstance(first, BadRow) else []
    column = next((header.index(name) for name in TEXT_COLUMNS if name in header), None)
    body = records[1:] if column is not None else records
    if len(body) > max_rows:
        raise BucleError(f"El CSV tiene {len(body):,} filas; el máximo es {max_rows:,}.")
    column = column or 0
    return [
        (record.raw, f"Fila {record.line} ilegible: {record.problem}.")
        if isinstance(record, BadRow)
        else (record[1][column] if column < len(record[1]) else "", None)
        for record in body
    ]


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formula starts are neutralised with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_predictions(rows: list[dict[str, Any]], path: Path) -> Path:
    frame = pd.DataFrame(rows).map(safe_cell)
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return path
