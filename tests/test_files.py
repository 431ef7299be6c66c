import os
import stat

import pytest
from conftest import run_cli

from nerpipe.errors import UsageError
from nerpipe.files import rename_target


def test_a_file_renamed_into_place_goes_through_links_and_never_over_a_device_pipe_or_folder(tmp_path):
    real = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    link.symlink_to(real)
    assert rename_target(link) == real.resolve()  # not there yet: fine, and the link stays
    real.write_bytes(b"old")
    assert rename_target(link) == real.resolve() and rename_target(real) == real.resolve()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, kind in (("/dev/null", "a device"), (fifo, "a pipe"), (tmp_path, "a folder")):
        with pytest.raises(UsageError, match=f"-o {path} is {kind}: nerpipe writes this file whole"):
            rename_target(path, "-o")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(UsageError, match="-o .*loop: Too many levels of symbolic links"):
        rename_target(loop, "-o")
    dangling = tmp_path / "dangling.pt"
    dangling.symlink_to(tmp_path / "no" / "such" / "m.pt")
    with pytest.raises(UsageError, match="is a link to .*m.pt, in no folder that exists"):
        rename_target(dangling, "-o")


def test_saving_a_model_through_a_link_keeps_the_link(tmp_path):
    from nerpipe.checkpoints import atomic_save

    real, link = tmp_path / "models" / "m.pt", tmp_path / "m.pt"
    real.parent.mkdir()
    link.symlink_to(real)
    atomic_save({"a": 1}, link)
    atomic_save({"a": 2}, link)  # over the file, through the link
    assert link.is_symlink() and real.is_file() and sorted(os.listdir(real.parent)) == ["m.pt"]
    with pytest.raises(UsageError, match="is a device"):
        atomic_save({"a": 1}, "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_train_refuses_an_output_it_would_replace_before_training(tmp_path):
    data = tmp_path / "t.conll"
    data.write_text("Anna B-PER\nran O\n\n")
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    for output, said in ((str(fifo), "is a pipe"), ("/dev/null", "is a device"), (str(tmp_path), "is a directory")):
        result = run_cli(["train", str(data), "-o", output, "--epochs", "1", "--embeddings", "none", "-q"])
        assert result.exit_code == 2 and said in result.stderr, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]  # no temporary file left either


def test_annotate_refuses_a_device_and_rewrites_a_linked_file_in_place(tmp_path):
    from nerpipe.annotation import Session, prepare

    batch = tmp_path / "batch.txt"
    batch.write_text("Anna ran\n")
    docs = prepare(str(batch))
    with pytest.raises(UsageError, match="-o /dev/null is a device"):
        Session(docs, "/dev/null", ["PER"])
    real, link = tmp_path / "gold.jsonl", tmp_path / "link.jsonl"
    link.symlink_to(real)
    session = Session(docs, str(link), ["PER"])
    try:
        session.decide(0, "accept", [[0, 1, "PER"]])
        session.decide(0, "accept", [])  # a correction: the file is rewritten, through the link
    finally:
        session.close()
    assert link.is_symlink() and '"spans": []' in real.read_text()
