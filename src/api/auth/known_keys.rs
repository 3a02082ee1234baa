//! Access keys seen before. A project's access key never changes and projects are
//! never deleted, so a key found once names the same project for the life of the
//! process: signed requests skip the store lookup and the key derivation. Unknown keys
//! are looked up every time, since `labelhive project create` may add one meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Most keys remembered; past it the memory starts over (a bound, not an eviction policy).
const MAX_KEYS: usize = 10_000;

/// What a known access key stands for.
#[derive(Debug, Clone)]
pub struct KnownKey {
    /// The project it owns.
    pub project_id: String,
    /// Its secret key (derived from the master key).
    pub secret: String,
}

/// Access key to [`KnownKey`], shared by all requests.
#[derive(Debug, Default)]
pub struct KnownKeys {
    keys: RwLock<HashMap<String, Arc<KnownKey>>>,
}

impl KnownKeys {
    /// The key's project and secret, if it was remembered.
    pub fn get(&self, access_key: &str) -> Option<Arc<KnownKey>> {
        // A poisoned lock only means a panic elsewhere mid-insert: the map is still whole.
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(access_key).cloned()
    }

    /// Remembers a key found in the store.
    pub fn remember(&self, access_key: &str, known: KnownKey) -> Arc<KnownKey> {
        let known = Arc::new(known);
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(access_key.to_owned(), known.clone());
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_key_is_found_and_the_memory_stays_bounded() {
        let keys = KnownKeys::default();
        assert!(keys.get("AK").is_none());
        let known = || KnownKey {
            project_id: "p".into(),
            secret: "s".into(),
        };
        keys.remember("AK", known());
        assert_eq!(
            keys.get("AK").map(|k| k.project_id.clone()),
            Some("p".into())
        );
        for i in 0..MAX_KEYS {
            keys.remember(&format!("K{i}"), known());
        }
        let len = keys.keys.read().map(|k| k.len()).unwrap_or(0);
        assert!(len <= MAX_KEYS, "{len}");
    }
}
