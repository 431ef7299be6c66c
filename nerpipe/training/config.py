"""What a training run is asked to do: a frozen record and its defaults (no torch).

The command line takes every ``train`` option's default from here, so the two cannot
drift apart. The trainer never changes a config; what the data decides (the word
vector size of ``--embeddings``, the lexicon's width) goes into a copy it makes with
``dataclasses.replace`` and records in the checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace

from ..errors import UsageError
from ..model_config import ModelConfig, whole_number
from ..recase import CASE_MIXES, CASE_VARIANTS

OPTIMIZERS = ("adam", "nadam", "sgd")

DEFAULT_EPOCHS = 30  # the cap when no epochs are given (raised on small data, see min_steps)


@dataclass(frozen=True)
class TrainConfig:
    # how long: at most `epochs` epochs when given; by default DEFAULT_EPOCHS, raised on
    # small data to cover `min_steps` optimizer steps (a number the user gives is the
    # cap, never raised); dev evaluation, patience and learning-rate decay count
    # rounds, a round being one epoch or, when an epoch is under `eval_steps` steps,
    # the fewest whole epochs that make them (see schedule.py)
    epochs: int | None = None
    min_steps: int = 6000
    eval_steps: int = 200
    patience: int = 5  # rounds without a better dev F1 before stopping
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 0.003
    lr_decay: float = 0.05  # learning rate in round r (from 0): lr / (1 + lr_decay * r)
    clip: float = 5.0
    seed: int = 1
    embeddings: str | None = "auto"  # auto, none (or None), glove-6b-50d or a vectors file (see embeddings.choose_vectors)
    init_model: str | None = None  # start from this trained model ("default": the embedded one)
    keep_types: bool = True  # init_model: the base model's entities of types the new data lacks as pseudo-labels
    l2sp: float = 0.0  # init_model: pull the weights towards where they started by this much (L2-SP)
    keep_pretrained: int = 400_000
    unk_replace: float = 0.5  # chance a singleton word without a pretrained vector is fed as UNK
    word_dropout: float = 0.0  # chance any word is fed as UNK, so the model learns to lean on spelling and context
    lexicon: bool = False  # give the model a gazetteer of the training data's entities (cross-fold while training)
    # also train (and pick on dev) in these casings: lower, upper, title; None: as the init_model was (none without one)
    case_variants: tuple[str, ...] | None = None
    # concat: every casing of every sentence each epoch; sample: one casing per sentence; half: as written + one other;
    # None: the init_model's when its case_variants are taken too, else concat
    case_mix: str | None = None
    lower_chars: bool = False  # the character CNN sees lower-cased spelling (case only through the casing feature)
    sentence_case: bool = False  # the casing feature also says how the whole sentence is cased
    average: float = 0.998  # decay per step of the weight average that is evaluated and kept; 0: off
    label_map: tuple[str, ...] = ()  # --map specs: the data's labels are read through them (see labelmap.py)
    map_drop_others: bool = False
    label_names: tuple[str, ...] | None = None  # hf data: the tag names of integer ner_tags
    sep: str = "auto"
    token_col: int = 0
    tag_col: int = -1
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        # what the command line's option types check, checked here too: a value nothing reads
        # (optimizer="Adam", case_mix="halves") would train otherwise than asked, without a word
        for name, least in (("epochs", 1), ("batch_size", 1), ("patience", 1), ("min_steps", 0), ("eval_steps", 0),
                            ("keep_pretrained", 0), ("seed", None), ("token_col", None), ("tag_col", None)):
            if getattr(self, name) is None and name == "epochs":
                continue
            value = whole_number(name, getattr(self, name))
            if least is not None and value < least:
                raise ValueError(f"expected {name} >= {least}, got {value}")
            object.__setattr__(self, name, value)
        for name, low, high in (("lr", 0.0, None), ("lr_decay", 0.0, None), ("clip", 0.0, None), ("l2sp", 0.0, None),
                                ("unk_replace", 0.0, 1.0), ("word_dropout", 0.0, 1.0), ("average", 0.0, 1.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name}: expected a number, got {type(value).__name__} {value!r}")
            closed = name == "unk_replace"  # (a chance of 1: always)
            if not math.isfinite(value) or value < low or (name == "lr" and value <= 0) or \
                    (high is not None and (value > high if closed else value >= high)):
                bounds = "> 0" if name == "lr" else f">= {low:g}" + (f" and {'<=' if closed else '<'} {high:g}" if high is not None else "")
                raise ValueError(f"expected {name} {bounds}, got {value}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.case_mix is not None and self.case_mix not in CASE_MIXES:
            raise ValueError(f"case_mix: expected one of {', '.join(CASE_MIXES)} (or None), got {self.case_mix!r}")
        if self.case_variants is not None:
            if isinstance(self.case_variants, str):
                raise TypeError(f"case_variants: expected a tuple of casings such as ('lower', 'upper'), got the string "
                                f"{self.case_variants!r}")
            object.__setattr__(self, "case_variants", tuple(self.case_variants))
            unknown = [v for v in self.case_variants if v not in CASE_VARIANTS]
            if unknown:
                raise ValueError(f"case_variants: unknown {', '.join(map(repr, unknown))}; choose from {', '.join(CASE_VARIANTS)}")
        if isinstance(self.label_map, str):
            raise TypeError(f"label_map: expected a tuple of rules such as ('PERSON=PER',), got the string {self.label_map!r}")
        object.__setattr__(self, "label_map", tuple(self.label_map))
        if not isinstance(self.model, ModelConfig):
            raise TypeError(f"model: expected a ModelConfig (ModelConfig(hidden=150), or TrainConfig.from_options with "
                            f"the model's names among the options), got {type(self.model).__name__}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_options(cls, options: dict) -> TrainConfig:
        """A config from one flat mapping of option names (the command line's), the
        model's among them; an unknown name is a TypeError, as for a constructor."""
        # a name both records have (sentence_case) is the run's: the trainer passes it on
        model_names = {f.name for f in fields(ModelConfig)} - {f.name for f in fields(cls)}
        model = {k: v for k, v in options.items() if k in model_names}
        return cls(**{k: v for k, v in options.items() if k not in model_names}, model=ModelConfig(**model))


DEFAULTS = TrainConfig()


def with_casings(config: TrainConfig, base_meta: dict | None = None) -> TrainConfig:
    """``config`` with its casing options decided: those left None take the base model's
    (``base_meta``, the --init-model's checkpoint meta: a model trained to read every
    casing keeps doing so unless told otherwise), else none and concat."""
    trained = ((base_meta or {}).get("training") or {}).get("config") or {}
    inherit = config.case_variants is None
    variants = tuple(trained.get("case_variants") or ()) if inherit else config.case_variants
    mix = config.case_mix or (trained.get("case_mix") if inherit and variants else None) or "concat"
    return replace(config, case_variants=variants, case_mix=mix)


# what the base model fixes when a run starts from one (--init-model): its architecture and words
SHAPED_BY_BASE = ("hidden", "layers", "char_filters", "crf", "sentence_case", "lower_chars", "embeddings", "keep_pretrained",
                  "lexicon")
_NO_VECTORS = (None, "auto", "none")  # --embeddings values that ask for no vectors of their own


def _option(config: TrainConfig, name: str):
    value = getattr(config, name) if hasattr(config, name) else getattr(config.model, name)
    return None if name == "embeddings" and value in _NO_VECTORS else value


def check_init_model(config: TrainConfig, given: Iterable[str] | None = None) -> None:
    """Refuse options a run from a trained model (``init_model``) could not honour: the
    base model keeps its architecture and words. ``given``: the option names the user
    gave (a command line knows them); without it, those that differ from the defaults."""
    if not config.init_model:
        return
    if given is None:
        given = {name for name in SHAPED_BY_BASE if _option(config, name) != _option(DEFAULTS, name)}
    shaped = [name for name in SHAPED_BY_BASE if name in set(given)]
    if shaped:
        raise UsageError("--init-model keeps the base model's architecture and words; drop "
                         + ", ".join("--" + n.replace("_", "-") for n in shaped))
