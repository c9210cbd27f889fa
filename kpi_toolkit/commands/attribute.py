"""``kpi attribute PATHS.csv``: multi-touch attribution of an aggregated path file.

The file is in ChannelAttribution's format: one row per path with ``path`` (channels joined by
``" > "``), ``total_conversions``, ``total_conversion_value`` and ``total_null``; ``;``, ``,`` or tab
separated (detected from the header unless ``--sep`` is given). The output has one row per channel
and model: ``channel, model, conversions, value`` and, with ``--bootstrap B``, ``lower, upper`` (the
interval of the attributed conversions) and ``value_lower, value_upper``.

Examples::

    kpi attribute Data.csv --model markov --order 2 -o markov.csv
    kpi attribute Data.csv --model all --bootstrap 200
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

import pandas as pd

from ..exceptions import DataValidationError, ImportFormatError, ParameterError

HELP = "Multi-touch attribution of a paths file."
MODEL_CHOICES = ("markov", "shapley", "first", "last", "last_non_direct", "linear", "time_decay", "position", "all")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", metavar="PATHS.csv", help="aggregated paths: path;total_conversions;"
                   "total_conversion_value;total_null (CSV or .parquet)")
    p.add_argument("--model", choices=MODEL_CHOICES, default="all", help="attribution model (default: all)")
    p.add_argument("--order", type=int, default=1, metavar="K",
                   help="order of the Markov chain, 1-4 (default 1, as ChannelAttribution; the report's default "
                        "is attribution.markov_order = 3)")
    p.add_argument("--sep", default=None, help="column separator of the file (default: detected: ';', ',' or tab)")
    p.add_argument("--path-sep", default=" > ", help="what joins channels inside a path (default ' > ')")
    p.add_argument("-o", "--output", metavar="OUT.csv", default=None, help="write here (default: standard output)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="B",
                   help="bootstrap replicates for lower/upper intervals (default 0: none)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--seed", type=int, default=42, help="seed of the bootstrap and of sampled Shapley orders")
    p.add_argument("--collapse-repeats", action="store_true",
                   help="merge consecutive touches of one channel (a > a > b becomes a > b)")
    p.add_argument("--half-life", type=float, default=7.0, metavar="DAYS",
                   help="time-decay half-life; path files have no times, so a touch n steps before the last "
                        "counts as n days old (default 7)")
    p.add_argument("--position-weights", default="0.4,0.2,0.4", metavar="F,M,L",
                   help="first, middle, last shares of the position-based model (default 0.4,0.2,0.4)")
    p.add_argument("--direct", default="direct", metavar="CH[,CH]",
                   help="channels that last non-direct passes over (default 'direct')")
    p.add_argument("--shapley-value", choices=("conversions", "conversion_rate"), default="conversion_rate",
                   help="coalition value function of the Shapley model: the conversion rate of the journeys "
                        "within the coalition (default) or their conversions (Zhao et al. 2018)")


def detect_separator(path: Path) -> str:
    """``;``, tab or ``,``: whichever splits the header line into the most fields."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path}: not UTF-8 text (save the export as UTF-8 CSV)") from None
    if not header.strip():
        raise ImportFormatError(f"{path}: empty file (expected a header: path;total_conversions;"
                                "total_conversion_value;total_null)")
    counts = {s: header.count(s) for s in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_paths_file(path: str | Path, *, sep: str | None = None, path_sep: str = " > ",
                    collapse_repeats: bool = False):  # noqa: ANN201 - PathTable, imported lazily
    """Read and validate an aggregated path file into a :class:`~kpi_toolkit.attribution.PathTable`.

    The file must have all four columns of :data:`~kpi_toolkit.attribution.paths.PATH_COLUMNS`: a
    renamed ``total_null`` would otherwise count as no non-converting journeys and change every model's
    result without a word. Every row must have as many cells as the header.

    Raises
    ------
    KpiToolkitError
        One line naming the file (and column and rows for bad values).
    """
    from ..attribution import paths_from_frame
    from ..attribution.paths import PATH_COLUMNS
    from ..data import _near
    from ._files import check_cells, read_text

    p = Path(path)
    if not p.is_file():
        raise DataValidationError(str(p), "file not found")
    if p.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(p)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types
            raise ImportFormatError(f"{p}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
    else:
        sep = sep or detect_separator(p)
        frame = None
        if len(sep) == 1:
            try:  # pyarrow's multithreaded reader: ~2x faster on a 1 M-row file; it refuses ragged rows
                frame = pd.read_csv(p, sep=sep, engine="pyarrow", encoding="utf-8-sig")
            except Exception:  # noqa: BLE001 - any trouble: the checks and the C reader below give the clear message
                frame = None
        if frame is None:
            text = read_text(p, expect=sep.join(PATH_COLUMNS))
            if len(sep) == 1:  # pandas fills a short row with blanks and may shift a long one
                check_cells(text, sep, str(p))
            try:
                frame = pd.read_csv(io.StringIO(text), sep=sep, dtype={"path": "string"},
                                    quoting=csv.QUOTE_MINIMAL, engine="c", low_memory=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
                raise ImportFormatError(f"{p}: not a readable CSV with separator {sep!r} "
                                        f"({str(e).splitlines()[0]})") from None
        frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in PATH_COLUMNS if c not in frame.columns]
    if missing:
        extra = [str(c) for c in frame.columns if c not in PATH_COLUMNS]
        also = f"; the file also has: {', '.join(extra[:6])}" if extra else ""
        raise DataValidationError(str(p), f"missing required column '{missing[0]}'{_near(missing[0], extra)} "
                                  f"(required: {', '.join(PATH_COLUMNS)}{also})")
    return paths_from_frame(frame, source=str(p), sep=path_sep, collapse_repeats=collapse_repeats)


def run(args: argparse.Namespace) -> int:
    from ..attribution import run_attribution
    from ..params import AttributionOptions
    from ._files import refuse_output_onto_input

    try:
        weights = tuple(float(x) for x in str(args.position_weights).split(","))
    except ValueError:
        raise ParameterError(f"--position-weights must be three numbers like 0.4,0.2,0.4 "
                             f"(got {args.position_weights!r})") from None
    if len(weights) != 3:
        raise ParameterError(f"--position-weights must be three numbers like 0.4,0.2,0.4 (got {args.position_weights!r})")
    if not 1 <= args.order <= 4:
        raise ParameterError(f"--order must be 1, 2, 3 or 4 (got {args.order})")
    from pydantic import ValidationError

    try:
        opts = AttributionOptions(
            markov_order=args.order, half_life_days=args.half_life, position_weights=weights,
            direct_channels=[c.strip() for c in str(args.direct).split(",") if c.strip()],
            shapley_value=args.shapley_value, bootstrap_samples=args.bootstrap, confidence=args.confidence,
            collapse_repeats=args.collapse_repeats)
    except ValidationError as e:
        from ..params import plain_error_message

        first = e.errors()[0]
        options = {"markov_order": "--order", "half_life_days": "--half-life", "position_weights": "--position-weights",
                   "direct_channels": "--direct", "shapley_value": "--shapley-value",
                   "bootstrap_samples": "--bootstrap", "confidence": "--confidence"}
        field = str(first["loc"][0]) if first["loc"] else ""
        raise ParameterError(f"{options.get(field, field)}: {plain_error_message(first)}") from None
    refuse_output_onto_input(args.output, args.paths)
    t0 = time.perf_counter()
    paths = read_paths_file(args.paths, sep=args.sep, path_sep=args.path_sep,
                            collapse_repeats=args.collapse_repeats)
    result = run_attribution(paths, models=args.model, options=opts, seed=args.seed)
    elapsed = time.perf_counter() - t0
    table = result.table
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, float_format="%.6f")
        print(f"wrote {len(table)} rows ({len(paths.channels)} channels x {len(result.options['models'])} models, "
              f"{paths.total_conversions:,.0f} conversions, {paths.n_paths:,} distinct paths) to {out} "
              f"in {elapsed:.2f} s")
        for note in result.notes:
            print(f"note: {note}")
    else:
        table.to_csv(sys.stdout, index=False, float_format="%.6f")
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0
