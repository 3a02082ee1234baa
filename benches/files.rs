//! The disk's own ceiling for what the local store does per sample: how many small
//! files one thread can write as a staging file renamed into place (how the store
//! writes every file), create directly, and hard-link (an export's copy), with and
//! without a stat of the source first; and as an
//! unnamed file (`O_TMPFILE`) linked into place, tried for the store and not kept
//! (docs/PERFORMANCE.md). No server: this measures the machine, so the samples
//! bench's add and export figures can be read against it.
//!
//! `cargo bench --bench files`. `LABELHIVE_BENCH_FILES` (default 200000) files per
//! method, in one directory each (as a dataset's input path holds its samples), under
//! `LABELHIVE_BENCH_DIR` (default the system temporary directory).
//!
//! Deleting the files at the end frees as many inodes; ext4 without a journal then
//! allocates slower for a few minutes (docs/PERFORMANCE.md), so leave six minutes
//! before the next benchmark.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// A sample's worth of text.
const TEXT: &[u8] = b"some sample text 123\n";

fn main() {
    let n: usize = std::env::var("LABELHIVE_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let base =
        std::env::var("LABELHIVE_BENCH_DIR").map_or_else(|_| std::env::temp_dir(), Into::into);
    let root = tempfile::tempdir_in(base).expect("temporary directory");
    println!("## Small files on this disk, {n} per method, one thread\n");
    println!("| method | files/s |\n|---|---|");
    let staged = root.path().join("staged");
    run(
        "create a staging file, write, rename into place",
        n,
        &staged,
        |p| {
            let staging = p.with_extension("txt#0");
            File::create_new(&staging)?.write_all(TEXT)?;
            fs::rename(&staging, p)
        },
    );
    run(
        "write an unnamed file (O_TMPFILE), link it into place",
        n,
        &root.path().join("linked"),
        |p| {
            use rustix::fs::{AtFlags, Mode, OFlags, CWD};
            use std::os::fd::AsRawFd;
            let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
            let fd = rustix::fs::open(p.parent().unwrap(), flags, Mode::from_raw_mode(0o666))?;
            let mut file = File::from(fd);
            file.write_all(TEXT)?;
            let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
            rustix::fs::linkat(CWD, proc.as_str(), CWD, p, AtFlags::SYMLINK_FOLLOW)?;
            Ok(())
        },
    );
    run(
        "create the file and write it",
        n,
        &root.path().join("direct"),
        |p| File::create_new(p)?.write_all(TEXT),
    );
    // Each link's source is the staged file of the same name.
    run(
        "hard-link an existing file",
        n,
        &root.path().join("links"),
        |p| fs::hard_link(staged.join(p.file_name().unwrap()), p),
    );
    // What the store's export does before each link: a stat of the source, so that a
    // missing source creates no directory for its target.
    run(
        "stat the source, then hard-link it",
        n,
        &root.path().join("checked-links"),
        |p| {
            let source = staged.join(p.file_name().unwrap());
            assert!(fs::metadata(&source)?.is_file());
            fs::hard_link(source, p)
        },
    );
    run(
        "hard-link an existing file, again",
        n,
        &root.path().join("links-again"),
        |p| fs::hard_link(staged.join(p.file_name().unwrap()), p),
    );
}

/// Times `op` on `n` new paths in a new directory `dir`, and prints the rate.
fn run(what: &str, n: usize, dir: &Path, mut op: impl FnMut(&Path) -> std::io::Result<()>) {
    fs::create_dir_all(dir).expect("directory");
    let started = Instant::now();
    for i in 0..n {
        op(&dir.join(format!("{i}.txt"))).expect(what);
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    println!("| {what} | {rate:.0} |");
}
