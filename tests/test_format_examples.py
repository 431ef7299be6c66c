"""Every format of the registry, driven from ``FORMATS``: its example is detected as it,
read with its entities, written in every output format, and carried through every
other annotated format without losing an entity."""

import json
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from nerpipe.convert import convert_files
from nerpipe.formats import FORMATS, OUTPUT_FORMATS, as_doc, read_records
from nerpipe.formats import ReadOptions as Options

EXAMPLES = sorted(name for name, f in FORMATS.items() if f.example is not None)
ENTITIES = {("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Paris", "LOC")}


def put(fmt: str, where: Path, content=None) -> Path:
    """The format's example (or ``content`` in that format) as a file, or a directory of files."""
    content = FORMATS[fmt].example if content is None else content
    if isinstance(content, dict):
        where.mkdir(parents=True)
        for name, text in content.items():
            (where / name).write_text(text, encoding="utf-8", newline="")
        return where
    path = where.with_suffix(".conllu" if fmt == "conllu" else ".data")
    path.write_text(content, encoding="utf-8", newline="")
    return path


def entities(path: Path, fmt: str = "auto") -> set[tuple[str, str]]:
    _, records, _ = read_records(str(path), fmt, Options())
    out = set()
    for record in records:
        doc = as_doc(record)
        if doc is not None:
            out |= {(doc.text[s:e], label) for s, e, label in doc.char_spans(doc.spans or [])}
    return out


def convert(source: Path, target: str, tmp: Path) -> Path:
    """``nerpipe convert --to target`` of ``source``: the file (or directory) written."""
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / f"out-{target}"
    result = run_cli(["convert", "--to", target, "-o", str(out), str(source)])
    assert result.exit_code == 0, (target, result.stderr)
    return out


def test_every_example_is_detected_and_read_with_its_entities(tmp_path):
    assert {"conll", "jsonl", "doccano", "labelstudio", "brat", "conllu", "hf"} <= set(EXAMPLES)
    for fmt in EXAMPLES:
        path = put(fmt, tmp_path / fmt)
        found, _, _ = read_records(str(path), "auto", Options())
        assert found == fmt
        expected = ENTITIES if fmt != "hf" and fmt != "conllu" else {("Angela Merkel", "PER"), ("Paris", "LOC")}
        assert entities(path) == expected, fmt


@pytest.mark.parametrize("source", EXAMPLES)
def test_every_example_converts_to_every_output_format(tmp_path, source):
    path = put(source, tmp_path / "in")
    for target in OUTPUT_FORMATS:
        out = convert(path, target, tmp_path)
        if FORMATS[target].directory:
            assert {p.suffix for p in out.iterdir()} == {".ann", ".txt"}, (source, target)
        else:
            assert out.read_text(encoding="utf-8"), (source, target)


@pytest.mark.parametrize("source", EXAMPLES)
def test_entities_survive_every_annotated_format_and_back(tmp_path, source):
    path = put(source, tmp_path / "in")
    expected = entities(path)
    for target in (name for name, f in FORMATS.items() if f.annotated and f.writer):
        out = convert(path, target, tmp_path / target)
        assert entities(out, target) == expected, (source, target)


@pytest.mark.parametrize("fmt", EXAMPLES)
def test_written_in_its_own_format_it_stays_as_it_was(tmp_path, fmt):
    once = convert(put(fmt, tmp_path / "in"), fmt, tmp_path / "once")
    twice = convert(once, fmt, tmp_path / "twice")
    if once.is_dir():
        assert {p.name: p.read_bytes() for p in once.iterdir()} == {p.name: p.read_bytes() for p in twice.iterdir()}
    else:
        assert once.read_bytes() == twice.read_bytes()
    if fmt in ("doccano", "hf", "conllu", "brat", "conll"):  # these give back what they read, byte for byte
        original = put(fmt, tmp_path / "original")
        if original.is_dir():
            assert {p.name: p.read_bytes() for p in original.iterdir()} == {p.name: p.read_bytes() for p in once.iterdir()}
        else:
            assert original.read_bytes() == once.read_bytes()


words = st.lists(st.sampled_from(["Anna", "Berg", "flew", "to", "Oslo", "and", "Lima", "Acme", "Inc", ".", "Zoë", "😀"]),
                 min_size=1, max_size=10)


@st.composite
def records(draw):
    """JSONL records of a few sentences each, with character spans over whole words."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        tokens = draw(words)
        text = " ".join(tokens)
        starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
        spans, i = [], 0
        while i < len(tokens):
            if draw(st.booleans()):
                j = draw(st.integers(i + 1, min(len(tokens), i + 3)))
                spans.append({"start": starts[i], "end": starts[j - 1] + len(tokens[j - 1]),
                              "label": draw(st.sampled_from(["PER", "LOC", "creative-work"]))})
                i = j
            else:
                i += 1
        out.append(json.dumps({"text": text, "tokens": tokens, "spans": spans}, ensure_ascii=False) + "\n")
    return "".join(out)


@settings(max_examples=25, deadline=None)
@given(records())
def test_any_records_keep_every_entity_through_every_annotated_format(jsonl):
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text(jsonl, encoding="utf-8")
        expected = sorted(entities(source))
        for target in (name for name, f in FORMATS.items() if f.annotated and f.writer):
            out = Path(tmp) / target
            if FORMATS[target].directory:
                list(convert_files([str(source)], "jsonl", target, directory=str(out)))
            else:
                out.write_text("".join(convert_files([str(source)], "jsonl", target)), encoding="utf-8")
            assert sorted(entities(out, target)) == expected, target
