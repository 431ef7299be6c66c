"""nerpipe select: the records the model is least sure of, near-duplicates and known texts skipped."""

import json
import random

import pytest
from conftest import run_cli

from nerpipe.formats import make_doc
from nerpipe.selection import _Heap, near_duplicate_key, select

POOL = ["Angela Merkel visited Paris on Monday.",
        "Zorblax Quenfrit met the Vardel Ossini at Plumbrook.",
        "The weather was fine.",
        "angela merkel visited paris on monday !",  # a near-duplicate of the first
        "Kwame Brennt-Oyelaran of Hyrtsfold Quay spoke.",
        ""]


def docs(texts):
    return [make_doc(t, {"text": t}, "pool", i + 1) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def tagger():
    import nerpipe

    return nerpipe.load_model()


def test_near_duplicates_share_a_key():
    assert near_duplicate_key("Shares rose 3% in May.") == near_duplicate_key("shares  rose 5 % in may")
    assert near_duplicate_key("Shares rose in May.") != near_duplicate_key("Shares fell in May.")
    assert near_duplicate_key("€ --") != near_duplicate_key("$ !!")  # texts of symbols only are their own keys


def test_the_heap_keeps_the_n_highest_one_per_key_in_bounded_memory():
    rng = random.Random(0)
    heap, offered = _Heap(5), {}
    for _ in range(2000):
        key, value = f"k{rng.randrange(300)}", rng.random()
        offered[key] = max(offered.get(key, 0), value)
        heap.offer(value, key, None, [])
        assert len(heap.best) <= 5
    assert [v for v, _, _ in heap.sorted()] == sorted(offered.values(), reverse=True)[:5]


@pytest.mark.parametrize("strategy", ["entropy", "total-entropy", "sequence"])
def test_unsure_records_come_first_and_duplicates_once(tagger, strategy):
    chosen = select(docs(POOL), tagger, 3, strategy)
    texts = [c.record.text for c in chosen]
    assert len(texts) == 3 and "The weather was fine." not in texts[:2]
    assert [c.uncertainty for c in chosen] == sorted((c.uncertainty for c in chosen), reverse=True)
    everything = select(docs(POOL), tagger, 10, strategy)
    assert len(everything) == 4  # the duplicate and the empty record are not candidates
    # of the two near-duplicates the more uncertain one stays (here the lower-cased one)
    sure = next(c for c in everything if c.record.text.lower().startswith("angela"))
    assert sure.uncertainty < max(c.uncertainty for c in everything)
    assert [s[2] for p in sure.predictions for s in p.spans] == ["PER", "LOC"]  # pre-annotations


def test_random_is_a_seeded_sample_and_exclude_skips_known_texts(tagger):
    one = [c.record.text for c in select(docs(POOL), tagger, 2, "random", seed=3)]
    assert one == [c.record.text for c in select(docs(POOL), tagger, 2, "random", seed=3)]
    left = [c.record.text for c in select(docs(POOL), tagger, 10, "entropy", exclude=["ANGELA MERKEL visited Paris on Monday"])]
    assert not any(t.lower().startswith("angela") for t in left) and len(left) == 3


def test_the_command_writes_pre_annotations_with_their_uncertainty(tmp_path):
    (tmp_path / "pool.txt").write_text("\n\n".join(POOL) + "\n")
    (tmp_path / "gold.jsonl").write_text(json.dumps({"text": POOL[1], "spans": []}) + "\n")
    out = run_cli(["select", "-n", "2", "--exclude", str(tmp_path / "gold.jsonl"), str(tmp_path / "pool.txt")])
    assert out.exit_code == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 2 and POOL[1] not in [r["text"] for r in records]
    assert records[0]["meta"]["strategy"] == "total-entropy" and records[0]["meta"]["uncertainty"] >= records[1]["meta"]["uncertainty"]
    assert all("score" in s for r in records for s in r["spans"])
    tasks = run_cli(["select", "-n", "2", "-f", "labelstudio", str(tmp_path / "pool.txt")])
    assert len(json.loads(tasks.stdout)) == 2 and "predictions" in json.loads(tasks.stdout)[0]


def test_total_entropy_prefers_the_record_with_more_to_learn(tagger):
    short = "Zorblax Quenfrit ."
    long = "Zorblax Quenfrit met the Vardel Ossini at Plumbrook and Kwame Brennt-Oyelaran of Hyrtsfold Quay ."
    mean = {c.record.text: c.uncertainty for c in select(docs([short, long]), tagger, 2, "entropy")}
    total = [c.record.text for c in select(docs([short, long]), tagger, 2, "total-entropy")]
    assert total[0] == long and mean[long] < mean[short] * len(long.split()) / len(short.split())


def test_exclude_before_the_first_round_and_never_overwritten(tmp_path):
    (tmp_path / "pool.txt").write_text("\n\n".join(POOL[:3]) + "\n")
    first = run_cli(["select", "-n", "2", "--exclude", str(tmp_path / "gold.jsonl"), str(tmp_path / "pool.txt")])
    assert first.exit_code == 0 and "no such file yet" in first.stderr and len(first.stdout.splitlines()) == 2
    (tmp_path / "gold.jsonl").write_text(json.dumps({"text": POOL[0], "spans": []}) + "\n")
    clobber = run_cli(["select", "-n", "2", "--exclude", str(tmp_path / "gold.jsonl"), "-o", str(tmp_path / "gold.jsonl"),
                       str(tmp_path / "pool.txt")])
    assert clobber.exit_code == 2 and "is an input too" in clobber.stderr
    assert json.loads((tmp_path / "gold.jsonl").read_text())["text"] == POOL[0]
    short = run_cli(["select", "-n", "9", str(tmp_path / "pool.txt")])
    assert "3 records chosen: the pool has no more" in short.stderr and "-i lines" not in short.stderr


def test_a_pool_of_lines_read_as_one_paragraph_says_how_to_read_it_by_line(tmp_path):
    (tmp_path / "pool.txt").write_text("\n".join(POOL[:3]) + "\n")  # a sentence a line, no blank lines
    whole = run_cli(["select", "-n", "2", str(tmp_path / "pool.txt")])
    assert whole.exit_code == 0 and len(whole.stdout.splitlines()) == 1
    assert "1 record chosen" in whole.stderr and "for a record per line, give -i lines" in whole.stderr
    by_line = run_cli(["select", "-n", "2", "-i", "lines", str(tmp_path / "pool.txt")])
    assert len(by_line.stdout.splitlines()) == 2 and by_line.stderr == ""
    (tmp_path / "pool.jsonl").write_text(json.dumps({"text": "\n".join(POOL[:3])}) + "\n")  # a record is a record
    record = run_cli(["select", "-n", "2", str(tmp_path / "pool.jsonl")])
    assert "1 record chosen" in record.stderr and "-i lines" not in record.stderr


def test_diverse_entropy_spreads_a_batch_over_different_unknown_names():
    from nerpipe.selection import diverse
    from nerpipe.tagger import Prediction

    def candidate(text, entropies):
        doc = make_doc(text, {"text": text}, "pool", 1)
        pred = Prediction(["O"] * len(entropies), [], [], sum(entropies), 0.0, None, entropies)
        return (sum(entropies), doc, [pred])

    pool = [candidate("Zorblax met them", [1.0, 0.1, 0.1]), candidate("Zorblax left", [0.9, 0.1]),
            candidate("Zorblax 2 returned", [0.9, 0.0, 0.05]), candidate("Hyrtsfold opened", [0.7, 0.1])]
    chosen = diverse(sorted(pool, key=lambda c: -c[0]), 3)
    # total entropy would take the three about Zorblax; after the first, Zorblax counts half
    assert [c.record.text for c in chosen] == ["Zorblax met them", "Hyrtsfold opened", "Zorblax left"]
    assert [round(c.uncertainty, 3) for c in chosen] == [1.2, 0.8, 0.55]


def test_diverse_entropy_through_the_command(tmp_path):
    (tmp_path / "pool.txt").write_text("\n\n".join(POOL) + "\n")
    out = run_cli(["select", "-n", "3", "--strategy", "diverse-entropy", str(tmp_path / "pool.txt")])
    assert out.exit_code == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 3 and {r["meta"]["strategy"] for r in records} == {"diverse-entropy"}


def test_token_entropies_add_up_to_the_sentence_entropy(tagger):
    long = ["word"] * 1100  # windows too
    for pred in tagger.predict([POOL[1].split(), long, []], uncertainty=True):
        assert len(pred.token_entropy) == len(pred.tags)
        assert sum(pred.token_entropy) == pytest.approx(pred.entropy, rel=0.05, abs=1e-4)


def test_labels_choose_by_the_doubts_of_the_types_to_annotate(tagger):
    # (the embedded model's doubts:) the first hesitates mostly between O and MISC, the second between its own types
    misc, names = "The Plumbrook Award was given .", "Quenfrit left Hyrtsfold for Vardel ."
    assert select(docs([misc, names]), tagger, 1)[0].record.text == misc
    assert select(docs([misc, names]), tagger, 1, labels=["PER", "ORG", "LOC"])[0].record.text == names
    assert select(docs([misc, names]), tagger, 1, "diverse-entropy", labels=["PER", "ORG", "LOC"])[0].record.text == names


@pytest.mark.parametrize("strategy", ["total-entropy", "random"])
def test_labels_count_only_the_doubts_of_the_types_to_annotate(tagger, strategy):
    pool = docs(POOL)
    every = {c.record.text: c for c in select(pool, tagger, 10, strategy)}
    some = {c.record.text: c for c in select(pool, tagger, 10, strategy, labels=["PER", "LOC"])}
    assert set(some) == set(every) and len(every) == 4
    if strategy == "random":  # the same draw; only the pre-annotations differ
        assert [c.record.text for c in select(pool, tagger, 2, strategy)] == \
            [c.record.text for c in select(pool, tagger, 2, strategy, labels=["PER"])]
        meta = every[next(iter(every))].with_meta(strategy).record["meta"]
        assert "draw" in meta and "uncertainty" not in meta  # a random number, not the model's doubt
        return
    # folding ORG and MISC into O can only take doubt away, and takes some somewhere
    assert all(some[t].uncertainty <= every[t].uncertainty + 1e-9 for t in every)
    assert any(some[t].uncertainty < every[t].uncertainty - 1e-6 for t in every)
    for text, chosen in some.items():  # the pre-annotations: only the types asked for
        kept = [(s, sc) for p in every[text].predictions for s, sc in zip(p.spans, p.scores) if s[2] in ("PER", "LOC")]
        assert [(s, sc) for p in chosen.predictions for s, sc in zip(p.spans, p.scores)] == kept
        assert all(tag == "O" or tag.endswith(("PER", "LOC")) for p in chosen.predictions for tag in p.tags)
    assert tagger.uncertain_labels is None  # the caller's tagger is left as it was
    for bad, message in ((["FOO"], "no type FOO"), ("PER", "a collection"), ([], "a collection")):
        with pytest.raises(ValueError, match=message):
            select(pool, tagger, 2, labels=bad)
    with pytest.raises(ValueError, match="sequence"):
        select(pool, tagger, 2, "sequence", labels=["PER"])


@pytest.mark.parametrize("case", ["as written", "lower"])
def test_labels_fold_the_entropies_of_windows_and_caseless_text_alike(tagger, case):
    from dataclasses import replace

    words = "The Plumbrook Award went to Zorblax Quenfrit of Hyrtsfold Quay , said the Vardel Times in Ossini .".split()
    words = [w.lower() for w in words] if case == "lower" else words
    for small in (tagger, replace(tagger, window=8, overlap=2)):  # the whole sentence; windows of 8 tokens
        every, = small.predict([words], uncertainty=True)
        some, = replace(small, uncertain_labels={"PER", "LOC"}).predict([words], uncertainty=True)
        assert all(s <= e + 1e-9 for s, e in zip(some.token_entropy, every.token_entropy))
        assert some.entropy < every.entropy - 1e-3
        assert sum(some.token_entropy) == pytest.approx(some.entropy, rel=0.05, abs=1e-4)
        assert some.spans == every.spans  # what is decoded does not change


def test_labels_through_the_command(tmp_path):
    (tmp_path / "pool.txt").write_text("Angela Merkel met Siemens in Paris.\n\nThe weather was fine.\n")
    out = run_cli(["select", "-n", "2", "--labels", "PER, LOC", str(tmp_path / "pool.txt")])
    assert out.exit_code == 0, out.stderr
    labels = {s["label"] for line in out.stdout.splitlines() for s in json.loads(line)["spans"]}
    assert labels == {"PER", "LOC"}  # Siemens (ORG) left out of the pre-annotations
    assert [json.loads(line)["meta"]["labels"] for line in out.stdout.splitlines()] == [["LOC", "PER"]] * 2  # for annotate (model order)
    config = tmp_path / "config.xml"
    tasks = run_cli(["select", "-n", "2", "--labels", "PER,LOC", "-f", "labelstudio", "--config", str(config),
                     str(tmp_path / "pool.txt")])
    assert tasks.exit_code == 0, tasks.stderr
    assert 'value="PER"' in config.read_text() and 'value="ORG"' not in config.read_text()  # the tool offers those types
    # (the embedded model finds Merkel and Paris)
    lower = run_cli(["select", "-n", "2", "--labels", "per,LOC", str(tmp_path / "pool.txt")])
    assert lower.exit_code == 0 and "--labels per: read as PER" in lower.stderr
    for args, message in ((["--labels", "PER,FOO"], "no type FOO"), (["--labels", ","], "expected entity types"),
                          (["--labels", "PER", "--strategy", "sequence"], "sequence strategy")):
        bad = run_cli(["select", "-n", "2", *args, str(tmp_path / "pool.txt")])
        assert bad.exit_code == 2 and message in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


@pytest.mark.parametrize("case", ["as written", "lower"])
def test_bald_scores_what_dropout_passes_disagree_on_seeded_and_leaves_the_network_as_it_was(tagger, case):
    from dataclasses import replace

    import torch

    words = POOL[1].split() if case == "as written" else POOL[1].lower().split()
    sure, _ = tagger.predict([words, POOL[2].split()], uncertainty=True)
    bald = replace(tagger, dropout_samples=6)
    state = torch.get_rng_state()
    first = bald.predict([words, POOL[2].split()], uncertainty=True)
    assert not tagger.network.training  # the shared network's mode never touched (other threads may be tagging)
    assert torch.equal(torch.get_rng_state(), state)  # nor torch's global random state: a generator of its own
    assert [p.spans for p in first] == [sure.spans, tagger.predict([POOL[2].split()])[0].spans]  # decoding as without
    assert [p.token_entropy for p in first] == [p.token_entropy for p in bald.predict([words, POOL[2].split()],
                                                                                     uncertainty=True)]  # seeded
    mine, plain = first
    import math

    assert all(0 <= m <= math.log(len(tagger.vocab.tags)) for m in mine.token_entropy)
    assert sum(mine.token_entropy) == pytest.approx(mine.entropy, rel=1e-4, abs=1e-6)
    # unknown names, against a plain sentence: passes that disagree (identical passes leave ~1e-17)
    assert mine.entropy > 0.1 and mine.entropy > 10 * plain.entropy
    # only the doubts about the types annotated count
    folded, _ = replace(bald, uncertain_labels=frozenset({"PER"})).predict([words, POOL[2].split()], uncertainty=True)
    assert 0 < folded.entropy < mine.entropy
    windowed, = replace(bald, window=8, overlap=2).predict([words], uncertainty=True)
    assert len(windowed.token_entropy) == len(words)  # a score for every token in windows too


def test_bald_is_zero_without_dropout(tagger):
    import copy
    from dataclasses import replace

    network = copy.deepcopy(tagger.network)
    network.config = replace(network.config, dropout=0.0)
    network.dropout.p = 0.0
    still = replace(tagger, network=network, dropout_samples=4)
    pred, = still.predict([POOL[1].split()], uncertainty=True)
    assert pred.entropy == pytest.approx(0.0, abs=1e-6)


def test_bald_through_select_and_the_command(tagger, tmp_path):
    chosen = select(docs(POOL), tagger, 2, "bald")
    assert len(chosen) == 2 and "The weather was fine." not in [c.record.text for c in chosen]
    assert tagger.dropout_samples == 0  # the caller's tagger left as it was
    folded = select(docs(POOL), tagger, 4, "bald", labels=["PER", "LOC"])
    assert all(s[2] in ("PER", "LOC") for c in folded for p in c.predictions for s in p.spans)
    (tmp_path / "pool.txt").write_text("\n\n".join(POOL) + "\n")
    out = run_cli(["select", "-n", "2", "--strategy", "bald", str(tmp_path / "pool.txt")])
    assert out.exit_code == 0, out.stderr
    assert [json.loads(line)["meta"]["strategy"] for line in out.stdout.splitlines()] == ["bald", "bald"]


def test_options_that_would_do_nothing_are_said(tmp_path):
    pool = tmp_path / "pool.txt"
    pool.write_text("Angela Merkel visited Paris.\n\nThe weather was fine.\n")
    seeded = run_cli(["select", "-n", "1", "--seed", "5", str(pool)])
    assert seeded.exit_code == 2 and "--seed draws the random strategy's sample" in seeded.stderr
    assert run_cli(["select", "-n", "1", "--strategy", "random", "--seed", "5", str(pool)]).exit_code == 0
    sep = run_cli(["select", "-n", "1", "--sep", "tab", str(pool)])
    assert sep.exit_code == 0 and "--sep did nothing: it is for conll input" in sep.stderr
