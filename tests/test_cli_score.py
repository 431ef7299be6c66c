import json
from html.parser import HTMLParser

import pytest
from browser import parse_html, read_png, render, requires_browser, screenshot
from conftest import run_cli

GOLD = "Ann B-PER\nmet O\nBob B-PER\n\nin O\nOslo B-LOC\n"
PRED = "Ann B-PER\nmet O\nBob O\n\nin O\nOslo B-LOC\n"
CONLLEVAL = "Ann NNP B-PER B-PER\nmet VB O O\nBob NNP B-PER O\n\nin IN O O\nOslo NNP B-LOC B-LOC\n"


def test_two_files(tmp_path):
    (tmp_path / "g").write_text(GOLD)
    (tmp_path / "p").write_text(PRED)
    result = run_cli(["score", str(tmp_path / "g"), str(tmp_path / "p"), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["support"], data["predicted"], data["correct"]) == (3, 2, 2)
    assert data["types"]["PER"]["recall"] == 0.5


def test_stdin_in_conlleval_layout():
    result = run_cli(["score", "--format", "conlleval"], input=CONLLEVAL)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "processed 5 tokens with 3 phrases; found: 2 phrases; correct: 2."
    assert result.stdout.splitlines()[1] == "accuracy:  80.00%; precision: 100.00%; recall:  66.67%; FB1:  80.00"


def test_plain_text_report_in_a_pipe():
    result = run_cli(["score"], input=CONLLEVAL)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["type", "precision", "recall", "f1", "support", "predicted", "correct"]
    assert lines[-2].split() == ["overall", "100.00", "66.67", "80.00", "3", "2", "2"]


def test_table_format():
    result = run_cli(["score", "--format", "table"], input=CONLLEVAL)
    assert result.exit_code == 0 and "overall" in result.stdout and "80.00" in result.stdout


def test_strict_needs_scheme():
    assert run_cli(["score", "--strict"], input=CONLLEVAL).exit_code == 2
    result = run_cli(["score", "--strict", "--scheme", "iob2", "--format", "json"], input=CONLLEVAL)
    assert json.loads(result.stdout)["mode"] == "strict iob2"


def test_mismatch_and_empty(tmp_path):
    (tmp_path / "g").write_text(GOLD)
    (tmp_path / "p").write_text(GOLD.replace("Oslo", "Bergen"))
    result = run_cli(["score", str(tmp_path / "g"), str(tmp_path / "p")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'g'}:6: the files part here" in result.stderr
    result = run_cli(["score", "--format", "json"], input="")
    assert result.exit_code == 0 and json.loads(result.stdout)["f1"] == 0.0


def test_wrong_columns_and_bad_tag():
    result = run_cli(["score"], input="a O O\nb O\n")
    assert result.exit_code == 1 and "<stdin>:2: expected 3 columns" in result.stderr
    result = run_cli(["score"], input="a O PERSON\n")
    assert result.exit_code == 1 and "<stdin>:1: tag 'PERSON' fits no tag scheme" in result.stderr


# --------------------------------------------------------------------------- --errors

ERRORS = ("He PRP O O\nflew VBD O O\nto TO O O\nParis NNP B-LOC B-ORG\nwith IN O O\nAT&T NNP B-ORG O\n\n"
          "<script>alert(1)</script> NNP B-PER B-PER\nmet VBD O O\nNew NNP B-LOC B-LOC\nYork NNP I-LOC O\n\n"
          "Paris NNP B-LOC B-ORG\nagain RB O B-MISC\n")


def test_errors_follow_the_unchanged_report():
    plain = run_cli(["score"], input=ERRORS).stdout
    result = run_cli(["score", "--errors"], input=ERRORS)
    assert result.exit_code == 0 and result.stdout.startswith(plain)
    lines = result.stdout[len(plain):].splitlines()
    assert lines[lines.index("type     correct  wrong type  wrong boundary  wrong both  missed  spurious") + 1:][:6] == [
        "LOC            0           2               1           0       0         0",
        "MISC           0           0               0           0       0         1",
        "ORG            0           0               0           0       1         0",
        "PER            1           0               0           0       0         0",
        "overall        1           2               1           0       1         1",
        "",
    ]
    at = lines.index("  1. 2 x wrong type: \"Paris\" LOC -> ORG    <stdin>:1")
    assert lines[at + 1: at + 3] == ["     gold: He flew to [[Paris]]LOC with AT&T", "     pred: He flew to {{Paris}}ORG with AT&T"]
    assert "     gold: <script>alert(1)</script> met [[New York]]LOC" in lines
    assert "     pred: <script>alert(1)</script> met {{New}}LOC York" in lines
    assert "calibration" not in result.stdout  # CoNLL carries no scores


def test_errors_in_json_add_one_key():
    plain = json.loads(run_cli(["score", "--format", "json"], input=ERRORS).stdout)
    data = json.loads(run_cli(["score", "--format", "json", "--errors", "--top", "1"], input=ERRORS).stdout)
    errors = data.pop("errors")
    assert data == plain and "errors" not in plain
    assert errors["categories"] == {"correct": 1, "wrong_type": 2, "wrong_boundary": 1, "wrong_both": 0, "missed": 1,
                                    "spurious": 1}
    assert errors["schemes"]["strict"]["precision"] == plain["precision"] and errors["schemes"]["partial"]["partial"] == 1
    assert [e["count"] for e in errors["frequent_errors"]] == [2] and errors["calibration"] is None


def test_errors_after_conlleval_and_in_a_terminal_table():
    plain = run_cli(["score", "--format", "conlleval"], input=ERRORS).stdout
    assert run_cli(["score", "--format", "conlleval", "--errors"], input=ERRORS).stdout.startswith(plain + "\nerror categories")
    table = run_cli(["score", "--format", "table", "--errors"], input=ERRORS).stdout
    assert "type confusion" in table and "[[Paris]]LOC" in table and "{{Paris}}ORG" in table


def test_top_needs_errors():
    result = run_cli(["score", "--top", "3"], input=ERRORS)
    assert result.exit_code == 2 and "--top goes with --errors" in result.stderr


def jsonl_record(text, gold, pred, **extra):
    return json.dumps({"text": text, "spans": [{"start": s, "end": e, "label": label} for s, e, label in gold],
                       "predicted_spans": [{"start": s, "end": e, "label": label, "score": score}
                                           for s, e, label, score in pred], **extra}) + "\n"


SCORED = jsonl_record("Ann met Bob in Oslo", [(0, 3, "PER"), (8, 11, "PER"), (15, 19, "LOC")],
                      [(0, 3, "PER", 0.9), (4, 7, "PER", 0.3), (8, 11, "ORG", 0.6), (15, 19, "LOC", 0.8)])


def test_calibration_of_scored_jsonl(tmp_path):
    (tmp_path / "p.jsonl").write_text(SCORED)
    data = json.loads(run_cli(["score", "--errors", "--format", "json", str(tmp_path / "p.jsonl")]).stdout)
    cal = data["errors"]["calibration"]
    # right: Ann (0.9) and Oslo (0.8); wrong: met (0.3), Bob as ORG (0.6); each alone in its bin
    assert cal["ece"] == pytest.approx((0.1 + 0.3 + 0.6 + 0.2) / 4)
    at = {t["threshold"]: (t["predicted"], t["correct"]) for t in cal["thresholds"]}
    assert at[0.0] == (4, 2) and at[0.5] == (3, 2) and at[0.7] == (2, 2) and at[0.9] == (1, 1)
    assert [(t["precision"], t["min_score"]) for t in cal["targets"]] == [(0.8, 0.8), (0.9, 0.8), (0.95, 0.8), (0.99, 0.8)]
    text = run_cli(["score", "--errors", str(tmp_path / "p.jsonl")]).stdout
    assert "calibration: ECE 0.3000 over 4 scored predictions" in text
    assert '     pred: Ann met {{Bob}}ORG in Oslo' in text


def test_calibration_with_a_separate_prediction_file(tmp_path):
    (tmp_path / "g.jsonl").write_text(json.dumps({"text": "Ann met Bob", "spans": [{"start": 0, "end": 3, "label": "PER"}]}) + "\n")
    (tmp_path / "p.jsonl").write_text(json.dumps({"text": "Ann met Bob", "spans": [
        {"start": 8, "end": 11, "label": "PER", "score": 0.7}, {"start": 0, "end": 3, "label": "PER", "score": 0.95}]}) + "\n")
    data = json.loads(run_cli(["score", "--errors", "--format", "json", str(tmp_path / "g.jsonl"), str(tmp_path / "p.jsonl")]).stdout)
    assert data["errors"]["calibration"]["ece"] == pytest.approx((0.05 + 0.7) / 2)


def test_a_bad_span_score_is_located_only_when_analysing(tmp_path):
    (tmp_path / "p.jsonl").write_text(SCORED + SCORED.replace("0.9", "1.5"))
    result = run_cli(["score", "--errors", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 1 and f"{tmp_path / 'p.jsonl'}:2: span score 1.5 is not a number between 0 and 1" in result.stderr
    assert run_cli(["score", str(tmp_path / "p.jsonl")]).exit_code == 0


class Page(HTMLParser):
    """What a browser would build: elements by tag, the classes of marks, and the text."""

    def __init__(self):
        super().__init__()
        self.tags, self.marks, self.text, self.open = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "mark":
            self.marks.append(attrs.get("class"))
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_page(tmp_path):
    path = tmp_path / "a<b&c.conll"
    path.write_text(ERRORS)
    result = run_cli(["score", "--format", "html", str(path)])  # html implies --errors
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    page = Page()
    page.feed(result.stdout)
    page.close()
    assert page.open == [] and "script" not in page.tags
    assert page.tags.count("table") == 4  # conlleval, categories, schemes, confusion
    assert page.tags.count("li") == 4  # wrong type (twice), missed, wrong boundary, spurious
    assert page.marks.count("gold") == 1 + 3 and page.marks.count("pred") == 1 + 3  # the legend, then errors with that side
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text and "AT&T" in text and "a<b&c.conll" in text
    assert "&lt;script&gt;" in result.stdout and "AT&amp;T" in result.stdout and "a&lt;b&amp;c.conll" in result.stdout


def test_html_page_of_scored_jsonl_has_calibration_tables(tmp_path):
    (tmp_path / "p.jsonl").write_text(SCORED)
    page = Page()
    page.feed(run_cli(["score", "--format", "html", str(tmp_path / "p.jsonl")]).stdout)
    assert page.tags.count("table") == 7 and "calibration: ECE 0.3000 over 4 scored predictions (right: a strict match)" in page.text


@pytest.mark.slow
@requires_browser
def test_html_page_renders_in_a_real_browser(tmp_path):
    path = tmp_path / "a<b&c.conll"
    path.write_text(ERRORS)
    page = tmp_path / "errors.html"
    page.write_text(run_cli(["score", "--format", "html", str(path)]).stdout)
    dom = parse_html(render(page))
    assert not list(dom.iter("script")) and not [e for e in dom.iter() if {"src", "href"} & set(e.attrs)]
    assert len(list(dom.iter("table"))) == 4
    text = dom.text()
    assert "<script>alert(1)</script>" in text and "AT&T" in text and "a<b&c.conll" in text  # shown as text
    marks = list(dom.iter("mark"))
    assert {"gold", "pred"} <= {c for m in marks for c in m.classes()}
    assert all(m.iter("span") for m in marks)  # every mark carries its label
    image = read_png(screenshot(page, tmp_path / "errors.png", width=800, height=600))
    assert len(image.colours()) > 50  # drawn, not blank


def test_token_accuracy_is_the_same_from_jsonl_and_conll(tmp_path):
    # two people side by side, predicted as one: the second token's tag is wrong (B- against I-)
    (tmp_path / "g.conll").write_text("Ann B-PER\nBob B-PER\nmet O\nEve B-PER\n")
    (tmp_path / "p.conll").write_text("Ann B-PER\nBob I-PER\nmet O\nEve B-PER\n")
    (tmp_path / "p.jsonl").write_text(jsonl_record("Ann Bob met Eve", [(0, 3, "PER"), (4, 7, "PER"), (12, 15, "PER")],
                                                   [(0, 7, "PER", 0.9), (12, 15, "PER", 0.9)]))
    conll = json.loads(run_cli(["score", "--format", "json", str(tmp_path / "g.conll"), str(tmp_path / "p.conll")]).stdout)
    jsonl = json.loads(run_cli(["score", "--format", "json", str(tmp_path / "p.jsonl")]).stdout)
    assert conll["accuracy"] == jsonl["accuracy"] == 0.75
    assert (conll["correct"], conll["predicted"], conll["support"]) == (jsonl["correct"], jsonl["predicted"], jsonl["support"]) == (1, 2, 3)


# One stream must hold gold and predictions: `tag` output without gold, or with its
# predictions written over the gold (--replace), once scored against itself at 100 F1.
@pytest.mark.parametrize("tag_args, stdin", [
    (["examples/doc.txt"], None),
    (["--replace", "-i", "jsonl"],
     '{"text": "Angela Merkel visited Paris.", "spans": [{"start": 0, "end": 13, "label": "ORG"}]}\n'),
])
def test_one_stream_without_predictions_is_an_error(tag_args, stdin):
    tagged = run_cli(["tag", "-f", "jsonl", *tag_args], input=stdin)
    assert tagged.exit_code == 0, tagged.stderr
    result = run_cli(["score"], input=tagged.stdout)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith('Error: <stdin>:1: no "predicted_spans" in the record')
    assert "nerpipe score GOLD PRED" in result.stderr


def test_one_stream_with_gold_and_predictions_is_scored():
    gold = '{"text": "Angela Merkel visited Paris.", "spans": [{"start": 0, "end": 13, "label": "ORG"}]}\n'
    tagged = run_cli(["tag", "-f", "jsonl", "-i", "jsonl"], input=gold)
    result = run_cli(["score", "--format", "json"], input=tagged.stdout)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["support"], data["predicted"], data["correct"]) == (1, 2, 0)  # PER and LOC predicted, gold says ORG


def test_types_that_never_meet_are_warned_of():
    # a 4-column CoNLL-2003 file whose NER column was overwritten: the chunk column is read as gold
    replaced = "Ann NNP B-NP B-PER\nmet VB B-VP O\n\nin IN B-PP O\nOslo NNP B-NP B-LOC\n"
    result = run_cli(["score"], input=replaced)
    assert result.exit_code == 0
    assert "warning: no predicted entity type is a gold one (gold: NP, PP, VP; predicted: LOC, PER)" in result.stderr
    assert "warning" not in run_cli(["score"], input=CONLLEVAL).stderr


@pytest.mark.parametrize("args, said", [
    (["--gold-col", "1"], "--gold-col and --pred-col choose the tag columns of two files"),
    (["--pred-col", "2"], "--gold-col and --pred-col choose the tag columns of two files"),
])
def test_column_options_without_two_files_are_usage_errors(args, said):
    result = run_cli(["score", *args], input=CONLLEVAL)
    assert result.exit_code == 2 and said in result.stderr


def test_conll_options_on_jsonl_are_usage_errors(tmp_path):
    # once ignored without a word: JSONL is scored by character offsets
    record = '{"text": "Ann met Bob", "spans": [], "predicted_spans": []}\n'
    for args in (["--strict", "--scheme", "iob2"], ["--scheme", "iobes"]):
        result = run_cli(["score", *args], input=record)
        assert result.exit_code == 2 and "for CoNLL tag columns; JSONL is scored by its spans' character offsets" in result.stderr
    (tmp_path / "g.jsonl").write_text(record)
    result = run_cli(["score", "--pred-col", "1", str(tmp_path / "g.jsonl"), str(tmp_path / "g.jsonl")])
    assert result.exit_code == 2 and "--pred-col: for CoNLL tag columns" in result.stderr


def test_an_empty_input_is_scored_with_a_warning():
    result = run_cli(["score"], input="")
    assert result.exit_code == 0 and "warning: nothing to score: the input holds no sentences" in result.stderr


def test_tagged_output_tagged_again_is_flagged():
    # the second tag takes the first one's predictions for gold: score would then give 100 F1
    first = run_cli(["tag", "-f", "jsonl", "examples/doc.txt"])
    second = run_cli(["tag", "-f", "jsonl", "-i", "jsonl"], input=first.stdout)
    assert second.exit_code == 0
    assert 'warning: <stdin>:1: the input\'s "spans" carry scores, as predictions do' in second.stderr


def test_a_file_scored_against_itself_and_gold_without_entities_are_warned_of(tmp_path):
    (tmp_path / "g").write_text(GOLD)
    result = run_cli(["score", str(tmp_path / "g"), str(tmp_path / "g")])
    assert result.exit_code == 0 and "is scored against itself" in result.stderr
    result = run_cli(["score"], input="Ann O O\nmet O B-PER\n")
    assert "warning: the gold data holds no entity in 2 tokens" in result.stderr


def test_tokens_where_tags_should_be_say_what_one_input_holds():
    tagged = run_cli(["tag", "-f", "conll", "examples/doc.txt"]).stdout  # tokens and predictions: no gold column
    result = run_cli(["score"], input=tagged)
    assert result.exit_code == 1
    assert "fits no tag scheme" in result.stderr and "one CoNLL input holds gold and predicted tags in its last two" in result.stderr
    assert "--tag-col" not in result.stderr  # score has no such option


@pytest.mark.parametrize("command", [["score"], ["train", "-o", "m.pt"]])
def test_plain_text_where_annotations_are_needed_is_said_to_be_plain_text(command, tmp_path):
    result = run_cli([*command[:1], "examples/doc.txt", *command[1:]])
    assert result.exit_code == 1 and "it looks like plain text, which holds no annotations" in result.stderr


def test_spacy_json_against_conll_gold_through_a_label_map(tmp_path):
    # spaCy's Doc.to_json() of the gold tokens: "ents" are its entities (once dropped without a word)
    (tmp_path / "gold.conll").write_text("Angela B-PER\nMerkel I-PER\nvisited O\nParis B-LOC\n. O\n")
    tokens = [{"id": 0, "start": 0, "end": 6}, {"id": 1, "start": 7, "end": 13}, {"id": 2, "start": 14, "end": 21},
              {"id": 3, "start": 22, "end": 27}, {"id": 4, "start": 28, "end": 29}]
    doc = {"text": "Angela Merkel visited Paris . ", "ents": [{"start": 0, "end": 13, "label": "PERSON"},
                                                          {"start": 22, "end": 27, "label": "GPE"}], "tokens": tokens}
    (tmp_path / "spacy.jsonl").write_text(json.dumps(doc) + "\n")
    args = ["score", "--format", "json", str(tmp_path / "gold.conll"), str(tmp_path / "spacy.jsonl")]
    mapped = run_cli([*args, "--map", "ontonotes-conll", "--map-to", "pred"])
    assert mapped.exit_code == 0, mapped.stderr
    assert json.loads(mapped.stdout)["f1"] == 1.0
    assert json.loads(run_cli(args).stdout)["f1"] == 0.0  # PERSON is not PER without the map
    doc["text"] = "Angela Merkel visited Paris."  # spaCy run on the raw text: another text, said so
    del doc["tokens"]
    (tmp_path / "spacy.jsonl").write_text(json.dumps(doc) + "\n")
    parted = run_cli(args)
    assert parted.exit_code == 1 and "the texts differ" in parted.stderr and "joined by single spaces" in parted.stderr


def test_conll_gold_against_tag_jsonl_output_with_trailing_lines(tmp_path):
    (tmp_path / "gold.conll").write_text("Angela B-PER\nMerkel I-PER\nvisited O\nParis B-LOC\n\n# the end\n\n")
    tagged = run_cli(["tag", "-f", "jsonl", str(tmp_path / "gold.conll")]).stdout
    (tmp_path / "pred.jsonl").write_text(tagged)
    scored = run_cli(["score", "--format", "json", str(tmp_path / "gold.conll"), str(tmp_path / "pred.jsonl")])
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.stdout)["f1"] == 1.0


def test_jsonl_gold_against_conll_predictions_as_the_other_way_round(tmp_path):
    (tmp_path / "gold.conll").write_text("Angela B-PER\nMerkel I-PER\nvisited O\nParis B-LOC\n\nBonn B-LOC\nsleeps O\n\n")
    (tmp_path / "pred.conll").write_text("Angela B-PER\nMerkel I-PER\nvisited O\nParis O\n\nBonn B-ORG\nsleeps O\n\n")
    (tmp_path / "gold.jsonl").write_text(run_cli(["convert", "--to", "jsonl", str(tmp_path / "gold.conll")]).stdout)
    both = [json.loads(run_cli(["score", "--format", "json", str(tmp_path / gold), str(tmp_path / "pred.conll")]).stdout)
            for gold in ("gold.conll", "gold.jsonl")]
    assert both[0]["f1"] == both[1]["f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))


def test_iobes_tags_read_by_conllevals_rules_are_warned_of(tmp_path):
    (tmp_path / "s.conll").write_text("Bonn S-LOC S-LOC\nParis S-LOC S-LOC\n\n")
    plain = run_cli(["score", str(tmp_path / "s.conll")])
    assert "tags such as S-LOC (IOBES or BILOU)" in plain.stderr and "give --scheme iobes" in plain.stderr
    assert "overall     100.00  100.00  100.00        1" in plain.stdout  # conlleval's own count: one entity
    told = run_cli(["score", "--scheme", "iobes", str(tmp_path / "s.conll")])
    assert told.stderr == "" and "overall     100.00  100.00  100.00        2" in told.stdout
    (tmp_path / "b.conll").write_text("Bonn B-LOC B-LOC\nParis B-LOC B-LOC\n\n")
    assert run_cli(["score", str(tmp_path / "b.conll")]).stderr == ""


def test_options_for_formats_not_read_are_said_and_stdin_twice_is_a_usage_error(tmp_path):
    gold = tmp_path / "g.conll"
    gold.write_text("Paris B-LOC B-LOC\n\n")
    result = run_cli(["score", "--label-names", "A,B", str(gold)])
    assert result.exit_code == 0 and "--label-names did nothing: it is for hf input or hf output" in result.stderr
    assert "did nothing" not in run_cli(["score", "--sep", "space", str(gold)]).stderr
    twice = run_cli(["score", "-", "-"], input="Paris B-LOC\n\n")
    assert twice.exit_code == 2 and "both standard input" in twice.stderr


def test_no_color_means_no_escape_sequence_in_the_table(tmp_path, monkeypatch):
    from nerpipe.pairing import score_files
    from nerpipe.views import SCORE_VIEWS

    gold = tmp_path / "g.conll"
    gold.write_text("Paris B-LOC B-LOC\n\n")
    monkeypatch.setenv("FORCE_COLOR", "1")  # (as on a terminal: click strips styles from a pipe itself)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in SCORE_VIEWS["table"](score_files(gold), "t")  # bold headers, an italic title
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in SCORE_VIEWS["table"](score_files(gold), "t")


def test_tagged_jsonl_of_conll_ending_in_a_blank_line_scores_as_one_stream():
    tagged = run_cli(["tag", "-f", "jsonl"], input="Paris B-LOC\nis O\nnice O\n\n")
    assert tagged.stdout.splitlines()[-1].startswith('{"text": ""')  # the lines after the last sentence: a record
    scored = run_cli(["score", "--format", "json"], input=tagged.stdout)
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.stdout)["support"] == 1


def test_a_token_minus_x_minus_is_conllevals_sentence_boundary(tmp_path):
    # conlleval.pl: a line whose first field is -X- is a boundary (its tags ignored), not a token
    result = run_cli(["score", "--format", "conlleval"], input="a B-PER B-PER\n-X- B-LOC O\nb O O\n")
    assert result.stdout.splitlines()[0] == "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1."
    (tmp_path / "g.conll").write_text("a B-PER\n-X- B-LOC\nb O\n")
    (tmp_path / "p.conll").write_text("a B-PER\n-X- O\nb O\n")
    two = run_cli(["score", "--format", "json", str(tmp_path / "g.conll"), str(tmp_path / "p.conll")])
    assert (json.loads(two.stdout)["tokens"], json.loads(two.stdout)["f1"]) == (2, 1.0)
