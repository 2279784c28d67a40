"""Score the trained model on the test split and write evaluation.json.

A SageMaker processing step in the XGBoost container: the model archive is in
/opt/ml/processing/input/model, the test CSV (label first) in
/opt/ml/processing/input/test. The pipeline's condition step reads
metrics.auc.value from the report.
"""
import glob
import json
import os
import tarfile

import pandas as pd
import xgboost
from sklearn.metrics import roc_auc_score

MODEL = "/opt/ml/processing/input/model"
TEST = "/opt/ml/processing/input/test"
OUTPUT = "/opt/ml/processing/output/evaluation"

for archive in glob.glob(f"{MODEL}/*.tar.gz"):
    with tarfile.open(archive) as tar:
        tar.extractall(MODEL)
booster = xgboost.Booster()
booster.load_model(f"{MODEL}/xgboost-model")

test = pd.concat(pd.read_csv(p, header=None) for p in glob.glob(f"{TEST}/*.csv"))
labels, features = test.iloc[:, 0], test.iloc[:, 1:]
scores = booster.predict(xgboost.DMatrix(features.values))
auc = float(roc_auc_score(labels, scores))

os.makedirs(OUTPUT, exist_ok=True)
with open(f"{OUTPUT}/evaluation.json", "w") as f:
    json.dump({"metrics": {"auc": {"value": auc}}}, f)
print(f"test AUC {auc:.4f}")
