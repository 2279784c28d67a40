"""Tests of monitor.py, standard library only, against a fake S3/CloudWatch/SageMaker.

python3 -m unittest discover -s . -p 'test_*.py'
"""
import base64
import contextlib
import io
import json
import math
import os
import random
import sys
import tempfile
import unittest
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The baseline script runs in the training pipeline, so it lives with it; the
# monitor reads what it writes.
sys.path.insert(0, os.path.join(HERE, "..", "..", "training", "scripts"))
import baseline  # noqa: E402
import monitor  # noqa: E402

NOW = "2026-12-02T06:30:00Z"  # window: 05:00-06:00
HOUR = "2026/12/02/05/"


class FakeAws:
    """S3 objects in a dict, CloudWatch calls recorded, one model package."""

    def __init__(self):
        self.objects = {}
        self.metric_calls = []
        self.packages = {}

    def put(self, uri, body):
        bucket, key = monitor.split_s3(uri)
        self.objects[(bucket, key)] = body.encode("utf-8") if isinstance(body, str) else body

    def list_prefixes(self, bucket, prefix):
        out = set()
        for b, k in self.objects:
            if b == bucket and k.startswith(prefix) and "/" in k[len(prefix):]:
                out.add(prefix + k[len(prefix):].split("/", 1)[0] + "/")
        return sorted(out)

    def list_keys(self, bucket, prefix):
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def get(self, bucket, key):
        if (bucket, key) not in self.objects:
            raise KeyError(f"NoSuchKey: {key}")
        return self.objects[(bucket, key)]

    def put_metric_data(self, namespace, datums):
        self.metric_calls.append((namespace, list(datums)))

    def describe_model_package(self, arn):
        return self.packages[arn]

    # What the tests read back.
    def metrics(self):
        return [d for _, call in self.metric_calls for d in call]

    def metric(self, name, feature=None):
        found = [
            d["Value"]
            for d in self.metrics()
            if d["MetricName"] == name
            and {x["Name"]: x["Value"] for x in d["Dimensions"]}.get("Feature") == feature
        ]
        return found[0] if len(found) == 1 else found


def capture_line(data, encoding="CSV", content_type="text/csv", output="0.5", out_encoding="CSV",
                 out_type="text/csv; charset=utf-8", event_id="e", inference_id=None):
    meta = {"eventId": event_id, "inferenceTime": "2026-12-02T05:12:00Z"}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding},
            "endpointOutput": {"observedContentType": out_type, "mode": "OUTPUT", "data": output, "encoding": out_encoding},
        },
        "eventMetadata": meta,
        "eventVersion": "0",
    })


def gt_line(event_id, label):
    return json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"}, "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})


def run_main(argv, aws):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = monitor.main(argv, aws=aws)
        except SystemExit as e:  # argparse
            code = e.code
    return code, out.getvalue(), err.getvalue()


# A small baseline: x uniform on [0, 1] (quantiles i/100), two bins; plan a/b.
SMALL = {
    "version": 1,
    "records": 100,
    "features": [
        {"name": "x", "type": "numeric", "count": 100, "missing": 0,
         "bin_edges": [0.0, 0.5, 1.0], "bin_fractions": [0.5, 0.5],
         "quantiles": [i / 100 for i in range(101)], "mean": 0.5, "std": 0.29},
        {"name": "plan", "type": "categorical", "count": 100, "missing": 10,
         "frequencies": {"a": 0.5, "b": 0.5}},
    ],
}


class Statistics(unittest.TestCase):
    def test_psi_by_hand(self):
        # Expected shares 0.5/0.5, actual 0.25/0.75:
        # (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5) = 0.25 ln 2 + 0.25 ln 1.5 = 0.25 ln 3.
        self.assertAlmostEqual(monitor.psi([0.5, 0.5], [0.25, 0.75]), 0.25 * math.log(3), places=12)
        self.assertAlmostEqual(monitor.psi([0.5, 0.5], [0.25, 0.75]), 0.2746531, places=6)
        self.assertEqual(monitor.psi([0.3, 0.7], [0.3, 0.7]), 0.0)
        # An empty bin is floored at 1e-4, not infinite.
        self.assertAlmostEqual(monitor.psi([0.5, 0.5], [0.0, 1.0]),
                               (1e-4 - 0.5) * math.log(1e-4 / 0.5) + 0.5 * math.log(2), places=12)

    def test_ks_by_hand(self):
        uniform = [i / 100 for i in range(101)]  # F_baseline(x) = x on [0, 1]
        # Window 0.2, 0.2, 0.9, 0.9: F_window is 0, 0.5, 1; the largest gap is
        # just below 0.9: |0.5 - 0.9| = 0.4.
        self.assertAlmostEqual(monitor.ks(uniform, [0.2, 0.2, 0.9, 0.9]), 0.4, places=12)
        self.assertAlmostEqual(monitor.ks(uniform, [0.8] * 3), 0.8, places=12)
        # Outside the baseline's range on both sides: half the mass at F=0, half at F=1.
        self.assertAlmostEqual(monitor.ks(uniform, [-5.0, 5.0]), 0.5, places=12)
        # A constant baseline: the same constant is no drift, anything else is total.
        self.assertEqual(monitor.ks([3.0] * 101, [3.0, 3.0]), 0.0)
        self.assertEqual(monitor.ks([3.0] * 101, [4.0]), 1.0)

    def test_tvd_and_unseen_categories(self):
        shares = monitor.category_shares(["a", "c", "c", "c"], {"a", "b"})
        self.assertEqual(shares, {"a": 0.25, "__other__": 0.75})
        self.assertAlmostEqual(monitor.tvd({"a": 0.5, "b": 0.5}, shares), 0.75)
        self.assertEqual(monitor.tvd({"a": 1.0}, {"a": 1.0}), 0.0)

    def test_feature_drift_of_a_known_window(self):
        records = [["0.25", "a"], ["0.75", "c"], ["0.75", "c"], ["0.75", ""]]
        drift = monitor.data_quality(SMALL, records)
        x, plan = drift["x"], drift["plan"]
        self.assertAlmostEqual(x["psi"], 0.25 * math.log(3), places=12)
        # F_window: 0.25 -> 0.25, 0.75 -> 1. Largest gap: just below 0.75, |0.25 - 0.75|.
        self.assertAlmostEqual(x["ks"], 0.5, places=12)
        self.assertEqual(x["missing_rate_delta"], 0.0)
        # plan: a 1/3, __other__ 2/3 of the 3 present values; 1 of 4 missing vs 10%.
        self.assertAlmostEqual(plan["distance"], 0.5 * (abs(0.5 - 1 / 3) + 0.5 + 2 / 3))
        expected_psi = ((1 / 3 - 0.5) * math.log((1 / 3) / 0.5)
                        + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
                        + (2 / 3 - 1e-4) * math.log((2 / 3) / 1e-4))
        self.assertAlmostEqual(plan["psi"], expected_psi, places=12)
        self.assertAlmostEqual(plan["missing_rate_delta"], 0.25 - 0.10)

    def test_identical_data_has_near_zero_drift(self):
        rng = random.Random(7)
        values = [rng.gauss(40, 12) for _ in range(3000)]
        plans = [rng.choice(["basic", "pro", "team"]) for _ in range(3000)]
        stats = baseline.compute_statistics([[repr(v) for v in values], plans], ["tenure", "plan"], set(), 3000)
        same = monitor.data_quality(stats, [[repr(v), p] for v, p in zip(values, plans)])
        self.assertLess(same["tenure"]["psi"], 0.01)
        self.assertLess(same["tenure"]["ks"], 0.05)
        self.assertLess(same["plan"]["distance"], 1e-9)
        self.assertLess(same["plan"]["psi"], 0.01)
        # A fresh sample of the same distribution drifts little too.
        fresh = [[repr(rng.gauss(40, 12)), rng.choice(["basic", "pro", "team"])] for _ in range(3000)]
        other = monitor.data_quality(stats, fresh)
        self.assertLess(other["tenure"]["psi"], 0.02)
        self.assertLess(other["tenure"]["ks"], 0.05)
        self.assertLess(other["plan"]["distance"], 0.05)
        # And a shifted one does not.
        shifted = monitor.data_quality(stats, [[repr(rng.gauss(55, 12)), "basic"] for _ in range(3000)])
        self.assertGreater(shifted["tenure"]["psi"], 0.25)
        self.assertGreater(shifted["tenure"]["ks"], 0.3)
        self.assertGreater(shifted["plan"]["distance"], 0.6)

    def test_non_numbers_in_a_numeric_feature_count_as_missing(self):
        drift = monitor.data_quality(SMALL, [["abc", "a"], ["0.1", "a"]])
        self.assertEqual(drift["x"]["missing_rate_delta"], 0.5)

    def test_auc_f1_accuracy_of_a_known_ranking(self):
        labels, scores = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
        # Pairs (pos, neg): (0.35 > 0.1) yes, (0.35 > 0.4) no, (0.8 > both) yes: 3/4.
        self.assertAlmostEqual(monitor.auc(labels, scores), 0.75)
        self.assertAlmostEqual(monitor.auc([0, 1], [0.5, 0.5]), 0.5)  # a tie counts half
        self.assertIsNone(monitor.auc([1, 1], [0.2, 0.3]))
        m = monitor.binary_metrics(["0", "0", "1", "1.0"], scores, 0.5)
        # Predicted 0,0,0,1: tp 1, fp 0, fn 1 -> F1 2/3, accuracy 3/4.
        self.assertAlmostEqual(m["f1"], 2 / 3)
        self.assertAlmostEqual(m["accuracy"], 0.75)
        self.assertAlmostEqual(m["auc"], 0.75)
        self.assertAlmostEqual(monitor.binary_metrics(["0", "1"], [0.3, 0.35], 0.3)["accuracy"], 0.5)

    def test_regression_and_multiclass_metrics(self):
        r = monitor.regression_metrics(["1", "2", "3"], [1.0, 2.0, 5.0])
        self.assertAlmostEqual(r["rmse"], math.sqrt(4 / 3))
        self.assertAlmostEqual(r["mae"], 2 / 3)
        # Probability vectors: argmax 0, 2, 2, 2 against 0, 1, 2, 2.
        pairs = [("0", [0.8, 0.1, 0.1]), ("1", [0.1, 0.2, 0.7]), ("2", [0.1, 0.1, 0.8]), ("2.0", [0.0, 0.3, 0.7])]
        q = monitor.model_quality("multiclass", pairs)
        self.assertAlmostEqual(q["accuracy"], 0.75)
        # F1 per class: 0 -> 1, 1 -> 0, 2 -> 2*2/(4+1) = 0.8; macro 0.6.
        self.assertAlmostEqual(q["f1"], 0.6)
        self.assertEqual(q["matched_records"], 4)
        # A single value is the class label itself.
        self.assertEqual(monitor.model_quality("multiclass", [("2", [2.0])])["accuracy"], 1.0)


class Window(unittest.TestCase):
    def test_whole_hours_before_the_hour_of_now(self):
        start, end, hours = monitor.window(monitor.parse_time("2026-12-02T06:30:00Z"), 1)
        self.assertEqual((monitor.iso(start), monitor.iso(end)), ("2026-12-02T05:00:00Z", "2026-12-02T06:00:00Z"))
        self.assertEqual([monitor.hour_path(h) for h in hours], ["2026/12/02/05/"])
        # On the hour exactly: the hour that just ended.
        _, end, hours = monitor.window(monitor.parse_time("2026-12-02T06:00:00Z"), 1)
        self.assertEqual(monitor.hour_path(hours[0]), "2026/12/02/05/")

    def test_day_month_and_year_rollover(self):
        _, _, hours = monitor.window(monitor.parse_time("2027-01-01T01:05:00Z"), 3)
        self.assertEqual([monitor.hour_path(h) for h in hours], ["2026/12/31/22/", "2026/12/31/23/", "2027/01/01/00/"])

    def test_other_time_zones_are_converted_to_utc(self):
        start, end, _ = monitor.window(monitor.parse_time("2026-12-02T08:30:00+02:00"), 1)
        self.assertEqual(monitor.iso(end), "2026-12-02T06:00:00Z")
        self.assertEqual(monitor.window(datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc), 24)[0],
                         datetime(2025, 12, 31, 0, 0, tzinfo=timezone.utc))


class Parsing(unittest.TestCase):
    def test_csv_input_with_several_rows(self):
        e = monitor.parse_capture_line(capture_line("1,2,3\n4,5,6\n"), want_output=True)
        self.assertEqual(e["inputs"], [["1", "2", "3"], ["4", "5", "6"]])
        self.assertEqual(e["prediction"], [0.5])

    def test_base64_payloads_are_decoded_then_parsed_by_content_type(self):
        csv_b64 = base64.b64encode(b"1,a\n2,b").decode()
        e = monitor.parse_capture_line(capture_line(csv_b64, encoding="BASE64", content_type="text/csv"))
        self.assertEqual(e["inputs"], [["1", "a"], ["2", "b"]])
        json_b64 = base64.b64encode(json.dumps({"instances": [[1, "a"], {"features": [2, None]}]}).encode()).decode()
        e = monitor.parse_capture_line(capture_line(json_b64, encoding="BASE64", content_type="application/json"))
        self.assertEqual(e["inputs"], [["1", "a"], ["2", ""]])
        out_b64 = base64.b64encode(b'{"predictions": [{"score": 0.91}]}').decode()
        e = monitor.parse_capture_line(capture_line("1", output=out_b64, out_encoding="BASE64", out_type="application/json"), want_output=True)
        self.assertEqual(e["prediction"], [0.91])

    def test_json_input_forms(self):
        for doc, rows in [
            ([1, 2.5, "x"], [["1", "2.5", "x"]]),
            ([[1, 2], [3, 4]], [["1", "2"], ["3", "4"]]),
            ({"instances": [[1, 2]]}, [["1", "2"]]),
            ({"features": [1, None]}, [["1", ""]]),
        ]:
            e = monitor.parse_capture_line(capture_line(json.dumps(doc), encoding="JSON", content_type="application/json"))
            self.assertEqual(e["inputs"], rows, doc)

    def test_json_output_forms(self):
        for doc, value in [(0.3, [0.3]), ([0.4], [0.4]), ({"predictions": [0.6, 0.1]}, [0.6]),
                           ({"score": 0.7}, [0.7]), ({"predictions": [[0.2, 0.8]]}, [0.2, 0.8])]:
            e = monitor.parse_capture_line(capture_line("1", output=json.dumps(doc), out_encoding="JSON", out_type="application/json"), want_output=True)
            self.assertEqual(e["prediction"], value, doc)

    def test_malformed_lines_raise_malformed_only(self):
        bad = [
            "{not json",
            "[]",
            json.dumps({"captureData": {}}),
            capture_line("!!!not base64!!!", encoding="BASE64"),
            capture_line(json.dumps({"other": 1}), encoding="JSON"),
            capture_line(json.dumps([[1, [2]]]), encoding="JSON"),
            capture_line("1", encoding="XML"),
            json.dumps({"captureData": {"endpointInput": {"data": 5, "encoding": "CSV"}}}),
        ]
        for line in bad:
            with self.assertRaises(monitor.Malformed, msg=line):
                monitor.parse_capture_line(line)
        with self.assertRaises(monitor.Malformed):
            monitor.parse_capture_line(capture_line("1", output="abc"), want_output=True)

    def test_the_id_is_the_inference_id_else_the_event_id(self):
        self.assertEqual(monitor.parse_capture_line(capture_line("1", event_id="ev", inference_id="inf"))["id"], "inf")
        self.assertEqual(monitor.parse_capture_line(capture_line("1", event_id="ev"))["id"], "ev")

    def test_ground_truth_lines(self):
        self.assertEqual(monitor.parse_ground_truth_line(gt_line("a", "1")), ("a", "1"))
        b64 = json.dumps({"groundTruthData": {"data": base64.b64encode(b"0").decode(), "encoding": "BASE64"},
                          "eventMetadata": {"eventId": "b"}, "eventVersion": "0"})
        self.assertEqual(monitor.parse_ground_truth_line(b64), ("b", "0"))
        with self.assertRaises(monitor.Malformed):
            monitor.parse_ground_truth_line(json.dumps({"groundTruthData": {"data": "1"}}))


class Job(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.report_dir = os.path.join(self.tmp.name, "report")
        self.aws = FakeAws()
        self.aws.put("s3://b/baselines/statistics.json", json.dumps(SMALL))

    def tearDown(self):
        self.tmp.cleanup()

    def argv(self, *extra):
        return ["--endpoint", "churn", "--capture", "s3://b/capture/", "--window-hours", "1",
                "--namespace", "mlcdk/test", "--report-dir", self.report_dir, "--now", NOW, *extra]

    def dq(self, *extra):
        return self.argv("--mode", "data-quality", "--baseline-uri", "s3://b/baselines/statistics.json", *extra)

    def report(self):
        with open(os.path.join(self.report_dir, "report.json"), encoding="utf-8") as f:
            return json.load(f)

    def test_known_drift_end_to_end_with_malformed_lines_skipped(self):
        good = [capture_line("0.25,a"), capture_line("0.75,c\n0.75,c"), capture_line("0.75,")]
        bad = ["{broken", capture_line("1,2,3"), capture_line("%%%", encoding="BASE64")]
        self.aws.put(f"s3://b/capture/churn/AllTraffic/{HOUR}a.jsonl", "\n".join(good[:2] + bad[:2]) + "\n")
        self.aws.put(f"s3://b/capture/churn/Canary/{HOUR}b.jsonl", "\n".join([good[2], bad[2]]) + "\n\n")
        # Outside the window (the hour before, the hour in progress): not read.
        self.aws.put("s3://b/capture/churn/AllTraffic/2026/12/02/04/old.jsonl", capture_line("99,z"))
        self.aws.put("s3://b/capture/churn/AllTraffic/2026/12/02/06/now.jsonl", capture_line("99,z"))
        # Another endpoint sharing the prefix: not read.
        self.aws.put(f"s3://b/capture/other/AllTraffic/{HOUR}x.jsonl", capture_line("99,z"))
        code, out, err = run_main(self.dq(), self.aws)
        self.assertEqual(code, 0, err)
        r = self.report()
        self.assertEqual(r["status"], "ok")
        self.assertEqual(r["window"], {"start": "2026-12-02T05:00:00Z", "end": "2026-12-02T06:00:00Z"})
        self.assertEqual((r["records"], r["malformed_records"]), (4, 3))
        self.assertAlmostEqual(r["features"]["x"]["psi"], 0.25 * math.log(3), places=12)
        self.assertAlmostEqual(r["features"]["x"]["ks"], 0.5, places=12)
        self.assertAlmostEqual(r["features"]["plan"]["missing_rate_delta"], 0.15)
        # The metrics: per feature with Endpoint and Feature, per run with Endpoint only.
        self.assertEqual({ns for ns, _ in self.aws.metric_calls}, {"mlcdk/test"})
        self.assertAlmostEqual(self.aws.metric("psi", "x"), 0.25 * math.log(3), places=12)
        self.assertAlmostEqual(self.aws.metric("ks", "x"), 0.5, places=12)
        self.assertAlmostEqual(self.aws.metric("distance", "plan"), r["features"]["plan"]["distance"])
        self.assertEqual(self.aws.metric("records"), 4)
        self.assertEqual(self.aws.metric("malformed_records"), 3)
        self.assertEqual(self.aws.metric("no_data"), 0)
        self.assertEqual(self.aws.metric("ks", "plan"), [])  # no KS for a categorical feature
        for d in self.aws.metrics():
            self.assertEqual(d["Timestamp"], datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc))
            self.assertEqual(d["Dimensions"][0], {"Name": "Endpoint", "Value": "churn"})

    def test_an_empty_window_is_no_data_not_a_failure(self):
        self.aws.put("s3://b/capture/churn/AllTraffic/2026/12/02/04/old.jsonl", capture_line("0.1,a"))
        code, _, err = run_main(self.dq(), self.aws)
        self.assertEqual(code, 0, err)
        r = self.report()
        self.assertEqual((r["status"], r["records"], r["features"]), ("no_data", 0, {}))
        self.assertEqual(self.aws.metric("no_data"), 1)
        self.assertEqual(self.aws.metric("records"), 0)
        self.assertEqual({d["MetricName"] for d in self.aws.metrics()}, {"records", "malformed_records", "no_data"})

    def test_only_malformed_lines_is_no_data_with_the_count(self):
        self.aws.put(f"s3://b/capture/churn/AllTraffic/{HOUR}a.jsonl", "{x\n" + capture_line("1") + "\n")
        code, _, _ = run_main(self.dq(), self.aws)
        self.assertEqual(code, 0)
        self.assertEqual((self.report()["status"], self.aws.metric("malformed_records")), ("no_data", 2))

    def test_the_baseline_from_a_model_package(self):
        arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
        self.aws.packages[arn] = {"ModelMetrics": {"ModelDataQuality": {"Statistics": {
            "ContentType": "application/json", "S3Uri": "s3://b/baselines/statistics.json"}}}}
        self.aws.put(f"s3://b/capture/churn/AllTraffic/{HOUR}a.jsonl", capture_line("0.3,a"))
        code, _, err = run_main(self.argv("--mode", "data-quality", "--baseline-package", arn), self.aws)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.report()["records"], 1)
        self.aws.packages[arn] = {"ModelMetrics": {}}
        code, _, err = run_main(self.argv("--mode", "data-quality", "--baseline-package", arn), self.aws)
        self.assertEqual(code, 1)
        self.assertIn("has no ModelMetrics.ModelDataQuality.Statistics.S3Uri", err)

    def test_a_missing_or_bad_baseline_is_one_line_and_non_zero(self):
        code, _, err = run_main(self.argv("--mode", "data-quality", "--baseline-uri", "s3://b/nope.json"), self.aws)
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("monitor: cannot read the baseline s3://b/nope.json"), err)
        self.assertEqual(err.count("\n"), 1, err)
        self.aws.put("s3://b/bad.json", '{"version": 2}')
        code, _, err = run_main(self.argv("--mode", "data-quality", "--baseline-uri", "s3://b/bad.json"), self.aws)
        self.assertEqual(code, 1)
        self.assertIn("not a version 1 statistics.json", err)

    def test_bad_arguments_exit_2(self):
        for argv in [
            self.argv("--mode", "data-quality"),  # no baseline
            self.argv("--mode", "data-quality", "--baseline-uri", "s3://b/x", "--baseline-package", "arn"),
            self.argv("--mode", "model-quality", "--problem", "binary"),  # no ground truth
            self.argv("--mode", "data-quality", "--baseline-uri", "s3://b/x", "--window-hours", "0"),
        ]:
            code, _, err = run_main(argv, self.aws)
            self.assertEqual(code, 2, argv)
            self.assertIn("error:", err)

    def test_model_quality_joins_on_inference_id_else_event_id(self):
        lines = [
            capture_line("1", output="0.1", event_id="e1", inference_id="i1"),
            capture_line("1", output="0.4", event_id="e2", inference_id="i2"),
            capture_line("1", output="0.35", event_id="e3"),
            capture_line("1", output="0.8", event_id="e4"),
            capture_line("1", output="0.9", event_id="e5"),  # no label yet
            capture_line("1", output="oops", event_id="e6"),  # malformed output
        ]
        self.aws.put(f"s3://b/capture/churn/AllTraffic/{HOUR}a.jsonl", "\n".join(lines))
        # Labels keyed by the inference id where the caller gave one (e1's eventId must not match).
        self.aws.put(f"s3://b/gt/{HOUR}labels.jsonl", "\n".join([
            gt_line("i1", "0"), gt_line("i2", "0"), gt_line("e3", "1"), gt_line("e4", "1"),
            gt_line("e1", "1"), "{bad",
        ]))
        self.aws.put("s3://b/gt/2026/12/02/04/old.jsonl", gt_line("e5", "1"))  # outside the window
        code, _, err = run_main(self.argv("--mode", "model-quality", "--ground-truth", "s3://b/gt/", "--problem", "binary"), self.aws)
        self.assertEqual(code, 0, err)
        r = self.report()
        self.assertEqual((r["records"], r["malformed_records"], r["malformed_ground_truth"]), (5, 1, 1))
        q = r["quality"]
        self.assertEqual(q["matched_records"], 4)
        self.assertAlmostEqual(q["auc"], 0.75)
        self.assertAlmostEqual(q["f1"], 2 / 3)
        self.assertAlmostEqual(q["accuracy"], 0.75)
        self.assertAlmostEqual(self.aws.metric("auc"), 0.75)
        self.assertEqual(self.aws.metric("matched_records"), 4)
        self.assertEqual(self.aws.metric("psi", "x"), [])

    def test_model_quality_regression(self):
        lines = [capture_line("1", output=o, event_id=f"e{i}") for i, o in enumerate(["1", "2", "5"])]
        self.aws.put(f"s3://b/capture/churn/AllTraffic/{HOUR}a.jsonl", "\n".join(lines))
        self.aws.put(f"s3://b/gt/{HOUR}l.jsonl", "\n".join(gt_line(f"e{i}", l) for i, l in enumerate(["1", "2", "3"])))
        code, _, err = run_main(self.argv("--mode", "model-quality", "--ground-truth", "s3://b/gt/", "--problem", "regression"), self.aws)
        self.assertEqual(code, 0, err)
        self.assertAlmostEqual(self.aws.metric("rmse"), math.sqrt(4 / 3))
        self.assertAlmostEqual(self.aws.metric("mae"), 2 / 3)

    def test_metrics_are_sent_in_batches_of_at_most_1000(self):
        features = {f"f{i}": {"psi": 0.1, "ks": 0.2, "missing_rate_delta": 0.0} for i in range(500)}
        datums = monitor.metric_data("churn", datetime(2026, 12, 2, 6, tzinfo=timezone.utc), 10, 0, features, {})
        self.assertEqual(len(datums), 1503)
        monitor.publish(self.aws, "ns", datums)
        self.assertEqual([len(c) for _, c in self.aws.metric_calls], [1000, 503])

    def test_non_finite_values_are_not_published(self):
        datums = monitor.metric_data("e", datetime(2026, 12, 2, 6, tzinfo=timezone.utc), 1, 0, {"x": {"psi": float("nan")}}, {"auc": None})
        self.assertEqual({d["MetricName"] for d in datums}, {"records", "malformed_records", "no_data"})


if __name__ == "__main__":
    unittest.main()
