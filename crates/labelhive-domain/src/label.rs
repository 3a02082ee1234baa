//! Dataset labels: their types, properties and attributes, and the rules a label set obeys.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dataset::DatasetType;
use crate::names::{check_label_name, check_no_special};
use crate::DomainError;

/// Label types from the spec's Label tables.
pub const LABEL_TYPES: &[i32] = &[0, 1, 3, 100, 101, 102, 103, 200, 201, 202, 600];

/// Shapes allowed for `@modelarts:default_shape`.
pub const SHAPES: &[&str] = &[
    "bndbox", "polygon", "circle", "line", "dashed", "point", "polyline",
];

/// One value of a `select` attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelAttributeValue {
    /// Value id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A multi-dimensional attribute of a label (for example the artist of "music").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelAttribute {
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Attribute id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Attribute name: at most 64 characters, none of `<>=&"'`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `text` or `select`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub attr_type: Option<String>,
    /// Values of a `select` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<LabelAttributeValue>>,
}

/// A label of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Label name, unique within the dataset.
    pub name: String,
    /// Label type (see [`LABEL_TYPES`]).
    #[serde(rename = "type")]
    pub label_type: i32,
    /// Key-value properties such as `@modelarts:color`.
    #[serde(default)]
    pub property: Map<String, Value>,
    /// Multi-dimensional attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<LabelAttribute>,
}

impl Label {
    /// A string property, if present.
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.property.get(key).and_then(Value::as_str)
    }
}

/// The label types a dataset of `dataset_type` may hold.
pub fn allowed_label_types(dataset_type: DatasetType) -> &'static [i32] {
    match dataset_type {
        DatasetType::ImageClassification => &[0],
        DatasetType::ObjectDetection => &[1],
        DatasetType::ImageSegmentation => &[3],
        DatasetType::TextClassification => &[100],
        DatasetType::NamedEntity => &[101],
        DatasetType::TextTriplet => &[102, 103],
        DatasetType::SoundClassification => &[200],
        DatasetType::SpeechContent => &[201],
        DatasetType::SpeechParagraph => &[202],
        DatasetType::Table => &[],
        DatasetType::Video => &[600],
        DatasetType::Custom => LABEL_TYPES,
    }
}

/// The label type used when a client leaves `type` out.
pub fn default_label_type(dataset_type: DatasetType) -> Option<i32> {
    match dataset_type {
        DatasetType::TextTriplet => Some(103),
        DatasetType::Table => None,
        DatasetType::Custom => Some(0),
        other => Some(other.code()),
    }
}

/// Checks one label on its own: name, type for the dataset, properties and attributes.
pub fn check_label(
    field: &str,
    dataset_type: DatasetType,
    label: &Label,
) -> Result<(), DomainError> {
    check_label_name(&format!("{field}.name"), &label.name)?;
    if !allowed_label_types(dataset_type).contains(&label.label_type) {
        return Err(DomainError::invalid(
            format!("{field}.type"),
            format!(
                "label type {} is not allowed in a dataset of type {}",
                label.label_type,
                dataset_type.code()
            ),
        ));
    }
    for (key, value) in &label.property {
        let Some(text) = value.as_str() else {
            return Err(DomainError::invalid(
                format!("{field}.property.{key}"),
                "property values must be strings",
            ));
        };
        match key.as_str() {
            "@modelarts:color" if !is_hex_color(text) => {
                return Err(DomainError::invalid(
                    format!("{field}.property.{key}"),
                    "must be a hexadecimal color such as #3399ff",
                ))
            }
            "@modelarts:default_shape" if !SHAPES.contains(&text) => {
                return Err(DomainError::invalid(
                    format!("{field}.property.{key}"),
                    format!("must be one of {}", SHAPES.join(", ")),
                ))
            }
            _ => {}
        }
    }
    for (i, attr) in label.attributes.iter().enumerate() {
        let f = format!("{field}.attributes[{i}]");
        if let Some(name) = &attr.name {
            if name.chars().count() > 64 {
                return Err(DomainError::invalid(
                    format!("{f}.name"),
                    "at most 64 characters",
                ));
            }
            check_no_special(&format!("{f}.name"), name, "<>=&\"'")?;
        }
        if let Some(t) = &attr.attr_type {
            if t != "text" && t != "select" {
                return Err(DomainError::invalid(
                    format!("{f}.type"),
                    "must be text or select",
                ));
            }
        }
    }
    Ok(())
}

/// Checks a whole label set: each label, unique names, and that triplet relations name
/// entity labels of the same set.
pub fn check_label_set(
    field: &str,
    dataset_type: DatasetType,
    labels: &[Label],
) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for (i, label) in labels.iter().enumerate() {
        let f = format!("{field}[{i}]");
        check_label(&f, dataset_type, label)?;
        if !seen.insert(label.name.as_str()) {
            return Err(DomainError::invalid(
                format!("{f}.name"),
                format!("duplicate label name {:?}", label.name),
            ));
        }
    }
    for (i, label) in labels.iter().enumerate() {
        if label.label_type != 102 {
            continue;
        }
        for key in ["@modelarts:from_type", "@modelarts:to_type"] {
            let f = format!("{field}[{i}].property.{key}");
            let Some(entity) = label.prop(key) else {
                return Err(DomainError::invalid(f, "a triplet relation label needs it"));
            };
            if !labels
                .iter()
                .any(|l| l.label_type == 103 && l.name == entity)
            {
                return Err(DomainError::invalid(
                    f,
                    format!("{entity:?} is not an entity label (type 103) of this dataset"),
                ));
            }
        }
    }
    Ok(())
}

fn is_hex_color(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| {
        (h.len() == 6 || h.len() == 3 || h.len() == 8) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn label(name: &str, t: i32, prop: Value) -> Label {
        Label {
            name: name.into(),
            label_type: t,
            property: prop.as_object().cloned().unwrap_or_default(),
            attributes: vec![],
        }
    }

    #[test]
    fn label_types_must_fit_the_dataset() {
        let ok = [label("Rabbits", 0, json!({"@modelarts:color": "#3399ff"}))];
        assert!(check_label_set("labels", DatasetType::ImageClassification, &ok).is_ok());
        let wrong = [label("Rabbits", 1, json!({}))];
        assert!(check_label_set("labels", DatasetType::ImageClassification, &wrong).is_err());
    }

    #[test]
    fn duplicate_names_and_bad_properties_are_refused() {
        let dup = [label("a", 0, json!({})), label("a", 0, json!({}))];
        assert!(check_label_set("labels", DatasetType::ImageClassification, &dup).is_err());
        let color = [label("a", 0, json!({"@modelarts:color": "blue"}))];
        assert!(check_label_set("labels", DatasetType::ImageClassification, &color).is_err());
        let shape = [label("a", 1, json!({"@modelarts:default_shape": "star"}))];
        assert!(check_label_set("labels", DatasetType::ObjectDetection, &shape).is_err());
    }

    #[test]
    fn triplet_relations_must_name_entity_labels() {
        let ok = [
            label("person", 103, json!({})),
            label("city", 103, json!({})),
            label(
                "lives_in",
                102,
                json!({"@modelarts:from_type": "person", "@modelarts:to_type": "city"}),
            ),
        ];
        assert!(check_label_set("labels", DatasetType::TextTriplet, &ok).is_ok());
        let missing = [label(
            "lives_in",
            102,
            json!({"@modelarts:from_type": "person"}),
        )];
        assert!(check_label_set("labels", DatasetType::TextTriplet, &missing).is_err());
    }
}
