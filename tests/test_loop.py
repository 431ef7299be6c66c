"""The adaptation loop end to end, on small data: tag a pool, select what to annotate,
correct it through nerpipe annotate's server, adapt the model, score on held-out data."""

import json
import urllib.request

import pytest
import synthetic
from conftest import run_cli
from test_transfer import ADAPT

from nerpipe.annotation import AnnotationServer, Session, prepare
from nerpipe.annotation.server import TOKEN_HEADER

pytestmark = pytest.mark.slow  # trains from tiny_model


def domain(n, seed):
    """The new domain: the synthetic sentences with their places as products (PROD), a type the base lacks."""
    return [(tokens, [t.replace("LOC", "PROD") for t in tags]) for tokens, tags in synthetic.sentences(n, seed)]


def test_select_annotate_adapt_score(tiny_model, tmp_path):
    from nerpipe.schemes import tags_to_spans

    pool, gold = tmp_path / "pool.jsonl", {}
    with open(pool, "w") as f:
        for tokens, tags in domain(300, seed=11):
            f.write(json.dumps({"text": " ".join(tokens), "tokens": tokens}) + "\n")
            gold[" ".join(tokens)] = [list(span) for span in tags_to_spans(tags)]
    tagged = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", str(pool)])
    assert tagged.exit_code == 0 and len(tagged.stdout.splitlines()) == 300

    batch = tmp_path / "batch.jsonl"
    chosen = run_cli(["select", "-n", "40", "-m", str(tiny_model), "--threads", "1", "-o", str(batch), str(pool)])
    assert chosen.exit_code == 0, chosen.stderr
    assert len(batch.read_text().splitlines()) <= 40  # (near-duplicates count once)

    # the annotator, through the page's API: each record corrected to its gold entities and accepted
    out = tmp_path / "gold.jsonl"
    session = Session(prepare(str(batch)), str(out), ["PER", "ORG", "LOC", "PROD"])
    server = AnnotationServer(session)
    server.serve_in_background()
    try:
        def call(path, body=None):
            request = urllib.request.Request(server.url.split("?")[0] + path.lstrip("/"), method="POST" if body else "GET",
                                             data=json.dumps(body).encode() if body else None,
                                             headers={TOKEN_HEADER: server.token, "Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read())

        record = call("/api/record")
        while record["index"] is not None:
            answer = call("/api/answer", {"index": record["index"], "answer": "accept", "spans": gold[record["text"]]})
            record = call(f"/api/record?index={answer['next']}") if answer["next"] is not None else {"index": None}
    finally:
        server.shutdown()
        server.server_close()
        session.close()

    adapted = tmp_path / "adapted.pt"
    trained = run_cli(["train", str(out), "--init-model", str(tiny_model), "--epochs", "12", *ADAPT, "--keep-types",
                       "-o", str(adapted)])
    assert trained.exit_code == 0, trained.stderr
    assert "adding PROD" in trained.stderr

    heldout = tmp_path / "heldout.conll"
    heldout.write_text("".join("".join(f"{t} {g}\n" for t, g in zip(tokens, tags)) + "\n" for tokens, tags in domain(60, 12)))

    def f1(model):
        tags = run_cli(["tag", "-m", str(model), "--threads", "1", "-f", "conll", str(heldout)]).stdout
        return json.loads(run_cli(["score", "--format", "json"], input=tags).stdout)

    before, after = f1(tiny_model), f1(adapted)
    assert after["types"]["PROD"]["f1"] >= 0.9 and after["f1"] > before["f1"] + 0.2
