//! Checks on raw JSON text before it is parsed.

/// Why text holding the NUL character is refused: PostgreSQL text cannot hold it, so
/// no text the service keeps may contain it, whatever the backend.
pub const NUL_REFUSED: &str = "must not contain the NUL character (\\u0000)";

/// Whether `json` escapes the NUL character (`\u0000`) in one of its strings. Raw
/// control characters are not valid JSON, so the escape is the only way one comes in.
pub fn escapes_nul(json: &[u8]) -> bool {
    let mut rest = json;
    while let Some(at) = rest.iter().position(|&b| b == b'\\') {
        let escape = &rest[at + 1..];
        if escape.starts_with(b"u0000") {
            return true;
        }
        // Skips the escaped character too, so `\\u0000` (a backslash, then text) passes.
        rest = escape.get(1..).unwrap_or_default();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_nul_escape_counts() {
        assert!(escapes_nul(br#"{"a": "x\u0000y"}"#));
        assert!(escapes_nul(br#"["\\\u0000"]"#));
        assert!(!escapes_nul(br#"{"a": "x\\u0000y"}"#));
        assert!(!escapes_nul(br#"{"a": "\u00"#), "a cut escape");
        assert!(!escapes_nul(br#"{"a": "\u0001 \n \\ \""}"#));
        assert!(!escapes_nul(br#"\"#));
    }
}
