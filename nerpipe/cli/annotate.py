"""``nerpipe annotate``: correct the model's entities in a web page, record by record."""

from __future__ import annotations

import signal
import sys
import threading

import click

from ..formats import INPUT_FORMATS
from .options import ANNOTATION, DATA_KEY, DEVICE, FILES, THREADS, NerpipeCommand, note, refuse_overwrite, setup_torch


@click.command(cls=NerpipeCommand)
@click.argument("input_file", metavar="INPUT", type=FILES)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The JSONL file of decisions: appended to as you go, and read first to continue where it stopped.")
@click.option("--labels", metavar="LIST", help="The entity types to choose from, in the order of keys 1-9 (default: "
                                               "those the records were chosen for with select --labels, else the "
                                               "model's, and any others in the input).")
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
    from ..annotation import AnnotationServer, Session, labels_chosen_for, labels_of, prepare
    from ..checkpoints import check_model
    from ..formats import Annotation, ReadOptions
    from ..formats.doc import annotation_spans
    from ..schemes import labels_of_tags

    refuse_overwrite("-o", output, [input_file, *([model] if model else [])])
    docs = prepare(input_file, input_format, ReadOptions(annotation=annotation, data_key=data_key))
    if labels:
        chosen = list(dict.fromkeys(x.strip() for x in labels.split(",") if x.strip()))
    elif chosen_for := labels_chosen_for(docs):
        chosen = chosen_for
        note(f"the types the records were chosen for (select --labels): {', '.join(chosen)}; --labels offers others")
    else:  # the model's types in a stable order (keys 1-9 stay put from batch to batch), then any other in the input
        known = sorted(labels_of_tags(check_model(model)["vocab"]["tags"]))
        chosen = known + [label for label in labels_of(docs) if label not in known]
    session = Session(docs, output, chosen)
    previous = None
    try:
        if threading.current_thread() is threading.main_thread():
            # `kill` (SIGTERM) ends it as Ctrl-C does: the lock file goes, every decision acknowledged is on disk
            previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        untagged = [k for k, doc in enumerate(session.docs) if doc.spans is None and k not in session.answers]
        if untagged:
            import dataclasses

            from ..checkpoints import load_model

            tagger = load_model(model, setup_torch(device, threads))
            for k in untagged:
                predictions = tagger.predict(list(session.docs[k].sentences))
                spans, _ = annotation_spans(session.docs[k], [Annotation(p.spans) for p in predictions])
                session.docs[k] = dataclasses.replace(session.docs[k], spans=tuple(spans))
            note(f"the model pre-annotated {len(untagged)} of {len(docs)} records")
        server = AnnotationServer(session, port)
        progress = session.progress()
        note(f"{progress['total']} records, {progress['done']} decided already (in {output}); labels (keys 1-9): "
             + ", ".join(chosen))
        note(f"open {server.url}   (Ctrl-C stops; run again to continue)")
        try:
            server.serve_forever()
        finally:
            server.server_close()
    finally:
        session.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
