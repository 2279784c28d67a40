//! A moto server for one test: started on a free port, waited for, killed
//! when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `moto_server`, killed when dropped (also when the test
/// panics).
pub struct MotoServer {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MotoServer {
    /// Starts `server` (the pinned `moto_server`, see
    /// [`tools::require`](crate::tools::require)) over HTTP and waits until
    /// it answers.
    pub fn start(server: &Path) -> MotoServer {
        MotoServer::start_with(server, &[], false)
    }

    /// Starts `server` with `extra` arguments (e.g. `--ssl`, with `tls`
    /// true) and waits at most a minute for it; panics with the port when
    /// it does not come up.
    pub fn start_with(server: &Path, extra: &[&str], tls: bool) -> MotoServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let moto = MotoServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        // Over TLS, plain HTTP gets no status line: wait for the port instead.
        let ready = |port| {
            if tls {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            } else {
                http_get_status(port, "/moto-api/") == Some(200)
            }
        };
        while !ready(port) {
            assert!(
                Instant::now() < deadline,
                "moto did not answer on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The status code of `GET path`, or `None` when nothing answers.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace().nth(1)?.parse().ok()
}
