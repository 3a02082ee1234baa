//! The blob port: sample files behind a small interface, keyed by [`ObsPath`].

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::obs_path::ObsPath;
use crate::DomainError;

/// A stored object found by a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    /// Its path.
    pub path: ObsPath,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, ms.
    pub last_modified: i64,
}

/// One entry of a directory level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirEntry {
    /// A file directly inside.
    File(BlobEntry),
    /// A subdirectory, in directory form (`/bucket/dir/sub/`).
    Dir(String),
}

/// A streaming upload: the object appears, whole, only when [`BlobWriter::finish`]
/// succeeds; a writer dropped unfinished leaves no object at its path.
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends bytes.
    async fn write(&mut self, bytes: &[u8]) -> Result<(), DomainError>;
    /// Completes the upload.
    async fn finish(self: Box<Self>) -> Result<(), DomainError>;
}

/// What a directory's change stamp says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirStamp {
    /// The directory does not exist.
    Missing,
    /// It exists; the stamp changes whenever an entry directly inside is added,
    /// removed or renamed.
    At(i64),
    /// The store keeps no stamps (S3): only a listing tells what is inside.
    Unknown,
}

/// Operations in flight at once in the batch calls' default (one request each).
const MANY_IN_FLIGHT: usize = 16;

/// Sample file storage: the local root or an S3-compatible store.
#[async_trait]
pub trait Blob: Send + Sync {
    /// Whether the bucket exists.
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, DomainError>;
    /// Every object below `prefix`, recursively, as a stream (memory stays flat).
    fn list(&self, prefix: &ObsPath) -> BoxStream<'_, Result<BlobEntry, DomainError>>;
    /// A directory's change stamp.
    async fn dir_stamp(&self, dir: &ObsPath) -> Result<DirStamp, DomainError>;
    /// The entries directly inside a directory, as a stream (memory stays flat).
    fn list_dir(&self, dir: &ObsPath) -> BoxStream<'_, Result<DirEntry, DomainError>>;
    /// Writes an object.
    async fn put(&self, path: &ObsPath, bytes: Vec<u8>) -> Result<(), DomainError>;
    /// Writes several objects, a few at a time; the first failure is the answer (the
    /// objects written before it stay, as separate puts would leave them).
    async fn put_many(&self, files: Vec<(ObsPath, Vec<u8>)>) -> Result<(), DomainError> {
        use futures::stream::{StreamExt, TryStreamExt};
        futures::stream::iter(files)
            .map(|(path, bytes)| async move { self.put(&path, bytes).await })
            .buffer_unordered(MANY_IN_FLIGHT)
            .try_collect()
            .await
    }
    /// Deletes an object; deleting a missing one is not an error.
    async fn delete(&self, path: &ObsPath) -> Result<(), DomainError>;
    /// Streams an object in chunks; `None` when it does not exist.
    async fn stream(
        &self,
        path: &ObsPath,
    ) -> Result<Option<BoxStream<'static, Result<Vec<u8>, DomainError>>>, DomainError>;
    /// Reads a whole object (small objects only; large ones are streamed by the server).
    async fn get(&self, path: &ObsPath) -> Result<Vec<u8>, DomainError>;
    /// Opens a streaming upload to `path` (memory stays flat however large the object).
    async fn writer(&self, path: &ObsPath) -> Result<Box<dyn BlobWriter>, DomainError>;
    /// Copies a file (server-side where the store can); `ObsPathNotFound` when `from`
    /// does not exist.
    async fn copy(&self, from: &ObsPath, to: &ObsPath) -> Result<(), DomainError>;
    /// Size of a file, `None` when absent.
    async fn size(&self, path: &ObsPath) -> Result<Option<u64>, DomainError>;
    /// Sizes of several files, in order, `None` where absent; checked a few at a time.
    async fn sizes(&self, paths: &[ObsPath]) -> Result<Vec<Option<u64>>, DomainError> {
        use futures::stream::{StreamExt, TryStreamExt};
        let checks: Vec<_> = paths.iter().map(|path| self.size(path)).collect();
        futures::stream::iter(checks)
            .buffered(MANY_IN_FLIGHT)
            .try_collect()
            .await
    }
    /// Copies several files; each pair gets its own result, in order
    /// (`ObsPathNotFound` for a missing source).
    async fn copy_many(&self, pairs: Vec<(ObsPath, ObsPath)>) -> Vec<Result<(), DomainError>> {
        use futures::stream::StreamExt;
        futures::stream::iter(pairs)
            .map(|(from, to)| async move { self.copy(&from, &to).await })
            .buffered(MANY_IN_FLIGHT)
            .collect()
            .await
    }
}
