//! ModelArts manifest lines (JSON Lines), as the manifest specification in
//! spec/guide/.../specifications_for_importing_a_manifest_file.md describes them.
//!
//! Choices where the specification is silent:
//! - `annotated-by` is `human`, or `modelarts/auto` for labels a machine made;
//! - shapes go to one PASCAL VOC file per sample (`annotation-loc`) when the caller
//!   wrote one; otherwise each shape is kept inline as an `object_detection`
//!   annotation with its `@modelarts:shape` and `@modelarts:feature` properties (a
//!   Labelhive extension, so that nothing is lost);
//! - non-hard sample metadata goes to the line's `property`.

mod parse;

use serde_json::{json, Map, Value};

pub use parse::{
    label_type_of, parse_line, parse_source, AnnotationLoc, ManifestEntry, ManifestSource,
};

use crate::annotation::{SampleLabel, SampleMetadata};

/// Hard-example keys, of label properties and sample metadata alike.
pub(crate) const HARD_KEYS: [&str; 3] = [
    "@modelarts:hard",
    "@modelarts:hard_coefficient",
    "@modelarts:hard_reasons",
];

/// What one manifest line is written from.
#[derive(Debug, Clone)]
pub struct ManifestSample<'a> {
    /// Sample id.
    pub id: &'a str,
    /// `s3://bucket/key` of the file.
    pub source: String,
    /// `TRAIN`, `EVAL`, ... when the sample has one.
    pub usage: Option<&'a str>,
    /// ModelArts sample type (0 image, 1 text, 2 audio, 4 table, 6 video).
    pub sample_type: i32,
    /// The sample's labels.
    pub labels: &'a [SampleLabel],
    /// The sample's metadata.
    pub metadata: &'a SampleMetadata,
    /// False drops every hard-example field.
    pub keep_hard: bool,
    /// Where the shapes were written as PASCAL VOC, if they were.
    pub annotation_loc: Option<String>,
    /// `2019-01-23 11:30:30`, the annotations' `creation-time`.
    pub creation_time: &'a str,
}

/// The manifest annotation type of a label type.
pub fn annotation_type(label_type: i32) -> &'static str {
    match label_type {
        0 => "modelarts/image_classification",
        1 | 600 => "modelarts/object_detection",
        3 => "modelarts/image_segmentation",
        100 => "modelarts/text_classification",
        101 | 103 => "modelarts/text_entity",
        102 => "modelarts/text_triplet",
        200 => "modelarts/audio_classification",
        201 => "modelarts/audio_content",
        202 => "modelarts/audio_segmentation",
        _ => "modelarts/custom",
    }
}

/// Whether a label is a shape (detection, segmentation or video) with a feature.
fn is_shape(label: &SampleLabel) -> bool {
    matches!(label.label_type, Some(1 | 3 | 600))
        && label.property.contains_key("@modelarts:feature")
}

/// Whether these labels carry shapes that go to a PASCAL VOC file.
pub fn has_shapes(labels: &[SampleLabel]) -> bool {
    labels.iter().any(is_shape)
}

fn annotated_by(label: &SampleLabel) -> &'static str {
    match label.annotated_by.as_deref() {
        Some("auto") => "modelarts/auto",
        _ => "human",
    }
}

/// Whether the metadata or a label marks the sample hard.
fn sample_is_hard(s: &ManifestSample<'_>) -> bool {
    crate::annotation::is_hard(s.labels, Some(s.metadata))
}

/// A label's property without the hard keys when they are cleared.
fn property(label: &SampleLabel, keep_hard: bool) -> Map<String, Value> {
    label
        .property
        .iter()
        .filter(|(k, _)| keep_hard || !HARD_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn annotation(label: &SampleLabel, s: &ManifestSample<'_>) -> Value {
    let t = label.label_type.unwrap_or_default();
    let mut a = Map::new();
    a.insert("type".into(), json!(annotation_type(t)));
    if let Some(name) = &label.name {
        a.insert("name".into(), json!(name));
    }
    if let Some(id) = &label.id {
        a.insert("id".into(), json!(id));
    }
    let prop = property(label, s.keep_hard);
    if let (true, Some(hard)) = (s.keep_hard, label.property.get("@modelarts:hard")) {
        let hard = matches!(hard.as_str(), Some("1" | "true"));
        a.insert("hard".into(), json!(hard.to_string()));
    }
    if !prop.is_empty() {
        a.insert("property".into(), Value::Object(prop));
    }
    if let Some(score) = label.score {
        a.insert("confidence".into(), json!(score));
    }
    a.insert("annotated-by".into(), json!(annotated_by(label)));
    a.insert("creation-time".into(), json!(s.creation_time));
    Value::Object(a)
}

/// The manifest JSON object (one line) for a sample.
pub fn manifest_line(s: &ManifestSample<'_>) -> Value {
    let mut line = Map::new();
    line.insert("source".into(), json!(s.source));
    line.insert("id".into(), json!(s.id));
    line.insert("sample-type".into(), json!(s.sample_type));
    if let Some(usage) = s.usage {
        line.insert("usage".into(), json!(usage));
    }
    if s.keep_hard {
        if sample_is_hard(s) {
            line.insert("hard".into(), json!("true"));
        }
        if let Some(c) = s.metadata.0.get("@modelarts:hard_coefficient") {
            line.insert("hard-coefficient".into(), c.clone());
        }
    }
    let property: Map<String, Value> = s
        .metadata
        .0
        .iter()
        .filter(|(k, _)| !HARD_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !property.is_empty() {
        line.insert("property".into(), Value::Object(property));
    }
    let mut annotations = Vec::new();
    let mut shapes_written = false;
    for label in s.labels {
        match (&s.annotation_loc, is_shape(label)) {
            (Some(loc), true) => {
                if !shapes_written {
                    shapes_written = true;
                    let t = label.label_type.unwrap_or(1);
                    annotations.push(json!({
                        "type": annotation_type(if t == 3 { 3 } else { 1 }),
                        "annotation-loc": loc,
                        "annotation-format": "PASCAL VOC",
                        "annotated-by": annotated_by(label),
                        "creation-time": s.creation_time,
                    }));
                }
            }
            _ => annotations.push(annotation(label, s)),
        }
    }
    if !annotations.is_empty() {
        line.insert("annotation".into(), Value::Array(annotations));
    }
    Value::Object(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(v: Value) -> SampleLabel {
        serde_json::from_value(v).unwrap()
    }

    fn sample<'a>(labels: &'a [SampleLabel], metadata: &'a SampleMetadata) -> ManifestSample<'a> {
        ManifestSample {
            id: "abc",
            source: "s3://bkt/in/a.jpg".into(),
            usage: Some("TRAIN"),
            sample_type: 0,
            labels,
            metadata,
            keep_hard: true,
            annotation_loc: None,
            creation_time: "2019-01-23 11:30:30",
        }
    }

    #[test]
    fn classification_lines_follow_the_specification() {
        let labels = [
            label(
                json!({"name": "cat", "type": 0, "score": 0.8, "annotated_by": "auto",
                         "property": {"color": "white", "@modelarts:hard": "true"}}),
            ),
            label(json!({"name": "animal", "type": 0})),
        ];
        let meta: SampleMetadata = serde_json::from_value(
            json!({"@modelarts:hard": 1, "@modelarts:hard_coefficient": 0.8, "camera": "n"}),
        )
        .unwrap();
        let line = manifest_line(&sample(&labels, &meta));
        assert_eq!(
            line,
            json!({
                "source": "s3://bkt/in/a.jpg", "id": "abc", "sample-type": 0, "usage": "TRAIN",
                "hard": "true", "hard-coefficient": 0.8, "property": {"camera": "n"},
                "annotation": [
                    {"type": "modelarts/image_classification", "name": "cat", "hard": "true",
                     "property": {"color": "white", "@modelarts:hard": "true"}, "confidence": 0.8,
                     "annotated-by": "modelarts/auto", "creation-time": "2019-01-23 11:30:30"},
                    {"type": "modelarts/image_classification", "name": "animal",
                     "annotated-by": "human", "creation-time": "2019-01-23 11:30:30"}
                ]
            })
        );
        let mut cleared = sample(&labels, &meta);
        cleared.keep_hard = false;
        let text = manifest_line(&cleared).to_string();
        assert!(!text.contains("hard"), "{text}");
    }

    #[test]
    fn entities_relations_and_speech_keep_their_properties() {
        let labels = [
            label(json!({"name": "Person", "type": 103, "id": "E1",
                         "property": {"@modelarts:start_index": 0, "@modelarts:end_index": 3}})),
            label(json!({"name": "Author", "type": 102, "id": "R1",
                         "property": {"@modelarts:from": "E1", "@modelarts:to": "E1"}})),
            label(json!({"name": "talk", "type": 202,
                         "property": {"@modelarts:start_time": "00:00:01.000", "@modelarts:end_time": "00:00:02.500"}})),
        ];
        let meta = SampleMetadata::default();
        let line = manifest_line(&sample(&labels, &meta));
        let a = line["annotation"].as_array().unwrap();
        assert_eq!(a[0]["type"], "modelarts/text_entity");
        assert_eq!(a[0]["id"], "E1");
        assert_eq!(a[0]["property"]["@modelarts:end_index"], 3);
        assert_eq!(a[1]["type"], "modelarts/text_triplet");
        assert_eq!(a[1]["property"]["@modelarts:from"], "E1");
        assert_eq!(a[2]["type"], "modelarts/audio_segmentation");
        assert!(line.get("property").is_none());
    }

    #[test]
    fn shapes_go_to_one_voc_reference_or_stay_inline() {
        let labels = [
            label(
                json!({"name": "cat", "type": 1, "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[1, 2], [3, 4]]}}),
            ),
            label(
                json!({"name": "dog", "type": 1, "property": {"@modelarts:shape": "point", "@modelarts:feature": [[5, 6]]}}),
            ),
        ];
        let meta = SampleMetadata::default();
        assert!(has_shapes(&labels));
        let mut s = sample(&labels, &meta);
        let inline = manifest_line(&s);
        assert_eq!(inline["annotation"].as_array().unwrap().len(), 2);
        assert_eq!(
            inline["annotation"][1]["property"]["@modelarts:shape"],
            "point"
        );
        s.annotation_loc = Some("s3://bkt/out/a.xml".into());
        let referenced = manifest_line(&s);
        assert_eq!(
            referenced["annotation"],
            json!([{"type": "modelarts/object_detection", "annotation-loc": "s3://bkt/out/a.xml",
                    "annotation-format": "PASCAL VOC", "annotated-by": "human",
                    "creation-time": "2019-01-23 11:30:30"}])
        );
    }
}
