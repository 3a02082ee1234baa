//! SageMaker Ground Truth augmented manifests (JSON Lines), read by imports and
//! written by exports beside the ModelArts manifest.
//!
//! A line names its object with `source-ref` (or holds text in `source`); each label
//! attribute `<name>` is described by `<name>-metadata`, whose `type` says the task:
//! - `groundtruth/image-classification`, `groundtruth/text-classification`: a class id,
//!   its name in `class-name`;
//! - the `-multilabel` variants: a list of class ids, names in `class-map`;
//! - `groundtruth/object-detection`: `image_size` and `annotations` of boxes
//!   (`left`, `top`, `width`, `height`, `class_id`), names in `class-map`;
//! - `groundtruth/text-span`: named entities with `startOffset`/`endOffset`.
//!
//! Choices: confidences become label scores; `human-annotated: "no"` marks machine
//! labels; other task types (semantic segmentation masks, video, point clouds) are
//! refused for the line. An export names its one label attribute after the dataset,
//! as Ground Truth names it after the labeling job.

use crate::json_text::{escapes_nul, NUL_REFUSED};
use serde_json::{json, Map, Value};

use crate::annotation::{ImageSize, SampleLabel, SampleMetadata};
use crate::coco::Categories;
use crate::manifest::{ManifestEntry, ManifestSource};
use crate::voc::json_num;

const TYPE_PREFIX: &str = "groundtruth/";
const OBJECT_DETECTION: &str = "groundtruth/object-detection";
const TEXT_SPAN: &str = "groundtruth/text-span";

/// The classification label type of a dataset type: image, text or sound.
fn class_label_type(dataset_type: i32) -> i32 {
    match dataset_type {
        100 | 200 => dataset_type,
        _ => 0,
    }
}

/// A class name from a `class-map` (`{"0": "cat"}`).
fn class_name(map: Option<&Value>, id: &Value, at: &str) -> Result<String, String> {
    let key = match id {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(format!("{at}: class ids must be numbers")),
    };
    map.and_then(|m| m.get(&key))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{at}: class {key} is not in class-map"))
}

/// The confidence at `i` of the metadata list `list` of `{"confidence": c}` objects.
fn confidence(meta: &Map<String, Value>, list: &str, i: usize) -> Option<f64> {
    meta.get(list)?.get(i)?.get("confidence")?.as_f64()
}

fn num(v: &Value, key: &str, at: &str) -> Result<f64, String> {
    v.get(key)
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("{at}: {key} must be a number >= 0"))
}

/// The labels of one label attribute.
fn attribute_labels(
    name: &str,
    value: &Value,
    meta: &Map<String, Value>,
    dataset_type: i32,
    metadata: &mut SampleMetadata,
) -> Result<Vec<SampleLabel>, String> {
    let kind = meta.get("type").and_then(Value::as_str).unwrap_or_default();
    let machine = meta.get("human-annotated").and_then(Value::as_str) == Some("no");
    let label = |name: String, label_type: i32, score: Option<f64>| SampleLabel {
        name: Some(name),
        label_type: Some(label_type),
        score,
        annotated_by: machine.then(|| "auto".to_owned()),
        ..SampleLabel::default()
    };
    let class_type = class_label_type(dataset_type);
    let mut labels = Vec::new();
    match kind {
        "groundtruth/image-classification" | "groundtruth/text-classification" => {
            let class = meta
                .get("class-name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{name}-metadata: class-name is required"))?;
            let score = meta.get("confidence").and_then(Value::as_f64);
            labels.push(label(class.to_owned(), class_type, score));
        }
        "groundtruth/image-classification-multilabel"
        | "groundtruth/text-classification-multilabel" => {
            let ids = value
                .as_array()
                .ok_or_else(|| format!("{name}: must be a list of class ids"))?;
            let map = meta.get("class-map");
            for id in ids {
                let class = class_name(map, id, name)?;
                let score = meta
                    .get("confidence-map")
                    .and_then(|m| m.get(id.to_string()))
                    .and_then(Value::as_f64);
                labels.push(label(class, class_type, score));
            }
        }
        OBJECT_DETECTION => {
            if let Some(size) = value.get("image_size").and_then(|s| s.get(0)) {
                let at = format!("{name}.image_size");
                let (w, h) = (num(size, "width", &at)?, num(size, "height", &at)?);
                let d = size.get("depth").and_then(Value::as_f64).unwrap_or(3.0);
                metadata.0.insert(
                    "@modelarts:size".into(),
                    json!([w as u64, h as u64, d as u64]),
                );
            }
            let boxes = value
                .get("annotations")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{name}: annotations must be a list"))?;
            let map = meta.get("class-map");
            for (i, b) in boxes.iter().enumerate() {
                let at = format!("{name}.annotations[{i}]");
                let class = class_name(map, b.get("class_id").unwrap_or(&Value::Null), &at)?;
                let (x, y) = (num(b, "left", &at)?, num(b, "top", &at)?);
                let (w, h) = (num(b, "width", &at)?, num(b, "height", &at)?);
                let mut l = label(class, 1, confidence(meta, "objects", i));
                l.property
                    .insert("@modelarts:shape".into(), json!("bndbox"));
                l.property.insert(
                    "@modelarts:feature".into(),
                    json!([
                        [json_num(x), json_num(y)],
                        [json_num(x + w), json_num(y + h)]
                    ]),
                );
                labels.push(l);
            }
        }
        TEXT_SPAN => {
            let entities = value
                .get("annotations")
                .and_then(|a| a.get("entities"))
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{name}: annotations.entities must be a list"))?;
            for (i, e) in entities.iter().enumerate() {
                let at = format!("{name}.annotations.entities[{i}]");
                let class = e
                    .get("label")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{at}: label is required"))?;
                let offset = |k: &str| {
                    e.get(k)
                        .and_then(Value::as_u64)
                        .ok_or_else(|| format!("{at}: {k} must be an integer >= 0"))
                };
                let (start, end) = (offset("startOffset")?, offset("endOffset")?);
                let mut l = label(class.to_owned(), 101, confidence(meta, "entities", i));
                l.property
                    .insert("@modelarts:start_index".into(), json!(start));
                l.property.insert("@modelarts:end_index".into(), json!(end));
                labels.push(l);
            }
        }
        other => return Err(format!("{name}-metadata: type {other:?} is not supported")),
    }
    Ok(labels)
}

/// Parses one Ground Truth line; `dataset_type` decides the classification label type.
pub fn parse_line(line: &str, dataset_type: i32) -> Result<ManifestEntry, String> {
    if escapes_nul(line.as_bytes()) {
        return Err(format!("text {NUL_REFUSED}"));
    }
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let source = match (obj.get("source-ref"), obj.get("source")) {
        (Some(Value::String(r)), _) => crate::manifest::parse_source(r)?,
        (None, Some(Value::String(text))) if !text.is_empty() => {
            ManifestSource::Content(text.clone())
        }
        (Some(_), _) => return Err("source-ref must be a string".into()),
        _ => return Err("source-ref (or source with text) is required".into()),
    };
    let mut entry = ManifestEntry {
        source,
        usage: None,
        hard: false,
        metadata: SampleMetadata::default(),
        labels: Vec::new(),
        annotation_locs: Vec::new(),
    };
    for (key, meta) in obj {
        let Some(name) = key.strip_suffix("-metadata") else {
            continue;
        };
        let Some(meta) = meta.as_object() else {
            continue;
        };
        let is_gt = meta
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with(TYPE_PREFIX));
        if !is_gt {
            continue;
        }
        let value = obj.get(name).unwrap_or(&Value::Null);
        let labels = attribute_labels(name, value, meta, dataset_type, &mut entry.metadata)?;
        entry.labels.extend(labels);
    }
    Ok(entry)
}

/// Writes Ground Truth lines for one export: the label attribute, its task type and
/// the class ids (0-based, in the dataset's label order, then first seen).
#[derive(Debug)]
pub struct GroundTruthWriter {
    attribute: String,
    dataset_type: i32,
    classes: Categories,
    job_name: String,
}

/// The dataset types an export can write as Ground Truth.
pub fn exportable(dataset_type: i32) -> bool {
    matches!(dataset_type, 0 | 1 | 100 | 101)
}

/// The corners `(x1, y1, x2, y2)` of a `bndbox` label.
pub fn box_corners(label: &SampleLabel) -> Option<(f64, f64, f64, f64)> {
    if label.prop_str("@modelarts:shape") != Some("bndbox") {
        return None;
    }
    let f = label.property.get("@modelarts:feature")?.as_array()?;
    let point = |p: &Value| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?));
    match f.as_slice() {
        [a, b] => {
            let ((x1, y1), (x2, y2)) = (point(a)?, point(b)?);
            Some((x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)))
        }
        _ => None,
    }
}

impl GroundTruthWriter {
    /// A writer naming its attribute `attribute`, classes first from `label_names`.
    pub fn new<'a>(
        attribute: &str,
        dataset_type: i32,
        label_names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            attribute: attribute.to_owned(),
            dataset_type,
            classes: Categories::new(label_names),
            job_name: format!("labeling-job/{attribute}"),
        }
    }

    fn class_id(&mut self, label: &SampleLabel) -> (u64, String) {
        let name = label.name.clone().unwrap_or_default();
        (self.classes.id(&name) - 1, name)
    }

    /// One line for the object at `source_ref` with its labels; also how many labels
    /// Ground Truth cannot hold (shapes other than boxes).
    pub fn line(
        &mut self,
        source_ref: &str,
        labels: &[SampleLabel],
        size: Option<ImageSize>,
        creation_date: &str,
    ) -> (Value, i64) {
        let mut line = Map::new();
        line.insert("source-ref".into(), json!(source_ref));
        let human = if labels
            .iter()
            .all(|l| l.annotated_by.as_deref() != Some("auto"))
        {
            "yes"
        } else {
            "no"
        };
        let mut meta = Map::new();
        let mut skipped = 0;
        let value = match self.dataset_type {
            1 => {
                let mut boxes = Vec::new();
                let mut objects = Vec::new();
                let mut map = Map::new();
                for l in labels {
                    let Some((x1, y1, x2, y2)) = box_corners(l) else {
                        skipped += i64::from(l.property.contains_key("@modelarts:feature"));
                        continue;
                    };
                    let (id, name) = self.class_id(l);
                    map.insert(id.to_string(), json!(name));
                    boxes.push(json!({
                        "class_id": id, "left": json_num(x1), "top": json_num(y1),
                        "width": json_num(x2 - x1), "height": json_num(y2 - y1),
                    }));
                    objects.push(json!({"confidence": l.score.unwrap_or(1.0)}));
                }
                if boxes.is_empty() {
                    return (Value::Object(line), skipped);
                }
                meta.insert("objects".into(), json!(objects));
                meta.insert("class-map".into(), Value::Object(map));
                meta.insert("type".into(), json!(OBJECT_DETECTION));
                let mut v = json!({"annotations": boxes});
                if let Some(s) = size {
                    v["image_size"] =
                        json!([{"width": s.width, "height": s.height, "depth": s.depth}]);
                }
                v
            }
            101 => {
                let mut entities = Vec::new();
                let mut confidences = Vec::new();
                let mut names: Vec<String> = Vec::new();
                for l in labels {
                    let span = |k| l.property.get(k).and_then(Value::as_u64);
                    let (Some(start), Some(end)) =
                        (span("@modelarts:start_index"), span("@modelarts:end_index"))
                    else {
                        continue;
                    };
                    let name = l.name.clone().unwrap_or_default();
                    if !names.contains(&name) {
                        names.push(name.clone());
                    }
                    entities.push(json!({"label": name, "startOffset": start, "endOffset": end}));
                    confidences.push(json!({"confidence": l.score.unwrap_or(1.0)}));
                }
                if entities.is_empty() {
                    return (Value::Object(line), skipped);
                }
                meta.insert("entities".into(), json!(confidences));
                meta.insert("type".into(), json!(TEXT_SPAN));
                let labels: Vec<Value> = names.iter().map(|n| json!({"label": n})).collect();
                json!({"annotations": {"entities": entities, "labels": labels}})
            }
            _ => {
                let classes: Vec<&SampleLabel> =
                    labels.iter().filter(|l| l.name.is_some()).collect();
                let task = if self.dataset_type == 100 {
                    "groundtruth/text-classification"
                } else {
                    "groundtruth/image-classification"
                };
                match classes.as_slice() {
                    [] => return (Value::Object(line), skipped),
                    [one] => {
                        let (id, name) = self.class_id(one);
                        meta.insert("class-name".into(), json!(name));
                        meta.insert("confidence".into(), json!(one.score.unwrap_or(1.0)));
                        meta.insert("type".into(), json!(task));
                        json!(id)
                    }
                    many => {
                        let mut map = Map::new();
                        let mut confidences = Map::new();
                        let mut ids = Vec::new();
                        for l in many {
                            let (id, name) = self.class_id(l);
                            map.insert(id.to_string(), json!(name));
                            confidences.insert(id.to_string(), json!(l.score.unwrap_or(1.0)));
                            ids.push(id);
                        }
                        meta.insert("class-map".into(), Value::Object(map));
                        meta.insert("confidence-map".into(), Value::Object(confidences));
                        meta.insert("type".into(), json!(format!("{task}-multilabel")));
                        json!(ids)
                    }
                }
            }
        };
        meta.insert("human-annotated".into(), json!(human));
        meta.insert("creation-date".into(), json!(creation_date));
        meta.insert("job-name".into(), json!(self.job_name));
        line.insert(self.attribute.clone(), value);
        line.insert(format!("{}-metadata", self.attribute), Value::Object(meta));
        (Value::Object(line), skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(name: &str, x1: i64, y1: i64, x2: i64, y2: i64) -> SampleLabel {
        let mut l = SampleLabel {
            name: Some(name.into()),
            label_type: Some(1),
            ..SampleLabel::default()
        };
        l.property
            .insert("@modelarts:shape".into(), json!("bndbox"));
        l.property
            .insert("@modelarts:feature".into(), json!([[x1, y1], [x2, y2]]));
        l
    }

    #[test]
    fn the_documented_detection_line_parses() {
        let line = json!({
            "source-ref": "s3://bucket/images/1.jpg",
            "bounding-box": {
                "image_size": [{"width": 500, "height": 400, "depth": 3}],
                "annotations": [
                    {"class_id": 0, "left": 111, "top": 134, "width": 61, "height": 128},
                    {"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30}
                ]
            },
            "bounding-box-metadata": {
                "objects": [{"confidence": 0.8}, {"confidence": 0.9}],
                "class-map": {"0": "dog", "5": "bone"},
                "type": "groundtruth/object-detection",
                "human-annotated": "yes",
                "creation-date": "2018-10-18T22:18:13.527256",
                "job-name": "identify-dogs-and-toys"
            }
        });
        let e = parse_line(&line.to_string(), 1).unwrap();
        assert_eq!(
            e.source,
            ManifestSource::Object("/bucket/images/1.jpg".into())
        );
        assert_eq!(e.metadata.0["@modelarts:size"], json!([500, 400, 3]));
        assert_eq!(e.labels.len(), 2);
        assert_eq!(e.labels[1].name.as_deref(), Some("bone"));
        assert_eq!(e.labels[1].score, Some(0.9));
        assert_eq!(
            e.labels[0].property["@modelarts:feature"],
            json!([[111, 134], [172, 262]])
        );
    }

    #[test]
    fn classification_and_spans_parse() {
        let single = json!({"source-ref": "s3://bkt/a.jpg", "label": 1,
            "label-metadata": {"class-name": "cat", "confidence": 0.5,
                "type": "groundtruth/image-classification", "human-annotated": "no"}});
        let e = parse_line(&single.to_string(), 0).unwrap();
        assert_eq!(e.labels[0].name.as_deref(), Some("cat"));
        assert_eq!(e.labels[0].annotated_by.as_deref(), Some("auto"));
        let multi = json!({"source": "good film", "mood": [0, 2],
            "mood-metadata": {"class-map": {"0": "happy", "2": "calm"},
                "type": "groundtruth/text-classification-multilabel"}});
        let e = parse_line(&multi.to_string(), 100).unwrap();
        assert_eq!(e.source, ManifestSource::Content("good film".into()));
        let names: Vec<_> = e.labels.iter().map(|l| l.name.clone().unwrap()).collect();
        assert_eq!(names, ["happy", "calm"]);
        assert_eq!(e.labels[0].label_type, Some(100));
        let ner = json!({"source": "Ann met Bob", "ner": {"annotations": {"entities": [
                {"label": "person", "startOffset": 8, "endOffset": 11}]}},
            "ner-metadata": {"type": "groundtruth/text-span"}});
        let e = parse_line(&ner.to_string(), 101).unwrap();
        assert_eq!(e.labels[0].property["@modelarts:start_index"], json!(8));
    }

    #[test]
    fn bad_lines_say_why() {
        for (line, why) in [
            (json!({"label": 0}), "source-ref"),
            (
                json!({"source-ref": "s3://bkt/a.jpg", "x": "s3://bkt/m.png",
                "x-metadata": {"type": "groundtruth/semantic-segmentation"}}),
                "not supported",
            ),
            (
                json!({"source-ref": "s3://bkt/a.jpg", "x": [7],
                "x-metadata": {"type": "groundtruth/image-classification-multilabel",
                    "class-map": {"0": "a"}}}),
                "class 7",
            ),
            (
                json!({"source-ref": "s3://bkt/a.jpg", "x": {"annotations": [{"class_id": 0}]},
                "x-metadata": {"type": "groundtruth/object-detection",
                    "class-map": {"0": "a"}}}),
                "left",
            ),
            (json!({"source-ref": "../etc/passwd"}), "source"),
        ] {
            let err = parse_line(&line.to_string(), 1).unwrap_err();
            assert!(err.contains(why), "{err} lacks {why}");
        }
    }

    #[test]
    fn written_lines_read_back() {
        let mut w = GroundTruthWriter::new("pets", 1, ["cat", "dog"]);
        let size = ImageSize {
            width: 50,
            height: 40,
            depth: 3,
        };
        let labels = vec![boxed("dog", 1, 2, 11, 22)];
        let (line, skipped) = w.line("s3://bkt/a.jpg", &labels, Some(size), "2026-01-01T00:00:00");
        assert_eq!(skipped, 0);
        assert_eq!(line["pets"]["annotations"][0]["class_id"], json!(1));
        let back = parse_line(&line.to_string(), 1).unwrap();
        assert_eq!(back.labels[0].name.as_deref(), Some("dog"));
        assert_eq!(box_corners(&back.labels[0]), Some((1.0, 2.0, 11.0, 22.0)));
        let mut w = GroundTruthWriter::new("kinds", 0, ["a"]);
        let class = |n: &str| SampleLabel {
            name: Some(n.into()),
            label_type: Some(0),
            ..SampleLabel::default()
        };
        let (line, _) = w.line("s3://bkt/a.jpg", &[class("a"), class("b")], None, "t");
        assert_eq!(line["kinds"], json!([0, 1]));
        let back = parse_line(&line.to_string(), 0).unwrap();
        assert_eq!(back.labels.len(), 2);
        let (line, _) = w.line("s3://bkt/c.jpg", &[], None, "t");
        assert_eq!(line, json!({"source-ref": "s3://bkt/c.jpg"}));

        let mut w = GroundTruthWriter::new("ner", 101, ["person"]);
        let mut span = SampleLabel {
            name: Some("person".into()),
            label_type: Some(101),
            score: Some(0.5),
            ..SampleLabel::default()
        };
        span.property
            .insert("@modelarts:start_index".into(), json!(8));
        span.property
            .insert("@modelarts:end_index".into(), json!(11));
        let (line, _) = w.line("s3://bkt/t.txt", std::slice::from_ref(&span), None, "t");
        assert_eq!(line["ner-metadata"]["type"], TEXT_SPAN);
        let back = parse_line(&line.to_string(), 101).unwrap();
        assert_eq!(back.labels, [span]);
    }
}
