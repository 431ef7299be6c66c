"""What several commands share: option declarations, notes on stderr, and the checks
around reading and writing (no torch: `nerpipe --help` stays fast)."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator

import click

from ..errors import NerpipeError, UsageError
from ..formats import ALIGN_MODES
from ..formats.source import same_file
from ..schemes import SCHEME_NAMES

FILES = click.Path(exists=True, allow_dash=True)  # a directory: a brat collection
ALIGN = click.option("--align", type=click.Choice(ALIGN_MODES), default="strict", show_default=True,
                     help="JSONL character spans that miss token boundaries: an error (strict), widened to the tokens they "
                          "touch (expand) or narrowed to the tokens inside them (contract).")
ON_ERROR = click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
                        help="On a bad record: stop (exit 1), or report it on stderr and go on.")
SEP = click.option("--sep", type=click.Choice(["auto", "tab", "space"]), default="auto", show_default=True,
                   help="CoNLL column separator: tab, runs of spaces, or decided by the first token line.")
SCHEMES = click.Choice(SCHEME_NAMES)
MAP = click.option("--map", "label_map", multiple=True, default=(), metavar="OLD=NEW|FILE|PRESET",
                   help="Read labels through a map (repeatable): OLD=NEW (NEW empty or O: drop OLD), a TSV file of such pairs, "
                        "or ontonotes-conll (PERSON->PER; GPE, LOC, FAC->LOC; NORP, EVENT, ... ->MISC; numbers and dates "
                        "dropped). Labels it does not name stay as they are.")
def _label_names(ctx, param, value: str | None) -> tuple[str, ...] | None:
    """``--label-names``: a comma-separated list, or a file of one name a line."""
    if value is None:
        return None
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    else:
        names = [name.strip() for name in value.split(",")]
    if not names or not all(names):
        raise click.BadParameter("expected tag names, e.g. O,B-PER,I-PER (or a file of one name a line)")
    return tuple(names)


LABEL_NAMES = click.option("--label-names", callback=_label_names, default=None, metavar="LIST|FILE",
                           help="hf: the tag name of each integer ner_tag, in order (the dataset's ClassLabel names), "
                                "comma-separated or a file of one a line; hf output (tag, convert) then writes integers.")
REDACT_CHAR = click.option("--redact-char", metavar="C",
                           help="redact: replace each entity by C repeated to its length (offsets and layout hold) "
                                "instead of [LABEL].")
OUTPUT = click.option("-o", "--output", type=click.Path(), default=None,
                      help="Write into this file instead of standard output (gzip when it ends in .gz); for brat output, "
                           "the directory (new or empty) that gets a .txt and a .ann per record.")
ANNOTATION = click.option("--annotation", type=click.Choice(["latest", "first", "prediction"]), default="latest",
                          show_default=True, help="labelstudio input: which of a task's annotations to read (the latest or "
                                                  "the first not cancelled, or the latest prediction).")
DATA_KEY = click.option("--data-key", metavar="KEY",
                        help="labelstudio: the task's data field that holds the text (read: text, or the only string; "
                             "written: as read, else text).")
def _file_to_write(ctx, param, value: str | None) -> str | None:
    """A file the run will write at its end: its folder must be there now, not after an hour's work."""
    if value is not None:
        folder = os.path.dirname(os.path.abspath(value))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise click.BadParameter(f"cannot write {value}: no folder {folder}, or not writable")
    return value


LS_CONFIG = click.option("--config", "ls_config", type=click.Path(dir_okay=False), default=None, callback=_file_to_write,
                         help="labelstudio output: also write a labeling config for its labels to this file (the project's "
                              "Labeling Interface, Code).")
CONLLU_KEY = click.option("--conllu-key", default="NER", show_default=True, metavar="KEY",
                          help="conllu: the MISC entry that holds the entity tag (KEY=B-PER), read and written.")
MAP_DROP_OTHERS = click.option("--map-drop-others", is_flag=True, default=False,
                               help="Drop the labels no --map rule names (as OLD or as NEW).")
DEVICE = click.option("--device", default="cpu", show_default=True,
                      help="cpu, cuda, cuda:N, mps, or auto (CUDA, then MPS, then CPU).")
THREADS = click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
                       help="CPU threads for torch. One is about as fast as more on an idle machine and far faster on a busy "
                            "one (docs/benchmarks.md, threads under load), and gives the same model on any machine; use --workers (tag) "
                            "or torchrun (train) for more cores.")


def note(text: str) -> None:
    """A line on stderr, through whatever ``sys.stderr`` is now: while tag's progress line
    shows, that is rich's proxy, which prints the line above it."""
    print(f"nerpipe: {text}", file=sys.stderr, flush=True)


def report_skipped(err: NerpipeError) -> None:
    note(f"skipped: {err}")


def on_error_handler(on_error: str):
    """The library's ``on_error`` for ``--on-error``: None (raise) or a reporter."""
    return report_skipped if on_error == "skip" else None


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def hint_if_typing(paths) -> None:
    """Reading standard input from a terminal is usually a mistake: say how to end it."""
    if "-" in paths and sys.stdin.isatty():
        click.echo("nerpipe: reading standard input from the terminal (end with Ctrl-D; --help for usage)", err=True)


def given(ctx: click.Context, name: str) -> bool:
    """Whether the user gave option ``name`` (as opposed to its default)."""
    return ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT


@contextlib.contextmanager
def usage_errors(ctx: click.Context | None = None) -> Iterator[None]:
    """The library's :class:`UsageError` as click's, so it shows under ``ctx``'s usage line."""
    try:
        yield
    except UsageError as err:
        raise click.UsageError(str(err), ctx=ctx) from None


class NerpipeCommand(click.Command):
    """A command whose library usage errors (an absent device, an unknown --labels type,
    options that cannot go together) show under its own usage line, exit status 2, as
    click's own do."""

    def invoke(self, ctx: click.Context):
        with usage_errors(ctx):
            return super().invoke(ctx)


def setup_torch(device: str, threads: int):
    """Import torch (only here), set threads, resolve the device; an absent device is a usage error."""
    import torch

    from ..device import resolve_device

    torch.set_num_threads(threads)
    return resolve_device(device)


def refuse_overwrite(option: str, path: str | None, inputs: tuple[str, ...] | list[str] = ()) -> None:
    """A usage error if ``path`` (what ``option`` writes) is one of ``inputs``: a file named
    there, or standard input (``-``, or no inputs at all) redirected from it."""
    if path is None or path == "-" or not os.path.exists(path):
        return
    named = [given for given in inputs if given != "-"]
    for given in named:
        if os.path.exists(given) and same_file(given, path):
            raise click.UsageError(f"{option} {path} is an input too: writing it would destroy what is being read")
    if named and "-" not in inputs:
        return
    try:
        stdin = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):  # no standard input, or one without a descriptor
        return
    target = os.stat(path)
    if stat.S_ISREG(stdin.st_mode) and (stdin.st_dev, stdin.st_ino) == (target.st_dev, target.st_ino):
        raise click.UsageError(f"{option} {path} is standard input too: writing it would destroy what is being read")


def check_ls_config(ls_config: str | None, fmt: str | None, output: str | None, inputs: list[str],
                    flag: str = "-f") -> None:
    """``--config FILE`` (Label Studio's labeling config): only with that format, and never
    over an input or the output."""
    if ls_config is None:
        return
    if fmt != "labelstudio":
        raise click.UsageError(f"--config writes Label Studio's labeling config: it goes with {flag} labelstudio")
    if output not in (None, "-") and same_file(output, ls_config):
        raise click.UsageError(f"--config {ls_config} is the -o file too: give each its own file")
    refuse_overwrite("--config", ls_config, inputs)


@contextlib.contextmanager
def output_stream(path: str | None, fmt: str | None, inputs: tuple[str, ...] | list[str] = ()) -> Iterator:
    """Where the output text goes: standard output, or the file of ``-o`` (gzip-compressed
    when its name ends in ``.gz``, as such an input is read). For a format
    written as a directory of files, ``-o`` is that directory (made ready, nothing in it
    overwritten) and the stream is standard output, which then gets nothing."""
    from ..formats import FORMATS, prepare_directory

    refuse_overwrite("-o", path, inputs)
    if fmt is not None and FORMATS[fmt].directory:
        if path is None:
            raise click.UsageError(f"{fmt} output is a directory of files: give it with -o DIR")
        prepare_directory(path)
        yield sys.stdout
    elif path is None or path == "-":
        out = Written(sys.stdout, "<stdout>")
        try:
            yield out
        except BaseException:
            try:  # what is buffered would fail again at exit, with a traceback of Python's own
                sys.stdout.flush()
            except OSError:
                drop_stdout()
            raise
        out.flush()  # (what is left would fail unseen at exit)
    else:
        try:
            if path.endswith(".gz"):  # as inputs are read: a .gz name holds gzip data
                import gzip

                f = gzip.open(path, "wt", encoding="utf-8", newline="")
            else:
                f = open(path, "w", encoding="utf-8", newline="")
        except OSError as err:
            raise click.UsageError(f"-o {path}: {err.strerror}") from None
        out = Written(f, path)
        try:
            yield out
        except BaseException:
            with contextlib.suppress(OSError):  # the error on its way out is the one to tell
                f.close()
            raise
        out.close()


def drop_stdout() -> None:
    """Send what is left in stdout's buffer nowhere: Python would otherwise fail again
    when it flushes stdout at exit, and print a traceback of its own."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class Written:
    """An output stream whose failure to write (a full disk) is said as an error (exit 1),
    not a traceback; a closed pipe still ends quietly (``| head``)."""

    def __init__(self, stream, name: str):
        self.stream, self.name = stream, name

    def write(self, text: str) -> int:
        return self._do(self.stream.write, text)

    def flush(self) -> None:
        self._do(self.stream.flush)

    def close(self) -> None:
        self._do(self.stream.close)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)

    def _do(self, call, *args):
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            if self.stream is sys.stdout:  # what is buffered would fail again when Python flushes it at exit
                drop_stdout()
            raise NerpipeError(f"cannot write: {err.strerror or err}", self.name) from None


# options that only some formats use: (input formats that read them, output formats that write with them)
FORMAT_OPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "--sep": (("conll",), ()),
    "--token-col": (("conll",), ()),
    "--annotation": (("labelstudio",), ()),
    "--align": (("jsonl", "doccano", "labelstudio", "brat"), ()),
    "--label-names": (("hf",), ("hf",)),
    "--conllu-key": (("conllu",), ("conllu",)),
    "--data-key": (("labelstudio",), ("labelstudio",)),
}


_PARAMS = {name: name[2:].replace("-", "_") for name in FORMAT_OPTIONS}  # "--token-col" -> "token_col"


def _formats_of(name: str) -> str:
    reads, writes = FORMAT_OPTIONS[name]
    return " or ".join([f"{f} input" for f in reads] + [f"{f} output" for f in writes])


class FormatOptions:
    """Options given for formats that may be neither the input's nor the output's (``tag
    --sep tab`` on JSONL did nothing, silently): a usage error where both formats are
    named and neither uses one, else a warning after the run for each that no input read
    and no output wrote (:meth:`unused`, from the formats :meth:`on_format` was told)."""

    def __init__(self, input_format: str, output_format: str | None, flag: str = "-i", out_flag: str = "-f"):
        """The options given are those the running command's line (or environment) set."""
        ctx = click.get_current_context()
        self.given = [name for name, param in _PARAMS.items() if param in ctx.params and given(ctx, param)]
        self.seen: set[str] = set()
        self.output_format = output_format
        if input_format != "auto":  # both formats known now (the output's by default the input's own)
            from ..formats import FORMATS

            self.seen.add(input_format)
            output = output_format or FORMATS[input_format].default_output or "jsonl"
            for name in self.unused_names():
                raise click.UsageError(f"{name} is for {_formats_of(name)}; {flag} {input_format} and {out_flag} {output} "
                                       "have no use for it")

    def on_format(self, name: str, fmt: str, why: str) -> None:
        self.seen.add(fmt)

    def unused_names(self) -> list[str]:
        from ..formats import FORMATS

        outputs = {self.output_format} if self.output_format is not None else \
            {FORMATS[f].default_output or "jsonl" for f in self.seen}
        return [name for name in self.given
                if not self.seen & set(FORMAT_OPTIONS[name][0]) and not outputs & set(FORMAT_OPTIONS[name][1])]

    def unused(self) -> list[str]:
        """A warning for each option given that no input read and no output wrote."""
        return [f"{name} did nothing: it is for {_formats_of(name)}" for name in self.unused_names()]
