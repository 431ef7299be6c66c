"""Tagging speed and memory, one figure per line.

    python benchmarks/bench_tag.py [--model MODEL.pt] [--big-mb 20] [--baseline OLD.pt]

Measures, in one run on this machine, with one torch thread:
  * CoNLL-2003 test.txt, CoNLL in and CoNLL out, through the library's streaming
    tagger (process start and model load excluded), tokens/s; with ``--baseline``, beside
    another model in alternating rounds (with the same document context, and reading
    each sentence alone), and the ratios;
  * the bare BiLSTM-CRF forward + Viterbi on random ids of the same batch shapes,
    so the pipeline's overhead shows as a ratio;
  * a bare BiLSTM forward alone (random inputs, same shapes) at the model's size and
    at 200 units per direction, the yardstick the brief quotes for this machine class;
  * the same sentences as plain text (one paragraph each), text in and JSONL out;
  * whole-process figures: `echo ... | nerpipe tag` cold start, `nerpipe --help`;
  * peak memory of `nerpipe tag` on generated CoNLL inputs of two sizes (it should
    not grow with the input).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "32")  # as `nerpipe tag` sets it
import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conll2003"
sys.path.insert(0, str(ROOT / "benchmarks"))


def best_of(n: int, fn) -> float:
    return min(fn() for _ in range(n))


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def drain(chunks) -> None:
    sink = io.StringIO()
    for chunk in chunks:
        sink.write(chunk)


def child_peak_mb(cmd: list[str]) -> float:
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True).stdout
    return int(out) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model file (default: the embedded one)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--big-mb", type=float, default=20.0, help="size of the larger generated input")
    parser.add_argument("--baseline", metavar="MODEL", help="also tag test.txt with this model, each sentence alone, in "
                        "alternating rounds, and print the speed ratio (the embedded model against the one it replaced)")
    args = parser.parse_args()
    test = args.data / "test.txt"
    if not test.exists():
        sys.exit(f"no CoNLL-2003 data in {args.data}")

    from detokenize import detokenize

    from nerpipe.batching import make_batch
    from nerpipe.checkpoints import load_model
    from nerpipe.formats import read_conll, sentences_only
    from nerpipe.inference import TagOptions, tag_files

    torch.set_num_threads(1)
    started = time.perf_counter()
    loaded = load_model(args.model)
    print(f"model_load_seconds {time.perf_counter() - started:.2f}")
    tagger = loaded

    def fresh():
        """The model with an empty character-feature cache: nothing carries over from the last pass."""
        return dataclasses.replace(loaded)  # a new Tagger has a cache of its own
    gc.freeze()  # as `nerpipe tag` does after loading
    sentences = [s.tokens for s in sentences_only(read_conll([str(test)]))]
    tokens = sum(map(len, sentences))

    conll = best_of(3, lambda: timed(lambda: drain(tag_files([str(test)], fresh(), TagOptions()))))
    print(f"conll_tokens_per_s_1_thread {tokens / conll:.0f}")
    if args.baseline:
        # the other model with the same pipeline (document context, as tag's default), and reading sentences alone
        same, alone = load_model(args.baseline), load_model(args.baseline, context=False)
        ours, theirs, theirs_alone = [], [], []
        for _ in range(5):  # alternating, so all see the same load on a shared machine
            ours.append(timed(lambda: drain(tag_files([str(test)], fresh(), TagOptions()))))
            theirs.append(timed(lambda: drain(tag_files([str(test)], dataclasses.replace(same), TagOptions()))))
            theirs_alone.append(timed(lambda: drain(tag_files([str(test)], dataclasses.replace(alone), TagOptions()))))
        print(f"baseline_conll_tokens_per_s_1_thread {tokens / min(theirs):.0f} ({args.baseline})")
        print(f"speed_over_baseline {min(theirs) / min(ours):.2f}")
        print(f"baseline_sentences_alone_conll_tokens_per_s_1_thread {tokens / min(theirs_alone):.0f}")
        print(f"speed_over_baseline_sentences_alone {min(theirs_alone) / min(ours):.2f}")

    # bare model: the same batch shapes as the tagger builds, random ids, no reading or writing
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    gen = torch.Generator().manual_seed(0)
    batches = []
    for k in range(0, len(order), tagger.batch_size):
        batch = make_batch([sentences[i] for i in order[k : k + tagger.batch_size]], loaded.vocab)
        batch.words = torch.randint(2, len(loaded.vocab.words), batch.words.shape, generator=gen) * batch.mask
        batch.chars = torch.randint(2, len(loaded.vocab.chars), batch.chars.shape, generator=gen)
        batches.append(batch)
    bare = best_of(3, lambda: timed(lambda: [loaded.network.predict(b) for b in batches]))
    print(f"bare_bilstm_crf_tokens_per_s_1_thread {tokens / bare:.0f}")
    print(f"pipeline_over_bare {bare / conll:.2f}")

    # the brief's yardstick for this machine class: a bare BiLSTM of 200 units per direction,
    # forward only, on random inputs of the same shapes (it quotes about 215,000 tokens/s)
    for hidden in dict.fromkeys((loaded.network.config.hidden, 200)):  # once each, in this order
        lstm = torch.nn.LSTM(loaded.network.lstm.input_size, hidden, batch_first=True, bidirectional=True).eval()
        inputs = [torch.randn(b.words.shape[0], b.words.shape[1], lstm.input_size, generator=gen) for b in batches]
        with torch.inference_mode():
            seconds = best_of(3, lambda lstm=lstm, inputs=inputs: timed(lambda: [lstm(x) for x in inputs]))
        print(f"bare_bilstm_h{hidden}_forward_tokens_per_s_1_thread {tokens / seconds:.0f}")

    with tempfile.TemporaryDirectory() as tmp:
        text_path = Path(tmp) / "test.txt"
        text_path.write_text("".join(detokenize(s)[0] + "\n\n" for s in sentences), encoding="utf-8")
        text = best_of(3, lambda: timed(lambda: drain(tag_files([str(text_path)], fresh(), TagOptions(input_format="text")))))
        print(f"text_tokens_per_s_1_thread {tokens / text:.0f}")
        print(f"text_over_conll {conll / text:.2f}")

        nerpipe = [sys.executable, "-m", "nerpipe"]
        cold = statistics.median(
            timed(lambda: subprocess.run([*nerpipe, "tag", "--threads", "1"], input=b"Angela Merkel visited Paris.\n",
                                         capture_output=True, check=True)) for _ in range(5))
        print(f"cold_start_seconds {cold:.2f}")
        helps = statistics.median(timed(lambda: subprocess.run([*nerpipe, "--help"], capture_output=True, check=True))
                                  for _ in range(5))
        print(f"help_seconds {helps:.2f}")

        block = test.read_text(encoding="utf-8").rstrip("\n") + "\n\n"  # test.txt lacks a final newline
        for mb in (args.big_mb / 4, args.big_mb):
            big = Path(tmp) / f"big{mb}.conll"
            with open(big, "w", encoding="utf-8") as f:
                while f.tell() < mb * 2**20:
                    f.write(block)
            peak = child_peak_mb([*nerpipe, "tag", "--threads", "1", *(["-m", args.model] if args.model else []), str(big)])
            print(f"peak_rss_mb_for_{os.path.getsize(big) / 2**20:.0f}_mb_input {peak:.0f}")


if __name__ == "__main__":
    main()
