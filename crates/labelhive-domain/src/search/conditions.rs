//! The `search_conditions` JSON (Tables 4 to 7 of the sample list) as validated
//! [`Condition`]s. Formats the spec leaves open:
//!
//! - `score` and `coefficient` are `"low-high"` (`"0.5-0.9"`, both ends inclusive) or
//!   a single minimum (`"0.8"` means `0.8..=1`), plain decimals within `0..=1`.
//! - `sample_time` resolves to a half-open UTC range `[from_ms, to_ms)`: `month` is
//!   the start of the day 30 days ago to the end of today, `day` the start of
//!   yesterday to the end of today, `yyyyMMdd-yyyyMMdd` the start of the first date
//!   to the end of the last; the last date may lie at most 30 days after the first
//!   (the span `month` covers).
//! - `search_conditions` may be a JSON array or a single object (taken as a
//!   one-element list); an empty value or `[]` means no conditions.
//! - Empty strings count as absent, as web forms send blank fields.
//! - An `op` that may be left out defaults to `AND`; `label_list.op` is required
//!   when more than one label is given, as the spec demands.

use crate::json_text::{escapes_nul, NUL_REFUSED};
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{nonblank, number};
use crate::label::LABEL_TYPES;
use crate::DomainError;

/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// Longest `sample_time` range: days from the first date to the last.
const MAX_SPAN_DAYS: i64 = 30;

/// Attribute name to accepted values; `None` (JSON null) matches any value.
type WireProps = BTreeMap<String, Option<Vec<String>>>;

/// Attribute name to accepted values; `None` only requires the attribute.
pub type PropTerms = Vec<(String, Option<Vec<String>>)>;

/// One multi-dimensional search condition, as on the wire (Table 4 SearchCondition).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SearchCondition {
    /// Difficulty coefficient range, e.g. `"0.5-0.9"`.
    pub coefficient: Option<String>,
    /// A frame in a video (unsupported).
    pub frame_in_video: Option<i64>,
    /// `"0"` non-hard or `"1"` hard sample.
    pub hard: Option<String>,
    /// Data source.
    pub import_origin: Option<String>,
    /// CT dosage (unsupported).
    pub kvp: Option<String>,
    /// Label search criteria.
    pub label_list: Option<SearchLabels>,
    /// Labeler.
    pub labeler: Option<String>,
    /// Search by sample attribute.
    pub metadata: Option<SearchProp>,
    /// Parent sample ID.
    pub parent_sample_id: Option<String>,
    /// Directory of the samples, ending with `/`; not recursive.
    pub sample_dir: Option<String>,
    /// Sample name including its extension.
    pub sample_name: Option<String>,
    /// `month`, `day` or `yyyyMMdd-yyyyMMdd`.
    pub sample_time: Option<String>,
    /// Confidence range, e.g. `"0.5-0.9"`.
    pub score: Option<String>,
    /// DICOM layer thickness (unsupported).
    pub slice_thickness: Option<String>,
    /// DICOM scanning time (unsupported).
    pub study_date: Option<String>,
    /// A video frame's time in seconds, matched against `@modelarts:time_in_video`.
    pub time_in_video: Option<String>,
}

/// Label search criteria, as on the wire (Table 5 SearchLabels).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SearchLabels {
    /// The labels searched for.
    pub labels: Option<Vec<SearchLabel>>,
    /// `AND` or `OR` between the labels; required for more than one.
    pub op: Option<String>,
}

/// One label searched for, as on the wire (Table 6 SearchLabel).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SearchLabel {
    /// Label name.
    pub name: Option<String>,
    /// `AND` or `OR` between the label's properties.
    pub op: Option<String>,
    /// Property name to accepted values, or null for any value.
    pub property: Option<WireProps>,
    /// Label type.
    #[serde(rename = "type")]
    pub label_type: Option<i32>,
}

/// Sample attribute search, as on the wire (Table 7 SearchProp).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SearchProp {
    /// `AND` or `OR` between the attributes.
    pub op: Option<String>,
    /// Attribute name to accepted values, or null for any value.
    pub props: Option<WireProps>,
}

/// One validated search condition; all its parts combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Condition {
    /// From `label_list`; `None` when it names no label.
    pub labels: Option<LabelMatch>,
    /// Exact sample name.
    pub sample_name: Option<String>,
    /// Directory ending with `/`, searched without recursion.
    pub sample_dir: Option<String>,
    /// Half-open range `[from_ms, to_ms)` of the time the sample was added.
    pub sample_time: Option<(i64, i64)>,
    /// Hard (`true`) or non-hard samples.
    pub hard: Option<bool>,
    /// Inclusive confidence range within `0..=1`.
    pub score: Option<(f64, f64)>,
    /// Inclusive difficulty coefficient range within `0..=1`.
    pub coefficient: Option<(f64, f64)>,
    /// Labeler.
    pub labeler: Option<String>,
    /// Data source.
    pub import_origin: Option<String>,
    /// From `metadata`; `None` when it names no attribute.
    pub metadata: Option<PropMatch>,
    /// Parent sample ID.
    pub parent_sample_id: Option<String>,
    /// A video frame's time in seconds (`@modelarts:time_in_video`).
    pub time_in_video: Option<f64>,
}

/// Labels a sample must carry, combined by `op`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMatch {
    /// How the terms combine.
    pub op: BoolOp,
    /// At least one term.
    pub labels: Vec<LabelTerm>,
}

/// One label searched for; unset parts match anything.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelTerm {
    /// Label name.
    pub name: Option<String>,
    /// Label type, one of [`LABEL_TYPES`].
    pub label_type: Option<i32>,
    /// How the property tests combine.
    pub op: BoolOp,
    /// Property name to accepted values.
    pub property: PropTerms,
}

/// How several tests combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum BoolOp {
    /// All must hold.
    #[default]
    And,
    /// One must hold.
    Or,
}

/// Sample attributes to match, combined by `op`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropMatch {
    /// How the tests combine.
    pub op: BoolOp,
    /// Attribute name to accepted values.
    pub props: PropTerms,
}

/// Parses the URL-decoded `search_conditions` value into validated conditions.
pub fn parse_search_conditions(raw: &str, now_ms: i64) -> Result<Vec<Condition>, DomainError> {
    const FIELD: &str = "search_conditions";
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    if escapes_nul(raw.as_bytes()) || raw.contains('\0') {
        return Err(DomainError::invalid(FIELD, NUL_REFUSED));
    }
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| DomainError::invalid(FIELD, format!("not valid JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        // Some clients send one condition bare; reading it as a list loses nothing.
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(DomainError::invalid(
                FIELD,
                "must be a JSON array of SearchCondition objects",
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{FIELD}[{i}]");
            decode::<SearchCondition>(item, &path)?.resolve(&path, now_ms)
        })
        .collect()
}

impl SearchCondition {
    /// Validates this condition; `path` prefixes field names in errors.
    pub fn resolve(&self, path: &str, now_ms: i64) -> Result<Condition, DomainError> {
        let field = |name: &str| format!("{path}.{name}");
        let unsupported = [
            ("frame_in_video", self.frame_in_video.is_some()),
            ("kvp", given(&self.kvp).is_some()),
            ("slice_thickness", given(&self.slice_thickness).is_some()),
            ("study_date", given(&self.study_date).is_some()),
        ];
        // Labelhive keeps no frame numbers or DICOM tags: ignoring the filter would
        // return samples the client asked to exclude, so refuse it instead.
        if let Some((name, _)) = unsupported.iter().find(|(_, set)| *set) {
            return Err(DomainError::Unsupported(format!(
                "{}: Labelhive stores no video frame numbers or DICOM data to search",
                field(name)
            )));
        }
        let ranged = |name: &str, v: &Option<String>| {
            given(v)
                .map(|s| range(s).map_err(|r| DomainError::invalid(field(name), r)))
                .transpose()
        };
        let sample_dir = given(&self.sample_dir);
        if sample_dir.is_some_and(|d| !d.ends_with('/')) {
            return Err(DomainError::invalid(
                field("sample_dir"),
                "must end with '/'",
            ));
        }
        let hard = match given(&self.hard) {
            None => None,
            Some(h @ ("0" | "1")) => Some(h == "1"),
            Some(_) => return Err(DomainError::invalid(field("hard"), "must be 0 or 1")),
        };
        let sample_time = given(&self.sample_time)
            .map(|s| {
                sample_time(s, now_ms).map_err(|r| DomainError::invalid(field("sample_time"), r))
            })
            .transpose()?;
        let labels = match &self.label_list {
            Some(list) => list.resolve(&field("label_list"))?,
            None => None,
        };
        let time_in_video = given(&self.time_in_video)
            .map(|t| {
                number(t).filter(|n| *n >= 0.0).ok_or_else(|| {
                    DomainError::invalid(field("time_in_video"), "must be a number of seconds")
                })
            })
            .transpose()?;
        let metadata = match &self.metadata {
            Some(prop) => prop.resolve(&field("metadata"))?,
            None => None,
        };
        Ok(Condition {
            labels,
            sample_name: given(&self.sample_name).map(str::to_owned),
            sample_dir: sample_dir.map(str::to_owned),
            sample_time,
            hard,
            score: ranged("score", &self.score)?,
            coefficient: ranged("coefficient", &self.coefficient)?,
            labeler: given(&self.labeler).map(str::to_owned),
            import_origin: given(&self.import_origin).map(str::to_owned),
            metadata,
            parent_sample_id: given(&self.parent_sample_id).map(str::to_owned),
            time_in_video,
        })
    }
}

impl SearchLabels {
    /// Validates the label criteria; `None` when no label is given.
    pub fn resolve(&self, path: &str) -> Result<Option<LabelMatch>, DomainError> {
        let op = bool_op(&self.op, &format!("{path}.op"))?;
        let labels = self.labels.as_deref().unwrap_or_default();
        if op.is_none() && labels.len() > 1 {
            return Err(DomainError::invalid(
                format!("{path}.op"),
                "AND or OR is required when searching for more than one label",
            ));
        }
        let terms = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let at = format!("{path}.labels[{i}]");
                if let Some(t) = label.label_type.filter(|t| !LABEL_TYPES.contains(t)) {
                    return Err(DomainError::invalid(
                        format!("{at}.type"),
                        format!("{t} is not one of {LABEL_TYPES:?}"),
                    ));
                }
                Ok(LabelTerm {
                    name: given(&label.name).map(str::to_owned),
                    label_type: label.label_type,
                    op: bool_op(&label.op, &format!("{at}.op"))?.unwrap_or_default(),
                    property: props(&label.property, &format!("{at}.property"))?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((!terms.is_empty()).then(|| LabelMatch {
            op: op.unwrap_or_default(),
            labels: terms,
        }))
    }
}

impl SearchProp {
    /// Validates the attribute criteria; `None` when no attribute is given.
    pub fn resolve(&self, path: &str) -> Result<Option<PropMatch>, DomainError> {
        let op = bool_op(&self.op, &format!("{path}.op"))?.unwrap_or_default();
        let props = props(&self.props, &format!("{path}.props"))?;
        Ok((!props.is_empty()).then_some(PropMatch { op, props }))
    }
}

/// A string field that is present and not empty.
fn given(v: &Option<String>) -> Option<&str> {
    nonblank(v.as_deref())
}

/// Decodes one JSON value, naming the offending key when it is an object.
fn decode<T: DeserializeOwned>(item: &Value, path: &str) -> Result<T, DomainError> {
    T::deserialize(item).map_err(|err| {
        // serde_json's type errors name no field, so find the key by decoding each
        // one alone (all wire fields are optional, so a lone key decodes by itself).
        if let Value::Object(map) = item {
            for (key, value) in map {
                let one = Value::Object([(key.clone(), value.clone())].into_iter().collect());
                if let Err(e) = T::deserialize(&one) {
                    return DomainError::invalid(format!("{path}.{key}"), e.to_string());
                }
            }
        }
        DomainError::invalid(path, err.to_string())
    })
}

/// Parses an optional `AND`/`OR` (any case); empty counts as absent.
fn bool_op(v: &Option<String>, field: &str) -> Result<Option<BoolOp>, DomainError> {
    match given(v) {
        None => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("AND") => Ok(Some(BoolOp::And)),
        Some(s) if s.eq_ignore_ascii_case("OR") => Ok(Some(BoolOp::Or)),
        Some(s) => Err(DomainError::invalid(field, format!("{s:?} is not AND/OR"))),
    }
}

/// Validates a property map: non-empty keys, and a value list is null or non-empty.
fn props(map: &Option<WireProps>, field: &str) -> Result<PropTerms, DomainError> {
    let Some(map) = map else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(key, values)| {
            if key.is_empty() {
                return Err(DomainError::invalid(field, "names must not be empty"));
            }
            if values.as_ref().is_some_and(Vec::is_empty) {
                // An empty list would match nothing; null is how to ask for any value.
                return Err(DomainError::invalid(
                    format!("{field}.{key}"),
                    "give at least one value, or null to match any value",
                ));
            }
            Ok((key.clone(), values.clone()))
        })
        .collect()
}

/// Parses `"low-high"` or a single minimum `"low"` (up to 1) within `0..=1`.
fn range(s: &str) -> Result<(f64, f64), String> {
    let bad = || format!("{s:?} is not \"low-high\" or \"low\" with numbers from 0 to 1");
    let (low, high) = match s.split_once('-') {
        Some((low, high)) => (number(low).ok_or_else(bad)?, number(high).ok_or_else(bad)?),
        None => (number(s).ok_or_else(bad)?, 1.0),
    };
    if !(0.0 <= low && low <= high && high <= 1.0) {
        return Err(format!("{s:?} must satisfy 0 <= low <= high <= 1"));
    }
    Ok((low, high))
}

/// Resolves `month`, `day` or `yyyyMMdd-yyyyMMdd` to `[from_ms, to_ms)` in UTC.
fn sample_time(s: &str, now_ms: i64) -> Result<(i64, i64), String> {
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
    // Ranges end with today's end rather than `now`, as the index is kept per day.
    match s {
        "month" => Ok((today - MAX_SPAN_DAYS * DAY_MS, today + DAY_MS)),
        "day" => Ok((today - DAY_MS, today + DAY_MS)),
        _ => {
            let bad = || format!("{s:?} is not month, day or yyyyMMdd-yyyyMMdd");
            let (start, end) = s.split_once('-').ok_or_else(bad)?;
            let from = date_ms(start).ok_or_else(bad)?;
            let last = date_ms(end).ok_or_else(bad)?;
            if last < from {
                return Err(format!("{s:?} ends before it starts"));
            }
            if last - from > MAX_SPAN_DAYS * DAY_MS {
                return Err(format!("{s:?} spans more than {MAX_SPAN_DAYS} days"));
            }
            Ok((from, last + DAY_MS))
        }
    }
}

/// Midnight UTC of a valid `yyyyMMdd` date, in milliseconds.
fn date_ms(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (
        s[..4].parse::<i64>().ok()?,
        s[4..6].parse::<i64>().ok()?,
        s[6..].parse::<i64>().ok()?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if y == 0 || !(1..=days_in_month).contains(&d) {
        return None;
    }
    // Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's
    // days_from_civil), so no date crate is needed for this one conversion.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2019-09-15T12:00:00Z, and the midnight before it.
    const NOW: i64 = 1_568_548_800_000;
    const TODAY: i64 = 1_568_505_600_000;

    fn one(json: &str) -> Result<Condition, DomainError> {
        let mut all = parse_search_conditions(json, NOW)?;
        assert_eq!(all.len(), 1);
        Ok(all.remove(0))
    }

    /// The condition `{key: value}`, value given as JSON.
    fn with(key: &str, value: &str) -> Result<Condition, DomainError> {
        one(&format!(r#"[{{"{key}":{value}}}]"#))
    }

    fn field_of(res: Result<impl std::fmt::Debug, DomainError>) -> String {
        match res {
            Err(DomainError::InvalidParameter { field, .. }) => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        }
    }

    fn values(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn every_field_is_parsed() {
        let c = one(
            r#"[{"label_list":{"op":"OR","labels":[{"name":"cat","type":1,"op":"or",
                "property":{"color":["red","blue"],"size":null}},{"name":"dog"}]},
              "sample_name":"a.jpg","sample_dir":"/b/d/","sample_time":"day","hard":"1",
              "score":"0.5-0.9","coefficient":"0.2","labeler":"ann","import_origin":"obs",
              "metadata":{"op":"AND","props":{"k":["v"]}},"parent_sample_id":"p1",
              "time_in_video":"2.5","unknown_field":{"ignored":true}}]"#,
        );
        let cat = LabelTerm {
            name: Some("cat".into()),
            label_type: Some(1),
            op: BoolOp::Or,
            property: vec![
                ("color".into(), values(&["red", "blue"])),
                ("size".into(), None),
            ],
        };
        let dog = LabelTerm {
            name: Some("dog".into()),
            label_type: None,
            op: BoolOp::And,
            property: vec![],
        };
        let expected = Condition {
            labels: Some(LabelMatch {
                op: BoolOp::Or,
                labels: vec![cat, dog],
            }),
            sample_name: Some("a.jpg".into()),
            sample_dir: Some("/b/d/".into()),
            sample_time: Some((TODAY - DAY_MS, TODAY + DAY_MS)),
            hard: Some(true),
            score: Some((0.5, 0.9)),
            coefficient: Some((0.2, 1.0)),
            labeler: Some("ann".into()),
            import_origin: Some("obs".into()),
            metadata: Some(PropMatch {
                op: BoolOp::And,
                props: vec![("k".into(), values(&["v"]))],
            }),
            parent_sample_id: Some("p1".into()),
            time_in_video: Some(2.5),
        };
        assert_eq!(c.unwrap(), expected);
    }

    #[test]
    fn list_shapes_and_blank_values() {
        assert!(parse_search_conditions("[]", NOW).unwrap().is_empty());
        assert!(parse_search_conditions("  ", NOW).unwrap().is_empty());
        let both = parse_search_conditions(r#"[{"hard":"0"},{"sample_name":"x"}]"#, NOW).unwrap();
        assert_eq!(
            (both[0].hard, both[1].sample_name.as_deref()),
            (Some(false), Some("x"))
        );
        // A single object is one condition.
        assert_eq!(
            one(r#"{"labeler":"a"}"#).unwrap().labeler.as_deref(),
            Some("a")
        );
        let blank = r#"[{"sample_name":"","hard":"","label_list":{},"metadata":{"props":{}}}]"#;
        assert_eq!(one(blank).unwrap(), Condition::default());
        assert_eq!(
            field_of(with("hard", r#""2""#)),
            "search_conditions[0].hard"
        );
    }

    #[test]
    fn malformed_json_wrong_types_and_bad_dirs_are_refused() {
        for raw in ["[{", "not json", "42", r#""text""#, "[1]"] {
            assert!(field_of(parse_search_conditions(raw, NOW)).starts_with("search_conditions"));
        }
        let res = parse_search_conditions(r#"[{}, {"sample_name": 5}]"#, NOW);
        assert_eq!(field_of(res), "search_conditions[1].sample_name");
        let res = with("frame_in_video", r#""3""#);
        assert_eq!(field_of(res), "search_conditions[0].frame_in_video");
        let res = with("label_list", r#"{"labels": {"name": "x"}}"#);
        assert_eq!(field_of(res), "search_conditions[0].label_list");
        let res = parse_search_conditions(r#"[{},{"sample_dir":"/b/d"}]"#, NOW);
        assert_eq!(field_of(res), "search_conditions[1].sample_dir");
    }

    #[test]
    fn sample_time_resolves_to_utc_day_ranges() {
        let time = |s: &str| with("sample_time", &format!("{s:?}")).map(|c| c.sample_time);
        assert_eq!(
            time("month").unwrap(),
            Some((TODAY - 30 * DAY_MS, TODAY + DAY_MS))
        );
        let sept = time("20190901-20190915").unwrap();
        assert_eq!(sept, Some((1_567_296_000_000, TODAY + DAY_MS)));
        let leap = 1_582_934_400_000;
        assert_eq!(
            time("20200229-20200229").unwrap(),
            Some((leap, leap + DAY_MS))
        );
        assert!(time("20190901-20191001").is_ok(), "30 days apart, as month");
        for bad in [
            "20190901-20191002",
            "20190915-20190901",
            "20190901-2019091501",
            "20190230-20190301",
            "20191301-20191302",
            "2019-09-01",
            "week",
            "00000101-00000102",
        ] {
            assert_eq!(
                field_of(time(bad)),
                "search_conditions[0].sample_time",
                "{bad}"
            );
        }
    }

    #[test]
    fn label_list_and_metadata_rules() {
        let two = with("label_list", r#"{"labels":[{"name":"a"},{"name":"b"}]}"#);
        assert_eq!(field_of(two), "search_conditions[0].label_list.op");
        let single = with("label_list", r#"{"labels":[{"name":"a"}]}"#).unwrap();
        assert_eq!(single.labels.unwrap().op, BoolOp::And);
        let triplet = with("label_list", r#"{"labels":[{"type":103}]}"#).unwrap();
        assert_eq!(triplet.labels.unwrap().labels[0].label_type, Some(103));
        for (list, field) in [
            (r#"{"op":"XOR","labels":[]}"#, "op"),
            (r#"{"labels":[{"type":999}]}"#, "labels[0].type"),
            (r#"{"labels":[{"op":"NOT"}]}"#, "labels[0].op"),
            (
                r#"{"labels":[{"property":{"c":[]}}]}"#,
                "labels[0].property.c",
            ),
        ] {
            let res = with("label_list", list);
            assert_eq!(
                field_of(res),
                format!("search_conditions[0].label_list.{field}")
            );
        }
        let meta = with("metadata", r#"{"props":{"k":null}}"#)
            .unwrap()
            .metadata;
        let any_k = PropMatch {
            op: BoolOp::And,
            props: vec![("k".into(), None)],
        };
        assert_eq!(meta, Some(any_k));
        let res = with("metadata", r#"{"op":"or","props":{"k":[]}}"#);
        assert_eq!(field_of(res), "search_conditions[0].metadata.props.k");
    }

    #[test]
    fn frame_numbers_and_dicom_fields_are_refused_honestly() {
        for (key, value) in [
            ("frame_in_video", "3"),
            ("kvp", r#""120""#),
            ("slice_thickness", r#""1.5""#),
            ("study_date", r#""20190901""#),
        ] {
            assert!(
                matches!(with(key, value), Err(DomainError::Unsupported(_))),
                "{key}"
            );
        }
    }

    #[test]
    fn time_in_video_is_a_number_of_seconds() {
        assert_eq!(
            with("time_in_video", r#""1.473722""#)
                .unwrap()
                .time_in_video,
            Some(1.473722)
        );
        for bad in [r#""00:01""#, r#""-1""#] {
            assert_eq!(
                field_of(with("time_in_video", bad)),
                "search_conditions[0].time_in_video"
            );
        }
    }

    #[test]
    fn score_and_coefficient_bounds() {
        let score = |s: &str| with("score", &format!("{s:?}")).map(|c| c.score);
        assert_eq!(score("0-1").unwrap(), Some((0.0, 1.0)));
        assert_eq!(score("0.3-0.3").unwrap(), Some((0.3, 0.3)));
        assert_eq!(score("1").unwrap(), Some((1.0, 1.0)));
        for bad in [
            "0.9-0.5",
            "1.5",
            "abc",
            "0.2-",
            "-0.2",
            "NaN",
            "0.1-0.2-0.3",
        ] {
            assert_eq!(field_of(score(bad)), "search_conditions[0].score", "{bad}");
        }
        let res = with("coefficient", r#""2-3""#);
        assert_eq!(field_of(res), "search_conditions[0].coefficient");
    }
}
