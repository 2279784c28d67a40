//! The monitoring job's Python script (`scripts/monitor.py`) and the
//! training pipeline's baseline script it reads the output of
//! (`constructs/training/scripts/baseline.py`, tested with the training
//! crate's scripts): the monitor's unit tests, and both end to end against
//! moto (S3 for the capture and the baseline, SageMaker for a model package's
//! baseline, CloudWatch for the published metrics), read back through boto3.
//!
//! python3 is required, as for the pinned tools: a missing python3 fails the
//! tests, never skips them. `external_*` tests need the pinned moto; leave them
//! out on purpose with `cargo test -- --skip external_`.

use mlcdk_testkit::moto::MotoServer;
use mlcdk_testkit::{Scratch, tools};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");

/// The baseline script lives with the training pipeline that runs it.
const TRAINING_SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../training/scripts");

fn script(name: &str) -> String {
    let dir = if name == "baseline.py" {
        TRAINING_SCRIPTS
    } else {
        SCRIPTS
    };
    format!("{dir}/{name}")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_monitoring_scripts_unit_tests_pass() {
    let run = Command::new("python3")
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            SCRIPTS,
            "-p",
            "test_*.py",
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .output();
    let out = match run {
        Err(e) => panic!(
            "python3 is needed to test the monitoring scripts ({e}); install Python 3, as the README's test command requires"
        ),
        Ok(out) => out,
    };
    assert!(out.status.success(), "{}", text(&out));
    // unittest reports on stderr; a discovery that found nothing must not pass.
    let report = String::from_utf8_lossy(&out.stderr);
    let ran: usize = report
        .lines()
        .find_map(|l| {
            l.strip_prefix("Ran ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no `Ran N tests` line:\n{}", text(&out)));
    assert!(ran >= 25, "only {ran} tests ran:\n{}", text(&out));
    tools::announce(&format!(
        "monitoring script: {ran} Python unit tests of monitor.py passed"
    ));
}

fn start_moto(server: &Path) -> MotoServer {
    MotoServer::start(server)
}

/// boto3 calls the test makes itself (setup and read-back), one per run of
/// the moto virtualenv's python.
const DRIVER: &str = r#"
import datetime, json, sys
import boto3

cmd, args = sys.argv[1], sys.argv[2:]
s3, cw, sm = boto3.client("s3"), boto3.client("cloudwatch"), boto3.client("sagemaker")
if cmd == "bucket":
    s3.create_bucket(Bucket=args[0])
elif cmd == "put":
    bucket, _, key = args[1][5:].partition("/")
    with open(args[0], "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())
elif cmd == "package":
    sm.create_model_package_group(ModelPackageGroupName=args[0])
    arn = sm.create_model_package(
        ModelPackageGroupName=args[0],
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1", "ModelDataUrl": "s3://mlcdk-e2e/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={"ModelDataQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": args[1]}}},
    )["ModelPackageArn"]
    print(arn)
elif cmd == "metrics":
    # Every metric of the namespace with its datapoints' maxima around the window's end.
    namespace, end = args[0], datetime.datetime.fromisoformat(args[1].replace("Z", "+00:00"))
    out = []
    for m in cw.list_metrics(Namespace=namespace)["Metrics"]:
        points = cw.get_metric_statistics(
            Namespace=namespace, MetricName=m["MetricName"], Dimensions=m["Dimensions"],
            StartTime=end - datetime.timedelta(hours=1), EndTime=end + datetime.timedelta(hours=1),
            Period=60, Statistics=["Maximum"],
        )["Datapoints"]
        out.append({
            "name": m["MetricName"],
            "dims": {d["Name"]: d["Value"] for d in m["Dimensions"]},
            "values": [p["Maximum"] for p in points],
            "times": [p["Timestamp"].astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for p in points],
        })
    print(json.dumps(out))
else:
    sys.exit("unknown command " + cmd)
"#;

/// The moto virtualenv's python (it has boto3), with an environment that
/// reaches moto and nothing else.
struct Aws<'a> {
    python: PathBuf,
    endpoint: String,
    dir: &'a Path,
}

impl Aws<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.python);
        c.args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            // No profile, config or credentials file of the machine is read.
            .env("AWS_CONFIG_FILE", self.dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-aws-credentials"),
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.python.display()))
    }

    fn driver(&self, args: &[&str]) -> String {
        let driver = self.dir.join("driver.py");
        let mut all = vec![driver.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.status.success(), "driver {args:?}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn put(&self, name: &str, body: &str, uri: &str) {
        let path = self.dir.join(name);
        std::fs::write(&path, body).unwrap();
        self.driver(&["put", path.to_str().unwrap(), uri]);
    }

    /// monitor.py in data-quality mode; returns its output and report.
    fn monitor(
        &self,
        now: &str,
        namespace: &str,
        baseline: &[&str],
        report: &str,
    ) -> (Output, Value) {
        let report_dir = self.dir.join(report);
        let mut args = vec![
            script("monitor.py"),
            "--mode".into(),
            "data-quality".into(),
            "--endpoint".into(),
            "churn-endpoint".into(),
            "--capture".into(),
            "s3://mlcdk-e2e/capture/".into(),
            "--window-hours".into(),
            "1".into(),
            "--namespace".into(),
            namespace.into(),
            "--report-dir".into(),
            report_dir.to_str().unwrap().into(),
            "--now".into(),
            now.into(),
            "--region".into(),
            "us-east-1".into(),
        ];
        args.extend(baseline.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&args);
        let report = std::fs::read_to_string(report_dir.join("report.json"))
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or(Value::Null);
        (out, report)
    }

    /// Metric name and feature (None for per-run metrics) -> its maxima.
    fn metrics(
        &self,
        namespace: &str,
        end: &str,
    ) -> Vec<(String, Option<String>, Vec<f64>, Value)> {
        let listed: Value =
            serde_json::from_str(&self.driver(&["metrics", namespace, end])).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                assert_eq!(m["dims"]["Endpoint"], "churn-endpoint", "{m}");
                (
                    m["name"].as_str().unwrap().to_string(),
                    m["dims"]["Feature"].as_str().map(str::to_string),
                    m["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect(),
                    m["times"].clone(),
                )
            })
            .collect()
    }
}

fn one(
    metrics: &[(String, Option<String>, Vec<f64>, Value)],
    name: &str,
    feature: Option<&str>,
) -> f64 {
    let found: Vec<_> = metrics
        .iter()
        .filter(|(n, f, _, _)| n == name && f.as_deref() == feature)
        .collect();
    assert_eq!(found.len(), 1, "metric {name} {feature:?} in {metrics:?}");
    assert_eq!(
        found[0].2.len(),
        1,
        "one datapoint of {name} {feature:?}: {metrics:?}"
    );
    found[0].2[0]
}

/// Training rows: label, tenure (0..99), charges (0..99.5), plan.
fn train_csv() -> String {
    (0..600)
        .map(|i| {
            let plan = ["basic", "pro", "team"][i % 3];
            format!(
                "{},{},{},{plan}\n",
                i % 2,
                (i * 37) % 100,
                ((i * 53) % 200) as f64 / 2.0
            )
        })
        .collect()
}

/// The window's 300 records as 100 capture events in CSV, JSON and BASE64
/// payloads over two variants: tenure moved to 80..99, charges and plan as
/// in training; plus one malformed line.
fn capture(variant: usize) -> String {
    let mut lines = Vec::new();
    for k in (0..100).filter(|k| k % 2 == variant) {
        let rows: Vec<(usize, f64, &str)> = (3 * k..3 * k + 3)
            .map(|j| {
                (
                    80 + (j * 7) % 20,
                    ((j * 53) % 200) as f64 / 2.0,
                    ["basic", "pro", "team"][j % 3],
                )
            })
            .collect();
        let csv: String = rows
            .iter()
            .map(|(t, c, p)| format!("{t},{c},{p}\n"))
            .collect();
        let (data, encoding, content_type) = match k % 3 {
            0 => (csv, "CSV", "text/csv"),
            1 => (
                json!({"instances": rows.iter().map(|(t, c, p)| json!([t, c, p])).collect::<Vec<_>>()}).to_string(),
                "JSON",
                "application/json",
            ),
            _ => (base64(csv.as_bytes()), "BASE64", "text/csv"),
        };
        lines.push(
            json!({
                "captureData": {
                    "endpointInput": {"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding},
                    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": "0.5\n0.5\n0.5", "encoding": "CSV"}
                },
                "eventMetadata": {"eventId": format!("event-{k}"), "inferenceTime": "2026-12-02T05:12:00Z"},
                "eventVersion": "0"
            })
            .to_string(),
        );
    }
    if variant == 0 {
        lines.push("{\"captureData\": not json".to_string());
    }
    lines.join("\n") + "\n"
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_of_the_test_matches_rfc_4648() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn external_moto_monitor_job_end_to_end() {
    let moto_tool = tools::require("moto");
    let python = moto_tool
        .program
        .parent()
        .expect("moto_server lives in the virtualenv's bin directory")
        .join(if cfg!(windows) {
            "python.exe"
        } else {
            "python"
        });
    assert!(
        python.is_file(),
        "no python next to {}",
        moto_tool.program.display()
    );
    let moto = start_moto(&moto_tool.program);
    let dir = Scratch::new("monitor-e2e");
    std::fs::write(dir.join("driver.py"), DRIVER).unwrap();
    let aws = Aws {
        python,
        endpoint: format!("http://127.0.0.1:{}", moto.port),
        dir: &dir,
    };

    // The baseline, made by baseline.py from a training split (label first, no header).
    std::fs::create_dir_all(dir.join("train")).unwrap();
    std::fs::write(dir.join("train/part-0.csv"), train_csv()).unwrap();
    let out = aws.run(&[
        &script("baseline.py"),
        "--train",
        dir.join("train").to_str().unwrap(),
        "--features",
        "tenure,charges,plan",
        "--output",
        dir.join("baseline").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "baseline.py: {}", text(&out));
    let stats = std::fs::read_to_string(dir.join("baseline/statistics.json")).unwrap();
    let parsed: Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(parsed["records"], 600);
    assert_eq!(parsed["features"][2]["type"], "categorical", "{parsed}");

    aws.driver(&["bucket", "mlcdk-e2e"]);
    let baseline_uri = "s3://mlcdk-e2e/baselines/churn/statistics.json";
    aws.put("statistics.json", &stats, baseline_uri);
    let hour = "2026/12/02/05";
    aws.put(
        "a.jsonl",
        &capture(0),
        &format!("s3://mlcdk-e2e/capture/churn-endpoint/AllTraffic/{hour}/a.jsonl"),
    );
    aws.put(
        "b.jsonl",
        &capture(1),
        &format!("s3://mlcdk-e2e/capture/churn-endpoint/Canary/{hour}/b.jsonl"),
    );
    // The hour before the window: not read (its records would change the count).
    aws.put(
        "old.jsonl",
        &capture(1),
        "s3://mlcdk-e2e/capture/churn-endpoint/AllTraffic/2026/12/02/04/old.jsonl",
    );

    // 1. Data quality against the baseline's URI.
    let end = "2026-12-02T06:00:00Z";
    let (out, report) = aws.monitor(
        "2026-12-02T06:30:00Z",
        "mlcdk/e2e",
        &["--baseline-uri", baseline_uri],
        "report-uri",
    );
    assert!(out.status.success(), "monitor.py: {}", text(&out));
    assert_eq!(report["status"], "ok", "{report}");
    assert_eq!(report["records"], 300, "{report}");
    assert_eq!(report["malformed_records"], 1, "{report}");
    assert_eq!(
        report["window"],
        json!({"start": "2026-12-02T05:00:00Z", "end": end})
    );
    let metrics = aws.metrics("mlcdk/e2e", end);
    let tenure_psi = one(&metrics, "psi", Some("tenure"));
    let charges_psi = one(&metrics, "psi", Some("charges"));
    assert!(
        tenure_psi > 1.0,
        "the drifted feature's PSI is {tenure_psi}"
    );
    assert!(
        charges_psi < 0.1,
        "the stable feature's PSI is {charges_psi}"
    );
    assert!(one(&metrics, "ks", Some("tenure")) > 0.7, "{metrics:?}");
    assert!(one(&metrics, "ks", Some("charges")) < 0.05, "{metrics:?}");
    assert!(
        one(&metrics, "distance", Some("plan")) < 0.01,
        "{metrics:?}"
    );
    assert_eq!(one(&metrics, "no_data", None), 0.0);
    assert_eq!(one(&metrics, "records", None), 300.0);
    assert_eq!(one(&metrics, "malformed_records", None), 1.0);
    assert!((report["features"]["tenure"]["psi"].as_f64().unwrap() - tenure_psi).abs() < 1e-9);
    for (name, _, _, times) in &metrics {
        assert_eq!(
            times,
            &json!([end]),
            "{name} is stamped with the window's end"
        );
    }

    // 2. An empty window: no data, not a failure.
    let (out, report) = aws.monitor(
        "2026-12-02T09:30:00Z",
        "mlcdk/e2e-empty",
        &["--baseline-uri", baseline_uri],
        "report-empty",
    );
    assert!(
        out.status.success(),
        "monitor.py on an empty window: {}",
        text(&out)
    );
    assert_eq!(report["status"], "no_data", "{report}");
    assert_eq!(report["records"], 0, "{report}");
    let empty = aws.metrics("mlcdk/e2e-empty", "2026-12-02T09:00:00Z");
    assert_eq!(one(&empty, "no_data", None), 1.0);
    assert_eq!(one(&empty, "records", None), 0.0);
    assert!(
        empty.iter().all(|(_, f, _, _)| f.is_none()),
        "no drift metric: {empty:?}"
    );

    // 3. The baseline of a registered model version (ModelMetrics.ModelDataQuality).
    let arn = aws.driver(&["package", "churn", baseline_uri]);
    assert!(arn.starts_with("arn:aws:sagemaker:us-east-1:"), "{arn}");
    let (out, report) = aws.monitor(
        "2026-12-02T06:30:00Z",
        "mlcdk/e2e-package",
        &["--baseline-package", &arn],
        "report-package",
    );
    assert!(
        out.status.success(),
        "monitor.py --baseline-package: {}",
        text(&out)
    );
    assert_eq!(report["records"], 300, "{report}");
    let from_package = aws.metrics("mlcdk/e2e-package", end);
    assert!((one(&from_package, "psi", Some("tenure")) - tenure_psi).abs() < 1e-9);

    // 4. A baseline that is not there: one line, non-zero, no report.
    let (out, report) = aws.monitor(
        "2026-12-02T06:30:00Z",
        "mlcdk/e2e-missing",
        &["--baseline-uri", "s3://mlcdk-e2e/nope.json"],
        "report-missing",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("monitor: cannot read the baseline s3://mlcdk-e2e/nope.json"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(report, Value::Null);

    // 5. The contract between the construct and the script: the arguments a
    // synthesized `Monitor` gives its job, run as they are (the report
    // directory aside, and `--now` to pick the window).
    let mut args = synthesized_monitor_arguments();
    assert_eq!(args[0], "python3");
    args.drain(..2); // the interpreter and the container's path of the script
    let report_dir = dir.join("report-contract");
    let at = args.iter().position(|a| a == "--report-dir").unwrap() + 1;
    args[at] = report_dir.to_str().unwrap().to_string();
    let mut all = vec![script("monitor.py")];
    all.extend(args);
    all.extend(["--now".to_string(), "2026-12-02T06:30:00Z".to_string()]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = aws.run(&all);
    assert!(
        out.status.success(),
        "monitor.py with the construct's arguments {all:?}: {}",
        text(&out)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["status"], "ok", "{report}");
    assert_eq!(report["records"], 300, "{report}");
    let contract = aws.metrics("mlcdk/contract", end);
    assert!((one(&contract, "psi", Some("tenure")) - tenure_psi).abs() < 1e-9);

    drop(moto);
    tools::announce(&format!(
        "moto {}: baseline.py, then monitor.py against S3/CloudWatch/SageMaker in moto: drift run (tenure PSI {tenure_psi:.2}, charges PSI {charges_psi:.3}), empty window (no_data 1), --baseline-package run, missing baseline, the arguments a synthesized Monitor gives its job",
        tools::pin("moto").version
    ));
}

/// The job arguments of a `Monitor` on the endpoint and bucket of the test
/// above (a bucket named `mlcdk-e2e`, an imported endpoint `churn-endpoint`
/// capturing under `capture/`), with the bucket's reference resolved to its
/// name as CloudFormation would.
fn synthesized_monitor_arguments() -> Vec<String> {
    use mlcdk_core::{Construct, Stack};
    use mlcdk_monitoring::{Baseline, Monitor, MonitorProps, MonitorSchedule};
    use mlcdk_sagemaker::EndpointRef;
    use mlcdk_storage::{Bucket, BucketProps};

    let mut stack = Stack::for_test();
    let bucket = Bucket::new(
        &mut stack,
        "Data",
        BucketProps {
            bucket_name: Some("mlcdk-e2e".into()),
            ..Default::default()
        },
    );
    Monitor::new(
        &mut stack,
        "Drift",
        MonitorProps {
            capture: Some(bucket.prefix("capture/")),
            namespace: "mlcdk/contract".into(),
            ..MonitorProps::data_quality(
                EndpointRef::from_name("churn-endpoint", ["AllTraffic"]),
                Baseline::File(bucket.prefix("baselines/churn/statistics.json")),
                bucket.prefix("reports/"),
                MonitorSchedule::Hourly,
            )
        },
    );
    let bucket_id = bucket.resource().logical_id().to_string();
    let t = stack.synth().unwrap().template;
    let (_, pipeline) = t
        .resources_of_type("AWS::SageMaker::Pipeline")
        .next()
        .expect("the monitor's pipeline");
    let body = pipeline
        .prop(&["PipelineDefinition", "PipelineDefinitionBody"])
        .unwrap();
    // The body joins literals and references: the bucket's `Ref` is its name.
    let text: String = match body {
        Value::String(s) => s.clone(),
        join => join["Fn::Join"][1]
            .as_array()
            .unwrap()
            .iter()
            .map(|part| match part {
                Value::String(s) => s.clone(),
                r if r["Ref"] == json!(bucket_id) => "mlcdk-e2e".to_string(),
                r if r.get("Fn::Sub").is_some() => r["Fn::Sub"].as_str().unwrap().to_string(),
                // The role ARN and keys are outside the entrypoint.
                _ => "<reference>".to_string(),
            })
            .collect(),
    };
    let definition: Value = serde_json::from_str(&text).unwrap();
    definition["Steps"][0]["Arguments"]["AppSpecification"]["ContainerEntrypoint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}
