"""--map: reading one tool's entity labels as another's."""

import json

import pytest
from conftest import TINY, run_cli

from nerpipe.errors import NerpipeError, UsageError
from nerpipe.labelmap import PRESETS, parse_label_map

GOLD = "Ann B-PER\nmet O\nParis B-LOC\nin O\nMay O\n"
ONTONOTES = "Ann B-PERSON\nmet O\nParis B-GPE\nin O\nMay B-DATE\n"  # as spaCy's English pipelines name them


def test_rules_files_and_presets(tmp_path):
    (tmp_path / "m.tsv").write_text("# ours\tconll\nPERSON\tPER\nDATE\t\n")
    label_map = parse_label_map(["GPE=LOC", str(tmp_path / "m.tsv")])
    assert label_map.spans([(0, 1, "PERSON"), (2, 3, "GPE"), (4, 5, "DATE"), (6, 7, "ORG")]) == [
        (0, 1, "PER"), (2, 3, "LOC"), (6, 7, "ORG")]
    assert label_map.report() == "label map: DATE -> (dropped): 1, GPE -> LOC: 1, PERSON -> PER: 1"
    strict = parse_label_map(["ontonotes-conll"], drop_others=True)
    assert strict.tags(["B-PERSON", "I-PERSON", "B-DATE", "I-DATE", "B-XYZ", "S-GPE"]) == ["B-PER", "I-PER", "O", "O", "O", "S-LOC"]
    assert strict.counts[("PERSON", "PER")] == 1  # entities, not tokens
    assert set(PRESETS["ontonotes-conll"].values()) == {"PER", "LOC", "ORG", "MISC", None}


def test_bad_maps_are_located_errors(tmp_path):
    (tmp_path / "bad.tsv").write_text("PERSON\tPER\nGPE LOC\n")
    with pytest.raises(NerpipeError, match="bad.tsv:2: expected OLD<TAB>NEW"):
        parse_label_map([str(tmp_path / "bad.tsv")])
    with pytest.raises(UsageError, match="expected OLD=NEW, a TSV file"):
        parse_label_map(["no-such-preset"])
    with pytest.raises(UsageError, match="give --map"):
        parse_label_map([], drop_others=True)


@pytest.mark.parametrize("rule, says", [("PER=B-LOC", "NEW is a tag, not a label.*'LOC'"),
                                        ("PER=I-PER", "NEW is a tag")])
def test_a_tag_as_new_is_refused(tmp_path, rule, says):
    """A type B-LOC (written B-B-LOC): refused, not applied, even where nothing is written (score)."""
    with pytest.raises(UsageError, match=f"--map '{rule}': {says}"):
        parse_label_map([rule])
    (tmp_path / "m.tsv").write_text("GPE\tLOC\n" + rule.replace("=", "\t") + "\n")
    with pytest.raises(NerpipeError, match=f"m.tsv:2: {says}"):
        parse_label_map([str(tmp_path / "m.tsv")])
    # E- is no prefix in IOB; an OLD that is a tag, mapped to a label, is the cure (docs/formats.md)
    assert parse_label_map(["X=E-MAIL", "PER=O", "Person Name=PER", "B-PER=PER", "LOC=Place Name"]).rules == {
        "X": "E-MAIL", "PER": None, "Person Name": "PER", "B-PER": "PER", "LOC": "Place Name"}  # (JSON holds that)
    result = run_cli(["score", "--map", rule, "-", "-"], input="Ann B-PER\n")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_score_spacy_names_against_conll_names(tmp_path):
    (tmp_path / "gold.conll").write_text(GOLD)
    (tmp_path / "pred.conll").write_text(ONTONOTES)
    unmapped = run_cli(["score", "--format", "json", str(tmp_path / "gold.conll"), str(tmp_path / "pred.conll")])
    assert json.loads(unmapped.stdout)["f1"] == 0.0 and "--map ontonotes-conll" in unmapped.stderr
    mapped = run_cli(["score", "--format", "json", "--map", "ontonotes-conll", "--map-to", "pred",
                      str(tmp_path / "gold.conll"), str(tmp_path / "pred.conll")])
    data = json.loads(mapped.stdout)
    assert (data["support"], data["predicted"], data["correct"]) == (2, 2, 2)  # DATE dropped, not counted as spurious
    assert run_cli(["score", "--map-to", "gold", str(tmp_path / "gold.conll")]).exit_code == 2


def test_score_maps_jsonl_spans_and_keeps_scores_in_step():
    record = {"text": "Ann met Paris in May", "spans": [{"start": 0, "end": 3, "label": "PER"}],
              "predicted_spans": [{"start": 0, "end": 3, "label": "PERSON", "score": 0.9},
                                  {"start": 17, "end": 20, "label": "DATE", "score": 0.5}]}
    result = run_cli(["score", "--errors", "--format", "json", "--map", "ontonotes-conll", "--map-to", "pred"],
                     input=json.dumps(record) + "\n")
    data = json.loads(result.stdout)
    assert (data["support"], data["predicted"], data["correct"]) == (1, 1, 1)


def test_tag_maps_its_predictions_and_says_how_many():
    result = run_cli(["tag", "-f", "tsv", "--map", "PER=PERSON", "--map", "LOC=", "-v", "examples/doc.txt"])
    labels = {line.split("\t")[4] for line in result.stdout.splitlines()[1:]}
    assert "PERSON" in labels and "PER" not in labels and "LOC" not in labels
    assert "label map: LOC -> (dropped): 6, PER -> PERSON: 3" in result.stderr
    assert "has no type" not in result.stderr
    unknown = run_cli(["tag", "-f", "tsv", "--map", "PERSON=PER", "--map", "ontonotes-conll", "examples/doc.txt"])
    assert unknown.exit_code == 0  # a preset's names are not the model's either: only your own rules are said
    assert unknown.stderr.count("has no type") == 1
    assert "warning: --map PERSON=PER: the model has no type 'PERSON' (its types: LOC, MISC, ORG, PER)" in unknown.stderr


def test_convert_maps_conll_and_jsonl_gold():
    result = run_cli(["convert", "--to", "conll", "--map", "ontonotes-conll"], input=ONTONOTES)
    assert result.stdout == GOLD
    unchanged = run_cli(["convert", "--to", "conll"], input=GOLD)
    assert unchanged.stdout == GOLD
    as_jsonl = run_cli(["convert", "--to", "jsonl"], input=ONTONOTES).stdout
    mapped = json.loads(run_cli(["convert", "--to", "jsonl", "--map", "ontonotes-conll"], input=as_jsonl).stdout)
    assert [(s["start"], s["end"], s["label"]) for s in mapped["spans"]] == [(0, 3, "PER"), (8, 13, "LOC")]


@pytest.mark.slow
def test_train_learns_the_mapped_labels(tmp_path):
    import synthetic

    data = synthetic.write(tmp_path / "t.conll", 40)
    renamed = tmp_path / "renamed.conll"
    renamed.write_text(open(data).read().replace("-PER", "-PERSON"))
    result = run_cli(["train", str(renamed), "-o", str(tmp_path / "m.pt"), "--epochs", "1", "--map", "PERSON=PER", *TINY])
    assert result.exit_code == 0, result.stderr
    info = json.loads(run_cli(["info", "--format", "json", str(tmp_path / "m.pt")]).stdout)
    assert info["labels"] == ["LOC", "ORG", "PER"]


def test_drop_others_keeps_the_labels_the_map_makes():
    """--map-drop-others drops the types no rule names; PER, which PERSON=PER makes, is
    named: gold already in CoNLL's names is kept, not dropped from both sides."""
    gold = "John B-PER B-PERSON\nin O O\nParis B-LOC B-GPE\nfor O O\nEU B-ORG B-ORG\nand O O\nGerman B-MISC B-NORP\nX B-XYZ B-DATE\n"
    strict = parse_label_map(["ontonotes-conll"], drop_others=True)
    assert strict.spans([(0, 1, "PER"), (1, 2, "PERSON"), (2, 3, "XYZ"), (3, 4, "DATE")]) == [(0, 1, "PER"), (1, 2, "PER")]
    result = run_cli(["score", "--map", "ontonotes-conll", "--map-drop-others", "-"], input=gold)
    assert result.exit_code == 0, result.stderr
    overall = next(line for line in result.stdout.splitlines() if "overall" in line.lower())
    assert "100.00" in overall and " 4" in overall, result.stdout  # PER, LOC, ORG, MISC: none dropped


def test_two_rules_of_yours_for_one_label_are_refused_a_presets_may_be_overridden():
    with pytest.raises(UsageError, match="--map 'PER=Y': --map 'PER=X' already maps 'PER' otherwise"):
        parse_label_map(["PER=X", "PER=Y"])
    assert parse_label_map(["PER=X", "PER=X"]).rules == {"PER": "X"}  # the same rule twice: no conflict
    assert parse_label_map(["ontonotes-conll", "NORP="]).rules["NORP"] is None  # a preset's rule, overridden


def test_entities_of_two_types_given_one_name_stay_two_in_every_scheme(tmp_path):
    """IOB1 starts an entity with I- unless one of its type comes right before: mapping the
    type before to the same name must not run the two together (I-MISC I-LOC, MISC=LOC)."""
    from nerpipe.schemes import tags_to_spans

    label_map = parse_label_map(["MISC=LOC"])
    cases = {  # tags -> mapped, each entity where it was
        ("O", "I-MISC", "I-LOC", "O"): ["O", "I-LOC", "B-LOC", "O"],
        ("I-MISC", "I-MISC", "I-LOC", "I-LOC"): ["I-LOC", "I-LOC", "B-LOC", "I-LOC"],
        ("I-LOC", "B-LOC", "I-MISC"): ["I-LOC", "B-LOC", "B-LOC"],
        ("B-MISC", "B-LOC", "I-LOC"): ["B-LOC", "B-LOC", "I-LOC"],  # IOB2 as it was
        ("S-MISC", "B-LOC", "E-LOC"): ["S-LOC", "B-LOC", "E-LOC"],  # IOBES as it was
        ("I-PER", "I-MISC"): ["I-PER", "I-LOC"],
    }
    for tags, mapped in cases.items():
        assert label_map.tags(tags) == mapped, tags
        assert [(s, e) for s, e, _ in tags_to_spans(mapped)] == [(s, e) for s, e, _ in tags_to_spans(tags)], tags
    data = tmp_path / "iob1.conll"
    data.write_text("The\tO\nGerman\tI-MISC\nBerlin\tI-LOC\nteam\tO\n\n")
    converted = run_cli(["convert", "--to", "conll", "--scheme", "iob2", "--map", "MISC=LOC", str(data)])
    assert converted.stdout == "The\tO\nGerman\tB-LOC\nBerlin\tB-LOC\nteam\tO\n\n", converted.stdout
    scored = run_cli(["score", "--map", "MISC=LOC", "--format", "json", str(data), str(data)])
    assert json.loads(scored.stdout)["support"] == 2, scored.stdout


def test_a_rule_that_meets_no_entity_is_said_in_train_convert_and_score(tmp_path):
    data = tmp_path / "onto.conll"
    data.write_text(ONTONOTES.replace(" ", "\t") + "\n")
    said = "--map PERSN=PER: no 'PERSN' entity in {} (its labels: DATE, GPE, PERSON); the rule does nothing"
    converted = run_cli(["convert", "--to", "jsonl", "--map", "PERSN=PER", "--map", "GPE=LOC", str(data)])
    assert said.format("the input") in converted.stderr and "GPE=LOC" not in converted.stderr
    scored = run_cli(["score", "--map", "PERSN=PER", "--map-to", "gold", str(data), str(data)])
    assert said.format("GOLD") in scored.stderr
    quiet = run_cli(["convert", "--to", "jsonl", "--map", "ontonotes-conll", "--map", "PERSON=PER", str(data)])
    assert "does nothing" not in quiet.stderr  # a preset's rules for labels the data lacks are no mistake
    trained = run_cli(["train", str(data), "-o", str(tmp_path / "m.pt"), "--map", "PERSN=PER", "--epochs", "1",
                       "--embeddings", "none", *TINY])
    assert trained.exit_code == 0 and said.format("the training data") in trained.stderr, trained.stderr
    dev = tmp_path / "dev.conll"
    dev.write_text("Rome\tB-PERSN\n\n")  # the rule meets an entity in the dev data: it does something
    with_dev = run_cli(["train", str(data), "--dev", str(dev), "-o", str(tmp_path / "d.pt"), "--map", "PERSN=PER",
                        "--map", "ORGG=ORG", "--epochs", "1", "--embeddings", "none", *TINY])
    assert "PERSN=PER" not in with_dev.stderr and "--map ORGG=ORG: no 'ORGG' entity in the training or dev data (its " \
        "labels: DATE, GPE, PERSN, PERSON)" in with_dev.stderr, with_dev.stderr
