//! The document a DIR export writes for its `annotation_format`, beside the ModelArts
//! manifest: a COCO document, a SageMaker Ground Truth manifest, or YOLO's image
//! lists with `obj.names` and `obj.data` (the per-image YOLO label files are written
//! with the copies). Each is written as the samples go by.

use labelhive_domain::blob::BlobWriter;
use labelhive_domain::dataset::Dataset;
use labelhive_domain::export::{AnnotationFormat, ExportPayload};
use labelhive_domain::groundtruth::GroundTruthWriter;
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::sample::Sample;
use labelhive_domain::yolo::{obj_data, OBJ_DATA};
use labelhive_domain::DomainError;

use super::export_coco::CocoSink;
use crate::app::AppState;

/// A format document being written.
pub(crate) enum FormatSink {
    /// One COCO document.
    Coco(CocoSink),
    /// A Ground Truth manifest.
    GroundTruth {
        doc: Box<dyn BlobWriter>,
        writer: GroundTruthWriter,
    },
    /// YOLO's image lists; `obj.names` and `obj.data` at the end.
    Yolo(YoloLists),
}

/// YOLO's `train.txt` (and `valid.txt` when samples are split) being written.
pub(crate) struct YoloLists {
    dir: String,
    train: Box<dyn BlobWriter>,
    valid: Option<Box<dyn BlobWriter>>,
    names: Vec<String>,
}

/// One exported sample as a format document sees it.
pub(crate) struct Exported<'a> {
    /// The sample.
    pub sample: &'a Sample,
    /// Its copy, `/bucket/dir/key`.
    pub target: &'a str,
    /// Its copy as the manifests name it (`obs://...` or `s3://...`).
    pub uri: &'a str,
    /// `TRAIN` or `EVAL` when samples are split.
    pub usage: Option<&'a str>,
}

impl FormatSink {
    /// Opens the document of the export's format, with its path; `None` for VOC.
    pub async fn open(
        state: &AppState,
        payload: &ExportPayload,
        dataset: &Dataset,
        job_id: &str,
    ) -> Result<Option<(Self, String)>, DomainError> {
        let labels = || dataset.labels.iter().map(|l| l.name.as_str());
        let dir = &payload.path;
        Ok(Some(match payload.format() {
            AnnotationFormat::Voc => return Ok(None),
            AnnotationFormat::Coco => {
                let path = format!("{dir}{job_id}.coco.json");
                let sink = CocoSink::open(state, &path, job_id, labels()).await?;
                (Self::Coco(sink), path)
            }
            AnnotationFormat::SageMaker => {
                let path = format!("{dir}{job_id}.groundtruth.manifest");
                let doc = writer(state, &path).await?;
                let writer = GroundTruthWriter::new(&dataset.name, dataset.kind().code(), labels());
                (Self::GroundTruth { doc, writer }, path)
            }
            AnnotationFormat::Yolo => {
                let train = writer(state, &format!("{dir}train.txt")).await?;
                let valid = match payload.split_ratio() {
                    Some(_) => Some(writer(state, &format!("{dir}valid.txt")).await?),
                    None => None,
                };
                let lists = YoloLists {
                    dir: dir.clone(),
                    train,
                    valid,
                    names: labels().map(str::to_owned).collect(),
                };
                (Self::Yolo(lists), format!("{dir}{OBJ_DATA}"))
            }
        }))
    }

    /// Adds one exported sample; returns how many of its labels the format cannot hold.
    pub async fn add(&mut self, e: Exported<'_>, dir: &str) -> Result<i64, DomainError> {
        let file_name = e.target.strip_prefix(dir).unwrap_or(e.target);
        let size = e.sample.metadata.size();
        match self {
            Self::Coco(coco) => coco.add(file_name, size, &e.sample.labels).await,
            Self::GroundTruth { doc, writer } => {
                let date = creation_date(e.sample.update_time);
                let (line, skipped) = writer.line(e.uri, &e.sample.labels, size, &date);
                doc.write(format!("{line}\n").as_bytes()).await?;
                Ok(skipped)
            }
            Self::Yolo(lists) => {
                let list = match (e.usage, lists.valid.as_mut()) {
                    (Some("EVAL"), Some(valid)) => valid,
                    _ => &mut lists.train,
                };
                list.write(format!("{file_name}\n").as_bytes()).await?;
                Ok(0)
            }
        }
    }

    /// Completes the document.
    pub async fn finish(self, state: &AppState) -> Result<(), DomainError> {
        match self {
            Self::Coco(coco) => coco.finish().await,
            Self::GroundTruth { doc, .. } => doc.finish().await,
            Self::Yolo(lists) => {
                lists.train.finish().await?;
                let valid = lists.valid.is_some();
                if let Some(v) = lists.valid {
                    v.finish().await?;
                }
                let names: String = lists.names.iter().map(|n| format!("{n}\n")).collect();
                put(state, &format!("{}obj.names", lists.dir), names).await?;
                let data = obj_data(lists.names.len(), valid);
                put(state, &format!("{}{OBJ_DATA}", lists.dir), data).await
            }
        }
    }
}

async fn writer(state: &AppState, path: &str) -> Result<Box<dyn BlobWriter>, DomainError> {
    state.blob.writer(&ObsPath::parse("path", path)?).await
}

async fn put(state: &AppState, path: &str, text: String) -> Result<(), DomainError> {
    state
        .blob
        .put(&ObsPath::parse("path", path)?, text.into_bytes())
        .await
}

/// Ground Truth's `creation-date`, `2026-01-23T11:30:30`.
fn creation_date(ms: i64) -> String {
    super::publish::manifest_time(ms).replacen(' ', "T", 1)
}
