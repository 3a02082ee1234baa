//! The master key and the secret keys derived from it.
//!
//! AK/SK signing needs the secret on the server, yet a database dump alone must not
//! reveal it. So no secret key is stored at all: each one is HMAC-SHA256 of its access
//! key under a master key that lives outside the database (a 0600 file in the data dir,
//! or `LABELHIVE_MASTER_KEY`). Tokens are stored only as hashes.

use std::path::Path;

use anyhow::Context;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

/// The master key, 32 bytes.
#[derive(Clone)]
pub struct Keys {
    master: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    /// Uses `configured` (64 hex characters) if given, else `<data_dir>/master.key`,
    /// creating that file with mode 0600 on first use.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(hex_key) = configured {
            return Self::from_hex(hex_key.trim())
                .context("LABELHIVE_MASTER_KEY must be 64 hex characters");
        }
        let path = data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Self::from_hex(text.trim()).with_context(|| format!("reading {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir)
                    .with_context(|| format!("creating {}", data_dir.display()))?;
                let master: [u8; 32] = rand::rng().random();
                write_private(&path, &hex::encode(master))?;
                Ok(Self { master })
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn from_hex(text: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(text).context("not hex")?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("not 32 bytes"))?;
        Ok(Self { master })
    }

    /// The secret key of an access key: 40 hex characters.
    pub fn secret_key(&self, access_key: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.master) else {
            return String::new();
        };
        mac.update(b"labelhive-secret-key:");
        mac.update(access_key.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(&digest[..20])
    }
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_stable_and_depend_on_the_master_key() {
        let dir = tempfile::tempdir().unwrap();
        let a = Keys::load(None, dir.path()).unwrap();
        let again = Keys::load(None, dir.path()).unwrap();
        assert_eq!(a.secret_key("AK1"), again.secret_key("AK1"));
        assert_ne!(a.secret_key("AK1"), a.secret_key("AK2"));
        assert_eq!(a.secret_key("AK1").len(), 40);
        let other = Keys::load(Some(&"11".repeat(32)), dir.path()).unwrap();
        assert_ne!(a.secret_key("AK1"), other.secret_key("AK1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
