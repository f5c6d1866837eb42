"""``bucle ingest``: read every source of the config, clean and check each row, keep the good
ones in the pool, quarantine the rest with their reason, then fix the splits and the seed.

Rows are written in batches, each in one transaction, so an interrupted ingest keeps whole
batches and a rerun picks up where it stopped (ids already in the pool are skipped). The test
split and the labelled seed are carved from the complete pool, both in one transaction at the
end, so an ingest killed at any point leaves them whole or not carved (and a rerun carves them). Sources
whose role is ``test`` are read first, so that when a test text and a pool text are near
duplicates, the test one stays and the pool one is quarantined: no near-duplicate ever sits on
both sides of the split.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from bucle.common.clock import file_stamp
from bucle.loop.config import ConfigError, ProjectConfig, SourceConfig
from bucle.loop.ingest import pii
from bucle.loop.ingest.metadata_values import fold
from bucle.loop.ingest.language import LanguageCheck
from bucle.loop.ingest.near_duplicates import NearDuplicateIndex, signature
from bucle.loop.ingest.readers import SNIPPET, BadRow, SourceRow, is_artefact, open_source, require_columns
from bucle.loop.ingest.text_cleaning import clean_text
from bucle.loop.pool import Pool, PoolRecord, Rejection
from bucle.loop.splits import split_size, stratified_sample

BATCH = 1000
Progress = Callable[[str, int], None]  # (source name, rows read so far)


@dataclass
class SourceReport:
    path: str
    role: str
    format: str
    encoding: str | None
    rows: int = 0
    added: int = 0
    already_in_pool: int = 0
    quarantined: Counter = field(default_factory=Counter)


@dataclass
class IngestReport:
    sources: list[SourceReport]
    pii_masked: Counter
    pool_size: int
    test_size: int
    seed_size: int
    notes: list[str]
    seconds: float

    @property
    def quarantined(self) -> Counter:
        total: Counter = Counter()
        for source in self.sources:
            total.update(source.quarantined)
        return total

    def to_json(self) -> dict:
        return {
            "sources": [
                {**{k: v for k, v in vars(s).items() if k != "quarantined"}, "quarantined": dict(s.quarantined)}
                for s in self.sources
            ],
            "quarantined": dict(self.quarantined),
            "pii_masked": dict(self.pii_masked),
            "pool_size": self.pool_size,
            "test_size": self.test_size,
            "seed_size": self.seed_size,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
        }


def _label_value(raw: Any, multi_label: bool) -> Any:
    """The gold label of a row, None when it has none; lists for multi-label tasks."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    if multi_label:
        values = raw if isinstance(raw, list) else str(raw).replace(";", ",").split(",")
        values = sorted({str(v).strip() for v in values if str(v).strip()})
        return values or None
    value = str(raw).strip()
    return value or None


class _RowChecker:
    """Turns one source row into a pool record or a rejection."""

    def __init__(self, config: ProjectConfig, pool: Pool, index: NearDuplicateIndex) -> None:
        self.data = config.data
        self.labels = set(config.labels)
        self.multi_label = config.task == "multi-label"
        self.index = index
        self.language = LanguageCheck(self.data.language, self.data.language_confidence)
        self.hashes: dict[str, tuple[str, str, Any]] = {}  # id -> (content hash, source, gold), pool and new rows
        self.ids: dict[str, str] = {}  # content hash -> id
        for record_id, content_hash, source, gold in pool.known():
            self.remember(record_id, content_hash, source, gold)
        self.in_pool = set(self.hashes)  # ids kept by earlier ingests: a row repeating one adds nothing
        self.pii: Counter = Counter()
        self.artefacts: Counter = Counter()  # cells read as empty: "nan", "#NAME?" … (readers.ARTEFACTS)

    def blanked(self, values: dict[str, Any]) -> dict[str, Any]:
        """The row with its spreadsheet artefacts read as the empty cells they are, counted."""
        found = {column: value for column, value in values.items() if is_artefact(value)}
        self.artefacts.update(value.strip() for value in found.values())
        return {**values, **dict.fromkeys(found)} if found else values

    def remember(self, record_id: str, content_hash: str, source: str, gold: Any) -> None:
        self.hashes[record_id] = (content_hash, source, gold)
        self.ids[content_hash] = record_id

    def check(self, source: str, role: str, row: SourceRow) -> "_Kept | Rejection | None":
        """None: the row is already in the pool (a re-ingest)."""
        data = self.data
        values = self.blanked(row.values)
        parts = [values.get(column) for column in data.text]
        raw = "\n\n".join(str(p) for p in parts if p is not None and str(p).strip())
        snippet = raw[:SNIPPET]
        reject = lambda reason, detail, record_id=None: Rejection(  # noqa: E731
            source, row.line, reason, detail, snippet, record_id
        )
        text = clean_text(raw)
        if not text:
            return reject("empty", "no text after cleaning")
        given_id = values.get(data.id) if data.id else None
        content_hash = hashlib.sha1(text.encode()).hexdigest()
        record_id = str(given_id).strip() if given_id not in (None, "") else f"t-{content_hash[:16]}"

        gold = _label_value(values.get(data.label), self.multi_label) if data.label else None
        known = self.hashes.get(record_id)
        if known is not None:
            if known[0] != content_hash:
                return reject(
                    "id_conflict", f"id {record_id!r} already holds a different text (from {known[1]})", record_id
                )
            if gold != known[2]:
                return reject(
                    "label_conflict",
                    f"id {record_id!r} has the same text with label {known[2]!r} "
                    f"(from {known[1]}); this row says {gold!r}",
                    record_id,
                )
            if record_id not in self.in_pool:  # a second copy within this ingest
                return reject("duplicate", f"same id and text as an earlier row ({record_id})", record_id)
            return None
        if len(text) < data.min_chars:
            return reject("too_short", f"{len(text)} characters, fewer than {data.min_chars}")
        if len(text) > data.max_chars:
            return reject("too_long", f"{len(text)} characters, more than {data.max_chars}")
        foreign = self.language.foreign(text)
        if foreign is not None:
            return reject(
                "not_spanish" if data.language == "es" else "wrong_language",
                f"detected {foreign[0]} (p={foreign[1]:.2f})",
            )
        duplicate_of = self.ids.get(content_hash)
        if duplicate_of is not None:
            return reject("duplicate", f"same text as {duplicate_of}", record_id)
        unknown = [g for g in (gold if isinstance(gold, list) else [gold]) if g is not None and g not in self.labels]
        if unknown:
            return reject("unknown_label", f"label {', '.join(map(repr, unknown))} is not one of {sorted(self.labels)}")
        sig = None
        if data.near_duplicate_jaccard > 0:
            sig = signature(text)
            match = self.index.match(sig)
            if match is not None:
                return reject("near_duplicate", f"Jaccard {match[1]:.2f} with {match[0]}", record_id)
            self.index.add(record_id, sig)
        if data.mask_pii:
            text, counts = pii.mask(text)
            self.pii.update(counts)
        metadata = {column: _metadata_value(values.get(column)) for column in data.metadata}
        self.remember(record_id, content_hash, source, gold)
        record = PoolRecord(record_id, text, metadata, gold, role, None, None, source, row.line)
        return _Kept(record, content_hash, sig)


def _metadata_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return str(value).strip() or None


@dataclass(frozen=True)
class _Kept:
    record: PoolRecord
    content_hash: str
    signature: Any


def _ingest_source(
    config: ProjectConfig, source: SourceConfig, pool: Pool, checker: _RowChecker, progress: Progress | None
) -> SourceReport:
    path = config.source_path(source)
    opened = open_source(path, source.format, source.sheet)
    needed = [*config.data.text, *filter(None, [config.data.id, config.data.label]), *config.data.metadata]
    require_columns(opened, [c for c in needed if opened.format != "txt" or c not in {"id", "file", "text"}])
    name = str(source.path)
    report = SourceReport(name, source.role, opened.format, opened.encoding)
    kept: list[_Kept] = []
    rejected: list[Rejection] = []

    def flush() -> None:
        pool.add(((k.record, k.content_hash, k.signature) for k in kept), rejected)
        kept.clear()
        rejected.clear()

    for row in opened.rows:
        report.rows += 1
        if isinstance(row, BadRow):
            where = f"line {row.line}" + (f", column {row.column}" if row.column else "")
            outcome: Any = Rejection(name, row.line, "malformed", f"{where}: {row.problem}", row.raw)
        else:
            outcome = checker.check(name, source.role, row)
        if outcome is None:
            report.already_in_pool += 1
        elif isinstance(outcome, Rejection):
            report.quarantined[outcome.reason] += 1
            rejected.append(outcome)
        else:
            report.added += 1
            kept.append(outcome)
        if len(kept) + len(rejected) >= BATCH:
            flush()
        if progress is not None and report.rows % 250 == 0:
            progress(name, report.rows)
    flush()
    if progress is not None:
        progress(name, report.rows)
    return report


def _fix_splits(config: ProjectConfig, pool: Pool, has_test_source: bool, notes: list[str]) -> None:
    """Carve the frozen test set once (when no source is a test set) and pick the seed once, in
    one transaction: killed half-way, neither is left partial, and the next ingest carves both."""
    with pool.transaction():
        _carve(config, pool, has_test_source, notes)


def _carve(config: ProjectConfig, pool: Pool, has_test_source: bool, notes: list[str]) -> None:
    data = config.data
    if not has_test_source and pool.count("test") == 0:
        gold = {r.id: json.dumps(r.gold) for r in pool.records(split="pool") if r.gold is not None}
        if gold:
            size = split_size(len(gold), data.test_size)
            pool.set_split(stratified_sample(gold, size, data.split_seed), "test")
            notes.append(f"carved a stratified test set of {size} records from the gold labels")
        else:
            notes.append("no gold labels: the test set will be taken from the first annotated records")
    pool_records = pool.records(split="pool")
    if data.gold == "labels":
        pool.set_labels({r.id: r.gold for r in pool_records if r.gold is not None and r.label is None}, "gold")
    elif data.gold == "seed" and data.seed_size and not pool.has_labels_from("seed"):
        gold = {r.id: json.dumps(r.gold) for r in pool_records if r.gold is not None}
        seed = stratified_sample(gold, data.seed_size, data.split_seed)
        by_id = {r.id: r.gold for r in pool_records}
        pool.set_labels({record_id: by_id[record_id] for record_id in seed}, "seed")
        if seed:
            notes.append(f"labelled seed of {len(seed)} records taken from the gold labels")


def ingest(config: ProjectConfig, progress: Progress | None = None) -> IngestReport:
    """Ingest every source of ``config`` into the project's pool; returns the report (also
    written to ``.bucle/reports/ingest-latest.json`` with the quarantine as JSON Lines)."""
    started = time.perf_counter()
    if not config.data.sources:
        raise ConfigError(f"{config.root / 'bucle.yaml'}: data.sources: list at least one file to ingest")
    with Pool(config.state.pool) as pool:
        index = NearDuplicateIndex(config.data.near_duplicate_jaccard)
        for record_id, sig in pool.signatures():
            index.add(record_id, sig)
        checker = _RowChecker(config, pool, index)
        ordered = sorted(config.data.sources, key=lambda s: s.role != "test")
        reports = [_ingest_source(config, source, pool, checker, progress) for source in ordered]
        notes: list[str] = []
        _fix_splits(config, pool, any(s.role == "test" for s in ordered), notes)
        originals = pool.metadata_originals(config.data.metadata)
        shown, folded = fold(originals)
        pool.set_metadata_values(shown, originals)
        notes += [
            f"metadata {name}: {count} records show the most common spelling of their value ("
            + ", ".join(f"{original!r} → {value!r}" for original, value in folded.examples[name])
            + "); their own is kept in the pool"
            for name, count in folded.changed.items()
        ]
        if checker.artefacts:
            notes.append(
                f"{sum(checker.artefacts.values())} cells held a spreadsheet artefact, read as empty ("
                + ", ".join(f"{value!r}: {count}" for value, count in checker.artefacts.most_common())
                + ")"
            )
        report = IngestReport(
            sources=reports,
            pii_masked=checker.pii,
            pool_size=pool.count("pool"),
            test_size=pool.count("test"),
            seed_size=len([r for r in pool.records(split="pool", labelled=True) if r.label_source == "seed"]),
            notes=notes,
            seconds=time.perf_counter() - started,
        )
        _write_report(config, pool, report)
    return report


def _write_report(config: ProjectConfig, pool: Pool, report: IngestReport) -> None:
    config.state.reports.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = file_stamp()
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False)
    config.state.ingest_report(stamp).write_text(text, encoding="utf-8")
    config.state.latest_ingest_report.write_text(text, encoding="utf-8")
    with open(config.state.quarantine, "w", encoding="utf-8") as handle:
        for rejection in pool.quarantine():
            handle.write(json.dumps(vars(rejection), ensure_ascii=False) + "\n")
