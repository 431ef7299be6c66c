"""Tagging a Spark DataFrame: a function for ``DataFrame.mapInPandas``.

    from nerpipe.spark import schema, tagger

    tagged = df.mapInPandas(tagger("text"), schema=schema(df.schema))

``tagger(column)`` returns the function Spark calls on each partition's pandas batches.
Each text is read as ``nerpipe tag -i text`` reads one record (paragraphs, sentences,
CoNLL-2003 tokens), and gets an ``entities`` column: an array of structs ``start``,
``end`` (character offsets into the text, end exclusive), ``label``, ``score`` and
``text``, as ``schema(df.schema)`` (or the DDL string ``ENTITIES_SCHEMA``) says; every
input column is kept. A null
text gets no entities; a value that is not a string fails the task with its column and
row named.

The model is loaded once per Python worker process (Spark reuses them) and kept, not
per batch or row; torch uses as many threads as the task has CPUs
(``spark.task.cpus``). Nothing here imports Spark: the module needs pandas, which
Spark's ``mapInPandas`` brings.

The other route needs no Python on the cluster but nerpipe: ``rdd.pipe("nerpipe tag -i
lines -f jsonl -q", env={"PATH": os.environ["PATH"]})`` gives one JSON line per input
line, in order (README, "Scaling out"; ``pipe`` starts its command with an empty
environment unless given one, so without the PATH it finds no ``nerpipe``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

ENTITIES_SCHEMA = "entities array<struct<start:int,end:int,label:string,score:double,text:string>>"

_LOCK = threading.Lock()
_TAGGERS: dict[tuple[str | None, int], Any] = {}  # (model, batch size) -> Tagger: one per worker process


def _threads() -> int:
    """The task's CPUs (spark.task.cpus), 1 outside a task."""
    try:
        from pyspark import TaskContext

        context = TaskContext.get()
        return max(1, int(context.cpus())) if context is not None else 1
    except (ImportError, AttributeError, TypeError, ValueError):
        return 1


def load(model: str | None = None, batch_size: int = 256):
    """The worker's tagger for ``model`` (None: the embedded one), loaded on first use."""
    with _LOCK:
        key = (model, batch_size)
        if key not in _TAGGERS:
            import torch

            from .checkpoints import load_model

            torch.set_num_threads(_threads())
            _TAGGERS[key] = load_model(_shipped(model), "cpu", batch_size=batch_size)
        return _TAGGERS[key]


def _shipped(model: str | None) -> str | None:
    """``model`` as given, or, where there is no such file, the copy Spark shipped to this
    worker (``spark-submit --files model.pt``; ``SparkFiles``), if there is one."""
    if model is None or os.path.exists(model):
        return model
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(os.path.basename(model))
    except Exception:  # not in Spark, or nothing shipped: the error is load_model's (no such model file)
        return model
    return shipped if os.path.exists(shipped) else model


def entities(tagger, text: str) -> list[dict[str, Any]]:
    """The entities of one text, as rows of ``ENTITIES_SCHEMA``."""
    return [_row(e) for e in tagger.predict_text(text)]


def _row(e) -> dict[str, Any]:
    return {"start": e.start, "end": e.end, "label": e.label, "score": float(e.score), "text": e.text}


def schema(input_schema):
    """The schema of ``mapInPandas(tagger(...))``'s output: ``input_schema`` (a pyspark
    ``StructType``, e.g. ``df.schema``) with the ``entities`` column after its own."""
    from pyspark.sql.types import ArrayType, DoubleType, IntegerType, StringType, StructField, StructType

    if "entities" in input_schema.fieldNames():
        raise ValueError("the DataFrame has an 'entities' column already: rename it, or select the columns to keep")
    entity = StructType([StructField("start", IntegerType()), StructField("end", IntegerType()),
                         StructField("label", StringType()), StructField("score", DoubleType()),
                         StructField("text", StringType())])
    return StructType([*input_schema.fields, StructField("entities", ArrayType(entity))])


def tagger(column: str = "text", model: str | None = None, batch_size: int = 256) -> Callable[[Iterator], Iterator]:
    """The function for ``df.mapInPandas(tagger(column), schema)``: each pandas batch with
    an ``entities`` column added."""

    def tag_batches(batches: Iterator) -> Iterator:
        import pandas as pd

        tagged = load(model, batch_size)
        for batch in batches:
            if column not in batch.columns:
                raise KeyError(f"nerpipe.spark: no column {column!r} (the DataFrame has {', '.join(batch.columns)})")
            texts = []
            for row, value in enumerate(batch[column]):
                if value is None or value is pd.NA or (isinstance(value, float) and value != value):  # null: none
                    value = ""
                elif not isinstance(value, str):
                    raise TypeError(f"nerpipe.spark: column {column!r}, row {row} of this batch: expected a string, got "
                                    f"{type(value).__name__} {value!r:.40}")
                texts.append(value)
            found = tagged.predict_texts(texts)  # the batch's sentences tagged together
            yield batch.assign(entities=[[_row(e) for e in own] for own in found])

    return tag_batches


__all__ = ["ENTITIES_SCHEMA", "entities", "load", "schema", "tagger"]
