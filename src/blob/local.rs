//! The embedded default: `/bucket/key` is `<data-dir>/obs/bucket/key`.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use labelhive_domain::blob::{Blob, BlobEntry, BlobWriter, DirEntry, DirStamp};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::DomainError;
use object_store::local::LocalFileSystem;
use object_store::path::{Path as StorePath, PathPart};
use object_store::ObjectStore;

use super::{blob_entry, blob_error, copy_error, key_parts, Object};

/// Buckets as directories under a local root.
#[derive(Debug, Clone)]
pub struct LocalBlob {
    root: PathBuf,
    store: Arc<LocalFileSystem>,
    /// Batches of writes take turns: threads creating files in one directory at once
    /// spin on its lock and together write fewer files than one thread alone.
    writing: Arc<tokio::sync::Mutex<()>>,
}

impl LocalBlob {
    /// Opens (and creates) the root directory.
    pub fn open(root: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&root)?;
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self {
            root,
            store: Arc::new(store),
            writing: Arc::default(),
        })
    }

    /// Where a path lives on disk.
    fn disk_path(&self, path: &ObsPath) -> PathBuf {
        disk_path(&self.root, path)
    }

    fn object(&self, path: &ObsPath) -> Object {
        Object {
            store: self.store.clone(),
            location: Self::location(path),
        }
    }

    fn location(path: &ObsPath) -> StorePath {
        StorePath::from_iter(std::iter::once(PathPart::from(path.bucket())).chain(key_parts(path)))
    }
}

/// Where a path lives on disk below `root` (`ObsPath` cannot leave the root).
fn disk_path(root: &std::path::Path, path: &ObsPath) -> PathBuf {
    let mut p = root.join(path.bucket());
    p.extend(path.segments());
    p
}

/// Whether a file name is one of the object store's staging files (`name#123`), which
/// are uploads in progress, not objects.
fn is_staging(name: &str) -> bool {
    name.split_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Runs `op` on a path, creating the path's parent directories once if `op` finds
/// them missing.
fn with_parent<T>(
    path: &std::path::Path,
    mut op: impl FnMut() -> std::io::Result<T>,
) -> std::io::Result<T> {
    match op() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path
                .parent()
                .ok_or_else(|| std::io::Error::other("no parent directory"))?;
            std::fs::create_dir_all(parent)?;
            op()
        }
        other => other,
    }
}

/// Creates a staging entry beside `path` (`name#N`, which listings skip) with
/// `create`, taking the next number while one is taken (another upload under way, or
/// one a crash left).
fn staged<T>(
    path: &std::path::Path,
    mut create: impl FnMut(&std::path::Path) -> std::io::Result<T>,
) -> std::io::Result<(PathBuf, T)> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("no file name"))?
        .to_string_lossy()
        .into_owned();
    for n in 0..1000u32 {
        let staging = path.with_file_name(format!("{name}#{n}"));
        match create(&staging) {
            Ok(made) => return Ok((staging, made)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free staging name"))
}

/// Moves a staging entry into place; on failure removes it.
fn settle(staging: &std::path::Path, path: &std::path::Path) -> std::io::Result<()> {
    let moved = std::fs::rename(staging, path);
    if moved.is_err() {
        let _ = std::fs::remove_file(staging);
    }
    moved
}

/// Writes a file as the object store does: a staging file renamed into place, so no
/// reader ever sees half of it; parents are created.
fn write_staged(disk: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let (staging, mut file) = with_parent(disk, || staged(disk, |s| std::fs::File::create_new(s)))?;
    if let Err(e) = file.write_all(bytes) {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    settle(&staging, disk)
}

/// Copies a file as a hard link (same root, same file system: an export of a million
/// files costs a million links, not a million copies). A new name is linked directly;
/// an existing one is replaced by a staged link renamed over it. `NotFound` when the
/// source is missing.
fn link_staged(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    // Checked first, so a missing source creates no directories for its target.
    if !std::fs::metadata(from)?.is_file() {
        return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    }
    match with_parent(to, || std::fs::hard_link(from, to)) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let (staging, ()) = staged(to, |s| std::fs::hard_link(from, s))?;
            settle(&staging, to)
        }
        linked => linked,
    }
}

/// Nanoseconds since the epoch of a file time.
fn nanos(t: std::io::Result<std::time::SystemTime>) -> i64 {
    t.ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[async_trait]
impl Blob for LocalBlob {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, DomainError> {
        match tokio::fs::metadata(self.root.join(bucket)).await {
            Ok(m) => Ok(m.is_dir()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(DomainError::internal(e)),
        }
    }

    fn list(&self, prefix: &ObsPath) -> BoxStream<'_, Result<BlobEntry, DomainError>> {
        let location = Self::location(prefix);
        let bucket = prefix.bucket().to_owned();
        self.store
            .list(Some(&location))
            // Below the root, a location's first part is the bucket.
            .map(move |item| Ok(blob_entry(&bucket, &item.map_err(blob_error)?, 1)))
            .boxed()
    }

    async fn dir_stamp(&self, dir: &ObsPath) -> Result<DirStamp, DomainError> {
        match tokio::fs::metadata(self.disk_path(dir)).await {
            Ok(m) if m.is_dir() => Ok(DirStamp::At(nanos(m.modified()))),
            Ok(_) => Ok(DirStamp::Missing),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DirStamp::Missing),
            Err(e) => Err(DomainError::internal(e)),
        }
    }

    fn list_dir(&self, dir: &ObsPath) -> BoxStream<'_, Result<DirEntry, DomainError>> {
        let disk = self.disk_path(dir);
        let dir = dir.clone();
        let start = async move {
            match tokio::fs::read_dir(&disk).await {
                Ok(rd) => Ok(Some(rd)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(DomainError::internal(e)),
            }
        };
        futures::stream::once(start)
            .map(move |opened| {
                let dir = dir.clone();
                match opened {
                    Ok(Some(rd)) => futures::stream::unfold(rd, move |mut rd| {
                        let dir = dir.clone();
                        async move {
                            loop {
                                let entry = match rd.next_entry().await {
                                    Ok(Some(e)) => e,
                                    Ok(None) => return None,
                                    Err(e) => return Some((Err(DomainError::internal(e)), rd)),
                                };
                                let name = entry.file_name().to_string_lossy().into_owned();
                                if let Some(item) = dir_entry(&dir, &name, &entry).await {
                                    return Some((item, rd));
                                }
                            }
                        }
                    })
                    .boxed(),
                    Ok(None) => futures::stream::empty().boxed(),
                    Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
                }
            })
            .flatten()
            .boxed()
    }

    async fn put(&self, path: &ObsPath, bytes: Vec<u8>) -> Result<(), DomainError> {
        self.object(path).put(bytes).await
    }

    async fn put_many(&self, files: Vec<(ObsPath, Vec<u8>)>) -> Result<(), DomainError> {
        // One blocking task for the whole batch: a task per file cost two thread
        // hand-offs each, more than the file itself (docs/PERFORMANCE.md).
        let root = self.root.clone();
        let _turn = self.writing.lock().await;
        tokio::task::spawn_blocking(move || {
            for (path, bytes) in files {
                write_staged(&disk_path(&root, &path), &bytes).map_err(|e| {
                    DomainError::internal(format!("writing {}: {e}", path.as_file()))
                })?;
            }
            Ok(())
        })
        .await
        .map_err(DomainError::internal)?
    }

    async fn delete(&self, path: &ObsPath) -> Result<(), DomainError> {
        self.object(path).delete().await
    }

    async fn stream(
        &self,
        path: &ObsPath,
    ) -> Result<Option<BoxStream<'static, Result<Vec<u8>, DomainError>>>, DomainError> {
        self.object(path).stream().await
    }

    async fn writer(&self, path: &ObsPath) -> Result<Box<dyn BlobWriter>, DomainError> {
        Ok(self.object(path).writer())
    }

    async fn copy(&self, from: &ObsPath, to: &ObsPath) -> Result<(), DomainError> {
        // The local store hard-links (same root, so same file system): an export of a
        // million files costs a million links, not a million copies.
        let (src, dst) = (Self::location(from), Self::location(to));
        // One link when the target is new; replacing an existing one takes a staged
        // link and a rename.
        let linked = match self.store.copy_if_not_exists(&src, &dst).await {
            Err(object_store::Error::AlreadyExists { .. }) => self.store.copy(&src, &dst).await,
            other => other,
        };
        linked.map_err(|e| copy_error(from, e))
    }

    async fn size(&self, path: &ObsPath) -> Result<Option<u64>, DomainError> {
        self.object(path).size().await
    }

    async fn get(&self, path: &ObsPath) -> Result<Vec<u8>, DomainError> {
        self.object(path).get().await
    }

    async fn sizes(&self, paths: &[ObsPath]) -> Result<Vec<Option<u64>>, DomainError> {
        // One blocking task for the batch, as for `put_many`.
        let disk: Vec<PathBuf> = paths.iter().map(|p| self.disk_path(p)).collect();
        tokio::task::spawn_blocking(move || {
            disk.iter()
                .map(|d| match std::fs::metadata(d) {
                    // A directory is not an object.
                    Ok(m) => Ok(m.is_file().then_some(m.len())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(DomainError::internal(format!("{}: {e}", d.display()))),
                })
                .collect()
        })
        .await
        .map_err(DomainError::internal)?
    }

    async fn copy_many(&self, pairs: Vec<(ObsPath, ObsPath)>) -> Vec<Result<(), DomainError>> {
        let n = pairs.len();
        let root = self.root.clone();
        let _turn = self.writing.lock().await;
        let done = tokio::task::spawn_blocking(move || {
            pairs
                .iter()
                .map(|(from, to)| {
                    link_staged(&disk_path(&root, from), &disk_path(&root, to)).map_err(|e| {
                        if e.kind() == std::io::ErrorKind::NotFound {
                            DomainError::ObsPathNotFound(from.as_file())
                        } else {
                            DomainError::internal(format!("copying {}: {e}", from.as_file()))
                        }
                    })
                })
                .collect()
        })
        .await;
        done.unwrap_or_else(|e| {
            let msg = e.to_string();
            (0..n)
                .map(|_| Err(DomainError::internal(msg.clone())))
                .collect()
        })
    }
}

/// One directory entry as the port names it; `None` for entries that are not objects
/// (staging files, names the store cannot hold, sockets and the like).
async fn dir_entry(
    dir: &ObsPath,
    name: &str,
    entry: &tokio::fs::DirEntry,
) -> Option<Result<DirEntry, DomainError>> {
    if is_staging(name) {
        return None;
    }
    let path = dir.join(name).ok()?;
    let meta = match entry.metadata().await {
        Ok(m) => m,
        // Removed between the listing and the stat: it is gone.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(DomainError::internal(e))),
    };
    if meta.is_dir() {
        Some(Ok(DirEntry::Dir(path.as_dir())))
    } else if meta.is_file() {
        Some(Ok(DirEntry::File(BlobEntry {
            path,
            size: meta.len(),
            last_modified: nanos(meta.modified()) / 1_000_000,
        })))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_many_writes_whole_files_and_leaves_no_staging_file() {
        let dir = tempfile::tempdir().unwrap();
        let blob = LocalBlob::open(dir.path().to_path_buf()).unwrap();
        let p = |s: &str| ObsPath::parse("p", s).unwrap();
        blob.put(&p("/bkt/in/a.txt"), b"old".to_vec())
            .await
            .unwrap();
        blob.put_many(vec![
            (p("/bkt/in/a.txt"), b"new a".to_vec()),
            (p("/bkt/in/deep/er/b.txt"), b"b".to_vec()),
        ])
        .await
        .unwrap();
        assert_eq!(blob.get(&p("/bkt/in/a.txt")).await.unwrap(), b"new a");
        assert_eq!(blob.get(&p("/bkt/in/deep/er/b.txt")).await.unwrap(), b"b");
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("bkt/in"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.txt", "deep"]);
        // A staging file left by a crash does not block the next write of that name.
        std::fs::write(dir.path().join("bkt/in/c.txt#0"), b"half").unwrap();
        blob.put_many(vec![(p("/bkt/in/c.txt"), b"c".to_vec())])
            .await
            .unwrap();
        assert_eq!(blob.get(&p("/bkt/in/c.txt")).await.unwrap(), b"c");
        assert!(blob
            .list(&p("/bkt/in/"))
            .map(|e| e.unwrap().path.as_file())
            .collect::<Vec<_>>()
            .await
            .iter()
            .all(|f| !f.contains('#')));
    }

    #[tokio::test]
    async fn copy_many_links_replaces_and_reports_missing_sources_alone() {
        let dir = tempfile::tempdir().unwrap();
        let blob = LocalBlob::open(dir.path().to_path_buf()).unwrap();
        let p = |s: &str| ObsPath::parse("p", s).unwrap();
        blob.put(&p("/bkt/in/a.txt"), b"a".to_vec()).await.unwrap();
        blob.put(&p("/bkt/in/sub/b.txt"), b"b".to_vec())
            .await
            .unwrap();
        blob.put(&p("/bkt/out/old.txt"), b"old".to_vec())
            .await
            .unwrap();
        let done = blob
            .copy_many(vec![
                (p("/bkt/in/a.txt"), p("/bkt/out/new/a.txt")),
                (p("/bkt/in/a.txt"), p("/bkt/out/old.txt")),
                (p("/bkt/in/gone.txt"), p("/bkt/lost/gone.txt")),
                // A directory is no object: to a new name, and over an existing one.
                (p("/bkt/in/sub"), p("/bkt/out/sub")),
                (p("/bkt/in/sub"), p("/bkt/out/old.txt")),
            ])
            .await;
        assert!(done[0].is_ok() && done[1].is_ok(), "{done:?}");
        assert!(
            matches!(&done[2], Err(DomainError::ObsPathNotFound(f)) if f == "/bkt/in/gone.txt"),
            "{done:?}"
        );
        for refused in &done[3..] {
            assert!(
                matches!(refused, Err(DomainError::ObsPathNotFound(f)) if f == "/bkt/in/sub"),
                "{done:?}"
            );
        }
        assert_eq!(blob.get(&p("/bkt/out/new/a.txt")).await.unwrap(), b"a");
        assert_eq!(blob.get(&p("/bkt/out/old.txt")).await.unwrap(), b"a");
        // A missing source makes no directory for its target, and no staging entry stays.
        assert!(!dir.path().join("bkt/lost").exists());
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("bkt/out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["new", "old.txt"]);
    }

    #[tokio::test]
    async fn listing_finds_nested_files_and_only_below_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let blob = LocalBlob::open(dir.path().to_path_buf()).unwrap();
        for p in ["/bkt/in/a.jpg", "/bkt/in/sub/b.jpg", "/bkt/other/c.jpg"] {
            blob.put(&ObsPath::parse("p", p).unwrap(), b"x".to_vec())
                .await
                .unwrap();
        }
        let prefix = ObsPath::parse("p", "/bkt/in/").unwrap();
        let mut found: Vec<String> = blob
            .list(&prefix)
            .map(|e| e.unwrap().path.as_file())
            .collect()
            .await;
        found.sort();
        assert_eq!(found, ["/bkt/in/a.jpg", "/bkt/in/sub/b.jpg"]);
        assert!(blob.bucket_exists("bkt").await.unwrap());
        assert!(!blob.bucket_exists("nope").await.unwrap());
        assert_eq!(
            blob.get(&ObsPath::parse("p", "/bkt/in/a.jpg").unwrap())
                .await
                .unwrap(),
            b"x"
        );
    }

    #[tokio::test]
    async fn a_directory_level_lists_files_and_subdirectories_not_uploads() {
        let dir = tempfile::tempdir().unwrap();
        let blob = LocalBlob::open(dir.path().to_path_buf()).unwrap();
        for p in ["/bkt/in/a.jpg", "/bkt/in/sub/b.jpg"] {
            blob.put(&ObsPath::parse("p", p).unwrap(), b"xy".to_vec())
                .await
                .unwrap();
        }
        // An upload in progress is a staging file, not an object.
        std::fs::write(dir.path().join("bkt/in/c.jpg#3"), b"partial").unwrap();
        let level = ObsPath::parse("p", "/bkt/in/").unwrap();
        let mut entries: Vec<String> = blob
            .list_dir(&level)
            .map(|e| match e.unwrap() {
                DirEntry::File(f) => format!("file {} {}", f.path.as_file(), f.size),
                DirEntry::Dir(d) => format!("dir {d}"),
            })
            .collect()
            .await;
        entries.sort();
        assert_eq!(entries, ["dir /bkt/in/sub/", "file /bkt/in/a.jpg 2"]);
        assert!(matches!(
            blob.dir_stamp(&level).await.unwrap(),
            DirStamp::At(_)
        ));
        let missing = ObsPath::parse("p", "/bkt/nope/").unwrap();
        assert_eq!(blob.dir_stamp(&missing).await.unwrap(), DirStamp::Missing);
        assert_eq!(blob.list_dir(&missing).count().await, 0);
        // Copying links the file; a second copy replaces the first.
        let copy = ObsPath::parse("p", "/bkt/out/a.jpg").unwrap();
        let from = ObsPath::parse("p", "/bkt/in/a.jpg").unwrap();
        blob.copy(&from, &copy).await.unwrap();
        blob.copy(&from, &copy).await.unwrap();
        assert_eq!(blob.get(&copy).await.unwrap(), b"xy");
        let gone = ObsPath::parse("p", "/bkt/in/none.jpg").unwrap();
        assert!(matches!(
            blob.copy(&gone, &copy).await,
            Err(DomainError::ObsPathNotFound(_))
        ));
    }
}
