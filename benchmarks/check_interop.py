"""Check nerpipe's files against the real tools' own readers and writers.

    python benchmarks/check_interop.py --tools-python /tmp/tools/bin/python [--data DIR] [--sentences N]

The tools are not nerpipe's dependencies: install them in a scratch virtualenv first,

    python -m venv /tmp/tools && /tmp/tools/bin/pip install spacy conllu label-studio-converter

The first N sentences of CoNLL-2003 valid.txt (``--data``; ``../shared/data/conll2003``
by default) go through nerpipe into each format, and the tool reads them back:

* conllu: ``nerpipe convert --to conllu``, parsed by the ``conllu`` package; every
  word's form and ``NER=`` tag must be the CoNLL token and its IOB2 tag.
* labelstudio: ``nerpipe convert --to labelstudio --config`` (gold as annotations), put
  through Label Studio's own converter (``label_studio_converter``, CONLL2003 export)
  with nerpipe's labeling config; the entities it writes are compared with the gold.
  It re-tokenises with NLTK, so where its tokens cut through a CoNLL token an entity
  can differ: those are counted apart from nerpipe's errors.
* spacy: ``nerpipe tag -f jsonl`` output made into spaCy Docs (its tokens, its spans
  as ``doc.ents`` in strict alignment: a span that does not align is None), then
  spaCy's own ``Doc.to_json()`` scored against the gold by ``nerpipe score`` through
  ``--map`` of nothing: the predictions must come back whole (P=R=F1 of nerpipe's own
  predictions against themselves through spaCy, 100).

brat and doccano have no reader on PyPI that runs without their servers; their
round trips are in the tests (tests/test_brat.py, tests/test_doccano.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONLLU_CHECK = r"""
import json, sys, conllu
sentences = conllu.parse(open(sys.argv[1], encoding="utf-8").read())
out = []
for s in sentences:
    out.append([(t["form"], (t["misc"] or {}).get("NER", "O")) for t in s if isinstance(t["id"], int)])
print(json.dumps(out))
"""

LABELSTUDIO_CHECK = r"""
import json, sys, os
from label_studio_converter import Converter
config, tasks, out = sys.argv[1:4]
# Label Studio gives each task an id on import; its export (which this converter reads) has them
data = json.load(open(tasks, encoding="utf-8"))
for k, task in enumerate(data, 1):
    task.setdefault("id", k)
json.dump(data, open(tasks, "w", encoding="utf-8"))
Converter(config=config, project_dir=os.path.dirname(tasks), download_resources=False).convert_to_conll2003(
    tasks, out, is_dir=False)
print(open(os.path.join(out, "result.conll"), encoding="utf-8").read())
"""

SPACY_CHECK = r"""
import json, sys
import spacy
from spacy.tokens import Doc
nlp = spacy.blank("en")
unaligned, docs = 0, []
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    words = [t["text"] for t in record["tokens"]]
    spaces = [a["end"] < b["start"] for a, b in zip(record["tokens"], record["tokens"][1:])] + [False]
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    ents = []
    for span in record["spans"]:
        ent = doc.char_span(span["start"], span["end"], label=span["label"], alignment_mode="strict")
        unaligned += ent is None
        if ent is not None:
            ents.append(ent)
    doc.ents = ents
    docs.append(doc.to_json())
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
print(json.dumps({"docs": len(docs), "unaligned": unaligned}))
"""


def nerpipe(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "nerpipe", *args], check=True, capture_output=True, text=True).stdout


def tool(python: str, script: str, *args: str) -> str:
    return subprocess.run([python, "-c", script, *args], check=True, capture_output=True, text=True).stdout


def conll_sentences(text: str) -> list[list[tuple[str, str]]]:
    """(token, last column) per token of each sentence, -DOCSTART- blocks left out."""
    out, current = [], []
    for line in text.splitlines():
        cols = line.split()
        if not cols:
            if current:
                out.append(current)
            current = []
        elif cols[0] != "-DOCSTART-":
            current.append((cols[0], cols[-1]))
    if current:
        out.append(current)
    return out


def entities(tagged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from nerpipe.schemes import tags_to_spans

    tokens = [t for t, _ in tagged]
    return [(" ".join(tokens[s:e]), label) for s, e, label in tags_to_spans([t for _, t in tagged])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools-python", required=True, help="a Python with spacy, conllu and label-studio-converter")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "conll2003")
    parser.add_argument("--sentences", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    blocks = [b for b in (args.data / "valid.txt").read_text(encoding="utf-8").split("\n\n") if b.strip()
              and not b.startswith("-DOCSTART-")][: args.sentences]
    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp) / "gold.conll"
        gold.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        reference = [[(t, tag) for t, tag in s] for s in conll_sentences(nerpipe("convert", "--to", "conll", "--scheme",
                                                                                      "iob2", str(gold)))]
        rows = []

        conllu_file = Path(tmp) / "gold.conllu"
        conllu_file.write_text(nerpipe("convert", "--to", "conllu", str(gold)), encoding="utf-8")
        parsed = json.loads(tool(args.tools_python, CONLLU_CHECK, str(conllu_file)))
        wrong = sum(a != [tuple(x) for x in b] for a, b in zip(reference, parsed)) + abs(len(reference) - len(parsed))
        rows.append(("conllu", "conllu.parse", len(parsed), sum(len(entities([tuple(x) for x in s])) for s in parsed),
                     f"{wrong} sentences differ (forms or NER= tags)"))

        tasks, config = Path(tmp) / "tasks.json", Path(tmp) / "config.xml"
        tasks.write_text(nerpipe("convert", "--to", "labelstudio", "--config", str(config), str(gold)), encoding="utf-8")
        back = conll_sentences(tool(args.tools_python, LABELSTUDIO_CHECK, str(config), str(tasks), str(Path(tmp) / "ls")))
        same = split = differ = 0
        for ours, theirs in zip(reference, back):
            a, b = entities(ours), entities(theirs)
            if a == b:
                same += 1
            elif [t for t, _ in ours] != [t for t, _ in theirs]:
                split += 1  # its tokenizer cut the text otherwise
            else:
                differ += 1
        rows.append(("labelstudio", "label_studio_converter CONLL2003", len(back), sum(len(entities(s)) for s in back),
                     f"{same} sentences same, {split} re-tokenised by it, {differ} differ"))

        tagged = Path(tmp) / "tagged.jsonl"
        tagged.write_text(nerpipe("tag", "--threads", "1", "-f", "jsonl", "--replace", str(gold)), encoding="utf-8")
        spacy_json = Path(tmp) / "spacy.jsonl"
        counts = json.loads(tool(args.tools_python, SPACY_CHECK, str(tagged), str(spacy_json)))
        score = json.loads(nerpipe("score", "--format", "json", str(tagged), str(spacy_json)))
        rows.append(("jsonl", "spaCy Doc.char_span + Doc.to_json", counts["docs"], score["support"],
                     f"{counts['unaligned']} spans unaligned; nerpipe score against spaCy's JSON: F1 {100 * score['f1']:.2f}"))

    print(f"CoNLL-2003 valid.txt, first {len(blocks)} sentences\n")
    print("| format | read back by | records | entities | result |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
