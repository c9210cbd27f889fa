"""The tool commands that read any export (kpi sentiment, kpi anomalies, kpi attribute): bad input
gets one line naming the file, column, row and rule and exit code 2; nothing good is lost or overwritten."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.cli import main

PATHS_HEADER = "path;total_conversions;total_conversion_value;total_null\n"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _series_csv(path: Path, n: int = 40, *, times: list[str] | None = None,
                values: dict[int, str] | None = None) -> Path:
    """An hourly series of ``n`` ISO times; ``values`` replaces the value of some rows (0-based)."""
    idx = pd.date_range("2026-01-01", periods=n, freq="h")
    times = times or [f"{t:%Y-%m-%dT%H:%M}" for t in idx]
    vals = [str(10 + i % 3) for i in range(n)]
    for i, v in (values or {}).items():
        vals[i] = v
    return _write(path, "timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in zip(times, vals, strict=True)))


# ---------------------------------------------------------------------------------------------- 1, 4: ragged rows


def test_sentiment_refuses_a_comma_inside_an_unquoted_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "r.csv", "id,text\n1,great, really\n2,bad\n")
    out = tmp_path / "out.csv"
    rc, _, err = _run(["sentiment", str(src), "-o", str(out)], capsys)
    assert rc == 2
    assert _one_line(err) == (f"error: {src} row 2: 3 cells where the header has 2 "
                              "(a comma inside a text that is not quoted?)")
    assert not out.exists()


def test_sentiment_refuses_a_short_row_and_names_the_separator(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "r.csv", "id;text;lang\n1;ok;en\n2;bad\n")
    rc, _, err = _run(["sentiment", str(src), "--sep", ";"], capsys)
    assert rc == 2 and _one_line(err) == (f"error: {src} row 3: 2 cells where the header has 3 "
                                          "(a cell missing, or a line break inside a text that is not quoted?)")
    src = _write(tmp_path / "s.csv", "id;text\n1;great; really\n")
    rc, _, err = _run(["sentiment", str(src), "--sep", ";"], capsys)
    assert rc == 2 and _one_line(err).endswith("row 2: 3 cells where the header has 2 "
                                               "(a semicolon inside a text that is not quoted?)")


def test_sentiment_still_reads_quoted_commas_line_breaks_and_blank_lines(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "r.csv", 'id,text\n1,"great, really"\n\n2,"bad\nday"\n3,\n')
    out = tmp_path / "out.csv"
    rc, _, err = _run(["sentiment", str(src), "-o", str(out)], capsys)
    assert rc == 0 and "scored 2 of 3 rows" in err
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert df["id"].tolist() == ["1", "2", "3"] and df["text"].tolist() == ["great, really", "bad\nday", ""]


@pytest.mark.parametrize("content,message", [
    ("timestamp,value\n2026-01-01,1\n2026-01-02,2,3\n",
     "row 3: 3 cells where the header has 2 (a comma inside a text that is not quoted?)"),
    ("timestamp,value\n2026-01-01,1\n2026-01-02\n2026-01-03,3\n",
     "row 3: 1 cell where the header has 2 (a cell missing, or a line break inside a text that is not quoted?)"),
    ("timestamp,value\n2026-01-01,1,x\n2026-01-02,2\n",
     "row 2: 3 cells where the header has 2 (a comma inside a text that is not quoted?)"),
    ("", ": the file is empty (expected a header line: timestamp,value)"),
    ("\n\n", ": the file is empty (expected a header line: timestamp,value)"),
    ('timestamp,value\n2026-01-01,1\n2026-01-02,"2\n', "row 3: a quoted text is never closed (a '\"' missing?)"),
])
def test_anomalies_refuses_ragged_and_empty_files_in_plain_words(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 content: str, message: str) -> None:
    src = _write(tmp_path / "s.csv", content)
    rc, _, err = _run(["anomalies", str(src)], capsys)
    line = _one_line(err)
    assert rc == 2 and line == f"error: {src}{'' if message.startswith(':') else ' '}{message}"
    assert "C error" not in line and "No columns to parse" not in line


@pytest.mark.parametrize("rows,message", [
    ("a > b;1;1.0;2\nb;1;1,0;2;4\n", "row 3: 5 cells where the header has 4 (a semicolon inside a text that is not quoted?)"),
    ("a > b;1;1.0;2\nb;1;1.0\n", "row 3: 3 cells where the header has 4 "
                                 "(a cell missing, or a line break inside a text that is not quoted?)"),
    ("a > b;1;1.0;2;9\nb;1;1.0;3\n", "row 2: 5 cells where the header has 4 (a semicolon inside a text that is not quoted?)"),
])
def test_attribute_refuses_ragged_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str,
                                       message: str) -> None:
    src = _write(tmp_path / "p.csv", PATHS_HEADER + rows)
    rc, _, err = _run(["attribute", str(src)], capsys)
    assert rc == 2 and _one_line(err) == f"error: {src} {message}"


def test_attribute_refuses_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "p.csv"
    src.write_bytes("p\xe4th;total_conversions\n".encode("latin-1"))
    rc, _, err = _run(["attribute", str(src)], capsys)
    assert rc == 2 and _one_line(err) == f"error: {src}: not UTF-8 text (save the export as UTF-8 CSV)"


def test_attribute_refuses_a_damaged_parquet_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "p.parquet", "junk")
    rc, _, err = _run(["attribute", str(src)], capsys)
    assert rc == 2 and _one_line(err).startswith(f"error: {src}: not a readable Parquet file (")


# ---------------------------------------------------------------------------------------------- 2: ISO 8601 only


def test_anomalies_refuses_day_first_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idx = pd.date_range("2026-01-01", periods=40, freq="h")
    src = _series_csv(tmp_path / "d.csv", times=[f"{t:%d/%m/%Y %H:%M}" for t in idx])
    rc, out, err = _run(["anomalies", str(src)], capsys)
    assert rc == 2 and out == ""
    assert _one_line(err) == (
        f"error: {src}: column 'timestamp' row 2, 3, 4, 5, 6 (+35 more): not a valid date or time (expected "
        "ISO 8601, e.g. 2026-01-02 or 2026-01-02T05:00, optionally with Z or an offset such as +02:00) "
        "(got '01/01/2026 00:00', '01/01/2026 01:00', '01/01/2026 02:00', '01/01/2026 03:00', '01/01/2026 04:00')")
    # one bad time among ISO ones: its row and value
    times = [f"{t:%Y-%m-%d %H:%M}" for t in idx]
    times[5] = "02/01/2026 05:00"
    src = _series_csv(tmp_path / "e.csv", times=times)
    rc, _, err = _run(["anomalies", str(src)], capsys)
    assert rc == 2 and _one_line(err).startswith(f"error: {src}: column 'timestamp' row 7: not a valid date or time "
                                                 "(expected ISO 8601, e.g. 2026-01-02 or 2026-01-02T05:00")
    assert err.strip().endswith("(got '02/01/2026 05:00')")


def test_anomalies_keeps_iso_times_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idx = pd.date_range("2026-01-01", periods=40, freq="h")
    for times, first in [([f"{t:%Y-%m-%d %H:%M}" for t in idx], "2026-01-01T00:00:00"),
                         ([f"{t:%Y-%m-%dT%H:%M:%S}+02:00" for t in idx], "2026-01-01T00:00:00+02:00"),
                         ([f"{t:%Y-%m-%dT%H:%M}Z" for t in idx], "2026-01-01T00:00:00Z")]:
        src = _series_csv(tmp_path / "s.csv", times=times)
        rc, out, _ = _run(["anomalies", str(src)], capsys)
        assert rc == 0
        res = pd.read_csv(io.StringIO(out))
        assert len(res) == 40 and res["timestamp"].iloc[0] == first


# ---------------------------------------------------------------------------------------------- 3: messages


def test_anomalies_duplicate_time_names_the_file_and_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idx = pd.date_range("2026-01-01", periods=40, freq="h")
    times = [f"{t:%Y-%m-%dT%H:%M}Z" for t in idx]
    times[30] = times[9]
    src = _series_csv(tmp_path / "dup.csv", times=times)
    rc, _, err = _run(["anomalies", str(src)], capsys)
    assert rc == 2 and _one_line(err) == (
        f"error: {src}: column 'timestamp' row 11, 32: several rows fall in the step starting "
        "2026-01-01T09:00:00Z at frequency h; aggregate them first (e.g. --agg sum) "
        "(got '2026-01-01T09:00:00Z', '2026-01-01T09:00:00Z')")
    rc, _, _ = _run(["anomalies", str(src), "--agg", "sum"], capsys)
    assert rc == 0


def test_anomalies_too_short_series_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _series_csv(tmp_path / "five.csv", n=5)
    rc, _, err = _run(["anomalies", str(src)], capsys)
    assert rc == 2 and _one_line(err) == f"error: {src}: series 'value' has 5 values; anomaly detection needs at least 8"
    rc, _, err = _run(["anomalies", str(src), "--freq", "fortnightly"], capsys)  # an option is not the file's fault
    assert rc == 2 and _one_line(err).startswith("error: unknown frequency 'fortnightly'")


@pytest.mark.parametrize("value", ["1e308", "inf", "-inf", "-Infinity", "1e16"])
def test_anomalies_refuses_infinite_and_overflowing_values_without_warnings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    src = _series_csv(tmp_path / "big.csv", values={20: value})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (overflow) fails the test
        rc, out, err = _run(["anomalies", str(src)], capsys)
    assert rc == 2 and out == ""
    assert _one_line(err) == (f"error: {src}: column 'value' row 22: must be a finite number between -1e+15 and "
                              f"1e+15 (got '{value}')")


def test_anomalies_accepts_large_finite_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _series_csv(tmp_path / "big.csv", values={20: "1e15"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rc, out, _ = _run(["anomalies", str(src)], capsys)
    res = pd.read_csv(io.StringIO(out))
    assert rc == 0 and bool(res["is_anomaly"].iloc[20]) and np.isfinite(res["score"]).any()


# ---------------------------------------------------------------------------------------------- 5: a renamed column


def test_attribute_refuses_a_renamed_total_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "p.csv", "path;total_conversions;total_conversion_value;nulls\na > b;1;1.0;2\nb;2;2.0;4\n")
    rc, out, err = _run(["attribute", str(src)], capsys)
    assert rc == 2 and out == ""
    assert _one_line(err) == (f"error: {src}: missing required column 'total_null' (required: path, total_conversions, "
                              "total_conversion_value, total_null; the file also has: nulls)")
    src = _write(tmp_path / "q.csv", "path,total_conversions,total_conversion_value,total_nul\na > b,1,1.0,2\n")
    rc, _, err = _run(["attribute", str(src)], capsys)
    assert rc == 2 and "missing required column 'total_null' — found 'total_nul', did you mean it?" in _one_line(err)
    src = _write(tmp_path / "r.csv", "path;total_conversions;total_null\na > b;1;2\n")
    rc, _, err = _run(["attribute", str(src)], capsys)
    assert rc == 2 and "missing required column 'total_conversion_value'" in _one_line(err)


# ---------------------------------------------------------------------------------------------- 6: -o onto the input


@pytest.mark.parametrize("cmd,content,extra", [
    ("sentiment", "id,text\n1,hi @jane_doe\n", ["--mask-handles"]),
    ("anomalies", None, []),
    ("attribute", PATHS_HEADER + "a > b;1;1.0;2\nb;2;2.0;4\n", []),
])
def test_output_onto_the_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], cmd: str,
                                          content: str | None, extra: list[str]) -> None:
    src = _series_csv(tmp_path / "in.csv") if content is None else _write(tmp_path / "in.csv", content)
    before = src.read_bytes()
    link = tmp_path / "link.csv"
    os.symlink(src, link)
    for target in (str(src), str(tmp_path / "." / "in.csv"), str(link)):
        rc, _, err = _run([cmd, str(src), *extra, "-o", target], capsys)
        assert rc == 2
        assert _one_line(err) == (f"error: -o {Path(target)}: that is the input file {src}; write the output to "
                                  "another file (the input is never overwritten)")
        assert src.read_bytes() == before
    rc, _, _ = _run([cmd, str(src), *extra, "-o", str(tmp_path / "out.csv")], capsys)
    assert rc == 0 and src.read_bytes() == before


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """`kpi anomalies series.csv | head`: the reader closing the pipe is not the tool's failure; it
    printed "error: broken pipe" with exit code 2."""
    import subprocess
    import sys

    src = _series_csv(tmp_path / "s.csv", n=4000)
    proc = subprocess.Popen([sys.executable, "-m", "kpi_toolkit.cli", "anomalies", str(src)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"timestamp,")
    proc.stdout.close()  # as `head -1` does, with well over a pipe's buffer still to come
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


@pytest.mark.parametrize("cmd", [["validate", "--all"], ["kpis", "--client", "acme", "--month", "2026-10"],
                                 ["run", "--client", "acme", "--month", "2026-10", "--no-progress"]])
def test_an_s3_data_dir_without_credentials_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, cmd: list[str]) -> None:
    """README, Scale: credentials come from the environment. Without them botocore's traceback was
    printed (and `kpi run` met it only after the report had failed in its kernel, exit 1)."""
    pytest.importorskip("s3fs")
    import s3fs

    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup either
    s3fs.S3FileSystem.clear_instance_cache()
    (tmp_path / "parameters").mkdir()
    _write(tmp_path / "parameters" / "acme.yaml", "client: acme\ntimezone: UTC\ncurrency: EUR\n")
    monkeypatch.chdir(tmp_path)
    rc, out, err = _run([*cmd, "--data-dir", "s3://kpi-no-such-bucket/data"], capsys)
    s3fs.S3FileSystem.clear_instance_cache()
    assert rc == 2, err
    line = _one_line(err)
    assert line.startswith("error: --data-dir s3://kpi-no-such-bucket/data: cannot be read from here"), line
    assert "AWS_ACCESS_KEY_ID" in line and "Traceback" not in err
    assert not (tmp_path / "outputs").exists()
