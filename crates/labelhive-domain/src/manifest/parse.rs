//! Reading manifest lines: the inverse of [`super::manifest_line`].
//!
//! A line is parsed on its own, with no dataset at hand; what the dataset decides
//! (which label types fit, whether labels exist) is checked later by the import.
//! Choices where the specification is silent:
//! - `type` may leave out the `modelarts/` prefix, as the specification's table does;
//! - `text_entity` means a named entity (101), or a triplet entity (103) in a triplet
//!   dataset, and `object_detection` means video (600) in a video dataset: the caller
//!   passes the dataset type code to decide;
//! - any `annotated-by` other than `human` marks a machine label (`auto`);
//! - `hard` is accepted as `"true"`/`"false"` strings (the specification) or booleans.

use crate::json_text::{escapes_nul, NUL_REFUSED};
use crate::sample::{parse_usage, USAGES};
use serde_json::{Map, Value};

use crate::annotation::{SampleLabel, SampleMetadata};
use crate::obs_path::ObsPath;

/// Where a manifest line's object lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestSource {
    /// An object path, in the canonical `/bucket/key` form.
    Object(String),
    /// Inline text (`content://...`).
    Content(String),
}

/// A PASCAL VOC file a line refers to for its shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationLoc {
    /// The file, `/bucket/key`.
    pub path: String,
    /// The label type the shapes take (1 detection, 3 segmentation, 600 video).
    pub label_type: i32,
}

/// One parsed manifest line.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    /// The object.
    pub source: ManifestSource,
    /// `TRAIN`, `EVAL`, `TEST` or `INFERENCE`, upper-cased.
    pub usage: Option<String>,
    /// Whether the sample is a hard example.
    pub hard: bool,
    /// Sample metadata: `property`, plus `@modelarts:hard` and `hard_coefficient`.
    pub metadata: SampleMetadata,
    /// Inline labels.
    pub labels: Vec<SampleLabel>,
    /// Shape files to read.
    pub annotation_locs: Vec<AnnotationLoc>,
}

/// The label type of a manifest annotation type in a dataset of type `dataset_type`.
pub fn label_type_of(annotation_type: &str, dataset_type: i32) -> Option<i32> {
    let t = annotation_type
        .strip_prefix("modelarts/")
        .unwrap_or(annotation_type);
    Some(match t {
        "image_classification" => 0,
        "object_detection" if dataset_type == 600 => 600,
        "object_detection" => 1,
        "image_segmentation" => 3,
        "text_classification" => 100,
        "text_entity" if dataset_type == 102 => 103,
        "text_entity" => 101,
        "text_triplet" => 102,
        "audio_classification" => 200,
        "audio_content" => 201,
        "audio_segmentation" => 202,
        _ => return None,
    })
}

fn truthy(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
        _ => Err("must be \"true\" or \"false\"".into()),
    }
}

fn str_field<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{at}{key} must be a string")),
    }
}

/// Parses a source URI: `content://` text, or an object path (`s3://`, `obs://`, `/bucket/key`).
pub fn parse_source(raw: &str) -> Result<ManifestSource, String> {
    if let Some(text) = raw.strip_prefix("content://") {
        if text.is_empty() {
            return Err("source content:// holds no text".into());
        }
        return Ok(ManifestSource::Content(text.to_owned()));
    }
    let path = ObsPath::parse("source", raw).map_err(|e| e.to_string())?;
    if path.is_bucket() {
        return Err(format!("source {raw:?} names a bucket, not a file"));
    }
    Ok(ManifestSource::Object(path.as_file()))
}

/// Parses one annotation object into a label or a VOC file reference.
fn annotation(
    a: &Value,
    i: usize,
    dataset_type: i32,
    entry: &mut ManifestEntry,
) -> Result<(), String> {
    let at = format!("annotation[{i}].");
    let obj = a
        .as_object()
        .ok_or_else(|| format!("annotation[{i}] must be an object"))?;
    let ty = str_field(obj, "type", &at)?.ok_or_else(|| format!("{at}type is required"))?;
    let label_type =
        label_type_of(ty, dataset_type).ok_or_else(|| format!("{at}type {ty:?} is unknown"))?;
    if let Some(loc) = str_field(obj, "annotation-loc", &at)? {
        let format = str_field(obj, "annotation-format", &at)?.unwrap_or("PASCAL VOC");
        if !format.eq_ignore_ascii_case("PASCAL VOC") {
            return Err(format!(
                "{at}annotation-format {format:?} is not supported (only PASCAL VOC)"
            ));
        }
        let ManifestSource::Object(path) =
            parse_source(loc).map_err(|e| format!("{at}annotation-loc: {e}"))?
        else {
            return Err(format!("{at}annotation-loc must name a file"));
        };
        entry
            .annotation_locs
            .push(AnnotationLoc { path, label_type });
        return Ok(());
    }
    let mut label = SampleLabel {
        label_type: Some(label_type),
        name: str_field(obj, "name", &at)?.map(str::to_owned),
        id: str_field(obj, "id", &at)?.map(str::to_owned),
        ..SampleLabel::default()
    };
    match obj.get("property") {
        None | Some(Value::Null) => {}
        Some(Value::Object(p)) => label.property = p.clone(),
        Some(_) => return Err(format!("{at}property must be an object")),
    }
    if let Some(h) = obj.get("hard") {
        let hard = truthy(h).map_err(|e| format!("{at}hard {e}"))?;
        label
            .property
            .insert("@modelarts:hard".into(), Value::String(hard.to_string()));
    }
    if let Some(c) = obj.get("hard-coefficient") {
        let c = c
            .as_f64()
            .ok_or_else(|| format!("{at}hard-coefficient must be a number"))?;
        label.property.insert(
            "@modelarts:hard_coefficient".into(),
            Value::String(c.to_string()),
        );
    }
    if let Some(c) = obj.get("confidence") {
        let c = c
            .as_f64()
            .filter(|c| (0.0..=1.0).contains(c))
            .ok_or_else(|| format!("{at}confidence must be a number within [0, 1]"))?;
        label.score = Some(c);
    }
    if let Some(by) = str_field(obj, "annotated-by", &at)? {
        label.annotated_by = Some(if by == "human" { "human" } else { "auto" }.to_owned());
    }
    entry.labels.push(label);
    Ok(())
}

/// Parses one manifest line; `dataset_type` settles the ambiguous annotation types.
pub fn parse_line(line: &str, dataset_type: i32) -> Result<ManifestEntry, String> {
    if escapes_nul(line.as_bytes()) {
        return Err(format!("text {NUL_REFUSED}"));
    }
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let raw = str_field(obj, "source", "")?.ok_or("source is required")?;
    let mut entry = ManifestEntry {
        source: parse_source(raw)?,
        usage: None,
        hard: false,
        metadata: SampleMetadata::default(),
        labels: Vec::new(),
        annotation_locs: Vec::new(),
    };
    if let Some(u) = str_field(obj, "usage", "")?.filter(|u| !u.is_empty()) {
        entry.usage = Some(
            parse_usage(u)
                .ok_or_else(|| format!("usage {u:?} must be one of {}", USAGES.join(", ")))?,
        );
    }
    match obj.get("property") {
        None | Some(Value::Null) => {}
        Some(Value::Object(p)) => entry.metadata.0 = p.clone(),
        Some(_) => return Err("property must be an object".into()),
    }
    if let Some(h) = obj.get("hard") {
        entry.hard = truthy(h).map_err(|e| format!("hard {e}"))?;
        if entry.hard {
            entry
                .metadata
                .0
                .insert("@modelarts:hard".into(), Value::from(1));
        }
    }
    if let Some(c) = obj.get("hard-coefficient") {
        if !c.as_f64().is_some_and(|c| (0.0..=1.0).contains(&c)) {
            return Err("hard-coefficient must be a number within [0, 1]".into());
        }
        entry
            .metadata
            .0
            .insert("@modelarts:hard_coefficient".into(), c.clone());
    }
    match obj.get("annotation") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, a) in list.iter().enumerate() {
                annotation(a, i, dataset_type, &mut entry)?;
            }
        }
        Some(_) => return Err("annotation must be a list".into()),
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{manifest_line, ManifestSample};
    use serde_json::json;

    #[test]
    fn the_specification_examples_parse() {
        let line = json!({
            "source": "s3://path/to/image1.jpg", "usage": "TRAIN", "hard": "true",
            "hard-coefficient": 0.8, "id": "0162005993f8065ef47eefb59d1e4970",
            "annotation": [
                {"type": "modelarts/image_classification", "name": "cat",
                 "property": {"color": "white", "kind": "Persian cat"}, "hard": "true",
                 "hard-coefficient": 0.8, "annotated-by": "human",
                 "creation-time": "2019-01-23 11:30:30"},
                {"type": "modelarts/image_classification", "name": "animal",
                 "annotated-by": "modelarts/active-learning", "confidence": 0.8,
                 "creation-time": "2019-01-23 11:30:30"}],
            "inference-loc": "/path/to/inference-output"
        });
        let e = parse_line(&line.to_string(), 0).unwrap();
        assert_eq!(
            e.source,
            ManifestSource::Object("/path/to/image1.jpg".into())
        );
        assert_eq!(e.usage.as_deref(), Some("TRAIN"));
        assert!(e.hard);
        assert_eq!(e.metadata.0["@modelarts:hard"], 1);
        assert_eq!(e.labels.len(), 2);
        assert_eq!(e.labels[0].prop_str("@modelarts:hard"), Some("true"));
        assert_eq!(e.labels[0].prop_str("color"), Some("white"));
        assert_eq!(e.labels[1].score, Some(0.8));
        assert_eq!(e.labels[1].annotated_by.as_deref(), Some("auto"));

        let seg = json!({"annotation": [{"annotation-format": "PASCAL VOC",
            "type": "modelarts/image_segmentation", "annotation-loc": "s3://path/to/annotation/image1.xml"}],
            "usage": "train", "source": "s3://path/to/image1.jpg", "sample-type": 0});
        let e = parse_line(&seg.to_string(), 3).unwrap();
        assert_eq!(
            e.annotation_locs,
            vec![AnnotationLoc {
                path: "/path/to/annotation/image1.xml".into(),
                label_type: 3
            }]
        );
        let text = json!({"source": "content://Three Body", "annotation": [
            {"type": "modelarts/text_entity", "name": "Book", "id": "E1",
             "property": {"@modelarts:start_index": 0, "@modelarts:end_index": 5}}]});
        let e = parse_line(&text.to_string(), 102).unwrap();
        assert_eq!(e.source, ManifestSource::Content("Three Body".into()));
        assert_eq!(e.labels[0].label_type, Some(103));
        assert_eq!(
            parse_line(&text.to_string(), 101).unwrap().labels[0].label_type,
            Some(101)
        );
    }

    #[test]
    fn written_lines_read_back() {
        let labels: Vec<SampleLabel> = serde_json::from_value(json!([
            {"name": "talk", "type": 202, "score": 0.5, "annotated_by": "auto",
             "property": {"@modelarts:start_time": "00:00:01.000", "@modelarts:end_time": "00:00:02.500"}},
            {"name": "cat", "type": 200, "annotated_by": "human"}
        ]))
        .unwrap();
        let meta = SampleMetadata(json!({"camera": "n"}).as_object().unwrap().clone());
        let written = manifest_line(&ManifestSample {
            id: "abc",
            source: "s3://bkt/a.wav".into(),
            usage: Some("EVAL"),
            sample_type: 2,
            labels: &labels,
            metadata: &meta,
            keep_hard: true,
            annotation_loc: None,
            creation_time: "2019-01-23 11:30:30",
        });
        let e = parse_line(&written.to_string(), 202).unwrap();
        assert_eq!(e.labels, labels);
        assert_eq!(e.metadata, meta);
        assert_eq!(e.usage.as_deref(), Some("EVAL"));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        for (line, says) in [
            ("{not json", "not a JSON object"),
            ("[1]", "not a JSON object"),
            ("{}", "source is required"),
            (r#"{"source": 3}"#, "source must be a string"),
            (r#"{"source": "http://x/a.jpg"}"#, "must start with"),
            (r#"{"source": "s3://bkt/../a.jpg"}"#, "relative segments"),
            (r#"{"source": "content://"}"#, "no text"),
            (r#"{"source": "s3://bkt/a.jpg", "usage": "PLAY"}"#, "usage"),
            (r#"{"source": "s3://bkt/a.jpg", "hard": "maybe"}"#, "hard"),
            (
                r#"{"source": "s3://bkt/a.jpg", "annotation": {}}"#,
                "annotation must be a list",
            ),
            (
                r#"{"source": "s3://bkt/a.jpg", "annotation": [{"name": "x"}]}"#,
                "type is required",
            ),
            (
                r#"{"source": "s3://bkt/a.jpg", "annotation": [{"type": "modelarts/dance"}]}"#,
                "unknown",
            ),
            (
                r#"{"source": "s3://bkt/a.jpg", "annotation": [{"type": "image_classification", "confidence": 2}]}"#,
                "confidence",
            ),
            (
                r#"{"source": "s3://bkt/a.jpg", "annotation": [{"type": "object_detection", "annotation-loc": "s3://bkt/a.xml", "annotation-format": "COCO"}]}"#,
                "not supported",
            ),
        ] {
            let err = parse_line(line, 0).unwrap_err();
            assert!(err.contains(says), "{line}: {err}");
        }
    }
}
