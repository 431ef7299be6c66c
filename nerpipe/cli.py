"""The ``nerpipe`` command: click commands over the library, nothing else.

Torch is imported only inside the commands that need a model, so ``nerpipe --help``
and ``nerpipe score`` start fast.
"""

from __future__ import annotations

import gc
import json
import os
import sys

import click

from . import __version__
from .errors import NerpipeError, UsageError
from .formats import ALIGN_MODES, FORMATS, INPUT_FORMATS, OUTPUT_FORMATS
from .recase import CASE_MIXES
from .training.config import DEFAULT_EPOCHS
from .training.config import DEFAULTS as TRAINING

FILES = click.Path(exists=True, dir_okay=False, allow_dash=True)
ALIGN = click.option("--align", type=click.Choice(ALIGN_MODES), default="strict", show_default=True,
                     help="JSONL character spans that miss token boundaries: an error (strict), widened to the tokens they "
                          "touch (expand) or narrowed to the tokens inside them (contract).")
ON_ERROR = click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
                        help="On a bad record: stop (exit 1), or report it on stderr and go on.")


def _format_help() -> str:
    return "; ".join(f"{name}: {f.help}" for name, f in FORMATS.items())


def _note(text: str) -> None:
    """A line on stderr, through whatever ``sys.stderr`` is now: while tag's progress line
    shows, that is rich's proxy, which prints the line above it."""
    print(f"nerpipe: {text}", file=sys.stderr, flush=True)


def _report_skipped(err: NerpipeError) -> None:
    _note(f"skipped: {err}")


SEP = click.option("--sep", type=click.Choice(["auto", "tab", "space"]), default="auto", show_default=True,
                   help="CoNLL column separator: tab, runs of spaces, or decided by the first token line.")


class NerpipeGroup(click.Group):
    """Turns library errors into exit statuses, in one place.

    1: bad data (``FILE:LINE: message``); 2: usage (click); 130: Ctrl-C;
    a reader that closes the pipe early (``| head``) ends us quietly with 0.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as err:
            raise click.UsageError(str(err)) from None
        except NerpipeError as err:
            raise click.ClickException(str(err)) from None
        except KeyboardInterrupt:
            click.echo("nerpipe: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # Python would complain again when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None


@click.group(cls=NerpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nerpipe")
def cli() -> None:
    """Named-entity recognition as a Unix filter.

    \b
    Examples:
      cat doc.txt | nerpipe tag                       # entities in plain text
      nerpipe train train.conll --dev dev.conll -o model.pt
      nerpipe tag --model model.pt test.conll | nerpipe score
      nerpipe score gold.conll pred.conll             # conlleval's P/R/F1

    Exit status: 0 success, 1 bad data, 2 usage error, 130 interrupted.
    """


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _hint_if_typing(paths) -> None:
    """Reading standard input from a terminal is usually a mistake: say how to end it."""
    if "-" in paths and sys.stdin.isatty():
        click.echo("nerpipe: reading standard input from the terminal (end with Ctrl-D; --help for usage)", err=True)


@cli.command()
@click.argument("gold", type=FILES, default="-")
@click.argument("pred", type=FILES, required=False)
@click.option("--format", "fmt", type=click.Choice(["auto", "table", "text", "json", "conlleval", "html"]), default="auto",
              show_default=True, help="auto: a table on a terminal, plain aligned text in a pipe. html: a self-contained "
                                      "page with every table and the frequent errors (implies --errors).")
@click.option("--strict", is_flag=True, help="seqeval's strict mode: only well-formed entities count (needs --scheme).")
@click.option("--scheme", type=click.Choice(["iob1", "iob2", "iobes", "bilou"]),
              help="Read the tags in this scheme and score them as IOB2 (with --strict: seqeval's scheme).")
@click.option("--gold-col", type=int, default=-1, show_default=True, help="Tag column of GOLD (two-file mode).")
@click.option("--pred-col", type=int, default=-1, show_default=True, help="Tag column of PRED (two-file mode).")
@click.option("--errors", is_flag=True,
              help="Also analyse the errors: SemEval-2013 9.1 categories (correct, wrong type, wrong boundary, both, missed, "
                   "spurious) per type, strict/exact/partial/type-only P/R/F1, a type confusion table, the most frequent "
                   "errors in their sentences and, for scored JSONL predictions, calibration and --min-score thresholds "
                   "(json: an \"errors\" object).")
@click.option("--top", type=click.IntRange(0), help="With --errors: how many of the most frequent errors to show  [default: 10]")
@SEP
def score(gold, pred, fmt, strict, scheme, gold_col, pred_col, errors, top, sep):
    """Entity-level precision, recall and F1, identical to conlleval.

    With GOLD and PRED, compare the tag columns of two CoNLL files holding the same
    tokens. With one FILE (or stdin), read conlleval's layout: the last two columns
    are the gold and the predicted tag. JSONL is compared by character offsets
    (one file: "spans" against "predicted_spans", as `nerpipe tag` writes them).

    Zero division: precision is 0 with no predicted entity, recall is 0 with no
    gold entity, F1 is 0 when both are 0; an empty input scores all zeros.

    --errors adds the error analysis after conlleval's figures, which stay as they
    are. Gold and predicted entities pair one to one, best first (same span and
    type, same span, overlap with the same type, overlap), then the larger overlap.

    \b
    Examples:
      nerpipe score gold.conll pred.conll
      nerpipe tag --model m.pt gold.conll | nerpipe score --format json
      nerpipe score --format conlleval output.txt
      nerpipe tag gold.jsonl | nerpipe score --errors --top 20
      nerpipe score --format html pred.conll > errors.html
    """
    from .schemes import Scheme
    from .scoring import score_files

    if strict and not scheme:
        raise click.UsageError("--strict needs --scheme iob2, iobes or bilou")
    if pred is None and (gold_col != -1 or pred_col != -1):
        raise click.UsageError("--gold-col and --pred-col choose the tag columns of two files (GOLD PRED); one file is read "
                               "in conlleval's layout, gold and predicted tags in its last two columns")
    errors = errors or fmt == "html"
    if top is not None and not errors:
        raise click.UsageError("--top goes with --errors (or --format html)")
    _hint_if_typing([gold, pred])
    result = score_files(gold, pred, sep=sep, strict=strict, scheme=Scheme.parse(scheme) if scheme else None,
                         gold_col=gold_col, pred_col=pred_col, errors=errors, top=10 if top is None else top)
    for warning in result.warnings():
        _note(f"warning: {warning}")
    if fmt == "auto":
        fmt = "table" if _stdout_is_terminal() else "text"
    from .report import html_report, rich_renderables, text_report

    extra = text_report(result.errors) if result.errors else ""
    if fmt == "table":
        from rich.console import Console

        console = Console()
        for renderable in [result.rich_table(), *(rich_renderables(result.errors) if result.errors else [])]:
            console.print(renderable)
    elif fmt == "json":
        click.echo(result.to_json())
    elif fmt == "html":
        click.echo(html_report(result, "nerpipe score: " + " ".join(p for p in (gold, pred) if p)), nl=False)
    elif fmt == "conlleval":
        click.echo(result.conlleval_report() + extra, nl=False)
    else:
        click.echo(result.text_report() + extra, nl=False)


@cli.command()
@click.argument("files", type=FILES, nargs=-1)
@click.option("--from", "from_", type=click.Choice(["auto", *INPUT_FORMATS]), default="auto", show_default=True,
              help="Input format (auto: detected as by tag).")
@click.option("--to", type=click.Choice(OUTPUT_FORMATS), required=True, help="Output format.")
@click.option("--scheme", type=click.Choice(["iob1", "iob2", "iobes", "bilou"]),
              help="Rewrite tags in this scheme (CoNLL output; default: keep them, iob2 from JSONL).")
@click.option("--token-col", type=int, default=0, show_default=True, help="CoNLL token column (negative counts from the end).")
@click.option("--tag-col", type=int, default=-1, show_default=True, help="CoNLL tag column (negative counts from the end).")
@ALIGN
@ON_ERROR
@SEP
def convert(files, from_, to, scheme, token_col, tag_col, align, on_error, sep):
    """Convert between CoNLL and JSONL spans, or between tag schemes.

    CoNLL to CoNLL with --scheme rewrites the tag column in place and keeps every
    other column, comment and -DOCSTART- line. CoNLL to JSONL and back gives the
    same bytes (the lines travel in each record's "conll" field). JSONL records
    without "tokens" are tokenised CoNLL-2003 style and their character spans
    aligned to the tokens (see --align).

    \b
    Examples:
      nerpipe convert --to conll --scheme iobes train.conll > train.iobes
      nerpipe convert --to jsonl train.conll | head -1
      nerpipe convert --from jsonl --to conll spans.jsonl
    """
    from .convert import convert_files
    from .schemes import Scheme

    if scheme and to != "conll":
        raise click.UsageError(f"--scheme rewrites CoNLL tags; --to {to} writes entities, which have no tag scheme")
    _hint_if_typing(list(files) or ["-"])
    for chunk in convert_files(list(files) or ["-"], from_, to, Scheme.parse(scheme) if scheme else None,
                               sep=sep, token_col=token_col, tag_col=tag_col, align=align,
                               on_error=_report_skipped if on_error == "skip" else None):
        sys.stdout.write(chunk)


DEVICE = click.option("--device", default="cpu", show_default=True,
                      help="cpu, cuda, cuda:N, mps, or auto (CUDA, then MPS, then CPU).")
THREADS = click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
                       help="CPU threads for torch. One is about as fast as more on an idle machine and far faster on a busy "
                            "one (measured in the README, Speed), and gives the same model on any machine; use --workers (tag) "
                            "or torchrun (train) for more cores.")


def _setup_torch(device: str, threads: int | None):
    """Import torch (only here), set threads, resolve the device; an absent device is a usage error."""
    import torch

    from .device import resolve_device

    torch.set_num_threads(threads)
    try:
        return resolve_device(device)
    except UsageError as err:
        raise click.UsageError(str(err)) from None


@cli.command()
@click.argument("train_files", metavar="TRAIN...", type=FILES, nargs=-1, required=True)
@click.option("--dev", "dev_files", type=FILES, multiple=True,
              help="Dev file(s): evaluated after each round, for early stopping on entity F1 (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Where to write the best model.")
@click.option("--embeddings", default=TRAINING.embeddings, show_default=True,
              help="Pretrained vectors: auto (GloVe 6B 50-d when installed and the training data looks English), none, "
                   "glove-6b-50d, or a GloVe/word2vec text file (.gz too).")
@click.option("--keep-pretrained", type=click.IntRange(0), default=TRAINING.keep_pretrained, show_default=True,
              help="Also keep this many of the most frequent pretrained words not in the training data "
                   "(the model grows by about N x dim bytes).")
@click.option("--init-model", metavar="default|MODEL", default=TRAINING.init_model,
              help="Start from a trained model (default: the embedded English one) and adapt it to TRAIN: its weights, "
                   "words and labels are kept, the new data's words and labels added. Its architecture options are kept.")
@click.option("--epochs", type=click.IntRange(1), default=TRAINING.epochs,
              help=f"At most N epochs. Without it: {DEFAULT_EPOCHS}, raised on small data to make --min-steps steps.")
@click.option("--min-steps", type=click.IntRange(0), default=TRAINING.min_steps, show_default=True,
              help=f"On small data, raise the default cap of {DEFAULT_EPOCHS} epochs so the run may take N optimizer steps "
                   "(never an --epochs you give).")
@click.option("--eval-steps", type=click.IntRange(0), default=TRAINING.eval_steps, show_default=True,
              help="A round is one epoch, or as many as make N optimizer steps when an epoch is shorter: the dev data is "
                   "evaluated, and --patience and --lr-decay count, once a round.")
@click.option("--patience", type=click.IntRange(1), default=TRAINING.patience, show_default=True,
              help="Rounds without a better dev F1 before stopping.")
@click.option("--batch-size", type=click.IntRange(1), default=TRAINING.batch_size, show_default=True, help="Sentences per batch.")
@click.option("--optimizer", type=click.Choice(["adam", "nadam", "sgd"]), default=TRAINING.optimizer, show_default=True)
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=TRAINING.lr, show_default=True, help="Learning rate.")
@click.option("--lr-decay", type=click.FloatRange(0), default=TRAINING.lr_decay, show_default=True,
              help="Rate in round r (from 0): lr / (1 + decay * r).")
@click.option("--average", type=click.FloatRange(0, 1, max_open=True), default=TRAINING.average, show_default=True,
              help="Evaluate and keep a moving average of the weights, with this decay per step (0: off).")
@click.option("--clip", type=click.FloatRange(0), default=TRAINING.clip, show_default=True, help="Gradient norm clipping (0: off).")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), default=TRAINING.model.dropout, show_default=True,
              help="Dropout on the LSTM's input and output.")
@click.option("--variational/--no-variational", default=TRAINING.model.variational, show_default=True,
              help="Variational dropout: one mask per sentence, the same units dropped at every position.")
@click.option("--word-dropout", type=click.FloatRange(0, 1, max_open=True), default=TRAINING.word_dropout, show_default=True,
              help="Chance that a training word is fed as unknown, so the model learns to use spelling and context.")
@click.option("--lexicon/--no-lexicon", default=TRAINING.lexicon, show_default=True,
              help="Give the model a gazetteer of the training data's entities (built across folds while training).")
@click.option("--case-variants", default=",".join(TRAINING.case_variants), metavar="LIST",
              help="Also train on copies of the data in these casings (lower,upper,title or all), and stop on dev in all of "
                   "them, so the model reads text in any casing.")
@click.option("--case-mix", type=click.Choice(CASE_MIXES), default=TRAINING.case_mix, show_default=True,
              help="concat: every casing of every sentence each epoch; sample: one casing per sentence per epoch (cheaper); "
                   "half: each sentence as written and once in another casing.")
@click.option("--lower-chars/--no-lower-chars", default=TRAINING.lower_chars, show_default=True,
              help="The character CNN reads lower-cased spelling; case reaches the model only through the casing feature.")
@click.option("--sentence-case/--no-sentence-case", default=TRAINING.sentence_case, show_default=True,
              help="The casing feature also tells whether the whole sentence is lower-case, upper-case, title-case or mixed.")
@click.option("--hidden", type=click.IntRange(1), default=TRAINING.model.hidden, show_default=True, help="LSTM size per direction.")
@click.option("--layers", type=click.IntRange(1), default=TRAINING.model.layers, show_default=True, help="BiLSTM layers.")
@click.option("--char-filters", type=click.IntRange(1), default=TRAINING.model.char_filters, show_default=True,
              help="Character CNN filters.")
@click.option("--crf/--no-crf", default=TRAINING.model.crf, show_default=True, help="CRF output layer, or a softmax per token.")
@click.option("--seed", type=int, default=TRAINING.seed, show_default=True,
              help="Random seed; on CPU the same seed, data and --threads give the same model.")
@click.option("--resume", is_flag=True, help="Continue the interrupted run that wrote OUTPUT (same options).")
@click.option("--keep-state", is_flag=True,
              help="Keep OUTPUT.state when the run ends (it is always kept after Ctrl-C or an error, for --resume).")
@click.option("--log", "--log-file", "log", type=click.Path(dir_okay=False),
              help="Write one JSON object per round to this file (under torchrun, spell it --log-file).")
@click.option("-q", "--quiet", is_flag=True, help="No progress, round lines or summary on stderr; warnings and errors still.")
@click.option("--token-col", type=int, default=TRAINING.token_col, show_default=True,
              help="Token column (negative counts from the end).")
@click.option("--tag-col", type=int, default=TRAINING.tag_col, show_default=True, help="Tag column (negative counts from the end).")
@SEP
@DEVICE
@THREADS
@click.pass_context
def train(ctx, train_files, dev_files, output, resume, keep_state, log, quiet, case_variants, device, threads, **options):
    """Train a BiLSTM-CRF tagger on CoNLL or JSONL files (or stdin).

    Keeps the model with the best dev entity F1 (conlleval) in OUTPUT, written
    atomically. OUTPUT.state, written after each round, lets --resume continue
    after Ctrl-C; a run that ends normally removes it (see --keep-state).

    A round is an epoch, or on small data as many epochs as make --eval-steps
    optimizer steps; the run stops after --patience rounds without a better dev F1,
    or at the cap (--epochs; without it 30, raised on small data to make
    --min-steps steps).
    Without --dev it runs to the cap and keeps the last model.

    Under torchrun it trains data-parallel: gloo on CPUs, nccl on GPUs.

    \b
    Examples:
      nerpipe train train.conll --dev dev.conll -o model.pt
      nerpipe train train.conll --dev dev.conll --embeddings glove-6b-50d -o model.pt
      nerpipe train train.conll --dev dev.conll -o model.pt --resume
      torchrun --nproc-per-node 2 -m nerpipe train train.conll --dev dev.conll -o model.pt
    """
    from .recase import parse_case_variants

    if options["init_model"]:
        shaped = [name for name in ("hidden", "layers", "char_filters", "crf", "sentence_case", "lower_chars", "embeddings",
                                    "keep_pretrained", "lexicon")
                  if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
        if shaped:
            raise click.UsageError("--init-model keeps the base model's architecture and words; drop "
                                   + ", ".join("--" + n.replace("_", "-") for n in shaped))
    if options["embeddings"] == "none" and ctx.get_parameter_source("keep_pretrained") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--keep-pretrained keeps pretrained words; with --embeddings none there are none")
    options["case_variants"] = parse_case_variants(case_variants)
    torch_device = _setup_torch(device, threads)
    from .progress import PlainReporter, RichReporter
    from .training import TrainConfig
    from .training import train as train_model

    config = TrainConfig.from_options(options)
    reporter = PlainReporter(quiet=True) if quiet else RichReporter() if sys.stderr.isatty() else PlainReporter()
    try:
        result = train_model(train_files, output, dev_files, config, torch_device, resume=resume, log=log, reporter=reporter,
                             keep_state=keep_state)
    except KeyboardInterrupt:
        reporter.warning(f"interrupted; the best model so far is in {output}; continue with --resume")
        raise
    if result.rank == 0:
        reporter.message(result.summary())
        if result.advice():
            reporter.warning(result.advice())


@cli.command()
@click.argument("files", type=FILES, nargs=-1)
@click.option("-m", "--model", type=click.Path(exists=True, dir_okay=False), help="Model file (default: the embedded English model).")
@click.option("-i", "--input-format", type=click.Choice(["auto", *INPUT_FORMATS]), default="auto", show_default=True,
              help="auto: JSONL if the first line is an object, CoNLL if the first lines are columns ending in a tag "
                   "or single tokens, else text. lines: one record per line.")
@click.option("-f", "--format", "fmt", type=click.Choice(OUTPUT_FORMATS),
              help="Output format (default: pretty on a terminal; in a pipe or file, conll for CoNLL input and jsonl "
                   "for the others).")
@click.option("--scores", is_flag=True, help="pretty: show each entity's confidence after its label (jsonl, tsv and html "
                                             "always carry them; conll cannot).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Drop entities whose confidence, as written with four decimals, is below this (every format; in CoNLL their tokens become O).")
@click.option("--labels", metavar="LIST", help="Keep only entities of these types, e.g. PER,ORG (every format).")
@click.option("--replace", is_flag=True, help="CoNLL: write the tag into --tag-col instead of appending a column; "
                                              "JSONL: predictions overwrite the record's spans instead of going beside them.")
@click.option("--tag-col", type=int, default=-1, show_default=True, help="The column --replace overwrites.")
@click.option("--token-col", type=int, default=0, show_default=True, help="CoNLL token column.")
@click.option("--batch-size", type=click.IntRange(1), default=256, show_default=True, help="Sentences per model batch.")
@ON_ERROR
@ALIGN
@click.option("-v", "--verbose", is_flag=True, help="Say which input format was chosen, and why.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no hint when reading standard input from a terminal.")
@click.option("-j", "--workers", type=click.IntRange(1), default=1, show_default=True,
              help="CPU worker processes (one thread each); output order is kept.")
@SEP
@DEVICE
@THREADS
def tag(files, model, input_format, fmt, scores, min_score, labels, replace, tag_col, token_col, batch_size, on_error, align,
        verbose, quiet, workers, sep, device, threads):
    """Tag entities in plain text, CoNLL or JSONL (files or stdin).

    Plain text is split into paragraphs (blank lines), sentences and CoNLL-2003
    style tokens. On a terminal the text is shown with each entity highlighted
    (-f pretty); into a pipe or file, JSONL gives each entity's character offsets
    and a confidence ("score"), and CoNLL keeps every input line and appends the
    predicted tag, so `nerpipe tag gold.conll | nerpipe score` works as it is.
    -f html writes one web page; -f tsv one entity per line. Long runs show
    their progress on a terminal's stderr (-q: not).

    \b
    Examples:
      nerpipe tag examples/doc.txt
      nerpipe tag --model model.pt test.conll | nerpipe score
      nerpipe tag -f html doc.txt > doc.html
      nerpipe tag -f tsv notes.txt | cut -f5,7 | sort | uniq -c
    """
    if tag_col != -1 and not replace:
        raise click.UsageError("--tag-col is the column --replace overwrites; add --replace (without it the tag is appended)")
    if scores and fmt == "conll":
        raise click.UsageError("--scores: CoNLL output has no place for scores (jsonl, tsv and html always carry them)")
    torch_device = _setup_torch(device, threads)
    from .checkpoints import check_model, load_model
    from .inference import TagOptions, resolve_labels, tag_files, tag_files_parallel
    from .progress import tag_progress

    def tell(name: str, chosen: str, why: str) -> None:
        if verbose:
            _note(f"{name}: reading {chosen} ({why})")

    if workers > 1 and torch_device.type != "cpu":
        raise click.UsageError("--workers is for CPU tagging; on a GPU one process is faster")
    if workers == 1:
        tagger = load_model(model, torch_device)
        tagger.batch_size = batch_size
        gc.freeze()  # the model's 400,000 words live as long as we do: keep them out of every collection
        model_tags = tagger.vocab.tags
    else:
        model_tags = check_model(model)["vocab"]["tags"]
    wanted = None
    if labels is not None:
        wanted, notes = resolve_labels(labels.split(","), model_tags)
        for note in notes:
            _note(note)
    if fmt is None and _stdout_is_terminal():
        fmt = "pretty"
    options = TagOptions(input_format, fmt, min_score, tag_col if replace else None, sep, token_col,
                         _report_skipped if on_error == "skip" else None, tell, wanted, align, scores)
    paths = list(files) or ["-"]
    if not quiet:
        _hint_if_typing(paths)
    # output that goes to the screen shows its own progress
    with tag_progress(not quiet and sys.stderr.isatty() and not _stdout_is_terminal()) as on_block:
        options.on_block = on_block
        if workers > 1:
            chunks = tag_files_parallel(paths, model, options, workers, batch_size)
        else:
            chunks = tag_files(paths, tagger, options)
        for chunk in chunks:
            sys.stdout.write(chunk)
            sys.stdout.flush()


@cli.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["auto", "table", "json"]), default="auto", show_default=True)
def info(model, fmt):
    """Show what a model file holds: labels, scheme, sizes, training summary.

    Without MODEL, describes the embedded default model.

    \b
    Examples:
      nerpipe info model.pt
      nerpipe info --format json | jq .training.best_dev_f1
    """
    from .checkpoints import describe

    data = describe(model)
    if fmt == "json" or (fmt == "auto" and not _stdout_is_terminal()):
        click.echo(json.dumps(data, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=data["path"], show_header=False, title_justify="left")
    for key, value in data.items():
        if key != "training":
            table.add_row(key, json.dumps(value) if isinstance(value, (dict, list)) else str(value))
    training = data.get("training", {})
    for key in ("train_sentences", "train_tokens", "epochs_run", "steps_run", "best_epoch", "best_dev_f1", "stopped", "seed"):
        if training.get(key) is not None:
            value = training[key]
            table.add_row(f"training.{key}", f"{value:.2f}" if isinstance(value, float) else str(value))
    Console().print(table)


def main() -> None:
    try:
        cli.main(prog_name="nerpipe")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
