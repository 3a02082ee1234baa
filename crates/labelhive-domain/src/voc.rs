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

/// A parsed PASCAL VOC document.
#[derive(Debug, Clone, PartialEq)]
pub struct VocDocument {
    /// The image size, when given.
    pub size: Option<ImageSize>,
    /// One label per object, with its shape.
    pub labels: Vec<SampleLabel>,
    /// The segmentation mask, when given.
    pub mask_source: Option<String>,
}

/// The text of a child element, trimmed.
fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .map(str::trim)
}

/// A number as JSON: an integer when integral.
pub(crate) fn json_num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// A numeric child, named for errors.
fn coord(node: roxmltree::Node<'_, '_>, name: &str, at: &str) -> Result<f64, String> {
    let text = child_text(node, name).ok_or_else(|| format!("{at}: <{name}> is missing"))?;
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{at}: <{name}> is not a number: {text:?}"))
}

/// The shape name and feature of an object.
fn shape_of(obj: roxmltree::Node<'_, '_>, at: &str) -> Result<(&'static str, Value), String> {
    const SHAPES: [&str; 7] = [
        "bndbox", "polygon", "circle", "line", "dashed", "point", "polyline",
    ];
    let Some((shape, el)) = SHAPES
        .iter()
        .find_map(|s| obj.children().find(|c| c.has_tag_name(*s)).map(|c| (*s, c)))
    else {
        return Err(format!("{at} has no shape element ({})", SHAPES.join(", ")));
    };
    let at = format!("{at}.{shape}");
    let pair = |x: f64, y: f64| Value::Array(vec![json_num(x), json_num(y)]);
    let feature = match shape {
        "bndbox" => Value::Array(vec![
            pair(coord(el, "xmin", &at)?, coord(el, "ymin", &at)?),
            pair(coord(el, "xmax", &at)?, coord(el, "ymax", &at)?),
        ]),
        "point" => Value::Array(vec![pair(coord(el, "x", &at)?, coord(el, "y", &at)?)]),
        "circle" => Value::Array(vec![
            pair(coord(el, "cx", &at)?, coord(el, "cy", &at)?),
            Value::Array(vec![json_num(coord(el, "r", &at)?)]),
        ]),
        _ => {
            let mut pts = Vec::new();
            for n in 1.. {
                let (xn, yn) = (format!("x{n}"), format!("y{n}"));
                if child_text(el, &xn).is_none() && child_text(el, &yn).is_none() {
                    break;
                }
                pts.push(pair(coord(el, &xn, &at)?, coord(el, &yn, &at)?));
            }
            let (min, max) = match shape {
                "line" | "dashed" => (2, 2),
                "polygon" => (3, usize::MAX),
                _ => (2, usize::MAX),
            };
            if pts.len() < min || pts.len() > max {
                return Err(format!("{at} has {} points", pts.len()));
            }
            Value::Array(pts)
        }
    };
    Ok((shape, feature))
}

/// Parses a PASCAL VOC document (the inverse of [`write_voc`]).
pub fn parse_voc(xml: &str) -> Result<VocDocument, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("broken XML: {e}"))?;
    let root = doc.root_element();
    if !root.has_tag_name("annotation") {
        return Err("the root element must be <annotation>".into());
    }
    let size = match root.children().find(|c| c.has_tag_name("size")) {
        None => None,
        Some(s) => {
            let dim = |name: &str| -> Result<u64, String> {
                let t = child_text(s, name).ok_or_else(|| format!("size: <{name}> is missing"))?;
                t.parse::<u64>()
                    .ok()
                    .filter(|v| *v > 0)
                    .ok_or_else(|| format!("size: <{name}> must be a positive integer: {t:?}"))
            };
            let depth = match child_text(s, "depth") {
                None | Some("") => 3,
                Some(_) => dim("depth")?,
            };
            Some(ImageSize {
                width: dim("width")?,
                height: dim("height")?,
                depth,
            })
        }
    };
    let segmented = child_text(root, "segmented") == Some("1");
    let mut labels = Vec::new();
    for (i, obj) in root
        .children()
        .filter(|c| c.has_tag_name("object"))
        .enumerate()
    {
        let at = format!("object[{i}]");
        let name = child_text(obj, "name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{at}: <name> is missing"))?;
        let (shape, feature) = shape_of(obj, &at)?;
        let mut property = serde_json::Map::new();
        property.insert("@modelarts:shape".into(), Value::from(shape));
        property.insert("@modelarts:feature".into(), feature);
        if matches!(child_text(obj, "difficult"), Some("1" | "true")) {
            property.insert("@modelarts:difficult".into(), Value::from("1"));
        }
        if let Some(c) = child_text(obj, "hard-coefficient") {
            property.insert("@modelarts:hard_coefficient".into(), Value::from(c));
        }
        let mask_color = child_text(obj, "mask_color");
        if let Some(c) = mask_color {
            property.insert("@modelarts:color".into(), Value::from(c));
        }
        let score = match child_text(obj, "confidence") {
            None => None,
            Some(c) => Some(
                c.parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| format!("{at}: <confidence> must be within [0, 1]: {c:?}"))?,
            ),
        };
        labels.push(SampleLabel {
            name: Some(name.to_owned()),
            label_type: Some(if segmented || mask_color.is_some() {
                3
            } else {
                1
            }),
            property,
            score,
            ..SampleLabel::default()
        });
    }
    Ok(VocDocument {
        size,
        labels,
        mask_source: child_text(root, "mask_source").map(str::to_owned),
    })
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

    #[test]
    fn written_documents_read_back() {
        let labels = vec![
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
                json!({"name": "k", "type": 1, "property": {"@modelarts:shape": "polyline", "@modelarts:feature": [[1, 1], [2, 2], [3, 1]]}}),
            ),
            label(
                json!({"name": "g", "type": 1, "property": {"@modelarts:shape": "polygon", "@modelarts:feature": [[1, 1], [2, 1], [2, 2]]}}),
            ),
            label(
                json!({"name": "c", "type": 1, "property": {"@modelarts:shape": "circle", "@modelarts:feature": [[50, 50], [10]], "@modelarts:difficult": "1"}}),
            ),
        ];
        let size = ImageSize {
            width: 100,
            height: 80,
            depth: 3,
        };
        let doc = parse_voc(&write_voc("f", "x.jpg", Some(size), &labels)).unwrap();
        assert_eq!(doc.size, Some(size));
        assert_eq!(doc.labels, labels);
    }

    #[test]
    fn the_specification_examples_parse() {
        let seg = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><annotation><folder>NA</folder><filename>image_0006.jpg</filename><source><database>Unknown</database></source><size><width>230</width><height>300</height><depth>3</depth></size><segmented>1</segmented><mask_source>obs://xianao/out/image_0006.png</mask_source><object><name>bike</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult><mask_color>193,243,53</mask_color><occluded>0</occluded><polygon><x1>71</x1><y1>48</y1><x2>75</x2><y2>73</y2><x3>49</x3><y3>69</y3></polygon></object></annotation>";
        let doc = parse_voc(seg).unwrap();
        assert_eq!(
            doc.mask_source.as_deref(),
            Some("obs://xianao/out/image_0006.png")
        );
        assert_eq!(doc.labels[0].label_type, Some(3));
        assert_eq!(
            doc.labels[0].property["@modelarts:feature"],
            json!([[71, 48], [75, 73], [49, 69]])
        );
        assert_eq!(
            doc.labels[0].prop_str("@modelarts:color"),
            Some("193,243,53")
        );
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let obj = |inner: &str| format!("<annotation><object>{inner}</object></annotation>");
        for (xml, says) in [
            ("<annotation><object>".to_owned(), "broken XML"),
            ("<root/>".to_owned(), "root element"),
            (obj("<bndbox><xmin>1</xmin></bndbox>"), "<name> is missing"),
            (obj("<name>a</name>"), "no shape"),
            (obj("<name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>x</xmax><ymax>2</ymax></bndbox>"), "not a number"),
            (obj("<name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax></bndbox>"), "<ymax> is missing"),
            (obj("<name>a</name><polygon><x1>1</x1><y1>1</y1><x2>2</x2><y2>2</y2></polygon>"), "2 points"),
            (obj("<name>a</name><circle><cx>1</cx><cy>1</cy></circle>"), "<r> is missing"),
            (obj("<name>a</name><confidence>2</confidence><point><x>1</x><y>1</y></point>"), "confidence"),
            ("<annotation><size><width>0</width><height>1</height></size></annotation>".to_owned(), "width"),
        ] {
            let err = parse_voc(&xml).unwrap_err();
            assert!(err.contains(says), "{xml}: {err}");
        }
    }
}
