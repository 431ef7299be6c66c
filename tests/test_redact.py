"""-f redact: the text as it was, each entity blacked out."""

import io

from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st

from nerpipe.formats.redact import RedactWriter
from nerpipe.formats.text import parse_text

TEXT = "\ufeffAngela Merkel met\r\nEmmanuel Macron in Paris.\r\n\r\n  \n\nSiemens cut jobs.\n\n\n"


def test_everything_but_the_entities_comes_back_byte_for_byte():
    result = run_cli(["tag", "-f", "redact"], input=TEXT)
    assert result.exit_code == 0, result.stderr
    # (stdout_bytes: click's stdout turns \r\n into \n)
    assert result.stdout_bytes.decode() == "\ufeff[PER] met\r\n[PER] in [LOC].\r\n\r\n  \n\n[ORG] cut jobs.\n\n\n"


def test_only_the_labels_asked_for_and_layout_kept_with_a_character():
    result = run_cli(["tag", "-f", "redact", "--labels", "PER", "--redact-char", "#"], input=TEXT)
    out = result.stdout_bytes.decode()
    assert out == "\ufeff############# met\r\n############### in Paris.\r\n\r\n  \n\nSiemens cut jobs.\n\n\n"
    assert len(out) == len(TEXT)  # offsets hold
    assert run_cli(["tag", "--redact-char", "#"], input=TEXT).exit_code == 2  # without -f redact it would do nothing


def test_convert_redacts_the_records_own_entities():
    doccano = '{"text": "Call Ann Berg at Acme.", "label": [[5, 13, "PER"], [17, 21, "ORG"]]}\n'
    assert run_cli(["convert", "--to", "redact"], input=doccano).stdout == "Call [PER] at [ORG].\n"
    conll = "Ann B-PER\nBerg I-PER\nleft O\n\nOslo B-LOC\n"
    assert run_cli(["convert", "--to", "redact", "--redact-char", "*"], input=conll).stdout == "******** left\n****\n"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
               max_size=200))
def test_text_without_entities_comes_back_unchanged(text):
    lines = io.StringIO(text, newline="").readlines()
    writer = RedactWriter()
    out = "".join(writer.write(item, None) for item in parse_text(enumerate(lines, 1), "x"))
    assert out == text
