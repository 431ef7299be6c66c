"""Training and tagging speed on the CPU (one thread) and on a GPU (``--device cuda``), in one run.

    python benchmarks/bench_device.py [--data DIR] [--sentences 4000] [--epochs 3]
        [--batch-size 64] [--cuda-batch-sizes 64,256] [--tag-batch-sizes 256,1024,4096]
        [--embeddings glove-6b-50d|none] [--cli-repeat 20] [--cpu-workers 1,2] [--cuda-workers 1,2,4,8]

On the same data, for the CPU with one torch thread and, where torch sees one, for CUDA:

* the CRF's training loss (forward and backward) on a batch shaped like CoNLL-2003's
  (64 sentences, 44 positions, 17 IOBES tags): the tensor operations it dispatches (each
  a kernel launch or more on a GPU) and its time, by pytorch-crf's loop over positions
  and by the log-depth scan that nerpipe takes off the CPU (``nerpipe.model.by_scan``);
* training: ``nerpipe train`` on the first ``--sentences`` sentences of CoNLL-2003
  train.txt for ``--epochs`` epochs (GloVe vectors, early stopping off), dev on valid.txt;
  on CUDA once per ``--cuda-batch-sizes``, the learning rate scaled by the square root of
  the batch's growth. Tokens/s are the log's mean over the epochs after the first
  (warm-up excluded); the dev F1 of the model kept shows whether the device learns the
  same, within seed noise, and what a larger batch costs in the same epochs (fewer steps);
* tagging: the model trained on that device (at ``--batch-size``) tags test.txt
  (repeated ``--repeat`` times) in one process after a warm-up batch, on CUDA once per
  ``--tag-batch-sizes``; tokens/s exclude loading and start-up. Beside it, the share
  of that time spent on the host outside the network (batching, spans: Python): a
  device that ran the network in no time would tag at most 1 / share times as fast
  (on a GPU each batch is read back while the next runs, so the host's work and the
  device's overlap in the tokens/s, not in the second, instrumented pass that gives the share);
* decoding a batch (best paths and marginals): the operations dispatched and the time of
  the loops over positions (the CPU's) and of the log-depth scans (a GPU's), on each
  device; the tagging rows above then also run on CUDA with the loops, at the middle
  batch size, to show which decodes faster there;
* ``nerpipe tag`` itself on test.txt repeated ``--cli-repeat`` times, with each of
  ``--cpu-workers`` / ``--cuda-workers`` worker processes (on CUDA they share the GPU,
  each doing its host work on a core of its own): tokens/s of the whole process and
  with its start-up (the same command on one sentence) taken off.

It prints each figure beside the CPU's and the ratio. Targets (issue 22): training at
least 5x and tagging at least 10x one CPU thread on a GPU, with the same dev F1.
Without CUDA it prints the CPU rows and says the GPU rows are still to measure.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LR = 0.003  # nerpipe train's, at batch 64


def blocks(path: Path) -> list[str]:
    return [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip() and not b.startswith("-DOCSTART-")]


def train(device: str, train_file: str, dev_file: str, out: Path, epochs: int, batch_size: int,
          embeddings: str = "glove-6b-50d") -> dict:
    log = out.with_suffix(".log.jsonl")
    lr = DEFAULT_LR * math.sqrt(batch_size / 64)
    subprocess.run([sys.executable, "-m", "nerpipe", "train", train_file, "--dev", dev_file, "-o", str(out),
                    "--device", device, "--threads", "1", "--epochs", str(epochs), "--min-steps", "0", "--eval-steps", "0",
                    "--patience", str(epochs), "--embeddings", embeddings, "--batch-size", str(batch_size),
                    "--lr", f"{lr:.6g}", "--log", str(log), "-q"], check=True)
    rounds = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    rounds = [r for r in rounds if r.get("tokens_per_s")]
    later = rounds[1:] or rounds
    return {"tokens_per_s": sum(r["tokens_per_s"] for r in later) / len(later), "lr": lr,
            "dev_f1": max(r.get("dev_f1", 0) for r in rounds) if rounds else float("nan")}


def tag_speed(device: str, model: Path, sentences: list[list[str]], batch_size: int, decoding: str = "default") -> dict:
    """Tokens/s of one ``predict`` over ``sentences`` and the host's share of its time (in a fresh
    process), decoding by ``decoding`` (loop, scan, or default: ``nerpipe.model.DECODING``'s)."""
    out = subprocess.run([sys.executable, __file__, "--tag-child", str(model), device, str(batch_size), decoding],
                         input=json.dumps(sentences), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def tag_child(model: str, device: str, batch_size: int, decoding: str) -> None:
    import torch

    import nerpipe.model
    from nerpipe.checkpoints import load_model
    from nerpipe.model import BiLSTMCRF

    if decoding != "default":
        nerpipe.model.DECODING = decoding

    torch.set_num_threads(1)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    network_s = 0.0

    def timed(method):
        def wrapper(*args, **kwargs):
            nonlocal network_s
            began = time.perf_counter()
            result = method(*args, **kwargs)
            sync()  # the network's share includes the device's work, the host's none of it
            network_s += time.perf_counter() - began
            return result
        return wrapper

    text = sys.stdin.read()
    seconds = []
    # twice, each time a fresh tagger (its caches as empty): as tag runs it (on a GPU each batch read
    # back while the next runs), then with the network's calls timed to their end for the host's
    # share (which loses that overlap)
    for instrumented in (False, True):
        # fresh strings each pass, as a stream brings them: a string's hash, once computed, is kept with it,
        # so a second pass over the same objects would skip work (about a third of the host's) a stream cannot
        sentences = json.loads(text)
        tagger = load_model(model, device, batch_size=batch_size)
        tagger.predict(sentences[: max(512, 2 * batch_size)])  # warm-up: two batches of the timed size
        if instrumented:
            BiLSTMCRF.chain, BiLSTMCRF.decode = timed(BiLSTMCRF.chain), timed(BiLSTMCRF.decode)
        sync()
        started = time.perf_counter()
        tagger.predict(sentences)
        sync()
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"tokens_per_s": sum(map(len, sentences)) / seconds[0], "host_share": 1 - network_s / seconds[1]}))


def cli_tag_speed(device: str, model: Path, text: Path, one: Path, tokens: int, workers: int, batch_size: int) -> dict:
    """``nerpipe tag`` on ``text`` (CoNLL, ``tokens`` tokens) with ``workers`` processes: tokens/s of
    the whole process, and with its start-up (the same command on the one-sentence ``one``) taken off."""
    def seconds(path: Path) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nerpipe", "tag", str(path), "-m", str(model), "-i", "conll", "-f", "conll",
                        "--device", device, "--workers", str(workers), "--batch-size", str(batch_size), "-q"],
                       stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started

    start_up, whole = seconds(one), seconds(text)
    return {"whole": tokens / whole, "start_up_s": start_up, "tokens_per_s": tokens / max(whole - start_up, 1e-9)}


def crf_loss_costs(device: str, batch: int = 64, seq_len: int = 44, tags: int = 17) -> dict:
    """Operations dispatched by, and best time of, the CRF loss's forward and backward:
    pytorch-crf's loop and nerpipe's scan, on ``device``."""
    import torch
    import torchcrf
    from torch.utils._python_dispatch import TorchDispatchMode

    from nerpipe.decoding import log_partition, path_score

    class Count(TorchDispatchMode):
        count = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.count += 1
            return func(*args, **(kwargs or {}))

    torch.manual_seed(0)
    crf = torchcrf.CRF(tags, batch_first=True).to(device)
    lengths = torch.randint(1, seq_len + 1, (batch,))
    lengths[0] = seq_len
    mask = (torch.arange(seq_len)[None, :] < lengths[:, None]).to(device)
    emissions = torch.randn(batch, seq_len, tags, device=device, requires_grad=True)
    gold = torch.randint(0, tags, (batch, seq_len), device=device) * mask
    scores = crf.transitions, crf.start_transitions, crf.end_transitions
    losses = {"pytorch-crf loop": lambda: -crf(emissions, gold, mask=mask, reduction="mean"),
              "scan": lambda: (log_partition(emissions, mask, *scores) - path_score(emissions, mask, *scores, gold)).mean()}
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    costs = {}
    for name, loss in losses.items():
        with Count() as counted:
            loss().backward()
        best = math.inf
        for _ in range(20):
            sync()
            began = time.perf_counter()
            loss().backward()
            sync()
            best = min(best, time.perf_counter() - began)
        costs[name] = {"ops": counted.count, "ms": best * 1000}
    return costs


def decoding_costs(device: str, batch: int, seq_len: int, tags: int = 17, scans: bool = True) -> dict:
    """Operations dispatched by, and best time of, the best paths (Viterbi) and the marginals
    of a batch, by the loops over positions and (``scans``) by the scans, on ``device``."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    from nerpipe.decoding import marginals, marginals_scan, viterbi, viterbi_scan

    class Count(TorchDispatchMode):
        count = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.count += 1
            return func(*args, **(kwargs or {}))

    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, seq_len + 1, (batch,), generator=g)
    lengths[0] = seq_len
    chain = (3 * torch.randn(batch, seq_len, tags, generator=g), torch.arange(seq_len)[None, :] < lengths[:, None],
             torch.randn(tags, tags, generator=g), torch.randn(tags, generator=g), torch.randn(tags, generator=g))
    chain = tuple(x.to(device) for x in chain)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    costs = {}
    methods = {"Viterbi loop": viterbi, "Viterbi scan": viterbi_scan, "marginals loop": marginals, "marginals scan": marginals_scan}
    for name, decode in methods.items():
        if not scans and name.endswith("scan"):
            continue
        with Count() as counted:
            decode(*chain)
        times: list[float] = []
        while len(times) < 10 and sum(times) < 1.0:  # the scans on a CPU take seconds
            sync()
            began = time.perf_counter()
            decode(*chain)
            sync()
            times.append(time.perf_counter() - began)
        costs[name] = {"ops": counted.count, "ms": min(times) * 1000}
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "conll2003")
    parser.add_argument("--sentences", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cuda-batch-sizes", default="64,256", help="training batch sizes tried on CUDA")
    parser.add_argument("--tag-batch-sizes", default="256,1024,4096", help="tagging batch sizes tried on CUDA")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli-repeat", type=int, default=20, help="test.txt repeated this often for the nerpipe tag rows")
    parser.add_argument("--cpu-workers", default="1,2", help="nerpipe tag --workers tried on the CPU")
    parser.add_argument("--cuda-workers", default="1,2,4,8", help="nerpipe tag --workers tried with --device cuda")
    parser.add_argument("--cuda-tag-batch", type=int, default=1024, help="nerpipe tag --batch-size with --device cuda")
    parser.add_argument("--embeddings", default="glove-6b-50d",
                        help="train's --embeddings (none where GloVe is not installed, as on a lent GPU machine)")
    parser.add_argument("--tag-child", nargs=4, metavar=("MODEL", "DEVICE", "BATCH", "DECODING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tag_child:
        model, device, batch, decoding = args.tag_child
        return tag_child(model, device, int(batch), decoding)
    import torch

    torch.set_num_threads(1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print("CRF loss, forward and backward, 64 sentences x 44 positions x 17 tags:\n")
    print("| device | method | operations dispatched | ms |")
    print("|---|---|---|---|")
    for device in devices:
        for name, cost in crf_loss_costs(device).items():
            print(f"| {device} | {name} | {cost['ops']:,} | {cost['ms']:.2f} |")
    print("\nDecoding a batch, 17 tags (the CPU takes the loops, a GPU the scans: nerpipe.model.decodes_by_scan):\n")
    print("| device | sentences x positions | method | operations dispatched | ms |")
    print("|---|---|---|---|---|")
    for device in devices:
        for batch, seq_len in ((256, 44), (1024, 44), (256, 128)):
            # on the CPU (which loops) the scans once: they take seconds there
            for name, cost in decoding_costs(device, batch, seq_len, scans=device != "cpu" or batch * seq_len == 256 * 44).items():
                print(f"| {device} | {batch} x {seq_len} | {name} | {cost['ops']:,} | {cost['ms']:.2f} |")
    test = [[line.split()[0] for line in b.splitlines()] for b in blocks(args.data / "test.txt")] * args.repeat
    trained, tagged, commands = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text("\n\n".join(blocks(args.data / "train.txt")[: args.sentences]) + "\n", encoding="utf-8")
        for device in devices:
            sizes = [int(b) for b in args.cuda_batch_sizes.split(",")] if device == "cuda" else [args.batch_size]
            for size in sizes:
                model = Path(tmp) / f"{device}-{size}.pt"
                trained[device, size] = train(device, str(train_file), str(args.data / "valid.txt"), model, args.epochs, size,
                                              args.embeddings)
            model = Path(tmp) / f"{device}-{args.batch_size}.pt"
            if not model.exists():
                trained[device, args.batch_size] = train(device, str(train_file), str(args.data / "valid.txt"), model,
                                                         args.epochs, args.batch_size, args.embeddings)
            for size in [int(b) for b in args.tag_batch_sizes.split(",")] if device == "cuda" else [256]:
                tagged[device, size, "default"] = tag_speed(device, model, test, size)
            if device == "cuda":  # the other decoding, at the middle batch size
                size = sorted(int(b) for b in args.tag_batch_sizes.split(","))[len(args.tag_batch_sizes.split(",")) // 2]
                tagged[device, size, "loop"] = tag_speed(device, model, test, size, "loop")
            text, one = Path(tmp) / "big.conll", Path(tmp) / "one.conll"
            big = [s for s in test[: len(test) // args.repeat]] * args.cli_repeat
            text.write_text("".join("".join(f"{t}\n" for t in s) + "\n" for s in big), encoding="utf-8")
            one.write_text("".join(f"{t}\n" for t in big[0]) + "\n", encoding="utf-8")
            for workers in [int(w) for w in (args.cuda_workers if device == "cuda" else args.cpu_workers).split(",")]:
                size = args.cuda_tag_batch if device == "cuda" else 256
                commands[device, workers] = cli_tag_speed(device, model, text, one, sum(map(len, big)), workers, size)
    cpu_train, cpu_tag = trained["cpu", args.batch_size], tagged["cpu", 256, "default"]
    print(f"\nCoNLL-2003: {args.sentences} training sentences x {args.epochs} epochs (--embeddings {args.embeddings}); "
          f"tagging test.txt x {args.repeat} ({sum(map(len, test)):,} tokens)\n")
    print("| device | training batch | lr | training tokens/s | x CPU | dev F1 |")
    print("|---|---|---|---|---|---|")
    for (device, size), r in trained.items():
        print(f"| {device} | {size} | {r['lr']:.4g} | {r['tokens_per_s']:,.0f} | "
              f"{r['tokens_per_s'] / cpu_train['tokens_per_s']:.1f}x | {r['dev_f1']:.2f} |")
    print("\n| device | tagging batch | decoding | tagging tokens/s | x CPU | host share | at most x this device |")
    print("|---|---|---|---|---|---|---|")
    for (device, size, decoding), r in tagged.items():
        decoding = ("scan" if device == "cuda" else "loop") if decoding == "default" else decoding
        print(f"| {device} | {size} | {decoding} | {r['tokens_per_s']:,.0f} | {r['tokens_per_s'] / cpu_tag['tokens_per_s']:.1f}x | "
              f"{r['host_share']:.0%} | {1 / max(r['host_share'], 1e-9):.1f}x |")
    reference = commands["cpu", 1]["tokens_per_s"]
    print(f"\n`nerpipe tag` on test.txt x {args.cli_repeat} (CoNLL in and out; start-up: the same command on one sentence)\n")
    print("| device | --workers | --batch-size | tokens/s, whole process | start-up s | tokens/s after start-up | x CPU |")
    print("|---|---|---|---|---|---|---|")
    for (device, workers), r in commands.items():
        size = args.cuda_tag_batch if device == "cuda" else 256
        print(f"| {device} | {workers} | {size} | {r['whole']:,.0f} | {r['start_up_s']:.1f} | {r['tokens_per_s']:,.0f} | "
              f"{r['tokens_per_s'] / reference:.1f}x |")
    if "cuda" not in devices:
        print("\nno CUDA device here: the GPU rows (targets: training 5x, tagging 10x one CPU thread) are still to measure")


if __name__ == "__main__":
    main()
