import json
import os
import random
import subprocess
import sys

import pytest
import synthetic
import torch
from conftest import run_cli


def tag(model, args, input=None):
    return run_cli(["tag", "--model", str(model), "--threads", "1", *args], input=input)


@pytest.mark.slow
def test_conll_in_conll_out_scores_perfectly(tiny_model, tmp_path):
    gold = synthetic.write(tmp_path / "gold.conll", 40, seed=5)
    result = tag(tiny_model, [gold])
    assert result.exit_code == 0
    out = result.stdout
    assert len(out.splitlines()) == len(open(gold).read().splitlines())
    score = run_cli(["score", "--format", "json"], input=out)
    assert json.loads(score.stdout)["f1"] == 1.0


@pytest.mark.slow
def test_conll_keeps_columns_comments_and_docstart(tiny_model):
    text = "-DOCSTART- -X- O\n\n# a comment\nAnna X O\nBerg X O\nflew X O\n\n"
    out = tag(tiny_model, ["-i", "conll"], input=text).stdout
    assert out.splitlines() == ["-DOCSTART- -X- O", "", "# a comment", "Anna X O B-PER", "Berg X O I-PER", "flew X O O", ""]
    out = tag(tiny_model, ["-i", "conll", "--replace"], input="Anna X O\nBerg X O\nflew X O\n").stdout
    assert out == "Anna X B-PER\nBerg X I-PER\nflew X O\n"
    result = tag(tiny_model, ["-i", "conll", "--replace"], input="Anna\nBerg\n")
    assert result.exit_code == 1 and "<stdin>:1: --replace would overwrite the tokens" in result.stderr
    for col in ("3", "4", "-4"):  # once taken modulo 3: the token column, X, X
        result = tag(tiny_model, ["-i", "conll", "--replace", "--tag-col", col], input="Anna X Y\nBerg X Y\n")
        assert result.exit_code == 1 and f"<stdin>:1: --tag-col {col} is out of range: the file has 3 column(s)" in result.stderr
        assert result.stdout == ""
    out = tag(tiny_model, ["-i", "conll", "--replace", "--tag-col", "-3"], input="Anna X Y\nBerg X Y\n")
    assert out.exit_code == 1 and "--replace would overwrite the tokens" in out.stderr  # -3 is column 0


@pytest.mark.slow
def test_plain_text_spans_have_exact_offsets(tiny_model):
    text = "Anna  Berg flew to Oslo.\r\nTom Hale works for Acme in Lima .\n\n\tOmar Diaz 👍🏽 flew to “New Ulm” …\n"
    result = tag(tiny_model, ["-v"], input=text)
    assert "reading text" in result.stderr
    records = [json.loads(l) for l in result.stdout.splitlines()]
    assert len(records) == 2
    found = []
    for r in records:
        start = r["meta"]["offset"]
        assert text[start:start + len(r["text"])] == r["text"]
        for tok in r["tokens"]:
            assert r["text"][tok["start"]:tok["end"]] == tok["text"]
        for s in r["spans"]:
            assert 0 < s["score"] <= 1
            found.append((s["label"], r["text"][s["start"]:s["end"]]))
    assert ("PER", "Anna  Berg") in found and ("LOC", "Oslo") in found and ("ORG", "Acme") in found
    assert ("LOC", "New Ulm") in found and ("PER", "Omar Diaz") in found


@pytest.mark.slow
def test_jsonl_passes_extra_fields_and_uses_given_tokens(tiny_model):
    rec = {"id": "x1", "text": "Tom Hale flew to Lima .", "tokens": ["Tom", "Hale", "flew", "to", "Lima", "."], "meta": {"k": 1}}
    out = json.loads(tag(tiny_model, [], input=json.dumps(rec) + "\n").stdout)
    assert out["id"] == "x1" and out["meta"] == {"k": 1}
    assert [(s["label"], s["token_start"], s["token_end"]) for s in out["spans"]] == [("PER", 0, 1), ("LOC", 4, 4)]
    empty = json.loads(tag(tiny_model, [], input='{"text": ""}\n').stdout)
    assert empty["spans"] == [] and empty["tokens"] == []


@pytest.mark.slow
def test_min_score_drops_spans(tiny_model):
    text = "Anna Berg flew to Oslo .\n"
    all_spans = json.loads(tag(tiny_model, [], input=text).stdout)["spans"]
    assert all_spans
    assert json.loads(tag(tiny_model, ["--min-score", "1.0"], input=text).stdout)["spans"] == [
        s for s in all_spans if s["score"] >= 1.0]
    # a threshold read off the output keeps every span showing at least that score
    for threshold in sorted({s["score"] for s in all_spans}):
        kept = json.loads(tag(tiny_model, ["--min-score", str(threshold)], input=text).stdout)["spans"]
        assert kept == [s for s in all_spans if s["score"] >= threshold]


def test_min_score_compares_scores_as_written():
    from nerpipe.formats import Annotation, filter_annotation

    spans = [(0, 1, "PER"), (2, 3, "LOC"), (4, 5, "ORG")]
    ann = Annotation(spans, [0.50196, 0.50194, 0.99996])
    assert filter_annotation(ann, 0.502).spans == [spans[0], spans[2]]  # written 0.502, 0.5019, 1.0
    assert filter_annotation(ann, 1.0).spans == [spans[2]]


@pytest.mark.slow
def test_order_is_kept_with_shuffled_lengths(tiny_model, tmp_path):
    rng = random.Random(0)
    lines = []
    for i in range(300):
        n = rng.choice([1, 2, 5, 30, 200])
        lines.append(json.dumps({"i": i, "text": " ".join(rng.choice(["Anna", "flew", "to", "Oslo", "x"]) for _ in range(n))}))
    result = tag(tiny_model, ["--batch-size", "7"], input="\n".join(lines) + "\n")
    assert [json.loads(l)["i"] for l in result.stdout.splitlines()] == list(range(300))


@pytest.mark.slow
def test_very_long_sentence_keeps_every_token(tiny_model):
    tokens = ["Anna", "Berg", "flew", "to", "Oslo"] * 4000
    text = "".join(f"{t} O\n" for t in tokens)
    out = tag(tiny_model, ["-i", "conll"], input=text).stdout.splitlines()
    assert len(out) == len(tokens)
    assert [l.split()[0] for l in out] == tokens
    assert out[0].endswith("B-PER") and out[-1].endswith("B-LOC")


@pytest.mark.slow
def test_bad_input_errors_and_skip(tiny_model):
    bad = '{"text": "Anna flew"}\n{oops\n{"text": "Tom Hale"}\n'
    result = tag(tiny_model, ["-i", "jsonl"], input=bad)
    assert result.exit_code == 1 and "<stdin>:2: invalid JSON" in result.stderr
    result = tag(tiny_model, ["-i", "jsonl", "--on-error", "skip"], input=bad)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2
    assert "skipped: <stdin>:2: invalid JSON" in result.stderr
    conll = "Anna O\nBerg O\n\nx y O\nz O\n\nTom O\n"
    result = tag(tiny_model, ["-i", "conll"], input=conll)
    assert result.exit_code == 1 and "<stdin>:4: expected 2 columns" in result.stderr
    result = tag(tiny_model, ["-i", "conll", "--on-error", "skip"], input=conll)
    assert [l.split()[0] for l in result.stdout.splitlines() if l] == ["Anna", "Berg", "Tom"]


@pytest.mark.slow
def test_invalid_utf8(tiny_model, tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Anna flew to Z\xfcrich\n".encode("latin-1"))
    result = tag(tiny_model, [str(f)])
    assert result.exit_code == 1 and f"{f}:1: invalid UTF-8" in result.stderr


def test_no_default_model_message_or_default_model():
    from nerpipe.checkpoints import default_model_path

    if default_model_path().exists():
        result = run_cli(["tag"], input="Angela Merkel visited Paris .\n")
        assert result.exit_code == 0 and json.loads(result.stdout)["spans"]
    else:
        result = run_cli(["tag"], input="x\n")
        assert result.exit_code == 1 and "no embedded default model" in result.stderr


@pytest.mark.slow
def test_pipeline_through_the_installed_command(tiny_model, tmp_path):
    gold = synthetic.write(tmp_path / "gold.conll", 20, seed=8)
    cmd = f"{sys.executable} -m nerpipe tag --threads 1 -m {tiny_model} {gold} | {sys.executable} -m nerpipe score --format json"
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["f1"] == 1.0
    big = tmp_path / "big.txt"
    big.write_text("Anna Berg flew to Oslo .\n\n" * 20000)
    proc = subprocess.run(f"set -o pipefail; {sys.executable} -m nerpipe tag --threads 1 -m {tiny_model} {big} | head -2",
                          shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2 and proc.stderr == ""


@pytest.mark.slow
def test_memory_stays_bounded(tiny_model, tmp_path):
    """tag streams: five times the input adds less than a tenth to its peak memory. (A figure
    in MB depends on the machine and the torch build; a bound of 600 MB was met by a tag that
    read all 60,000 sentences before tagging any, at about 450 MB.)"""
    from nerpipe.inference import BLOCK_TOKENS

    def peak_rss_mb(sentences: int) -> float:
        path = tmp_path / f"{sentences}.conll"
        path.write_text("Anna O\nBerg O\nflew O\nto O\nOslo O\n. O\n\n" * sentences)
        # the peak of the tag process alone, measured by a parent that runs nothing else
        code = (
            "import resource, subprocess, sys;"
            f"subprocess.run([sys.executable, '-m', 'nerpipe', 'tag', '--threads', '1', '-m', '{tiny_model}', '{path}'],"
            " stdout=subprocess.DEVNULL, check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) / 1024

    small = 7_000  # sentences of 6 tokens: 42,000 tokens, so that both inputs are several blocks long
    assert 6 * small > 2 * BLOCK_TOKENS, "the smaller input must span two blocks"
    base, five_times = peak_rss_mb(small), peak_rss_mb(5 * small)
    # streaming: the same peak, give or take the allocator (a few MB); reading everything first adds ~100 MB
    assert five_times - base < base / 10, f"{base:.0f} MB for {small:,} sentences, {five_times:.0f} MB for {5 * small:,}"


@pytest.mark.slow
def test_workers_keep_order_and_output(tiny_model, tmp_path):
    rng = random.Random(1)
    lines = [json.dumps({"i": i, "text": " ".join(rng.choice(["Anna", "Berg", "flew", "to", "Oslo", "."])
                                                   for _ in range(rng.choice([2, 9, 40, 300])))}) for i in range(400)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    one = subprocess.run([sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model), "--threads", "1", str(path)],
                         capture_output=True, text=True, check=True).stdout
    two = subprocess.run([sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model), "-j", "2", str(path)],
                         capture_output=True, text=True, check=True).stdout
    assert two == one
    assert [json.loads(l)["i"] for l in two.splitlines()] == list(range(400))


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("bad", [b"bad\x00line\n", b"caf\xe9\n"])
def test_the_records_before_a_bad_line_are_written_then_the_error(tiny_model, tmp_path, workers, bad):
    path = tmp_path / "in.txt"
    path.write_bytes(b"Anna Berg flew to Oslo .\n" * 3000 + bad + b"Tom .\n")  # the bad line deep in a block
    result = subprocess.run([sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model), "--threads", "1", "-j", workers,
                             "-i", "lines", "-f", "jsonl", str(path)], capture_output=True, text=True)
    assert result.returncode == 1 and "in.txt:3001: " in result.stderr and "Traceback" not in result.stderr
    assert [json.loads(line)["meta"]["line"] for line in result.stdout.splitlines()] == list(range(1, 3001))


@pytest.mark.slow
def test_inputs_of_several_formats_give_one_output_format_the_firsts(tiny_model, tmp_path):
    text, conll = tmp_path / "a.txt", tmp_path / "b.conll"
    text.write_text("Anna Berg flew to Oslo .\n")
    conll.write_text("Tom B-PER\nHale I-PER\n\n")
    result = tag(tiny_model, [str(text), str(conll)])
    records = [json.loads(line) for line in result.stdout.splitlines()]  # (CoNLL's closing blank line: a record too)
    assert result.exit_code == 0 and [r["text"] for r in records if r["text"]] == ["Anna Berg flew to Oslo .", "Tom Hale"]
    assert "b.conll (conll) is written as jsonl, the first input's output format, not conll" in result.stderr
    chosen = tag(tiny_model, ["-f", "conll", str(text), str(conll)])
    assert chosen.exit_code == 0 and "written as" not in chosen.stderr


def _workers_waiting(leader: int) -> bool:
    """Whether every other process of ``leader``'s group sleeps (Linux /proc): the workers
    have tagged what they were given and wait for more."""
    from pathlib import Path

    states = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
        except OSError:  # gone meanwhile
            continue
        state, _, group = rest.rsplit(")", 1)[1].split()[:3]  # after "(command)": state, parent, group
        if int(group) == leader and int(pid) != leader:
            states.append(state)
    return bool(states) and all(state == "S" for state in states)


@pytest.mark.slow
def test_ctrl_c_with_workers_exits_130_quietly(tiny_model):
    """Ctrl-C at a terminal reaches the command and its workers (the foreground process
    group); workers waiting for work would each print a traceback unless they ignore it."""
    import contextlib
    import signal
    import time

    from conftest import Lines, default_sigint

    from nerpipe.inference import BLOCK_TOKENS, Documents

    proc = subprocess.Popen([sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model), "-j", "2", "-i", "text"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_sigint,
                            start_new_session=True)  # a group of its own, as a terminal's job
    try:
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        # five blocks of 6-token paragraphs (plain text is one document, read in blocks of block_factor
        # times the usual size): with two workers, output starts once four blocks are in flight
        proc.stdin.write(b"Anna Berg flew to Oslo.\n\n" * (5 * Documents.block_factor * BLOCK_TOKENS // 6))
        proc.stdin.flush()
        assert json.loads(out.next())["spans"]  # the pool is up and tagging
        # then they finish the blocks they hold and wait, as standard input stays open
        deadline = time.monotonic() + Lines.DEADLINE
        asleep = 0
        while asleep < 2:  # twice in a row, 50 ms apart: waiting, not a pause within a block
            assert time.monotonic() < deadline, "the workers never finished their blocks"
            asleep = asleep + 1 if _workers_waiting(proc.pid) else 0
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(timeout=60)
        said = err.rest()
        assert status == 130, said
        assert b"Traceback" not in said
        with pytest.raises(ProcessLookupError):  # and no worker outlives the command
            os.killpg(proc.pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):  # cleaning up: whatever is left of the group
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_labels_the_model_lacks_are_a_usage_error(tiny_model):
    for workers in ("1", "2"):
        result = tag(tiny_model, ["--labels", "PER,PERSON", "-f", "tsv", "-j", workers], input="Anna Berg flew.\n")
        assert result.exit_code == 2 and result.stdout == ""
        assert "--labels: the model has no type PERSON; it knows LOC, ORG, PER" in result.stderr
    assert tag(tiny_model, ["--labels", " , "], input="x\n").exit_code == 2


def test_labels_differing_only_in_case_are_read_as_the_model_spells_them():
    result = run_cli(["tag", "--labels", "per", "-f", "tsv", "examples/doc.txt"])
    assert result.exit_code == 0
    assert "--labels per: read as PER" in result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert rows and {row[4] for row in rows} == {"PER"}


@pytest.mark.slow
def test_options_that_would_do_nothing_are_usage_errors(tiny_model):
    result = tag(tiny_model, ["--tag-col", "1"], input="Anna O\n")
    assert result.exit_code == 2 and "--tag-col is the column --replace overwrites" in result.stderr
    result = tag(tiny_model, ["--scores", "-f", "conll"], input="Anna O\n")
    assert result.exit_code == 2 and "CoNLL output has no place for scores" in result.stderr
    for fmt in ("conllu", "hf", "doccano", "redact"):  # (their output was the same with --scores as without)
        result = tag(tiny_model, ["--scores", "-f", fmt, "-i", "text"], input="Anna flew\n")
        assert result.exit_code == 2 and "output has no place for scores" in result.stderr, fmt
    for fmt in ("jsonl", "tsv", "html", "labelstudio", "pretty"):
        assert tag(tiny_model, ["--scores", "-f", fmt, "-i", "text"], input="Anna flew\n").exit_code == 0, fmt
    for fmt in ("tsv", "html", "hf", "conllu"):  # (their output was the same with --replace as without)
        result = tag(tiny_model, ["--replace", "-f", fmt, "-i", "jsonl"], input='{"text": "Anna flew", "spans": []}\n')
        assert result.exit_code == 2 and f"{fmt} output has nothing it would change" in result.stderr, fmt
    assert tag(tiny_model, ["--tag-col", "1", "--replace", "-f", "conll"], input="Anna O\n").exit_code == 0


def test_web_names_stay_one_token_through_tag():
    result = run_cli(["tag", "-f", "conll"], input="Amazon.com said sales rose.\n")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines() if line] == ["Amazon.com", "said", "sales", "rose", "."]


def test_a_png_is_named_as_an_image(tmp_path):
    result = run_cli(["tag", "examples/doc.html.png"])
    assert result.exit_code == 1 and result.stderr == "Error: examples/doc.html.png:1: this is a PNG image, not text\n"


@pytest.mark.slow
def test_scores_with_conll_output_by_default_is_a_usage_error(tiny_model, tmp_path):
    (tmp_path / "t.conll").write_text("Anna O\nBerg O\n")
    result = tag(tiny_model, ["--scores", str(tmp_path / "t.conll")])
    assert result.exit_code == 2 and "CoNLL output has no place for scores" in result.stderr and result.stdout == ""


@pytest.mark.slow
def test_threads_with_workers_is_a_usage_error(tiny_model):
    result = tag(tiny_model, ["-j", "2", "--threads", "2"], input="Anna\n")
    assert result.exit_code == 2 and "--workers run one torch thread each" in result.stderr


def test_web_addresses_handles_and_hashtags_stay_whole_through_tag():
    text = "Mail jo@example.org or see https://example.com/a?b=1 and @jack on #MeToo.\n"
    result = run_cli(["tag", "-f", "conll"], input=text)
    tokens = [line.split()[0] for line in result.stdout.splitlines() if line]
    assert tokens == ["Mail", "jo@example.org", "or", "see", "https://example.com/a?b=1", "and", "@jack", "on", "#MeToo", "."]


def test_output_over_the_model_or_the_patterns_read_is_refused(tmp_path):
    import shutil

    from nerpipe.checkpoints import default_model_path

    model = tmp_path / "m.pt"
    shutil.copy(default_model_path(), model)
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Acme"}\n')
    size = model.stat().st_size
    for extra, target in ((["-m", str(model)], model), (["--patterns", str(patterns)], patterns)):
        result = run_cli(["tag", *extra, "-o", str(target)], input="Acme hired Anna .\n")
        assert result.exit_code == 2 and f"-o {target} is an input too" in result.stderr, result.stderr
    assert model.stat().st_size == size and "Acme" in patterns.read_text()



def test_a_pattern_label_in_another_case_than_the_models_is_said_to_be_a_new_type(tmp_path):
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "org", "pattern": "Acme"}\n{"label": "ORG", "pattern": "Foo"}\n{"label": "PRODUCT", '
                        '"pattern": "Widget"}\n')
    result = run_cli(["tag", "--patterns", str(patterns), "-f", "tsv"], input="Acme hired Anna .\n")
    assert result.exit_code == 0 and "\torg\t" in result.stdout
    assert result.stderr == "nerpipe: warning: --patterns: org is a new type, not the model's ORG (labels are read as written)\n"


@pytest.mark.slow
def test_a_file_that_does_not_end_its_sentence_is_not_joined_to_the_next(tiny_model, tmp_path):
    """CoNLL-2003's valid.txt ends without a line break: given before another file, its last
    line was joined to the next file's first ("... OParis B-LOC"), and a file that ends
    without a blank line had its last sentence merged with the next file's first. The
    outputs are kept apart, with and without workers; a file that ends properly is
    followed by nothing more (test_cli_convert checks the bytes)."""
    (tmp_path / "a.conll").write_text("Anna B-PER\nBerg I-PER")
    (tmp_path / "b.conll").write_text("Oslo B-LOC\n")
    (tmp_path / "c.conll").write_text("flew O\n\n")
    paths = [str(tmp_path / name) for name in ("a.conll", "b.conll", "c.conll", "a.conll")]
    for workers in ([], ["-j", "2"]):
        out = subprocess.run([sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model), "--threads", "1", *workers,
                              *paths], capture_output=True, text=True, check=True).stdout
        blocks = [[line.split()[0] for line in block.splitlines()] for block in out.split("\n\n")]
        assert blocks == [["Anna", "Berg"], ["Oslo"], ["flew"], ["Anna", "Berg"]], (workers, out)


@pytest.mark.slow
def test_a_conll_option_on_other_input_is_refused_or_said_to_do_nothing(tiny_model, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "Anna Berg flew"}\n')
    said = tag(tiny_model, ["--sep", "tab", str(path)])
    assert said.exit_code == 0 and "warning: --sep did nothing: it is for conll input" in said.stderr
    said = tag(tiny_model, ["--conllu-key", "Entity", str(path)])
    assert said.exit_code == 0 and "warning: --conllu-key did nothing: it is for conllu input or conllu output" in said.stderr
    assert "did nothing" not in tag(tiny_model, ["--conllu-key", "Entity", "-f", "conllu", str(path)]).stderr
    assert tag(tiny_model, ["-i", "jsonl", "--token-col", "1", str(path)]).exit_code == 2
    both = tag(tiny_model, ["--sep", "space", str(path), "-"], input="Anna O\n")  # one input was CoNLL: it did something
    assert both.exit_code == 0 and "did nothing" not in both.stderr


@pytest.mark.slow
def test_workers_spawned_as_for_a_gpu_tag_as_one_process_does(tiny_model, tmp_path, monkeypatch):
    """On CUDA the workers are spawned, not forked (a forked child cannot use CUDA once its
    parent has); spawned, they get the model, device and patterns by pickling, and tag alike."""
    import nerpipe.inference as inference
    from nerpipe.checkpoints import load_model
    from nerpipe.patterns import Patterns

    assert inference.worker_start("cuda") == inference.worker_start("cuda:1") == "spawn"
    assert inference.worker_start("cpu") == ("fork" if sys.platform.startswith("linux") else "spawn")
    path = tmp_path / "in.txt"
    path.write_text("".join(f"Anna Berg flew to Oslo with Zed Qux {i} .\n\n" for i in range(300)))
    patterns = Patterns([{"label": "ORG", "pattern": "Zed Qux"}])
    options = inference.TagOptions(input_format="text", output_format="jsonl")
    one = "".join(inference.tag_files([str(path)], load_model(tiny_model, patterns=patterns), options))
    monkeypatch.setattr(inference, "worker_start", lambda device: "spawn")
    two = "".join(inference.tag_files_parallel([str(path)], str(tiny_model), options, 2, patterns=patterns,
                                               block_tokens=500, device="cpu"))
    assert two == one and one.count('"ORG"') == 300


def test_workers_on_a_device_other_than_cpu_or_cuda_is_a_usage_error(monkeypatch):
    import nerpipe.cli.tag  # noqa: F401 (the module, which nerpipe.cli's command of that name hides)

    monkeypatch.setattr(sys.modules["nerpipe.cli.tag"], "setup_torch", lambda device, threads: torch.device("mps"))
    result = run_cli(["tag", "-j", "2", "--device", "mps"], input="Anna\n")
    assert result.exit_code == 2 and "--workers runs on the CPU or on CUDA, not on mps" in result.stderr


@pytest.mark.slow
def test_records_without_their_blank_lines_stay_apart_in_conll_across_workers_blocks(tiny_model, tmp_path):
    """Records from CoNLL that lost the marker lines before them (as select writes them): one
    blank line between every two sentences, in one process and in blocks across workers."""
    import nerpipe.inference as inference
    from nerpipe.checkpoints import load_model

    records = [json.dumps({"text": f"Anna{k} Berg ran", "tokens": [f"Anna{k}", "Berg", "ran"],
                           "conll": {"lines": [f"Anna{k} X\n", "Berg X\n", "ran X\n"], "sep": " ", "tag_col": 1, "before": []}})
               for k in range(40)]
    path = tmp_path / "picked.jsonl"
    path.write_text("\n".join(records) + "\n")
    options = inference.TagOptions(input_format="jsonl", output_format="conll")
    one = "".join(inference.tag_files([str(path)], load_model(tiny_model), options, block_tokens=10))
    many = "".join(inference.tag_files_parallel([str(path)], str(tiny_model), options, 2, block_tokens=10))
    for out in (one, many):
        blocks = out.split("\n\n")
        assert [b.splitlines()[0].split()[0] for b in blocks if b] == [f"Anna{k}" for k in range(40)], out
