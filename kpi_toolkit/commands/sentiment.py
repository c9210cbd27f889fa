"""``kpi sentiment FILE.csv --text-col text [--sep ,] [-o OUT.csv]``: score any text export.

The output has the input's columns plus ``sentiment_score`` (VADER compound, -1 … 1) and
``sentiment_label`` (negative / neutral / positive with the given cut-offs). Without ``-o`` the CSV is
written to standard output. Each distinct text is scored once.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

HELP = "Score the sentiment of a text export."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a CSV file with a column of English text")
    parser.add_argument("--text-col", default="text", help="the column holding the text (default: text)")
    parser.add_argument("--sep", default=",", help="field separator of FILE, also used for the output "
                                                   "(default: ','; use ';' for European exports, '\\t' for TSV)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="write the scored CSV here (default: standard output)")
    parser.add_argument("--negative", type=float, default=-0.05,
                        help="scores at or below this are negative (default -0.05, VADER's cut-off)")
    parser.add_argument("--positive", type=float, default=0.05,
                        help="scores at or above this are positive (default 0.05, VADER's cut-off)")
    parser.add_argument("--mask-handles", action="store_true",
                        help="replace @handles and e-mail addresses in the text column in the output")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing sentiment_score / sentiment_label columns")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..exceptions import DataValidationError, ParameterError
    from ..sentiment import label_sentiment, mask_handles, score_text
    from ._files import read_csv_cells, refuse_output_onto_input

    path: Path = args.file
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    if len(sep) != 1:
        raise ParameterError(f"--sep must be one character, got {args.sep!r}")
    if args.negative >= args.positive:
        raise ParameterError(f"--negative ({args.negative}) must be below --positive ({args.positive})")
    refuse_output_onto_input(args.output, path)
    df = read_csv_cells(path, sep, expect=f"the column names, one of them {args.text_col}")
    assert isinstance(df, pd.DataFrame)
    if args.text_col not in df.columns:
        cols = ", ".join(map(str, df.columns[:12]))
        hint = " (is --sep right?)" if len(df.columns) == 1 else ""
        raise DataValidationError(str(path), f"no such column; the file has: {cols}{hint}",
                                  column=args.text_col)
    clash = [c for c in ("sentiment_score", "sentiment_label") if c in df.columns]
    if clash and not args.overwrite:
        raise DataValidationError(str(path), "already exists; pass --overwrite to replace it",
                                  column=clash[0])
    scores = score_text(df[args.text_col])
    out = df.copy()
    if args.mask_handles:
        out[args.text_col] = mask_handles(out[args.text_col])
    out["sentiment_score"] = scores.round(4)
    out["sentiment_label"] = label_sentiment(scores, negative=args.negative, positive=args.positive)
    if args.output is None:
        out.to_csv(sys.stdout, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(args.output, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        n, blank = len(out), int(scores.isna().sum())
        counts = out["sentiment_label"].value_counts()
        print(f"scored {n - blank:,} of {n:,} rows with VADER (blank text left unscored): "
              f"{counts.get('positive', 0):,} positive, {counts.get('neutral', 0):,} neutral, "
              f"{counts.get('negative', 0):,} negative -> {args.output}", file=sys.stderr)
    return 0
