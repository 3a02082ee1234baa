//! Manifest imports: the manifest streams line by line; each line becomes a sample
//! with its labels (inline, or read from its PASCAL VOC file). A bad line is refused
//! with its number and the rest goes on. A resumed run skips the lines its stored
//! tally already consumed.

use futures::StreamExt;
use labelhive_domain::annotation::SampleMetadata;
use labelhive_domain::ids::sample_id_for_path;
use labelhive_domain::import::MAX_ITEM_BYTES;
use labelhive_domain::manifest::{AnnotationLoc, ManifestEntry, ManifestSource};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::voc::parse_voc;
use labelhive_domain::DomainError;
use serde_json::Value;
use tokio::sync::watch;

use super::importer::{read_small, read_small_text, Ended, Importer, Item};
use crate::app::AppState;

/// Splits a byte stream into lines without holding more than one line (bounded).
struct Lines {
    buf: Vec<u8>,
    /// The current line passed the size limit: drop bytes up to its end.
    overlong: bool,
}

/// One line, or the note that it was too long.
enum Line {
    Text(Vec<u8>),
    TooLong,
}

impl Lines {
    fn new() -> Self {
        Self {
            buf: Vec::new(),
            overlong: false,
        }
    }

    /// Feeds a chunk; returns the lines it completed.
    fn feed(&mut self, chunk: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            let (head, tail) = rest.split_at(i);
            if self.overlong {
                out.push(Line::TooLong);
            } else {
                self.buf.extend_from_slice(head);
                out.push(Line::Text(std::mem::take(&mut self.buf)));
            }
            self.overlong = false;
            rest = &tail[1..];
        }
        if !self.overlong {
            self.buf.extend_from_slice(rest);
            if self.buf.len() > MAX_ITEM_BYTES {
                self.buf = Vec::new();
                self.overlong = true;
            }
        }
        out
    }

    /// The last line, when the stream does not end with a newline.
    fn finish(self) -> Option<Line> {
        if self.overlong {
            Some(Line::TooLong)
        } else if self.buf.is_empty() {
            None
        } else {
            Some(Line::Text(self.buf))
        }
    }
}

/// Reads the shapes of a PASCAL VOC file into the entry.
pub(crate) async fn read_voc(
    state: &AppState,
    loc: &AnnotationLoc,
    labels: &mut Vec<labelhive_domain::annotation::SampleLabel>,
    metadata: &mut SampleMetadata,
) -> Result<(), DomainError> {
    let path = ObsPath::parse("annotation-loc", &loc.path)?;
    let xml = read_small_text(state, &path)
        .await?
        .ok_or_else(|| DomainError::ObsPathNotFound(path.as_file()))?;
    let doc = parse_voc(&xml).map_err(|why| DomainError::invalid(loc.path.clone(), why))?;
    if let Some(size) = doc.size {
        metadata
            .0
            .entry("@modelarts:size")
            .or_insert_with(|| Value::from(vec![size.width, size.height, size.depth]));
    }
    for mut label in doc.labels {
        // Video frames keep their type; a segmentation file's shapes say so themselves.
        if loc.label_type == 600 || (loc.label_type == 3 && label.label_type == Some(1)) {
            label.label_type = Some(loc.label_type);
        }
        labels.push(label);
    }
    Ok(())
}

/// The item of a parsed line: checks the file (unless `size` was already read),
/// writes inline text, reads VOC files.
async fn item(
    state: &AppState,
    imp: &Importer<'_>,
    entry: ManifestEntry,
    line: i64,
    size: Option<Option<u64>>,
) -> Result<Item, DomainError> {
    let ManifestEntry {
        source,
        hard,
        mut metadata,
        mut labels,
        annotation_locs,
        usage,
    } = entry;
    let (path, size, text) = match source {
        ManifestSource::Object(p) => {
            let obs = ObsPath::parse("source", &p)?;
            let size = match size {
                Some(known) => known,
                None => state.blob.size(&obs).await?,
            }
            .ok_or_else(|| DomainError::ObsPathNotFound(p.clone()))?;
            (p, i64::try_from(size).unwrap_or(i64::MAX), None)
        }
        ManifestSource::Content(text) => {
            let path = content_path(imp, &text)?;
            let bytes = text.as_bytes().to_vec();
            let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
            state.blob.put(&path, bytes).await?;
            (path.as_file(), size, Some(text))
        }
    };
    if imp.payload.import_annotations {
        for loc in &annotation_locs {
            read_voc(state, loc, &mut labels, &mut metadata).await?;
        }
    }
    let text = match text {
        Some(t) => Some(t),
        None if labelhive_domain::annotation::needs_text(&labels) => {
            let file = ObsPath::parse("source", &path)?;
            let bytes = read_small(state, &file)
                .await?
                .ok_or_else(|| DomainError::ObsPathNotFound(path.clone()))?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        None => None,
    };
    Ok(Item {
        path,
        size,
        labels,
        metadata,
        hard,
        text,
        line: Some(line),
        usage,
    })
}

/// Where an inline text is stored: under the dataset's input path, in `import_folder`
/// (default `content`), named by the text's hash so a re-import finds the same file.
pub(crate) fn content_path(imp: &Importer<'_>, text: &str) -> Result<ObsPath, DomainError> {
    let input = imp
        .dataset
        .input_path()
        .ok_or_else(|| DomainError::invalid("dataset", "has no input path"))?;
    let folder = imp.payload.import_folder.as_deref().unwrap_or("content");
    let name = format!("{}.txt", sample_id_for_path(&format!("content://{text}")));
    ObsPath::parse("import_folder", &format!("{input}{folder}/{name}"))
}

/// Lines resolved together: their files are checked and read concurrently.
const RESOLVE_CHUNK: usize = 256;
/// File checks and reads in flight at once.
const PARALLEL_RESOLVES: usize = 16;

/// A parsed line waiting to be resolved, with its number.
type Pending = (i64, Result<ManifestEntry, String>);

/// Resolves a chunk of lines concurrently, then adds them in line order.
/// `Ok(false)` when the job was abandoned.
async fn process(
    state: &AppState,
    imp: &mut Importer<'_>,
    pending: &mut Vec<Pending>,
) -> Result<bool, DomainError> {
    // The chunk's files are checked in one batch (one blocking task on the local
    // store) before the lines are resolved.
    let objects: Vec<(usize, ObsPath)> = pending
        .iter()
        .enumerate()
        .filter_map(|(i, (_, e))| match e {
            Ok(ManifestEntry {
                source: ManifestSource::Object(p),
                ..
            }) => ObsPath::parse("source", p).ok().map(|o| (i, o)),
            _ => None,
        })
        .collect();
    let paths: Vec<ObsPath> = objects.iter().map(|(_, o)| o.clone()).collect();
    let mut sizes: Vec<Option<Option<u64>>> = vec![None; pending.len()];
    for ((i, _), size) in objects.iter().zip(state.blob.sizes(&paths).await?) {
        sizes[*i] = Some(size);
    }
    let resolved: Vec<(i64, Result<Item, DomainError>)> = {
        let shared: &Importer<'_> = imp;
        futures::stream::iter(pending.drain(..).zip(sizes))
            .map(|((n, entry), size)| async move {
                let r = match entry {
                    Ok(entry) => item(state, shared, entry, n, size).await,
                    Err(why) => Err(DomainError::invalid(format!("line {n}"), why)),
                };
                (n, r)
            })
            .buffered(PARALLEL_RESOLVES)
            .collect()
            .await
    };
    for (n, r) in resolved {
        imp.tally.consumed = n;
        imp.tally.total_samples += 1;
        match r {
            Ok(item) => {
                if !imp.add(item).await? {
                    return Ok(false);
                }
            }
            Err(e) => {
                let e = match e {
                    DomainError::InvalidParameter { field, reason }
                        if !field.starts_with("line ") =>
                    {
                        DomainError::invalid(format!("line {n}: {field}"), reason)
                    }
                    other => other,
                };
                imp.fail(Some(n), None, &e);
            }
        }
    }
    Ok(true)
}

/// Reads one line of a manifest for a dataset of the given type.
pub(crate) type LineParser = fn(&str, i32) -> Result<ManifestEntry, String>;

/// Imports the manifest at `source`, a ModelArts or a Ground Truth manifest as
/// `parse` reads its lines.
pub(crate) async fn run(
    state: &AppState,
    imp: &mut Importer<'_>,
    source: &ObsPath,
    stop: &watch::Receiver<bool>,
    parse: LineParser,
) -> Result<Ended, DomainError> {
    let Some(mut chunks) = state.blob.stream(source).await? else {
        return Err(DomainError::ObsPathNotFound(source.as_file()));
    };
    let resume_after = imp.tally.consumed;
    let dataset_type = imp.dataset.kind().code();
    let mut lines = Lines::new();
    let mut n: i64 = 0;
    let mut finished = false;
    let mut pending: Vec<Pending> = Vec::with_capacity(RESOLVE_CHUNK);
    while !finished {
        let ready = match chunks.next().await {
            Some(chunk) => lines.feed(&chunk?),
            None => {
                finished = true;
                std::mem::replace(&mut lines, Lines::new())
                    .finish()
                    .into_iter()
                    .collect()
            }
        };
        for l in ready {
            n += 1;
            if n <= resume_after {
                continue;
            }
            let entry = match l {
                Line::TooLong => Err(format!("is longer than {MAX_ITEM_BYTES} bytes")),
                Line::Text(bytes) => match std::str::from_utf8(&bytes) {
                    Err(_) => Err("is not UTF-8 text".to_owned()),
                    Ok(s) if s.trim().is_empty() => continue,
                    Ok(s) => parse(s.trim_end_matches('\r'), dataset_type),
                },
            };
            pending.push((n, entry));
            if pending.len() >= RESOLVE_CHUNK {
                if !process(state, imp, &mut pending).await? {
                    return Ok(Ended::Abandoned);
                }
                if *stop.borrow() {
                    return imp.end(Ended::Interrupted).await;
                }
            }
        }
    }
    if !process(state, imp, &mut pending).await? {
        return Ok(Ended::Abandoned);
    }
    imp.end(Ended::Done).await
}
