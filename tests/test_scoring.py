
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import any_tags

from nerpipe.errors import NerpipeError
from nerpipe.pairing import score_files
from nerpipe.schemes import Scheme
from nerpipe.scoring import conlleval_chunks, score_pairs


def perl_conlleval(sentences):
    """A line-by-line transliteration of conlleval.pl's main loop (counts, not chunk sets).

    Kept independent of nerpipe.scoring on purpose: it follows the Perl state
    machine with its inCorrect flag instead of comparing chunk sets.
    """

    def split(tag):
        p, _, t = tag.partition("-")
        return p, t

    def end_of_chunk(pt, t, ptype, typ):
        e = False
        if pt == "B" and t == "B": e = True
        if pt == "B" and t == "O": e = True
        if pt == "I" and t == "B": e = True
        if pt == "I" and t == "O": e = True
        if pt == "E" and t == "E": e = True
        if pt == "E" and t == "I": e = True
        if pt == "E" and t == "O": e = True
        if pt == "I" and t == "O": e = True
        if pt != "O" and pt != "." and ptype != typ: e = True
        if pt == "]": e = True
        if pt == "[": e = True
        return e

    def start_of_chunk(pt, t, ptype, typ):
        s = False
        if pt == "B" and t == "B": s = True
        if pt == "I" and t == "B": s = True
        if pt == "O" and t == "B": s = True
        if pt == "O" and t == "I": s = True
        if pt == "E" and t == "E": s = True
        if pt == "E" and t == "I": s = True
        if pt == "O" and t == "E": s = True
        if pt == "O" and t == "I": s = True
        if t != "O" and t != "." and ptype != typ: s = True
        if t == "[": s = True
        if t == "]": s = True
        return s

    rows = []
    for gold, pred in sentences:
        rows.extend(zip(gold, pred))
        rows.append(None)  # the blank line: boundary, tags O O
    correct_chunk = found_correct = found_guessed = tokens = correct_tags = 0
    per = {}
    in_correct = False
    last_c = last_g = "O"
    last_ct = last_gt = ""
    for row in rows:
        boundary = row is None
        gold, pred = ("O", "O") if boundary else row
        c, ct = split(gold)
        g, gt = split(pred)
        if in_correct:
            ec = end_of_chunk(last_c, c, last_ct, ct)
            eg = end_of_chunk(last_g, g, last_gt, gt)
            if ec and eg and last_gt == last_ct:
                in_correct = False
                correct_chunk += 1
                per.setdefault(last_ct, [0, 0, 0])[2] += 1
            elif ec != eg or gt != ct:
                in_correct = False
        sc = start_of_chunk(last_c, c, last_ct, ct)
        sg = start_of_chunk(last_g, g, last_gt, gt)
        if sc and sg and gt == ct:
            in_correct = True
        if sc:
            found_correct += 1
            per.setdefault(ct, [0, 0, 0])[0] += 1
        if sg:
            found_guessed += 1
            per.setdefault(gt, [0, 0, 0])[1] += 1
        if not boundary:
            if c == g and gt == ct:
                correct_tags += 1
            tokens += 1
        last_c, last_g, last_ct, last_gt = c, g, ct, gt
    if in_correct:
        correct_chunk += 1
        per.setdefault(last_ct, [0, 0, 0])[2] += 1
    return tokens, correct_tags, found_correct, found_guessed, correct_chunk, per


tags = any_tags(prefixes="BIESLU", labels=("PER", "LOC", "creative-work"))


@settings(max_examples=300)
@given(st.lists(st.integers(0, 10).flatmap(lambda n: st.tuples(*[tags] * 2)), max_size=6))
def test_scorer_agrees_with_conlleval_state_machine(raw):
    sentences = [(g[: min(len(g), len(p))], p[: min(len(g), len(p))]) for g, p in raw]
    tokens, correct_tags, found_c, found_g, correct, per = perl_conlleval(sentences)
    score = score_pairs(sentences)
    assert (score.tokens, score.correct_tags) == (tokens, correct_tags)
    assert (score.overall.gold, score.overall.predicted, score.overall.correct) == (found_c, found_g, correct)
    for label, (c, g, k) in per.items():
        t = score.types[label]
        assert (t.gold, t.predicted, t.correct) == (c, g, k)


def test_known_conlleval_quirks():
    # conlleval has no S-: two S-PER in a row are one chunk; E-X ends a chunk
    assert conlleval_chunks(["S-PER", "S-PER"]) == [(0, 2, "PER")]
    assert conlleval_chunks(["O", "I-PER", "B-PER"]) == [(1, 2, "PER"), (2, 3, "PER")]
    assert conlleval_chunks(["B-LOC", "I-PER"]) == [(0, 1, "LOC"), (1, 2, "PER")]
    assert conlleval_chunks(["B-creative-work", "I-creative-work"]) == [(0, 2, "creative-work")]


def test_report_layout_matches_conlleval():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "B-LOC"]]
    report = score_pairs(zip(gold, pred)).conlleval_report()
    assert report == (
        "processed 6 tokens with 3 phrases; found: 4 phrases; correct: 2.\n"
        "accuracy:  66.67%; precision:  50.00%; recall:  66.67%; FB1:  57.14\n"
        "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
        "              ORG: precision:  50.00%; recall: 100.00%; FB1:  66.67  2\n"
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
    )


def test_zero_division_policy():
    score = score_pairs([(["O", "O"], ["O", "O"])])
    assert (score.overall.precision, score.overall.recall, score.overall.f1) == (0.0, 0.0, 0.0)
    assert score.accuracy == 1.0
    empty = score_pairs([])
    assert empty.as_dict()["f1"] == 0.0 and empty.tokens == 0
    assert empty.conlleval_report() == "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n"


def test_json_schema():
    data = score_pairs([(["B-PER", "O"], ["B-PER", "B-LOC"])]).as_dict()
    assert set(data) >= {"precision", "recall", "f1", "accuracy", "macro_f1", "tokens", "support", "predicted", "correct", "types"}
    assert data["precision"] == 0.5 and data["recall"] == 1.0
    assert data["types"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1, "predicted": 1, "correct": 1}
    assert data["types"]["LOC"]["f1"] == 0.0
    assert data["macro_f1"] == 0.5


def test_scheme_option_converts_before_scoring():
    gold = [["S-PER", "S-PER"]]
    pred = [["S-PER", "O"]]
    assert score_pairs(zip(gold, pred)).overall.correct == 0  # conlleval: one chunk of two
    fixed = score_pairs(zip(gold, pred), scheme=Scheme.IOBES)
    assert (fixed.overall.gold, fixed.overall.correct) == (2, 1)


def test_strict_mode_drops_ill_formed_entities():
    gold = [["B-PER", "I-PER", "O"]]
    pred = [["I-PER", "I-PER", "O"]]
    assert score_pairs(zip(gold, pred)).overall.correct == 1
    strict = score_pairs(zip(gold, pred), strict=True, scheme=Scheme.IOB2)
    assert (strict.overall.predicted, strict.overall.correct) == (0, 0)


def test_two_files_that_part(tmp_path):
    (tmp_path / "g").write_text("a O\nb B-PER\n\nc O\n")
    (tmp_path / "p").write_text("a O\nb B-PER\n\nd O\n")
    with pytest.raises(NerpipeError, match=r"g:4: the files part here: .*g:4 has 'c', .*p:4 has 'd'"):
        score_files(str(tmp_path / "g"), str(tmp_path / "p"))
    (tmp_path / "p").write_text("a O\nb B-PER\n\nc O\nx O\n")
    with pytest.raises(NerpipeError, match="g:5 has the end of the sentence, .*p:5 has 'x'"):
        score_files(str(tmp_path / "g"), str(tmp_path / "p"))
    (tmp_path / "p").write_text("a O\nb B-PER\n")
    with pytest.raises(NerpipeError, match=r"g:4: the predicted file \(.*p\) ends before this sentence"):
        score_files(str(tmp_path / "g"), str(tmp_path / "p"))
    with pytest.raises(NerpipeError, match=r"g:4: the gold file \(.*p\) ends before this sentence"):
        score_files(str(tmp_path / "p"), str(tmp_path / "g"))
    (tmp_path / "g.jsonl").write_text('{"text": "a", "spans": []}\n{"text": "b", "spans": []}\n')
    (tmp_path / "p.jsonl").write_text('{"text": "a", "spans": []}\n')
    with pytest.raises(NerpipeError, match=r"g.jsonl:2: the predicted file \(.*p.jsonl\) ends before this record"):
        score_files(str(tmp_path / "g.jsonl"), str(tmp_path / "p.jsonl"))
    with pytest.raises(NerpipeError, match=r"g.jsonl:2: the gold file \(.*p.jsonl\) ends before this record"):
        score_files(str(tmp_path / "p.jsonl"), str(tmp_path / "g.jsonl"))


def test_bad_tag_is_located(tmp_path):
    (tmp_path / "f").write_text("a O O\nb B-PER PERSON\n")
    with pytest.raises(NerpipeError, match=r"f:2: tag 'PERSON' fits no tag scheme"):
        score_files(str(tmp_path / "f"))


def test_jsonl_token_tags_are_iob2_over_whole_tokens():
    from types import SimpleNamespace

    from nerpipe.pairing import _token_tags

    doc = SimpleNamespace(tokens=[(0, 3), (4, 7), (8, 11), (12, 15), (16, 18)])  # "Ann Bob met Eve ok"
    # adjacent entities of a type start with B- each; a span ending inside a token leaves it O
    assert _token_tags(doc, [(0, 3, "PER"), (4, 7, "PER"), (12, 17, "ORG")]) == ["B-PER", "B-PER", "O", "B-ORG", "O"]
    assert _token_tags(doc, [(0, 7, "PER"), (8, 18, "LOC")]) == ["B-PER", "I-PER", "B-LOC", "I-LOC", "I-LOC"]
    assert _token_tags(doc, [(1, 3, "PER")]) == ["O"] * 5  # starts inside a token
    assert _token_tags(SimpleNamespace(tokens=[]), [(0, 3, "PER")]) == []


def test_a_column_out_of_range_is_named_by_the_option_that_gave_it(tmp_path):
    (tmp_path / "f").write_text("a O O\n")
    with pytest.raises(NerpipeError, match=r"f:1: --gold-col 4 is out of range: the file has 3 columns"):
        score_files(str(tmp_path / "f"), str(tmp_path / "f"), gold_col=4)
    with pytest.raises(NerpipeError, match=r"f:1: --pred-col -5 is out of range: the file has 3 columns"):
        score_files(str(tmp_path / "f"), str(tmp_path / "f"), pred_col=-5)


def test_strict_iob1_is_seqevals():
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB1

    gold = [["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "O"], ["I-ORG", "O"]]
    pred = [["I-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"], ["I-ORG", "B-ORG"]]
    strict = score_pairs(zip(gold, pred), strict=True, scheme=Scheme.IOB1)
    for ours, theirs in ((strict.overall.f1, f1_score), (strict.overall.precision, precision_score),
                         (strict.overall.recall, recall_score)):
        assert ours == pytest.approx(theirs(gold, pred, mode="strict", scheme=IOB1))
    assert strict.overall.f1 != score_pairs(zip(gold, pred)).overall.f1  # not conlleval's reading


def test_pairs_that_cannot_be_scored_are_named():
    with pytest.raises(ValueError, match="pair 1: 3 gold tags but 2 predicted"):
        score_pairs([(["O"], ["O"]), (["B-PER", "I-PER", "O"], ["B-PER", "I-PER"])])
    with pytest.raises(ValueError, match="pair 0: the gold tags must be a list of tag strings"):
        score_pairs([([None], ["B-PER"])])
    with pytest.raises(ValueError, match="pair 0: the predicted tags must be a list"):
        score_pairs([(["B-PER"], "B-PER")])
    assert score_pairs([(["S-PER"], ["S-PER"])], scheme="iobes").mode == score_pairs([(["S-PER"], ["S-PER"])],
                                                                                      scheme=Scheme.IOBES).mode
