"""nerpipe annotate: the session's file (nothing lost, nothing twice), the server's guard,
and the page driven in headless Chromium with the keyboard and the mouse."""

import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import requires_driver, webdriver

from nerpipe.annotation import AnnotationServer, Session, prepare
from nerpipe.errors import NerpipeError, UsageError

RECORDS = [
    {"text": "Angela Merkel met Emmanuel Macron in Paris.", "meta": {"id": "a"},
     "spans": [{"start": 0, "end": 13, "label": "PER"}, {"start": 18, "end": 33, "label": "PER"},
               {"start": 37, "end": 42, "label": "LOC"}]},
    {"text": "Siemens hired Anna Berg in Munich .", "meta": {"id": "b"}, "spans": []},
    {"text": "<script>alert(1)</script> & <b>Acme</b> Corp", "meta": {"id": "c"}, "spans": []},
    {"text": "Oslo is cold.", "meta": {"id": "d"}, "spans": [{"start": 0, "end": 4, "label": "LOC"}]},
]
LABELS = ["PER", "ORG", "LOC", "MISC"]


@pytest.fixture
def batch(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return str(path)


def decisions(path):
    return {r["_index"]: (r["answer"], [(s["token_start"], s["token_end"] + 1, s["label"]) for s in r["spans"]], r)
            for r in map(json.loads, Path(path).read_text().splitlines())}


def test_decisions_are_appended_changes_rewritten_and_a_restart_continues(batch, tmp_path):
    out = tmp_path / "gold.jsonl"
    session = Session(prepare(batch), str(out), LABELS)
    assert session.first_open() == 0 and session.record(0)["spans"] == [[0, 2, "PER"], [3, 5, "PER"], [6, 7, "LOC"]]
    assert session.decide(0, "accept", [[0, 2, "PER"]])["next"] == 1
    assert session.decide(1, "reject", [])["done"] == 2
    session.decide(0, "accept", [[0, 2, "ORG"]])  # went back: the line is replaced, not added
    assert len(out.read_text().splitlines()) == 2
    with pytest.raises(UsageError, match="another nerpipe annotate"):
        Session(prepare(batch), str(out), LABELS)  # one session a file
    session.close()
    again = Session(prepare(batch), str(out), LABELS)
    assert again.progress() == {"done": 2, "left": 2, "total": 4} and again.first_open() == 2
    assert again.record(0)["spans"] == [[0, 2, "ORG"]] and again.record(0)["answer"] == "accept"
    got = decisions(out)
    assert got[0][:2] == ("accept", [(0, 2, "ORG")]) and got[1][:2] == ("reject", [])
    assert got[0][2]["meta"] == {"id": "a"} and got[0][2]["text"] == RECORDS[0]["text"]  # every field it came with
    for bad, said in (([[0, 9, "PER"]], "outside the record's 4 tokens"), ([[0, 2, "PER"], [1, 3, "LOC"]], "overlap"),
                      ([["a", 1, "PER"]], "expected \\[first token"), ([[2, 1, "PER"]], "2-1 ends before it starts")):
        with pytest.raises(ValueError, match=said):
            again.decide(3, "accept", bad)
    with pytest.raises(ValueError):
        again.decide(2, "maybe", [])
    again.close()


def test_one_file_gathers_every_round_and_a_line_cut_short_is_refused(batch, tmp_path):
    out = tmp_path / "gold.jsonl"
    session = Session(prepare(batch), str(out), LABELS)
    session.decide(1, "accept", [])
    session.close()
    second = tmp_path / "second.jsonl"  # the next round: another batch, the same decisions file
    second.write_text(json.dumps({"text": "Something else entirely.", "spans": []}) + "\n" + Path(batch).read_text())
    later = Session(prepare(str(second)), str(out), LABELS)
    assert later.progress()["done"] == 0  # the first round's line is not this batch's
    later.decide(0, "accept", [])
    later.decide(0, "reject", [])  # a change rewrites the file: the first round's line stays
    later.close()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["text"], r["answer"]) for r in lines] == [(RECORDS[1]["text"], "accept"), ("Something else entirely.", "reject")]
    assert lines[0]["_batch"] != lines[1]["_batch"]
    with pytest.raises(ValueError, match="not one of this session's"):
        Session(prepare(batch), str(tmp_path / "x.jsonl"), ["PER"]).decide(0, "accept", [[0, 2, "ORG"]])
    out.write_text(out.read_text() + '{"text": "Oslo", "_ind')  # a kill -9 mid-write
    with pytest.raises(NerpipeError, match="gold.jsonl:3: the last line is incomplete"):
        Session(prepare(batch), str(out), LABELS)


def test_usage_errors_before_any_work(batch, tmp_path):
    from conftest import run_cli

    missing = run_cli(["annotate", batch, "-o", str(tmp_path / "no" / "such" / "gold.jsonl")])
    assert missing.exit_code == 2 and "the folder must exist" in missing.stderr
    into_input = run_cli(["annotate", batch, "-o", batch])
    assert into_input.exit_code == 2 and "is an input too" in into_input.stderr
    other = tmp_path / "other.jsonl"
    other.write_text('{"text": "not a decision"}\n')
    with pytest.raises(NerpipeError, match="not a line nerpipe annotate wrote"):
        Session(prepare(batch), str(other), LABELS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.jsonl", "other.jsonl"]  # no lock file left behind
    session = Session(prepare(batch), str(tmp_path / "a.jsonl"), LABELS)
    with pytest.raises(UsageError, match="--port"):
        AnnotationServer(session, port=_busy_port())
    session.close()


def _busy_port():
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    _busy_port.keep = taken  # held for the test
    return taken.getsockname()[1]


def test_only_the_token_bearing_url_on_this_host_is_served(batch, tmp_path):
    server = AnnotationServer(Session(prepare(batch), str(tmp_path / "gold.jsonl"), LABELS))
    server.serve_in_background()
    try:
        base = server.url.split("?")[0]

        def status(url, headers=None):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as response:
                    return response.status, dict(response.headers), response.read().decode()
            except urllib.error.HTTPError as err:
                return err.code, {}, err.read().decode()

        assert status(base)[0] == 403 and status(base + "api/record")[0] == 403
        token = server.url.split("?")[1]
        assert status(f"{base}api/record?{token}&index=1")[0] == 200
        assert status(f"{base}api/record?{token}&index=abc")[::2] == (400, '{"error": "index \'abc\': expected a record number"}')
        assert status(base + "?token=wrong")[0] == 403
        port = server.server_address[1]
        assert status(server.url, {"Host": f"evil.example:{port}"})[0] == 403  # DNS rebinding
        code, headers, page = status(server.url)
        assert code == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
        assert "http://" not in page.replace(server.url, "") and "https://" not in page and "src=" not in page
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- in the browser

def start(batch, out):
    session = Session(prepare(batch), str(out), LABELS)
    server = AnnotationServer(session)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return session, server


def stop(session, server):
    server.shutdown()
    server.server_close()
    session.close()


@requires_driver
def test_keyboard_and_mouse_in_chromium(batch, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    out = tmp_path / "gold.jsonl"
    session, server = start(batch, out)
    driver = webdriver()
    try:
        wait = WebDriverWait(driver, 20)

        def keys(*sequence):
            chain = ActionChains(driver)
            for key in sequence:
                if isinstance(key, tuple):  # (modifier, key)
                    chain.key_down(key[0]).send_keys(key[1]).key_up(key[0])
                else:
                    chain.send_keys(key)
            chain.perform()

        def showing(source_line):
            wait.until(lambda d: d.find_element(By.ID, "source").text.endswith(f":{source_line}"))

        def marks():
            return [(m.get_attribute("data-label"), m.find_element(By.CSS_SELECTOR, ".tok").get_attribute("data-i"))
                    for m in driver.find_elements(By.CSS_SELECTOR, "#text mark.entity")]

        def token(i):
            return driver.find_element(By.CSS_SELECTOR, f'#text .tok[data-i="{i}"]')

        driver.get(server.url)
        showing(1)
        assert "0 done" in driver.find_element(By.ID, "progress").text
        assert marks() == [("PER", "0"), ("PER", "3"), ("LOC", "6")]  # the input's pre-annotations
        keys("2")  # the cursor starts in "Angela Merkel": relabel it ORG
        keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.BACKSPACE)  # remove "Emmanuel Macron"
        keys((Keys.SHIFT, Keys.ARROW_RIGHT), "4")  # select "Emmanuel Macron" again: MISC
        assert marks() == [("ORG", "0"), ("MISC", "3"), ("LOC", "6")]
        if os.environ.get("NERPIPE_ANNOTATE_SCREENSHOT"):
            driver.save_screenshot(os.environ["NERPIPE_ANNOTATE_SCREENSHOT"])
        keys(Keys.ENTER)
        showing(2)
        assert decisions(out)[0][:2] == ("accept", [(0, 2, "ORG"), (3, 5, "MISC"), (6, 7, "LOC")])

        # the mouse: drag across "Anna Berg" and press 1; click "Siemens" and press 2
        ActionChains(driver).click_and_hold(token(2)).move_to_element(token(3)).release().perform()
        keys("1")
        token(0).click()
        keys("2", Keys.ENTER)
        showing(3)
        assert decisions(out)[1][:2] == ("accept", [(0, 1, "ORG"), (2, 4, "PER")])

        # every character is text: nothing of the record runs or renders as markup
        assert driver.find_element(By.ID, "text").text == RECORDS[2]["text"]
        assert not driver.find_elements(By.CSS_SELECTOR, "#text script, #text b")
        keys("x")
        showing(4)

        # go back two records and change one: its line is replaced
        keys("[", "[")
        showing(2)
        assert driver.find_element(By.ID, "answer").text == "accepted" and marks() == [("ORG", "0"), ("PER", "2")]
        label = driver.find_elements(By.CSS_SELECTOR, "#text mark.entity .label")[1]
        label.click()  # a click on an entity's label removes it
        keys(Keys.ENTER)
        showing(4)
        assert decisions(out)[1][:2] == ("accept", [(0, 1, "ORG")]) and len(out.read_text().splitlines()) == 3

        # the server stops and starts again: the page continues where it was
        stop(session, server)
        session, server = start(batch, out)
        driver.get(server.url)
        showing(4)
        assert "3 done \u00b7 1 left" in driver.find_element(By.ID, "progress").text
        keys("s")
        wait.until(lambda d: d.find_element(By.ID, "done").is_displayed())
    finally:
        driver.quit()
        stop(session, server)
    got = decisions(out)
    assert sorted(got) == [0, 1, 2, 3] and len(out.read_text().splitlines()) == 4
    assert [got[k][0] for k in range(4)] == ["accept", "accept", "reject", "ignore"]
    assert got[3][1] == [(0, 1, "LOC")] and got[2][2]["meta"] == {"id": "c"}


def test_rejected_and_skipped_records_are_left_out_of_training_and_scoring(batch, tmp_path):
    from conftest import run_cli

    from nerpipe.training.config import TrainConfig
    from nerpipe.training.corpus import read_corpus

    out = tmp_path / "gold.jsonl"
    session = Session(prepare(batch), str(out), LABELS)
    session.decide(0, "accept", [[0, 2, "PER"], [3, 5, "PER"]])
    session.decide(1, "reject", [[0, 1, "LOC"]])
    session.decide(3, "ignore", [[0, 1, "LOC"]])
    session.close()
    corpus = read_corpus([str(out)], TrainConfig(), "training")
    assert len(corpus.sentences) == 1 and corpus.declined == 2
    scored = run_cli(["score", "--format", "json", str(out), str(out)])
    assert json.loads(scored.stdout)["support"] == 2
    assert 'gold records answered "reject" or "ignore" (nerpipe annotate) are left out' in scored.stderr


def test_convert_leaves_rejected_and_skipped_records_out(batch, tmp_path):
    from conftest import run_cli

    out = tmp_path / "gold.jsonl"
    session = Session(prepare(batch), str(out), LABELS)
    session.decide(0, "accept", [[0, 2, "PER"]])
    session.decide(1, "reject", [])
    session.decide(3, "ignore", [])
    session.close()
    conll = run_cli(["convert", "--to", "conll", str(out)])
    assert conll.stdout.count("\n\n") == 1 and "Angela B-PER" in conll.stdout
    assert '2 records answered "reject" or "ignore" (nerpipe annotate) are left out' in conll.stderr
    assert len(run_cli(["convert", "--to", "jsonl", str(out)]).stdout.splitlines()) == 3  # JSONL keeps the answers
    assert "predicted_spans" not in out.read_text()


ASTRAL = {"text": "Tim Cook \U0001F34E loves Apple in Cupertino.", "spans": [{"start": 17, "end": 22, "label": "ORG"}]}


def test_tokens_are_sent_in_the_units_javascript_counts(tmp_path):
    path = tmp_path / "astral.jsonl"
    path.write_text(json.dumps(ASTRAL) + "\n")
    session = Session(prepare(str(path)), str(tmp_path / "gold.jsonl"), LABELS)
    try:
        record = session.record(0)
    finally:
        session.close()
    utf16 = record["text"].encode("utf-16-le")
    words = [utf16[2 * a:2 * b].decode("utf-16-le") for a, b in record["tokens"]]
    assert words == ["Tim", "Cook", "\U0001F34E", "loves", "Apple", "in", "Cupertino", "."]
    assert record["spans"] == [[4, 5, "ORG"]]  # spans stay in tokens


@requires_driver
def test_the_page_shows_each_token_whole_after_an_astral_character(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "astral.jsonl"
    path.write_text(json.dumps(ASTRAL) + "\n")
    session, server = start(str(path), tmp_path / "gold.jsonl")
    driver = webdriver()
    try:
        driver.get(server.url)
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#text .tok"))
        words = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#text .tok")]
        assert words == ["Tim", "Cook", "\U0001F34E", "loves", "Apple", "in", "Cupertino", "."]
        assert driver.find_element(By.CSS_SELECTOR, "#text mark.entity").text.startswith("Apple")
        assert driver.find_element(By.ID, "text").text.startswith("Tim Cook \U0001F34E loves Apple")
    finally:
        driver.quit()
        stop(session, server)


def test_the_types_select_chose_for_are_the_ones_offered(tmp_path):
    from nerpipe.annotation import labels_chosen_for

    def docs(*metas):
        path = tmp_path / "batch.jsonl"
        path.write_text("".join(json.dumps({"text": f"Anna {k}", "meta": meta}) + "\n" for k, meta in enumerate(metas)))
        return prepare(str(path))

    assert labels_chosen_for(docs({"labels": ["PER", "LOC"]}, {"labels": ["PER", "LOC"], "id": 2})) == ["PER", "LOC"]
    assert labels_chosen_for(docs({"labels": ["PER", "LOC"]}, {"labels": ["PER"]})) is None  # batches that differ
    assert labels_chosen_for(docs({"labels": ["PER"]}, {})) is None
    assert labels_chosen_for(docs({"labels": "PER"})) is None


@pytest.mark.slow
def test_kill_stops_the_server_as_ctrl_c_does_leaving_no_lock_file(batch, tmp_path):
    import signal
    import subprocess
    import sys

    out = tmp_path / "gold.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "nerpipe", "annotate", batch, "-o", str(out), "--labels", "PER,LOC"],
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "open http://127.0.0.1:" in line:
                break
        assert (tmp_path / "gold.jsonl.lock").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    assert not (tmp_path / "gold.jsonl.lock").exists()


def test_a_decision_after_the_session_stopped_is_refused_not_half_written(batch, tmp_path):
    session = Session(prepare(batch), str(tmp_path / "gold.jsonl"), LABELS)
    session.close()
    with pytest.raises(OSError, match="the session has stopped"):
        session.decide(0, "accept", [])
    assert not (tmp_path / "gold.jsonl").exists()
    now = Session(prepare(batch), str(tmp_path / "gold.jsonl"), LABELS)
    session.close()  # a second close leaves the lock of the session that holds the file now
    with pytest.raises(UsageError, match="another nerpipe annotate"):
        Session(prepare(batch), str(tmp_path / "gold.jsonl"), LABELS)
    now.close()
