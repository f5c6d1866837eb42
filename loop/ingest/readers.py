"""Reading rows from CSV, TSV, JSON Lines, JSON, Parquet, Excel (.xlsx), a folder of .txt files,
or anything ``datasets`` loads from a local path.

A row that cannot be read (bad quoting, a broken JSON line, a wrong number of fields) comes out
as a ``BadRow`` with its line and column, and reading goes on; only a file that cannot be read at
all (missing, binary, not Parquet, a column the config names but the file lacks) raises
``FileFormatError``, before any of its rows is taken.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any, Iterator, Union

from bucle.common.errors import BucleError
from bucle.loop.ingest.text_cleaning import decode, utf16_without_bom

SNIPPET = 200
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
# Cells that hold no value but read as text: pandas' missing value written out ("nan"), and Excel's
# error values in English and Spanish (a formula that failed, or text pasted from one). Kept as
# text they become label clues (in one corpus every empty headline of one class read "nan").
ARTEFACTS = frozenset(
    {
        "nan",
        "NaN",
        "NAN",
        "#NAME?",
        "#¿NOMBRE?",
        "#N/A",
        "#N/D",
        "#DIV/0!",
        "#VALUE!",
        "#¡VALOR!",
        "#REF!",
        "#¡REF!",
        "#NUM!",
        "#¡NUM!",
        "#NULL!",
        "#¡NULO!",
        "#SPILL!",
        "#¡DESBORDAMIENTO!",
    }
)


def is_artefact(value: Any) -> bool:
    """Whether a cell is one of ``ARTEFACTS`` (surrounding spaces aside): an empty cell in disguise."""
    return isinstance(value, str) and value.strip() in ARTEFACTS


class FileFormatError(BucleError):
    """A whole file cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # where the row starts (1-based); the row number for Parquet and datasets
    values: dict[str, Any]


@dataclass(frozen=True)
class BadRow:
    line: int
    column: int | None
    problem: str
    raw: str


Row = Union[SourceRow, BadRow]


@dataclass
class OpenedSource:
    path: Path
    format: str
    columns: list[str]
    rows: Iterator[Row]
    encoding: str | None = None


def detect_format(path: Path) -> str:
    if path.is_dir():
        markers = ("dataset_info.json", "dataset_dict.json", "state.json")
        if any((path / marker).exists() for marker in markers) or not any(path.glob("*.txt")):
            return "datasets"
        return "txt"
    fmt = EXTENSIONS.get(path.suffix.lower())
    if path.suffix.lower() == ".xls":
        raise FileFormatError(f"{path}: an old Excel .xls file; open it in a spreadsheet and save it as .xlsx")
    if fmt is None:
        raise FileFormatError(
            f"{path}: unknown file type {path.suffix!r}; use .csv, .tsv, .jsonl, .json, .parquet, .xlsx, "
            "a folder of .txt files, or set `format:` for the source in bucle.yaml"
        )
    return fmt


def binary_offset(data: bytes) -> int | None:
    """Where the first NUL byte of ``data``'s head is, when it marks a binary file rather than
    UTF-16 text (with a byte-order mark or its NUL pattern); None for text."""
    head = data[:8192]
    if b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(head) is not None:
        return None
    return head.index(b"\x00")


def _read_text(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    offset = binary_offset(data)
    if offset is not None:
        raise FileFormatError(f"{path}: looks like a binary file (NUL byte at offset {offset}), not text")
    return decode(data)


FIELD_LIMIT = 64 << 20  # csv's default (128 KiB) would turn a long text into an unreadable row


class _PhysicalLines:
    """The physical lines of a CSV text, fed to ``csv.reader`` one at a time, so that a record
    that went wrong can be taken apart: ``rewind`` puts back every line after its first."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text, newline="").readlines()  # \n, \r\n and \r, as csv splits them
        self.next = 0

    def __iter__(self) -> "_PhysicalLines":
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        self.next += 1
        return self.lines[self.next - 1]

    def rewind(self, index: int) -> None:
        self.next = index


def _rows_swallowed(later: list[str], width: int, delimiter: str) -> bool:
    """True when the lines a multi-line record took after its first are, each on its own, a
    complete record of ``width`` fields: then the quote opened on its first line is a stray one
    that a quote on a later row happened to close, not a text with line breaks in it."""
    if not later:
        return False
    try:
        records = list(csv.reader(later, delimiter=delimiter, strict=True))
    except csv.Error:
        return False
    return len(records) == len(later) and all(len(record) == width for record in records)


def csv_records(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]] | BadRow]:
    """``(line, fields)`` for every record, the header first, and a ``BadRow`` for each that
    cannot be read. A bad record never takes good rows with it: when one that spans several
    physical lines fails (an unclosed quote reads on until the next quote), only its first line
    is bad and reading starts again at its second. Blank lines are skipped."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    lines = _PhysicalLines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    width: int | None = None
    while True:
        start = lines.next
        try:
            fields = next(reader)
            problem = (
                None
                if width is None or not fields or len(fields) == width
                else (f"expected {width} fields, found {len(fields)}")
            )
        except StopIteration:
            return
        except csv.Error as error:
            fields, problem = [], f"unreadable CSV row: {error}"
        if (
            problem is None
            and width is not None
            and _rows_swallowed(lines.lines[start + 1 : lines.next], width, delimiter)
        ):
            problem = "a stray quote: it opens on this line and a quote on a later row closes it"
        if problem is None:
            if fields:
                width = len(fields) if width is None else width
                yield start + 1, fields
            continue
        if lines.next - start > 1:  # the bad record swallowed lines after its first: read them again
            lines.rewind(start + 1)
            stray = '"' in lines.lines[start] and "quote" not in problem
            problem += " (a quote opened on this line is never closed)" if stray else ""
        yield BadRow(start + 1, None, problem, lines.lines[start].rstrip("\r\n")[:SNIPPET])


def _csv_rows(text: str, delimiter: str) -> tuple[list[str], Iterator[Row]]:
    records = csv_records(text, delimiter)
    first = next(records, None)
    if first is None:
        return [], iter(())
    if isinstance(first, BadRow):
        raise FileFormatError(f"line {first.line}: unreadable header ({first.problem})")
    header = [name.strip() for name in first[1]]

    def rows() -> Iterator[Row]:
        for record in records:
            yield record if isinstance(record, BadRow) else SourceRow(record[0], dict(zip(header, record[1])))

    return header, rows()


def _jsonl_rows(text: str) -> tuple[list[str], Iterator[Row]]:
    lines = text.splitlines()
    columns: list[str] = []
    for line in lines:
        try:
            first = json.loads(line)
        except ValueError:
            continue
        if isinstance(first, dict):
            columns = list(first)
            break

    def rows() -> Iterator[Row]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield BadRow(number, error.colno, f"broken JSON: {error.msg}", line[:SNIPPET])
                continue
            if not isinstance(value, dict):
                yield BadRow(number, 1, f"expected a JSON object, found {type(value).__name__}", line[:SNIPPET])
                continue
            yield SourceRow(number, value)

    return columns, rows()


def _json_rows(text: str) -> tuple[list[str], Iterator[Row]]:
    if text.lstrip().startswith("{"):
        return _jsonl_rows(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileFormatError(f"line {error.lineno}, column {error.colno}: broken JSON ({error.msg})") from None
    if not isinstance(data, list):
        raise FileFormatError("expected a JSON array of objects, or JSON Lines")
    columns = list(next((item for item in data if isinstance(item, dict)), {}))
    rows = (
        SourceRow(index, item)
        if isinstance(item, dict)
        else BadRow(index, None, "not a JSON object", str(item)[:SNIPPET])
        for index, item in enumerate(data, start=1)
    )
    return columns, rows


def _parquet(path: Path) -> tuple[list[str], Iterator[Row]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise FileFormatError(f"{path}: not a readable Parquet file ({error})") from None

    def rows() -> Iterator[Row]:
        number = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for values in batch.to_pylist():
                number += 1
                yield SourceRow(number, values)

    return parquet.schema_arrow.names, rows()


def _cell(value: Any) -> Any:
    """A spreadsheet cell as bucle reads it: text as it is, a whole number without ``.0``, a date
    in ISO form, an empty cell as None (never the string "nan")."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():  # a date cell: Excel keeps dates as midnight
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[Row]]:
    """Every sheet in order, or the one named ``sheet``; each sheet's first non-empty row is its
    header. Formula cells give the value Excel last computed. Row numbers are the sheet's own."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileFormatError(
            f"{path}: not a readable Excel .xlsx file ({error.__class__.__name__}: {error})"
        ) from None
    if sheet is not None and sheet not in book.sheetnames:
        raise FileFormatError(f"{path}: no sheet {sheet!r} (the file has: {', '.join(book.sheetnames)})")
    sheets = [book[sheet]] if sheet is not None else list(book.worksheets)
    headers: dict[str, tuple[int, list[str]]] = {}
    for ws in sheets:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if any(v not in (None, "") for v in values):
                header = [_cell(v) for v in values]
                while header and header[-1] in (None, ""):
                    header.pop()
                empty = [i for i, name in enumerate(header) if name in (None, "") or not str(name).strip()]
                if empty:
                    column = _column_letter(empty[0])
                    raise FileFormatError(
                        f"{path}: sheet {ws.title!r}, row {number}: column {column} has no header "
                        "(an empty or merged header cell); name every column in the header row"
                    )
                headers[ws.title] = (number, [str(name).strip() for name in header])
                break
    columns = list(dict.fromkeys(name for _, header in headers.values() for name in header))

    def rows() -> Iterator[Row]:
        for ws in sheets:
            if ws.title not in headers:
                continue
            start, header = headers[ws.title]
            for number, values in enumerate(ws.iter_rows(min_row=start + 1, values_only=True), start=start + 1):
                cells = [_cell(v) for v in values[: len(header)]]
                if any(c not in (None, "") for c in cells):
                    yield SourceRow(number, dict(zip(header, cells)))
        book.close()

    return columns, rows()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _txt_folder(path: Path) -> tuple[list[str], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        for number, file in enumerate(sorted(path.glob("*.txt")), start=1):
            try:
                text, _ = _read_text(file)
            except FileFormatError as error:
                yield BadRow(number, None, str(error), file.name)
                continue
            yield SourceRow(number, {"id": file.stem, "file": file.name, "text": text})

    return ["id", "file", "text"], rows()


def _datasets(path: Path) -> tuple[list[str], Iterator[Row]]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError):
        try:
            loaded = datasets.load_dataset(str(path))
        except Exception as error:  # datasets raises many types for a folder it cannot read
            raise FileFormatError(f"{path}: `datasets` cannot load it ({error.__class__.__name__}: {error})") from None
    parts = list(loaded.values()) if isinstance(loaded, datasets.DatasetDict) else [loaded]
    columns = parts[0].column_names if parts else []

    def rows() -> Iterator[Row]:
        number = 0
        for part in parts:
            for values in part:
                number += 1
                yield SourceRow(number, values)

    return columns, rows()


def open_source(path: Path, fmt: str = "auto", sheet: str | None = None) -> OpenedSource:
    """``sheet``: one sheet of an Excel file (default: every sheet, in order)."""
    if not path.exists():
        raise FileFormatError(f"{path}: no such file or folder")
    fmt = detect_format(path) if fmt == "auto" else fmt
    encoding = None
    try:
        if fmt in {"csv", "tsv", "jsonl", "json"}:
            text, encoding = _read_text(path)
            if fmt == "jsonl":
                columns, rows = _jsonl_rows(text)
            elif fmt == "json":
                columns, rows = _json_rows(text)
            else:
                columns, rows = _csv_rows(text, "," if fmt == "csv" else "\t")
        elif fmt == "parquet":
            columns, rows = _parquet(path)
        elif fmt == "xlsx":
            columns, rows = _xlsx(path, sheet)
        elif fmt == "txt":
            columns, rows = _txt_folder(path)
        else:
            columns, rows = _datasets(path)
    except FileFormatError as error:
        message = str(error)
        raise FileFormatError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    return OpenedSource(path=path, format=fmt, columns=columns, rows=rows, encoding=encoding)


def require_columns(source: OpenedSource, needed: list[str]) -> None:
    missing = [name for name in needed if name not in source.columns]
    if missing:
        raise FileFormatError(
            f"{source.path}: no column {', '.join(repr(m) for m in missing)} "
            f"(the file has: {', '.join(source.columns) or 'no columns'}); fix `data:` in bucle.yaml"
        )
