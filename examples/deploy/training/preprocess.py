"""Split the curated churn features into train / validation / test CSVs.

A SageMaker processing step: reads Parquet from /opt/ml/processing/input/raw,
writes label-first CSVs without headers (what the XGBoost container expects).
"""
import glob
import os

import pandas as pd

INPUT = "/opt/ml/processing/input/raw"
OUTPUT = "/opt/ml/processing/output"
FEATURES = ["tenure_months", "monthly_spend", "support_calls"]

frames = [pd.read_parquet(p) for p in glob.glob(f"{INPUT}/**/*.parquet", recursive=True)]
data = pd.concat(frames, ignore_index=True).dropna(subset=["churned"] + FEATURES)
data = data[["churned"] + FEATURES].sample(frac=1.0, random_state=42)

n = len(data)
splits = {
    "train": data.iloc[: int(n * 0.7)],
    "validation": data.iloc[int(n * 0.7) : int(n * 0.85)],
    "test": data.iloc[int(n * 0.85) :],
}
for name, frame in splits.items():
    os.makedirs(f"{OUTPUT}/{name}", exist_ok=True)
    frame.to_csv(f"{OUTPUT}/{name}/{name}.csv", header=False, index=False)
    print(f"{name}: {len(frame)} rows")
