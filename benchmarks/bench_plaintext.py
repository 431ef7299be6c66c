"""How much F1 the tagger loses on raw text instead of CoNLL tokens, one figure per line.

    python benchmarks/bench_plaintext.py [--model MODEL.pt] [--split test] [--case lower]

Each sentence of the split is detokenised into running text (benchmarks/detokenize.py)
and tagged as a plain-text paragraph; predicted entities are matched to the gold
ones by exact character offsets and label. The same model's conlleval F1 on the
original tokens is printed beside it, and how often nerpipe's tokenizer gives back
exactly the CoNLL tokens. ``--case lower|upper|title`` recases every token first
(the same for the CoNLL figure), to see the plain-text path on text not cased like news.
Each CoNLL document (``-DOCSTART-`` block) becomes one text file, as a user's articles
would be, and every figure is given twice: the model reading each sentence alone, and in
the light of its document (``nerpipe tag``'s default; nerpipe/context.py).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conll2003"
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", default="test", choices=["train", "valid", "test"])
    parser.add_argument("--case", default="cased", choices=["cased", "lower", "upper", "title"])
    args = parser.parse_args()
    path = args.data / f"{args.split}.txt"
    if not path.exists():
        sys.exit(f"no CoNLL-2003 data in {args.data}")

    from bench_casing import documents

    from nerpipe.checkpoints import load_model
    from nerpipe.formats import read_conll
    from nerpipe.recase import recase

    torch.set_num_threads(1)
    docs = documents(read_conll([str(path)]))
    sentences = [s for doc in docs for s in doc]
    tokens_of = [recase(s.tokens, args.case) for s in sentences]
    print(f"case {args.case}")
    print(f"sentences {len(sentences)}")
    for reads in ("sentence", "document"):
        tagger = load_model(args.model, context=reads == "document")
        token_f1, text_f1, same_tokens = _figures(tagger, docs, sentences, tokens_of)
        if reads == "sentence":
            print(f"tokenizer_exact_sentences_percent {100 * same_tokens / len(sentences):.2f}")
        print(f"conll_token_f1_{reads} {token_f1:.2f}")
        print(f"plain_text_char_offset_f1_{reads} {text_f1:.2f}")
        print(f"f1_drop_{reads} {token_f1 - text_f1:.2f}")


def _figures(tagger, docs, sentences, tokens_of) -> tuple[float, float, int]:
    from detokenize import detokenize

    from nerpipe.inference import TagOptions, tag_files
    from nerpipe.schemes import tags_to_spans
    from nerpipe.scoring import TypeScore, score_pairs
    from nerpipe.tokenize import tokenize

    by_doc, k = [], 0
    for doc in docs:
        by_doc.append(tokens_of[k : k + len(doc)])
        k += len(doc)
    predicted = [p.tags for own in tagger.predict_documents(by_doc) for p in own]
    token_f1 = 100 * score_pairs((s.tags, p) for s, p in zip(sentences, predicted)).overall.f1

    texts, gold, same_tokens = [], [], 0
    for s, toks in zip(sentences, tokens_of):
        text, offsets = detokenize(toks)
        texts.append(text)
        gold.append({(offsets[a][0], offsets[b - 1][1], label) for a, b, label in tags_to_spans(s.tags)})
        same_tokens += [text[a:b] for a, b in tokenize(text)] == list(toks)
    with tempfile.TemporaryDirectory() as tmp:
        paths, k = [], 0
        for n, doc in enumerate(docs):  # a file per document
            paths.append(str(Path(tmp) / f"doc{n:04d}.txt"))
            Path(paths[-1]).write_text("".join(t + "\n\n" for t in texts[k : k + len(doc)]), encoding="utf-8")
            k += len(doc)
        out = io.StringIO()
        for chunk in tag_files(paths, tagger, TagOptions(input_format="text")):
            out.write(chunk)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(sentences), (len(records), len(sentences))
    total = TypeScore()
    for record, gold_spans in zip(records, gold):
        pred = {(sp["start"], sp["end"], sp["label"]) for sp in record["spans"]}
        total.gold += len(gold_spans)
        total.predicted += len(pred)
        total.correct += len(pred & gold_spans)
    return token_f1, total.percentages()[2], same_tokens


if __name__ == "__main__":
    main()
