//! The review's D4 and M2 through the real SDK, with no external tool: an
//! endpoint that accepts connections and never answers ends in an error
//! within the bounds instead of a hang, and a refused connection is one
//! readable line rather than a `Debug` dump.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use mlcdk_deploy::api::Identity;
use mlcdk_deploy::aws::{SdkSts, Timeouts, local_config_with};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn short() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(1),
        read: Duration::from_secs(1),
        attempt: Duration::from_secs(2),
        operation: Duration::from_secs(3),
    }
}

#[test]
fn an_endpoint_that_never_answers_times_out() {
    // Accepts connections (the kernel completes the handshake into the
    // backlog) and never reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let err = runtime().block_on(async {
        let config = local_config_with(&endpoint, "us-east-1", short()).await;
        SdkSts::new(&config).account_id().await.unwrap_err()
    });
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    let text = err.to_string();
    assert!(
        text.contains("timeout") || text.contains("timed out"),
        "{text}"
    );
    assert!(!text.contains('\n') && text.len() < 400, "{text}");
    drop(silent);
}

#[test]
fn a_refused_connection_is_one_readable_line() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again: nothing listens there now
    let endpoint = format!("http://127.0.0.1:{port}");
    let err = runtime().block_on(async {
        let config = local_config_with(&endpoint, "us-east-1", short()).await;
        SdkSts::new(&config).account_id().await.unwrap_err()
    });
    let text = err.to_string();
    assert!(text.starts_with("dispatch failure: "), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
    assert!(
        !text.contains("DispatchFailure") && text.len() < 300,
        "{text}"
    );
}
