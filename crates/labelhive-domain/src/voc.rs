//! PASCAL VOC annotation documents for shape labels, in the layout of the manifest
//! specification's "PASCAL VOC format parameters" tables.
//!
//! Shapes map to elements: `bndbox` (xmin, ymin, xmax, ymax), `point` (x, y), `line`
//! and `dashed` (x1, y1, x2, y2), `polygon` and `polyline` (x1, y1, ... xn, yn),
//! `circle` (cx, cy, r). A label's score becomes `confidence`, its hard coefficient
//! `hard-coefficient`; `@modelarts:difficult` ("1") sets `difficult`.

use std::fmt::Write;

use serde_json::Value;

use crate::annotation::{ImageSize, SampleLabel};

/// Escapes text for an XML element.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate as written: integers without a fraction.
fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Some(f) => f.to_string(),
        None => String::new(),
    }
}

/// The points of a feature, `[[x, y], ...]`.
fn points(feature: &Value) -> Vec<(String, String)> {
    feature
        .as_array()
        .map(|pts| {
            pts.iter()
                .filter_map(|p| match p.as_array().map(Vec::as_slice) {
                    Some([x, y]) => Some((num(x), num(y))),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The shape element of one label, or `None` when it carries no shape.
fn shape_xml(label: &SampleLabel) -> Option<String> {
    let feature = label.property.get("@modelarts:feature")?;
    let shape = label.prop_str("@modelarts:shape").unwrap_or("polygon");
    let mut x = String::new();
    match shape {
        "bndbox" => {
            let pts = points(feature);
            let [(x1, y1), (x2, y2)] = pts.as_slice() else {
                return None;
            };
            let _ = write!(
                x,
                "<bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox>"
            );
        }
        "point" => {
            let pts = points(feature);
            let [(px, py)] = pts.as_slice() else {
                return None;
            };
            let _ = write!(x, "<point><x>{px}</x><y>{py}</y></point>");
        }
        "circle" => {
            let parts = feature.as_array()?;
            let [centre, radius] = parts.as_slice() else {
                return None;
            };
            let (cx, cy) = match centre.as_array().map(Vec::as_slice) {
                Some([cx, cy]) => (num(cx), num(cy)),
                _ => return None,
            };
            let r = num(radius.as_array()?.first()?);
            let _ = write!(x, "<circle><cx>{cx}</cx><cy>{cy}</cy><r>{r}</r></circle>");
        }
        other => {
            let _ = write!(x, "<{other}>");
            for (i, (px, py)) in points(feature).iter().enumerate() {
                let n = i + 1;
                let _ = write!(x, "<x{n}>{px}</x{n}><y{n}>{py}</y{n}>");
            }
            let _ = write!(x, "</{other}>");
        }
    }
    Some(x)
}

/// Writes a PASCAL VOC annotation document for the shape labels of a sample.
pub fn write_voc(
    folder: &str,
    filename: &str,
    size: Option<ImageSize>,
    labels: &[SampleLabel],
) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<annotation>\n");
    let _ = writeln!(x, "  <folder>{}</folder>", escape(folder));
    let _ = writeln!(x, "  <filename>{}</filename>", escape(filename));
    if let Some(s) = size {
        let _ = writeln!(
            x,
            "  <size><width>{}</width><height>{}</height><depth>{}</depth></size>",
            s.width, s.height, s.depth
        );
    }
    let segmented = labels.iter().any(|l| l.label_type == Some(3));
    let _ = writeln!(x, "  <segmented>{}</segmented>", u8::from(segmented));
    for label in labels {
        let Some(shape) = shape_xml(label) else {
            continue;
        };
        let difficult = matches!(label.prop_str("@modelarts:difficult"), Some("1" | "true"));
        let _ = write!(
            x,
            "  <object><name>{}</name><pose>Unspecified</pose><truncated>0</truncated>\
             <occluded>0</occluded><difficult>{}</difficult>",
            escape(label.name.as_deref().unwrap_or_default()),
            u8::from(difficult)
        );
        if let Some(score) = label.score {
            let _ = write!(x, "<confidence>{score}</confidence>");
        }
        if let Some(c) = label.prop_str("@modelarts:hard_coefficient") {
            let _ = write!(x, "<hard-coefficient>{}</hard-coefficient>", escape(c));
        }
        let _ = writeln!(x, "{shape}</object>");
    }
    x.push_str("</annotation>\n");
    x
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn label(v: Value) -> SampleLabel {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_shape_is_written_with_its_coordinates() {
        let labels = [
            label(
                json!({"name": "a<&>", "type": 1, "score": 0.5, "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[1, 2], [30, 40]]}}),
            ),
            label(
                json!({"name": "p", "type": 1, "property": {"@modelarts:shape": "point", "@modelarts:feature": [[5.5, 6]]}}),
            ),
            label(
                json!({"name": "l", "type": 1, "property": {"@modelarts:shape": "dashed", "@modelarts:feature": [[1, 1], [2, 2]]}}),
            ),
            label(
                json!({"name": "g", "type": 1, "property": {"@modelarts:shape": "polygon", "@modelarts:feature": [[1, 1], [2, 1], [2, 2]]}}),
            ),
            label(
                json!({"name": "c", "type": 1, "property": {"@modelarts:shape": "circle", "@modelarts:feature": [[50, 50], [10]], "@modelarts:difficult": "1"}}),
            ),
            label(json!({"name": "no shape", "type": 1})),
        ];
        let size = ImageSize {
            width: 100,
            height: 80,
            depth: 3,
        };
        let xml = write_voc("bkt/in", "x&y.jpg", Some(size), &labels);
        for part in [
            "<filename>x&amp;y.jpg</filename>",
            "<width>100</width><height>80</height><depth>3</depth>",
            "<segmented>0</segmented>",
            "<name>a&lt;&amp;&gt;</name>",
            "<confidence>0.5</confidence>",
            "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox>",
            "<point><x>5.5</x><y>6</y></point>",
            "<dashed><x1>1</x1><y1>1</y1><x2>2</x2><y2>2</y2></dashed>",
            "<polygon><x1>1</x1><y1>1</y1><x2>2</x2><y2>1</y2><x3>2</x3><y3>2</y3></polygon>",
            "<difficult>1</difficult><circle><cx>50</cx><cy>50</cy><r>10</r></circle>",
        ] {
            assert!(xml.contains(part), "{part} missing from {xml}");
        }
        assert_eq!(xml.matches("<object>").count(), 5);
    }
}
