//! The YOLO layout of object detection directories (spec guide: importing data from
//! an OBS directory, "Format 2: YOLO"): `obj.data` names the `obj.names` label list,
//! and `<stem>.txt` beside each image holds one box per line,
//! `<label_index> <x_center> <y_center> <width> <height>`, normalized to the image.

use std::collections::HashMap;
use std::fmt::Write;

use serde_json::{json, Map, Value};

use crate::annotation::SampleLabel;
use crate::groundtruth::box_corners;

/// The file that marks a directory as a YOLO dataset.
pub const OBJ_DATA: &str = "obj.data";

/// The `key = value` settings of `obj.data` that an import uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjData {
    /// Path of the label list, relative to the dataset folder (`obj.names` if absent).
    pub names: Option<String>,
}

/// Parses `obj.data` (`key = value` lines, `#` comments).
pub fn parse_obj_data(text: &str) -> ObjData {
    let mut data = ObjData::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        if let Some((k, v)) = line.split_once('=') {
            if k.trim() == "names" && !v.trim().is_empty() {
                data.names = Some(v.trim().to_owned());
            }
        }
    }
    data
}

/// The label names of `obj.names`, one per line; the line number is the index.
pub fn parse_names(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A number as JSON: an integer when integral, else rounded to 1/1000 pixel.
fn coord(v: f64) -> Value {
    let r = (v * 1000.0).round() / 1000.0;
    if r.fract() == 0.0 {
        json!(r as i64)
    } else {
        json!(r)
    }
}

/// The box labels of a `<stem>.txt` for an image of `width` x `height` pixels.
pub fn parse_labels(
    text: &str,
    names: &[String],
    width: u64,
    height: u64,
) -> Result<Vec<SampleLabel>, String> {
    let (w, h) = (width as f64, height as f64);
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("line {}", i + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [index, rest @ ..] = fields.as_slice() else {
            continue;
        };
        let name = index
            .parse::<usize>()
            .ok()
            .and_then(|i| names.get(i))
            .ok_or_else(|| format!("{at}: label index {index:?} is not in obj.names"))?;
        let nums: Vec<f64> = rest
            .iter()
            .map(|s| s.parse::<f64>().ok().filter(|v| (0.0..=1.0).contains(v)))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{at}: coordinates must be numbers within [0, 1]"))?;
        let [xc, yc, bw, bh] = nums.as_slice() else {
            return Err(format!(
                "{at}: needs <label_index> <x_center> <y_center> <width> <height>"
            ));
        };
        let (x1, y1) = ((xc - bw / 2.0).max(0.0) * w, (yc - bh / 2.0).max(0.0) * h);
        let (x2, y2) = ((xc + bw / 2.0).min(1.0) * w, (yc + bh / 2.0).min(1.0) * h);
        let mut property = Map::new();
        property.insert("@modelarts:shape".into(), json!("bndbox"));
        property.insert(
            "@modelarts:feature".into(),
            json!([[coord(x1), coord(y1)], [coord(x2), coord(y2)]]),
        );
        labels.push(SampleLabel {
            name: Some(name.clone()),
            label_type: Some(1),
            property,
            ..SampleLabel::default()
        });
    }
    Ok(labels)
}

/// The `<stem>.txt` of an image of `width` x `height` pixels: one normalized line per
/// box, with the index of its label in `classes`; also how many labels are left out
/// (shapes other than boxes, or labels not in `classes`).
pub fn write_labels(
    labels: &[SampleLabel],
    classes: &HashMap<String, usize>,
    width: u64,
    height: u64,
) -> (String, i64) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let mut text = String::new();
    let mut skipped = 0;
    for l in labels {
        let index = l.name.as_deref().and_then(|n| classes.get(n));
        let (Some((x1, y1, x2, y2)), Some(index)) = (box_corners(l), index) else {
            skipped += i64::from(l.property.contains_key("@modelarts:feature"));
            continue;
        };
        let norm = |v: f64, of: f64| (v / of).clamp(0.0, 1.0);
        let _ = writeln!(
            text,
            "{index} {:.6} {:.6} {:.6} {:.6}",
            norm((x1 + x2) / 2.0, w),
            norm((y1 + y2) / 2.0, h),
            norm(x2 - x1, w),
            norm(y2 - y1, h),
        );
    }
    (text, skipped)
}

/// The `obj.data` of an export with `classes` labels; `valid` when EVAL images were
/// listed apart.
pub fn obj_data(classes: usize, valid: bool) -> String {
    let valid = if valid { "valid = valid.txt\n" } else { "" };
    format!("classes = {classes}\ntrain = train.txt\n{valid}names = obj.names\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_data_names_the_label_list() {
        let d = parse_obj_data("classes = 2 # two\nnames = data/obj.names\ntrain = train.txt\n");
        assert_eq!(d.names.as_deref(), Some("data/obj.names"));
        assert_eq!(parse_obj_data("classes = 1").names, None);
        assert_eq!(parse_names("cat\n\ndog # pets\n"), ["cat", "dog"]);
    }

    #[test]
    fn normalized_boxes_become_pixel_boxes() {
        let names = vec!["cat".to_owned(), "dog".to_owned()];
        let l = parse_labels("1 0.25 0.4 0.3 0.4\n\n", &names, 200, 100).unwrap();
        assert_eq!(l[0].name.as_deref(), Some("dog"));
        assert_eq!(
            l[0].property["@modelarts:feature"],
            json!([[20, 20], [80, 60]])
        );
        let classes = HashMap::from([("cat".to_owned(), 0), ("dog".to_owned(), 1)]);
        let (text, skipped) = write_labels(&l, &classes, 200, 100);
        assert_eq!(
            (text.as_str(), skipped),
            ("1 0.250000 0.400000 0.300000 0.400000\n", 0)
        );
        let back = parse_labels(&text, &names, 200, 100).unwrap();
        assert_eq!(back[0].property, l[0].property);
        assert_eq!(
            parse_obj_data(&obj_data(2, true)).names.as_deref(),
            Some("obj.names")
        );
        for bad in [
            "2 0.5 0.5 0.1 0.1",
            "0 0.5 0.5 0.1",
            "0 1.5 0.5 0.1 0.1",
            "x 0 0 0 0",
        ] {
            assert!(parse_labels(bad, &names, 10, 10).is_err(), "{bad}");
        }
    }
}
