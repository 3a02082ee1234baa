//! Sample file storage behind the domain's `Blob` port, on `object_store`.
//!
//! The embedded default maps `/bucket/key` to `<data-dir>/obs/bucket/key`. Paths
//! arrive as parsed `ObsPath`s, which cannot name anything outside that root.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use labelhive_domain::blob::{Blob, BlobEntry, BlobWriter};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::DomainError;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::{Path as StorePath, PathPart};
use object_store::{ObjectStore, PutPayload};
use tokio::io::AsyncWriteExt;

/// Buckets as directories under a local root.
#[derive(Debug, Clone)]
pub struct LocalBlob {
    root: PathBuf,
    store: Arc<LocalFileSystem>,
}

impl LocalBlob {
    /// Opens (and creates) the root directory.
    pub fn open(root: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&root)?;
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self {
            root,
            store: Arc::new(store),
        })
    }

    fn location(path: &ObsPath) -> StorePath {
        let parts =
            std::iter::once(path.bucket()).chain(path.segments().iter().map(String::as_str));
        StorePath::from_iter(parts.map(PathPart::from))
    }
}

fn blob_error(err: object_store::Error) -> DomainError {
    DomainError::internal(err)
}

/// A streaming upload on `object_store`'s buffered writer: multipart once past its
/// buffer, which on the local store is a staging file renamed into place at the end.
struct StoreWriter(BufWriter);

#[async_trait]
impl BlobWriter for StoreWriter {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), DomainError> {
        self.0.write_all(bytes).await.map_err(DomainError::internal)
    }

    async fn finish(mut self: Box<Self>) -> Result<(), DomainError> {
        self.0.shutdown().await.map_err(DomainError::internal)
    }
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
        self.store
            .list(Some(&location))
            .map(|item| {
                let meta = item.map_err(blob_error)?;
                let mut parts = meta.location.parts();
                let bucket = parts
                    .next()
                    .map(|p| p.as_ref().to_owned())
                    .unwrap_or_default();
                let segments = parts.map(|p| p.as_ref().to_owned()).collect();
                Ok(BlobEntry {
                    path: ObsPath::from_parts(&bucket, segments),
                    size: meta.size,
                    last_modified: meta.last_modified.timestamp_millis(),
                })
            })
            .boxed()
    }

    async fn put(&self, path: &ObsPath, bytes: Vec<u8>) -> Result<(), DomainError> {
        self.store
            .put(&Self::location(path), PutPayload::from(bytes))
            .await
            .map_err(blob_error)?;
        Ok(())
    }

    async fn delete(&self, path: &ObsPath) -> Result<(), DomainError> {
        match self.store.delete(&Self::location(path)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn stream(
        &self,
        path: &ObsPath,
    ) -> Result<Option<BoxStream<'static, Result<Vec<u8>, DomainError>>>, DomainError> {
        match self.store.get(&Self::location(path)).await {
            Ok(result) => Ok(Some(
                result
                    .into_stream()
                    .map(|chunk| chunk.map(|b| b.to_vec()).map_err(blob_error))
                    .boxed(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn writer(&self, path: &ObsPath) -> Result<Box<dyn BlobWriter>, DomainError> {
        let store: Arc<dyn ObjectStore> = self.store.clone();
        Ok(Box::new(StoreWriter(BufWriter::new(
            store,
            Self::location(path),
        ))))
    }

    async fn copy(&self, from: &ObsPath, to: &ObsPath) -> Result<(), DomainError> {
        // The local store hard-links (same root, so same file system): an export of a
        // million files costs a million links, not a million copies.
        match self
            .store
            .copy(&Self::location(from), &Self::location(to))
            .await
        {
            Ok(()) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => {
                Err(DomainError::ObsPathNotFound(from.as_file()))
            }
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn size(&self, path: &ObsPath) -> Result<Option<u64>, DomainError> {
        match self.store.head(&Self::location(path)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn get(&self, path: &ObsPath) -> Result<Vec<u8>, DomainError> {
        let result = self
            .store
            .get(&Self::location(path))
            .await
            .map_err(blob_error)?;
        Ok(result.bytes().await.map_err(blob_error)?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
