#!/usr/bin/env bash
# The pipelines nerpipe is made for. Run from the repository root:
#   bash examples/pipelines.sh
set -euo pipefail
work=$(mktemp -d)

echo "== tag plain text with the embedded English model (JSONL spans with offsets)"
nerpipe tag examples/doc.txt | head -1 | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print([(s["label"], r["text"][s["start"]:s["end"]], s["score"]) for s in r["spans"]])'

echo "== the same as CoNLL columns"
nerpipe tag -f conll examples/doc.txt | head -12

echo "== tag a CoNLL file and score it against its own gold column"
nerpipe tag examples/tiny.conll | nerpipe score

echo "== convert: IOB2 -> IOBES, CoNLL -> JSONL and back"
nerpipe convert --to conll --scheme iobes examples/tiny.conll | head -6
nerpipe convert --to jsonl examples/tiny.conll > "$work/tiny.jsonl"
nerpipe convert --from jsonl --to conll "$work/tiny.jsonl" | head -3

echo "== train a (toy) model on the tiny file, then use it"
nerpipe train examples/tiny.conll --dev examples/tiny.conll -o "$work/toy.pt" --epochs 3 --hidden 16
nerpipe info "$work/toy.pt" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["labels"], d["training"]["epochs_run"])'
nerpipe tag --model "$work/toy.pt" examples/tiny.conll | nerpipe score --format conlleval
