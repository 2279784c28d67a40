//! The SDK adapter of the three drift calls (`aws::SdkCloudFormation`),
//! through the real SDK against a local HTTP stub that answers with
//! CloudFormation's XML, as documented on the API pages
//! (API_DetectStackDrift.html, API_DescribeStackDriftDetectionStatus.html,
//! API_DescribeStackResourceDrifts.html). moto does not implement these
//! calls, so this is what checks that statuses, property differences and
//! pages reach the deployer as CloudFormation sends them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mlcdk_deploy::api::{CloudFormationApi, PropertyDifference};
use mlcdk_deploy::aws::{SdkCloudFormation, local_config};

const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

fn answer(action: &str, result: &str) -> String {
    format!(
        "<{action}Response xmlns=\"{NS}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></{action}Response>"
    )
}

/// The answer to one request body (form-encoded, `Action=…&…`).
fn respond(body: &str) -> String {
    let action = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or_default();
    match action {
        "DetectStackDrift" => answer(
            action,
            "<StackDriftDetectionId>b78ac9b0-dec1-11e7-a451-503a3e4a4b2e</StackDriftDetectionId>",
        ),
        "DescribeStackDriftDetectionStatus" => answer(
            action,
            "<StackId>arn:aws:cloudformation:us-east-1:111111111111:stack/s/1</StackId>\
             <StackDriftDetectionId>b78ac9b0-dec1-11e7-a451-503a3e4a4b2e</StackDriftDetectionId>\
             <StackDriftStatus>DRIFTED</StackDriftStatus>\
             <DetectionStatus>DETECTION_FAILED</DetectionStatus>\
             <DetectionStatusReason>Failed to detect drift on resource [Queue]</DetectionStatusReason>\
             <DriftedStackResourceCount>1</DriftedStackResourceCount>\
             <Timestamp>2026-12-02T06:00:00Z</Timestamp>",
        ),
        "DescribeStackResourceDrifts" if !body.contains("NextToken=") => answer(
            action,
            "<StackResourceDrifts><member>\
               <StackId>arn:aws:cloudformation:us-east-1:111111111111:stack/s/1</StackId>\
               <LogicalResourceId>Data</LogicalResourceId>\
               <PhysicalResourceId>data-bucket</PhysicalResourceId>\
               <ResourceType>AWS::S3::Bucket</ResourceType>\
               <ExpectedProperties>{}</ExpectedProperties><ActualProperties>{}</ActualProperties>\
               <PropertyDifferences>\
                 <member><PropertyPath>/VersioningConfiguration/Status</PropertyPath>\
                   <ExpectedValue>Enabled</ExpectedValue><ActualValue>Suspended</ActualValue>\
                   <DifferenceType>NOT_EQUAL</DifferenceType></member>\
                 <member><PropertyPath>/Tags/2</PropertyPath>\
                   <ExpectedValue></ExpectedValue><ActualValue>{&quot;Key&quot;:&quot;owner&quot;}</ActualValue>\
                   <DifferenceType>ADD</DifferenceType></member>\
               </PropertyDifferences>\
               <StackResourceDriftStatus>MODIFIED</StackResourceDriftStatus>\
               <Timestamp>2026-12-02T06:00:00Z</Timestamp>\
             </member></StackResourceDrifts><NextToken>page2</NextToken>",
        ),
        "DescribeStackResourceDrifts" => answer(
            action,
            "<StackResourceDrifts>\
               <member><StackId>s</StackId><LogicalResourceId>Role</LogicalResourceId>\
                 <ResourceType>AWS::IAM::Role</ResourceType>\
                 <StackResourceDriftStatus>UNKNOWN</StackResourceDriftStatus>\
                 <DriftStatusReason>Internal failure</DriftStatusReason>\
                 <Timestamp>2026-12-02T06:00:00Z</Timestamp></member>\
               <member><StackId>s</StackId><LogicalResourceId>Topic</LogicalResourceId>\
                 <ResourceType>AWS::SNS::Topic</ResourceType>\
                 <StackResourceDriftStatus>IN_SYNC</StackResourceDriftStatus>\
                 <Timestamp>2026-12-02T06:00:00Z</Timestamp></member>\
             </StackResourceDrifts>",
        ),
        other => panic!("unexpected action {other:?} in {body}"),
    }
}

/// Serves `respond` on a free port, one request per connection; returns the
/// endpoint and the request bodies seen.
fn stub() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let body = String::from_utf8_lossy(&body).into_owned();
            let xml = respond(&body);
            log.lock().unwrap().push(body);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
        }
    });
    (endpoint, seen)
}

#[test]
fn drift_answers_reach_the_deployer_as_cloudformation_sends_them() {
    let (endpoint, seen) = stub();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cfn = SdkCloudFormation::new(&local_config(&endpoint, "us-east-1").await);
        let id = cfn.detect_stack_drift("test-staging").await.unwrap();
        assert_eq!(id, "b78ac9b0-dec1-11e7-a451-503a3e4a4b2e");

        let status = cfn.drift_detection_status(&id).await.unwrap();
        assert_eq!(status.status, "DETECTION_FAILED");
        assert_eq!(
            status.status_reason.as_deref(),
            Some("Failed to detect drift on resource [Queue]")
        );
        assert_eq!(status.stack_drift_status.as_deref(), Some("DRIFTED"));
        assert_eq!(status.drifted_count, Some(1));

        let drifts = cfn.resource_drifts("test-staging").await.unwrap();
        assert_eq!(drifts.len(), 3, "both pages: {drifts:?}");
        let data = &drifts[0];
        assert_eq!(
            (
                data.logical_id.as_str(),
                data.status.as_str(),
                data.resource_type.as_str()
            ),
            ("Data", "MODIFIED", "AWS::S3::Bucket")
        );
        assert_eq!(data.physical_id.as_deref(), Some("data-bucket"));
        assert_eq!(
            data.differences,
            [
                PropertyDifference {
                    path: "/VersioningConfiguration/Status".into(),
                    expected: "Enabled".into(),
                    actual: "Suspended".into(),
                    kind: "NOT_EQUAL".into(),
                },
                PropertyDifference {
                    path: "/Tags/2".into(),
                    expected: String::new(),
                    actual: "{\"Key\":\"owner\"}".into(),
                    kind: "ADD".into(),
                },
            ]
        );
        assert_eq!(drifts[1].status, "UNKNOWN");
        assert_eq!(drifts[1].status_reason.as_deref(), Some("Internal failure"));
        assert_eq!(drifts[2].status, "IN_SYNC");
    });
    let seen = seen.lock().unwrap();
    assert!(
        seen[0].contains("Action=DetectStackDrift") && seen[0].contains("StackName=test-staging"),
        "{seen:?}"
    );
    assert!(
        seen[1].contains("StackDriftDetectionId=b78ac9b0"),
        "{seen:?}"
    );
    // No status filter: every resource, in sync ones too; the second page
    // asked for by its token.
    assert!(
        !seen[2].contains("StackResourceDriftStatusFilters"),
        "{seen:?}"
    );
    assert!(seen[3].contains("NextToken=page2"), "{seen:?}");
}
