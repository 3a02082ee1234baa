//! The COCO document of a DIR export (`annotation_format` COCO), written as the
//! samples go by: images straight into the document, annotations spooled to a local
//! file (COCO lists every image before any annotation) and appended at the end, so
//! memory stays flat however many samples the export takes.

use std::path::PathBuf;

use labelhive_domain::annotation::{ImageSize, SampleLabel};
use labelhive_domain::blob::BlobWriter;
use labelhive_domain::coco::{annotation, image_entry, Categories};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::DomainError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::app::AppState;

/// Bytes read back from the spool at a time.
const SPOOL_CHUNK: usize = 256 * 1024;

/// A COCO document being written.
pub(crate) struct CocoSink {
    doc: Box<dyn BlobWriter>,
    spool: tokio::io::BufWriter<tokio::fs::File>,
    spool_path: PathBuf,
    categories: Categories,
    images: u64,
    annotations: u64,
}

impl CocoSink {
    /// Opens the document at `path`, with the dataset's labels as its first categories.
    pub async fn open(
        state: &AppState,
        path: &str,
        job_id: &str,
        label_names: impl IntoIterator<Item = &str>,
    ) -> Result<Self, DomainError> {
        let dir = state.config.data_dir.join("tmp");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(DomainError::internal)?;
        // A rerun after a crash starts over, so the spool is truncated.
        let spool_path = dir.join(format!("export-{job_id}.coco-annotations"));
        let file = tokio::fs::File::create(&spool_path)
            .await
            .map_err(DomainError::internal)?;
        let mut doc = state.blob.writer(&ObsPath::parse("coco", path)?).await?;
        let head = serde_json::json!({"description": format!("Labelhive export {job_id}")});
        doc.write(format!("{{\"info\":{head},\"licenses\":[],\"images\":[").as_bytes())
            .await?;
        Ok(Self {
            doc,
            spool: tokio::io::BufWriter::new(file),
            spool_path,
            categories: Categories::new(label_names),
            images: 0,
            annotations: 0,
        })
    }

    /// Adds one image with its labels; returns how many labels COCO cannot hold.
    pub async fn add(
        &mut self,
        file_name: &str,
        size: Option<ImageSize>,
        labels: &[SampleLabel],
    ) -> Result<i64, DomainError> {
        self.images += 1;
        let image_id = self.images;
        let sep = if image_id == 1 { "" } else { "," };
        let entry = image_entry(image_id, file_name, size);
        self.doc.write(format!("{sep}{entry}").as_bytes()).await?;
        let mut skipped = 0;
        for label in labels {
            let category = self
                .categories
                .id(label.name.as_deref().unwrap_or_default());
            let Some(a) = annotation(self.annotations + 1, image_id, category, label) else {
                // Classification labels carry no shape; only shapes count as left out.
                if label.property.contains_key("@modelarts:feature") {
                    skipped += 1;
                }
                continue;
            };
            self.annotations += 1;
            let sep = if self.annotations == 1 { "" } else { "," };
            self.spool
                .write_all(format!("{sep}{a}").as_bytes())
                .await
                .map_err(DomainError::internal)?;
        }
        Ok(skipped)
    }

    /// Appends the annotations and categories and completes the document.
    pub async fn finish(mut self) -> Result<(), DomainError> {
        self.spool.flush().await.map_err(DomainError::internal)?;
        drop(self.spool);
        self.doc.write(b"],\"annotations\":[").await?;
        let mut file = tokio::fs::File::open(&self.spool_path)
            .await
            .map_err(DomainError::internal)?;
        let mut buf = vec![0u8; SPOOL_CHUNK];
        loop {
            let n = file.read(&mut buf).await.map_err(DomainError::internal)?;
            if n == 0 {
                break;
            }
            self.doc.write(&buf[..n]).await?;
        }
        let tail = format!("],\"categories\":{}}}", self.categories.to_json());
        self.doc.write(tail.as_bytes()).await?;
        self.doc.finish().await?;
        let _ = tokio::fs::remove_file(&self.spool_path).await;
        Ok(())
    }
}
