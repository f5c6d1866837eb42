"""Ingestion end to end: the real corpus, crafted bad files, re-ingests, splits, export and card."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from bucle.loop.config import load_config
from bucle.loop.ingest.near_duplicates import signature
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.ingest.readers import FileFormatError
from bucle.loop.labelled import export_labelled
from bucle.loop.pool import Pool
from bucle.training.dataset_card import validate_offline

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "noticias-falsas"
SPANISH = [
    "El gobierno municipal anunció hoy la construcción de una nueva planta potabilizadora para los barrios del sur.",
    "La universidad pública abrió la convocatoria de becas para estudiantes de familias con bajos ingresos.",
    "Las lluvias de la última semana dejaron inundaciones en tres comunidades rurales de la región costera.",
    "El hospital regional incorporó un programa de vacunación infantil con brigadas que recorren los pueblos.",
    "Investigadoras del instituto publicaron un estudio sobre la calidad del aire en las grandes ciudades.",
    "La cooperativa agrícola logró vender su cosecha de café directamente a compradores de otros países.",
]


def project(tmp_path: Path, data: dict, **extra) -> Path:
    config = {
        "name": "prueba-datos",
        "labels": {"falsa": "Falsa", "verdadera": "Verdadera"},
        "guidelines": "Elige.",
        "data": {"text": ["text"], "id": "id", "label": "label", "metadata": ["topic"], **data},
        **extra,
    }
    path = tmp_path / "bucle.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label", "topic"])
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture()
def example(tmp_path):
    folder = tmp_path / "noticias-falsas"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".bucle"))
    return load_config(folder / "bucle.yaml")


def test_the_real_corpus_ingests_into_pool_seed_and_frozen_test_set(example):
    report = ingest(example)
    assert report.test_size + report.quarantined["duplicate"] + report.quarantined["near_duplicate"] <= 295 + 676
    assert report.test_size >= 290 and report.pool_size >= 660
    assert report.seed_size == 16
    with Pool(example.state.pool) as pool:
        seed = [r for r in pool.records(split="pool", labelled=True)]
        test = pool.records(split="test")
        rest = pool.records(split="pool", labelled=False)
    assert Counter(r.label for r in seed) == {"falsa": 8, "verdadera": 8}
    assert all(r.source == "data/dev.jsonl" for r in test)
    assert all(r.gold in {"falsa", "verdadera"} and r.label is None for r in rest), "gold stays aside"
    assert {"topic", "source"} <= set(test[0].metadata)


def test_no_near_duplicate_sits_on_both_sides_of_the_split(example):
    ingest(example)
    with Pool(example.state.pool) as pool:
        test = np.stack([signature(r.text) for r in pool.records(split="test")])
        train = np.stack([signature(r.text) for r in pool.records(split="pool")])
    similarities = (test[:, None, :] == train[None, :, :]).mean(axis=2)
    assert similarities.max() < example.data.near_duplicate_jaccard
    with Pool(example.state.pool) as pool:
        reasons = {q.reason for q in pool.quarantine() if q.source == "data/train.jsonl"}
    assert "near_duplicate" in reasons or "duplicate" in reasons


def test_ingesting_twice_adds_nothing_and_a_grown_file_adds_only_new_rows(example):
    first = ingest(example)
    again = ingest(example)
    assert sum(s.added for s in again.sources) == 0
    assert sum(s.already_in_pool for s in again.sources) == sum(s.added for s in first.sources)
    assert (again.pool_size, again.test_size, again.seed_size) == (first.pool_size, first.test_size, first.seed_size)

    train = example.root / "data" / "train.jsonl"
    extra = {
        "id": "nuevo-1",
        "label": "falsa",
        "topic": "Health",
        "source": "Nuevo",
        "headline": "x",
        "link": "",
        "text": "Un estudio asegura que el agua de lluvia cura todas las enfermedades conocidas en una semana.",
    }
    with open(train, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(extra, ensure_ascii=False) + "\n")
    grown = ingest(example)
    assert sum(s.added for s in grown.sources) == 1
    assert grown.pool_size == first.pool_size + 1
    assert grown.seed_size == 16, "the seed is picked once"


def test_metadata_values_show_their_most_common_spelling_and_keep_the_original(example):
    report = ingest(example)
    with Pool(example.state.pool) as pool:
        shown = Counter(r.metadata["source"] for r in pool.records())
        originals = pool.metadata_originals(["source"])["source"]
    assert "EL UNIVERSAL" not in shown and shown["El Universal"] >= 60, "'EL UNIVERSAL' and 'El Universal' are one"
    assert "El País" not in shown and "El país" in shown
    assert Counter(originals.values())["EL UNIVERSAL"] >= 20, "the data's own spelling is kept"
    assert any(note.startswith("metadata source: ") and " → " in note for note in report.notes)
    with Pool(example.state.pool) as pool:
        before = {r.id: r.metadata for r in pool.records()}
    ingest(example)
    with Pool(example.state.pool) as pool:
        assert {r.id: r.metadata for r in pool.records()} == before, "idempotent"


def test_each_rejection_reason_lands_in_the_quarantine_with_its_line(tmp_path):
    long_text = "palabra " * 3000
    rows = [
        {"id": "ok-1", "text": SPANISH[0], "label": "verdadera", "topic": "agua"},
        {"id": "vacio", "text": "   <p> </p> ", "label": "falsa", "topic": "agua"},
        {"id": "corto", "text": "Hola.", "label": "falsa", "topic": "agua"},
        {"id": "largo", "text": long_text, "label": "falsa", "topic": "agua"},
        {
            "id": "ingles",
            "text": "The city council announced a brand new water treatment plant for the southern districts.",
            "label": "falsa",
            "topic": "agua",
        },
        {"id": "copia", "text": SPANISH[0], "label": "verdadera", "topic": "agua"},
        {
            "id": "casi",
            "text": SPANISH[1] + " " + SPANISH[2] + " Más información mañana.",
            "label": "falsa",
            "topic": "e",
        },
        {"id": "base", "text": SPANISH[1] + " " + SPANISH[2], "label": "falsa", "topic": "educación"},
        {"id": "rara", "text": SPANISH[3], "label": "dudosa", "topic": "salud"},
        {
            "id": "ok-2",
            "text": SPANISH[4] + " Contacto: prensa@instituto.mx, tel. +52 55 1234 5678.",
            "label": "falsa",
            "topic": "aire",
        },
        {"id": "ok-3", "text": SPANISH[5], "label": "", "topic": "café"},
    ]
    data = tmp_path / "datos.csv"
    write_csv(data, rows)
    with open(data, "a", encoding="utf-8") as handle:
        handle.write('roto,"texto sin cerrar,falsa,agua\n')
    config = load_config(
        project(
            tmp_path,
            {
                "sources": [{"path": "datos.csv"}],
                "min_chars": 20,
                "max_chars": 5000,
                "near_duplicate_jaccard": 0.6,
                "test_size": 1,
            },
        )
    )
    report = ingest(config)
    assert report.quarantined == {
        "empty": 1,
        "too_short": 1,
        "too_long": 1,
        "not_spanish": 1,
        "duplicate": 1,
        "near_duplicate": 1,
        "unknown_label": 1,
        "malformed": 1,
    }
    assert report.pii_masked == {"email": 1, "phone": 1}
    quarantine = [json.loads(line) for line in (config.state_dir / "quarantine.jsonl").read_text().splitlines()]
    by_reason = {q["reason"]: q for q in quarantine}
    assert by_reason["too_short"]["line"] == 4
    assert by_reason["duplicate"]["detail"] == "same text as ok-1"
    assert by_reason["near_duplicate"]["detail"].endswith("with casi")
    assert by_reason["not_spanish"]["detail"].startswith("detected en")
    assert "dudosa" in by_reason["unknown_label"]["detail"]
    assert by_reason["malformed"]["line"] == 13
    with Pool(config.state.pool) as pool:
        kept = {r.id: r for r in pool.records()}
    assert set(kept) == {"ok-1", "casi", "ok-2", "ok-3"}
    assert "[CORREO]" in kept["ok-2"].text and "[TELÉFONO]" in kept["ok-2"].text
    assert kept["ok-3"].gold is None
    assert sum(1 for r in kept.values() if r.split == "test") == 1, "a count of 1 for test_size"


def test_the_same_id_with_another_text_is_an_id_conflict(tmp_path):
    write_csv(tmp_path / "a.csv", [{"id": "n1", "text": SPANISH[0], "label": "falsa", "topic": "t"}])
    write_csv(tmp_path / "b.csv", [{"id": "n1", "text": SPANISH[1], "label": "falsa", "topic": "t"}])
    config = load_config(project(tmp_path, {"sources": [{"path": "a.csv"}, {"path": "b.csv"}]}))
    report = ingest(config)
    assert report.quarantined == {"id_conflict": 1}


def test_the_same_id_and_text_with_another_label_is_a_label_conflict(tmp_path):
    row = {"id": "n1", "text": SPANISH[0], "label": "falsa", "topic": "t"}
    write_csv(tmp_path / "a.csv", [row, {**row, "label": "verdadera"}])
    write_csv(tmp_path / "b.csv", [{**row, "label": "verdadera"}, row])
    config = load_config(project(tmp_path, {"sources": [{"path": "a.csv"}, {"path": "b.csv"}]}))
    report = ingest(config)
    assert report.quarantined == {"label_conflict": 2, "duplicate": 1}  # b.csv's copy of a.csv's row, same ingest
    again = ingest(config)
    assert [s.already_in_pool for s in again.sources] == [1, 1] and again.quarantined == {"label_conflict": 2}
    quarantine = [json.loads(line) for line in (config.state_dir / "quarantine.jsonl").read_text().splitlines()]
    conflict = [entry for entry in quarantine if entry["reason"] == "label_conflict"]
    assert {(c["source"], c["line"]) for c in conflict} == {("a.csv", 3), ("b.csv", 2)}
    assert "'falsa'" in conflict[0]["detail"] and "'verdadera'" in conflict[0]["detail"]


def test_every_physical_csv_row_ends_in_the_pool_or_the_quarantine(tmp_path):
    lines = [f"r{i},{SPANISH[i % 6]} Noticia número {i} del día {i * 7}.,falsa,t" for i in range(20)]
    lines[3] = f'r3,"{SPANISH[3]} Una comilla sin cerrar.,falsa,t'
    (tmp_path / "datos.csv").write_text("id,text,label,topic\n" + "\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(project(tmp_path, {"sources": [{"path": "datos.csv"}], "near_duplicate_jaccard": 0}))
    report = ingest(config)
    assert report.sources[0].rows == 20
    with Pool(config.state.pool) as pool:
        assert pool.count() + len(pool.quarantine()) == 20
        assert [q.line for q in pool.quarantine()] == [5] and pool.quarantine()[0].reason == "malformed"


def forty_labelled_rows(tmp_path) -> tuple:
    """A project over 40 distinct labelled rows (one in four "verdadera"), a fifth of them for the
    test set; returns its config and the rows."""
    rows = [
        {
            "id": f"r{i}",
            "text": f"{SPANISH[i % 6]} Noticia número {i} del día {i * 7}.",
            "label": "falsa" if i % 4 else "verdadera",
            "topic": "t",
        }
        for i in range(40)
    ]
    write_csv(tmp_path / "datos.csv", rows)
    settings = {"sources": [{"path": "datos.csv"}], "test_size": 0.2, "near_duplicate_jaccard": 0, "seed_size": 4}
    return load_config(project(tmp_path, settings)), rows


def test_an_ingest_killed_while_carving_leaves_no_partial_split(tmp_path, monkeypatch):
    """The test split and the seed are carved in one transaction: a kill in the middle of the
    carve (here: an interrupt half-way through the test ids) leaves nothing, and the rerun
    carves the full split."""
    import bucle.loop.ingest.pipeline as pipeline

    config, _ = forty_labelled_rows(tmp_path)
    real = pipeline.stratified_sample

    def dies_half_way(items, size, seed):
        chosen = list(real(items, size, seed))
        yield from chosen[: size // 2]
        raise KeyboardInterrupt  # stands for the SIGKILL

    monkeypatch.setattr(pipeline, "stratified_sample", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ingest(config)
    with Pool(config.state.pool) as pool:
        assert pool.count("test") == 0 and not pool.has_labels_from("seed")
    monkeypatch.setattr(pipeline, "stratified_sample", real)
    report = ingest(config)
    assert (report.pool_size, report.test_size, report.seed_size) == (32, 8, 4)


def test_encodings_and_formats_all_reach_the_pool(tmp_path):
    rows = [{"id": f"e{i}", "text": text, "label": "falsa", "topic": "t"} for i, text in enumerate(SPANISH)]
    write_csv(tmp_path / "latin.csv", rows[:2], encoding="cp1252")
    (tmp_path / "bom.csv").write_bytes(
        b"\xef\xbb\xbf" + "id,text,label,topic\n".encode() + f'e2,"{SPANISH[2]}",falsa,t\n'.encode()
    )
    mojibake = SPANISH[3].encode("utf-8").decode("cp1252")
    (tmp_path / "moji.jsonl").write_text(json.dumps({"id": "e3", "text": mojibake, "label": "falsa", "topic": "t"}))
    datasets.Dataset.from_list(rows[4:]).to_parquet(str(tmp_path / "rest.parquet"))
    sources = [{"path": name} for name in ("latin.csv", "bom.csv", "moji.jsonl", "rest.parquet")]
    config = load_config(project(tmp_path, {"sources": sources, "test_size": 2}))
    report = ingest(config)
    assert not report.quarantined
    assert [s.encoding for s in report.sources][:2] in (["cp1252", "utf-8-sig"], ["latin_1", "utf-8-sig"])
    with Pool(config.state.pool) as pool:
        texts = {r.id: r.text for r in pool.records()}
    assert texts == {f"e{i}": text for i, text in enumerate(SPANISH)}


def test_an_excel_corpus_ingests_and_its_artefacts_never_become_text_or_labels(tmp_path):
    """The Spanish Fake News Corpus ships as .xlsx; spreadsheets bring "nan" for empty cells and
    Excel's error values stored as text."""
    from tests.unit.test_readers import workbook

    header = ["id", "headline", "text", "label", "topic"]
    rows = [
        [f"x{i}", "nan" if i == 0 else f"Titular {i}", text, "falsa" if i % 2 else "verdadera", "t"]
        for i, text in enumerate(SPANISH)
    ]
    rows.append(["x-error", "#¿NOMBRE?", "#NAME?", "falsa", "t"])  # nothing left once the artefacts are read as empty
    rows.append(["x-nolabel", "Sin etiqueta", SPANISH[0] + " Otra vez, con otras palabras del día.", "nan", "t"])
    workbook(tmp_path / "noticias.xlsx", {"train": [header, *rows[:4]], "development": [header, *rows[4:]]})
    config = load_config(
        project(
            tmp_path,
            {
                "sources": [{"path": "noticias.xlsx"}],
                "text": ["headline", "text"],
                "test_size": 2,
                "near_duplicate_jaccard": 0,
            },
        )
    )
    report = ingest(config)
    with Pool(config.state.pool) as pool:
        records = {r.id: r for r in pool.records()}
    assert records["x0"].text == SPANISH[0], "the 'nan' headline is an empty one, not a word of the text"
    assert records["x1"].text.startswith("Titular 1\n\n") and records["x-nolabel"].gold is None
    assert "x-error" not in records and report.quarantined == {"empty": 1}
    assert any("spreadsheet artefact" in note and "'nan': 2" in note and "'#NAME?': 1" in note for note in report.notes)


def test_carved_test_set_is_stratified_and_frozen(tmp_path):
    config, rows = forty_labelled_rows(tmp_path)
    report = ingest(config)
    with Pool(config.state.pool) as pool:
        test = {r.id: r.gold for r in pool.records(split="test")}
    assert report.test_size == 8 and Counter(test.values()) == {"falsa": 6, "verdadera": 2}
    write_csv(
        tmp_path / "datos.csv", rows + [{"id": "r99", "text": SPANISH[5] + " Extra.", "label": "falsa", "topic": "t"}]
    )
    ingest(config)
    with Pool(config.state.pool) as pool:
        assert {r.id for r in pool.records(split="test")} == set(test)


def test_without_gold_labels_the_report_says_where_the_test_set_will_come_from(tmp_path):
    write_csv(
        tmp_path / "datos.csv", [{"id": f"r{i}", "text": SPANISH[i], "label": "", "topic": "t"} for i in range(6)]
    )
    config = load_config(project(tmp_path, {"sources": [{"path": "datos.csv"}]}))
    report = ingest(config)
    assert report.test_size == 0 and report.seed_size == 0
    assert any("first annotated records" in note for note in report.notes)


def test_a_broken_file_fails_before_anything_is_taken(tmp_path):
    (tmp_path / "datos.csv").write_text("id,texto,label,topic\na,hola,falsa,t\n")
    config = load_config(project(tmp_path, {"sources": [{"path": "datos.csv"}]}))
    with pytest.raises(FileFormatError, match="no column 'text'"):
        ingest(config)
    with Pool(config.state.pool) as pool:
        assert pool.count() == 0
    result = subprocess.run(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(tmp_path / "bucle.yaml"), "ingest"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no column 'text'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_export_writes_a_loadable_dataset_parquet_and_a_valid_card(example):
    ingest(example)
    result = export_labelled(example, agreement={"overlapping_records": 12, "alpha": 0.71, "kappa": 0.7, "ties": 1})
    loaded = datasets.load_from_disk(str(result.folder / "dataset"))
    assert loaded["train"].num_rows == 16 and loaded["test"].num_rows == result.test
    assert loaded["train"].features["label"].names == ["falsa", "verdadera"]
    assert pq.read_table(result.folder / "data" / "test.parquet").num_rows == result.test

    card_text = (result.folder / "README.md").read_text(encoding="utf-8")
    data = validate_offline(result.card)
    assert data.language == ["es"] and data.license == "cc-by-4.0"
    assert data.task_categories == ["text-classification"] and data.size_categories == ["n<1K"]
    assert data.source_datasets == ["jpposadas/FakeNewsCorpusSpanish"]
    for heading in (
        "Evaluación de sesgos",
        "Palabras con género",
        "Variedades del español",
        "Carencias conocidas",
        "Datos personales",
        "Cómo cargarlo",
        "Motivación y ODS",
        "Guía de anotación",
        "Cita",
    ):
        assert heading in card_text, heading
    assert "α de Krippendorff 0.710" in card_text
    assert "«source» predice la etiqueta" in card_text, "the source shortcut of this corpus must be flagged"
    assert "Posadas-Durán" in card_text


def test_init_writes_a_starter_that_loads(tmp_path):
    path = tmp_path / "nuevo" / "bucle.yaml"
    result = subprocess.run([sys.executable, "-m", "bucle.loop.cli", "init", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    config = load_config(path)
    assert config.name == "mi-proyecto" and config.data.sources[0].path == Path("data/textos.csv")
    again = subprocess.run([sys.executable, "-m", "bucle.loop.cli", "init", str(path)], capture_output=True, text=True)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_a_damaged_or_emptied_pool_stops_with_a_way_out_and_its_copy_restores_the_labels(example):
    from bucle.loop.pool import PoolDamaged
    from bucle.loop.pool_backups import backup_pool, restore_pool
    from tests.helpers import assert_one_line_error, bucle

    config, example = example, example.root / "bucle.yaml"
    ingest(config)
    path = config.state.pool
    with Pool(path) as pool:
        labelled = {r.id: r.label for r in pool.records(labelled=True)}
    assert labelled
    backup_pool(config, 1)

    path.write_bytes(b"")  # emptied: it used to read as a new pool with no labels
    with pytest.raises(PoolDamaged, match="file is empty"):
        ingest(config)
    assert_one_line_error(bucle(example, "status"), "is damaged", "bucle pool restore")

    data = bytearray((config.state_dir / "backups" / "pool-0001.sqlite").read_bytes())
    data[:16] = b"not a database!!"
    path.write_bytes(bytes(data))
    assert_one_line_error(bucle(example, "ingest"), "is damaged", "bucle pool restore")

    restored = bucle(example, "pool", "restore")
    assert restored.returncode == 0, restored.stderr
    assert "pool-0001.sqlite" in restored.stdout and list(config.state_dir.glob("pool.sqlite.damaged-*"))
    with Pool(path) as pool:
        assert {r.id: r.label for r in pool.records(labelled=True)} == labelled
    (config.state_dir / "backups" / "pool-0001.sqlite").write_bytes(b"junk")
    from bucle.annotation.errors import StateError

    with pytest.raises(StateError, match="no sound copy"):
        restore_pool(config)
