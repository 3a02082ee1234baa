//! Directory imports as import tasks: every data file under the path becomes a sample,
//! with the labels of the dataset type's directory layout (spec guide:
//! specifications_for_importing_data_from_an_obs_directory):
//! - image and sound classification: the last folder names the label; for images a
//!   `<stem>.txt` beside the file lists labels instead, and wins over the folder;
//! - object detection and segmentation: a PASCAL VOC `<stem>.xml` beside the image;
//!   in a YOLO directory (an `obj.data` at its root) a `<stem>.txt` of normalized
//!   boxes instead, sized by the image's own header;
//! - text classification: every line of a text file is a sample, labeled after a
//!   separator or by the same line of `<stem>_result.txt`.
//!
//! Listings carry no order, so a resumed run lists again from the start; writes are
//! keyed by path, so the second pass changes nothing already written.

use futures::StreamExt;
use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::dataset::DatasetType;
use labelhive_domain::import::dir_labels_supported;
use labelhive_domain::label::allowed_label_types;
use labelhive_domain::layouts::{
    beside, class_folder_label, combined_lines, is_result_file, label_file_names,
    parse_text_format, result_file_for, result_file_lines, TextLayout, TextLine,
};
use labelhive_domain::manifest::AnnotationLoc;
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::yolo::{parse_labels, parse_names, parse_obj_data, OBJ_DATA};
use labelhive_domain::DomainError;
use serde_json::Value;
use tokio::sync::watch;

use super::import_manifest::{content_path, read_voc};
use super::importer::{read_small_text, Ended, Importer, Item};
use crate::app::AppState;

/// Labels of the given names with the dataset's classification type.
fn class_labels(names: Vec<String>, label_type: i32) -> Vec<SampleLabel> {
    names
        .into_iter()
        .map(|n| SampleLabel {
            name: Some(n),
            label_type: Some(label_type),
            ..SampleLabel::default()
        })
        .collect()
}

/// A sibling file with another extension: `a/b.jpg` → `a/b.<ext>`.
fn sibling(path: &ObsPath, file_name: &str) -> ObsPath {
    let segments = path.segments();
    let mut parts = segments[..segments.len().saturating_sub(1)].to_vec();
    parts.push(file_name.to_owned());
    ObsPath::from_parts(path.bucket(), parts)
}

/// Bytes of an image read at most to find its size in its header.
const IMAGE_HEADER_BYTES: usize = 512 * 1024;

/// An image's width and height from its header.
async fn image_size(state: &AppState, path: &ObsPath) -> Result<(u64, u64), DomainError> {
    let Some(mut chunks) = state.blob.stream(path).await? else {
        return Err(DomainError::ObsPathNotFound(path.as_file()));
    };
    let mut head = Vec::new();
    while let Some(chunk) = chunks.next().await {
        head.extend_from_slice(&chunk?);
        if let Ok(size) = imagesize::blob_size(&head) {
            return Ok((size.width as u64, size.height as u64));
        }
        if head.len() >= IMAGE_HEADER_BYTES {
            break;
        }
    }
    Err(DomainError::invalid(
        path.as_file(),
        "its image size cannot be read (YOLO boxes are relative to it)",
    ))
}

/// The YOLO label list when `source` holds an `obj.data`, else `None`.
async fn yolo_names(
    state: &AppState,
    source: &ObsPath,
) -> Result<Option<Vec<String>>, DomainError> {
    let Some(data) = read_small_text(state, &source.join(OBJ_DATA)?).await? else {
        return Ok(None);
    };
    let names_file = parse_obj_data(&data)
        .names
        .unwrap_or_else(|| "obj.names".to_owned());
    let names_path = ObsPath::parse("names", &format!("{}{names_file}", source.as_dir()))?;
    let names = read_small_text(state, &names_path)
        .await?
        .ok_or_else(|| DomainError::ObsPathNotFound(names_path.as_file()))?;
    Ok(Some(parse_names(&names)))
}

/// The boxes of a YOLO `<stem>.txt` beside `path`, with the image's size.
async fn yolo_labels(
    state: &AppState,
    names: &[String],
    path: &ObsPath,
    labels: &mut Vec<SampleLabel>,
    metadata: &mut SampleMetadata,
) -> Result<(), DomainError> {
    let txt = sibling(path, &beside(path.file_name(), "txt"));
    let Some(text) = read_small_text(state, &txt).await? else {
        return Ok(());
    };
    let (width, height) = image_size(state, path).await?;
    labels.extend(
        parse_labels(&text, names, width, height)
            .map_err(|why| DomainError::invalid(txt.as_file(), why))?,
    );
    metadata.0.insert(
        "@modelarts:size".into(),
        Value::from(vec![width, height, 3]),
    );
    Ok(())
}

/// The labels and metadata of one data file of a non-text dataset; `yolo` holds the
/// label list of a YOLO directory.
async fn file_labels(
    state: &AppState,
    kind: DatasetType,
    relative: &str,
    path: &ObsPath,
    yolo: Option<&[String]>,
) -> Result<(Vec<SampleLabel>, SampleMetadata), DomainError> {
    let mut labels = Vec::new();
    let mut metadata = SampleMetadata::default();
    let class_type = allowed_label_types(kind).first().copied().unwrap_or(0);
    if let (DatasetType::ObjectDetection, Some(names)) = (kind, yolo) {
        yolo_labels(state, names, path, &mut labels, &mut metadata).await?;
        return Ok((labels, metadata));
    }
    match kind {
        DatasetType::ImageClassification | DatasetType::SoundClassification => {
            // A label file beside an image is the more specific statement: it wins
            // over the folder the image sits in.
            let label_file = if kind == DatasetType::ImageClassification {
                let txt = sibling(path, &beside(path.file_name(), "txt"));
                read_small_text(state, &txt).await?
            } else {
                None
            };
            if let Some(content) = label_file {
                labels = class_labels(label_file_names(&content), class_type);
            } else if let Some(folder) = class_folder_label(relative) {
                labels = class_labels(vec![folder.to_owned()], class_type);
            }
        }
        DatasetType::ObjectDetection | DatasetType::ImageSegmentation => {
            let xml = sibling(path, &beside(path.file_name(), "xml"));
            if state.blob.size(&xml).await?.is_some() {
                let loc = AnnotationLoc {
                    path: xml.as_file(),
                    label_type: class_type,
                };
                read_voc(state, &loc, &mut labels, &mut metadata).await?;
            }
        }
        _ => {}
    }
    Ok((labels, metadata))
}

/// The lines of a text file as samples.
async fn text_lines(
    state: &AppState,
    imp: &Importer<'_>,
    path: &ObsPath,
) -> Result<Vec<TextLine>, DomainError> {
    let content = read_small_text(state, path)
        .await?
        .ok_or_else(|| DomainError::ObsPathNotFound(path.as_file()))?;
    let f = imp.payload.label_format.clone().unwrap_or_default();
    let layout = parse_text_format(
        f.label_type.as_deref(),
        f.text_sample_separator.as_deref(),
        f.text_label_separator.as_deref(),
    )
    .map_err(|why| DomainError::invalid("label_format", why))?;
    let mut lines = match &layout {
        TextLayout::Combined(format) => combined_lines(&content, format),
        TextLayout::ResultFiles(sep) => {
            let result = sibling(path, &result_file_for(path.file_name()));
            let labels = read_small_text(state, &result).await?.unwrap_or_default();
            result_file_lines(&content, &labels, *sep)
                .map_err(|why| DomainError::invalid(result.as_file(), why))?
        }
    };
    if !imp.payload.import_annotations {
        for l in &mut lines {
            l.labels.clear();
        }
    }
    Ok(lines)
}

/// Imports every file under `source`.
pub(crate) async fn run(
    state: &AppState,
    imp: &mut Importer<'_>,
    source: &ObsPath,
    stop: &watch::Receiver<bool>,
) -> Result<Ended, DomainError> {
    // Listings are unordered: a resumed run starts over (writes are idempotent).
    imp.tally = Default::default();
    let kind = imp.dataset.kind();
    let labels_wanted = imp.payload.import_annotations && dir_labels_supported(kind);
    let class_type = allowed_label_types(kind).first().copied().unwrap_or(0);
    let root = source.segments().len();
    let yolo = match kind {
        DatasetType::ObjectDetection if labels_wanted => yolo_names(state, source).await?,
        _ => None,
    };
    let mut listing = state.blob.list(source);
    while let Some(entry) = listing.next().await {
        let entry = entry?;
        imp.tally.consumed += 1;
        let name = entry.path.file_name().to_owned();
        if !kind.accepts_file(&name)
            || (kind == DatasetType::TextClassification && is_result_file(&name))
        {
            continue;
        }
        let relative = entry.path.segments()[root.min(entry.path.segments().len())..].join("/");
        let file = entry.path.as_file();
        if kind == DatasetType::TextClassification {
            let lines = match text_lines(state, imp, &entry.path).await {
                Ok(lines) => lines,
                Err(e) => {
                    imp.tally.total_samples += 1;
                    imp.fail(None, Some(file), &e);
                    continue;
                }
            };
            for line in lines {
                imp.tally.total_samples += 1;
                let path = content_path(imp, &line.text)?;
                let bytes = line.text.as_bytes().to_vec();
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                state.blob.put(&path, bytes).await?;
                let item = Item {
                    path: path.as_file(),
                    size,
                    labels: class_labels(line.labels, class_type),
                    text: Some(line.text),
                    line: Some(i64::try_from(line.line).unwrap_or(i64::MAX)),
                    ..Item::default()
                };
                if !imp.add(item).await? {
                    return Ok(Ended::Abandoned);
                }
            }
        } else {
            imp.tally.total_samples += 1;
            let found = if labels_wanted {
                file_labels(state, kind, &relative, &entry.path, yolo.as_deref()).await
            } else {
                Ok(Default::default())
            };
            match found {
                Ok((labels, metadata)) => {
                    let item = Item {
                        path: file,
                        size: i64::try_from(entry.size).unwrap_or(i64::MAX),
                        labels,
                        metadata,
                        ..Item::default()
                    };
                    if !imp.add(item).await? {
                        return Ok(Ended::Abandoned);
                    }
                }
                Err(e) => imp.fail(None, Some(file), &e),
            }
        }
        if *stop.borrow() {
            return imp.end(Ended::Interrupted).await;
        }
    }
    imp.end(Ended::Done).await
}
