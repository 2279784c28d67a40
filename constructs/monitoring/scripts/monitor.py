"""mlcdk's drift and model-quality job (the processing step of the monitoring pipeline).

    python3 monitor.py --mode data-quality|model-quality --endpoint NAME
        --capture s3://bucket/prefix/ --window-hours N --namespace NS --report-dir DIR
        [--now 2026-12-02T06:30:00Z] [--region R]
      data quality:  --baseline-uri s3://.../statistics.json | --baseline-package <model package ARN>
      model quality: --ground-truth s3://bucket/prefix/ --problem binary|multiclass|regression
                     [--probability-threshold 0.5]

Why it exists: SageMaker Model Monitor is closed to new customers, so mlcdk
runs its own job in a stock SageMaker image. Standard library only (boto3,
which every SageMaker image has, is imported where AWS is called), so the
unit tests run on any python3 >= 3.9.

Formats (AWS documentation):
- Data capture, SageMaker developer guide "Capture data from real-time endpoint"
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html
  (and "Data capture", .../dg/model-monitor-data-capture.html): objects
  `<capture>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`, one JSON event
  a line: captureData.endpointInput / endpointOutput with observedContentType,
  mode, data, encoding (CSV, JSON or BASE64; BASE64 when the content type is
  not among the configured CSV/JSON types, API_DataCaptureConfig
  CaptureContentTypeHeader), and eventMetadata.eventId / inferenceId / inferenceTime.
- Ground truth, "Ingest Ground Truth labels and merge them with predictions"
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html:
  lines `{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata":
  {"eventId": "..."}, "eventVersion": "0"}` under `<prefix>/yyyy/mm/dd/hh/`;
  the id is the capture's inferenceId when the caller set one, else its eventId.

Payloads accepted:
- input, CSV: one record per non-empty line, values positional (column i is
  baseline feature i).
- input, JSON: a list of values (one record), a list of lists (records),
  {"instances": [...]} whose items are lists or {"features": [...]}, or
  {"features": [...]} (one record). null is a missing value.
- output (one prediction per event, the first): CSV: the first value of the
  first line; JSON: a number, a list (its first item), {"predictions": [...]}
  (first item; an item may be a number, a list or {"score": x}), {"score": x}.
  Multiclass: a list/row of more than one number is a probability vector and
  the prediction is its argmax; a single value is the class label.
- BASE64 payloads are decoded, then parsed by observedContentType (json/csv).

Statistics per baseline feature: numeric -> psi (over the baseline bins, first
and last open-ended, shares floored at 1e-4), ks (sup |F_window - F_baseline|,
F_baseline piecewise linear through the 101 baseline percentiles),
missing_rate_delta; categorical -> distance (total variation), psi over the
categories, missing_rate_delta. Unseen categories count as "__other__". In a
numeric feature, a value that is not a finite number counts as missing (a
type change shows as a missing-rate rise). A record whose width differs from
the baseline's feature count is malformed: counted, skipped.

CloudWatch (namespace NS, Timestamp = the window's end): per feature and
statistic a metric named psi / ks / distance / missing_rate_delta with
dimensions Endpoint, Feature; per run records, malformed_records, no_data and
(model quality) matched_records, auc, accuracy, f1, rmse, mae with dimension
Endpoint. An empty window is not a failure: no_data 1, status "no_data", exit 0.

Exit status: 0 ok or no data; 1 the job cannot go on (baseline missing or
unreadable, an AWS call failed); 2 bad arguments. Always one line on stderr.
"""
import argparse
import base64
import binascii
import bisect
import csv
import io
import json
import math
import os
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

FLOOR = 1e-4
OTHER = "__other__"
MAX_DATUMS = 1000  # PutMetricData accepts at most 1000 MetricDatum per call


class Fatal(Exception):
    """The job cannot go on: one line on stderr, exit `code`."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


class Malformed(Exception):
    """A capture or ground-truth line (or record) that cannot be used."""


# ---------------------------------------------------------------- window


def parse_time(text):
    """An ISO-8601 UTC time such as 2026-12-02T06:30:00Z."""
    t = text.strip()
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    value = datetime.fromisoformat(t)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def window(now, hours):
    """(start, end, hour starts): the `hours` whole hours before the hour of
    `now`. A run at 06:30 with 1 hour looks at 05:00-06:00: the hour in
    progress is still being captured."""
    if hours < 1:
        raise ValueError("the window needs at least one hour")
    end = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=hours)
    return start, end, [start + timedelta(hours=i) for i in range(hours)]


def hour_path(hour):
    """yyyy/mm/dd/hh/, the partition data capture and ground truth use."""
    return hour.strftime("%Y/%m/%d/%H/")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- parsing


def decode_payload(payload):
    """(text, kind) of a captureData / groundTruthData payload, kind 'json' or
    'csv'. Raises Malformed."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise Malformed("payload without data")
    data = payload["data"]
    if not isinstance(data, str):
        raise Malformed("payload data is not a string")
    encoding = str(payload.get("encoding", "CSV")).upper()
    content_type = str(payload.get("observedContentType", "")).lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as e:
            raise Malformed(f"bad base64 payload: {e}")
        kind = "json" if "json" in content_type else "csv"
    elif encoding == "JSON":
        kind = "json"
    elif encoding == "CSV":
        kind = "csv"
    else:
        raise Malformed(f"unknown encoding {encoding!r}")
    return data, kind


def scalar_text(v):
    """A JSON value as the string a CSV field would hold; None is missing."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float, str)):
        return str(v)
    raise Malformed("a nested value in a record")


def csv_rows(text):
    try:
        return [[v.strip() for v in row] for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as e:
        raise Malformed(f"bad CSV: {e}")


def json_records(doc):
    """Records of a JSON input (see the module docstring for the forms)."""
    if isinstance(doc, dict):
        if "instances" in doc and isinstance(doc["instances"], list):
            rows = []
            for item in doc["instances"]:
                if isinstance(item, dict) and isinstance(item.get("features"), list):
                    item = item["features"]
                if not isinstance(item, list):
                    raise Malformed("an instance that is not a list or {features: [...]}")
                rows.append([scalar_text(v) for v in item])
            return rows
        if isinstance(doc.get("features"), list):
            return [[scalar_text(v) for v in doc["features"]]]
        raise Malformed("a JSON input without instances or features")
    if isinstance(doc, list):
        if doc and all(isinstance(r, list) for r in doc):
            return [[scalar_text(v) for v in r] for r in doc]
        return [[scalar_text(v) for v in doc]]
    raise Malformed("a JSON input that is not a list or object")


def parse_input(payload):
    """The records (lists of strings) of an endpointInput payload."""
    text, kind = decode_payload(payload)
    if kind == "json":
        try:
            return json_records(json.loads(text))
        except ValueError as e:
            raise Malformed(f"bad JSON input: {e}")
    return csv_rows(text)


def number(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise Malformed(f"prediction {v!r} is not a number")
    if not math.isfinite(x):
        raise Malformed(f"prediction {v!r} is not finite")
    return x


def prediction_values(doc):
    """The first prediction of a JSON output as a list of numbers (more than
    one only for a probability vector)."""
    if isinstance(doc, dict):
        if "predictions" in doc and isinstance(doc["predictions"], list) and doc["predictions"]:
            return prediction_values(doc["predictions"][0])
        if "score" in doc:
            return prediction_values(doc["score"])
        raise Malformed("a JSON output without predictions or score")
    if isinstance(doc, list):
        if not doc:
            raise Malformed("an empty prediction list")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in doc):
            return [number(v) for v in doc]
        return prediction_values(doc[0])
    if isinstance(doc, bool):
        raise Malformed("a boolean prediction")
    return [number(doc)]


def parse_output(payload):
    text, kind = decode_payload(payload)
    if kind == "json":
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise Malformed(f"bad JSON output: {e}")
        return prediction_values(doc)
    rows = csv_rows(text)
    if not rows or not rows[0] or rows[0][0] == "":
        raise Malformed("an empty CSV output")
    return [number(v) for v in rows[0]]


def parse_capture_line(line, want_input=True, want_output=False):
    """One data-capture line -> {"id", "inputs", "prediction"}. The id is the
    inferenceId when the caller set one, else the eventId (AWS's merge rule).
    Raises Malformed for anything unusable."""
    try:
        event = json.loads(line)
    except ValueError as e:
        raise Malformed(f"bad JSON: {e}")
    if not isinstance(event, dict) or not isinstance(event.get("captureData"), dict):
        raise Malformed("no captureData")
    capture = event["captureData"]
    meta = event.get("eventMetadata") if isinstance(event.get("eventMetadata"), dict) else {}
    out = {"id": meta.get("inferenceId") or meta.get("eventId"), "inputs": None, "prediction": None}
    if want_input:
        if "endpointInput" not in capture:
            raise Malformed("no endpointInput (is input capture on?)")
        out["inputs"] = parse_input(capture["endpointInput"])
    if want_output:
        if "endpointOutput" not in capture:
            raise Malformed("no endpointOutput (is output capture on?)")
        out["prediction"] = parse_output(capture["endpointOutput"])
    return out


def parse_ground_truth_line(line):
    """(eventId, label text) of a ground-truth line; the label is the first value."""
    try:
        event = json.loads(line)
    except ValueError as e:
        raise Malformed(f"bad JSON: {e}")
    if not isinstance(event, dict):
        raise Malformed("not an object")
    meta = event.get("eventMetadata")
    if not isinstance(meta, dict) or not meta.get("eventId"):
        raise Malformed("no eventMetadata.eventId")
    text, kind = decode_payload(event.get("groundTruthData"))
    if kind == "json":
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise Malformed(f"bad JSON label: {e}")
        while isinstance(doc, list) and doc:
            doc = doc[0]
        if isinstance(doc, (list, dict)) or doc is None:
            raise Malformed("a label that is not a value")
        label = scalar_text(doc)
    else:
        rows = csv_rows(text)
        if not rows or rows[0][0] == "":
            raise Malformed("an empty label")
        label = rows[0][0]
    return str(meta["eventId"]), label


# ---------------------------------------------------------------- statistics


def is_missing(value):
    v = value.strip()
    return v == "" or v.lower() == "nan"


def finite(value):
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def bin_index(edges, x):
    """The bin of x, first and last bins open-ended (same as baseline.py)."""
    bins = max(len(edges) - 1, 1)
    i = bisect.bisect_right(edges, x) - 1
    return min(max(i, 0), bins - 1)


def bin_fractions(edges, values):
    counts = [0] * max(len(edges) - 1, 1)
    for x in values:
        counts[bin_index(edges, x)] += 1
    return [c / len(values) for c in counts]


def psi(expected, actual, floor=FLOOR):
    """Population stability index sum((a - e) * ln(a / e)) over matching
    shares; shares are floored so an empty bin does not make it infinite."""
    total = 0.0
    for e, a in zip(expected, actual):
        e, a = max(e, floor), max(a, floor)
        total += (a - e) * math.log(a / e)
    return total


def baseline_cdf(quantiles, x, left=False):
    """F(x) (or F(x-) with left=True) of the distribution whose i-th
    percentile is quantiles[i], linear between percentiles."""
    n = len(quantiles) - 1
    if left:
        i = bisect.bisect_left(quantiles, x) - 1  # last index with q < x
    else:
        i = bisect.bisect_right(quantiles, x) - 1  # last index with q <= x
    if i < 0:
        return 0.0
    if i >= n:
        return 1.0
    lo, hi = quantiles[i], quantiles[i + 1]
    return (i + (x - lo) / (hi - lo)) / n if hi > lo else (i + 1) / n


def ks(quantiles, values):
    """Kolmogorov-Smirnov statistic sup |F_window - F_baseline|. F_window is a
    step function and F_baseline monotone, so the sup is reached at a window
    value or a baseline percentile, from the left or the right."""
    xs = sorted(values)
    n = len(xs)
    best = 0.0
    for c in set(xs) | set(quantiles):
        fw_right = bisect.bisect_right(xs, c) / n
        fw_left = bisect.bisect_left(xs, c) / n
        best = max(
            best,
            abs(fw_right - baseline_cdf(quantiles, c)),
            abs(fw_left - baseline_cdf(quantiles, c, left=True)),
        )
    return best


def tvd(p, q):
    """Total variation distance between two category distributions."""
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)


def category_shares(values, known):
    """Shares of the window's categories, those the baseline does not know as __other__."""
    counts = Counter(v if v in known else OTHER for v in values)
    return {k: c / len(values) for k, c in counts.items()}


def feature_drift(feature, column):
    """The statistics of one baseline feature against the window's values."""
    records = len(column)
    base_missing = feature["missing"] / feature["count"] if feature.get("count") else 0.0
    out = {}
    if feature["type"] == "numeric":
        present = [x for x in (finite(v) for v in column if not is_missing(v)) if x is not None]
        if present and feature.get("bin_edges"):
            out["psi"] = psi(feature["bin_fractions"], bin_fractions(feature["bin_edges"], present))
            out["ks"] = ks(feature["quantiles"], present)
    else:
        present = [v.strip() for v in column if not is_missing(v)]
        if present:
            base = feature.get("frequencies") or {}
            shares = category_shares(present, set(base) - {OTHER})
            out["distance"] = tvd(base, shares)
            keys = sorted(set(base) | set(shares))
            out["psi"] = psi([base.get(k, 0.0) for k in keys], [shares.get(k, 0.0) for k in keys])
    out["missing_rate_delta"] = (records - len(present)) / records - base_missing
    return out


def data_quality(baseline, records):
    """{feature: {stat: value}} for the window's well-formed records."""
    features = baseline["features"]
    return {
        f["name"]: feature_drift(f, [r[i] for r in records]) for i, f in enumerate(features)
    }


def auc(labels, scores):
    """Area under the ROC curve from average ranks (ties count half); None
    with a single class, where it is undefined."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    pairs = sorted(zip(scores, labels))
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        rank = (i + j) / 2.0 + 1.0
        rank_sum += rank * sum(1 for k in range(i, j + 1) if pairs[k][1] == 1)
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def f1_of(truth, predicted, positive):
    tp = sum(1 for t, p in zip(truth, predicted) if t == positive and p == positive)
    fp = sum(1 for t, p in zip(truth, predicted) if t != positive and p == positive)
    fn = sum(1 for t, p in zip(truth, predicted) if t == positive and p != positive)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def class_label(text):
    """A class as a canonical string, so "1", "1.0" and 1 are the same class."""
    x = finite(text)
    if x is not None and x == int(x):
        return str(int(x))
    return text.strip()


def binary_metrics(labels, scores, threshold):
    y = [1 if finite(l) == 1.0 else 0 for l in labels]
    predicted = [1 if s >= threshold else 0 for s in scores]
    out = {
        "accuracy": sum(1 for a, b in zip(y, predicted) if a == b) / len(y),
        "f1": f1_of(y, predicted, 1),
    }
    a = auc(y, scores)
    if a is not None:
        out["auc"] = a
    return out


def multiclass_metrics(labels, predicted):
    truth = [class_label(l) for l in labels]
    classes = sorted(set(truth) | set(predicted))
    return {
        "accuracy": sum(1 for a, b in zip(truth, predicted) if a == b) / len(truth),
        "f1": sum(f1_of(truth, predicted, c) for c in classes) / len(classes),
    }


def regression_metrics(labels, predictions):
    errors = [p - number(l) for l, p in zip(labels, predictions)]
    return {
        "rmse": math.sqrt(math.fsum(e * e for e in errors) / len(errors)),
        "mae": math.fsum(abs(e) for e in errors) / len(errors),
    }


def model_quality(problem, pairs, threshold=0.5):
    """Metrics of matched (label text, prediction values) pairs. Labels that
    are not usable for the problem are dropped and counted."""
    quality = {"matched_records": len(pairs)}
    if not pairs:
        return quality
    if problem == "binary":
        kept = [(l, p[0]) for l, p in pairs if finite(l) is not None]
        if kept:
            quality.update(binary_metrics([l for l, _ in kept], [s for _, s in kept], threshold))
    elif problem == "multiclass":
        predicted = [
            str(max(range(len(p)), key=lambda i: p[i])) if len(p) > 1 else class_label(repr(p[0]))
            for _, p in pairs
        ]
        quality.update(multiclass_metrics([l for l, _ in pairs], predicted))
    else:
        kept = [(l, p[0]) for l, p in pairs if finite(l) is not None]
        if kept:
            quality.update(regression_metrics([l for l, _ in kept], [s for _, s in kept]))
    return quality


# ---------------------------------------------------------------- the run


def split_s3(uri):
    """(bucket, key or prefix) of an s3:// URI."""
    if not uri.startswith("s3://"):
        raise Fatal(f"{uri!r} is not an s3:// URI", code=2)
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise Fatal(f"{uri!r} names no bucket", code=2)
    return bucket, key


def as_prefix(key):
    return key if key == "" or key.endswith("/") else key + "/"


def lines_of(body):
    # Undecodable bytes become U+FFFD and then fail JSON parsing as one
    # malformed line, instead of failing the whole object.
    return [l for l in body.decode("utf-8", errors="replace").splitlines() if l.strip()]


def read_capture(s3, capture_uri, endpoint, hours, want_input, want_output):
    """(events, malformed lines) of every capture object of the window's hours,
    for every variant of the endpoint."""
    bucket, prefix = split_s3(capture_uri)
    root = as_prefix(prefix) + endpoint + "/"
    events, malformed = [], 0
    for variant in sorted(s3.list_prefixes(bucket, root)):
        for hour in hours:
            for key in sorted(s3.list_keys(bucket, as_prefix(variant) + hour_path(hour))):
                for line in lines_of(s3.get(bucket, key)):
                    try:
                        events.append(parse_capture_line(line, want_input, want_output))
                    except Malformed:
                        malformed += 1
    return events, malformed


def read_ground_truth(s3, uri, hours):
    """({eventId: label}, malformed lines) of the window's ground truth."""
    bucket, prefix = split_s3(uri)
    labels, malformed = {}, 0
    for hour in hours:
        for key in sorted(s3.list_keys(bucket, as_prefix(prefix) + hour_path(hour))):
            for line in lines_of(s3.get(bucket, key)):
                try:
                    event_id, label = parse_ground_truth_line(line)
                except Malformed:
                    malformed += 1
                    continue
                labels[event_id] = label
    return labels, malformed


def load_baseline(s3, sagemaker, uri=None, package=None):
    """The baseline statistics, from an S3 URI or a model package's
    ModelMetrics.ModelDataQuality.Statistics."""
    if package:
        try:
            described = sagemaker.describe_model_package(package)
            uri = described["ModelMetrics"]["ModelDataQuality"]["Statistics"]["S3Uri"]
        except (KeyError, TypeError):
            raise Fatal(f"model package {package} has no ModelMetrics.ModelDataQuality.Statistics.S3Uri")
    bucket, key = split_s3(uri)
    try:
        doc = json.loads(s3.get(bucket, key).decode("utf-8"))
    except Fatal:
        raise
    except Exception as e:  # missing object, access denied, not JSON: all fatal
        raise Fatal(f"cannot read the baseline {uri}: {e}")
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("features"), list) or not doc["features"]:
        raise Fatal(f"the baseline {uri} is not a version 1 statistics.json with features")
    for f in doc["features"]:
        if not isinstance(f, dict) or "name" not in f or f.get("type") not in ("numeric", "categorical"):
            raise Fatal(f"the baseline {uri} has a feature without name or type")
    return doc


def metric_data(endpoint, end, records, malformed, features, quality):
    """The CloudWatch datums of a run."""
    base = [{"Name": "Endpoint", "Value": endpoint}]
    datums = []

    def add(name, value, dims):
        if value is not None and math.isfinite(value):
            datums.append({"MetricName": name, "Dimensions": dims, "Timestamp": end, "Value": float(value), "Unit": "None"})

    add("records", records, base)
    add("malformed_records", malformed, base)
    add("no_data", 1 if records == 0 else 0, base)
    for name in sorted(features):
        for stat, value in sorted(features[name].items()):
            add(stat, value, base + [{"Name": "Feature", "Value": name}])
    for name, value in sorted((quality or {}).items()):
        add(name, value, base)
    return datums


def publish(cloudwatch, namespace, datums):
    for i in range(0, len(datums), MAX_DATUMS):
        cloudwatch.put_metric_data(namespace, datums[i : i + MAX_DATUMS])


def run(args, s3, cloudwatch, sagemaker):
    """The job: read, compute, write the report, publish. Returns the report."""
    now = parse_time(args.now) if args.now else datetime.now(timezone.utc)
    start, end, hours = window(now, args.window_hours)
    report = {
        "status": "ok",
        "mode": args.mode,
        "endpoint": args.endpoint,
        "window": {"start": iso(start), "end": iso(end)},
        "records": 0,
        "malformed_records": 0,
        "features": {},
        "quality": {},
    }
    if args.mode == "data-quality":
        baseline = load_baseline(s3, sagemaker, args.baseline_uri, args.baseline_package)
        width = len(baseline["features"])
        events, malformed = read_capture(s3, args.capture, args.endpoint, hours, True, False)
        records = []
        for e in events:
            for row in e["inputs"]:
                if len(row) == width:
                    records.append(row)
                else:
                    malformed += 1
        report["records"], report["malformed_records"] = len(records), malformed
        if records:
            report["features"] = data_quality(baseline, records)
    else:
        events, malformed = read_capture(s3, args.capture, args.endpoint, hours, False, True)
        report["records"], report["malformed_records"] = len(events), malformed
        if events:
            labels, gt_malformed = read_ground_truth(s3, args.ground_truth, hours)
            pairs = [(labels[e["id"]], e["prediction"]) for e in events if e["id"] in labels]
            report["quality"] = model_quality(args.problem, pairs, args.probability_threshold)
            report["malformed_ground_truth"] = gt_malformed
    if report["records"] == 0:
        report["status"] = "no_data"
    os.makedirs(args.report_dir, exist_ok=True)
    with open(os.path.join(args.report_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    datums = metric_data(args.endpoint, end, report["records"], report["malformed_records"], report["features"], report["quality"])
    publish(cloudwatch, args.namespace, datums)
    return report


# ---------------------------------------------------------------- AWS layer


class Aws:
    """The only code that calls AWS. Clients come from --region or the
    environment; boto3 (>= 1.28) itself honours AWS_ENDPOINT_URL, which is how
    the tests point it at moto."""

    def __init__(self, region=None):
        import boto3  # only here: the computations and their tests need no packages

        session = boto3.session.Session(region_name=region)
        self._s3 = session.client("s3")
        self._cw = session.client("cloudwatch")
        self._sm = session.client("sagemaker")

    # S3
    def list_prefixes(self, bucket, prefix):
        out = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            out += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        return out

    def list_keys(self, bucket, prefix):
        out = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return out

    def get(self, bucket, key):
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    # CloudWatch
    def put_metric_data(self, namespace, datums):
        self._cw.put_metric_data(Namespace=namespace, MetricData=datums)

    # SageMaker
    def describe_model_package(self, arn):
        return self._sm.describe_model_package(ModelPackageName=arn)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="mlcdk drift / model-quality job")
    p.add_argument("--mode", required=True, choices=["data-quality", "model-quality"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--capture", required=True, help="s3://bucket/prefix/ of the endpoint's data capture")
    p.add_argument("--window-hours", required=True, type=int)
    p.add_argument("--namespace", required=True)
    p.add_argument("--report-dir", required=True)
    p.add_argument("--now", help="the run's time, ISO-8601 UTC (default: now)")
    p.add_argument("--region")
    p.add_argument("--baseline-uri")
    p.add_argument("--baseline-package")
    p.add_argument("--ground-truth")
    p.add_argument("--problem", choices=["binary", "multiclass", "regression"])
    p.add_argument("--probability-threshold", type=float, default=0.5)
    args = p.parse_args(argv)
    if args.window_hours < 1:
        p.error("--window-hours must be at least 1")
    if args.now:
        try:
            parse_time(args.now)
        except ValueError:
            p.error(f"--now {args.now!r} is not an ISO-8601 time")
    if args.mode == "data-quality":
        if bool(args.baseline_uri) == bool(args.baseline_package):
            p.error("data-quality needs exactly one of --baseline-uri and --baseline-package")
        if args.baseline_uri and not args.baseline_uri.startswith("s3://"):
            p.error("--baseline-uri must be an s3:// URI")
    else:
        if not args.ground_truth or not args.problem:
            p.error("model-quality needs --ground-truth and --problem")
        if not args.ground_truth.startswith("s3://"):
            p.error("--ground-truth must be an s3:// URI")
    if not args.capture.startswith("s3://"):
        p.error("--capture must be an s3:// URI")
    return args


def main(argv=None, aws=None):
    args = parse_args(argv)
    try:
        aws = aws or Aws(args.region)
        report = run(args, aws, aws, aws)
    except Fatal as e:
        print(f"monitor: {e}", file=sys.stderr)
        return e.code
    except ImportError as e:
        print(f"monitor: boto3 is needed to reach AWS: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # an AWS call failed (credentials, permissions, throttling)
        if os.environ.get("MONITOR_DEBUG"):
            raise
        print(f"monitor: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(
        f"monitor: {report['status']}, {report['records']} records, "
        f"{report['malformed_records']} malformed, window {report['window']['start']}..{report['window']['end']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
