//! COCO import (extension): the images of one COCO document, found relative to the
//! document's folder, with their boxes and polygons.
//!
//! COCO lists annotations apart from their images, so the document is read whole (at
//! most `MAX_COCO_BYTES`). Images are taken in document order; the tally's `consumed`
//! counts them, so a resumed run skips what an earlier run already wrote.

use futures::StreamExt;
use labelhive_domain::annotation::SampleMetadata;
use labelhive_domain::coco::{parse, CocoImage, MAX_COCO_BYTES};
use labelhive_domain::dataset::DatasetType;
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::DomainError;
use serde_json::Value;
use tokio::sync::watch;

use super::importer::{Ended, Importer, Item};
use crate::app::AppState;

/// Images resolved (file sizes asked) at a time.
const CHUNK: usize = 256;
/// Size requests in flight.
const PARALLEL: usize = 16;

/// Imports the COCO document at `source`.
pub(crate) async fn run(
    state: &AppState,
    imp: &mut Importer<'_>,
    source: &ObsPath,
    stop: &watch::Receiver<bool>,
) -> Result<Ended, DomainError> {
    let size = state
        .blob
        .size(source)
        .await?
        .ok_or_else(|| DomainError::ObsPathNotFound(source.as_file()))?;
    if size > MAX_COCO_BYTES {
        return Err(DomainError::invalid(
            source.as_file(),
            format!("is {size} bytes; a COCO document may hold at most {MAX_COCO_BYTES}"),
        ));
    }
    let bytes = state.blob.get(source).await?;
    let images = parse(&bytes).map_err(|why| DomainError::invalid(source.as_file(), why))?;
    drop(bytes);
    let file = source.as_file();
    let folder = file.rsplit_once('/').map_or("/", |(d, _)| d).to_owned() + "/";
    let segmentation = imp.dataset.kind() == DatasetType::ImageSegmentation;
    let resume_after = imp.tally.consumed;
    let mut n = 0i64;
    let mut chunk = Vec::with_capacity(CHUNK);
    for image in images {
        n += 1;
        if n <= resume_after {
            continue;
        }
        chunk.push((n, image));
        if chunk.len() >= CHUNK {
            if !add_chunk(state, imp, &folder, segmentation, &mut chunk).await? {
                return Ok(Ended::Abandoned);
            }
            if *stop.borrow() {
                return imp.end(Ended::Interrupted).await;
            }
        }
    }
    if !add_chunk(state, imp, &folder, segmentation, &mut chunk).await? {
        return Ok(Ended::Abandoned);
    }
    imp.end(Ended::Done).await
}

type Entry = (i64, Result<CocoImage, labelhive_domain::coco::CocoError>);

/// Resolves a chunk of images concurrently, then adds them in document order.
/// `Ok(false)` when the job was abandoned.
async fn add_chunk(
    state: &AppState,
    imp: &mut Importer<'_>,
    folder: &str,
    segmentation: bool,
    chunk: &mut Vec<Entry>,
) -> Result<bool, DomainError> {
    let resolved: Vec<(i64, String, Result<Item, DomainError>)> =
        futures::stream::iter(chunk.drain(..))
            .map(|(n, entry)| async move {
                match entry {
                    Ok(image) => {
                        let path = format!("{folder}{}", image.file_name);
                        let item = item(state, &path, image, segmentation).await;
                        (n, path, item)
                    }
                    Err(e) => {
                        let path = format!("{folder}{}", e.file_name);
                        (n, path, Err(DomainError::invalid("annotations", e.reason)))
                    }
                }
            })
            .buffered(PARALLEL)
            .collect()
            .await;
    for (n, path, r) in resolved {
        imp.tally.consumed = n;
        imp.tally.total_samples += 1;
        match r {
            Ok(item) => {
                if !imp.add(item).await? {
                    return Ok(false);
                }
            }
            Err(e) => imp.fail(None, Some(path), &e),
        }
    }
    Ok(true)
}

/// The item of one image: its file must exist below the document's folder.
async fn item(
    state: &AppState,
    path: &str,
    image: CocoImage,
    segmentation: bool,
) -> Result<Item, DomainError> {
    // `file_name` may not climb out of the folder or the store.
    let obs = ObsPath::parse("file_name", path)?;
    let size = state
        .blob
        .size(&obs)
        .await?
        .ok_or_else(|| DomainError::ObsPathNotFound(path.to_owned()))?;
    let mut metadata = SampleMetadata::default();
    if let Some(s) = image.size {
        metadata.0.insert(
            "@modelarts:size".into(),
            Value::from(vec![s.width, s.height, s.depth]),
        );
    }
    let mut labels = image.labels;
    if segmentation {
        for l in &mut labels {
            l.label_type = Some(3);
        }
    }
    Ok(Item {
        path: obs.as_file(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        labels,
        metadata,
        ..Item::default()
    })
}
