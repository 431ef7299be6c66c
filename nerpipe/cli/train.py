"""``nerpipe train``: a BiLSTM-CRF from CoNLL or JSONL data, kept at its best dev F1."""

from __future__ import annotations

import os
import sys
import time

import click

from ..files import rename_target
from ..formats.source import same_file
from ..recase import CASE_MIXES
from ..training.config import DEFAULT_EPOCHS, OPTIMIZERS
from ..training.config import DEFAULTS as TRAINING
from .options import (
    DEVICE,
    FILES,
    LABEL_NAMES,
    MAP,
    MAP_DROP_OTHERS,
    SEP,
    THREADS,
    NerpipeCommand,
    given,
    refuse_overwrite,
    setup_torch,
)


@click.command(cls=NerpipeCommand)
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
@click.option("--keep-types/--no-keep-types", default=TRAINING.keep_types, show_default=True,
              help="With --init-model: the types the base model knows and TRAIN never annotates (MISC, for WikiANN) are "
                   "taught from the base model's predictions on TRAIN instead of as O, so they are not unlearned. To keep "
                   "more of the base model, add your earlier data as another TRAIN file.")
@click.option("--l2sp", type=click.FloatRange(0), default=TRAINING.l2sp, show_default=True, metavar="ALPHA",
              help="With --init-model: add ALPHA times the squared distance of the weights from where they started to "
                   "the loss (L2-SP), so adapting keeps more of the base model.")
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
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default=TRAINING.optimizer, show_default=True)
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
@click.option("--case-variants", default=None, metavar="LIST",
              help="Also train on copies of the data in these casings (lower,upper,title, all or none), and stop on dev in "
                   "all of them, so the model reads text in any casing.  [default: none; with --init-model, the casings "
                   "that model was trained in]")
@click.option("--case-mix", type=click.Choice(CASE_MIXES), default=None,
              help="concat: every casing of every sentence each epoch; sample: one casing per sentence per epoch (cheaper); "
                   "half: each sentence as written and once in another casing.  [default: concat; with the --init-model's "
                   "casings, its mix]")
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
@MAP
@MAP_DROP_OTHERS
@LABEL_NAMES
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
    from ..recase import parse_case_variants
    from ..training.config import SHAPED_BY_BASE, TrainConfig, check_init_model

    if options["embeddings"] == "none" and options["keep_pretrained"] and given(ctx, "keep_pretrained"):
        raise click.UsageError("--keep-pretrained keeps pretrained words; with --embeddings none there are none")
    if options["epochs"] is not None and options["min_steps"] and given(ctx, "min_steps"):
        raise click.UsageError(f"--min-steps raises the default cap of {DEFAULT_EPOCHS} epochs on small data; "
                               "with --epochs the cap is the one you gave (drop one of them)")
    keeping = [f"--{name.replace('_', '-')}" for name in ("keep_types", "l2sp") if given(ctx, name)]
    if not options["init_model"] and keeping:
        raise click.UsageError(f"{' and '.join(keeping)} keep{'s' if len(keeping) == 1 else ''} what the --init-model knew: "
                               f"{'it goes' if len(keeping) == 1 else 'they go'} with --init-model")
    if given(ctx, "case_mix") and not case_variants and not options["init_model"]:
        raise click.UsageError("--case-mix mixes the casings of --case-variants; add --case-variants (e.g. all)")
    base = [options["init_model"]] if options["init_model"] not in (None, "default") else []
    check_outputs(output, log, [*(train_files or ["-"]), *dev_files, *base])
    config = TrainConfig.from_options({**options, "case_variants": None if case_variants is None else parse_case_variants(case_variants)})
    check_init_model(config, given=[name for name in SHAPED_BY_BASE if given(ctx, name)])
    torch_device = setup_torch(device, threads)
    from ..progress import PlainReporter, RichReporter
    from ..training import train as train_model

    reporter = PlainReporter(quiet=True) if quiet else RichReporter() if sys.stderr.isatty() else PlainReporter()
    started = time.time()
    try:
        result = train_model(train_files, output, dev_files, config, torch_device, resume=resume, log=log, reporter=reporter,
                             keep_state=keep_state)
    except KeyboardInterrupt:
        state = f"{output}.state"
        if os.path.exists(state) and (resume or os.path.getmtime(state) >= started - 1):  # not one an earlier run left
            reporter.warning(f"interrupted; the best model so far is in {output}; continue with --resume")
        else:
            reporter.warning("interrupted before the first round ended: there is nothing to resume; run it again")
        raise
    if result.rank == 0:
        reporter.message(result.summary())
        if result.advice():
            reporter.warning(result.advice())


def check_outputs(output: str, log: str | None, inputs: list[str]) -> None:
    """The model file and the log go where they destroy nothing the run reads, into a
    folder that exists (a typo in a path is not a new folder tree)."""
    refuse_overwrite("-o", output, inputs)
    rename_target(output, "-o")  # the model is renamed into place: never over /dev/null, a pipe or a folder
    refuse_overwrite("--log", log, inputs)
    if log is not None and same_file(log, output):
        raise click.UsageError(f"--log {log} is the -o file too: give each its own file")
    for option, path in (("-o", output), ("--log", log)):
        folder = os.path.dirname(os.path.abspath(path)) if path is not None else None
        if folder is not None and not os.path.isdir(folder):
            raise click.UsageError(f"{option} {path}: no such folder {folder}")
