//! Sample labels (annotations) and sample metadata, with the rules of the spec's
//! `SampleLabel`, `SampleLabelProperty` and `SampleMetadata` tables.
//!
//! [`check_sample_labels`] validates a sample's whole label list at once, because some
//! rules span labels (triplet relations name entity ids) or the metadata (detection
//! points must lie within `@modelarts:size`). Where the spec is silent we choose:
//! - points may lie on the image border (`0 <= x <= width`, `0 <= y <= height`); a
//!   circle's centre must be inside, its radius is not bounded by the image;
//! - type-specific keys are checked only on labels of that type; other keys pass through;
//! - speech content (201) labels may leave out both times (whole-file transcript),
//!   paragraph (202) labels need both;
//! - label ids, when given, are non-empty and unique within the sample; entities without
//!   an id are allowed but cannot be referenced;
//! - values keep the spec's wire types strictly (`@modelarts:hard` is a string in a label
//!   property and a number in metadata; indexes and sizes are JSON integers).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dataset::DatasetType;
use crate::label::{allowed_label_types, Label, SHAPES};
use crate::DomainError;

// Documented `@modelarts:` keys of label properties and sample metadata.
const CONTENT: &str = "@modelarts:content";
const END_INDEX: &str = "@modelarts:end_index";
const END_TIME: &str = "@modelarts:end_time";
const FEATURE: &str = "@modelarts:feature";
const FROM: &str = "@modelarts:from";
const HARD: &str = "@modelarts:hard";
const HARD_COEFFICIENT: &str = "@modelarts:hard_coefficient";
pub(crate) const HARD_REASONS: &str = "@modelarts:hard_reasons";
const IMPORT_ORIGIN: &str = "@modelarts:import_origin";
const SHAPE: &str = "@modelarts:shape";
const SIZE: &str = "@modelarts:size";
const SOURCE: &str = "@modelarts:source";
const START_INDEX: &str = "@modelarts:start_index";
const START_TIME: &str = "@modelarts:start_time";
const TO: &str = "@modelarts:to";

// Label types with per-type property rules.
const DETECTION: i32 = 1;
const SEGMENTATION: i32 = 3;
const NAMED_ENTITY: i32 = 101;
const RELATION: i32 = 102;
const ENTITY: i32 = 103;
const SPEECH_CONTENT: i32 = 201;
const SPEECH_PARAGRAPH: i32 = 202;
/// Highest documented hard-example reason id.
const MAX_HARD_REASON: u64 = 30;

type Checked = Result<(), DomainError>;

/// A label placed on a sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SampleLabel {
    /// `human` or `auto` (video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotated_by: Option<String>,
    /// Label instance id (triplet entities are referenced by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Label name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Shape, span, time and hard-example properties.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub property: Map<String, Value>,
    /// Confidence in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Label type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub label_type: Option<i32>,
}

impl SampleLabel {
    /// A string property, if present.
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.property.get(key).and_then(Value::as_str)
    }
}

/// Sample metadata: the documented `@modelarts:` keys and any user keys, kept as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct SampleMetadata(pub Map<String, Value>);

impl SampleMetadata {
    /// The image size, if `@modelarts:size` is present and well-formed.
    pub fn size(&self) -> Option<ImageSize> {
        self.0.get(SIZE).and_then(|v| parse_size(v).ok())
    }

    /// Whether `@modelarts:hard` marks the sample as a hard example.
    pub fn is_hard(&self) -> bool {
        self.0.get(HARD).and_then(Value::as_f64) == Some(1.0)
    }
}

/// An image size from `@modelarts:size`, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    /// Width.
    pub width: u64,
    /// Height.
    pub height: u64,
    /// Depth (channels), 3 when left out.
    pub depth: u64,
}

/// What a sample's labels are checked against.
#[derive(Debug, Clone, Copy)]
pub struct LabelContext<'a> {
    /// The dataset's type.
    pub dataset_type: DatasetType,
    /// The dataset's labels.
    pub dataset_labels: &'a [Label],
    /// The sample's text, when known (text datasets), for span checks.
    pub text: Option<&'a str>,
}

/// Checks a sample's labels and metadata, filling a missing `type` from the dataset label.
pub fn check_sample_labels(
    ctx: &LabelContext<'_>,
    labels: &mut [SampleLabel],
    metadata: Option<&SampleMetadata>,
) -> Checked {
    check_sample_labels_at("", ctx, labels, metadata)
}

/// Like [`check_sample_labels`], with error fields under `prefix` (e.g. `samples[3]`).
pub fn check_sample_labels_at(
    prefix: &str,
    ctx: &LabelContext<'_>,
    labels: &mut [SampleLabel],
    metadata: Option<&SampleMetadata>,
) -> Checked {
    let p = match prefix {
        "" => String::new(),
        prefix => format!("{prefix}."),
    };
    let size = match metadata {
        Some(m) => check_metadata(&format!("{p}metadata"), m)?,
        None => None,
    };
    let mut ids = HashSet::new();
    for (i, label) in labels.iter_mut().enumerate() {
        let f = format!("{p}labels[{i}]");
        check_head(&f, ctx, label)?;
        if let Some(id) = &label.id {
            ensure(!id.is_empty(), format!("{f}.id"), "must not be empty")?;
            let why = format!("duplicate label id {id:?}");
            ensure(ids.insert(id.clone()), format!("{f}.id"), why)?;
        }
    }
    // The size is only mandatory with detection labels; it bounds their points.
    let detection = labels.iter().any(|l| l.label_type == Some(DETECTION));
    let (field, why) = (
        format!("{p}metadata.{SIZE}"),
        "required with detection labels",
    );
    ensure(size.is_some() || !detection, field, why)?;
    for (i, label) in labels.iter().enumerate() {
        let f = format!("{p}labels[{i}].property");
        check_hard_props(&f, label)?;
        match label.label_type.unwrap_or_default() {
            DETECTION => check_shape(&f, label, size, true)?,
            SEGMENTATION => check_shape(&f, label, size, false)?,
            NAMED_ENTITY | ENTITY => check_span(&f, label, ctx.text)?,
            RELATION => check_relation(&f, label, labels, ctx.dataset_labels)?,
            t @ (SPEECH_CONTENT | SPEECH_PARAGRAPH) => check_speech(&f, label, t)?,
            _ => {}
        }
    }
    Ok(())
}

/// Whether any label is a shape, which the sample's image size (`@modelarts:size`
/// in its metadata) must bound.
pub fn needs_size(labels: &[SampleLabel]) -> bool {
    labels
        .iter()
        .any(|l| matches!(l.label_type, Some(DETECTION | SEGMENTATION)))
}

/// Whether the sample, or any of its labels, is marked as a hard example.
pub fn is_hard(labels: &[SampleLabel], metadata: Option<&SampleMetadata>) -> bool {
    let label_hard = |l: &SampleLabel| matches!(l.prop_str(HARD), Some("1" | "true"));
    metadata.is_some_and(SampleMetadata::is_hard) || labels.iter().any(label_hard)
}

/// Parses a speech time `hh:mm:ss.SSS` (minutes and seconds below 60) into milliseconds.
pub fn parse_speech_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 12 || b[2] != b':' || b[5] != b':' || b[8] != b'.' {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let (h, m, sec, ms) = (num(0, 2)?, num(3, 5)?, num(6, 8)?, num(9, 12)?);
    (m < 60 && sec < 60).then_some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Parses `@modelarts:size`: `[width, height]` or `[width, height, depth]`, all positive.
pub fn parse_size(v: &Value) -> Result<ImageSize, &'static str> {
    const WHAT: &str = "must be [width, height] or [width, height, depth] of positive integers";
    let dims = v.as_array().ok_or(WHAT)?.iter();
    let dims: Vec<u64> = dims
        .map(|d| d.as_u64().filter(|&n| n > 0).ok_or(WHAT))
        .collect::<Result<_, _>>()?;
    let (width, height, depth) = match dims[..] {
        [w, h] => (w, h, 3),
        [w, h, d] => (w, h, d),
        _ => return Err(WHAT),
    };
    Ok(ImageSize {
        width,
        height,
        depth,
    })
}

/// Shorthand for [`DomainError::invalid`] with a built field and a fixed reason.
fn invalid(field: String, reason: &str) -> DomainError {
    DomainError::invalid(field, reason)
}

/// `Ok` when `ok`, else an invalid-parameter error on `field`.
fn ensure(ok: bool, field: impl Into<String>, reason: impl Into<String>) -> Checked {
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(field, reason))
    }
}

/// Name, type, score and `annotated_by` of one label; fills a missing type.
fn check_head(f: &str, ctx: &LabelContext<'_>, label: &mut SampleLabel) -> Checked {
    let name = label.name.as_deref().unwrap_or_default();
    ensure(!name.is_empty(), format!("{f}.name"), "is required")?;
    let Some(known) = ctx.dataset_labels.iter().find(|d| d.name == name) else {
        let why = format!("unknown label {name:?}: not a label of this dataset");
        return Err(DomainError::invalid(format!("{f}.name"), why));
    };
    let t = label.label_type.unwrap_or(known.label_type);
    // Checked before the match with the dataset label: the more telling error comes first.
    let code = ctx.dataset_type.code();
    let allowed = allowed_label_types(ctx.dataset_type).contains(&t);
    let why = format!("label type {t} is not allowed in a dataset of type {code}");
    ensure(allowed, format!("{f}.type"), why)?;
    let kt = known.label_type;
    let why = format!("label {name:?} has type {kt} in this dataset");
    ensure(t == known.label_type, format!("{f}.type"), why)?;
    label.label_type = Some(t);
    let score_ok = label.score.is_none_or(|s| (0.0..=1.0).contains(&s));
    ensure(score_ok, format!("{f}.score"), "must be within [0, 1]")?;
    let by_ok = matches!(label.annotated_by.as_deref(), None | Some("human" | "auto"));
    ensure(by_ok, format!("{f}.annotated_by"), "must be human or auto")
}

/// Checks the metadata keys of the spec and returns the image size, if given.
fn check_metadata(f: &str, m: &SampleMetadata) -> Result<Option<ImageSize>, DomainError> {
    let field = |key: &str| format!("{f}.{key}");
    if let Some(v) = m.0.get(IMPORT_ORIGIN) {
        let ok = v.is_i64() || v.is_u64();
        ensure(ok, field(IMPORT_ORIGIN), "must be an integer")?;
    }
    if let Some(v) = m.0.get(HARD) {
        let ok = matches!(v.as_f64(), Some(h) if h == 0.0 || h == 1.0);
        ensure(ok, field(HARD), "must be 0 or 1")?;
    }
    if let Some(v) = m.0.get(HARD_COEFFICIENT) {
        let ok = v.as_f64().is_some_and(|c| (0.0..=1.0).contains(&c));
        ensure(ok, field(HARD_COEFFICIENT), "must be within [0, 1]")?;
    }
    if let Some(v) = m.0.get(HARD_REASONS) {
        let reason_ok = |r: &Value| r.as_u64().is_some_and(|n| n <= MAX_HARD_REASON);
        let ok = v.as_array().is_some_and(|a| a.iter().all(reason_ok));
        let why = "must be a list of reason ids from 0 to 30";
        ensure(ok, field(HARD_REASONS), why)?;
    }
    m.0.get(SIZE)
        .map(|v| parse_size(v).map_err(|why| DomainError::invalid(field(SIZE), why)))
        .transpose()
}

/// The hard-example keys any label may carry, all strings.
fn check_hard_props(f: &str, label: &SampleLabel) -> Checked {
    let p = &label.property;
    if let Some(v) = p.get(HARD) {
        let ok = matches!(v.as_str(), Some("0" | "1" | "true" | "false"));
        let why = r#"must be "0", "1", "true" or "false""#;
        ensure(ok, format!("{f}.{HARD}"), why)?;
    }
    if let Some(v) = p.get(HARD_COEFFICIENT) {
        let c = v.as_str().and_then(|s| s.trim().parse::<f64>().ok());
        let ok = c.is_some_and(|c| (0.0..=1.0).contains(&c));
        let why = "must be a string holding a number within [0, 1]";
        ensure(ok, format!("{f}.{HARD_COEFFICIENT}"), why)?;
    }
    if let Some(v) = p.get(HARD_REASONS) {
        let id_ok = |id: &str| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && id.parse::<u64>().is_ok_and(|n| n <= MAX_HARD_REASON)
        };
        let ok = v.as_str().is_some_and(|s| s.split('-').all(id_ok));
        let why = "must be reason ids from 0 to 30 joined by hyphens, such as 3-20-21";
        ensure(ok, format!("{f}.{HARD_REASONS}"), why)?;
    }
    Ok(())
}

/// A point `[x, y]` of two finite numbers >= 0.
fn point(v: &Value) -> Option<(f64, f64)> {
    let [x, y] = v.as_array()?.as_slice() else {
        return None;
    };
    let coord = |n: &Value| n.as_f64().filter(|n| n.is_finite() && *n >= 0.0);
    Some((coord(x)?, coord(y)?))
}

/// A circle `[[cx, cy], [r]]` with `r > 0`; returns its centre.
fn circle(v: &Value) -> Option<(f64, f64)> {
    let [centre, radius] = v.as_array()?.as_slice() else {
        return None;
    };
    let [r] = radius.as_array()?.as_slice() else {
        return None;
    };
    r.as_f64().filter(|r| r.is_finite() && *r > 0.0)?;
    point(centre)
}

/// A list of points.
fn points(f: &str, v: &Value) -> Result<Vec<(f64, f64)>, DomainError> {
    let list = v.as_array();
    let list = list.ok_or_else(|| DomainError::invalid(f, "must be a list of [x, y] points"))?;
    let why = "a point is [x, y] with numbers >= 0";
    let at = |(j, p): (usize, &Value)| point(p).ok_or_else(|| invalid(format!("{f}[{j}]"), why));
    list.iter().enumerate().map(at).collect()
}

/// Object detection (`required`) or segmentation: shape and feature must agree.
///
/// Detection needs both keys. Segmentation labels may leave both out (a mask elsewhere);
/// when given, the shape must be `polygon` and the feature a polygon.
fn check_shape(f: &str, l: &SampleLabel, size: Option<ImageSize>, required: bool) -> Checked {
    let (sf, ff) = (format!("{f}.{SHAPE}"), format!("{f}.{FEATURE}"));
    let allowed: &[&str] = if required { SHAPES } else { &["polygon"] };
    let shape = match l.property.get(SHAPE) {
        None if required => return Err(invalid(sf, "required for object detection labels")),
        None => "polygon",
        Some(v) => {
            let shape = v.as_str().filter(|s| allowed.contains(s));
            let why = format!("must be one of {}", allowed.join(", "));
            shape.ok_or_else(|| DomainError::invalid(sf, why))?
        }
    };
    let feature = match l.property.get(FEATURE) {
        None if required => return Err(invalid(ff, "required for object detection labels")),
        None => return Ok(()),
        Some(v) => v,
    };
    let pts = if shape == "circle" {
        let why = "a circle is [[cx, cy], [r]] with cx, cy >= 0 and r > 0";
        vec![circle(feature).ok_or_else(|| invalid(ff.clone(), why))?]
    } else {
        let pts = points(&ff, feature)?;
        let (min, max) = match shape {
            "bndbox" | "line" | "dashed" => (2, 2),
            "point" => (1, 1),
            "polygon" => (3, usize::MAX),
            _ => (2, usize::MAX), // polyline
        };
        let why = if min == max {
            format!("a {shape} has exactly {min} point(s)")
        } else {
            format!("a {shape} has at least {min} points")
        };
        ensure((min..=max).contains(&pts.len()), &ff, why)?;
        if let (Some(&(x1, y1)), Some(&(x2, y2)), "bndbox") = (pts.first(), pts.get(1), shape) {
            let why = "a bndbox is [[x1, y1], [x2, y2]] with x1 < x2 and y1 < y2";
            ensure(x1 < x2 && y1 < y2, &ff, why)?;
        }
        pts
    };
    // Points are bounded by the image when its size is known (always, for detection).
    let Some(ImageSize { width, height, .. }) = size else {
        return Ok(());
    };
    for (j, &(x, y)) in pts.iter().enumerate() {
        // u64 -> f64 is exact for any real image size.
        let inside = x <= width as f64 && y <= height as f64;
        let why = format!("point lies outside the {width}x{height} image");
        ensure(inside, format!("{ff}[{j}]"), why)?;
    }
    Ok(())
}

/// Whether checking these labels needs the sample's text (they carry span indexes).
pub fn needs_text(labels: &[SampleLabel]) -> bool {
    labels
        .iter()
        .any(|l| l.property.contains_key(START_INDEX) || l.property.contains_key(END_INDEX))
}

/// Named entities and triplet entities: `0 <= start < end <= text length` in characters.
fn check_span(f: &str, l: &SampleLabel, text: Option<&str>) -> Checked {
    let index = |key: &str| match l.property.get(key) {
        None => Err(invalid(format!("{f}.{key}"), "required for entity labels")),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| invalid(format!("{f}.{key}"), "must be an integer >= 0")),
    };
    let (start, end) = (index(START_INDEX)?, index(END_INDEX)?);
    let ef = format!("{f}.{END_INDEX}");
    ensure(start < end, &ef, "must be greater than start_index")?;
    // Indexes count characters (Unicode scalar values), not bytes.
    let len = text.map_or(u64::MAX, |t| t.chars().count() as u64);
    let why = format!("lies past the end of the text ({len} characters)");
    ensure(end <= len, ef, why)
}

/// Triplet relations: `from` and `to` are ids of entity labels of the same sample.
fn check_relation(f: &str, l: &SampleLabel, labels: &[SampleLabel], defs: &[Label]) -> Checked {
    let def = defs
        .iter()
        .find(|d| Some(d.name.as_str()) == l.name.as_deref());
    for (key, type_key) in [(FROM, "@modelarts:from_type"), (TO, "@modelarts:to_type")] {
        let field = format!("{f}.{key}");
        let id = match l.property.get(key) {
            None => return Err(invalid(field, "required for triplet relation labels")),
            Some(v) => v
                .as_str()
                .ok_or_else(|| invalid(field.clone(), "must be a label id (string)"))?,
        };
        let Some(entity) = labels.iter().find(|e| e.id.as_deref() == Some(id)) else {
            let why = format!("no label with id {id:?} in this sample");
            return Err(DomainError::invalid(field, why));
        };
        let why = format!("label {id:?} is not a triplet entity (type 103)");
        ensure(entity.label_type == Some(ENTITY), &field, why)?;
        // The dataset's relation label fixes which entity label each end joins.
        if let Some(expected) = def.and_then(|d| d.prop(type_key)) {
            let why = format!("label {id:?} must be a {expected:?} entity");
            ensure(entity.name.as_deref() == Some(expected), field, why)?;
        }
    }
    Ok(())
}

/// Speech labels: times as `hh:mm:ss.SSS` with start <= end; content and source strings.
fn check_speech(f: &str, l: &SampleLabel, label_type: i32) -> Checked {
    let time = |key: &str| {
        let why = "must be a time as hh:mm:ss.SSS";
        let parse = |v: &Value| v.as_str().and_then(parse_speech_time);
        let parse = |v| parse(v).ok_or_else(|| invalid(format!("{f}.{key}"), why));
        l.property.get(key).map(parse).transpose()
    };
    let (sf, ef) = (format!("{f}.{START_TIME}"), format!("{f}.{END_TIME}"));
    match (time(START_TIME)?, time(END_TIME)?) {
        (Some(start), Some(end)) => ensure(start <= end, ef, "must not be before start_time")?,
        (None, None) if label_type == SPEECH_CONTENT => {}
        (None, _) => return Err(invalid(sf, "is required")),
        (_, None) => return Err(invalid(ef, "is required")),
    }
    for key in [CONTENT, SOURCE] {
        let ok = l.property.get(key).is_none_or(Value::is_string);
        ensure(ok, format!("{f}.{key}"), "must be a string")?;
    }
    let has_content = l.property.contains_key(CONTENT) || label_type != SPEECH_CONTENT;
    let why = "required for speech content labels";
    ensure(has_content, format!("{f}.{CONTENT}"), why)
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use DatasetType::{
        Custom, ImageClassification as Ic, NamedEntity, ObjectDetection, TextTriplet,
    };

    const TEXT: &str = "Hope is the thing with feathers";
    type Outcome = Result<Vec<SampleLabel>, String>;

    fn defs() -> Vec<Label> {
        let rel = json!({"@modelarts:from_type": "person", "@modelarts:to_type": "city"});
        let defs = json!([
            {"name": "cat", "type": 0}, {"name": "box", "type": 1}, {"name": "seg", "type": 3},
            {"name": "ner", "type": 101}, {"name": "rel", "type": 102, "property": rel},
            {"name": "person", "type": 103}, {"name": "city", "type": 103},
            {"name": "speech", "type": 201}, {"name": "para", "type": 202}
        ]);
        serde_json::from_value(defs).unwrap()
    }

    /// Checks `labels` under `prefix`; on failure returns `field: reason`.
    fn run_at(prefix: &str, dt: DatasetType, labels: Value, meta: Value, text: &str) -> Outcome {
        let defs = defs();
        let mut labels: Vec<SampleLabel> = serde_json::from_value(labels).unwrap();
        let meta: Option<SampleMetadata> = serde_json::from_value(meta).unwrap();
        let text = Some(text).filter(|t| !t.is_empty());
        let ctx = LabelContext {
            dataset_type: dt,
            dataset_labels: &defs,
            text,
        };
        let res = check_sample_labels_at(prefix, &ctx, &mut labels, meta.as_ref());
        match res {
            Ok(()) => Ok(labels),
            Err(DomainError::InvalidParameter { field, reason }) => {
                Err(format!("{field}: {reason}"))
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }

    /// Checks `labels` without metadata.
    fn bare(dt: DatasetType, labels: Value, text: &str) -> Outcome {
        run_at("", dt, labels, Value::Null, text)
    }

    /// One label in a custom dataset (all types), on a 100x100 image holding [`TEXT`].
    fn one(label: Value) -> Outcome {
        let meta = json!({SIZE: [100, 100]});
        run_at("", Custom, json!([label]), meta, TEXT)
    }

    fn with(name: &str, property: Value) -> Outcome {
        one(json!({"name": name, "property": property}))
    }

    fn shape(shape: &str, feature: Value) -> Outcome {
        with("box", json!({SHAPE: shape, FEATURE: feature}))
    }

    /// Asserts a refusal whose `field: reason` contains `needle`.
    fn fails(outcome: Outcome, needle: &str) {
        let err = outcome.unwrap_err();
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }

    #[test]
    fn names_must_be_dataset_labels_and_types_are_filled() {
        let filled = bare(Ic, json!([{"name": "cat"}]), "").unwrap();
        assert_eq!(filled[0].label_type, Some(0));
        fails(one(json!({"name": "dog"})), "name: unknown label");
        fails(one(json!({"type": 0})), "labels[0].name: is required");
        let nameless = run_at("samples[3]", Ic, json!([{}]), Value::Null, "");
        fails(nameless, "samples[3].labels[0].name");
    }

    #[test]
    fn types_must_fit_the_dataset_and_the_label() {
        let boxed = bare(Ic, json!([{"name": "box"}]), "");
        fails(boxed, "type: label type 1 is not allowed in a dataset");
        let cat = one(json!({"name": "cat", "type": 1}));
        fails(cat, "labels[0].type: label \"cat\" has type 0");
    }

    #[test]
    fn score_and_annotated_by_are_bounded() {
        let fine = json!({"name": "cat", "score": 0.5, "annotated_by": "auto"});
        assert!(one(fine).is_ok());
        fails(one(json!({"name": "cat", "score": 1.5})), "score");
        fails(one(json!({"name": "cat", "score": -0.1})), "score");
        let robot = json!({"name": "cat", "annotated_by": "robot"});
        fails(one(robot), "labels[0].annotated_by");
    }

    #[test]
    fn detection_shapes_have_their_point_counts() {
        for (s, feature, ok) in [
            ("bndbox", json!([[0, 10], [50, 95]]), true),
            ("bndbox", json!([[0, 1], [5, 9], [6, 9]]), false),
            ("polygon", json!([[0, 1], [5, 9], [1, 6]]), true),
            ("polygon", json!([[0, 10], [50, 95]]), false),
            ("line", json!([[0, 10], [50, 95]]), true),
            ("dashed", json!([[0, 10]]), false),
            ("point", json!([[0, 10]]), true),
            ("point", json!([[0, 10], [1, 1]]), false),
            ("polyline", json!([[0, 10], [50, 95]]), true),
            ("polyline", json!([[0, 10]]), false),
            ("star", json!([[0, 10]]), false),
            ("point", json!({"x": 1}), false),
        ] {
            assert_eq!(shape(s, feature.clone()).is_ok(), ok, "{s} {feature}");
        }
        fails(with("box", json!({FEATURE: [[0, 1]]})), SHAPE);
        fails(with("box", json!({SHAPE: "point"})), FEATURE);
    }

    #[test]
    fn bndbox_corners_are_ordered() {
        fails(shape("bndbox", json!([[50, 10], [50, 95]])), "x1 < x2");
        fails(shape("bndbox", json!([[60, 10], [50, 95]])), "x1 < x2");
        fails(shape("bndbox", json!([[0, 95], [50, 95]])), "y1 < y2");
    }

    #[test]
    fn coordinates_are_non_negative_numbers() {
        let negative = shape("bndbox", json!([[-1, 10], [50, 95]]));
        fails(negative, "labels[0].property.@modelarts:feature[0]");
        fails(shape("point", json!([["1", 10]])), "feature[0]");
        fails(shape("point", json!([[1, 10, 3]])), "feature[0]");
        assert!(shape("point", json!([[0.5, 10.25]])).is_ok());
    }

    #[test]
    fn circles_need_a_centre_and_a_positive_radius() {
        assert!(shape("circle", json!([[50, 50], [20]])).is_ok());
        fails(shape("circle", json!([[50, 50]])), "a circle is");
        fails(shape("circle", json!([[50, 50], []])), "a circle is");
        fails(shape("circle", json!([[50, 50], [0]])), "a circle is");
        fails(shape("circle", json!([[-5, 50], [3]])), "a circle is");
    }

    #[test]
    fn detection_needs_a_valid_image_size() {
        let prop = json!({SHAPE: "point", FEATURE: [[1, 1]]});
        let boxes = json!([{"name": "box", "property": prop}]);
        let none = bare(ObjectDetection, boxes.clone(), "");
        fails(none, "metadata.@modelarts:size: required with detection");
        for (size, ok) in [
            (json!([100, 200]), true),
            (json!([100, 200, 3]), true),
            (json!([0, 200]), false),
            (json!([100]), false),
            (json!([100, 200, 3, 1]), false),
            (json!([100.5, 200]), false),
            (json!(["100", "200"]), false),
        ] {
            let meta = json!({SIZE: size});
            let got = run_at("", ObjectDetection, boxes.clone(), meta, "");
            assert_eq!(got.is_ok(), ok, "{size}");
        }
        assert!(bare(Ic, json!([{"name": "cat"}]), "").is_ok());
    }

    #[test]
    fn points_must_lie_within_the_image() {
        assert!(shape("bndbox", json!([[0, 0], [100, 100]])).is_ok());
        let outside = shape("bndbox", json!([[0, 0], [101, 50]]));
        fails(outside, "feature[1]: point lies outside the 100x100 image");
        let polygon = shape("polygon", json!([[0, 0], [5, 5], [0, 100.5]]));
        fails(polygon, "feature[2]: point lies outside");
        fails(shape("circle", json!([[100, 120], [5]])), "outside");
        assert!(shape("circle", json!([[95, 95], [50]])).is_ok());
    }

    #[test]
    fn segmentation_features_are_polygons() {
        assert!(one(json!({"name": "seg"})).is_ok());
        let triangle = json!([[0, 0], [9, 0], [9, 9]]);
        assert!(with("seg", json!({SHAPE: "polygon", FEATURE: triangle})).is_ok());
        let two = json!({FEATURE: [[0, 0], [9, 0]]});
        fails(with("seg", two), "at least 3 points");
        let negative = json!({FEATURE: [[0, 0], [9, -1], [9, 9]]});
        fails(with("seg", negative), "feature[1]: a point");
        fails(with("seg", json!({SHAPE: "bndbox"})), SHAPE);
    }

    #[test]
    fn entity_spans_lie_within_the_text() {
        let span = |s: i64, e: i64| json!({START_INDEX: s, END_INDEX: e});
        assert!(with("ner", span(0, 4)).is_ok());
        assert!(with("person", span(23, 31)).is_ok());
        fails(with("ner", span(23, 32)), "end_index: lies past the end");
        fails(with("ner", span(4, 4)), "end_index: must be greater");
        fails(with("ner", span(-1, 4)), "start_index: must be an integer");
        let text_index = json!({START_INDEX: "0", END_INDEX: 4});
        fails(with("ner", text_index), "start_index: must be an integer");
        fails(with("ner", json!({START_INDEX: 0})), "end_index: required");
        // Characters, not bytes; and no bound without the text.
        let ner = json!([{"name": "ner", "property": span(0, 3)}]);
        assert!(bare(NamedEntity, ner.clone(), "日本語").is_ok());
        fails(bare(NamedEntity, ner.clone(), "日本"), "past the end");
        assert!(bare(NamedEntity, ner, "").is_ok());
    }

    #[test]
    fn triplet_relations_join_entities_of_the_sample() {
        let span = json!({START_INDEX: 0, END_INDEX: 4});
        let ent = |id: &str, name: &str| json!({"id": id, "name": name, "property": span});
        let rel = |from: &str, to: &str| json!({"name": "rel", "property": {FROM: from, TO: to}});
        let (person, city) = (ent("e1", "person"), ent("e2", "city"));
        let triplet = |labels: Value| bare(TextTriplet, labels, TEXT);
        assert!(triplet(json!([person, city, rel("e1", "e2")])).is_ok());
        let missing = triplet(json!([person, rel("e1", "e9")]));
        fails(missing, "labels[1].property.@modelarts:to: no label");
        let swapped = triplet(json!([person, city, rel("e2", "e1")]));
        fails(swapped, "from: label \"e2\" must be a \"person\" entity");
        let dup = triplet(json!([person, ent("e1", "city")]));
        fails(dup, "labels[1].id: duplicate");
        let mut self_ref = rel("r1", "e2");
        self_ref["id"] = json!("r1");
        fails(triplet(json!([city, self_ref])), "not a triplet entity");
        fails(triplet(json!([{"name": "rel"}])), "from: required");
        fails(triplet(json!([ent("", "city")])), "id: must not be empty");
    }

    #[test]
    fn speech_times_have_one_shape() {
        assert_eq!(parse_speech_time("00:01:02.345"), Some(62_345));
        assert_eq!(parse_speech_time("01:00:00.000"), Some(3_600_000));
        for bad in [
            "0:01:02.345",
            "00:60:00.000",
            "00:00:60.000",
            "00:00:00.00",
            "a0:00:00.000",
        ] {
            assert_eq!(parse_speech_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn speech_labels_carry_ordered_times_and_strings() {
        let seg = |s: &str, e: &str| json!({START_TIME: s, END_TIME: e});
        assert!(with("para", seg("00:00:01.000", "00:00:02.500")).is_ok());
        let reversed = with("para", seg("00:00:03.000", "00:00:02.500"));
        fails(reversed, "end_time: must not be before");
        let short = with("para", seg("00:00:01", "00:00:02.500"));
        fails(short, "start_time: must be a time");
        let open = json!({START_TIME: "00:00:01.000"});
        fails(with("para", open), "end_time: is required");
        fails(with("para", json!({})), "start_time: is required");
        let mut p = seg("00:00:01.000", "00:00:02.000");
        p[SOURCE] = json!(3);
        fails(with("para", p), "source: must be a string");
        assert!(with("speech", json!({CONTENT: "hello"})).is_ok());
        fails(with("speech", json!({})), "content: required");
        fails(with("speech", json!({CONTENT: 5})), "must be a string");
    }

    #[test]
    fn hard_example_properties_are_strings() {
        let hard = json!({HARD: "true", HARD_COEFFICIENT: "0.3"});
        assert!(with("cat", hard).is_ok());
        let reasons = json!({HARD: "0", HARD_REASONS: "3-20-21-19"});
        assert!(with("cat", reasons).is_ok());
        fails(with("cat", json!({HARD: "yes"})), "hard: must be");
        fails(with("cat", json!({HARD: 1})), "hard: must be");
        let coefficient = json!({HARD_COEFFICIENT: "1.5"});
        fails(with("cat", coefficient), "hard_coefficient");
        fails(with("cat", json!({HARD_REASONS: "3-31"})), "reasons");
        fails(with("cat", json!({HARD_REASONS: "3--2"})), "reasons");
    }

    #[test]
    fn metadata_keys_are_checked_and_user_keys_kept() {
        let meta = |m: Value| run_at("", Ic, json!([]), m, "");
        assert!(meta(json!({HARD: 1.0, HARD_REASONS: [3, 30]})).is_ok());
        fails(meta(json!({HARD: 2})), "metadata.@modelarts:hard:");
        fails(meta(json!({HARD_COEFFICIENT: 1.2})), "coefficient");
        fails(meta(json!({HARD_REASONS: [3, 31]})), "reasons");
        fails(meta(json!({IMPORT_ORIGIN: "x"})), "import_origin");
        let wire = json!({SIZE: [10, 20], "user_key": [1, "x"], "mine": {"a": 1}});
        let parsed: SampleMetadata = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), wire);
        let size = parsed.size().map(|s| (s.width, s.height, s.depth));
        assert_eq!(size, Some((10, 20, 3)));
    }

    #[test]
    fn sample_labels_use_the_wire_names() {
        let wire = json!({"name": "cat", "type": 0, "score": 0.5, "property": {"k": "v"}});
        let label: SampleLabel = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(label.label_type, Some(0));
        assert_eq!(serde_json::to_value(&label).unwrap(), wire);
        let empty = serde_json::to_value(SampleLabel::default()).unwrap();
        assert_eq!(empty, json!({}));
    }

    #[test]
    fn hardness_comes_from_metadata_or_labels() {
        let meta = |h: Value| serde_json::from_value(json!({HARD: h})).ok();
        assert!(is_hard(&[], meta(json!(1)).as_ref()));
        assert!(!is_hard(&[], meta(json!(0)).as_ref()));
        let mut label = SampleLabel::default();
        label.property.insert(HARD.into(), json!("true"));
        assert!(is_hard(&[label], None));
        assert!(!is_hard(&[SampleLabel::default()], None));
    }
}
