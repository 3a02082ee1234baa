//! A real SMTP server for the notification tests: aiosmtpd (from PyPI) running
//! `tests/support/smtp_sink.py`, which writes each accepted message to a directory
//! and refuses recipients at `unreachable.invalid`.
//!
//! The scenarios run when a python with aiosmtpd is found (`./.venv/bin/python`, then
//! `python3`); without one they say so and return, unless
//! `LABELHIVE_TEST_REQUIRE_SMTP` is set, as `.ci/run` does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use crate::helpers::ServerProcess;

static SMTP_NOTE: Once = Once::new();

/// A python that can import aiosmtpd, if any.
fn python() -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    [local, PathBuf::from("python3")].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether the SMTP scenarios can run; `false` (with a note) when aiosmtpd is missing.
pub fn available() -> bool {
    if python().is_some() {
        return true;
    }
    assert!(
        std::env::var("LABELHIVE_TEST_REQUIRE_SMTP").is_err(),
        "LABELHIVE_TEST_REQUIRE_SMTP is set but no python can import aiosmtpd"
    );
    SMTP_NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\nNOTE: aiosmtpd not found (pip install aiosmtpd): the email scenarios did NOT \
             run (they pass vacuously).\n"
        );
    });
    false
}

/// An SMTP server on a loopback port, killed on drop.
pub struct SmtpSink {
    pub port: u16,
    pub dir: tempfile::TempDir,
    _child: ServerProcess,
}

impl SmtpSink {
    /// Starts one on `port` once it accepts connections; call [`available`] first.
    pub async fn start(port: u16) -> SmtpSink {
        let python = python().expect("python with aiosmtpd");
        let dir = tempfile::tempdir().expect("tempdir");
        let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support");
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.Sink"])
            .arg(dir.path())
            .env("PYTHONPATH", &support)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting aiosmtpd with {}: {e}", python.display()));
        let sink = SmtpSink {
            port,
            dir,
            _child: ServerProcess(child),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on port {port}");
    }

    /// The messages received so far, oldest first, as text.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir.path())
            .expect("read sink dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).expect("read message"))
            .collect()
    }

    /// Waits until `n` messages have arrived and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..400 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages, got {:?}", self.messages());
    }
}

/// The sign-in code in a notification email.
pub fn code_in(message: &str) -> String {
    let text = decode_quoted_printable(message);
    let (_, rest) = text
        .split_once("Your sign-in code (valid for 7 days):")
        .unwrap_or_else(|| panic!("no code in {text}"));
    rest.split_whitespace().next().expect("code").to_owned()
}

/// The text of a message as a mail client shows it: quoted-printable soft line
/// breaks joined and `=XX` escapes decoded (a mailer may pick that encoding).
pub fn decode_quoted_printable(message: &str) -> String {
    if !message.contains("Content-Transfer-Encoding: quoted-printable") {
        return message.to_owned();
    }
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
