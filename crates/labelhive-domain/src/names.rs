//! Names and free text with documented character rules.

use crate::DomainError;

/// Letters, digits, `_` and `-`, between `min` and `max` characters.
fn check_simple_name(field: &str, value: &str, min: usize, max: usize) -> Result<(), DomainError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(DomainError::invalid(
            field,
            format!("must contain {min} to {max} characters"),
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(DomainError::invalid(
            field,
            "only letters, digits, underscores (_) and hyphens (-) are allowed",
        ));
    }
    Ok(())
}

/// A dataset name: 1 to 100 letters, digits, `_` or `-`.
pub fn check_dataset_name(value: &str) -> Result<(), DomainError> {
    check_simple_name("dataset_name", value, 1, 100)
}

/// A team labeling task name: 1 to 64 letters, digits, `_` or `-`.
pub fn check_task_name(field: &str, value: &str) -> Result<(), DomainError> {
    check_simple_name(field, value, 1, 64)
}

/// A project name: 1 to 64 letters, digits, `_` or `-`.
pub fn check_project_name(value: &str) -> Result<(), DomainError> {
    check_simple_name("name", value, 1, 64)
}

/// A description: at most `max` characters, none of `^!<>=&"'`.
pub fn check_description(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must contain 0 to {max} characters"),
        ));
    }
    check_no_special(field, value, "^!<>=&\"'")
}

/// Refuses any of the characters in `forbidden`.
pub fn check_no_special(field: &str, value: &str, forbidden: &str) -> Result<(), DomainError> {
    if let Some(c) = value.chars().find(|c| forbidden.contains(*c)) {
        return Err(DomainError::invalid(
            field,
            format!("the character {c:?} is not allowed"),
        ));
    }
    Ok(())
}

/// A label name: 1 to 1024 characters, no control characters, no surrounding spaces.
pub fn check_label_name(field: &str, value: &str) -> Result<(), DomainError> {
    let len = value.chars().count();
    if len == 0 || len > 1024 {
        return Err(DomainError::invalid(
            field,
            "must contain 1 to 1024 characters",
        ));
    }
    if value.chars().any(char::is_control) || value.trim() != value {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters or leading/trailing spaces",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names_follow_the_documented_rule() {
        assert!(check_dataset_name("dataset-9f3b").is_ok());
        assert!(check_dataset_name("a_B-1").is_ok());
        assert!(check_dataset_name("").is_err());
        assert!(check_dataset_name(&"a".repeat(101)).is_err());
        assert!(check_dataset_name(&"a".repeat(100)).is_ok());
        assert!(check_dataset_name("has space").is_err());
        assert!(check_dataset_name("dot.name").is_err());
        assert!(check_dataset_name("ünï").is_err());
    }

    #[test]
    fn descriptions_refuse_special_characters() {
        assert!(check_description("description", "just a test", 256).is_ok());
        for bad in ["a^b", "a!b", "<", ">", "=", "&", "\"", "'"] {
            assert!(check_description("description", bad, 256).is_err(), "{bad}");
        }
        assert!(check_description("description", &"x".repeat(257), 256).is_err());
    }

    #[test]
    fn label_names_refuse_empty_and_control_characters() {
        assert!(check_label_name("name", "Rabbits").is_ok());
        assert!(check_label_name("name", "").is_err());
        assert!(check_label_name("name", "a\nb").is_err());
        assert!(check_label_name("name", " a").is_err());
    }
}
