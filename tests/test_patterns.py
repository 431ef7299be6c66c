import itertools
import json
import pickle

import pytest
import torch
from conftest import run_cli

import nerpipe
from nerpipe.decoding import hint_bias, transition_penalties, viterbi
from nerpipe.errors import NerpipeError
from nerpipe.patterns import Match, Patterns, shape
from nerpipe.schemes import Scheme, is_transition_allowed, scheme_tags, tags_to_spans


def tokens(text):
    return text.split()


# --------------------------------------------------------------------------- matching


def test_phrases_match_exact_tokens_only():
    p = Patterns([{"label": "ORG", "pattern": "Acme Corp."}])
    assert p.match(tokens("He joined Acme Corp. today")) == [Match(2, 4, "ORG")]
    assert p.match(tokens("He joined acme corp. today")) == []  # a phrase is exact: LOWER patterns ignore case
    assert p.match(tokens("Acme")) == []


def test_token_patterns_lower_regex_shape_and_ops():
    p = Patterns([
        {"label": "ORG", "pattern": [{"LOWER": "acme"}, {"LOWER": {"IN": ["corp", "inc"]}, "OP": "?"}]},
        {"label": "PRODUCT", "pattern": [{"TEXT": {"REGEX": r"^X\d+$"}}, {"IS_DIGIT": True, "OP": "*"}], "id": "x"},
        {"label": "MONEY", "pattern": [{"ORTH": "$"}, {"SHAPE": "dd"}]},
        {"label": "CODE", "pattern": [{"lower": "code"}, {"LENGTH": {">=": 3}, "OP": "+"}, {"TEXT": "end"}]},
        {"label": "NOT", "pattern": [{"TEXT": "no"}, {"IS_TITLE": True, "OP": "!"}]},
    ])
    assert p.match(tokens("ACME Inc and acme")) == [Match(0, 2, "ORG"), Match(3, 4, "ORG")]
    assert p.match(tokens("the X200 2 3 phone")) == [Match(1, 4, "PRODUCT", "x")]
    assert p.match(tokens("$ 12 and $ 123")) == [Match(0, 2, "MONEY")]  # SHAPE dd: two digits only
    assert p.match(tokens("code abc defg end")) == [Match(0, 4, "CODE")]
    assert p.match(tokens("code ab end")) == []
    assert p.match(tokens("no way no Way")) == [Match(0, 2, "NOT")]
    # a LOWER value with capitals means the lower-cased word, by hash or by test
    assert Patterns([{"label": "ORG", "pattern": [{"LOWER": "Acme"}]}]).match(["ACME"]) == [Match(0, 1, "ORG")]
    assert Patterns([{"label": "ORG", "pattern": [{"LOWER": "Acme", "OP": "+"}]}]).match(["ACME", "acme"]) == [Match(0, 2, "ORG")]


def test_many_regex_patterns_screened_together_still_match_each():
    p = Patterns([{"label": f"L{k}", "pattern": [{"TEXT": {"REGEX": f"^w{k}$"}}, {"LOWER": "x"}]} for k in range(50)]
                 + [{"label": "BACK", "pattern": [{"TEXT": {"REGEX": r"^(a)\1$"}}]}])  # a back-reference: no screen
    assert p.match(["w7", "X", "w49", "x", "w7", "y", "aa"]) == [Match(0, 2, "L7"), Match(2, 4, "L49"), Match(6, 7, "BACK")]


def test_overlaps_longest_then_earliest_then_first_in_file():
    p = Patterns([
        {"label": "LOC", "pattern": "New York"},
        {"label": "ORG", "pattern": "New York Times"},
        {"label": "PER", "pattern": "York Times"},
        {"label": "MISC", "pattern": "New York"},  # the same phrase again: the first one wins
        {"label": "A", "pattern": "x y"},
        {"label": "B", "pattern": "y z"},
    ])
    assert p.match(tokens("the New York Times and New York")) == [Match(1, 4, "ORG"), Match(5, 7, "LOC")]
    assert p.match(tokens("x y z")) == [Match(0, 2, "A")]  # as long: the earlier one


def test_shape_as_spacy_writes_it():
    assert [shape(t) for t in ["Apple", "C3PO", "1984", "don't", "ABCDEFG", "x"]] == \
        ["Xxxxx", "XdXX", "dddd", "xxx'x", "XXXX", "x"]


def test_labels_and_no_entity():
    p = Patterns([{"label": "O", "pattern": "May"}, {"label": "ORG", "pattern": "Acme"}])
    assert p.labels == {"ORG"}
    assert p.match(["May"]) == [Match(0, 1, "O")]


@pytest.mark.parametrize("line, message", [
    ("not json", "not JSON"),
    ('["ORG", "Acme"]', "expected a JSON object"),
    ('{"label": "ORG"}', '"pattern" must be a phrase'),
    ('{"label": "ORG", "pattern": []}', '"pattern" must be a phrase'),
    ('{"label": "ORG", "pattern": "  "}', "holds no token"),
    ('{"label": "", "pattern": "Acme"}', '"label" must be an entity type'),
    ('{"label": "B C", "pattern": "Acme"}', '"label" must be an entity type'),
    ('{"label": "ORG", "pattern": "Acme", "kind": 1}', "unknown key 'kind'"),
    ('{"label": "ORG", "pattern": [{"COLOUR": "red"}]}', "unknown attribute 'COLOUR'"),
    ('{"label": "ORG", "pattern": [{"TEXT": {"REGEX": "("}}]}', "bad regular expression"),
    ('{"label": "ORG", "pattern": [{"TEXT": "a", "OP": "++"}]}', '"OP" must be one of'),
    ('{"label": "ORG", "pattern": [{"TEXT": "a", "OP": "*"}]}', "would match no token"),
    ('{"label": "ORG", "pattern": [{"LENGTH": "3"}]}', "LENGTH: expected a number"),
    ('{"label": "ORG", "pattern": [{"IS_DIGIT": 1}]}', "must be true or false"),
    ('{"label": "B-ORG", "pattern": "Acme"}', "an entity type, not a tag: 'ORG'"),
    ('{"label": "ORG", "pattern": [{"LENGTH": {">=": true}}]}', "LENGTH: expected a number"),
    ('{"label": "ORG", "pattern": "Acme", "id": true}', '"id" must be a string'),
])
def test_bad_patterns_are_located_errors(tmp_path, line, message):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": "ORG", "pattern": "Fine"}\n\n' + line + "\n")
    with pytest.raises(NerpipeError) as err:
        Patterns.load(str(path))
    assert str(err.value).startswith(f"{path}:3: ") and message in str(err.value)


def test_a_line_that_is_not_utf8_is_located(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"label": "ORG", "pattern": "Acme"}\r\n{"label": "ORG", "pattern": "Caf\xe9"}\n')
    with pytest.raises(NerpipeError, match=rf"^{path}:2: not UTF-8"):
        Patterns.load(str(path))


def test_back_references_still_match_beside_other_regular_expressions():
    p = Patterns([{"label": "A", "pattern": [{"TEXT": {"REGEX": r"^(a)\1$"}}]},
                  {"label": "B", "pattern": [{"TEXT": {"REGEX": r"^(b)\1$"}}]},
                  {"label": "C", "pattern": [{"TEXT": {"REGEX": r"^(?P<x>c)(?P=x)$"}}]},
                  {"label": "D", "pattern": [{"TEXT": {"REGEX": r"^d+$"}}]}])
    assert p.match(["bb", "aa", "cc", "ddd", "ab"]) == [Match(0, 1, "B"), Match(1, 2, "A"), Match(2, 3, "C"), Match(3, 4, "D")]


def test_a_bom_is_no_problem_and_patterns_pickle(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('\ufeff{"label": "ORG", "pattern": [{"TEXT": {"REGEX": "^Ac"}}]}\n', encoding="utf-8")
    p = pickle.loads(pickle.dumps(Patterns.load(str(path))))  # tag --workers under spawn ships them
    assert len(p) == 1 and p.match(["Acme"]) == [Match(0, 1, "ORG")]


# --------------------------------------------------------------------------- inside the decoder


def _allowed(path, tags, scheme):
    names = [tags[k] for k in path]
    return all(is_transition_allowed(scheme, a, b) for a, b in zip([None, *names], [*names, None]))


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("seed", range(4))
def test_forced_hints_give_the_best_path_that_honours_them(scheme, seed):
    """Against brute force: the decoded path is the best well-formed one in which each
    forced span is exactly one entity of its label (or, for O and unknown labels, inside
    no entity)."""
    g = torch.Generator().manual_seed(seed)
    tags = scheme_tags(["A", "B"], scheme)
    n = 4
    pairs, start, end = transition_penalties(tags, scheme)
    trans = pairs + torch.randn(len(tags), len(tags), generator=g)
    emissions = torch.randn(1, n, len(tags), generator=g) * 3
    hint_sets = [[(1, 3, "A", None)], [(0, 1, "B", None), (2, 4, "A", None)], [(1, 2, "O", None)],
                 [(0, 2, "NEW", None)], [(3, 4, "B", None)]]
    for hints in hint_sets:
        bias = hint_bias([hints], n, tags, scheme)
        path = viterbi(emissions + bias, torch.ones(1, n, dtype=torch.bool), trans, start, end)[0].tolist()

        def honours(p, hints=hints):
            spans = tags_to_spans([tags[k] for k in p])
            for s, e, label, _ in hints:
                if label in ("A", "B"):
                    if (s, e, label) not in spans:
                        return False
                    # IOB1 only tells two entities of a type apart where they touch by the second's B: the
                    # decoder keeps the token before a match out of its type instead (a unary constraint)
                    if scheme is Scheme.IOB1 and s > 0 and tags[p[s - 1]].endswith(f"-{label}"):
                        return False
                elif any(a < e and s < b for a, b, _ in spans):
                    return False
            return True

        def score(p):
            return start[p[0]] + end[p[-1]] + sum(emissions[0, t, p[t]] for t in range(n)) \
                + sum(trans[p[t - 1], p[t]] for t in range(1, n))

        candidates = [p for p in itertools.product(range(len(tags)), repeat=n) if _allowed(p, tags, scheme) and honours(p)]
        best = max(candidates, key=score)
        assert honours(path) and _allowed(path, tags, scheme), (hints, [tags[k] for k in path])
        assert score(path).item() == pytest.approx(score(best).item(), abs=1e-4)


def test_a_bonus_only_leans():
    tags = scheme_tags(["A"], Scheme.IOBES)
    bias = hint_bias([[(0, 2, "A", 2.5)]], 3, tags, Scheme.IOBES)
    assert bias[0, 0, tags.index("B-A")] == 2.5 and bias[0, 1, tags.index("E-A")] == 2.5
    assert bias.abs().sum() == 5.0


# --------------------------------------------------------------------------- the tagger and the command

SENTENCE = "Theresa May met Acme Corp executives in Springfield to sell the X200 phone .".split()


@pytest.fixture(scope="module")
def tagger():
    return nerpipe.load_model()


def test_tagger_forces_matches_and_says_so(tagger):
    plain = tagger.predict([SENTENCE], scores=True)[0]
    assert plain.sources is None
    tagger.patterns = Patterns([
        {"label": "ORG", "pattern": "Corp executives"},  # against the model: "Acme Corp" is its ORG
        {"label": "PRODUCT", "pattern": [{"TEXT": {"REGEX": r"^X\d+$"}}], "id": "x"},  # a type it does not know
        {"label": "O", "pattern": "Springfield"},
    ])
    try:
        pred = tagger.predict([SENTENCE], scores=True)[0]
    finally:
        tagger.patterns = None
    spans = dict(((s, e, label), (score, source)) for (s, e, label), score, source in zip(pred.spans, pred.scores, pred.sources))
    assert spans[(4, 6, "ORG")] == (1.0, "pattern")
    assert spans[(11, 12, "PRODUCT")] == (1.0, "pattern:x")
    assert not any(s <= 7 < e for s, e, _ in pred.spans)  # Springfield: never an entity
    assert (3, 4, "ORG") not in spans or spans[(3, 4, "ORG")][1] == "model"
    assert pred.tags[4:6] == ["B-ORG", "I-ORG"] and pred.tags[11] == "B-PRODUCT"
    assert all(source == "model" for (s, e, label), (score, source) in spans.items() if (s, e) not in ((4, 6), (11, 12)))
    assert tagger.labels[-1] == "ORG" or "PRODUCT" not in tagger.labels  # patterns gone again


def test_prefer_model_keeps_a_confident_span(tagger):
    words = "Angela Merkel visited Paris .".split()
    patterns = [{"label": "ORG", "pattern": "Merkel visited"}, {"label": "MISC", "pattern": "."}]
    by_pattern = nerpipe.load_model(patterns=patterns).predict([words])[0]
    by_model = nerpipe.load_model(patterns=patterns, prefer="model").predict([words])[0]
    assert (1, 3, "ORG") in by_pattern.spans and (0, 1, "PER") in by_pattern.spans
    assert (0, 2, "PER") in by_model.spans and (1, 3, "ORG") not in by_model.spans
    assert (4, 5, "MISC") in by_model.spans  # no model span there: the pattern still goes in
    with pytest.raises(ValueError, match="prefer"):
        nerpipe.load_model(patterns=patterns, prefer="rules")


def test_patterns_in_long_sentences_and_windows(tagger):
    long = ["word"] * 1200
    long[700:702] = ["Acme", "Corp"]
    t = nerpipe.load_model(patterns=[{"label": "ORG", "pattern": "Acme Corp"}])
    pred = t.predict([long])[0]
    assert (700, 702, "ORG") in pred.spans
    assert pred.sources[pred.spans.index((700, 702, "ORG"))] == "pattern"


def test_a_match_longer_than_a_window_is_found_as_in_one_piece():
    t = nerpipe.load_model(patterns=[{"label": "CODE", "pattern": [{"IS_UPPER": True, "OP": "+"}]}])
    words = "we saw that it was AB CD EF GH IJ KL and more words here and there to fill a window or two".split()
    whole = t.predict([words], scores=True)[0]
    t.window, t.overlap = 10, 4  # the match runs across a cut
    cut = t.predict([words], scores=True)[0]
    assert whole.spans == cut.spans == [(5, 11, "CODE")] and cut.sources == ["pattern"] and cut.scores == [1.0]


def test_cli_patterns_in_every_output(tmp_path):
    patterns = tmp_path / "p.jsonl"
    patterns.write_text("\n".join(json.dumps(p) for p in [
        {"label": "PRODUCT", "pattern": [{"TEXT": {"REGEX": r"^X\d+$"}}]},
        {"label": "ORG", "pattern": "Acme Corp"}]) + "\n")
    text = "Theresa May met Acme Corp executives to sell the X200 phone.\n"
    out = run_cli(["tag", "--patterns", str(patterns), "-f", "jsonl"], input=text)
    assert out.exit_code == 0, out.output
    spans = json.loads(out.stdout)["spans"]
    assert {(s["label"], s["source"]) for s in spans} >= {("PRODUCT", "pattern"), ("ORG", "pattern"), ("PER", "model")}
    tsv = run_cli(["tag", "--patterns", str(patterns), "-f", "tsv", "--labels", "product"], input=text).stdout.splitlines()
    assert tsv[0].split("\t")[-1] == "by" and len(tsv) == 2 and tsv[1].split("\t")[4:] == ["PRODUCT", "1.0000", "X200", "pattern"]
    page = run_cli(["tag", "--patterns", str(patterns), "-f", "html"], input=text).stdout
    assert 'title="PRODUCT 1.00 from pattern"' in page
    many = "\n".join([text] * 3)
    one = run_cli(["tag", "--patterns", str(patterns), "-f", "jsonl"], input=many)
    parallel = run_cli(["tag", "--patterns", str(patterns), "-f", "jsonl", "-j", "2"], input=many)
    assert parallel.exit_code == 0 and parallel.stdout == one.stdout and one.stdout.count('"source": "pattern"') == 6
    plain = run_cli(["tag", "-f", "jsonl"], input=text)
    assert '"source"' not in plain.stdout  # without patterns nothing changes


def test_cli_pattern_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "ORG", "pattern": "Acme"}\n{"label": "ORG"\n')
    out = run_cli(["tag", "--patterns", str(bad)], input="Acme\n")
    assert out.exit_code == 1 and f"{bad}:2: not JSON" in out.output and "Traceback" not in out.output
    out = run_cli(["tag", "--prefer", "model"], input="Acme\n")
    assert out.exit_code == 2 and "goes with --patterns" in out.output


def test_the_readme_example():
    from pathlib import Path

    patterns = Path(__file__).resolve().parents[1] / "examples" / "products.jsonl"
    out = run_cli(["tag", "--patterns", str(patterns), "-f", "tsv"], input="Acme sold the X200 and Apple Pie in Paris.\n")
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert [(r[4], r[6], r[7]) for r in rows] == [("label", "text", "by"), ("ORG", "Acme", "model"),
                                                  ("PRODUCT", "X200", "pattern"), ("LOC", "Paris", "model")]


def test_score_errors_split_by_source(tmp_path):
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "PRODUCT", "pattern": "X200"}\n{"label": "ORG", "pattern": "Corp executives"}\n')
    gold = json.dumps({"text": "Theresa May met Acme Corp executives to sell the X200 phone.",
                       "spans": [{"start": 0, "end": 11, "label": "PER"}, {"start": 16, "end": 25, "label": "ORG"}]})
    tagged = run_cli(["tag", "--patterns", str(patterns)], input=gold + "\n").stdout
    report = run_cli(["score", "--errors"], input=tagged).stdout
    assert "predictions by what found them" in report
    rows = {line.split()[0]: line.split() for line in report.splitlines() if line.startswith(("model ", "pattern "))}
    assert rows["pattern"][1:3] == ["2", "0"]  # two predicted by patterns, neither correct (X200 spurious, a wrong boundary)
    as_json = json.loads(run_cli(["score", "--errors", "--format", "json"], input=tagged).stdout)
    assert as_json["errors"]["sources"]["pattern"]["spurious"] == 1
    plain = run_cli(["score", "--errors"], input=run_cli(["tag"], input=gold + "\n").stdout).stdout
    assert "predictions by what found them" not in plain
