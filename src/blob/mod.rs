//! Sample file storage behind the domain's `Blob` port, on `object_store`: the local
//! root by default, an S3-compatible store when configured.
//!
//! OBS-style paths `/bucket/key` name a directory under the local root, or an S3
//! bucket and key. Paths arrive as parsed `ObsPath`s, which cannot name anything
//! outside the store.

mod local;
mod s3;

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use labelhive_domain::blob::{BlobEntry, BlobWriter};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::DomainError;
use object_store::buffered::BufWriter;
use object_store::path::{Path as StorePath, PathPart};
use object_store::{ObjectMeta, ObjectStore, PutPayload};
use tokio::io::AsyncWriteExt;

pub use local::LocalBlob;
pub use s3::{S3Blob, S3Options};

/// An object_store failure as a domain error, keeping its cause.
fn blob_error(err: object_store::Error) -> DomainError {
    DomainError::internal(err)
}

/// The key parts of `path` below its bucket.
fn key_parts(path: &ObsPath) -> impl Iterator<Item = PathPart<'_>> {
    path.segments().iter().map(|s| PathPart::from(s.as_str()))
}

/// A listed object as the port names it; `skip` leading location parts are not key.
fn blob_entry(bucket: &str, meta: &ObjectMeta, skip: usize) -> BlobEntry {
    let segments = meta
        .location
        .parts()
        .skip(skip)
        .map(|p| p.as_ref().to_owned())
        .collect();
    BlobEntry {
        path: ObsPath::from_parts(bucket, segments),
        size: meta.size,
        last_modified: meta.last_modified.timestamp_millis(),
    }
}

/// A streaming upload on `object_store`'s buffered writer: multipart once past its
/// buffer (on the local store a staging file renamed into place at the end).
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

/// `object_store` location of a key inside one bucket's store.
fn bucket_location(path: &ObsPath) -> StorePath {
    StorePath::from_iter(key_parts(path))
}

/// One object of a store: the calls both stores make the same way.
struct Object {
    store: Arc<dyn ObjectStore>,
    location: StorePath,
}

impl Object {
    async fn put(&self, bytes: Vec<u8>) -> Result<(), DomainError> {
        self.store
            .put(&self.location, PutPayload::from(bytes))
            .await
            .map_err(blob_error)?;
        Ok(())
    }

    /// Deleting a missing object is not an error.
    async fn delete(&self) -> Result<(), DomainError> {
        match self.store.delete(&self.location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn stream(
        &self,
    ) -> Result<Option<BoxStream<'static, Result<Vec<u8>, DomainError>>>, DomainError> {
        match self.store.get(&self.location).await {
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

    async fn get(&self) -> Result<Vec<u8>, DomainError> {
        let result = self.store.get(&self.location).await.map_err(blob_error)?;
        Ok(result.bytes().await.map_err(blob_error)?.to_vec())
    }

    async fn size(&self) -> Result<Option<u64>, DomainError> {
        match self.store.head(&self.location).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_error(e)),
        }
    }

    fn writer(self) -> Box<dyn BlobWriter> {
        Box::new(StoreWriter(BufWriter::new(self.store, self.location)))
    }
}

/// A failed copy: a missing source is `ObsPathNotFound`.
fn copy_error(from: &ObsPath, err: object_store::Error) -> DomainError {
    match err {
        object_store::Error::NotFound { .. } => DomainError::ObsPathNotFound(from.as_file()),
        e => blob_error(e),
    }
}
