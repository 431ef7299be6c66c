"""How much F1 the tagger loses on raw text instead of CoNLL tokens, one figure per line.

    python benchmarks/bench_plaintext.py [--model MODEL.pt] [--split test] [--case lower]

Each sentence of the split is detokenised into running text (benchmarks/detokenize.py)
and tagged as a plain-text paragraph; predicted entities are matched to the gold
ones by exact character offsets and label. The same model's conlleval F1 on the
original tokens is printed beside it, and how often nerpipe's tokenizer gives back
exactly the CoNLL tokens. ``--case lower|upper|title`` recases every token first
(the same for the CoNLL figure), to see the plain-text path on text not cased like news.
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

    from detokenize import detokenize

    from nerpipe.checkpoints import load_model
    from nerpipe.formats import read_conll, sentences_only
    from nerpipe.inference import TagOptions, tag_files
    from nerpipe.recase import recase
    from nerpipe.schemes import tags_to_spans
    from nerpipe.scoring import TypeScore, score_pairs
    from nerpipe.tokenize import tokenize

    torch.set_num_threads(1)
    tagger = load_model(args.model)
    sentences = [s for s in sentences_only(read_conll([str(path)]))]
    tokens_of = [recase(s.tokens, args.case) for s in sentences]
    predicted = [p.tags for p in tagger.predict(tokens_of)]
    token_f1 = 100 * score_pairs((s.tags, p) for s, p in zip(sentences, predicted)).overall.f1

    texts, gold, same_tokens = [], [], 0
    for s, toks in zip(sentences, tokens_of):
        text, offsets = detokenize(toks)
        texts.append(text)
        gold.append({(offsets[a][0], offsets[b - 1][1], label) for a, b, label in tags_to_spans(s.tags)})
        same_tokens += [text[a:b] for a, b in tokenize(text)] == list(toks)
    with tempfile.TemporaryDirectory() as tmp:
        text_path = Path(tmp) / "text.txt"
        text_path.write_text("".join(t + "\n\n" for t in texts), encoding="utf-8")
        out = io.StringIO()
        for chunk in tag_files([str(text_path)], tagger, TagOptions(input_format="text")):
            out.write(chunk)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(sentences), (len(records), len(sentences))
    total = TypeScore()
    for record, gold_spans in zip(records, gold):
        pred = {(sp["start"], sp["end"], sp["label"]) for sp in record["spans"]}
        total.gold += len(gold_spans)
        total.predicted += len(pred)
        total.correct += len(pred & gold_spans)
    text_f1 = total.percentages()[2]
    print(f"case {args.case}")
    print(f"sentences {len(sentences)}")
    print(f"tokenizer_exact_sentences_percent {100 * same_tokens / len(sentences):.2f}")
    print(f"conll_token_f1 {token_f1:.2f}")
    print(f"plain_text_char_offset_f1 {text_f1:.2f}")
    print(f"f1_drop {token_f1 - text_f1:.2f}")


if __name__ == "__main__":
    main()
