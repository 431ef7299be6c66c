"""The embedded English model: shipped, small, and still accurate."""

import json

import pytest

from conftest import CONLL2003, run_cli
from nerpipe.checkpoints import default_model_path

pytestmark = pytest.mark.skipif(not default_model_path().exists(), reason="no embedded model in this checkout")


def test_size_and_metadata():
    assert default_model_path().stat().st_size <= 25_000_000  # 25 MB (SI), the budget for a model inside the package
    info = json.loads(run_cli(["info", "--format", "json"]).stdout)
    assert info["labels"] == ["LOC", "MISC", "ORG", "PER"]
    assert info["scheme"] == "iob2"


def test_finds_entities_in_plain_text():
    out = run_cli(["tag"], input="Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n").stdout
    record = json.loads(out)
    found = {(s["label"], record["text"][s["start"]:s["end"]]) for s in record["spans"]}
    assert {("PER", "Angela Merkel"), ("PER", "Emmanuel Macron"), ("LOC", "Paris")} <= found


@pytest.mark.skipif(not (CONLL2003 / "test.txt").exists(), reason="needs ../shared/data/conll2003")
def test_still_scores_at_least_90_on_conll2003_test():
    tagged = run_cli(["tag", "--threads", "2", str(CONLL2003 / "test.txt")]).stdout
    score = json.loads(run_cli(["score", "--format", "json"], input=tagged).stdout)
    assert score["f1"] >= 0.90, score["f1"]
