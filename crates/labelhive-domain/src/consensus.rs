//! Consensus of several annotators' labels for one sample, and their agreement.
//!
//! Two annotations are compared by a Dice-style similarity: labels are matched one to
//! one (same name and type), each match counting its overlap: 1 for a class, the
//! intersection over union of boxes (a shape's bounding box, a circle's square) or of
//! spans (text indexes, speech times). Similarity is `2 × matched / (|a| + |b|)`, 1
//! for two empty annotations.
//!
//! The consensus is the majority annotation when no label has a position
//! (classification: the label set most annotators chose, ties to the first), else the
//! best-agreeing annotation (the one with the highest mean similarity to the others).
//! A sample's agreement is the mean pairwise similarity; an annotator's is the mean
//! similarity of their annotation to the others'.

use serde_json::Value;

use crate::annotation::{parse_speech_time, SampleLabel};

/// The consensus of one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Consensus {
    /// Index of the annotation chosen.
    pub chosen: usize,
    /// Mean pairwise similarity, 1 with a single annotator.
    pub agreement: f64,
    /// Per annotator, in input order: mean similarity to the others.
    pub per_annotator: Vec<f64>,
}

/// The consensus of `annotations` (at least one).
pub fn consensus(annotations: &[&[SampleLabel]]) -> Consensus {
    let n = annotations.len();
    if n <= 1 {
        return Consensus {
            chosen: 0,
            agreement: 1.0,
            per_annotator: vec![1.0; n],
        };
    }
    let mut sims = vec![vec![1.0; n]; n];
    let mut pair_sum = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            let s = similarity(annotations[i], annotations[j]);
            sims[i][j] = s;
            sims[j][i] = s;
            pair_sum += s;
        }
    }
    let per_annotator: Vec<f64> = (0..n)
        .map(|i| (0..n).filter(|&j| j != i).map(|j| sims[i][j]).sum::<f64>() / (n - 1) as f64)
        .collect();
    let positional = annotations
        .iter()
        .any(|a| a.iter().any(|l| extent(l).is_some()));
    let chosen = if positional {
        best_index(&per_annotator)
    } else {
        majority(annotations)
    };
    Consensus {
        chosen,
        agreement: pair_sum / (n * (n - 1) / 2) as f64,
        per_annotator,
    }
}

/// The first index of the highest value.
fn best_index(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// The first annotation whose label set most annotators share.
fn majority(annotations: &[&[SampleLabel]]) -> usize {
    let sets: Vec<Vec<(String, i32)>> = annotations.iter().map(|a| class_set(a)).collect();
    let votes: Vec<usize> = sets
        .iter()
        .map(|s| sets.iter().filter(|o| *o == s).count())
        .collect();
    let top = votes.iter().copied().max().unwrap_or(0);
    votes.iter().position(|v| *v == top).unwrap_or(0)
}

fn class_set(labels: &[SampleLabel]) -> Vec<(String, i32)> {
    let mut set: Vec<(String, i32)> = labels.iter().map(key).collect();
    set.sort();
    set.dedup();
    set
}

fn key(l: &SampleLabel) -> (String, i32) {
    (
        l.name.clone().unwrap_or_default(),
        l.label_type.unwrap_or_default(),
    )
}

/// Similarity of two annotations, 0 to 1.
pub fn similarity(a: &[SampleLabel], b: &[SampleLabel]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let mut used = vec![false; b.len()];
    let mut matched = 0.0;
    for la in a {
        let mut best: Option<(usize, f64)> = None;
        for (j, lb) in b.iter().enumerate() {
            if used[j] || key(la) != key(lb) {
                continue;
            }
            let o = overlap(la, lb);
            if best.is_none_or(|(_, v)| o > v) {
                best = Some((j, o));
            }
        }
        if let Some((j, o)) = best {
            used[j] = true;
            matched += o;
        }
    }
    2.0 * matched / (a.len() + b.len()) as f64
}

/// Where a label lies: a box (x1, y1, x2, y2) or a span (start, end, 0, 0).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extent {
    Area(f64, f64, f64, f64),
    Span(f64, f64),
}

fn overlap(a: &SampleLabel, b: &SampleLabel) -> f64 {
    match (extent(a), extent(b)) {
        (None, None) => 1.0,
        (Some(Extent::Area(a1, b1, c1, d1)), Some(Extent::Area(a2, b2, c2, d2))) => {
            let w = (c1.min(c2) - a1.max(a2)).max(0.0);
            let h = (d1.min(d2) - b1.max(b2)).max(0.0);
            let inter = w * h;
            let union = (c1 - a1) * (d1 - b1) + (c2 - a2) * (d2 - b2) - inter;
            if union <= 0.0 {
                // Degenerate shapes (points, lines): equal means agreeing.
                f64::from(u8::from((a1, b1, c1, d1) == (a2, b2, c2, d2)))
            } else {
                inter / union
            }
        }
        (Some(Extent::Span(s1, e1)), Some(Extent::Span(s2, e2))) => {
            let inter = (e1.min(e2) - s1.max(s2)).max(0.0);
            let union = e1.max(e2) - s1.min(s2);
            if union <= 0.0 {
                f64::from(u8::from((s1, e1) == (s2, e2)))
            } else {
                inter / union
            }
        }
        _ => 0.0,
    }
}

fn extent(l: &SampleLabel) -> Option<Extent> {
    let num = |k: &str| -> Option<f64> {
        match l.property.get(k)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    };
    if let (Some(s), Some(e)) = (num("@modelarts:start_index"), num("@modelarts:end_index")) {
        return Some(Extent::Span(s, e));
    }
    let time = |k: &str| l.prop_str(k).and_then(parse_speech_time);
    if let (Some(s), Some(e)) = (time("@modelarts:start_time"), time("@modelarts:end_time")) {
        return Some(Extent::Span(s as f64, e as f64));
    }
    let points = l.property.get("@modelarts:feature")?.as_array()?;
    let xy: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| {
            let p = p.as_array()?;
            Some((p.first()?.as_f64()?, p.get(1)?.as_f64()?))
        })
        .collect();
    if l.prop_str("@modelarts:shape") == Some("circle") {
        let (cx, cy) = *xy.first()?;
        let r = points.get(1)?.as_array()?.first()?.as_f64()?;
        return Some(Extent::Area(cx - r, cy - r, cx + r, cy + r));
    }
    let (mut x1, mut y1) = (f64::MAX, f64::MAX);
    let (mut x2, mut y2) = (f64::MIN, f64::MIN);
    for (x, y) in &xy {
        x1 = x1.min(*x);
        y1 = y1.min(*y);
        x2 = x2.max(*x);
        y2 = y2.max(*y);
    }
    (!xy.is_empty()).then_some(Extent::Area(x1, y1, x2, y2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn label(v: Value) -> SampleLabel {
        serde_json::from_value(v).unwrap()
    }

    fn class(name: &str) -> SampleLabel {
        label(json!({"name": name, "type": 0}))
    }

    fn bbox(name: &str, x1: i64, y1: i64, x2: i64, y2: i64) -> SampleLabel {
        label(json!({"name": name, "type": 1, "property": {
            "@modelarts:shape": "bndbox",
            "@modelarts:feature": [[x1, y1], [x2, y2]]}}))
    }

    #[test]
    fn classification_takes_the_majority() {
        let (cat, dog) = (vec![class("cat")], vec![class("dog")]);
        let c = consensus(&[&dog, &cat, &cat]);
        assert_eq!(c.chosen, 1);
        assert!((c.agreement - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(c.per_annotator, vec![0.0, 0.5, 0.5]);
        let single = consensus(&[&cat]);
        assert_eq!((single.chosen, single.agreement), (0, 1.0));
    }

    #[test]
    fn shapes_take_the_best_agreeing_annotation() {
        let a = vec![bbox("car", 0, 0, 10, 10)];
        let b = vec![bbox("car", 1, 1, 11, 11)];
        let c = vec![bbox("car", 50, 50, 60, 60)];
        let r = consensus(&[&c, &a, &b]);
        assert!(r.chosen == 1 || r.chosen == 2);
        assert!(r.per_annotator[0] < 0.01);
        let iou = 81.0 / 119.0;
        assert!((similarity(&a, &b) - iou).abs() < 1e-9);
        // A missing box halves the similarity of an otherwise equal annotation.
        let two = vec![bbox("car", 0, 0, 10, 10), bbox("car", 20, 20, 30, 30)];
        assert!((similarity(&a, &two) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(similarity(&[], &[]), 1.0);
    }

    #[test]
    fn spans_compare_by_overlap() {
        let span = |s: i64, e: i64| {
            vec![label(json!({"name": "PER", "type": 101, "property": {
                "@modelarts:start_index": s, "@modelarts:end_index": e}}))]
        };
        assert!((similarity(&span(0, 4), &span(0, 8)) - 0.5).abs() < 1e-9);
        assert_eq!(similarity(&span(0, 4), &span(10, 14)), 0.0);
    }
}
