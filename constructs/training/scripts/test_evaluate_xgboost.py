"""Unit tests of the built-in evaluation's metrics (standard library only).

Run with `python3 -m unittest discover -s constructs/training/scripts`; the
training crate's tests run it when python3 is on the PATH.
"""
import json
import os
import tempfile
import unittest

import evaluate_xgboost as ev


class Metrics(unittest.TestCase):
    def test_auc_of_perfect_reversed_and_tied_scores(self):
        self.assertEqual(ev.auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), 1.0)
        self.assertEqual(ev.auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]), 0.0)
        self.assertEqual(ev.auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5)

    def test_auc_matches_pair_counting(self):
        labels = [1, 0, 1, 1, 0, 0, 1, 0]
        scores = [0.9, 0.4, 0.4, 0.7, 0.1, 0.8, 0.3, 0.3]
        pos = [s for y, s in zip(labels, scores) if y == 1]
        neg = [s for y, s in zip(labels, scores) if y == 0]
        pairs = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
        self.assertAlmostEqual(ev.auc(labels, scores), pairs / (len(pos) * len(neg)))

    def test_auc_needs_both_classes(self):
        with self.assertRaises(ValueError):
            ev.auc([1, 1], [0.2, 0.3])

    def test_accuracy_and_f1_at_the_cutoff(self):
        labels = [1, 1, 0, 0, 1]
        scores = [0.9, 0.4, 0.6, 0.1, 0.5]
        # Predicted 1, 0, 1, 0, 1: tp 2, fp 1, fn 1, tn 1.
        self.assertAlmostEqual(ev.accuracy(labels, scores), 3 / 5)
        self.assertAlmostEqual(ev.f1(labels, scores), 2 * 2 / (2 * 2 + 1 + 1))
        self.assertEqual(ev.f1([0, 0], [0.1, 0.2]), 0.0)

    def test_report_shape_and_csv_reading(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "test.csv"), "w") as f:
                f.write("1,3.0,20.5,1\n0,40.0,5.0,0\n\n1.0,2.0,,4\n")
            labels, rows = ev.read_test(d)
        self.assertEqual(labels, [1, 0, 1])
        self.assertEqual(rows[0], [3.0, 20.5, 1.0])
        self.assertEqual(len(rows[2]), 3)
        report = ev.metrics([0, 1], [0.2, 0.7])
        self.assertEqual(sorted(report["metrics"]), ["accuracy", "auc", "f1"])
        self.assertEqual(json.loads(json.dumps(report))["metrics"]["auc"]["value"], 1.0)


if __name__ == "__main__":
    unittest.main()
