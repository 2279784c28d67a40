"""mlcdk's built-in evaluation of a binary XGBoost model (a SageMaker processing step).

Runs in the SageMaker XGBoost container the model was trained with, and uses
only the Python standard library plus xgboost and numpy (both in that image).

Reads:
  /opt/ml/processing/input/model/model.tar.gz  the training job's model archive
  /opt/ml/processing/input/test/*.csv          label in the first column, no header
Writes:
  /opt/ml/processing/output/evaluation/evaluation.json
  {"metrics": {"auc": {"value": ...}, "accuracy": {"value": ...}, "f1": {"value": ...}}}

Accuracy and F1 count a score of at least 0.5 as the positive class (what
`binary:logistic` predicts as a probability).
"""
import csv
import glob
import json
import os
import pickle
import sys
import tarfile

MODEL = "/opt/ml/processing/input/model"
TEST = "/opt/ml/processing/input/test"
OUTPUT = "/opt/ml/processing/output/evaluation"
CUTOFF = 0.5


def auc(labels, scores):
    """Area under the ROC curve: the probability that a random positive scores
    above a random negative (ties count half), from average ranks."""
    pairs = sorted(zip(scores, labels), key=lambda p: p[0])
    positives = sum(1 for label in labels if label == 1)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both classes in the test split")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        average_rank = (i + j) / 2.0 + 1.0
        rank_sum += average_rank * sum(1 for k in range(i, j + 1) if pairs[k][1] == 1)
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def accuracy(labels, scores, cutoff=CUTOFF):
    """Share of records whose predicted class (score >= cutoff) is the label."""
    if not labels:
        raise ValueError("the test split is empty")
    right = sum(1 for y, s in zip(labels, scores) if (s >= cutoff) == (y == 1))
    return right / len(labels)


def f1(labels, scores, cutoff=CUTOFF):
    """Harmonic mean of precision and recall of the positive class; 0 when
    nothing is predicted or labelled positive."""
    tp = sum(1 for y, s in zip(labels, scores) if y == 1 and s >= cutoff)
    fp = sum(1 for y, s in zip(labels, scores) if y != 1 and s >= cutoff)
    fn = sum(1 for y, s in zip(labels, scores) if y == 1 and s < cutoff)
    if tp == 0:
        return 0.0
    return 2.0 * tp / (2.0 * tp + fp + fn)


def metrics(labels, scores):
    """The report evaluation.json holds."""
    return {
        "metrics": {
            "auc": {"value": auc(labels, scores)},
            "accuracy": {"value": accuracy(labels, scores)},
            "f1": {"value": f1(labels, scores)},
        }
    }


def read_test(directory):
    """Labels and feature rows of every CSV under `directory` (label first)."""
    labels, rows = [], []
    for path in sorted(glob.glob(os.path.join(directory, "*.csv"))):
        with open(path, newline="") as f:
            for record in csv.reader(f):
                if not record:
                    continue
                labels.append(int(float(record[0])))
                rows.append([float(v) if v != "" else float("nan") for v in record[1:]])
    return labels, rows


def load_booster(directory):
    """The booster from the model archive: a saved model (XGBoost 1.3 and
    later) or a pickle (older containers)."""
    import xgboost

    for archive in glob.glob(os.path.join(directory, "*.tar.gz")):
        with tarfile.open(archive) as tar:
            tar.extractall(directory)
    path = os.path.join(directory, "xgboost-model")
    booster = xgboost.Booster()
    try:
        booster.load_model(path)
    except xgboost.core.XGBoostError:
        with open(path, "rb") as f:
            booster = pickle.load(f)
    return booster


def main():
    import numpy
    import xgboost

    labels, rows = read_test(TEST)
    if not labels:
        sys.exit(f"no test records under {TEST}/*.csv")
    booster = load_booster(MODEL)
    scores = booster.predict(xgboost.DMatrix(numpy.array(rows, dtype=float)))
    report = metrics(labels, [float(s) for s in scores])
    os.makedirs(OUTPUT, exist_ok=True)
    with open(os.path.join(OUTPUT, "evaluation.json"), "w") as f:
        json.dump(report, f)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
