"""Tests of baseline.py, standard library only: python3 -m unittest discover -s . -p 'test_*.py'"""
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baseline  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run_main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = baseline.main(argv)
    return code, out.getvalue(), err.getvalue()


class BaselineFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.train = os.path.join(self.tmp.name, "train")
        self.output = os.path.join(self.tmp.name, "out")

    def tearDown(self):
        self.tmp.cleanup()

    def statistics(self):
        with open(os.path.join(self.output, "statistics.json"), encoding="utf-8") as f:
            return json.load(f)

    def test_reads_csv_and_extensionless_files_recursively_with_the_label_first(self):
        # 0..100 split over two files; the label column must not be read as a feature.
        rows = [f"{i % 2},{i},{'basic' if i < 60 else 'pro'}\n" for i in range(101)]
        write(os.path.join(self.train, "part-0.csv"), "".join(rows[:50]))
        write(os.path.join(self.train, "nested", "part-1"), "".join(rows[50:]))
        write(os.path.join(self.train, "ignored.json"), "not,training,data,at,all\n")
        write(os.path.join(self.train, ".hidden.csv"), "x\n")
        code, out, err = run_main(["--train", self.train, "--features", "tenure,plan", "--output", self.output])
        self.assertEqual(code, 0, err)
        s = self.statistics()
        self.assertEqual(s["version"], 1)
        self.assertEqual(s["records"], 101)
        tenure, plan = s["features"]
        self.assertEqual((tenure["name"], tenure["type"], tenure["count"], tenure["missing"]), ("tenure", "numeric", 101, 0))
        # Percentiles of 0..100 are the integers themselves.
        self.assertEqual(tenure["quantiles"], [float(i) for i in range(101)])
        self.assertEqual(tenure["bin_edges"], [float(i) for i in range(0, 101, 10)])
        # [0,10) ... [80,90) hold 10 values each; the closed last bin [90,100] holds 11.
        self.assertEqual(len(tenure["bin_fractions"]), 10)
        for frac in tenure["bin_fractions"][:9]:
            self.assertAlmostEqual(frac, 10 / 101)
        self.assertAlmostEqual(tenure["bin_fractions"][9], 11 / 101)
        self.assertAlmostEqual(sum(tenure["bin_fractions"]), 1.0)
        self.assertAlmostEqual(tenure["mean"], 50.0)
        self.assertAlmostEqual(tenure["std"], math.sqrt(sum((i - 50) ** 2 for i in range(101)) / 101))
        self.assertEqual(plan["type"], "categorical")
        self.assertAlmostEqual(plan["frequencies"]["basic"], 60 / 101)
        self.assertAlmostEqual(plan["frequencies"]["pro"], 41 / 101)

    def test_a_row_of_the_wrong_width_names_file_line_and_counts(self):
        path = os.path.join(self.train, "train.csv")
        write(path, "1,2,3\n0,4,5\n1,6\n")
        code, out, err = run_main(["--train", self.train, "--features", "a,b", "--output", self.output])
        self.assertEqual(code, 2)
        self.assertIn(f"{path}:3: 2 columns, expected 3", err)
        self.assertEqual(err.count("\n"), 1, err)  # one line, no traceback
        self.assertFalse(os.path.exists(os.path.join(self.output, "statistics.json")))

    def test_types_missing_values_and_forced_categorical(self):
        write(
            os.path.join(self.train, "t.csv"),
            "1,1.5,x,3\n0,,y,4\n1,nan,z,5\n0,NaN,x,\n",
        )
        code, _, err = run_main(["--train", self.train, "--features", "num,cat,code", "--categorical", "code", "--output", self.output])
        self.assertEqual(code, 0, err)
        num, cat, code_ = self.statistics()["features"]
        self.assertEqual((num["type"], num["missing"], num["count"]), ("numeric", 3, 4))
        self.assertEqual(num["quantiles"], [1.5] * 101)
        self.assertEqual(cat["type"], "categorical")
        self.assertEqual(cat["frequencies"], {"x": 0.5, "y": 0.25, "z": 0.25})
        # Numbers, but named categorical: their values are categories.
        self.assertEqual(code_["type"], "categorical")
        self.assertEqual(code_["missing"], 1)
        self.assertEqual(set(code_["frequencies"]), {"3", "4", "5"})

    def test_a_constant_column_is_one_bin(self):
        write(os.path.join(self.train, "t.csv"), "".join(f"{i % 2},7\n" for i in range(20)))
        code, _, err = run_main(["--train", self.train, "--features", "c", "--output", self.output])
        self.assertEqual(code, 0, err)
        (c,) = self.statistics()["features"]
        self.assertEqual(c["bin_edges"], [7.0, 7.0])
        self.assertEqual(c["bin_fractions"], [1.0])
        self.assertEqual(c["std"], 0.0)

    def test_an_all_missing_numeric_column_has_no_distribution(self):
        write(os.path.join(self.train, "t.csv"), "1,,a\n0,,b\n")
        code, _, err = run_main(["--train", self.train, "--features", "empty,c", "--output", self.output])
        self.assertEqual(code, 0, err)
        empty = self.statistics()["features"][0]
        self.assertEqual((empty["type"], empty["missing"], empty["bin_edges"], empty["mean"]), ("numeric", 2, [], None))

    def test_infinite_or_text_values_make_a_column_categorical(self):
        write(os.path.join(self.train, "t.csv"), "1,1,inf\n0,2,3\n")
        code, _, _ = run_main(["--train", self.train, "--features", "a,b", "--output", self.output])
        self.assertEqual(code, 0)
        a, b = self.statistics()["features"]
        self.assertEqual((a["type"], b["type"]), ("numeric", "categorical"))

    def test_bad_arguments_are_one_line(self):
        write(os.path.join(self.train, "t.csv"), "1,1\n")
        for argv, needle in [
            (["--train", self.train, "--features", "a,a", "--output", self.output], "twice"),
            (["--train", self.train, "--features", "a", "--categorical", "b", "--output", self.output], "not in --features"),
            (["--train", os.path.join(self.tmp.name, "nope"), "--features", "a", "--output", self.output], "not a directory"),
        ]:
            code, _, err = run_main(argv)
            self.assertEqual(code, 2, argv)
            self.assertIn(needle, err)
            self.assertEqual(err.count("\n"), 1, err)


class Functions(unittest.TestCase):
    def test_top_fifty_categories_and_the_rest_as_other(self):
        values = []
        for i in range(60):
            values += [f"c{i:02d}"] * (100 - i)  # c00 most frequent, c59 least
        freqs = baseline.categorical_frequencies(values)
        self.assertEqual(len(freqs), 51)
        self.assertIn("c49", freqs)
        self.assertNotIn("c50", freqs)
        total = len(values)
        self.assertAlmostEqual(freqs["__other__"], sum(100 - i for i in range(50, 60)) / total)
        self.assertAlmostEqual(sum(freqs.values()), 1.0)

    def test_percentile_interpolates_linearly(self):
        self.assertEqual(baseline.percentile([1.0, 2.0, 3.0, 4.0], 50), 2.5)
        self.assertEqual(baseline.percentile([1.0, 2.0, 3.0, 4.0], 0), 1.0)
        self.assertEqual(baseline.percentile([1.0, 2.0, 3.0, 4.0], 100), 4.0)
        self.assertAlmostEqual(baseline.percentile([0.0, 10.0], 25), 2.5)

    def test_bins_are_open_ended(self):
        edges = [0.0, 1.0, 2.0]
        self.assertEqual([baseline.bin_index(edges, x) for x in (-5, 0, 0.5, 1, 2, 99)], [0, 0, 0, 1, 1, 1])
        self.assertEqual(baseline.bin_index([3.0, 3.0], 100.0), 0)


if __name__ == "__main__":
    unittest.main()
