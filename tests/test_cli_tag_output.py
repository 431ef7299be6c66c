"""Output for people: ``pretty`` on a terminal, ``html`` pages, ``tsv`` rows, and tag's progress
display, through the real commands (a pseudo-terminal where a terminal matters)."""

import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile

import pytest
from browser import parse_html, read_png, render, requires_browser, screenshot
from conftest import run_cli
from test_cli_formats import INPUTS

from nerpipe.display import colour

TEXT = "Anna Berg flew to Oslo.\nTom Hale works for Acme in Lima .\n\nOmar Diaz flew to Lima.\n"
# a record whose text, tokens and labels would be markup if they were not escaped
HOSTILE = {"text": "<script>alert(1)</script> met Ann & \"Bo\" <b>x</b> &amp;",
           "tokens": ["<script>alert(1)</script>", "met", "Ann", "&", "\"Bo\"", "<b>x</b>", "&amp;"],
           "spans": [{"start": 0, "end": 25, "label": "<img src=x onerror=alert(2)>"},
                     {"start": 30, "end": 40, "label": "PER"}, {"start": 41, "end": 49, "label": "ORG"}]}


def tag(model, args, input=None):
    return run_cli(["tag", "--model", str(model), "--threads", "1", *args], input=input)


def jsonl_entities(out: str):
    """(line of the record, start, end, label, score) of every predicted entity in JSONL output."""
    rows = []
    for record in map(json.loads, out.splitlines()):
        for s in record.get("predicted_spans", record.get("spans", [])):  # (no "spans": not annotated)
            rows.append((s["start"], s["end"], s["label"], s.get("score"), record["text"][s["start"]:s["end"]]))
    return rows


def tsv_rows(out: str):
    lines = out.splitlines()
    assert lines[0] == "source\tline\tstart\tend\tlabel\tscore\ttext\tby"
    return [line.split("\t") for line in lines[1:]]


def text_without_labels(element) -> str:
    """What a record reads without the labels after its entities nor its source."""
    return "".join(c if isinstance(c, str) else "" if c.classes() & {"label", "source"} else text_without_labels(c)
                   for c in element.children)


def unescape(field: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[m.group(1)], field)


# --------------------------------------------------------------------------- every format, every input

@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(INPUTS))
def test_every_output_format_shows_the_entities_jsonl_gives(tiny_model, source):
    """tag and convert, from every input format: the same entities in tsv, pretty and html as in JSONL."""
    for command in (["tag", "-m", str(tiny_model), "--threads", "1", "-i", source], ["convert", "--from", source]):
        to = "-f" if command[0] == "tag" else "--to"
        expected = jsonl_entities(run_cli([*command, to, "jsonl"], input=INPUTS[source]).stdout)
        out = {fmt: run_cli([*command, to, fmt], input=INPUTS[source]) for fmt in ("tsv", "pretty", "html")}
        assert all(r.exit_code == 0 for r in out.values()), {f: r.stderr for f, r in out.items()}
        rows = tsv_rows(out["tsv"].stdout)
        assert [(int(r[2]), int(r[3]), r[4], unescape(r[6])) for r in rows] == [e[:3] + e[4:] for e in expected]
        assert [r[5] for r in rows] == ["" if e[3] is None else f"{e[3]:.4f}" for e in expected]
        assert re.findall(r"\[([^\]]*)\]([A-Z]+)", out["pretty"].stdout) == [(e[4], e[2]) for e in expected]
        marks = [m for m in parse_html(out["html"].stdout).iter("mark") if "entity" in m.classes()]
        assert [m.text() for m in marks] == [e[4] + e[2] for e in expected]
        assert expected or (command[0] == "convert" and source in ("text", "lines"))  # plain text holds no gold


@pytest.mark.slow
def test_tsv_columns_locate_each_entity(tiny_model, tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text(TEXT)
    rows = tsv_rows(tag(tiny_model, ["-f", "tsv", str(path)]).stdout)
    assert {r[0] for r in rows} == {str(path)}
    lines = TEXT.splitlines()
    records = {1: TEXT.split("\n\n")[0], 4: TEXT.split("\n\n")[1]}
    for _, line, start, end, label, score, text, by in rows:
        assert by == "model"
        assert text in lines[int(line) - 1]  # the line where the entity starts
        record = records[1 if int(line) < 4 else 4]
        assert record[int(start):int(end)] == text and label in {"PER", "LOC", "ORG"} and 0 < float(score) <= 1
    assert [(r[1], r[6]) for r in rows if r[4] == "PER"] == [("1", "Anna Berg"), ("2", "Tom Hale"), ("4", "Omar Diaz")]
    conll = tsv_rows(tag(tiny_model, ["-f", "tsv", "-i", "conll"], input="x O\n\nflew O\nAnna O\nBerg O\n").stdout)
    assert [r[:5] + r[6:] for r in conll] == [["<stdin>", "4", "5", "14", "PER", "Anna Berg", "model"]]


def test_tsv_escapes_tabs_newlines_and_backslashes(tmp_path):
    record = {"text": "Ann\tLee\\x went\nto Rio\r\nBay", "tokens": ["Ann", "Lee\\x", "went", "to", "Rio", "Bay"],
              "spans": [{"start": 0, "end": 9, "label": "PER"}, {"start": 18, "end": 26, "label": "LOC"}]}
    path = tmp_path / "odd\tname.jsonl"
    path.write_text(json.dumps(record) + "\n")
    out = run_cli(["convert", "--to", "tsv", str(path)]).stdout
    assert out.count("\n") == 3 and all(line.count("\t") == 7 for line in out.splitlines())
    rows = tsv_rows(out)
    assert [r[6] for r in rows] == ["Ann\\tLee\\\\x", "Rio\\r\\nBay"]
    assert [unescape(r[6]) for r in rows] == ["Ann\tLee\\x", "Rio\r\nBay"]
    assert rows[0][0] == str(path).replace("\t", "\\t") and rows[0][5] == ""  # no score: gold spans


@pytest.mark.slow
def test_headers_and_footers_come_once_with_workers_and_many_files(tiny_model, tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"in{i}.txt")
        paths[-1].write_text((TEXT + "\n") * (40 + i))
    base = [sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model)]
    for fmt in ("tsv", "html"):
        one = subprocess.run([*base, "--threads", "1", "-f", fmt, *map(str, paths)], capture_output=True, text=True, check=True)
        two = subprocess.run([*base, "-j", "2", "-f", fmt, *map(str, paths)], capture_output=True, text=True, check=True)
        assert two.stdout == one.stdout
        if fmt == "tsv":
            assert one.stdout.count("source\tline") == 1 and len(tsv_rows(one.stdout)) == 7 * (40 + 41 + 42)
        else:
            assert one.stdout.count("<!DOCTYPE html>") == one.stdout.count("</html>") == 1
            assert one.stdout.rstrip().endswith("</html>")
            assert one.stdout.count('class="record"') == 2 * (40 + 41 + 42)


@pytest.mark.slow
def test_an_empty_input_is_still_a_whole_page_and_a_header(tiny_model):
    page = tag(tiny_model, ["-f", "html", "-i", "text"], input="").stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>") and "<main></main>" in page
    assert "PER" in page  # the legend: the model's types
    assert tag(tiny_model, ["-f", "tsv", "-i", "text"], input="").stdout == "source\tline\tstart\tend\tlabel\tscore\ttext\tby\n"


# --------------------------------------------------------------------------- html

def test_html_escapes_every_piece_of_input():
    page = run_cli(["convert", "--to", "html"], input=json.dumps(HOSTILE) + "\n").stdout
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    dom = parse_html(page)
    [record] = [d for d in dom.iter("div") if "record" in d.classes()]
    text = HOSTILE["text"]
    assert record.text() == (f"<stdin>:1{text[:25]}<img src=x onerror=alert(2)>{text[25:40]}PER{text[40:49]}ORG"
                             f"{text[49:]}")
    marks = [m for m in dom.iter("mark") if "entity" in m.classes()]
    assert [m.text() for m in marks] == ["<script>alert(1)</script><img src=x onerror=alert(2)>", "Ann & \"Bo\"PER",
                                         "<b>x</b>ORG"]
    legend = [m.text() for p in dom.iter("p") if "legend" in p.classes() for m in p.iter("mark")]
    assert legend == ["<img src=x onerror=alert(2)>", "ORG", "PER"]  # convert: the types found


@pytest.mark.slow
@requires_browser
def test_html_renders_in_a_real_browser(tiny_model, tmp_path):
    source = tmp_path / "in.jsonl"
    records = [{"text": "Anna Berg flew to Oslo ."}, HOSTILE, {"text": "Tom Hale works for Acme in Lima ."}]
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    page = tmp_path / "page.html"
    page.write_text(tag(tiny_model, ["-f", "html", str(source)]).stdout)
    expected = jsonl_entities(tag(tiny_model, [str(source)]).stdout)
    dom = parse_html(render(page))
    assert not list(dom.iter("script")) and not list(dom.iter("img")) and not list(dom.iter("b"))
    assert not [e for e in dom.iter() if {"src", "href"} & set(e.attrs)]  # nothing to fetch
    records_shown = [d for d in dom.iter("div") if "record" in d.classes()]
    assert len(records_shown) == 3
    assert [s.text() for d in records_shown for s in d.iter("span") if "source" in s.classes()] == [
        f"{source}:{i}" for i in (1, 2, 3)]
    assert text_without_labels(records_shown[1]) == HOSTILE["text"]  # shown as text, not markup
    marks = [m for m in dom.iter("mark") if "entity" in m.classes()]
    assert [(m.text(), [s.text() for s in m.iter("span")], m.attrs["title"]) for m in marks] == [
        (text + label, [label], f"{label} {score:.2f}") for _, _, label, score, text in expected]
    assert {e[2] for e in expected} >= {"PER", "LOC"}
    image = read_png(screenshot(page, tmp_path / "page.png", width=800, height=500))
    assert (image.width, image.height) == (800, 500)
    shown = image.colours()
    assert len(shown) > 50  # text was drawn, not a blank page
    for label in {e[2] for e in expected}:  # each type's highlight colour is on the screen
        rgb = tuple(int(colour(label)[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in shown, label


# --------------------------------------------------------------------------- pretty, terminals and pipes

@pytest.mark.slow
def test_pretty_without_colour_reads_as_brackets(tiny_model):
    out = tag(tiny_model, ["-f", "pretty"], input=TEXT).stdout
    assert "\x1b" not in out
    assert out.splitlines()[:3] == ["<stdin>:1", "[Anna Berg]PER flew to [Oslo]LOC.", "[Tom Hale]PER works for [Acme]ORG in [Lima]LOC ."]
    scored = tag(tiny_model, ["-f", "pretty", "--scores"], input=TEXT).stdout
    assert re.match(r"\[Anna Berg\]PER:(0\.\d\d|1\.00) flew", scored.splitlines()[1])


@pytest.mark.slow
def test_pretty_never_sends_input_control_characters_to_the_terminal(tiny_model):
    out = tag(tiny_model, ["-f", "pretty"], input="Anna Berg\x1b[2J flew\x07 to Oslo .\r\nok\n").stdout
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "[Anna Berg]PER\\x1b[2J flew\\x07 to" in out


def _run_on_terminal(args, stdin=b"", stdout_tty=True, stderr_tty=False, env=None):
    """Run nerpipe with stdout and/or stderr on a pseudo-terminal (the others into files, so
    nothing blocks); returns (status, stdout, stderr) as bytes."""
    master, slave = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}
    environment.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})})
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "nerpipe", *args], stdin=subprocess.PIPE,
                                stdout=slave if stdout_tty else out_file, stderr=slave if stderr_tty else err_file,
                                env=environment)
        os.close(slave)
        proc.stdin.write(stdin)
        proc.stdin.close()
        seen = b""
        while select.select([master], [], [], 120)[0]:
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # the other end closed: everything has been read
                break
            if not data:
                break
            seen += data
        os.close(master)
        status = proc.wait(timeout=60)
        out_file.seek(0)
        err_file.seek(0)
        return status, seen if stdout_tty else out_file.read(), seen if stderr_tty else err_file.read()


@pytest.mark.slow
def test_on_a_terminal_tag_highlights_and_into_a_pipe_writes_jsonl(tiny_model):
    args = ["tag", "-m", str(tiny_model), "--threads", "1"]
    rc, out, _ = _run_on_terminal(args, TEXT.encode(), env={"COLUMNS": "40"})
    assert rc == 0
    text = out.decode()
    per = ";".join(str(int(colour("PER")[i : i + 2], 16)) for i in (1, 3, 5))
    assert f"48;2;{per}m Anna Berg " in text and "PER" in text  # the type's colour behind the name
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r\n", "\n")
    assert "\x1b" not in plain and " Anna Berg PER  flew" in plain and "<stdin>:4" in plain
    assert max(map(len, plain.splitlines())) <= 40  # wrapped at the terminal's width
    rc, out, _ = _run_on_terminal(args, TEXT.encode(), env={"NO_COLOR": "1"})
    assert "[Anna Berg]PER flew to [Oslo]LOC" in out.decode() and "\x1b[" not in out.decode()  # no style at all, not even dim
    piped = subprocess.run([sys.executable, "-m", "nerpipe", *args], input=TEXT, capture_output=True, text=True, check=True)
    assert [json.loads(line)["meta"]["line"] for line in piped.stdout.splitlines()] == [1, 4]


@pytest.mark.slow
def test_on_a_terminal_paragraphs_are_reflowed_and_entities_never_split(tiny_model):
    # the input's own line breaks once came out as well as the terminal's wrapping, and a
    # highlight could start at the end of one line and go on on the next
    # prose wrapped at 45 columns, a blank line, then a list (short lines: items, kept as they are)
    paragraph = ("Anna Berg flew to Oslo . Tom Hale works for\nAcme in Lima . Anna Berg flew to Oslo and Tom\nHale stayed .\n\n"
                 "Guests :\nAnna Berg\nTom Hale\n")
    args = ["tag", "-m", str(tiny_model), "--threads", "1"]
    for env in ({"COLUMNS": "30", "NO_COLOR": "1"}, {"COLUMNS": "30"}):
        rc, out, _ = _run_on_terminal(args, paragraph.encode(), env=env)
        assert rc == 0
        lines = re.sub(r"\x1b\[[0-9;]*m", "", out.decode()).replace("\r\n", "\n").splitlines()
        assert lines[0] == "<stdin>:1" and max(map(len, lines)) <= 30
        body = lines[1 : lines.index("<stdin>:5") - 1]
        if "NO_COLOR" in env:
            # each entity whole on one line, and the text as written with its line breaks as spaces
            assert all(line.count("[") == line.count("]") for line in body)
            words = re.sub(r"\[([^\]]*)\][A-Z]+", r"\1", " ".join(body)).split()
            assert words == paragraph.split("\n\n")[0].split()
            # filled to the width: a line ends only where the next word would not fit (the input's breaks add none)
            first_word = re.compile(r"\[[^\]]*\]\S*|\S+")  # an entity is one word
            assert all(len(line) + 1 + len(first_word.match(after).group()) > 30 for line, after in zip(body, body[1:]))
        else:
            assert all(line.count(" Anna Berg") == line.count(" Anna Berg PER") for line in body)
            assert len(body) == 6
        items = lines[lines.index("<stdin>:5") + 2 :][:2]  # after "Guests :", each on its line
        assert [item.rstrip() for item in items] == (["[Anna Berg]PER", "[Tom Hale]PER"] if "NO_COLOR" in env
                                                     else [" Anna Berg PER", " Tom Hale PER"])


@pytest.mark.slow
def test_progress_shows_on_a_terminal_only(tiny_model, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Anna Berg flew to Oslo .\n\n" * 4000)  # 24,000 tokens: two blocks
    args = ["tag", "-m", str(tiny_model), "--threads", "1", str(big)]
    rc, out, err = _run_on_terminal([*args, "-v"], stdout_tty=False, stderr_tty=True)
    assert rc == 0 and len(out.decode().splitlines()) == 4000 and out.startswith(b'{"meta"')  # data untouched
    shown = err.decode()
    assert "tagging: 24,000 tokens" in shown and "tokens/s" in shown
    assert "\x1b[2K" in shown[-20:]  # and gone at the end
    # -v's line comes above the progress line, not glued to it
    said = next(line for line in shown.split("\n") if "nerpipe: " in line)
    assert re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", said).rstrip("\r").split("\r")[-1].startswith("nerpipe: ")
    rc, _, err = _run_on_terminal([*args, "--quiet"], stdout_tty=False, stderr_tty=True)
    assert rc == 0 and err == b""
    piped = subprocess.run([sys.executable, "-m", "nerpipe", *args], capture_output=True, text=True, check=True)
    assert piped.stderr == ""


@pytest.mark.slow
def test_quiet_silences_the_hint_for_typed_input(tiny_model):
    master, slave = pty.openpty()
    try:
        for quiet, hinted in (([], True), (["-q"], False)):
            proc = subprocess.Popen([sys.executable, "-m", "nerpipe", "tag", "-m", str(tiny_model), "--threads", "1", *quiet],
                                    stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            os.write(master, b"Anna Berg flew to Oslo .\n\x04")  # a line, then Ctrl-D
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and json.loads(out)["spans"]
            assert (b"reading standard input from the terminal" in err) == hinted
    finally:
        os.close(master)
        os.close(slave)
