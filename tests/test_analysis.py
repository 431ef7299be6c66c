"""Error analysis: categories, schemes and calibration against hand-worked examples,
a brute-force pairing, conlleval's counts and the nervaluate package."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import any_tags, spans_and_length

from nerpipe.analysis import SCHEMES, ErrorAnalyzer, Example, calibrate, pair_entities
from nerpipe.scoring import conlleval_chunks, score_pairs


def pairs_of(gold, pred):
    return {(p.category, p.gold, p.pred) for p in pair_entities(gold, pred)}


# --------------------------------------------------------------------------- hand-worked pairs


def test_each_category_by_hand():
    gold = [(0, 1, "PER"), (2, 3, "LOC"), (4, 6, "ORG"), (7, 9, "LOC"), (10, 11, "PER")]
    pred = [(0, 1, "PER"), (2, 3, "ORG"), (5, 6, "ORG"), (7, 8, "MISC"), (12, 13, "LOC")]
    assert pairs_of(gold, pred) == {
        ("correct", (0, 1, "PER"), (0, 1, "PER")),
        ("wrong_type", (2, 3, "LOC"), (2, 3, "ORG")),
        ("wrong_boundary", (4, 6, "ORG"), (5, 6, "ORG")),
        ("wrong_both", (7, 9, "LOC"), (7, 8, "MISC")),
        ("missed", (10, 11, "PER"), None),
        ("spurious", None, (12, 13, "LOC")),
    }


def test_one_gold_entity_overlapped_by_two_predictions():
    # the better category wins even with less overlap; the other prediction is spurious
    assert pairs_of([(0, 5, "PER")], [(0, 1, "PER"), (1, 5, "ORG")]) == {
        ("wrong_boundary", (0, 5, "PER"), (0, 1, "PER")), ("spurious", None, (1, 5, "ORG"))}
    # same category: the larger overlap wins
    assert pairs_of([(0, 5, "PER")], [(0, 2, "PER"), (2, 5, "PER")]) == {
        ("wrong_boundary", (0, 5, "PER"), (2, 5, "PER")), ("spurious", None, (0, 2, "PER"))}
    # a tie: the leftmost prediction
    assert pairs_of([(0, 4, "PER")], [(0, 2, "PER"), (2, 4, "PER")]) == {
        ("wrong_boundary", (0, 4, "PER"), (0, 2, "PER")), ("spurious", None, (2, 4, "PER"))}


def test_one_prediction_covering_two_gold_entities():
    assert pairs_of([(0, 2, "ORG"), (3, 5, "LOC")], [(0, 5, "LOC")]) == {
        ("wrong_boundary", (3, 5, "LOC"), (0, 5, "LOC")), ("missed", (0, 2, "ORG"), None)}


def test_touching_spans_do_not_overlap_and_duplicates_count_once():
    assert pairs_of([(0, 2, "PER")], [(2, 4, "PER")]) == {("missed", (0, 2, "PER"), None), ("spurious", None, (2, 4, "PER"))}
    pairs = pair_entities([(0, 2, "PER"), (0, 2, "PER")], [(0, 2, "PER"), (0, 2, "PER")], [0.9, 0.1])
    assert [(p.category, p.score) for p in pairs] == [("correct", 0.9)]


def analyse(*examples, **options):
    analyzer = ErrorAnalyzer()
    for example in examples:
        analyzer.add(example)
    return analyzer.result(**options)


BATISTA = Example.from_tokens(
    "TIKOSYN healthy of warfarin propranolol phenytoin theophylline oral contraceptives".split(),
    gold=[(0, 1, "brand"), (3, 4, "drug"), (4, 5, "drug"), (5, 6, "drug"), (6, 7, "drug"), (8, 9, "group")],
    pred=[(1, 2, "brand"), (2, 4, "drug"), (4, 5, "brand"), (5, 6, "drug"), (6, 7, "drug"), (7, 9, "drug")],
)
# David Batista's worked example of the SemEval-2013 9.1 schemes ("Named-Entity evaluation
# metrics based on entity-level", 2018): scenarios I to VI, counts per scheme.
BATISTA_COUNTS = {  # scheme: (COR, INC, PAR, MIS, SPU), precision = recall
    "strict": ((2, 3, 0, 1, 1), 2 / 6),
    "exact": ((3, 2, 0, 1, 1), 3 / 6),
    "partial": ((3, 0, 2, 1, 1), 4 / 6),
    "ent_type": ((3, 2, 0, 1, 1), 3 / 6),
}


def test_batista_worked_example():
    result = analyse(BATISTA)
    assert result.overall.as_gold.as_dict() == {"correct": 2, "wrong_type": 1, "wrong_boundary": 1, "wrong_both": 1,
                                                "missed": 1, "spurious": 1}
    for scheme, (counts, figure) in BATISTA_COUNTS.items():
        c = result.overall.as_gold.scheme_counts(scheme)
        assert (c["correct"], c["incorrect"], c["partial"], c["missed"], c["spurious"]) == counts, scheme
        assert (c["possible"], c["actual"]) == (6, 6)
        f = result.overall.figures(scheme)
        assert f.precision == pytest.approx(figure) and f.recall == pytest.approx(figure) and f.f1 == pytest.approx(figure)


def test_per_type_figures_credit_gold_type_for_recall_and_predicted_type_for_precision():
    ex = Example.from_tokens("Ann and Bob met at IBM".split(), [(0, 1, "PER"), (2, 3, "PER"), (5, 6, "ORG")],
                             [(0, 1, "PER"), (2, 3, "ORG"), (4, 6, "ORG")])
    result = analyse(ex)
    per, org = result.types["PER"], result.types["ORG"]
    assert (per.gold, per.predicted, org.gold, org.predicted) == (2, 1, 1, 2)
    assert (per.figures("strict").precision, per.figures("strict").recall) == (1.0, 0.5)
    assert (org.figures("strict").precision, org.figures("strict").recall) == (0.0, 0.0)
    # exact: "Bob" has the right span, so it counts for PER's recall and ORG's precision
    assert (per.figures("exact").recall, org.figures("exact").precision) == (1.0, 0.5)
    # partial: "at IBM" for "IBM" is half right; type only: fully right
    assert (org.figures("partial").precision, org.figures("partial").recall) == (0.75, 0.5)
    assert (org.figures("ent_type").precision, org.figures("ent_type").recall) == (0.5, 1.0)
    assert result.confusion == {("PER", "PER"): 1, ("PER", "ORG"): 1, ("ORG", "ORG"): 1}


def test_frequent_errors_are_counted_by_kind_and_shown_in_their_sentence():
    a = Example.from_tokens("He flew to Paris .".split(), [(3, 4, "LOC")], [(3, 4, "ORG")], where="f:1")
    b = Example.from_tokens("Paris was cold".split(), [(0, 1, "LOC")], [(0, 1, "ORG"), (2, 3, "MISC")], where="f:7")
    result = analyse(a, b, top=5)
    first, second = result.frequent
    assert (first.category, first.gold, first.pred, first.count) == ("wrong_type", ("Paris", "LOC"), ("Paris", "ORG"), 2)
    assert (first.text, first.gold_span, first.pred_span, first.where) == ("He flew to Paris .", (11, 16, "LOC"),
                                                                          (11, 16, "ORG"), "f:1")
    assert (second.category, second.gold, second.pred, second.text[slice(*second.pred_span[:2])]) == (
        "spurious", None, ("cold", "MISC"), "cold")
    assert analyse(a, b, top=1).frequent == (first,)


def test_a_long_sentence_is_cut_around_the_error():
    words = [f"w{i}" for i in range(200)]
    result = analyse(Example.from_tokens(words, [(100, 101, "PER")], []))
    (error,) = result.frequent
    assert error.text.startswith("... ") and error.text.endswith(" ...") and len(error.text) < 200
    assert error.text[error.gold_span[0]:error.gold_span[1]] == "w100"


# --------------------------------------------------------------------------- brute force


def brute_force_pairs(gold, pred):
    """Every one-to-one pairing of overlapping entities, and the best: compare the pairs'
    preference keys best first (more pairs win a tie), the order the docstring promises."""
    gold, pred = sorted(set(gold)), sorted(set(pred))

    def units(span):
        return set(range(span[0], span[1]))

    def kind(g, p):
        rank = ["correct", "wrong_type", "wrong_boundary", "wrong_both"]
        same_span, same_type = units(g) == units(p), g[2] == p[2]
        return rank[(0 if same_span else 2) + (0 if same_type else 1)]

    edges = [(g, p) for g in gold for p in pred if units(g) & units(p)]
    order = ["correct", "wrong_type", "wrong_boundary", "wrong_both"]

    def key(edge):
        g, p = edge
        return (0, order.index(kind(g, p)), -len(units(g) & units(p)), g, p)

    def matchings(rest, used_g, used_p):
        if not rest:
            yield []
            return
        (g, p), tail = rest[0], rest[1:]
        yield from matchings(tail, used_g, used_p)
        if g not in used_g and p not in used_p:
            for m in matchings(tail, used_g | {g}, used_p | {p}):
                yield [(g, p), *m]

    width = len(edges) + 1
    best = min(matchings(edges, frozenset(), frozenset()),
               key=lambda m: sorted(key(e) for e in m) + [(1,)] * (width - len(m)))
    out = {(kind(g, p), g, p) for g, p in best}
    out |= {("missed", g, None) for g in gold if all(g != x for x, _ in best)}
    out |= {("spurious", None, p) for p in pred if all(p != y for _, y in best)}
    return out


def scheme_figures(pairs, scheme):
    """SemEval-2013 9.1 figures from COR/INC/PAR/MIS/SPU, as Batista's post defines them."""
    cor = inc = par = mis = spu = 0
    for cat, _, _ in pairs:
        if cat == "missed":
            mis += 1
        elif cat == "spurious":
            spu += 1
        elif (scheme, cat) in {("strict", "correct"), ("exact", "correct"), ("exact", "wrong_type"),
                               ("partial", "correct"), ("partial", "wrong_type"), ("ent_type", "correct"),
                               ("ent_type", "wrong_boundary")}:
            cor += 1
        elif scheme == "partial":
            par += 1
        else:
            inc += 1
    possible, actual = cor + inc + par + mis, cor + inc + par + spu
    credit = cor + 0.5 * par
    p = credit / actual if actual else 0.0
    r = credit / possible if possible else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


LABELS = ["PER", "LOC", "ORG"]
any_span = st.integers(0, 9).flatmap(lambda s: st.tuples(st.just(s), st.integers(s + 1, 10), st.sampled_from(LABELS)))


@settings(max_examples=300, deadline=None)
@given(st.lists(any_span, max_size=5), st.lists(any_span, max_size=5))
def test_pairing_is_the_best_of_all_pairings(gold, pred):
    # spans may overlap on one side here too: the rule does not depend on it
    assert pairs_of(gold, pred) == brute_force_pairs(gold, pred)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(spans_and_length(LABELS, 10), spans_and_length(LABELS, 10)), max_size=4))
def test_scheme_figures_agree_with_a_plain_computation(sentences):
    examples, expected = [], []
    for (gold, n), (pred, m) in sentences:
        examples.append(Example.from_tokens(["w"] * max(n, m), gold, pred))
        expected += brute_force_pairs(gold, pred)
    result = analyse(*examples)
    for scheme in SCHEMES:
        f = result.overall.figures(scheme)
        assert (f.precision, f.recall, f.f1) == pytest.approx(scheme_figures(expected, scheme)), scheme
    cats = result.overall.as_gold
    assert cats.pairs + cats.missed == sum(len(set(g)) for (g, _), _ in sentences)
    assert cats.pairs + cats.spurious == sum(len(set(p)) for _, (p, _) in sentences)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10).flatmap(lambda n: st.tuples(*[any_tags(prefixes="BIO", labels=LABELS)] * 2)), max_size=5))
def test_strict_is_conlleval(raw):
    sentences = [(g[: min(len(g), len(p))], p[: min(len(g), len(p))]) for g, p in raw]
    score = score_pairs(sentences)
    result = analyse(*(Example.from_tokens(["w"] * len(g), conlleval_chunks(g), conlleval_chunks(p)) for g, p in sentences))
    cats = result.overall.as_gold
    assert (cats.correct, cats.pairs + cats.missed, cats.pairs + cats.spurious) == (
        score.overall.correct, score.overall.gold, score.overall.predicted)
    for label, t in score.types.items():
        f = result.types[label].figures("strict")
        assert (f.precision, f.recall) == pytest.approx((t.precision, t.recall))


# --------------------------------------------------------------------------- nervaluate


def nervaluate_counts(docs):
    nervaluate = pytest.importorskip("nervaluate", reason="nervaluate (pip install -e '.[test]', Python >= 3.11) is absent")

    def entities(spans):  # nervaluate's ends are inclusive
        return [{"label": label, "start": s, "end": e - 1} for s, e, label in spans]

    evaluator = nervaluate.Evaluator([entities(g) for g, _ in docs], [entities(p) for _, p in docs], tags=LABELS, loader="dict")
    return evaluator.evaluate()["overall"]


def single_overlaps(gold, pred):
    """No entity overlaps two on the other side (there nervaluate pairs in input order)."""
    def overlaps(a, b):
        return a[0] < b[1] and b[0] < a[1]
    return all(sum(overlaps(g, p) for p in pred) <= 1 for g in gold) and all(sum(overlaps(g, p) for g in gold) <= 1 for p in pred)


def test_batista_example_through_nervaluate():
    overall = nervaluate_counts([([(0, 1, "PER"), (3, 4, "LOC"), (4, 5, "LOC"), (5, 6, "LOC"), (6, 7, "LOC"), (8, 9, "ORG")],
                                  [(1, 2, "PER"), (2, 4, "LOC"), (4, 5, "PER"), (5, 6, "LOC"), (6, 7, "LOC"), (7, 9, "LOC")])])
    for scheme, (counts, figure) in BATISTA_COUNTS.items():
        r = overall[scheme]
        assert (r.correct, r.incorrect, r.partial, r.missed, r.spurious) == counts
        assert r.precision == pytest.approx(figure)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(spans_and_length(LABELS, 10), spans_and_length(LABELS, 10)), min_size=1, max_size=4))
def test_overall_counts_match_nervaluate(sentences):
    docs = [(gold, pred) for (gold, _), (pred, _) in sentences]
    assume(all(single_overlaps(g, p) for g, p in docs))
    overall = nervaluate_counts(docs)
    result = analyse(*(Example.from_tokens(["w"] * 10, g, p) for g, p in docs))
    for scheme in SCHEMES:
        mine, theirs = result.overall.as_gold.scheme_counts(scheme), overall[scheme]
        assert mine == {k: getattr(theirs, k) for k in mine}, scheme
        f = result.overall.figures(scheme)
        assert (f.precision, f.recall, f.f1) == pytest.approx((theirs.precision, theirs.recall, theirs.f1)), scheme


# --------------------------------------------------------------------------- calibration


def test_calibration_by_hand():
    # five predictions against five gold entities: three right (0.95, 0.85, 0.55), two wrong (0.82, 0.45)
    cal = calibrate([0.95, 0.85, 0.82, 0.55, 0.45], [1, 1, 0, 1, 0], gold=5, thresholds=(0.0, 0.5, 0.8, 0.9),
                    targets=(0.7, 0.8, 0.99))
    filled = [(b.low, b.count, b.correct, round(b.mean_score, 6)) for b in cal.bins if b.count]
    assert filled == [(0.4, 1, 0, 0.45), (0.5, 1, 1, 0.55), (0.8, 2, 1, 0.835), (0.9, 1, 1, 0.95)]
    # (1 * |0 - .45| + 1 * |1 - .55| + 2 * |.5 - .835| + 1 * |1 - .95|) / 5
    assert cal.ece == pytest.approx((0.45 + 0.45 + 2 * 0.335 + 0.05) / 5) == pytest.approx(0.324)
    assert [(t.threshold, t.predicted, t.correct) for t in cal.thresholds] == [(0.0, 5, 3), (0.5, 4, 3), (0.8, 3, 2), (0.9, 1, 1)]
    f = cal.thresholds[1].figures
    assert (f.precision, f.recall, f.f1) == pytest.approx((0.75, 0.6, 2 * 0.75 * 0.6 / 1.35))
    # walking down: 1/1, 2/2, 2/3, 3/4, 3/5 -> 70% first holds again at 0.55; 80% and 99% only down to 0.85
    assert [(target, t.threshold, t.predicted) for target, t in cal.targets] == [(0.7, 0.55, 4), (0.8, 0.85, 2), (0.99, 0.85, 2)]
    assert calibrate([0.3], [0], gold=1, targets=(0.5,)).targets == ((0.5, None),)


def test_scores_equal_to_a_bin_edge_and_ties():
    cal = calibrate([0.0, 0.1, 0.5, 1.0, 1.0], [0, 0, 1, 1, 0], gold=3, targets=(0.6, 0.99))
    assert [b.count for b in cal.bins] == [1, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    # tied scores are kept or dropped together: at 1.0 one of two is right, so 99% is never reached
    (_, t), (_, never) = cal.targets
    assert (t.threshold, t.predicted, t.correct) == (0.5, 3, 2) and never is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000).map(lambda k: k / 10_000), st.booleans()), min_size=1, max_size=40))
def test_calibration_agrees_with_a_plain_computation(data):
    scores, right = [s for s, _ in data], [int(r) for _, r in data]
    cal = calibrate(scores, right, gold=len(data) + 3)
    ece = 0.0
    for b in range(10):
        inside = [(s, r) for s, r in data if b == min(math.floor(s * 10), 9)]
        if inside:
            ece += len(inside) / len(data) * abs(sum(r for _, r in inside) / len(inside) - sum(s for s, _ in inside) / len(inside))
    assert cal.ece == pytest.approx(ece)
    def precision_from(threshold):
        kept = [r for s, r in data if s >= threshold]
        return sum(kept) / len(kept)

    for target, t in cal.targets:
        reaching = [s for s in set(scores) if precision_from(s) >= target]
        assert (t is None and not reaching) or (t is not None and t.threshold == min(reaching))


def test_calibration_only_when_every_prediction_has_a_score():
    scored = Example("Ann met Bob", [(0, 3, "PER"), (8, 11, "PER")], [(0, 3, "PER"), (4, 7, "PER")], [0.9, 0.6])
    assert analyse(scored).calibration.ece == pytest.approx((0.1 + 0.6) / 2)
    assert analyse(scored, Example("Eve", [], [(0, 3, "PER")])).calibration is None
    assert analyse(Example("Eve", [], [])).calibration is None
    with pytest.raises(ValueError, match="not between 0 and 1"):
        analyse(Example("Eve", [], [(0, 3, "PER")], [1.5]))


def test_everything_is_json_ready():
    import json

    data = json.loads(json.dumps(analyse(BATISTA).as_dict()))
    assert data["categories"]["wrong_both"] == 1 and data["schemes"]["partial"]["partial"] == 2
    assert {"gold": "group", "predicted": "drug", "count": 1} in data["confusion"]
    assert data["frequent_errors"][0]["example"]["where"] == "" and data["calibration"] is None
    assert data["types"]["group"]["as_gold"]["wrong_both"] == 1 and data["types"]["brand"]["as_predicted"]["spurious"] == 1


def test_predictions_split_by_source():
    analyzer = ErrorAnalyzer()
    gold = [(0, 1, "PER"), (2, 3, "LOC"), (4, 6, "ORG")]
    pred = [(0, 1, "PER"), (2, 3, "ORG"), (4, 6, "ORG"), (7, 8, "PRODUCT")]
    analyzer.add(Example.from_tokens("a b c d e f g h".split(), gold, pred, sources=None))
    assert analyzer.result().sources == {}  # nobody said: no split
    analyzer.add(Example.from_tokens("a b c d e f g h".split(), gold, pred,
                                     sources=["model", "pattern:p1", "pattern", None]))
    sources = analyzer.result().sources
    assert sources["model"].correct == 1 and sources["model"].pairs + sources["model"].spurious == 1
    assert (sources["pattern"].correct, sources["pattern"].wrong_type) == (1, 1)  # "pattern:p1" counts as "pattern"
    assert sources["(not said)"].spurious == 1 + 1 and sources["(not said)"].correct == 2  # the first example's too
