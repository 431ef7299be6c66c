"""A run's starting point: the vocabulary and the model, built new or grown from a trained
one (``--init-model``), and the config as they fixed it (vector size, lexicon width)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ..embeddings import choose_vectors
from ..lexicon import Lexicon
from ..model import BiLSTMCRF
from ..recase import CASE_VARIANTS
from ..schemes import Scheme, scheme_tags
from ..vocab import Vocab
from .config import TrainConfig, check_init_model
from .corpus import Corpus
from .reporter import Reporter


@dataclass
class Start:
    config: TrainConfig  # the run's, with what the data and vectors fixed
    vocab: Vocab
    model: BiLSTMCRF  # on the CPU
    counts: dict  # how often each training word (key) occurs: singletons may be fed as unknown
    known: set[str]  # words that have a pretrained vector (never replaced)
    lexicon: Lexicon | None = None  # a --lexicon model's gazetteer
    lexicon_bits: list | None = None  # per training sentence, its cross-fold gazetteer features


def build(config: TrainConfig, train: Corpus, labels: set[str], variants: tuple[str, ...], scheme: Scheme,
          reporter: Reporter) -> Start:
    """A new model for ``train``: pretrained vectors as ``config.embeddings`` chooses,
    a vocabulary of the training words (and the vectors' most frequent ones)."""
    pretrained_words: list[str] = []
    matrix = None
    model_config = config.model
    vectors, why = choose_vectors(config.embeddings, (t for s in train.sentences for t in s.tokens))
    config = replace(config, embeddings=vectors)
    if not vectors:
        say = reporter.warning if "not installed" in why else reporter.message
        say(f"training without pretrained vectors ({why})")
    if vectors:
        from ..embeddings import load_vectors, lowercase_table

        reporter.message(f"loading embeddings {vectors} ({why})")
        pretrained_words, matrix = lowercase_table(*load_vectors(vectors))
        model_config = replace(model_config, word_dim=matrix.shape[1], pretrained=True)
    vocab, counts = Vocab.build((s.tokens for s in train.sentences), scheme_tags(labels, scheme), pretrained_words,
                                config.keep_pretrained, lower_chars=config.lower_chars, sentence_case=config.sentence_case,
                                char_variants=[CASE_VARIANTS[v] for v in variants[1:]])
    lexicon, lexicon_bits = None, None
    if config.lexicon:
        from ..lexicon import cross_fold_features

        pairs = [(s.tokens, s.tags) for s in train.sentences]
        types = sorted(labels)
        lexicon = Lexicon.build(pairs, types)
        lexicon_bits = cross_fold_features(pairs, types)
        model_config = replace(model_config, lexicon_features=lexicon.features)
    model_config = replace(model_config, sentence_case=config.sentence_case)
    torch.manual_seed(config.seed)
    model = BiLSTMCRF(model_config, vocab, scheme)
    if matrix is not None:
        from ..embeddings import table_for

        assert model.pretrained is not None  # model_config.pretrained was set with the vectors
        model.pretrained.set(torch.from_numpy(table_for(vocab.words, pretrained_words, matrix, config.seed)))
    return Start(replace(config, model=model_config), vocab, model, counts, set(pretrained_words), lexicon, lexicon_bits)


def adapt(base, config: TrainConfig, train: Corpus, labels: set[str], variants: tuple[str, ...], scheme: Scheme,
          reporter: Reporter) -> Start:
    """As :func:`build`, from the trained model ``base`` (``--init-model``): its
    architecture and words, grown to the new data's words and labels."""
    from ..transfer import warm_start

    check_init_model(config)
    start = warm_start(base, (s.tokens for s in train.sentences), labels, scheme, config.seed,
                       [CASE_VARIANTS[v] for v in variants[1:]], dropout=config.model.dropout,
                       variational=config.model.variational)
    reporter.message(f"starting from {config.init_model}: labels {', '.join(start.base_labels)}"
                     + (f", adding {', '.join(start.new_labels)}" if start.new_labels else "")
                     + f"; {start.new_words} words of the new data were new to it")
    config = replace(config, embeddings=None, model=start.model.config)  # the base model's words
    return Start(config, start.vocab, start.model, start.counts, set(start.known))
