//! S3-compatible storage: an OBS path `/bucket/key` is key `key` of S3 bucket `bucket`
//! at one endpoint (AWS, MinIO, Ceph, OBS's S3 interface, ...).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use labelhive_domain::blob::{Blob, BlobEntry, BlobWriter, DirEntry, DirStamp};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::DomainError;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::path::Path as StorePath;
use object_store::signer::Signer;
use object_store::ObjectStore;

use super::{blob_entry, blob_error, bucket_location, copy_error, Object};

/// Keys asked for per listing request (the S3 maximum).
const PAGE_KEYS: usize = 1000;

/// How to reach the S3-compatible store. Unset fields fall back to the standard
/// `AWS_*` environment variables, then to AWS's defaults.
#[derive(Clone, Default)]
pub struct S3Options {
    /// Endpoint URL, e.g. `http://127.0.0.1:9000`; with virtual-hosted requests a
    /// `{bucket}` in it is replaced by the bucket name. `None`: AWS's endpoint.
    pub endpoint: Option<String>,
    /// Region, e.g. `us-east-1`.
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), as most self-hosted stores want.
    pub path_style: bool,
}

// The secret never reaches logs.
impl fmt::Debug for S3Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// Buckets of an S3-compatible store, one client per bucket, made on first use.
pub struct S3Blob {
    options: S3Options,
    buckets: Mutex<HashMap<String, Arc<AmazonS3>>>,
    http: reqwest::Client,
}

impl S3Blob {
    /// Checks the options by configuring a client (no request is made).
    pub fn new(options: S3Options) -> anyhow::Result<Self> {
        builder(&options, "labelhive-check").build()?;
        Ok(Self {
            options,
            buckets: Mutex::new(HashMap::new()),
            http: reqwest::Client::new(),
        })
    }

    /// The client of one bucket.
    fn bucket(&self, name: &str) -> Result<Arc<AmazonS3>, DomainError> {
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| DomainError::internal(anyhow::anyhow!("S3 client map poisoned")))?;
        if let Some(store) = buckets.get(name) {
            return Ok(store.clone());
        }
        let store = Arc::new(builder(&self.options, name).build().map_err(blob_error)?);
        buckets.insert(name.to_owned(), store.clone());
        Ok(store)
    }

    /// One object of a bucket.
    fn object(&self, path: &ObsPath) -> Result<Object, DomainError> {
        Ok(Object {
            store: self.bucket(path.bucket())?,
            location: bucket_location(path),
        })
    }

    /// One page of a directory level: its subdirectories and files, and the token of
    /// the next page.
    async fn dir_page(
        &self,
        dir: &ObsPath,
        page_token: Option<String>,
    ) -> Result<(Vec<DirEntry>, Option<String>), DomainError> {
        let store = self.bucket(dir.bucket())?;
        let key = dir.key();
        let prefix = (!key.is_empty()).then(|| format!("{}/", key.trim_end_matches('/')));
        let options = PaginatedListOptions {
            delimiter: Some("/".into()),
            max_keys: Some(PAGE_KEYS),
            page_token,
            ..Default::default()
        };
        let page = store
            .list_paginated(prefix.as_deref(), options)
            .await
            .map_err(blob_error)?;
        let marker = bucket_location(dir);
        let dirs = page.result.common_prefixes.iter().map(|p| {
            let segments = p.parts().map(|s| s.as_ref().to_owned()).collect();
            DirEntry::Dir(ObsPath::from_parts(dir.bucket(), segments).as_dir())
        });
        // A `dir/` marker object (made by consoles for empty folders) is the
        // directory itself, not a file in it.
        let files = page
            .result
            .objects
            .iter()
            .filter(|m| m.location != marker)
            .map(|m| DirEntry::File(blob_entry(dir.bucket(), m, 0)));
        Ok((dirs.chain(files).collect(), page.page_token))
    }

    /// Copies between buckets by streaming through this process.
    async fn copy_across(&self, from: &ObsPath, to: &ObsPath) -> Result<(), DomainError> {
        let Some(mut chunks) = self.stream(from).await? else {
            return Err(DomainError::ObsPathNotFound(from.as_file()));
        };
        let mut writer = self.writer(to).await?;
        while let Some(chunk) = chunks.try_next().await? {
            writer.write(&chunk).await?;
        }
        writer.finish().await
    }
}

/// A client builder for one bucket: the environment first, the options over it.
fn builder(options: &S3Options, bucket: &str) -> AmazonS3Builder {
    let mut b = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_virtual_hosted_style_request(!options.path_style);
    if let Some(endpoint) = &options.endpoint {
        b = b
            .with_endpoint(endpoint.replace("{bucket}", bucket))
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &options.region {
        b = b.with_region(region);
    }
    if let Some(key) = &options.access_key_id {
        b = b.with_access_key_id(key);
    }
    if let Some(secret) = &options.secret_access_key {
        b = b.with_secret_access_key(secret);
    }
    b
}

#[async_trait]
impl Blob for S3Blob {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, DomainError> {
        // HeadBucket, signed by the bucket's own client (object_store has no call
        // for it).
        let store = self.bucket(bucket)?;
        let url = store
            .signed_url(
                reqwest::Method::HEAD,
                &StorePath::default(),
                Duration::from_secs(60),
            )
            .await
            .map_err(blob_error)?;
        let response = self
            .http
            .head(url)
            .send()
            .await
            .map_err(DomainError::internal)?;
        match response.status() {
            s if s.is_success() => Ok(true),
            reqwest::StatusCode::NOT_FOUND => Ok(false),
            s => Err(DomainError::internal(anyhow::anyhow!(
                "S3 HeadBucket {bucket}: {s}"
            ))),
        }
    }

    fn list(&self, prefix: &ObsPath) -> BoxStream<'_, Result<BlobEntry, DomainError>> {
        let store = match self.bucket(prefix.bucket()) {
            Ok(s) => s,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        let location = bucket_location(prefix);
        let bucket = prefix.bucket().to_owned();
        store
            .list(Some(&location))
            .filter_map(move |item| {
                let entry = match item {
                    // The prefix's own folder marker is not a file below it.
                    Ok(meta) if meta.location == location => None,
                    Ok(meta) => Some(Ok(blob_entry(&bucket, &meta, 0))),
                    Err(e) => Some(Err(blob_error(e))),
                };
                futures::future::ready(entry)
            })
            .boxed()
    }

    async fn dir_stamp(&self, _dir: &ObsPath) -> Result<DirStamp, DomainError> {
        // S3 has no directories, so nothing stamps their changes.
        Ok(DirStamp::Unknown)
    }

    fn list_dir(&self, dir: &ObsPath) -> BoxStream<'_, Result<DirEntry, DomainError>> {
        let dir = dir.clone();
        // State: the next page's token, or `None` once the last page is read.
        stream::try_unfold(Some(None), move |next| {
            let dir = dir.clone();
            async move {
                let Some(token) = next else {
                    return Ok(None);
                };
                let (entries, token) = self.dir_page(&dir, token).await?;
                let next = token.map(Some);
                Ok::<_, DomainError>(Some((stream::iter(entries.into_iter().map(Ok)), next)))
            }
        })
        .try_flatten()
        .boxed()
    }

    async fn put(&self, path: &ObsPath, bytes: Vec<u8>) -> Result<(), DomainError> {
        self.object(path)?.put(bytes).await
    }

    async fn delete(&self, path: &ObsPath) -> Result<(), DomainError> {
        self.object(path)?.delete().await
    }

    async fn stream(
        &self,
        path: &ObsPath,
    ) -> Result<Option<BoxStream<'static, Result<Vec<u8>, DomainError>>>, DomainError> {
        self.object(path)?.stream().await
    }

    async fn get(&self, path: &ObsPath) -> Result<Vec<u8>, DomainError> {
        self.object(path)?.get().await
    }

    async fn writer(&self, path: &ObsPath) -> Result<Box<dyn BlobWriter>, DomainError> {
        Ok(self.object(path)?.writer())
    }

    async fn copy(&self, from: &ObsPath, to: &ObsPath) -> Result<(), DomainError> {
        if from.bucket() != to.bucket() {
            return self.copy_across(from, to).await;
        }
        // Same bucket: a server-side copy, no bytes through this process.
        let store = self.bucket(from.bucket())?;
        store
            .copy(&bucket_location(from), &bucket_location(to))
            .await
            .map_err(|e| copy_error(from, e))
    }

    async fn size(&self, path: &ObsPath) -> Result<Option<u64>, DomainError> {
        self.object(path)?.size().await
    }
}
