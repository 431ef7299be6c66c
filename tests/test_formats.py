import gzip
import io
import json

import pytest
from conftest import run_cli
from hypothesis import assume, given
from hypothesis import strategies as st

from nerpipe.errors import NerpipeError
from nerpipe.formats import (
    ConllReader,
    Marker,
    Sentence,
    detect_format,
    doc_to_json,
    format_sentence,
    parse_paragraphs,
    parse_record,
    read_conll,
    read_jsonl,
    read_lines,
)
from nerpipe.formats.source import BOM, Unreadable


def parse(text, **kw):
    lines = list(enumerate(io.StringIO(text).readlines(), 1))
    return list(ConllReader(**kw).parse(lines, "t.conll"))


def write(items, tags=None):
    return "".join(i.text if isinstance(i, Marker) else format_sentence(i, tags) for i in items)


def test_reads_sentences_markers_and_comments(data_dir):
    items = list(read_conll([str(data_dir / "mixed.conll")]))
    kinds = [i.kind if isinstance(i, Marker) else "S" for i in items]
    assert kinds == ["docstart", "blank", "comment", "comment", "S", "blank", "S", "blank", "docstart", "blank", "S"]
    first = items[4]
    assert first.tokens == ("Anna", "Berg", "flew", "to", "Oslo", ".")
    assert first.tags == ("B-PER", "I-PER", "O", "O", "B-LOC", "O")
    assert first.line == 5
    # '#' lines that read as token lines are tokens, not comments
    second = items[6]
    assert second.tokens[:2] == ("#", "#") and second.tags[:2] == ("O", "O")
    assert second.tokens[-1] == "'s"


def test_round_trip_is_byte_identical(data_dir):
    for name in ("mixed.conll", "tabs_crlf.conll"):
        raw = (data_dir / name).read_bytes()
        items = list(read_conll([str(data_dir / name)]))
        assert write(items).encode() == raw


def test_tabs_keep_spaces_inside_tokens_and_crlf(data_dir):
    items = list(read_conll([str(data_dir / "tabs_crlf.conll")]))
    sentences = [i for i in items if isinstance(i, Sentence)]
    assert sentences[0].tokens == ("Anna", "van der Berg")
    assert sentences[1].tokens == ("#", "hash")
    out = format_sentence(sentences[0], ["B-PER", "I-PER"])
    assert out == "Anna\tB-PER\tB-PER\r\nvan der Berg\tI-PER\tI-PER\r\n"


def test_append_and_replace_columns():
    # each line keeps its own end: the file's last, without one, stays without (a CRLF file's got a bare LF)
    (s,) = parse("a X B-PER\r\nb Y O")
    assert format_sentence(s, ["B-LOC", "O"]) == "a X B-PER B-LOC\r\nb Y O O"
    assert format_sentence(s, ["B-LOC", "O"], replace_col=2) == "a X B-LOC\r\nb Y O"


def test_predictions_follow_the_last_column_with_text_not_a_trailing_empty_one():
    # a tab at the end of some lines (an empty column): the output is still gold then prediction on every line
    (s,) = parse("Angela\tB-PER\t\nMerkel\tI-PER\n")
    assert format_sentence(s, ["B-PER", "I-PER"]) == "Angela\tB-PER\tB-PER\nMerkel\tI-PER\tI-PER\n"
    tagged = run_cli(["tag"], input="Angela\tB-PER\t\nMerkel\tI-PER\t\n\nParis\tB-LOC\t\n")
    scored = run_cli(["score", "--format", "json"], input=tagged.stdout)
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.stdout)["support"] == 2


def test_a_docstart_token_is_not_written_as_a_document_boundary():
    record = '{"text": "-DOCSTART- x", "tokens": ["-DOCSTART-", "x"], "spans": []}\n'
    result = run_cli(["convert", "--to", "conll"], input=record)
    assert result.exit_code == 1 and "<stdin>:1: a token -DOCSTART-, which CoNLL reads as a document boundary" in result.stderr
    assert run_cli(["convert", "--to", "conllu"], input=record).exit_code == 0  # CoNLL-U holds it as a word


def test_bom_is_tolerated_and_kept():
    items = parse("\ufeffa O\nb B-PER\n")
    assert items[0].tokens == ("a", "b")
    assert write(items) == "\ufeffa O\nb B-PER\n"


def test_a_bom_that_is_a_token_is_kept():
    # U+FEFF as a whole token, or inside a sentence, is text (ZERO WIDTH NO-BREAK SPACE)
    items = parse("a O\n\n\ufeff O\n\ufeffx B-PER\n\n\ufeff\tO\n", sep="auto")
    assert [s.tokens for s in items if isinstance(s, Sentence)] == [("a",), ("\ufeff", "\ufeffx"), ("\ufeff",)]
    # on line 1 it is the file's byte-order mark, whatever follows
    assert parse("\ufeff  Paris B-LOC\nis O\n")[0].tokens == ("Paris", "is")
    # ... while one opening a file or a block of joined files is a marker
    items = parse("\ufeffa O\n\n\ufeffb O\nc O\n")
    assert [s.tokens for s in items if isinstance(s, Sentence)] == [("a",), ("b", "c")]


def test_token_and_tag_columns():
    (s,) = parse("w1 NN B-PER x\nw2 NN O y\n", token_col=0, tag_col=-2)
    assert s.tags == ("B-PER", "O")
    (s,) = parse("w1\nw2\n")
    assert s.tags is None


def test_wrong_column_count_is_located():
    with pytest.raises(NerpipeError, match=r"t.conll:3: expected 2 columns \(as on line 1\), found 3"):
        parse("a O\nb O\nc d O\n")


def test_column_option_out_of_range():
    with pytest.raises(NerpipeError, match="--tag-col 5 is out of range"):
        parse("a O\n", tag_col=5)


def test_forced_separator():
    (s,) = parse("New York\tB-LOC\n", sep="space")
    assert s.tokens == ("New",) and s.rows[0] == ["New", "York", "B-LOC"]


def test_invalid_utf8_and_binary(tmp_path):
    bad = tmp_path / "latin1.conll"
    bad.write_bytes(b"a O\ncaf\xe9 O\n")
    with pytest.raises(NerpipeError, match=r"latin1.conll:2: invalid UTF-8 \(byte 0xe9 at column 4\).*iconv"):
        list(read_lines(str(bad)))
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x01\x02\x00\x01\n")
    with pytest.raises(NerpipeError, match=r"x.bin:1: binary data"):
        list(read_lines(str(binary)))
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes("a O\n".encode("utf-16"))
    with pytest.raises(NerpipeError, match="u16.txt:1: .*"):
        list(read_lines(str(utf16)))


@pytest.mark.parametrize("head, said", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a PNG image, not text"),  # once: "not UTF-8; convert it with iconv"
    (b"%PDF-1.7\n%\xe2\xe3\n", "this is a PDF document, not text; extract its text first, e.g. pdftotext FILE -"),
    (b"PK\x03\x04\x14\x00\x06\x00", "this is a ZIP archive (as .docx, .xlsx and .odt files are)"),
    (b"BZh91AY&SY\x00\x01", "this is bzip2 data, not text; decompress it first"),
    (b"\x7fELF\x02\x01\x01\x00", "this is a program (ELF executable), not text"),
])
def test_files_that_are_not_text_are_named_for_what_they_are(tmp_path, head, said):
    path = tmp_path / "f"
    path.write_bytes(head)
    with pytest.raises(NerpipeError) as caught:
        list(read_lines(str(path)))
    assert str(caught.value).startswith(f"{path}:1: {said}")
    assert "iconv" not in str(caught.value)


def test_text_that_starts_like_a_signature_is_text(tmp_path):
    path = tmp_path / "t.txt"
    text = ["BZh is a word.\n", "GIF8 too.\n"]
    for first in ("GIF89a is a format name.\n", "%PDF-1.7 is a version.\n", "BZh91AY&SY is bzip2's magic.\n"):
        path.write_text(first + "".join(text))
        assert [line for _, line in read_lines(str(path))] == [first, *text]


tokens = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=6)


@given(st.lists(st.lists(st.tuples(tokens, st.sampled_from(["O", "B-PER", "I-LOC"])), min_size=1, max_size=5), max_size=4),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from(["\t", " "]))
def test_write_then_read_is_lossless(sentences, eol, sep):
    # a BOM opening a sentence's first token reads as a file marker (files joined with cat)
    assume(not any(s[0][0].startswith(BOM) and s[0][0] != BOM for s in sentences))
    assume(not (sentences and sentences[0][0][0].startswith(BOM)))  # at the file's start: its byte-order mark
    text = "".join("".join(f"{t}{sep}{g}{eol}" for t, g in s) + eol for s in sentences)
    if sep == " " and any(t.startswith("#") for s in sentences for t, _ in s):
        pass  # still tokens: '# X' reads as a token line because its tag is valid
    items = parse(text, sep="tab" if sep == "\t" else "space")
    assert write(items) == text
    got = [list(zip(i.tokens, i.tags)) for i in items if isinstance(i, Sentence)]
    assert got == [list(s) for s in sentences]


def test_jsonl_records_tokens_and_spans():
    doc = parse_record(json.dumps({"text": "Ann met Bob", "id": 7, "tokens": ["Ann", "met", "Bob"],
                                   "spans": [{"start": 8, "end": 11, "label": "PER"}]}), "f", 1)
    assert doc.tokens == ((0, 3), (4, 7), (8, 11))
    assert doc.spans == ((2, 3, "PER"),)
    out = json.loads(doc_to_json(doc, [(0, 1, "PER")], [0.91234]))
    assert out["id"] == 7
    assert out["spans"] == [{"start": 0, "end": 3, "token_start": 0, "token_end": 0, "label": "PER", "score": 0.9123}]
    assert out["tokens"][2] == {"text": "Bob", "start": 8, "end": 11, "id": 2}


@pytest.mark.parametrize("line, message", [
    ("{bad json", "invalid JSON"),
    ("[1, 2]", 'expected a JSON object with a "text" string'),
    ('{"text": "ab", "tokens": ["x"]}', "token 0 'x' is not in the text"),
    ('{"text": "ab", "tokens": [{"start": 0, "end": 9}]}', "outside the text"),
    ('{"text": "a b", "tokens": ["a", "b"], "spans": [{"start": 0, "end": 2, "label": "X"}]}', "token boundaries"),
    # nothing of the text left outside the tokens unseen
    ('{"text": "Ann met Bob", "tokens": ["Ann", "met"]}', "\"tokens\" leave out 'Bob' at character 8"),
    ('{"text": "Ann, Bob", "tokens": ["Ann", "Bob"]}', "leave out ',' at character 3"),
    # token and character offsets that disagree
    ('{"text": "Ann met Bob", "tokens": ["Ann", "met", "Bob"], "spans": [{"start": 0, "end": 3, "token_start": 0, '
     '"token_end": 2, "label": "PER"}]}', "span tokens 0..2 are characters 0-11, not its start-end 0-3; --align"),
    ('{"text": "Ann ' + "x" * 50 + '", "tokens": ["Ann"]}', "leave out 'x{30}...' at character 4"),
    ('{"text": "Ann", "spans": [{"start": true, "end": 3, "label": "PER"}]}', "needs integer"),  # true is not 1
    ('{"text": "Ann", "tokens": [{"start": false, "end": 3}]}', "must be a string or an object"),
    # a label that names nothing (what a column cannot hold is the writers' to refuse, after --map)
    ('{"text": "Ann", "spans": [{"start": 0, "end": 3, "label": ""}]}', "empty label"),
    ('{"text": "Ann", "spans": [{"start": 0, "end": 3, "label": "  "}]}', "empty label"),
    # half of a UTF-16 pair is not text (a whole pair is)
    ('{"text": "Ang\\ud800ela"}', "lone surrogate \\\\ud800"),
    ('{"text": "ok", "meta": {"note": "\\udc00"}}', "lone surrogate \\\\udc00"),
])
def test_bad_jsonl_is_located(tmp_path, line, message):
    f = tmp_path / "in.jsonl"
    f.write_text('{"text": "fine"}\n' + line + "\n")
    with pytest.raises(NerpipeError, match=f"in.jsonl:2: .*{message}"):
        list(read_jsonl([str(f)]))


def test_offsets_that_disagree_with_the_tokens_are_read_as_align_says():
    line = ('{"text": "Apple pie", "tokens": ["Apple", "pie"], "spans": [{"start": 0, "end": 4, "token_start": 0, '
            '"token_end": 0, "label": "ORG"}]}')
    assert parse_record(line, "f", 1, align="expand").spans == ((0, 1, "ORG"),)  # the characters, widened
    with pytest.raises(NerpipeError, match="holds no whole token"):  # never dropped unseen
        parse_record(line, "f", 1, align="contract")
    with pytest.raises(NerpipeError, match="are characters 0-5, not its start-end 0-4"):
        parse_record(line, "f", 1)


def test_what_looks_odd_but_is_fine_in_jsonl():
    paired = parse_record('{"text": "smile \\ud83d\\ude00 Ann", "spans": [{"start": 8, "end": 11, "label": "E-MAIL"}]}', "f", 1)
    assert paired.text == "smile \U0001F600 Ann" and paired.spans == ((2, 3, "E-MAIL"),)  # a pair; a type named E-...
    spaced = parse_record('{"text": " Ann  met\\tBob ", "tokens": ["Ann", "met", "Bob"]}', "f", 1)
    assert spaced.tokens == ((1, 4), (6, 9), (10, 13))  # white space between and around tokens
    invisible = parse_record('{"text": "Ann\\u200b met\\u00adBob\\ufeff", "tokens": ["Ann", "met", "Bob"]}', "f", 1)
    assert invisible.tokens == ((0, 3), (5, 8), (9, 12))  # a zero-width space, a soft hyphen, a BOM between them


def test_paragraphs_keep_offsets():
    text = "First line\nwrapped here.\n\n\r\nSecond  para\r\nends.\r\n"
    docs = list(parse_paragraphs(enumerate(io.StringIO(text, newline="").readlines(), 1), "x"))
    assert [d.text for d in docs] == ["First line\nwrapped here.", "Second  para\r\nends."]
    for d in docs:
        offset = d.record["meta"]["offset"]
        assert text[offset: offset + len(d.text)] == d.text
    assert docs[1].record["meta"]["line"] == 5


def test_detect_format():
    assert detect_format(['{"text": "x"}\n'])[0] == "jsonl"
    assert detect_format(["-DOCSTART- -X- O\n"])[0] == "conll"
    assert detect_format(["Paris B-LOC\n", "is O\n"])[0] == "conll"
    assert detect_format(["Paris is nice.\n"])[0] == "text"
    assert detect_format(["Paris\n", "is\n", "nice\n", "\n", "Yes\n"])[0] == "conll"  # tokens only
    assert detect_format(["Hello\n", "world\n"])[0] == "text"
    assert detect_format([])[0] == "text"
    # CoNLL with a broken line near the top is still CoNLL: the reader then says where
    broken = ["Paris B-LOC\n", "is O c\n", "nice O\n"]
    assert detect_format(broken) == ("conll", "2 of the first 3 lines have 2 columns ending in a tag")
    # ... while prose whose lines end in something like a tag stays prose
    assert detect_format(["Paris is nice.\n", "Call me O\n"])[0] == "text"
    assert detect_format(["We drove up I-95\n", "It was late.\n"])[0] == "text"
    assert detect_format(["Chapter O\n", "It was a dark night.\n", "Or was it?\n"])[0] == "text"
    assert detect_format(["Take I-95\n", "then I-40 and B-52\n", "He said no.\n"])[0] == "text"  # widths differ
    assert detect_format(["a O\n", "b X O\n", "c O\n"])[0] == "conll"  # one line a column too wide
    # one line of prose ending in a code, as `echo ... | nerpipe tag` gives it
    for line in ("Bill Clinton drove north on I-95", "Angela Merkel needs vitamin B-12", "Powers flew a U-2",
                 "Take the I-95", "Bill Clinton drove north on the B-ROAD"):
        assert detect_format([line + "\n"])[0] == "text", line
    assert detect_format(["EU NNP B-NP B-ORG\n"])[0] == "conll"  # one CoNLL-2003 line is CoNLL
    assert detect_format(["Paris B-LOC\n"])[0] == "conll"


def test_a_conll_file_name_settles_a_doubtful_format(tmp_path):
    from nerpipe.formats import open_input

    (tmp_path / "a.conll").write_text("Paris\tB-LOC\tx y\nis\n")
    (tmp_path / "a.txt").write_text("Paris\tB-LOC\tx y\nis\n")
    found, why, _, _ = open_input(str(tmp_path / "a.conll"))
    assert (found, why.split(" (")[0]) == ("conll", "the file is named *.conll")
    assert open_input(str(tmp_path / "a.txt"))[0] == "text"
    (tmp_path / "toks.bio.gz").write_bytes(gzip.compress(b"Paris\nis\nnice\nand\nsunny\n"))  # a list, but named CoNLL
    assert open_input(str(tmp_path / "toks.bio.gz"))[0] == "conll"


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\x00", blacklist_categories=("Cs",)), max_size=8),
                max_size=6), st.booleans())
def test_only_newline_ends_a_line(tmp_path_factory, lines, final_newline):
    path = tmp_path_factory.mktemp("lines") / "f.txt"
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    path.write_bytes(text.encode("utf-8"))
    got = [line for _, line in read_lines(str(path))]
    assert "".join(got) == text
    assert all(line.count("\n") == 1 and line.endswith("\n") for line in got[:-1])


def test_bad_line_in_a_big_block_is_located(tmp_path):
    path = tmp_path / "big.conll"
    path.write_bytes(b"a O\n" * 50000 + b"b\xff O\n" + b"c O\n" * 10)
    with pytest.raises(NerpipeError, match=r"big.conll:50001: invalid UTF-8"):
        list(read_lines(str(path)))
    errors = []
    lines = list(read_lines(str(path), errors.append))
    assert len(lines) == 50011 and lines[50000] == (50001, "b\ufffd O\n") and len(errors) == 1
    assert isinstance(lines[50000][1], Unreadable) and not any(isinstance(t, Unreadable) for _, t in lines[50001:])


def test_offsets_after_a_skipped_line_count_it():
    text = b"Hello there .\nCaf\xe9 in Paris .\nObama spoke .\n"
    records = run_cli(["tag", "-i", "lines", "-f", "jsonl", "--on-error", "skip"], input=text)
    assert [json.loads(line)["meta"]["offset"] for line in records.stdout.splitlines()] == [0, 14, 30]
    paragraphs = run_cli(["convert", "--from", "text", "--to", "jsonl", "--on-error", "skip"], input=text.replace(b".\n", b".\n\n"))
    assert [json.loads(line)["meta"]["offset"] for line in paragraphs.stdout.splitlines()] == [0, 32]


def test_the_separator_is_the_first_token_lines_not_a_comments():
    """A comment (or -DOCSTART- line) with spaces above tab-separated tokens made the file
    read as space-separated: tokens with spaces broke, tags were appended with a space."""
    for head in ("# sent 1\n", "-DOCSTART- -X- O\n\n", "# a b c\n-DOCSTART- x\n\n"):
        text = head + "San Francisco\tB-LOC\nrocks\tO\n"
        (sentence,) = [i for i in parse(text) if isinstance(i, Sentence)]
        assert sentence.tokens == ("San Francisco", "rocks") and sentence.tags == ("B-LOC", "O")
        assert write(parse(text)) == text
        assert format_sentence(sentence, ["B-LOC", "O"]).splitlines()[1] == "rocks\tO\tO"


def test_a_docstart_line_inside_a_sentence_ends_it_and_is_no_token():
    """``cat a.conll b.conll`` where a.conll lacks its last blank line puts -DOCSTART-
    right after a token line: it was read as a token (tagged, scored)."""
    text = "John B-PER\n-DOCSTART- -X- O\nParis B-LOC\n"
    items = parse(text)
    assert [type(i).__name__ for i in items] == ["Sentence", "Marker", "Sentence"]
    assert [i.tokens for i in items if isinstance(i, Sentence)] == [("John",), ("Paris",)]
    assert items[1].kind == "docstart" and write(items) == text  # written back as it came


def test_in_an_untagged_file_a_hash_line_after_the_first_token_is_a_token():
    """One column: a comment is told from a token only by its place; after the first token
    line the column count is known, and a one-field '#' line (a hashtag, a '#') is a token."""
    items = parse("Wow\n!\n\n#\nParis\n\n#news\n")
    assert [i.tokens for i in items if isinstance(i, Sentence)] == [("Wow", "!"), ("#", "Paris"), ("#news",)]
    assert [i.kind for i in parse("# sent_id = 1\nWow\n") if isinstance(i, Marker)] == ["comment"]  # before: a comment
    assert [i.kind for i in parse("Wow\n\n# sent_id = 2\nYes\n") if isinstance(i, Marker)] == ["blank", "comment"]


def test_sep_tab_on_a_space_separated_tagged_file_is_an_error_not_one_column():
    with pytest.raises(NerpipeError, match=r"t.conll:1: --sep tab, but this line has no tab and its last word, 'B-PER'"):
        parse("Maria NNP B-NP B-PER\nfrom IN O O\n", sep="tab")
    (sentence,) = parse("New York\nis\n", sep="tab")  # one column of tokens with spaces: what --sep tab is for
    assert sentence.tokens == ("New York", "is")


def test_doc_to_json_names_a_span_outside_the_tokens():
    from nerpipe import doc_to_json
    from nerpipe.formats.doc import Doc

    doc = Doc("Anna ran", ((0, 4), (5, 8)), (2,))
    assert '"token_end": 0, "label": "PER"' in doc_to_json(doc, [(0, 1, "PER")])
    for bad in ((0, 99, "PER"), (1, 1, "PER"), (-1, 1, "PER")):
        with pytest.raises(ValueError, match="must lie within the record's 2 tokens"):
            doc_to_json(doc, [bad])
