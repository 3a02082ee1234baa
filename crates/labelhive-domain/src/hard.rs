//! Hard examples: which reasons a sample carries, and what each reason id means.

use serde_json::Value;

use crate::annotation::{SampleLabel, SampleMetadata, HARD_REASONS};

/// The documented hard example reasons, by id.
pub const REASONS: [&str; 31] = [
    "No target objects are identified.",
    "The confidence is low.",
    "The clustering result based on the training dataset is inconsistent with the prediction result.",
    "The prediction result is greatly different from the data of the same type in the training dataset.",
    "The prediction results of multiple consecutive similar images are inconsistent.",
    "There is a large offset between the image resolution and the feature distribution of the training dataset.",
    "There is a large offset between the aspect ratio of the image and the feature distribution of the training dataset.",
    "There is a large offset between the brightness of the image and the feature distribution of the training dataset.",
    "There is a large offset between the saturation of the image and the feature distribution of the training dataset.",
    "There is a large offset between the color richness of the image and the feature distribution of the training dataset.",
    "There is a large offset between the definition of the image and the feature distribution of the training dataset.",
    "There is a large offset between the number of frames of the image and the feature distribution of the training dataset.",
    "There is a large offset between the standard deviation of area of image frames and the feature distribution of the training dataset.",
    "There is a large offset between the aspect ratio of image frames and the feature distribution of the training dataset.",
    "There is a large offset between the area portion of image frames and the feature distribution of the training dataset.",
    "There is a large offset between the edge of image frames and the feature distribution of the training dataset.",
    "There is a large offset between the brightness of image frames and the feature distribution of the training dataset.",
    "There is a large offset between the definition of image frames and the feature distribution of the training dataset.",
    "There is a large offset between the stack of image frames and the feature distribution of the training dataset.",
    "The data enhancement result based on GaussianBlur is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on fliplr is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on Crop is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on flipud is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on scale is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on translate is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on shear is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on superpixels is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on sharpen is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on add is inconsistent with the prediction result of the original image.",
    "The data enhancement result based on invert is inconsistent with the prediction result of the original image.",
    "The data is predicted to be abnormal.",
];

/// Every reason id a sample carries, once per mention: its metadata's list, then each
/// label's hyphen-joined ids. Values that are not valid ids are skipped (validation
/// refuses them on the way in).
pub fn reasons(labels: &[SampleLabel], metadata: &SampleMetadata) -> Vec<u8> {
    let valid = |n: u64| {
        u8::try_from(n)
            .ok()
            .filter(|&n| usize::from(n) < REASONS.len())
    };
    let mut out: Vec<u8> = metadata
        .0
        .get(HARD_REASONS)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_u64().and_then(valid))
        .collect();
    for l in labels {
        if let Some(s) = l.property.get(HARD_REASONS).and_then(Value::as_str) {
            out.extend(
                s.split('-')
                    .filter_map(|id| id.parse().ok().and_then(valid)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reasons_come_from_metadata_and_labels() {
        let metadata: SampleMetadata =
            serde_json::from_value(json!({HARD_REASONS: [3, 30, 99]})).unwrap();
        let labels: Vec<SampleLabel> =
            serde_json::from_value(json!([{"name": "a", "property": {HARD_REASONS: "3-20"}}]))
                .unwrap();
        assert_eq!(reasons(&labels, &metadata), [3, 30, 3, 20]);
        assert!(reasons(&[], &SampleMetadata::default()).is_empty());
    }
}
