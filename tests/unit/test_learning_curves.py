"""The numbers the label-efficiency benchmark reads off its learning curves, and its corpus reader."""

import json

import pytest

from bench.corpus import load_corpus
from bench.learning_curves import (
    Curve,
    area_under_curve,
    label_ratio,
    labels_to_reach,
    labels_to_reach_at_least,
    match_ratio,
    mean_curve,
    summarise,
)
from bucle.loop.ingest.readers import FileFormatError


def curve(points: list[tuple[int, float]], seed: int = 0, method: str = "m") -> Curve:
    result = Curve(method, seed)
    for labels, f1 in points:
        result.add(labels, f1, 1.0)
    return result


def test_labels_to_reach_count_from_where_the_curve_stays_at_or_above_the_target():
    rising = curve([(16, 0.5), (32, 0.7), (48, 0.69), (64, 0.8)])
    assert labels_to_reach(rising, 0.7) == 64, "touching the target at 32 and dropping again is not arriving"
    assert labels_to_reach(rising, 0.65) == 32
    assert labels_to_reach(rising, 0.5) == 16, "the seed set alone may already be there"
    assert labels_to_reach(rising, 0.8) == 64
    assert labels_to_reach(rising, 0.81) is None


def test_area_is_the_mean_height_over_the_labelled_range():
    assert area_under_curve(curve([(16, 0.5), (48, 0.5)])) == pytest.approx(0.5)
    assert area_under_curve(curve([(0, 0.0), (10, 1.0)])) == pytest.approx(0.5)
    assert area_under_curve(curve([(0, 0.0), (10, 1.0), (30, 1.0)])) == pytest.approx((5 + 20) / 30)
    assert area_under_curve(curve([(16, 0.4)])) == pytest.approx(0.4)


def test_summary_needs_every_seed_to_reach_the_target():
    full = 0.8  # target 0.76
    both = [curve([(16, 0.5), (32, 0.77)], 0), curve([(16, 0.6), (32, 0.7), (48, 0.78)], 1)]
    summary = summarise(both, full)
    assert summary.to_target == pytest.approx(40) and summary.reached == 2
    one = summarise([curve([(16, 0.5), (32, 0.77)], 0), curve([(16, 0.5), (32, 0.6)], 1)], full)
    assert one.to_target is None and one.reached == 1
    assert summary.final_f1 == pytest.approx(0.775)


def test_ratio_against_random_and_mean_curve():
    fast = summarise([curve([(16, 0.5), (32, 0.8)], s) for s in range(2)], 0.8)
    slow = summarise([curve([(16, 0.5), (32, 0.6), (64, 0.8)], s) for s in range(2)], 0.8)
    assert label_ratio(fast, slow) == pytest.approx(0.5)
    never = summarise([curve([(16, 0.5), (32, 0.6)], s) for s in range(2)], 0.8)
    assert label_ratio(fast, never) is None and label_ratio(never, slow) is None
    labels, means, sds = mean_curve([curve([(16, 0.4), (32, 0.6)]), curve([(16, 0.6), (32, 0.6), (48, 0.9)])])
    assert labels == [16, 32] and means == pytest.approx([0.5, 0.6]) and sds[1] == pytest.approx(0.0)


def test_match_ratio_is_the_saving_at_the_baselines_final_quality():
    random = [
        curve([(16, 0.3), (48, 0.4), (80, 0.5), (112, 0.5), (144, 0.48)], s) for s in range(2)
    ]  # final 0.48, first at 80
    better = [curve([(16, 0.3), (48, 0.45), (80, 0.52), (112, 0.6), (144, 0.6)], s) for s in range(2)]
    worse = [curve([(16, 0.3), (48, 0.3), (80, 0.3), (112, 0.4), (144, 0.47)], s) for s in range(2)]
    assert match_ratio(better, random) == pytest.approx(80 / 80) and match_ratio(random, random) == pytest.approx(1.0)
    assert match_ratio(worse, random) is None
    faster = [curve([(16, 0.3), (48, 0.49), (80, 0.5), (112, 0.6), (144, 0.6)], s) for s in range(2)]
    assert match_ratio(faster, random) == pytest.approx(48 / 80)
    assert labels_to_reach_at_least(random, 0.45) == pytest.approx(80)
    assert labels_to_reach_at_least(random, 0.5) == pytest.approx(144), "at 0.5 from 80, below again at 144: not there"
    assert labels_to_reach_at_least([random[0], worse[0]], 0.45) == pytest.approx((80 + 144) / 2), (
        "never there: at least its last"
    )


def write(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_corpus_any_format_and_clear_errors(tmp_path):
    pool = write(
        tmp_path / "pool.jsonl",
        [{"texto": f"Texto número {i}", "tema": "a" if i % 2 else "b"} for i in range(10)]
        + [{"texto": "   ", "tema": "a"}, {"texto": "Sin etiqueta", "tema": ""}],
    )
    (tmp_path / "test.csv").write_text("texto,tema\nUno,a\nDos,b\n", encoding="utf-8")
    corpus = load_corpus(pool, tmp_path / "test.csv", text=["texto"], label="tema")
    assert corpus.classes == ["a", "b"] and len(corpus.pool_texts) == 10 and corpus.test_labels == ["a", "b"]
    assert sorted(corpus.pool_texts) == sorted(f"Texto número {i}" for i in range(10))  # shuffled, nothing lost
    assert len(corpus.subsample(4, 1).pool_texts) == 4
    assert corpus.name == tmp_path.name, "named after its folder"

    (tmp_path / "data").mkdir()
    titled = write(
        tmp_path / "data" / "pool.jsonl", [{"titular": "Titular", "texto": "Cuerpo de la noticia.", "tema": "a"}]
    )
    (tmp_path / "data" / "test.csv").write_text("titular,texto,tema\nOtro,Cuerpo,a\n", encoding="utf-8")
    both = load_corpus(titled, tmp_path / "data" / "test.csv", text=["titular", "texto"], label="tema")
    assert both.pool_texts == ["Titular\n\nCuerpo de la noticia."], "columns joined as data.text joins them"
    assert both.name == tmp_path.name, "a project's data/ folder: the project's name"
    assert load_corpus(titled, tmp_path / "data" / "test.csv", ["texto"], "tema", name="mi-corpus").name == "mi-corpus"

    with pytest.raises(FileFormatError, match="no column 'label'"):
        load_corpus(pool, tmp_path / "test.csv", text=["texto"])
    (tmp_path / "other.csv").write_text("texto,tema\nUno,c\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels \['c'\] never occur in the pool"):
        load_corpus(pool, tmp_path / "other.csv", text=["texto"], label="tema")
    with pytest.raises(FileFormatError, match="no such file"):
        load_corpus(tmp_path / "missing.jsonl", tmp_path / "test.csv", text=["texto"], label="tema")


def test_imbalanced_settings_and_their_own_folders(tmp_path):
    from argparse import Namespace

    from bench.active_learning import setting_name

    pool = write(
        tmp_path / "pool.jsonl",
        [
            {"text": f"Noticia {i}", "topic": "Sport" if i % 4 == 0 else ("Health" if i % 4 == 1 else "Politics")}
            for i in range(40)
        ],
    )
    test = write(tmp_path / "test.jsonl", [{"text": "Uno", "topic": "Sport"}, {"text": "Dos", "topic": "Health"}])
    corpus = load_corpus(pool, test, label="topic")
    binary = corpus.one_vs_rest("Sport")
    assert binary.classes == ["Sport", "otra"] and binary.test_labels == ["Sport", "otra"]
    assert binary.pool_labels.count("Sport") == 10 and binary.pool_texts == corpus.pool_texts
    thinned = corpus.thin("Sport", 0.2)
    assert thinned.pool_labels.count("Sport") < 10 and thinned.pool_labels.count("Politics") == 20
    with pytest.raises(ValueError, match="not a label of the corpus"):
        corpus.one_vs_rest("Deportes")

    def name(**changes) -> str:
        return setting_name(
            corpus, Namespace(**{"label": "topic", "keep": None, "one_vs_rest": None, "drift": None, **changes})
        )

    names = {
        name(),
        name(keep=["Sport=0.2"]),
        name(keep=["Sport=0.2", "Health=0.2"]),
        name(one_vs_rest="Sport"),
        name(one_vs_rest="Health"),
        name(drift="source=a,b"),
    }
    assert len(names) == 6 and name() == f"{tmp_path.name}-topic", "one folder per setting, the plain one unchanged"


def test_a_drift_setting_tests_where_the_pool_never_came_from(tmp_path):
    rows = [
        {"text": f"Noticia {i}", "label": "falsa" if i % 2 else "verdadera", "source": "a" if i < 30 else "b"}
        for i in range(40)
    ]
    pool, test = write(tmp_path / "pool.jsonl", rows), write(tmp_path / "test.jsonl", rows[::2])
    drifted = load_corpus(pool, test, group="source").drift({"b"})
    assert len(drifted.pool_texts) == 30 and len(drifted.test_texts) == 5 and set(drifted.test_groups) == {"b"}
    assert not set(drifted.pool_texts) & {row["text"] for row in rows[30:]}
    with pytest.raises(ValueError, match="must occur in both"):
        load_corpus(pool, test, group="source").drift({"c"})
    with pytest.raises(ValueError, match="needs a column"):
        load_corpus(pool, test).drift({"b"})


def test_half_the_test_texts_steer_and_the_other_half_scores(tmp_path):
    rows = [{"text": f"Noticia {i}", "label": "falsa" if i % 2 else "verdadera"} for i in range(40)]
    corpus = load_corpus(write(tmp_path / "pool.jsonl", rows), write(tmp_path / "test.jsonl", rows[:30]))
    steered = corpus.steered()
    assert len(steered.target_texts) == len(steered.test_texts) == 15 and steered.pool_texts == corpus.pool_texts
    assert not set(steered.target_texts) & set(steered.test_texts), "no scored text steered the selection"
    assert set(steered.target_texts) | set(steered.test_texts) == set(corpus.test_texts)
    assert steered.test_labels == [corpus.test_labels[corpus.test_texts.index(t)] for t in steered.test_texts]


def setting(folder, name: str, *hedged: list[float], random: list[list[float]] | None = None) -> None:
    """A label-efficiency result over budgets 16–64: random at 0.5, 0.6, 0.7, 0.8 on every seed
    unless ``random`` gives its seeds, and hedged on as many seeds as it is given."""
    from dataclasses import asdict

    runs = {"bucle · random · tfidf": random or [[0.5, 0.6, 0.7, 0.8]] * len(hedged), "bucle · hedged · tfidf": hedged}
    curves = {
        m: [asdict(curve(list(zip([16, 32, 48, 64], f1s)), seed, m)) for seed, f1s in enumerate(by_seed)]
        for m, by_seed in runs.items()
    }
    (folder / name).mkdir()
    (folder / name / "active_learning.json").write_text(
        json.dumps({"curves": curves, "full_data_macro_f1": {"bucle · tfidf": 0.8}}), encoding="utf-8"
    )


def test_the_worst_setting_decides_and_a_target_counts_only_once_the_curve_stays_there(tmp_path):
    from bench.learning_curves import stays_from
    from bench.worst_setting import report

    assert stays_from([16, 32, 48, 64], [0.5, 0.8, 0.6, 0.8], 0.75) == 64, "a curve that dips again has not arrived"
    assert stays_from([16, 32], [0.8, 0.9], 0.75) == 16 and stays_from([16, 32], [0.8, 0.7], 0.75) is None

    setting(tmp_path, "fácil", [0.5, 0.7, 0.8, 0.8])  # above random everywhere, 95% of full at 48 against 64
    setting(tmp_path, "difícil", [0.5, 0.58, 0.72, 0.8])  # 0.02 below random at 32 labels
    text = report(tmp_path)
    assert "| difícil | bucle · hedged · tfidf | -0.020 at 32 |" in text and "(0.75×) |" in text
    assert "worst shortfall -0.020 (difícil, 32 labels; target ≥ −0.01: NOT met)" in text

    # paired differences -0.05 and +0.03 at 32
    setting(tmp_path, "ruidoso", [0.5, 0.55, 0.7, 0.8], [0.5, 0.63, 0.7, 0.8])
    text = report(tmp_path)
    assert "| ruidoso | bucle · hedged · tfidf | -0.010 ± 0.040 at 32 | 0.647 (0.650; ± 0.013) |" in text, (
        "the paired standard errors over seeds, of the shortfall and of the AULC"
    )

    chance = json.loads((tmp_path / "difícil" / "active_learning.json").read_text(encoding="utf-8"))
    chance["curves"]["bucle · random@redraw · tfidf"] = [  # random again on other draws: 0.03 below at 32
        {**c, "method": "bucle · random@redraw · tfidf", "macro_f1": [0.5, 0.57, 0.7, 0.8]}
        for c in chance["curves"]["bucle · random · tfidf"]
    ]
    (tmp_path / "difícil" / "active_learning.json").write_text(json.dumps(chance), encoding="utf-8")
    text = report(tmp_path)
    assert "| difícil | bucle · random@redraw · tfidf | -0.030 at 32 |" in text and "what chance alone costs" in text
    assert "Chance (random@redraw, 1 of these settings): worst shortfall -0.030" in text
    assert "no worse than chance's on 3 of the 3" in text, "hedged's worst −0.020 is within chance's −0.030"


def test_a_method_on_fewer_seeds_is_set_against_random_on_those_seeds(tmp_path):
    from bench.worst_setting import report

    # random ran two seeds, the second poor; hedged only the first, where it equals random
    setting(tmp_path, "parcial", [0.5, 0.6, 0.7, 0.8], random=[[0.5, 0.6, 0.7, 0.8], [0.5, 0.4, 0.5, 0.6]])
    assert "| parcial | bucle · hedged · tfidf | +0.000 at 32 | 0.650 (0.650) |" in report(tmp_path), (
        "random's mean over both seeds would put hedged 0.1 above it"
    )


def test_the_benchmark_checks_every_option_before_any_work(capsys):
    from bench.active_learning import parse

    for argv, said in (
        (["--strategies", "random", "densty-margin"], "unknown strategies densty-margin; choose from"),
        (["--keep", "Sport"], "--keep Sport: expected LABEL=FRACTION"),
        (["--keep", "Sport=2"], "--keep Sport=2: expected LABEL=FRACTION"),
        (["--drift", "topic"], "--drift topic: expected COLUMN=VALUE"),
        (["--strategies", "random@pool"], "unknown strategies random@pool"),  # it weighs no typicality
        (["--strategies", "random@later"], "unknown strategies random@later"),
    ):
        with pytest.raises(SystemExit) as stopped:
            parse(argv)
        assert stopped.value.code == 2 and said in capsys.readouterr().err
    assert "hedged" in parse(["--strategies", "hedged"]).strategies
    assert parse(["--strategies", "hedged@pool"]).strategies == ["hedged@pool"]
    assert parse(["--strategies", "random@redraw", "hedged@redraw"]).strategies == ["random@redraw", "hedged@redraw"]
    assert parse([]).target == "test-half", "the test texts steer, as in the loop"
    assert parse([]).small_text == ["head"] and parse(["--small-text", "none"]).small_text == []


def test_a_users_corpus_stays_in_the_current_folder_and_tfidf_alone_loads_no_body(tmp_path, monkeypatch, capsys):
    from bench import active_learning

    rows = [
        {
            "texto": f"{'gol partido liga' if i % 2 else 'ley gobierno voto'} número {i} de la semana",
            "tema": "b" if i % 2 else "a",
        }
        for i in range(80)
    ]
    pool, test = write(tmp_path / "pool.jsonl", rows[:60]), write(tmp_path / "test.jsonl", rows[60:])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(active_learning, "embed", lambda *args: pytest.fail("TF-IDF alone embedded the corpus"))
    argv = [
        "--pool",
        str(pool),
        "--test",
        str(test),
        "--text",
        "texto",
        "--label",
        "tema",
        "--learners",
        "tfidf",
        "--small-text",
        "none",
        "--seeds",
        "1",
        "--batch",
        "8",
        "--budget",
        "32",
        "--strategies",
        "random",
        "hedged",
        "hedged@pool",
        "random@redraw",
    ]
    assert active_learning.main(argv) == 0
    out = tmp_path / "bench-results" / f"{tmp_path.name}-tema"
    assert (out / "active_learning.md").exists() and (out / "active_learning.json").exists()
    curves = json.loads((out / "active_learning.json").read_text(encoding="utf-8"))["curves"]
    random, redrawn = curves["bucle · random · tfidf"][0], curves["bucle · random@redraw · tfidf"][0]
    assert redrawn["labels"] == random["labels"] and redrawn["macro_f1"][0] == random["macro_f1"][0], "one seed set"
    said = capsys.readouterr().err
    assert "results go to" in said and "run 4 of 4" in said and "min so far, about 0 min left" in said, (
        "without a terminal, one line per finished run with the time so far and left"
    )
    assert active_learning.main([*argv, "--report-only", "--seeds", "3"]) == 2
    assert "was run with --seeds 1, not 3" in capsys.readouterr().err


def test_two_runs_into_one_folder_take_turns(tmp_path, capsys):
    """A run saves its folder's results whole after every curve: a second run into the same
    folder waits for the first rather than writing its curves away."""
    import threading

    from bench.active_learning import held

    entered = threading.Event()

    def second() -> None:
        with held(tmp_path / "label"):
            entered.set()

    with held(tmp_path / "label"):
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not entered.wait(0.5), "the second run went in while the first held the folder"
    waiting.join(30)
    assert entered.is_set()
    assert f"another run is writing {tmp_path / 'label'}: waiting until it is done" in capsys.readouterr().err


def test_the_label_ratio_carries_its_range_over_resampled_seeds(tmp_path):
    from bench.worst_setting import ratio_range, report

    budgets = [16, 32, 48, 64]
    random = [curve(list(zip(budgets, [0.5, 0.6, 0.7, 0.8])), seed, "r") for seed in range(2)]
    # 95% of full (0.76) at 32 labels on seed 0, at 64 on seed 1 and on their mean: 0.5× or 1×
    hedged = [
        curve(list(zip(budgets, f1s)), seed, "h")
        for seed, f1s in enumerate([[0.5, 0.8, 0.8, 0.8], [0.5, 0.6, 0.7, 0.8]])
    ]
    assert ratio_range(hedged, random, 0.76) == (0.5, 1.0), "a quarter of the resamples draw seed 0 twice"
    assert ratio_range(hedged[:1], random, 0.76) is None, "one seed has no spread to measure"
    short = [curve(list(zip(budgets, [0.5, 0.6, 0.7, 0.7])), seed, "r") for seed in range(2)]
    assert ratio_range(hedged, short, 0.76) == (0.0, 0.0), (
        "random never gets there: the method needs none of its labels"
    )
    assert ratio_range(short, random, 0.76) == (float("inf"), float("inf"))

    setting(tmp_path, "dos", [0.5, 0.8, 0.8, 0.8], [0.5, 0.6, 0.7, 0.8])
    text = report(tmp_path)
    assert "| 64 (1.00×; 90% 0.50–1.00) |" in text, "the mean curve gets there at 64, as random's"
    assert "worst label ratio 1.00× (dos, 90% 0.50–1.00 over resampled seeds; target ≤ 0.80×: NOT met)" in text
