"""doccano's sequence-labelling JSONL: read in both of its export shapes, written in the first.

The records are shaped as doccano's documentation ("Export" of a sequence-labelling
project, doccano 1.x: ``label`` as [start, end, label] triples; the newer
``entities``/``relations`` shape of its JSONL export with relations).
"""

import json

import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st

from nerpipe.errors import NerpipeError
from nerpipe.formats import detect_format
from nerpipe.formats.doccano import EXAMPLE, DoccanoWriter, parse_doccano_record

LABEL_SHAPE = (
    '{"id": 1, "text": "Angela Merkel met Emmanuel Macron in Paris.", '
    '"label": [[0, 13, "PER"], [18, 33, "PER"], [37, 42, "LOC"]], "Comments": []}\n'
    '{"id": 2, "text": "Nothing here.", "label": [], "Comments": ["checked"]}\n'
)
ENTITIES_SHAPE = (
    '{"id": 8, "text": "Siemens cut jobs in Erlangen.", "entities": [{"id": 11, "start_offset": 0, "end_offset": 7, '
    '"label": "ORG"}, {"id": 12, "start_offset": 20, "end_offset": 28, "label": "LOC"}], "relations": []}\n'
)


def spans_of(doc):
    return [(doc.tokens[s][0], doc.tokens[e - 1][1], label) for s, e, label in doc.spans]


def test_both_shapes_read_as_character_spans():
    doc = parse_doccano_record(LABEL_SHAPE.splitlines()[0], "x", 1)
    assert spans_of(doc) == [(0, 13, "PER"), (18, 33, "PER"), (37, 42, "LOC")]
    doc = parse_doccano_record(ENTITIES_SHAPE.strip(), "x", 1)
    assert spans_of(doc) == [(0, 7, "ORG"), (20, 28, "LOC")]


def test_detected_by_its_fields():
    assert detect_format(LABEL_SHAPE.splitlines())[0] == "doccano"
    assert detect_format(ENTITIES_SHAPE.splitlines())[0] == "doccano"
    assert detect_format(['{"text": "a", "spans": []}'])[0] == "jsonl"
    assert detect_format(['{"text": "a", "label": ["positive"]}'])[0] == "jsonl"  # a classification export


def test_a_doccano_export_keeps_its_labels_through_convert_and_back():
    # the first complaint: read as JSONL, the entities were dropped without a word
    as_jsonl = run_cli(["convert", "--to", "jsonl"], input=LABEL_SHAPE + ENTITIES_SHAPE)
    assert as_jsonl.exit_code == 0, as_jsonl.stderr
    records = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert [[(s["start"], s["end"], s["label"]) for s in r["spans"]] for r in records] == [
        [(0, 13, "PER"), (18, 33, "PER"), (37, 42, "LOC")], [], [(0, 7, "ORG"), (20, 28, "LOC")]]
    back = run_cli(["convert", "--to", "doccano"], input=as_jsonl.stdout)
    # each shape comes back byte for byte
    assert back.stdout == LABEL_SHAPE + ENTITIES_SHAPE
    again = run_cli(["convert", "--to", "doccano"], input=run_cli(["convert", "--to", "jsonl"], input=back.stdout).stdout)
    assert again.stdout == back.stdout


def test_entities_keep_their_ids_so_that_relations_still_hold():
    record = ('{"id": 8, "text": "Siemens cut jobs in Erlangen.", "entities": [{"id": 1, "start_offset": 0, "end_offset": 7, '
              '"label": "ORG", "by": "ann"}, {"id": 4, "start_offset": 20, "end_offset": 28, "label": "LOC"}], '
              '"relations": [{"id": 3, "from_id": 1, "to_id": 4, "type": "based_in"}, {"id": 5, "from_id": 4, "to_id": 1, '
              '"type": "x"}]}\n')
    written = json.loads(run_cli(["convert", "--to", "doccano", "--map", "LOC=GPE"], input=record).stdout)
    assert written["entities"] == [{"id": 1, "start_offset": 0, "end_offset": 7, "label": "ORG", "by": "ann"},
                                   {"id": 4, "start_offset": 20, "end_offset": 28, "label": "GPE"}]
    assert written["relations"] == json.loads(record)["relations"] and "label" not in written
    # tagged: a name the model finds anew takes the next free id; a relation whose entity is gone goes with it
    doc = parse_doccano_record(record, "x", 1)
    from nerpipe.formats import Annotation
    out = json.loads(DoccanoWriter().write(doc, [Annotation([(0, 1, "ORG"), (2, 3, "MISC")])]))
    assert out["entities"] == [{"id": 1, "start_offset": 0, "end_offset": 7, "label": "ORG", "by": "ann"},
                               {"id": 5, "start_offset": 12, "end_offset": 16, "label": "MISC"}]
    assert out["relations"] == []


def test_a_nerpipe_record_in_a_doccano_file_is_an_error_not_a_record_without_entities():
    joined = LABEL_SHAPE + '{"id": 3, "text": "Bob", "spans": [{"start": 0, "end": 3, "label": "PER"}]}\n'
    result = run_cli(["convert", "--to", "conll"], input=joined)
    assert result.exit_code == 1 and '<stdin>:3: this record holds nerpipe JSONL "spans"' in result.stderr


def test_read_as_jsonl_it_is_an_error_not_a_record_without_entities():
    result = run_cli(["convert", "--from", "jsonl", "--to", "jsonl"], input=LABEL_SHAPE)
    assert result.exit_code == 1 and "<stdin>:1: this record holds doccano's entities" in result.stderr
    assert "-i doccano" in result.stderr


@pytest.mark.parametrize("bad, said", [
    ('{"text": "ab", "label": [[0, 1]]}', 'doccano "label" entry [0, 1]: expected [start, end, "LABEL"]'),
    ('{"text": "ab", "entities": [{"start_offset": 0, "label": "X"}]}', 'expected "start_offset", "end_offset"'),
    ('{"text": "Angela Merkel", "label": [[0, 3, "PER"]]}', "does not start and end on token boundaries"),
])
def test_bad_entities_are_located_errors(bad, said):
    result = run_cli(["convert", "--from", "doccano", "--to", "jsonl"], input=bad + "\n")
    assert result.exit_code == 1 and result.stderr.startswith("Error: <stdin>:1: ") and said in result.stderr


def test_tag_writes_predictions_as_pre_annotations_and_scores_against_the_labels():
    tagged = run_cli(["tag"], input=EXAMPLE)  # doccano in, doccano out (in a pipe)
    assert tagged.exit_code == 0, tagged.stderr
    record = json.loads(tagged.stdout)
    assert record["id"] == 7 and record["label"] == [[0, 13, "PER"], [18, 33, "PER"], [37, 42, "LOC"]]
    assert set(record) == {"id", "text", "label"}
    scored = run_cli(["score", "--format", "json"], input=run_cli(["tag", "-f", "jsonl"], input=EXAMPLE).stdout)
    assert json.loads(scored.stdout)["f1"] == 1.0


def test_two_files_gold_doccano_and_predictions(tmp_path):
    (tmp_path / "gold.jsonl").write_text(EXAMPLE)
    (tmp_path / "pred.jsonl").write_text(EXAMPLE.replace('[37, 42, "LOC"]', '[37, 42, "ORG"]'))
    result = run_cli(["score", "--format", "json", str(tmp_path / "gold.jsonl"), str(tmp_path / "pred.jsonl")])
    data = json.loads(result.stdout)
    assert (data["support"], data["predicted"], data["correct"]) == (3, 3, 2)


words = st.lists(st.sampled_from(["Anna", "Berg", "flew", "to", "Oslo", "and", "Lima", "Acme", "Inc", "."]), min_size=1,
                 max_size=12)


@given(words, st.data())
def test_records_through_doccano_keep_every_entity(tokens, data):
    text = " ".join(tokens)
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
    spans, i = [], 0
    while i < len(tokens):
        if data.draw(st.booleans()):
            j = data.draw(st.integers(i + 1, min(len(tokens), i + 3)))
            spans.append([starts[i], starts[j - 1] + len(tokens[j - 1]), data.draw(st.sampled_from(["PER", "LOC", "ORG"]))])
            i = j
        else:
            i += 1
    line = json.dumps({"text": text, "label": spans}, ensure_ascii=False)
    doc = parse_doccano_record(line, "x", 1)
    assert [list(s) for s in spans_of(doc)] == spans
    assert DoccanoWriter().write(doc, None) == line + "\n"


def test_a_span_that_misses_token_boundaries_can_be_snapped():
    doc = parse_doccano_record('{"text": "Angela Merkel", "label": [[0, 3, "PER"]]}', "x", 1, align="expand")
    assert spans_of(doc) == [(0, 6, "PER")]
    with pytest.raises(NerpipeError, match="token boundaries"):
        parse_doccano_record('{"text": "Angela Merkel", "label": [[0, 3, "PER"]]}', "x", 1)


def test_an_entity_moved_to_token_boundaries_keeps_its_id_and_relations():
    record = ('{"id": 1, "text": "Anna Berg-Smith flew.", "entities": [{"id": 3, "start_offset": 0, "end_offset": 9, '
              '"label": "PER"}, {"id": 4, "start_offset": 16, "end_offset": 20, "label": "EVT"}], '
              '"relations": [{"id": 1, "from_id": 3, "to_id": 4, "type": "does"}]}\n')
    out = run_cli(["convert", "--from", "doccano", "--align", "expand", "--to", "doccano"], input=record)
    written = json.loads(out.stdout)
    assert [(e["id"], e["start_offset"], e["end_offset"]) for e in written["entities"]] == [(3, 0, 15), (4, 16, 20)]
    assert written["relations"] == json.loads(record)["relations"]
