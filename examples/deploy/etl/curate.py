"""Curate raw churn events into features.

A Glue PySpark job: reads the raw events the crawler catalogued, keeps the
columns the model uses, derives tenure and spend features and writes them as
Parquet, partitioned by day. Job bookmarks make each run process only new data.
"""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "table", "output"])

glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)

events = glue.create_dynamic_frame.from_catalog(
    database=args["database"],
    table_name=args["table"],
    transformation_ctx="events",  # the bookmark key
).toDF()

features = (
    events.where(F.col("customer_id").isNotNull())
    .withColumn("event_time", F.to_timestamp("event_time"))
    .groupBy("customer_id")
    .agg(
        F.max("event_time").alias("event_time"),
        F.months_between(F.max("event_time"), F.min("signup_time")).alias("tenure_months"),
        F.avg("monthly_spend").alias("monthly_spend"),
        F.sum(F.when(F.col("event_type") == "support_call", 1).otherwise(0)).alias("support_calls"),
        F.max(F.col("churned").cast("int")).alias("churned"),
    )
    .withColumn("dt", F.date_format("event_time", "yyyy-MM-dd"))
)

features.write.mode("append").partitionBy("dt").parquet(args["output"])
job.commit()
