"""mlcdk's baseline statistics for the drift job (a processing step of the training pipeline).

    python3 baseline.py --train DIR --features a,b,c --output DIR [--categorical a,b]

Reads the training split the model was trained on: every `*.csv` file, and
every file without an extension, under DIR (recursively, in sorted order). The
files have no header and the label in the first column, because that is what
SageMaker's built-in XGBoost requires; `--features` names the columns after
the label, in order, which is also the column order the endpoint receives.

Writes `<output>/statistics.json` (version 1), the contract `monitor.py` reads:

    {"version": 1, "records": N, "features": [
      {"name", "type": "numeric", "count", "missing",
       "bin_edges"      up to 11 values: the 0,10,...,100th percentiles, duplicates removed,
       "bin_fractions"  share of non-missing values per bin (len(bin_edges) - 1 entries),
       "quantiles"      101 values: the 0..100th percentiles,
       "mean", "std"    (population standard deviation)},
      {"name", "type": "categorical", "count", "missing",
       "frequencies"    share of non-missing values per category: the 50 most
                        frequent, the rest summed as "__other__"}]}

Bins are [e_i, e_i+1) except the last, which is closed; when comparing, the
first and last bins are open-ended (a value below the first edge counts in the
first bin, one above the last edge in the last), so a window never loses
values outside the training range. A constant column has edges [c, c]: one bin.
A numeric column with no value at all has empty edges, quantiles and null
mean/std (the monitor then reports only its missing rate).

Percentiles interpolate linearly between order statistics (numpy's default),
so the numbers match what pandas/numpy would give in the same container.

Types: a feature named in `--categorical` is categorical; otherwise it is
numeric when every non-missing value parses as a finite number, else
categorical. Missing means an empty field or `nan` (any case).

Standard library only, so it runs in any SageMaker image and its tests run on
any python3 >= 3.9. Exit status: 0 written, 2 bad arguments or bad input (one
line on stderr naming the file, line and column counts).
"""
import argparse
import bisect
import csv
import json
import math
import os
import sys
from collections import Counter

TOP_CATEGORIES = 50
OTHER = "__other__"
BIN_PERCENTILES = list(range(0, 101, 10))


class InputError(Exception):
    """Bad input the job cannot go on from: reported as one line, exit 2."""


def is_missing(value):
    """Empty fields and `nan` are missing (what pandas writes for NaN)."""
    v = value.strip()
    return v == "" or v.lower() == "nan"


def parse_number(value):
    """The value as a finite float, or None (inf is not a usable number)."""
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def percentile(sorted_values, p):
    """The p-th percentile (0..100) of sorted values, linear interpolation."""
    n = len(sorted_values)
    h = (n - 1) * p / 100.0
    lo = int(math.floor(h))
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def bin_index(edges, x):
    """The bin of x over edges, first and last bins open-ended. Must stay the
    same as monitor.py's bin_index: the baseline and the window are binned
    alike or PSI measures the binning, not the data."""
    bins = max(len(edges) - 1, 1)
    i = bisect.bisect_right(edges, x) - 1
    return min(max(i, 0), bins - 1)


def dedupe(values):
    out = []
    for v in values:
        if not out or v != out[-1]:
            out.append(v)
    return out


def numeric_stats(name, values, records):
    present = sorted(x for x in (parse_number(v) for v in values if not is_missing(v)))
    missing = records - len(present)
    stats = {"name": name, "type": "numeric", "count": records, "missing": missing}
    if not present:
        stats.update(bin_edges=[], bin_fractions=[], quantiles=[], mean=None, std=None)
        return stats
    edges = dedupe([percentile(present, p) for p in BIN_PERCENTILES])
    if len(edges) == 1:
        edges = [edges[0], edges[0]]  # constant column: one bin [c, c]
    counts = [0] * (len(edges) - 1)
    for x in present:
        counts[bin_index(edges, x)] += 1
    mean = math.fsum(present) / len(present)
    var = math.fsum((x - mean) ** 2 for x in present) / len(present)
    stats.update(
        bin_edges=edges,
        bin_fractions=[c / len(present) for c in counts],
        quantiles=[percentile(present, p) for p in range(101)],
        mean=mean,
        std=math.sqrt(var),
    )
    return stats


def categorical_frequencies(values):
    """Shares of the top categories, the rest as __other__ (ties broken by name
    so the file is the same on every run)."""
    counts = Counter(values)
    total = sum(counts.values())
    if total == 0:
        return {}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    freqs = {k: c / total for k, c in ranked[:TOP_CATEGORIES]}
    rest = sum(c for _, c in ranked[TOP_CATEGORIES:])
    if rest:
        freqs[OTHER] = freqs.get(OTHER, 0.0) + rest / total
    return freqs


def categorical_stats(name, values, records):
    present = [v.strip() for v in values if not is_missing(v)]
    return {
        "name": name,
        "type": "categorical",
        "count": records,
        "missing": records - len(present),
        "frequencies": categorical_frequencies(present),
    }


def compute_statistics(columns, features, categorical, records):
    """The statistics document from the feature columns (lists of strings)."""
    out = []
    for name, values in zip(features, columns):
        numeric = name not in categorical and all(
            parse_number(v) is not None for v in values if not is_missing(v)
        )
        if numeric:
            out.append(numeric_stats(name, values, records))
        else:
            out.append(categorical_stats(name, values, records))
    return {"version": 1, "records": records, "features": out}


def training_files(root):
    """`*.csv` and extension-less files under root, sorted, hidden ones skipped
    (a `.DS_Store` or `_SUCCESS.crc` is not training data)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in filenames:
            if f.startswith("."):
                continue
            _, ext = os.path.splitext(f)
            if ext.lower() == ".csv" or ext == "":
                found.append(os.path.join(dirpath, f))
    return sorted(found)


def read_columns(paths, features):
    """Feature columns of every row (the label dropped), checking each row's width."""
    width = 1 + len(features)
    columns = [[] for _ in features]
    records = 0
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for line, row in enumerate(csv.reader(f), start=1):
                if not row:
                    continue  # blank line (a trailing newline)
                if len(row) != width:
                    raise InputError(
                        f"{path}:{line}: {len(row)} columns, expected {width} "
                        f"(the label and {len(features)} features)"
                    )
                for i, v in enumerate(row[1:]):
                    columns[i].append(v)
                records += 1
    return columns, records


def split_names(text):
    return [n.strip() for n in text.split(",") if n.strip()] if text else []


def main(argv=None):
    parser = argparse.ArgumentParser(description="Baseline statistics for mlcdk's drift job")
    parser.add_argument("--train", required=True, help="directory of the training split (CSV, no header, label first)")
    parser.add_argument("--features", required=True, help="feature names after the label, comma-separated")
    parser.add_argument("--output", required=True, help="directory to write statistics.json to")
    parser.add_argument("--categorical", default="", help="features to treat as categorical")
    args = parser.parse_args(argv)
    features = split_names(args.features)
    categorical = set(split_names(args.categorical))
    try:
        if not features:
            raise InputError("--features names no feature")
        if len(set(features)) != len(features):
            raise InputError(f"--features names a feature twice: {args.features}")
        unknown = sorted(categorical - set(features))
        if unknown:
            raise InputError(f"--categorical names features not in --features: {', '.join(unknown)}")
        if not os.path.isdir(args.train):
            raise InputError(f"--train {args.train} is not a directory")
        paths = training_files(args.train)
        if not paths:
            raise InputError(f"no *.csv or extension-less file under {args.train}")
        columns, records = read_columns(paths, features)
        if records == 0:
            raise InputError(f"no rows in the training files under {args.train}")
        stats = compute_statistics(columns, features, categorical, records)
    except (InputError, UnicodeDecodeError, csv.Error) as e:
        print(f"baseline: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.output, exist_ok=True)
    target = os.path.join(args.output, "statistics.json")
    with open(target, "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1)
    print(f"baseline: {records} records, {len(features)} features -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
