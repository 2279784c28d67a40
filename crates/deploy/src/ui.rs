//! How the deployer talks to the person running it: lines, questions, and a
//! progress display of stack events.

use std::io::{BufRead, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

use crate::api::StackEvent;

/// The deployer's output and questions.
pub trait Ui {
    /// An informational line.
    fn line(&mut self, text: &str);
    /// Something the reader must not miss (replacements, deletions, refusals).
    fn warn(&mut self, text: &str);
    /// Whether questions can be asked (an interactive terminal).
    fn can_ask(&self) -> bool;
    /// Ask a yes/no question; `false` unless the answer is yes.
    fn confirm(&mut self, question: &str) -> bool;
    /// A deployment started, touching about `total` resources.
    fn progress_start(&mut self, total: usize);
    /// A new stack event.
    fn progress_event(&mut self, event: &StackEvent);
    /// The deployment ended (successfully or not).
    fn progress_finish(&mut self);
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the run as interrupted (Ctrl-C): a question being asked is answered
/// "no".
pub fn set_interrupted() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether the run was interrupted.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// A terminal: a progress bar on a TTY, plain lines otherwise.
pub struct TerminalUi {
    interactive: bool,
    bar: Option<ProgressBar>,
    out: Box<dyn Write>,
    /// Standard output went away (`deploy … | head -1`, a pager that quit):
    /// lines go to stderr from then on, so the run can still say what it did
    /// and left behind. Writing on with `println!` panicked mid-deploy.
    out_closed: bool,
}

impl TerminalUi {
    /// Output to stdout; questions only when stdin and stderr are terminals.
    pub fn new() -> TerminalUi {
        TerminalUi::with_output(
            Box::new(std::io::stdout()),
            std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        )
    }

    /// Output to `out`; `interactive` allows questions and the progress bar.
    pub fn with_output(out: Box<dyn Write>, interactive: bool) -> TerminalUi {
        TerminalUi {
            interactive,
            bar: None,
            out,
            out_closed: false,
        }
    }

    /// Whether standard output was found closed (lines went to stderr).
    pub fn output_closed(&self) -> bool {
        self.out_closed
    }

    fn print(&mut self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.println(text);
            return;
        }
        if !self.out_closed {
            if writeln!(self.out, "{text}")
                .and_then(|()| self.out.flush())
                .is_ok()
            {
                return;
            }
            self.out_closed = true;
        }
        let _ = writeln!(std::io::stderr(), "{text}");
    }
}

impl Default for TerminalUi {
    fn default() -> Self {
        TerminalUi::new()
    }
}

impl Ui for TerminalUi {
    fn line(&mut self, text: &str) {
        self.print(text);
    }

    fn warn(&mut self, text: &str) {
        if self.interactive {
            self.print(&format!("\x1b[1;33m{text}\x1b[0m"));
        } else {
            self.print(text);
        }
    }

    fn can_ask(&self) -> bool {
        self.interactive
    }

    fn confirm(&mut self, question: &str) -> bool {
        if !self.interactive {
            return false;
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        // The line is read on a thread of its own so that Ctrl-C (caught by
        // the deployer, see `crate::run`) ends the question as a "no": the
        // change set is then cleaned up like any declined one.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut answer = String::new();
            let read = std::io::stdin().lock().read_line(&mut answer);
            let _ = tx.send(read.map(|_| answer));
        });
        let answer = loop {
            if interrupted() {
                eprintln!();
                return false;
            }
            match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(Ok(answer)) => break answer,
                Ok(Err(_)) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return false,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
        };
        matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
    }

    fn progress_start(&mut self, total: usize) {
        if self.interactive {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            self.bar = Some(bar);
        }
    }

    fn progress_event(&mut self, event: &StackEvent) {
        let text = event_line(event);
        match &self.bar {
            Some(bar) => {
                if event.status.ends_with("_COMPLETE")
                    && event.resource_type != "AWS::CloudFormation::Stack"
                {
                    bar.inc(1);
                }
                bar.set_message(format!("{} {}", event.logical_id, event.status));
                if event.status.ends_with("_FAILED") {
                    bar.println(text);
                }
            }
            None => self.print(&text),
        }
    }

    fn progress_finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// One event as a line: `UPDATE_COMPLETE  Bucket (AWS::S3::Bucket) reason`.
pub fn event_line(event: &StackEvent) -> String {
    let mut text = format!(
        "{:<20} {} ({})",
        event.status, event.logical_id, event.resource_type
    );
    if let Some(r) = &event.reason
        && !r.is_empty()
    {
        text.push_str(": ");
        text.push_str(r);
    }
    text
}

/// Records everything, answers questions as told: for tests.
#[derive(Debug, Default)]
pub struct RecordingUi {
    /// Informational lines, in order.
    pub lines: Vec<String>,
    /// Warnings, in order.
    pub warnings: Vec<String>,
    /// Questions asked, in order.
    pub questions: Vec<String>,
    /// Stack events shown, in order.
    pub events: Vec<StackEvent>,
    /// `None`: not interactive (cannot ask).
    pub answer: Option<bool>,
}

impl RecordingUi {
    /// An interactive UI that answers every question with `answer`.
    pub fn interactive(answer: bool) -> RecordingUi {
        RecordingUi {
            answer: Some(answer),
            ..Default::default()
        }
    }

    /// Everything printed, warnings included, one line each.
    pub fn text(&self) -> String {
        let mut all = self.lines.clone();
        all.extend(self.warnings.iter().cloned());
        all.join("\n")
    }
}

impl Ui for RecordingUi {
    fn line(&mut self, text: &str) {
        self.lines.push(text.to_string());
    }
    fn warn(&mut self, text: &str) {
        self.warnings.push(text.to_string());
    }
    fn can_ask(&self) -> bool {
        self.answer.is_some()
    }
    fn confirm(&mut self, question: &str) -> bool {
        self.questions.push(question.to_string());
        self.answer.unwrap_or(false)
    }
    fn progress_start(&mut self, _total: usize) {}
    fn progress_event(&mut self, event: &StackEvent) {
        self.events.push(event.clone());
    }
    fn progress_finish(&mut self) {}
}
