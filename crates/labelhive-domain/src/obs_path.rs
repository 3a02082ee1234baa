//! OBS-style object paths: `/bucket/key...`, `obs://bucket/key...` or `s3://bucket/key...`.
//!
//! Every path a client sends is parsed here before any I/O. Parsing refuses anything
//! that could leave the store's root (`..`, `.`, empty segments, backslashes, control
//! characters), so the blob layer only ever sees a bucket and clean key segments.

use crate::DomainError;

/// A validated object path: a bucket and zero or more key segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObsPath {
    bucket: String,
    segments: Vec<String>,
}

impl ObsPath {
    /// Parses a client-supplied path, refusing anything unsafe or malformed.
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let bad = |why: &str| DomainError::InvalidObsPath(format!("{field}: {why}: {raw:?}"));
        let rest = if let Some(r) = raw.strip_prefix("obs://") {
            r
        } else if let Some(r) = raw.strip_prefix("s3://") {
            r
        } else if let Some(r) = raw.strip_prefix('/') {
            r
        } else {
            return Err(bad("must start with /, obs:// or s3://"));
        };
        if raw.chars().any(|c| c.is_control() || c == '\\') {
            return Err(bad("control characters and backslashes are not allowed"));
        }
        // A single trailing slash marks a directory; any other empty segment ("//") is refused.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut parts = rest.split('/');
        let bucket = parts.next().unwrap_or_default();
        check_bucket(bucket).map_err(|why| bad(&why))?;
        let mut segments = Vec::new();
        for seg in parts {
            match seg {
                "" => return Err(bad("empty path segments (//) are not allowed")),
                "." | ".." => return Err(bad("relative segments (. and ..) are not allowed")),
                s if s.len() > 255 => return Err(bad("a path segment is longer than 255 bytes")),
                s => segments.push(s.to_owned()),
            }
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            segments,
        })
    }

    /// Builds a path from a bucket and already validated segments.
    pub fn from_parts(bucket: &str, segments: Vec<String>) -> Self {
        Self {
            bucket: bucket.to_owned(),
            segments,
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key segments below the bucket.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The key inside the bucket, segments joined by `/`, no leading or trailing slash.
    pub fn key(&self) -> String {
        self.segments.join("/")
    }

    /// Whether this names a bucket itself rather than something inside it.
    pub fn is_bucket(&self) -> bool {
        self.segments.is_empty()
    }

    /// The last segment: a file name for a file path.
    pub fn file_name(&self) -> &str {
        self.segments
            .last()
            .map_or(self.bucket.as_str(), |s| s.as_str())
    }

    /// A child path one segment below this one.
    pub fn join(&self, segment: &str) -> Result<Self, DomainError> {
        Self::parse("path", &format!("{}{}", self.as_dir(), segment))
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &ObsPath) -> bool {
        self.bucket == other.bucket && self.segments.starts_with(&other.segments)
    }

    /// The canonical file form: `/bucket/a/b`.
    pub fn as_file(&self) -> String {
        if self.segments.is_empty() {
            format!("/{}", self.bucket)
        } else {
            format!("/{}/{}", self.bucket, self.key())
        }
    }

    /// The canonical directory form, with a trailing slash: `/bucket/a/b/`.
    pub fn as_dir(&self) -> String {
        if self.segments.is_empty() {
            format!("/{}/", self.bucket)
        } else {
            format!("/{}/{}/", self.bucket, self.key())
        }
    }
}

/// OBS bucket rules: 3 to 63 characters, lowercase letters, digits, `-` and `.`,
/// starting and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), String> {
    if bucket.len() < 3 || bucket.len() > 63 {
        return Err("the bucket name must contain 3 to 63 characters".into());
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err("the bucket name allows lowercase letters, digits, - and . only".into());
    }
    let edge_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !edge_ok(bucket.bytes().next()) || !edge_ok(bucket.bytes().last()) {
        return Err("the bucket name must start and end with a letter or digit".into());
    }
    if bucket.contains("..") {
        return Err("the bucket name must not contain ..".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_prefixes_parse_to_one_form() {
        for raw in ["/test-obs/a/b/", "obs://test-obs/a/b/", "s3://test-obs/a/b"] {
            let p = ObsPath::parse("p", raw).unwrap();
            assert_eq!(p.bucket(), "test-obs");
            assert_eq!(p.key(), "a/b");
            assert_eq!(p.as_dir(), "/test-obs/a/b/");
            assert_eq!(p.as_file(), "/test-obs/a/b");
        }
    }

    #[test]
    fn hostile_paths_are_refused_one_by_one() {
        let hostile = [
            "/bucket/../etc/passwd",
            "/bucket/a/../../x",
            "/bucket/./a",
            "/bucket//a",
            "/../x",
            "/..",
            "/bucket/a\\..\\b",
            "/bucket/a\0b",
            "/bucket/a\nb",
            "bucket/a",
            "",
            "/",
            "//bucket/a",
            "obs://",
            "s3:///a",
            "/BUCKET/a",
            "/b/a",
            "/-bucket/a",
            "/bucket-/a",
            "/bu..cket/a",
            "file:///etc/passwd",
            "http://bucket/a",
        ];
        for raw in hostile {
            assert!(ObsPath::parse("p", raw).is_err(), "accepted {raw:?}");
        }
    }

    #[test]
    fn nesting_is_judged_by_whole_segments() {
        let input = ObsPath::parse("p", "/bkt/data/in/").unwrap();
        assert!(ObsPath::parse("p", "/bkt/data/in/sub")
            .unwrap()
            .starts_with(&input));
        assert!(!ObsPath::parse("p", "/bkt/data/input")
            .unwrap()
            .starts_with(&input));
        assert!(ObsPath::parse("p", "/bkt/").unwrap().is_bucket());
    }
}
