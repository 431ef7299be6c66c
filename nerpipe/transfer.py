"""Starting a training run from a trained model (``train --init-model``).

The new model has the base model's architecture and every weight the base model had:
its word vectors (corrections folded in) become the frozen table (int8, as stored: a
base trained without pretrained vectors has its float table rounded), its character CNN,
casing feature, BiLSTM, output layer and CRF are copied. What the new data brings is
added: its words (new rows in the word table, with trainable corrections, as in a
fresh run), its characters, and its labels (new output rows and CRF transitions; the
transitions among old tags are kept). Training then continues on the new data.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch

from .checkpoints import build_model, default_model_path, safe_load
from .errors import NerpipeError
from .model import CRF_SCORES, BiLSTMCRF, ModelConfig
from .schemes import Scheme, scheme_tags
from .vocab import Vocab


@dataclass
class WarmStart:
    model: BiLSTMCRF  # on the CPU, trainable (not merged)
    vocab: Vocab
    counts: Counter  # word-key counts of the new data (for singleton replacement)
    known: frozenset[str]  # words the base model has a vector for
    base_labels: tuple[str, ...]
    new_labels: tuple[str, ...]  # labels of the new data the base model lacked
    new_words: int  # training words the base model had no vector for


def resolve_base(spec: str) -> str:
    """``default`` is the embedded model; anything else is a model file's path."""
    return str(default_model_path()) if spec == "default" else spec


def read_base(spec: str):
    """The base model of ``--init-model`` (default or a path), loaded on the CPU."""
    path = resolve_base(spec)
    if not os.path.exists(path):
        raise NerpipeError("no such model file (--init-model)", path)
    loaded = build_model(safe_load(path), torch.device("cpu"))
    if loaded.lexicon is not None:
        raise NerpipeError("--init-model cannot start from a model trained with --lexicon yet", path)
    return loaded


def warm_start(base, sentences: Iterable[Sequence[str]], labels: Iterable[str], train_scheme: Scheme, seed: int,
               char_variants: Sequence[Callable[[str], str]] = (), dropout: float | None = None,
               variational: bool | None = None) -> WarmStart:
    """A trainable copy of ``base`` (a :class:`~nerpipe.tagger.Tagger`) grown to the words,
    characters and ``labels`` of ``sentences``; ``dropout`` and ``variational`` (this
    run's) replace the base's."""
    if base.train_scheme != train_scheme:
        raise NerpipeError(f"the base model decodes in {base.train_scheme.value}, not {train_scheme.value}; "
                           "it was made by another nerpipe version")
    old = base.vocab
    base_labels = base.labels
    added = tuple(sorted(set(labels) - set(base_labels)))
    tags = scheme_tags(base_labels + added, train_scheme)
    sentences = list(sentences)
    grown, counts = Vocab.build(sentences, tags, old.words[2:], len(old.words), lower_chars=old.lower_chars,
                                sentence_case=old.sentence_case, char_variants=char_variants)
    chars = old.chars + [c for c in grown.chars if c not in old.char_index]
    vocab = Vocab(grown.words, grown.n_train_words, chars, tags, lower_chars=old.lower_chars, sentence_case=old.sentence_case)

    config = ModelConfig.from_dict(base.network.config.to_dict())
    config = dataclasses.replace(config, pretrained=True, merged=False, lexicon_features=0,
                                 dropout=config.dropout if dropout is None else dropout,
                                 variational=config.variational if variational is None else variational)
    torch.manual_seed(seed)
    model = BiLSTMCRF(config, vocab, train_scheme)
    state = model.state_dict()
    base_state = base.network.state_dict()

    # words: the base model's vectors (with its corrections) where it knows the word; a word new to it
    # starts as the base model read it (its unknown word's row, or its digits-as-0 form's), and a new
    # character as its unknown character: the starting model tags exactly as the base model does
    with torch.no_grad():
        old_vectors = base.network.word_vectors(torch.arange(len(old.words)))
    table = old_vectors[[old.word_id(w) for w in vocab.words]].clone()
    table[0] = 0  # padding

    # characters, tags: copy the rows of what the base model had
    _copy_rows(state, base_state, "char_embedding.weight", [old.char_index.get(c, 1) for c in chars])
    tag_rows = [old.tag_index.get(t, -1) for t in tags]
    for name in ("projection.weight", "projection.bias", CRF_SCORES.format("start_transitions"),
                 CRF_SCORES.format("end_transitions")):
        if name in state:
            _copy_rows(state, base_state, name, tag_rows)
    pairs = CRF_SCORES.format("transitions")
    if pairs in state:
        t = state[pairs]
        src = torch.tensor(tag_rows)
        have = src >= 0
        block = base_state[pairs][src[have]][:, src[have]]
        idx = torch.nonzero(have).squeeze(1)
        t[idx.unsqueeze(1), idx.unsqueeze(0)] = block
    for name, value in base_state.items():
        if name.startswith(("char_cnn.", "casing_embedding.", "lstm.")):
            state[name] = value.clone()
    model.load_state_dict(state)
    assert model.pretrained is not None  # the base model's words become the frozen table
    model.pretrained.set(table)
    new_words = sum(1 for w in vocab.words[2 : vocab.n_train_words] if w not in old.word_index)
    return WarmStart(model, vocab, counts, frozenset(old.words[2:]), base_labels, added, new_words)


def _copy_rows(state: dict, base_state: dict, name: str, rows: list[int]) -> None:
    """``state[name][i] = base_state[name][rows[i]]`` where ``rows[i] >= 0``."""
    src = torch.tensor(rows)
    have = torch.nonzero(src >= 0).squeeze(1)
    state[name][have] = base_state[name][src[have]].to(state[name].dtype)

