"""nerpipe on Spark (local mode): `nerpipe tag` under RDD.pipe and nerpipe.spark under
mapInPandas give the spans `nerpipe tag` gives, one output per input, in order; bad
input fails the task with nerpipe's message."""

import importlib.util
import json
import os
import shutil
import sys

import pytest
from browser import requires
from conftest import run_cli

TEXTS = ["Angela Merkel visited Paris on Monday.", "", "Obama met Putin in Geneva.", "Nothing here.",
         "Siemens hired Anna Berg in Munich.", "   ", "The U.N. sent aid to Haiti."] * 3


def _missing() -> str | None:
    try:
        import pandas  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark and pandas are not installed (pip install -e '.[test]')"
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark's local mode (Debian: apt-get install openjdk-17-jre-headless)"
    return None


MISSING = _missing()
# skipped with the reason where Spark is missing; failed instead where CI requires it
pytestmark = pytest.mark.slow
needs_spark = requires(MISSING is None, MISSING or "", "NERPIPE_REQUIRE_SPARK")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("nerpipe-tests").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def expected_spans():
    """What `nerpipe tag -i lines` finds, record by record: (start, end, label)."""
    out = run_cli(["tag", "-i", "lines", "-f", "jsonl"], input="".join(t + "\n" for t in TEXTS)).stdout.splitlines()
    return [[(s["start"], s["end"], s["label"]) for s in json.loads(line)["spans"]] for line in out]


@needs_spark
def test_rdd_pipe_gives_one_line_per_line_in_order(spark):
    rdd = spark.sparkContext.parallelize(TEXTS, 4)
    # the README's command as it stands, with the PATH of a shell where nerpipe is installed (pipe's own is empty)
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    out = rdd.pipe("nerpipe tag -i lines -f jsonl -q", env={"PATH": path}, checkCode=True).collect()
    assert len(out) == len(TEXTS)
    records = [json.loads(line) for line in out]
    assert [r["text"] for r in records] == TEXTS
    assert [[(s["start"], s["end"], s["label"]) for s in r["spans"]] for r in records] == expected_spans()
    # JSONL records in and out too, and empty partitions (more slices than records) are fine
    jsonl = spark.sparkContext.parallelize([json.dumps({"id": k, "text": t}) for k, t in enumerate(TEXTS[:3])], 6)
    tagged = [json.loads(line) for line in jsonl.pipe(f"{sys.executable} -m nerpipe tag -i jsonl -f jsonl -q").collect()]
    assert [r["id"] for r in tagged] == [0, 1, 2]


@needs_spark
def test_map_in_pandas_gives_the_same_spans(spark):
    from nerpipe.spark import schema, tagger

    df = spark.createDataFrame([(k, t) for k, t in enumerate(TEXTS)] + [(len(TEXTS), None)], "id long, text string")
    rows = df.repartition(3).mapInPandas(tagger("text"), schema=schema(df.schema)).collect()
    with pytest.raises(ValueError, match="has an 'entities' column already"):
        schema(df.withColumnRenamed("id", "entities").schema)
    by_id = {r.id: r for r in rows}
    assert len(rows) == len(TEXTS) + 1 and list(by_id[len(TEXTS)].entities) == []
    found = [[(e.start, e.end, e.label) for e in by_id[k].entities] for k in range(len(TEXTS))]
    assert found == expected_spans()
    first = by_id[0].entities[0]
    assert first.text == "Angela Merkel" and 0 < first.score <= 1


@needs_spark
def test_a_model_shipped_as_spark_submit_files_ships_it_is_found_by_its_name(spark, tmp_path):
    from nerpipe.checkpoints import default_model_path
    from nerpipe.spark import schema, tagger

    shipped = tmp_path / "shipped-model.pt"  # not in the working directory: only Spark's copy is
    shutil.copy(default_model_path(), shipped)
    spark.sparkContext.addFile(str(shipped))  # what spark-submit --files does
    df = spark.createDataFrame([(0, TEXTS[0])], "id long, text string")
    (row,) = df.mapInPandas(tagger("text", model="shipped-model.pt"), schema=schema(df.schema)).collect()
    assert [(e.start, e.end, e.label) for e in row.entities] == expected_spans()[0]


@needs_spark
def test_bad_input_fails_the_task_with_nerpipes_message(spark):
    from pyspark.errors import PythonException

    bad = spark.sparkContext.parallelize(['{"text": "Anna"}', '{"text": '], 1)
    with pytest.raises(Exception, match="exited with error code 1"):  # (PySpark checks it when asked: checkCode=True)
        bad.pipe(f"{sys.executable} -m nerpipe tag -i jsonl -f jsonl -q", checkCode=True).collect()
    from nerpipe.spark import ENTITIES_SCHEMA, tagger

    df = spark.createDataFrame([(1, "Anna"), (2, "7")], "id long, text string").selectExpr("id", "cast(id as double) as text")
    with pytest.raises(PythonException, match="column 'text', row 0 of this batch: expected a string, got float"):
        df.mapInPandas(tagger("text"), schema=f"id long, text double, {ENTITIES_SCHEMA}").collect()


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="needs pandas")
def test_every_kind_of_pandas_null_is_a_text_without_entities():
    import pandas as pd

    from nerpipe.spark import tagger

    batch = pd.DataFrame({"text": pd.array(["Paris is nice .", pd.NA, None], dtype="string")})
    objects = pd.DataFrame({"text": ["Paris is nice .", None, float("nan")]})
    for frame in (batch, objects):
        (out,) = list(tagger("text")(iter([frame])))
        assert [len(e) for e in out["entities"]] == [1, 0, 0]
