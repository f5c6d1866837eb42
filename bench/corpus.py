"""A labelled corpus for the simulations: a pool whose gold labels play the annotators, and a
frozen test set. Any format bucle ingests (JSONL, CSV, Parquet, a datasets folder…)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from bucle.loop.ingest.readers import BadRow, open_source, require_columns
from bucle.training import bodies

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "fakenews-es"
EXAMPLE = ROOT / "examples" / "noticias-falsas" / "data"
DEFAULT = SHARED if (SHARED / "train.jsonl").exists() else EXAMPLE  # a fresh clone has the example's copy


@dataclass(frozen=True)
class Corpus:
    name: str
    classes: list[str]
    pool_texts: list[str]
    pool_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    pool_groups: list[str] | None = None  # another column's values (--drift), row by row
    test_groups: list[str] | None = None
    target_texts: list[str] = field(default_factory=list)  # test texts strategies may read, never their labels

    def thin(self, label: str, fraction: float) -> "Corpus":
        """Only ``fraction`` of the ``label`` rows, in the pool and in the test set alike (a fixed
        sample): an imbalanced setting made from a balanced corpus."""
        self._require("--keep", label)
        rng = random.Random(1)

        def kept(labels: list[str]) -> list[int]:
            return [i for i, gold in enumerate(labels) if gold != label or rng.random() < fraction]

        return self._rows(kept(self.pool_labels), kept(self.test_labels))

    def drift(self, held_out: set[str]) -> "Corpus":
        """The pool without the rows whose group (``--drift``'s column) is in ``held_out``, the test
        set only those: a model that must work where its labels never came from (new sources,
        new topics), as a project's test set drifts from its pool."""
        if self.pool_groups is None or self.test_groups is None:
            raise ValueError("--drift needs a column to split by")
        pool = [i for i, group in enumerate(self.pool_groups) if group not in held_out]
        test = [i for i, group in enumerate(self.test_groups) if group in held_out]
        if not test or len(pool) == len(self.pool_groups):
            raise ValueError(f"--drift: {', '.join(sorted(held_out))} must occur in both the pool and the test set")
        return self._rows(pool, test)

    def one_vs_rest(self, label: str, rest: str = "otra") -> "Corpus":
        """Two classes, ``label`` and everything else: the "is this text about ODS 3?" kind of task,
        whose positives are rare, made from a multi-class corpus."""
        self._require("--one-vs-rest", label)

        def binary(labels: list[str]) -> list[str]:
            return [gold if gold == label else rest for gold in labels]

        return replace(
            self,
            classes=sorted([label, rest]),
            pool_labels=binary(self.pool_labels),
            test_labels=binary(self.test_labels),
        )

    def steered(self) -> "Corpus":
        """Every other test text becomes the target that strategies weighing typicality read (as
        the loop reads its frozen test set's texts, never their labels), and every curve is scored
        on the other half only: what the selection gains must show on test texts it never read."""
        rows = range(len(self.test_texts))
        steer = [self.test_texts[i] for i in rows if i % 2 == 0]
        return replace(self._rows(list(range(len(self.pool_texts))), [i for i in rows if i % 2]), target_texts=steer)

    def _require(self, option: str, label: str) -> None:
        if label not in self.classes:
            raise ValueError(f"{option}: {label!r} is not a label of the corpus ({', '.join(self.classes)})")

    def subsample(self, pool: int | None, test: int | None) -> "Corpus":
        """The first ``pool`` / ``test`` rows (files are shuffled once at load): for smoke runs."""
        return self._rows(list(range(len(self.pool_texts)))[:pool], list(range(len(self.test_texts)))[:test])

    def _rows(self, pool: list[int], test: list[int]) -> "Corpus":
        """These pool and test rows (positions), with their groups where the corpus has them."""

        def pick(values: list[str] | None, rows: list[int]) -> list[str] | None:
            return None if values is None else [values[i] for i in rows]

        return replace(
            self,
            pool_texts=pick(self.pool_texts, pool),
            pool_labels=pick(self.pool_labels, pool),
            test_texts=pick(self.test_texts, test),
            test_labels=pick(self.test_labels, test),
            pool_groups=pick(self.pool_groups, pool),
            test_groups=pick(self.test_groups, test),
        )


def _read(path: Path, text: list[str], label: str, group: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """Texts (the ``text`` columns joined with a blank line, as ``data.text`` joins them), labels
    and the ``group`` column's values (empty without one)."""
    source = open_source(path)
    require_columns(source, [*text, label, *([group] if group else [])])
    texts, labels, groups = [], [], []
    for row in source.rows:
        if isinstance(row, BadRow):
            raise ValueError(f"{path}, line {row.line}: {row.problem}")
        parts = [row.values.get(column) for column in text]
        value = "\n\n".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
        gold = row.values.get(label)
        if value and gold not in (None, ""):
            texts.append(value)
            labels.append(str(gold))
            groups.append(str(row.values.get(group, "")) if group else "")
    if not texts:
        raise ValueError(f"{path}: no rows with both {' + '.join(map(repr, text))} and {label!r}")
    return texts, labels, groups


def is_example(pool: Path) -> bool:
    """Whether ``pool`` is the repository's own corpus (fakenews-es), whose results are published."""
    folder = pool.resolve().parent
    return folder in {SHARED.resolve(), EXAMPLE.resolve()}


def add_arguments(parser) -> None:
    """The options that name a corpus, the same in every benchmark that reads one."""
    parser.add_argument(
        "--pool", type=Path, default=DEFAULT / "train.jsonl", help="labelled pool (any format bucle ingests)"
    )
    parser.add_argument("--test", type=Path, default=DEFAULT / "dev.jsonl", help="frozen test set")
    parser.add_argument(
        "--text", nargs="+", default=["text"], help="text columns, joined with a blank line as data.text joins them"
    )
    parser.add_argument(
        "--name", default=None, help="the corpus's name in titles and the default --out (default: its folder's)"
    )
    parser.add_argument("--label", default="label", help="gold label column")


BODIES = Path.home() / ".cache" / "bucle" / "bodies"


def add_body_argument(parser) -> None:
    """``--body``, the same in every benchmark that embeds texts."""
    parser.add_argument(
        "--body",
        default=None,
        help="sentence-transformer body: a Hub id or folder, 'minilm' for the small "
        f"English all-MiniLM-L6-v2 (default: bucle's, multilingual-e5-small, stored once in {BODIES})",
    )


def body_path(name: str | None) -> str:
    """What ``--body`` names, loadable by SentenceTransformer."""
    if name == "minilm":
        return bodies.minilm()
    return name or bodies.stored_default(BODIES / "multilingual-e5-small")


def corpus_name(pool: Path) -> str:
    """The folder a corpus lives in (``fakenews-es``), or the project's for a ``data/`` folder."""
    folder = pool.resolve().parent
    return folder.parent.name if folder.name == "data" else folder.name


def load_corpus(
    pool: Path,
    test: Path,
    text: list[str] | None = None,
    label: str = "label",
    name: str | None = None,
    group: str | None = None,
) -> Corpus:
    """``group``: a column whose values ``Corpus.drift`` splits by."""
    text = text or ["text"]
    pool_texts, pool_labels, pool_groups = _read(pool, text, label, group)
    test_texts, test_labels, test_groups = _read(test, text, label, group)
    unknown = sorted(set(test_labels) - set(pool_labels))
    if unknown:
        raise ValueError(f"{test}: labels {unknown} never occur in the pool {pool}")
    order = list(range(len(pool_texts)))
    random.Random(0).shuffle(order)  # so that --pool N takes a sample, not the head of a sorted file
    return Corpus(
        name or corpus_name(pool),
        sorted(set(pool_labels)),
        [pool_texts[i] for i in order],
        [pool_labels[i] for i in order],
        test_texts,
        test_labels,
        [pool_groups[i] for i in order] if group else None,
        test_groups if group else None,
    )
