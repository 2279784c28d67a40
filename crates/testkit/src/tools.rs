//! Pinned external tools, provisioned on first use.
//!
//! A test asks for a tool by name ([`require`]); it gets the pinned version,
//! found in this order:
//!
//! 1. the cache: `<target>/mlcdk-tools/<name>-<version>/`, a Python virtualenv
//!    made by an earlier run (or `$MLCDK_TOOLS_DIR/<name>-<version>/`);
//! 2. the program on `PATH`, **only** when it reports exactly the pinned
//!    version (a different version is named and passed over, never used);
//! 3. a new virtualenv in the cache: `python3 -m venv`, then `pip install
//!    <package>==<version>`. Concurrent test processes take a file lock, so
//!    one installs and the others wait and reuse it.
//!
//! When none of that works (no `python3`, no package index), [`require`]
//! fails the test with one line saying which tool, why, and what to do. A
//! test that needs a tool therefore either runs for real or fails; it never
//! passes without having run. To leave such tests out on purpose, skip them
//! by name: their names start with `external_`
//! (`cargo test --workspace -- --skip external_`).
//!
//! Adding a tool is one line in [`PINS`].

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// One pinned tool: a Python package and the program of it the tests run.
#[derive(Clone, Copy, Debug)]
pub struct Pin {
    /// The name tests ask for.
    pub name: &'static str,
    /// The pip requirement without the version, extras included (`moto[server]`).
    pub package: &'static str,
    /// The one version used.
    pub version: &'static str,
    /// The console script the package installs, which the tests run.
    pub program: &'static str,
    /// Arguments that make `program` print its version, so a copy on `PATH`
    /// can be checked. `None` for programs that cannot say: a copy on `PATH`
    /// is then never used.
    pub version_args: Option<&'static [&'static str]>,
}

/// Every external tool the tests use. One line each. A Python library rather
/// than a program (botocore, say, for a test that reads its service models)
/// is a pin whose `program` is `python`: the test runs the virtualenv's
/// interpreter, which imports exactly the pinned version.
pub const PINS: &[Pin] = &[
    Pin {
        name: "cfn-lint",
        package: "cfn-lint",
        version: "1.58.0",
        program: "cfn-lint",
        version_args: Some(&["--version"]),
    },
    Pin {
        name: "moto",
        package: "moto[server]",
        version: "5.2.5",
        program: "moto_server",
        version_args: None,
    },
    Pin {
        name: "checkov",
        package: "checkov",
        version: "3.2.533",
        program: "checkov",
        version_args: Some(&["--version"]),
    },
    Pin {
        name: "botocore",
        package: "botocore",
        version: "1.44.8",
        program: "python",
        version_args: None,
    },
];

/// A tool ready to run.
#[derive(Clone, Debug)]
pub struct Tool {
    /// The pin it satisfies.
    pub pin: Pin,
    /// The program to run.
    pub program: PathBuf,
    /// Where it came from, for the line the test prints.
    pub origin: Origin,
}

impl Tool {
    /// A `Command` for the program.
    pub fn command(&self) -> Command {
        Command::new(&self.program)
    }
}

/// Where a [`Tool`] came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// The cache, provisioned by an earlier run.
    Cached,
    /// Provisioned by this run, in this many seconds.
    Provisioned(f64),
    /// Found on `PATH` at the pinned version.
    Path,
}

/// Why a tool could not be had: one line, naming the tool and what to do.
#[derive(Clone, Debug)]
pub struct ToolError {
    /// The tool, `name version`.
    pub tool: String,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} could not be provisioned: {}; tests that need it cannot run (install python3 with venv and pip and make PyPI reachable, \
             or put that exact version on PATH; to leave these tests out on purpose: cargo test --workspace -- --skip external_)",
            self.tool, self.reason
        )
    }
}

impl std::error::Error for ToolError {}

/// The pin named `name`.
///
/// # Panics
/// When no pin has that name: a mistake in the test, not in the machine.
pub fn pin(name: &str) -> Pin {
    *PINS
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no pinned tool named {name:?} in mlcdk_testkit::tools::PINS"))
}

/// The tool named `name`, or the test fails with one line saying why.
///
/// Prints which copy is used on the test's real stderr (not captured by the
/// test harness), so the run shows that the external check ran.
pub fn require(name: &str) -> Tool {
    match get(name) {
        Ok(tool) => tool,
        Err(e) => panic!("{e}"),
    }
}

/// The tool named `name`: cached, on `PATH` at the pinned version, or
/// provisioned now. Memoized per process (also a failure, so it is reported
/// once per test binary, not once per test).
pub fn get(name: &str) -> Result<Tool, ToolError> {
    static DONE: OnceLock<Mutex<HashMap<String, Result<Tool, ToolError>>>> = OnceLock::new();
    let pin = pin(name);
    let done = DONE.get_or_init(Default::default);
    // Held while provisioning: other tests of this process wait for the result.
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = done.get(name) {
        return r.clone();
    }
    let r = locate(&pin, &Sources::from_env());
    match &r {
        Ok(tool) => announce(&format!(
            "external tool: {} {} ({}: {})",
            pin.name,
            pin.version,
            match tool.origin {
                Origin::Cached => "cached".to_string(),
                Origin::Provisioned(s) => format!("provisioned in {s:.0} s"),
                Origin::Path => "on PATH".to_string(),
            },
            tool.program.display()
        )),
        Err(e) => announce(&format!("external tool: {e}")),
    }
    done.insert(name.to_string(), r.clone());
    r
}

/// A line on the process's real stderr, past the test harness's capture, so
/// it shows in `cargo test` output whether the test passes or fails.
pub fn announce(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The cache: `$MLCDK_TOOLS_DIR`, else `<target>/mlcdk-tools`.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MLCDK_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    crate::target_dir()
        .map(|t| t.join("mlcdk-tools"))
        .unwrap_or_else(|| std::env::temp_dir().join("mlcdk-tools"))
}

/// Where [`locate`] looks and what it provisions with.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The cache of virtualenvs ([`tools_dir`]).
    pub tools: PathBuf,
    /// The Python that makes the virtualenvs: `$MLCDK_PYTHON`, else `python3`.
    pub python: PathBuf,
    /// The search path for copies already installed (`$PATH`).
    pub path: Option<std::ffi::OsString>,
    /// Say nothing about copies passed over (for this module's own tests).
    pub quiet: bool,
}

impl Sources {
    /// From the environment.
    pub fn from_env() -> Sources {
        Sources {
            tools: tools_dir(),
            python: std::env::var_os("MLCDK_PYTHON")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("python3")),
            path: std::env::var_os("PATH"),
            quiet: false,
        }
    }
}

const MARKER: &str = ".mlcdk-pin";

fn requirement(pin: &Pin) -> String {
    format!("{}=={}", pin.package, pin.version)
}

fn bin_dir(venv: &Path) -> PathBuf {
    venv.join(if cfg!(windows) { "Scripts" } else { "bin" })
}

/// Finds or provisions `pin` from `sources` (see the module docs for the order).
pub fn locate(pin: &Pin, sources: &Sources) -> Result<Tool, ToolError> {
    let tools = sources.tools.as_path();
    let python = sources.python.as_path();
    let venv = tools.join(format!("{}-{}", pin.name, pin.version));
    let program = bin_dir(&venv).join(pin.program);
    if is_provisioned(&venv, pin) && program.is_file() {
        return Ok(Tool {
            pin: *pin,
            program,
            origin: Origin::Cached,
        });
    }
    // Only a program that can say its version is looked for on PATH; for the
    // others (moto_server, a library's python) a copy there proves nothing.
    if pin.version_args.is_some()
        && let Some(found) = on_path(pin.program, sources.path.as_deref())
    {
        match path_version(pin, &found) {
            Some(v) if v == pin.version => {
                return Ok(Tool {
                    pin: *pin,
                    program: found,
                    origin: Origin::Path,
                });
            }
            other => {
                let what = other.unwrap_or_else(|| "of a version it did not report".to_string());
                if !sources.quiet {
                    announce(&format!(
                        "external tool: {} on PATH ({}) is {what}, not the pinned {}; not used",
                        pin.program,
                        found.display(),
                        pin.version
                    ));
                }
            }
        }
    }
    let err = |reason: String| ToolError {
        tool: format!("{} {}", pin.name, pin.version),
        reason,
    };
    std::fs::create_dir_all(tools)
        .map_err(|e| err(format!("cannot create the cache {}: {e}", tools.display())))?;
    // One installer at a time across processes (cargo test runs test binaries
    // one after another, nextest in parallel).
    let lock = tools.join(format!("{}-{}.lock", pin.name, pin.version));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| err(format!("cannot open the lock {}: {e}", lock.display())))?;
    File::lock(&lock).map_err(|e| err(format!("cannot take the install lock: {e}")))?;
    if is_provisioned(&venv, pin) && program.is_file() {
        return Ok(Tool {
            pin: *pin,
            program,
            origin: Origin::Cached,
        });
    }
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(&venv); // a half-made one from an interrupted run
    let made = Command::new(python)
        .args(["-m", "venv"])
        .arg(&venv)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| err(format!("{} cannot be run ({e})", python.display())))?;
    if !made.status.success() {
        return Err(err(format!(
            "`{} -m venv` failed: {}",
            python.display(),
            last_line(&made.stderr)
        )));
    }
    let pip = Command::new(bin_dir(&venv).join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .args(["--retries", "2", "--timeout", "30"])
        .arg(requirement(pin))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| err(format!("the virtualenv's python cannot be run ({e})")))?;
    if !pip.status.success() {
        let _ = std::fs::remove_dir_all(&venv);
        return Err(err(format!(
            "`pip install {}` failed: {}",
            requirement(pin),
            last_line(&pip.stderr)
        )));
    }
    if !program.is_file() {
        return Err(err(format!(
            "{} installed no program {}",
            requirement(pin),
            program.display()
        )));
    }
    if let Some(v) = path_version(pin, &program).filter(|v| v != pin.version) {
        return Err(err(format!(
            "the installed {} reports version {v}",
            pin.program
        )));
    }
    std::fs::write(venv.join(MARKER), requirement(pin))
        .map_err(|e| err(format!("cannot write {}: {e}", venv.join(MARKER).display())))?;
    Ok(Tool {
        pin: *pin,
        program,
        origin: Origin::Provisioned(started.elapsed().as_secs_f64()),
    })
}

fn is_provisioned(venv: &Path, pin: &Pin) -> bool {
    std::fs::read_to_string(venv.join(MARKER)).is_ok_and(|m| m == requirement(pin))
}

/// The first executable file named `program` on `PATH`.
fn on_path(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The version `program` reports: the first whitespace-separated token of its
/// output that starts with a digit (`cfn-lint 1.58.0`, `3.2.533`).
fn path_version(pin: &Pin, program: &Path) -> Option<String> {
    let args = pin.version_args?;
    // A program written a moment ago can be "busy" while another thread's
    // child still holds it open between fork and exec: try again briefly.
    let mut tries = 0;
    let out = loop {
        match Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
        {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => break other.ok()?,
        }
    };
    if !out.status.success() {
        return None;
    }
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
}

fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(no message)")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sources whose python cannot run: nothing can be provisioned.
    fn offline(tools: &Path, path: Option<&Path>) -> Sources {
        Sources {
            tools: tools.to_path_buf(),
            python: PathBuf::from("/nonexistent/python3"),
            path: path.map(|p| p.as_os_str().to_owned()),
            quiet: true,
        }
    }

    /// An executable shell script at `dir/name` printing `says`.
    fn script(dir: &Path, name: &str, says: &str) -> PathBuf {
        let prog = dir.join(name);
        std::fs::write(&prog, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        prog
    }

    #[test]
    fn every_pin_is_unique_and_exact() {
        for (i, p) in PINS.iter().enumerate() {
            assert!(
                PINS[..i].iter().all(|q| q.name != p.name),
                "{} twice",
                p.name
            );
            assert!(
                p.version
                    .split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
                "{}: version {:?} is not an exact release",
                p.name,
                p.version
            );
            assert!(
                !p.package.contains(['=', '<', '>', '~']),
                "{}: version belongs in `version`",
                p.name
            );
        }
    }

    #[test]
    fn no_python_is_one_clear_error() {
        let tools = crate::Scratch::new("tools-no-python");
        let fake = Pin {
            name: "nothing",
            package: "nothing",
            version: "0.0.1",
            program: "mlcdk-no-such-program",
            version_args: None,
        };
        let e = locate(&fake, &offline(tools.path(), None)).unwrap_err();
        let line = e.to_string();
        assert!(
            line.starts_with(
                "nothing 0.0.1 could not be provisioned: /nonexistent/python3 cannot be run"
            ),
            "{line}"
        );
        assert!(line.contains("--skip external_"), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn a_cached_tool_is_used_without_provisioning() {
        let tools = crate::Scratch::new("tools-cached");
        let fake = Pin {
            name: "fake",
            package: "fake",
            version: "1.2.3",
            program: "fake-prog",
            version_args: None,
        };
        let venv = tools.path().join("fake-1.2.3");
        std::fs::create_dir_all(bin_dir(&venv)).unwrap();
        std::fs::write(bin_dir(&venv).join("fake-prog"), "").unwrap();
        std::fs::write(venv.join(MARKER), "fake==1.2.3").unwrap();
        // A python that cannot run proves nothing was provisioned.
        let t = locate(&fake, &offline(tools.path(), None)).unwrap();
        assert_eq!(t.origin, Origin::Cached);
        // A marker for another version is not the pin: provisioning is tried.
        std::fs::write(venv.join(MARKER), "fake==1.2.2").unwrap();
        assert!(locate(&fake, &offline(tools.path(), None)).is_err());
    }

    #[test]
    fn version_is_read_from_the_program_output() {
        let dir = crate::Scratch::new("tools-version");
        let prog = script(dir.path(), "say-version", "cfn-lint 1.51.0");
        let p = pin("cfn-lint");
        assert_eq!(path_version(&p, &prog).as_deref(), Some("1.51.0"));
        let moto = pin("moto");
        assert_eq!(
            path_version(&moto, &prog),
            None,
            "moto cannot say its version"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_program_on_path_is_used_only_at_the_pinned_version() {
        let tools = crate::Scratch::new("tools-path");
        let bin = crate::Scratch::new("tools-path-bin");
        let p = pin("cfn-lint");
        script(bin.path(), "cfn-lint", "cfn-lint 1.51.0");
        // An older copy on PATH is passed over (and, with no python, nothing is left).
        let e = locate(&p, &offline(tools.path(), Some(bin.path()))).unwrap_err();
        assert!(
            e.to_string()
                .contains("cfn-lint 1.58.0 could not be provisioned"),
            "{e}"
        );
        // The pinned version on PATH is used.
        let prog = script(bin.path(), "cfn-lint", &format!("cfn-lint {}", p.version));
        let t = locate(&p, &offline(tools.path(), Some(bin.path()))).unwrap();
        assert_eq!((t.origin, t.program), (Origin::Path, prog));
        // A program that cannot say its version is never taken from PATH.
        let m = pin("moto");
        script(bin.path(), m.program, &format!("moto {}", m.version));
        assert!(locate(&m, &offline(tools.path(), Some(bin.path()))).is_err());
    }
}
