"""``nerpipe annotate``: correct the model's entities in a web page, record by record."""

from __future__ import annotations

import click

from ..formats import INPUT_FORMATS
from .options import ANNOTATION, DATA_KEY, DEVICE, FILES, THREADS, NerpipeCommand, note, setup_torch


@click.command(cls=NerpipeCommand)
@click.argument("input_file", metavar="INPUT", type=FILES)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The JSONL file of decisions: appended to as you go, and read first to continue where it stopped.")
@click.option("--labels", metavar="LIST", help="The entity types to choose from, in the order of keys 1-9 (default: "
                                               "the model's, or those in the input).")
@click.option("-m", "--model", type=click.Path(exists=True, dir_okay=False),
              help="Model for the records without entities of their own (default: the embedded English model).")
@click.option("-i", "--input-format", type=click.Choice(["auto", *INPUT_FORMATS]), default="auto", show_default=True,
              help="The input's format (as tag reads it).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="The port (0: a free one).")
@ANNOTATION
@DATA_KEY
@DEVICE
@THREADS
def annotate(input_file, output, labels, model, input_format, port, annotation, data_key, device, threads):
    """Correct entities in a local web page, one record at a time, keyboard first.

    Each record shows with its entities to start from: the model's ("predicted_spans",
    or "spans" from nerpipe select), else the model tags it. Select tokens (mouse or
    Shift+arrows) and press 1-9 to label them; Backspace removes an entity; Enter
    accepts, x rejects, s skips; [ and ] go back and forth. Every decision is on disk
    (OUTPUT, nerpipe JSONL with "answer") before the page moves on; run the same
    command again to continue.

    The server listens on 127.0.0.1 and answers only the URL it prints (it holds an
    access token); it opens no browser by itself.

    \b
    Examples:
      nerpipe select -n 200 pool.txt > batch.jsonl
      nerpipe annotate batch.jsonl -o gold.jsonl
      nerpipe train gold.jsonl --init-model default --dev dev.conll -o adapted.pt
    """
    from ..annotation import DEFAULT_LABELS, AnnotationServer, Session, labels_of, prepare
    from ..formats import Annotation, ReadOptions
    from ..formats.doc import annotation_spans

    docs = prepare(input_file, input_format, ReadOptions(annotation=annotation, data_key=data_key))
    untagged = [k for k, doc in enumerate(docs) if doc.spans is None]
    model_labels: list[str] = []
    if untagged:
        import dataclasses

        from ..checkpoints import load_model

        tagger = load_model(model, setup_torch(device, threads))
        model_labels = list(tagger.labels)
        for k in untagged:
            predictions = tagger.predict(list(docs[k].sentences))
            spans, _ = annotation_spans(docs[k], [Annotation(p.spans) for p in predictions])
            docs[k] = dataclasses.replace(docs[k], spans=tuple(spans))
        note(f"the model pre-annotated {len(untagged)} of {len(docs)} records")
    chosen = [x.strip() for x in labels.split(",") if x.strip()] if labels else \
        sorted(set(model_labels) | set(labels_of(docs))) or list(DEFAULT_LABELS)
    session = Session(docs, output, chosen)
    server = AnnotationServer(session, port)
    progress = session.progress()
    note(f"{progress['total']} records, {progress['done']} decided already (in {output})")
    note(f"open {server.url}   (Ctrl-C stops; run again to continue)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        session.close()
