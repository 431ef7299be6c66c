"""Checkpoints: one self-contained file, written atomically, loaded without running code.

A checkpoint is a plain dict (strings, numbers, lists, tensors) that
``torch.load(weights_only=True)`` reads; a file whose pickle would build any other
object is refused. It is written to a temporary file beside the target, synced,
then renamed over it, so a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from . import __version__
from .errors import NerpipeError
from .files import rename_target
from .lexicon import Lexicon
from .model import CRF_SCORES, BiLSTMCRF, ModelConfig
from .model_config import whole_number
from .patterns import Patterns
from .schemes import Scheme, labels_of_tags
from .tagger import PREFER, Tagger
from .vocab import Vocab

FORMAT = "nerpipe-checkpoint"
FORMAT_VERSION = 2
DEFAULT_MODEL = Path(__file__).parent / "models" / "en-conll2003.pt"


def default_model_path() -> Path:
    return DEFAULT_MODEL


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same directory, fsync, then rename (over
    the file a symbolic link points to; never over a device, pipe or folder: see
    :func:`~nerpipe.files.rename_target`)."""
    target = rename_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a model file is an ordinary file
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def safe_load(path: str | os.PathLike, device: torch.device | str = "cpu", kind: str = FORMAT) -> dict:
    """Load a dict of plain data and tensors whose ``format`` is ``kind``; never unpickle arbitrary objects."""
    try:
        data = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise NerpipeError("no such model file", str(path)) from None
    except pickle.UnpicklingError as err:
        blocked = re.search(r"unsupported GLOBAL (\S+)", str(err))
        if blocked:
            raise NerpipeError(
                f"refusing to load: the file asks to run Python code ({blocked.group(1)}); it is not a nerpipe checkpoint",
                str(path),
            ) from None
        raise NerpipeError("not a readable checkpoint (damaged or not made by nerpipe)", str(path)) from None
    except Exception as err:
        # torch's weights-only unpickler fails on damaged bytes with whatever error the
        # bad opcode hits (KeyError, IndexError, RuntimeError, ...): all mean the same here
        first_line = (str(err).splitlines() or [type(err).__name__])[0][:160]
        raise NerpipeError(f"not a readable checkpoint (damaged or not made by nerpipe): {first_line}", str(path)) from None
    if not isinstance(data, dict) or data.get("format") != kind:
        raise NerpipeError(f"not a {kind} file", str(path))
    if kind == FORMAT:
        data = migrate(data)
    if kind == FORMAT and data.get("format_version") != FORMAT_VERSION:
        raise NerpipeError(
            f"checkpoint format version {data.get('format_version')!r} is not one this nerpipe ({__version__}) reads "
            f"(it reads {FORMAT_VERSION})",
            str(path),
        )
    return data


def migrate(data: dict) -> dict:
    """A checkpoint written by an earlier nerpipe, brought up to this format (in memory).

    Version 1 (nerpipe 0.1) kept the CRF's learned scores under pytorch-crf's own names
    (``crf.transitions``, ...) and a ``--lexicon`` model's gazetteer inside the vocabulary;
    version 2 constrains the scores with a torch parametrization, which keeps them under
    ``crf.parametrizations.<name>.original``, and keeps the gazetteer beside the vocabulary
    (``lexicon``). Nothing else changed.
    """
    if data.get("format_version") == 1:
        state = dict(data["state_dict"])
        for name in ("transitions", "start_transitions", "end_transitions"):
            if f"crf.{name}" in state:
                state[CRF_SCORES.format(name)] = state.pop(f"crf.{name}")
        vocab = dict(data["vocab"])
        lexicon = {"lexicon": vocab.pop("lexicon")} if "lexicon" in vocab else {}
        data = {**data, "state_dict": state, "vocab": vocab, **lexicon, "format_version": 2, "migrated_from": 1}
    return data


def checkpoint_dict(model: BiLSTMCRF, vocab: Vocab, scheme: Scheme, train_scheme: Scheme, meta: dict,
                    lexicon: Lexicon | None = None) -> dict:
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nerpipe_version": __version__,
        "config": model.config.to_dict(),
        "vocab": vocab.to_dict(),
        "scheme": scheme.value,
        "train_scheme": train_scheme.value,
        "meta": meta,
        "state_dict": state,
        **({"lexicon": lexicon.to_dict()} if lexicon is not None else {}),
    }


def build_model(data: dict, device: torch.device) -> Tagger:
    try:
        config = ModelConfig.from_dict(data["config"])
        vocab = Vocab.from_dict(data["vocab"])
        train_scheme = Scheme(data["train_scheme"])
        model = BiLSTMCRF(config, vocab, train_scheme)
        model.load_state_dict(data["state_dict"], strict=True)
        scheme = Scheme(data["scheme"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise NerpipeError(f"checkpoint is inconsistent: {str(err).splitlines()[0][:200]}") from None
    model.to(device).eval()
    lexicon = Lexicon.from_dict(data["lexicon"]) if "lexicon" in data else None
    return Tagger(model, vocab, scheme, train_scheme, data.get("meta", {}), device, lexicon=lexicon)


def _model_path(path: str | os.PathLike | None) -> str | os.PathLike:
    if path is None:
        if not DEFAULT_MODEL.exists():
            raise NerpipeError("this nerpipe has no embedded default model; pass --model MODEL.pt")
        return DEFAULT_MODEL
    return path


def check_model(path: str | os.PathLike | None = None) -> dict:
    """Read a checkpoint's data (no model is built); raises what :func:`load_model` would."""
    return safe_load(_model_path(path))


def load_model(path: str | os.PathLike | None = None, device: torch.device | str = "cpu", batch_size: int = 256,
               patterns: Patterns | str | os.PathLike | Iterable[dict] | None = None, prefer: str = "pattern",
               context: bool = True) -> Tagger:
    """Load a checkpoint (the embedded default model when ``path`` is None) onto ``device``,
    as a :class:`~nerpipe.tagger.Tagger` ready to predict, ``batch_size`` sentences a network call.

    ``patterns``: names the user knows, forced inside the decoder (a JSONL file, compiled
    :class:`~nerpipe.patterns.Patterns`, or dicts as such a file holds them; see
    :mod:`nerpipe.patterns`); ``prefer``: "pattern" or "model", which wins where a match
    overlaps a span the model is confident of. ``context``: read each sentence in the light
    of its document (:mod:`nerpipe.context`; :meth:`~nerpipe.tagger.Tagger.predict_documents`)."""
    if whole_number("batch_size", batch_size) < 1:
        raise ValueError(f"batch_size: expected a whole number of sentences, at least 1, got {batch_size!r}")
    batch_size = whole_number("batch_size", batch_size)
    patterns = Patterns.coerce(patterns)
    from .device import as_device

    path = _model_path(path)
    # an absent GPU is said as such, not as a damaged file; "auto" as on the command line
    device = as_device(device)
    data = safe_load(path, device)
    try:
        tagger = build_model(data, device)
    except NerpipeError as err:
        raise NerpipeError(err.message, str(path)) from None
    tagger.batch_size = batch_size
    tagger.patterns = patterns
    if prefer not in PREFER:
        raise ValueError(f"prefer: expected one of {', '.join(PREFER)}, got {prefer!r}")
    tagger.prefer = prefer
    if not context:
        tagger.context = None
    return tagger


def describe(path: str | os.PathLike | None = None) -> dict:
    """Checkpoint metadata without building the model."""
    path = _model_path(path)
    data = safe_load(path)
    params = sum(v.numel() for v in data["state_dict"].values())
    vocab = Vocab.from_dict(data["vocab"])
    return {
        "path": str(path),
        "nerpipe_version": data["nerpipe_version"],
        "format_version": data.get("migrated_from", data["format_version"]),  # the file's, not this nerpipe's
        "scheme": data["scheme"],
        "train_scheme": data["train_scheme"],
        "labels": sorted(labels_of_tags(vocab.tags)),
        "words": len(vocab.words),
        "training_words": vocab.n_train_words,
        "chars": len(vocab.chars),
        "lexicon_entries": len(Lexicon.from_dict(data["lexicon"])) if "lexicon" in data else 0,
        "parameters": params,
        "config": data["config"],
        **_with_summary(data.get("meta", {})),
    }


def _with_summary(meta: dict) -> dict:
    """``meta`` with the kept epoch, its dev F1 and why the run stopped, found in the
    history of models written before they were stored."""
    if "training" not in meta:
        return meta
    from .training.result import best_of, stopped_of

    training = dict(meta["training"])
    training["best_epoch"], training["best_dev_f1"] = best_of(training)
    training["stopped"] = stopped_of(training)
    return {**meta, "training": training}
