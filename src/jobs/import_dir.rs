//! Directory imports as import tasks: every data file under the path becomes a sample,
//! with the labels of the dataset type's directory layout (spec guide:
//! specifications_for_importing_data_from_an_obs_directory):
//! - image and sound classification: the last folder names the label; for images a
//!   `<stem>.txt` beside the file lists labels instead, and wins over the folder;
//! - object detection and segmentation: a PASCAL VOC `<stem>.xml` beside the image;
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
use labelhive_domain::DomainError;
use tokio::sync::watch;

use super::import_manifest::{content_path, read_voc, Ended};
use super::importer::{read_small_text, Importer, Item};
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

/// The labels and metadata of one data file of a non-text dataset.
async fn file_labels(
    state: &AppState,
    kind: DatasetType,
    relative: &str,
    path: &ObsPath,
) -> Result<(Vec<SampleLabel>, SampleMetadata), DomainError> {
    let mut labels = Vec::new();
    let mut metadata = SampleMetadata::default();
    let class_type = allowed_label_types(kind).first().copied().unwrap_or(0);
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
                file_labels(state, kind, &relative, &entry.path).await
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
            return Ok(if imp.flush().await? {
                Ended::Interrupted
            } else {
                Ended::Abandoned
            });
        }
    }
    Ok(if imp.flush().await? {
        Ended::Done
    } else {
        Ended::Abandoned
    })
}
