"""nerpipe: named-entity recognition as a Unix filter.

The library API is importable without torch; the model-side names (:func:`load_model`
and the :class:`Tagger` it returns, :func:`train` with :class:`TrainConfig`, ...) import
it on first use, as do the submodules named by attribute (``nerpipe.patterns``,
``nerpipe.spark``, ...).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import NerpipeError
from .formats import Doc, Marker, Sentence, doc_to_json, format_sentence, read_conll, read_jsonl, read_paragraphs
from .lazy import lazy_names
from .pairing import score_files
from .schemes import Scheme, convert_tags, detect_scheme, spans_to_tags, tags_to_spans
from .scoring import Score, conlleval_chunks, score_pairs
from .tokenize import tokenize, tokenize_sentences

_LAZY = {
    "ErrorAnalysis": "analysis",
    "ErrorAnalyzer": "analysis",
    "Example": "analysis",
    "pair_entities": "analysis",
    "train": "training",
    "TrainConfig": "training",
    "TrainResult": "training",
    "load_model": "checkpoints",
    "atomic_save": "checkpoints",
    "Tagger": "tagger",
    "Prediction": "tagger",
    "Entity": "tagger",
    "default_model_path": "checkpoints",
    "ModelConfig": "model_config",
}
# modules a user reaches by attribute after `import nerpipe` (the docs write nerpipe.patterns.Patterns)
_SUBMODULES = ("analysis", "annotation", "batching", "checkpoints", "context", "convert", "decoding", "device", "display",
               "embeddings", "files", "inference", "labelmap", "lexicon", "model", "model_config", "patterns", "recase",
               "report", "selection", "spark", "tagger", "training", "transfer", "views", "vocab")

__all__ = [
    "NerpipeError", "Doc", "Marker", "Sentence", "Scheme", "Score", "__version__",
    "conlleval_chunks", "convert_tags", "detect_scheme", "doc_to_json", "format_sentence",
    "read_conll", "read_jsonl", "read_paragraphs", "score_files", "score_pairs",
    "spans_to_tags", "tags_to_spans", "tokenize", "tokenize_sentences", *_LAZY,
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals(), _SUBMODULES)
