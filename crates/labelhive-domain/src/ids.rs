//! Identifiers: their shapes, how new ones are made, and how paths become sample ids.
//!
//! ModelArts ids are 19 alphanumeric characters for datasets, tasks and versions;
//! project and worker ids are 32 lowercase hex characters. Sample ids are derived from
//! the file's storage path so that the same file is one sample however often it is
//! added or imported.

use rand::Rng;
use sha2::{Digest, Sha256};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new 19-character alphanumeric id (datasets, jobs, versions, teams).
pub fn new_resource_id() -> String {
    random_from(ALNUM, 19)
}

/// A new 32-character lowercase hex id (projects, workers).
pub fn new_hex_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// A new access key: 20 upper-case letters and digits, as Huawei Cloud issues them.
pub fn new_access_key() -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20)
}

/// A new opaque bearer token (64 hex characters, 256 bits).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Whether `s` has the shape of a resource id (19 alphanumeric characters).
pub fn is_resource_id(s: &str) -> bool {
    s.len() == 19 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `s` has the shape of a project or worker id (32 lowercase hex characters).
pub fn is_hex_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The sample id of a file: the first 16 bytes of SHA-256 over its normalised OBS path.
pub fn sample_id_for_path(obs_path: &str) -> String {
    let digest = Sha256::digest(obs_path.as_bytes());
    hex::encode(&digest[..16])
}

/// SHA-256 of a secret, hex: what the store keeps instead of tokens.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_have_the_documented_shapes() {
        assert!(is_resource_id(&new_resource_id()));
        assert!(is_hex_id(&new_hex_id()));
        let ak = new_access_key();
        assert_eq!(ak.len(), 20);
        assert!(ak
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    }

    #[test]
    fn sample_ids_depend_only_on_the_path() {
        let a = sample_id_for_path("/bucket/a/1.jpg");
        assert_eq!(a, sample_id_for_path("/bucket/a/1.jpg"));
        assert_ne!(a, sample_id_for_path("/bucket/a/2.jpg"));
        assert!(is_hex_id(&a));
    }

    #[test]
    fn malformed_ids_are_recognised() {
        assert!(!is_resource_id("short"));
        assert!(!is_resource_id("abcdefghijklmnopqr!"));
        assert!(!is_hex_id("ABCDEF0123456789ABCDEF0123456789"));
    }
}
