"""Every format reads; every malformed row is reported with its place; broken files fail clearly."""

import json
import re
import zipfile

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bucle.loop.ingest.readers import BadRow, FileFormatError, SourceRow, open_source, require_columns

ROWS = [{"id": "a", "text": "Hola, ¿qué tal?"}, {"id": "b", "text": "Adiós, señora."}]


def good(rows):
    return [r for r in rows if isinstance(r, SourceRow)]


def bad(rows):
    return [r for r in rows if isinstance(r, BadRow)]


def test_every_format_reads_the_same_rows(tmp_path):
    (tmp_path / "d.csv").write_text('id,text\na,"Hola, ¿qué tal?"\nb,"Adiós, señora."\n', encoding="utf-8")
    (tmp_path / "d.tsv").write_text("id\ttext\na\tHola, ¿qué tal?\nb\tAdiós, señora.\n", encoding="utf-8")
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    (tmp_path / "d.json").write_text(json.dumps(ROWS, ensure_ascii=False), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "d.parquet")
    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "saved"))
    folder = tmp_path / "txt"
    folder.mkdir()
    for row in ROWS:
        (folder / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")

    for name in ("d.csv", "d.tsv", "d.jsonl", "d.json", "d.parquet", "saved", "txt"):
        source = open_source(tmp_path / name)
        rows = list(source.rows)
        assert [(r.values["id"], r.values["text"]) for r in good(rows)] == [(r["id"], r["text"]) for r in ROWS], name
        assert "text" in source.columns


def test_cp1252_csv_is_detected(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes('id,text\na,"Información pública, año 2018"\n'.encode("cp1252"))
    source = open_source(path)
    assert source.encoding in {"cp1252", "latin_1", "iso8859_15"}
    assert good(list(source.rows))[0].values["text"] == "Información pública, año 2018"


def test_bad_csv_rows_are_reported_and_good_rows_kept(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('id,text\na,uno\nb,dos,extra\nc,"tres\nsigue"\nd,"cuatro" mal\ne,cinco\n', encoding="utf-8")
    rows = list(open_source(path).rows)
    assert [r.values["id"] for r in good(rows)] == ["a", "c", "e"]
    problems = {r.line: r.problem for r in bad(rows)}
    assert problems[3] == "expected 2 fields, found 3"
    assert 6 in problems and "unreadable CSV row" in problems[6]
    assert good(rows)[1].line == 4  # the row that spans lines 4-5 starts at line 4


def test_broken_json_lines_are_reported_with_line_and_column(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "uno"}\n{"id": "b", "text": "dos"\n[1, 2]\n\n{"id": "c", "text": "tres"}\n')
    rows = list(open_source(path).rows)
    assert [r.values["id"] for r in good(rows)] == ["a", "c"]
    first, second = bad(rows)
    assert (first.line, first.column) == (2, 26) and "broken JSON" in first.problem
    assert second.line == 3 and "expected a JSON object" in second.problem


def test_binary_missing_unknown_and_not_parquet_files_fail_clearly(tmp_path):
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"id,text\n\x00\x01\x02\x03garbage")
    with pytest.raises(FileFormatError, match=r"data.csv: looks like a binary file \(NUL byte at offset 8\)"):
        open_source(binary)
    with pytest.raises(FileFormatError, match="no such file"):
        open_source(tmp_path / "nope.csv")
    weird = tmp_path / "data.docx"
    weird.write_bytes(b"PK\x03\x04")
    with pytest.raises(FileFormatError, match="unknown file type '.docx'"):
        open_source(weird)
    old = tmp_path / "data.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileFormatError, match="data.xls: an old Excel .xls file; .* save it as .xlsx"):
        open_source(old)
    fake = tmp_path / "fake.parquet"
    fake.write_text("not parquet")
    with pytest.raises(FileFormatError, match="fake.parquet: not a readable Parquet file"):
        open_source(fake)
    broken_array = tmp_path / "broken.json"
    broken_array.write_text('[{"id": "a"}, {"id": ')
    with pytest.raises(FileFormatError, match=r"broken.json: line 1, column \d+: broken JSON"):
        open_source(broken_array)


def test_a_wrong_column_name_names_the_file_and_the_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,texto\na,hola\n")
    with pytest.raises(FileFormatError, match=r"d.csv: no column 'text' \(the file has: id, texto\)"):
        require_columns(open_source(path), ["text"])


def test_an_unclosed_quote_never_swallows_the_good_rows_after_it(tmp_path):
    rows_in = [f"r{i},Noticia número {i} sobre el tema,falsa" for i in range(1, 21)]
    rows_in[4] = 'r5,"Noticia número 5 con una comilla sin cerrar,falsa'
    rows_in[11] = 'r12,"Otra comilla que se cierra" aquí,verdadera'
    path = tmp_path / "quotes.csv"
    path.write_text("id,text,label\n" + "\n".join(rows_in) + "\n", encoding="utf-8")
    rows = list(open_source(path).rows)
    assert len(rows) == 20, "every physical row comes out, good or bad"
    assert [r.line for r in bad(rows)] == [6, 13]
    assert "never closed" in bad(rows)[0].problem
    assert len(good(rows)) == 18 and good(rows)[4].values["id"] == "r6"


def test_a_stray_quote_closed_by_a_later_row_takes_only_its_own_line(tmp_path):
    """The quote opened on line 2 is closed by the first quote of line 3's quoted field: read as
    one record it has the right width, yet line 3 is a whole row of its own (found by Hypothesis)."""
    path = tmp_path / "stray.csv"
    path.write_text(
        'id,text,label\n",El ayuntamiento aprobó el presupuesto,falsa\nr2,",0",falsa\n'
        'r3,"Un texto con\nun salto de línea",verdadera\n',
        encoding="utf-8",
    )
    rows = list(open_source(path).rows)
    assert [r.line for r in bad(rows)] == [2] and "stray quote" in bad(rows)[0].problem
    assert [r.values["id"] for r in good(rows)] == ["r2", "r3"], "a real line break inside quotes stays one record"
    assert good(rows)[1].values["text"] == "Un texto con\nun salto de línea"


def test_a_long_field_is_read_whole(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,text\na," + "palabra " * 40_000 + "\nb,corto\n", encoding="utf-8")
    rows = list(open_source(path).rows)
    assert [len(r.values["text"]) for r in good(rows)] == [320_000, 5]


def test_utf16_without_a_byte_order_mark_is_text_not_binary(tmp_path):
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes('id,text\na,"Información pública, año 2018"\n'.encode(encoding))
        source = open_source(path)
        assert source.encoding == encoding
        assert good(list(source.rows))[0].values["text"] == "Información pública, año 2018"
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(FileFormatError, match="binary"):
        open_source(tmp_path / "bin.csv")


def workbook(path, sheets: dict):
    """An .xlsx file written with openpyxl: sheet name -> rows (the first one the header)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_excel_reads_every_sheet_or_a_named_one_with_cells_as_text(tmp_path):
    import datetime as dt

    path = workbook(
        tmp_path / "noticias.xlsx",
        {
            "train": [
                ["id", "text", "year"],
                ["a", "Hola, ¿qué tal?", 2018],
                [None, None, None],
                ["b", "Adiós, señora.", 2019.0],
            ],
            "extra": [[None], ["id", "text", "year"], ["c", "Buenos días.", dt.date(2020, 5, 1)], ["d", None, 2021]],
        },
    )
    source = open_source(path)
    rows = good(list(source.rows))
    assert source.format == "xlsx" and source.columns == ["id", "text", "year"]
    assert [(r.line, r.values["id"], r.values["year"]) for r in rows] == [
        (2, "a", "2018"),
        (4, "b", "2019"),
        (3, "c", "2020-05-01"),
        (4, "d", "2021"),
    ], "blank rows skipped, numbers as text"
    assert rows[-1].values["text"] is None, "an empty cell is empty, never the string 'nan'"
    assert [r.values["id"] for r in good(list(open_source(path, sheet="extra").rows))] == ["c", "d"]
    with pytest.raises(FileFormatError, match="no sheet 'test' \\(the file has: train, extra\\)"):
        open_source(path, sheet="test")


def test_excel_formulas_give_their_value_and_a_header_without_a_name_is_one_line(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "text"])
    sheet.append(["a", '=CONCATENATE("Hola, ","mundo")'])
    book.save(tmp_path / "written.xlsx")
    # openpyxl writes no cached value for a formula; Excel writes the one it computed beside it (<v>)
    with (
        zipfile.ZipFile(tmp_path / "written.xlsx") as written,
        zipfile.ZipFile(tmp_path / "formula.xlsx", "w") as saved,
    ):
        for item in written.infolist():
            data = written.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="B2"><f>(.*?)</f><v />', rb'<c r="B2" t="str"><f>\1</f><v>Hola, mundo</v>', data)
            saved.writestr(item, data)
    rows = good(list(open_source(tmp_path / "formula.xlsx").rows))
    assert rows[0].values["text"] == "Hola, mundo", "the value Excel computed, never the formula's source"

    merged = workbook(tmp_path / "merged.xlsx", {"Hoja1": [["id", None, "text"], ["a", "x", "Hola"]]})
    with pytest.raises(
        FileFormatError, match="sheet 'Hoja1', row 1: column B has no header \\(an empty or merged header cell\\)"
    ):
        open_source(merged)
    (tmp_path / "roto.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileFormatError, match="roto.xlsx: not a readable Excel .xlsx file"):
        open_source(tmp_path / "roto.xlsx")


def test_spreadsheet_artefacts_are_empty_cells_in_disguise():
    from bucle.loop.ingest.readers import is_artefact

    assert all(is_artefact(v) for v in ("nan", " NaN ", "#NAME?", "#¿NOMBRE?", "#N/A", "#¡VALOR!", "#DIV/0!"))
    assert not any(is_artefact(v) for v in ("Nancy", "nana", "#MeToo", "", None, 3.0))
