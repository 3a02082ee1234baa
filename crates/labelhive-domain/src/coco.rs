//! COCO object detection and segmentation documents (`images`, `annotations`,
//! `categories`): written piece by piece by exports, read whole by imports.
//!
//! A `bndbox` shape is a COCO `bbox` (`[x, y, width, height]`); a `polygon` is a
//! `segmentation` polygon with its bounding box. COCO has no other shapes: circles,
//! lines, points and polylines are left out of a COCO export and counted. Category
//! ids are 1-based in label order. `file_name` is relative to the folder holding the
//! document.

use crate::json_text::{escapes_nul, NUL_REFUSED};
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::annotation::{ImageSize, SampleLabel};
use crate::voc::json_num;

/// Largest COCO document an import reads (the whole document is parsed at once:
/// COCO does not group annotations by image).
pub const MAX_COCO_BYTES: u64 = 64 << 20;

/// Label names and their category ids, in first-seen order.
#[derive(Debug, Default)]
pub struct Categories {
    ids: HashMap<String, u64>,
    names: Vec<String>,
}

impl Categories {
    /// Categories for `names`, ids 1, 2, ... in that order.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut c = Self::default();
        for n in names {
            c.id(n);
        }
        c
    }

    /// The id of `name`, given the next one when new.
    pub fn id(&mut self, name: &str) -> u64 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        self.names.push(name.to_owned());
        let id = self.names.len() as u64;
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// The `categories` array.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.names
                .iter()
                .enumerate()
                .map(|(i, n)| json!({"id": i + 1, "name": n, "supercategory": ""}))
                .collect(),
        )
    }
}

/// One `images` entry.
pub fn image_entry(id: u64, file_name: &str, size: Option<ImageSize>) -> Value {
    let mut v = json!({"id": id, "file_name": file_name});
    if let Some(s) = size {
        v["width"] = json!(s.width);
        v["height"] = json!(s.height);
    }
    v
}

/// The points of a feature, `[[x, y], ...]`; `None` when any is malformed.
fn points(feature: &Value) -> Option<Vec<(f64, f64)>> {
    feature
        .as_array()?
        .iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([x, y]) => Some((x.as_f64()?, y.as_f64()?)),
            _ => None,
        })
        .collect()
}

/// A COCO annotation of one label, or `None` for a label COCO cannot hold (no shape,
/// or a shape other than a box or polygon).
pub fn annotation(id: u64, image_id: u64, category_id: u64, label: &SampleLabel) -> Option<Value> {
    let feature = label.property.get("@modelarts:feature")?;
    let pts = points(feature)?;
    let shape = label.prop_str("@modelarts:shape").unwrap_or("polygon");
    let mut v = match (shape, pts.as_slice()) {
        ("bndbox", [(x1, y1), (x2, y2)]) => {
            let (w, h) = (x2 - x1, y2 - y1);
            json!({"bbox": [x1, y1, w, h], "area": w * h, "segmentation": []})
        }
        ("polygon", pts) if pts.len() >= 3 => {
            let (xs, ys): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
            let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (x0, y0) = (min(&xs), min(&ys));
            let flat: Vec<f64> = pts.iter().flat_map(|(x, y)| [*x, *y]).collect();
            json!({
                "bbox": [x0, y0, max(&xs) - x0, max(&ys) - y0],
                "area": polygon_area(pts),
                "segmentation": [flat],
            })
        }
        _ => return None,
    };
    v["id"] = json!(id);
    v["image_id"] = json!(image_id);
    v["category_id"] = json!(category_id);
    v["iscrowd"] = json!(0);
    if let Some(score) = label.score {
        v["score"] = json!(score);
    }
    Some(v)
}

/// Area of a simple polygon (shoelace).
fn polygon_area(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (x1, y1) = pts[i];
            let (x2, y2) = pts[(i + 1) % n];
            x1 * y2 - x2 * y1
        })
        .sum();
    twice.abs() / 2.0
}

#[derive(Debug, Deserialize)]
struct RawDoc {
    images: Vec<RawImage>,
    #[serde(default)]
    annotations: Vec<RawAnnotation>,
    #[serde(default)]
    categories: Vec<RawCategory>,
}

#[derive(Debug, Deserialize)]
struct RawImage {
    id: u64,
    file_name: String,
    width: Option<u64>,
    height: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct RawAnnotation {
    image_id: u64,
    category_id: u64,
    #[serde(default)]
    bbox: Option<Vec<f64>>,
    #[serde(default)]
    segmentation: Option<Value>,
    #[serde(default)]
    score: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct RawCategory {
    id: u64,
    name: String,
}

/// One image of a COCO document with its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoImage {
    /// Path relative to the document's folder.
    pub file_name: String,
    /// Its size, when given.
    pub size: Option<ImageSize>,
    /// One label per annotation: polygons where a segmentation is given, else boxes.
    pub labels: Vec<SampleLabel>,
}

fn shape_label(name: &str, shape: &str, pts: &[(f64, f64)], score: Option<f64>) -> SampleLabel {
    let feature: Vec<Value> = pts
        .iter()
        .map(|(x, y)| Value::Array(vec![json_num(*x), json_num(*y)]))
        .collect();
    let mut property = Map::new();
    property.insert("@modelarts:shape".into(), Value::from(shape));
    property.insert("@modelarts:feature".into(), Value::Array(feature));
    SampleLabel {
        name: Some(name.to_owned()),
        label_type: Some(1),
        property,
        score,
        ..SampleLabel::default()
    }
}

/// The labels of one annotation.
fn labels_of(a: &RawAnnotation, name: &str, at: &str) -> Result<Vec<SampleLabel>, String> {
    let polygons: Vec<Vec<f64>> = match &a.segmentation {
        Some(Value::Array(polys)) => polys
            .iter()
            .filter_map(|p| {
                p.as_array()
                    .map(|c| c.iter().filter_map(Value::as_f64).collect())
            })
            .collect(),
        // RLE masks have no polygon to carry.
        Some(Value::Object(_)) => {
            return Err(format!("{at}: RLE segmentation masks are not supported"))
        }
        _ => Vec::new(),
    };
    if let Some(score) = a.score.filter(|s| !(0.0..=1.0).contains(s)) {
        return Err(format!("{at}: score {score} is not within [0, 1]"));
    }
    let mut out = Vec::new();
    for poly in &polygons {
        if poly.len() < 6 || poly.len() % 2 != 0 {
            return Err(format!(
                "{at}: a polygon needs an even number of coordinates, at least 6"
            ));
        }
        let pts: Vec<(f64, f64)> = poly.chunks(2).map(|c| (c[0], c[1])).collect();
        out.push(shape_label(name, "polygon", &pts, a.score));
    }
    if out.is_empty() {
        match a.bbox.as_deref() {
            Some([x, y, w, h]) if *w >= 0.0 && *h >= 0.0 => {
                out.push(shape_label(
                    name,
                    "bndbox",
                    &[(*x, *y), (x + w, y + h)],
                    a.score,
                ));
            }
            _ => {
                return Err(format!(
                    "{at}: needs a bbox [x, y, width, height] or a polygon"
                ))
            }
        }
    }
    Ok(out)
}

/// An image whose annotations cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CocoError {
    /// The image's `file_name`.
    pub file_name: String,
    /// Why, naming the annotation.
    pub reason: String,
}

/// Parses a COCO document into its images, in document order, each with its labels;
/// an image with an annotation that cannot be read is an error of its own.
pub fn parse(bytes: &[u8]) -> Result<Vec<Result<CocoImage, CocoError>>, String> {
    if escapes_nul(bytes) {
        return Err(format!("not a COCO document: its text {NUL_REFUSED}"));
    }
    let doc: RawDoc =
        serde_json::from_slice(bytes).map_err(|e| format!("not a COCO document: {e}"))?;
    let names: HashMap<u64, &str> = doc
        .categories
        .iter()
        .map(|c| (c.id, c.name.as_str()))
        .collect();
    let mut by_image: HashMap<u64, Vec<SampleLabel>> = HashMap::new();
    let mut bad: HashMap<u64, String> = HashMap::new();
    for (i, a) in doc.annotations.iter().enumerate() {
        let at = format!("annotations[{i}]");
        let result = names
            .get(&a.category_id)
            .ok_or_else(|| format!("{at}: category_id {} is not a category", a.category_id))
            .and_then(|name| labels_of(a, name, &at));
        match result {
            Ok(labels) => by_image.entry(a.image_id).or_default().extend(labels),
            Err(why) => {
                bad.entry(a.image_id).or_insert(why);
            }
        }
    }
    Ok(doc
        .images
        .into_iter()
        .map(|img| {
            if let Some(reason) = bad.remove(&img.id) {
                return Err(CocoError {
                    file_name: img.file_name,
                    reason,
                });
            }
            let size = match (img.width, img.height) {
                (Some(width), Some(height)) if width > 0 && height > 0 => Some(ImageSize {
                    width,
                    height,
                    depth: 3,
                }),
                _ => None,
            };
            Ok(CocoImage {
                labels: by_image.remove(&img.id).unwrap_or_default(),
                file_name: img.file_name,
                size,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(shape: &str, feature: Value) -> SampleLabel {
        let mut property = Map::new();
        property.insert("@modelarts:shape".into(), json!(shape));
        property.insert("@modelarts:feature".into(), feature);
        SampleLabel {
            name: Some("Cat".into()),
            label_type: Some(1),
            property,
            ..SampleLabel::default()
        }
    }

    #[test]
    fn boxes_and_polygons_round_trip_and_other_shapes_are_left_out() {
        let mut cats = Categories::new(["Dog", "Cat"]);
        assert_eq!(cats.id("Cat"), 2);
        assert_eq!(cats.id("Owl"), 3);
        let boxed = annotation(1, 7, 2, &label("bndbox", json!([[10, 20], [40, 60]]))).unwrap();
        assert_eq!(boxed["bbox"], json!([10.0, 20.0, 30.0, 40.0]));
        assert_eq!(boxed["area"], json!(1200.0));
        let poly = label("polygon", json!([[0, 0], [4, 0], [4, 3]]));
        let p = annotation(2, 7, 2, &poly).unwrap();
        assert_eq!(p["area"], json!(6.0));
        assert_eq!(p["segmentation"], json!([[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]]));
        assert!(annotation(3, 7, 2, &label("circle", json!([[1, 1], [2]]))).is_none());

        let doc = json!({
            "images": [{"id": 7, "file_name": "a.jpg", "width": 100, "height": 80},
                       {"id": 8, "file_name": "b.jpg"}],
            "annotations": [boxed, p],
            "categories": cats.to_json(),
        });
        let images: Vec<CocoImage> = parse(doc.to_string().as_bytes())
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(images[0].file_name, "a.jpg");
        assert_eq!(images[0].size.map(|s| (s.width, s.height)), Some((100, 80)));
        let back = &images[0].labels;
        assert_eq!(
            back[0].property["@modelarts:feature"],
            json!([[10, 20], [40, 60]])
        );
        assert_eq!(back[0].prop_str("@modelarts:shape"), Some("bndbox"));
        assert_eq!(back[1], poly);
        assert!(images[1].labels.is_empty());
    }

    #[test]
    fn bad_annotations_are_reported_with_their_image() {
        let doc = json!({
            "images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
            "annotations": [
                {"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]},
                {"image_id": 2, "category_id": 1, "segmentation": [[0, 0, 1]]}
            ],
            "categories": [{"id": 1, "name": "Cat"}],
        });
        let failures: Vec<CocoError> = parse(doc.to_string().as_bytes())
            .unwrap()
            .into_iter()
            .map(Result::unwrap_err)
            .collect();
        assert_eq!(failures[0].file_name, "a.jpg");
        assert!(failures[0].reason.contains("category_id 9"), "{failures:?}");
        assert!(failures[1].reason.contains("polygon"), "{failures:?}");
        assert!(parse(b"{\"images\": 3}").is_err());
    }
}
