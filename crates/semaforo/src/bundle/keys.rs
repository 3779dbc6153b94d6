//! Ed25519 signing keys, their key ids and their text files.
//!
//! A key file is text: `#` comment lines, blank lines, and exactly one line
//! `semaforo-ed25519-public HEX` (32 bytes, the public key) or
//! `semaforo-ed25519-secret HEX` (32 bytes, the secret seed). A key id is
//! the first 16 hexadecimal digits of the SHA-256 of the public key.

use super::BundleError;
use crate::fingerprint::hex;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const PUBLIC_TAG: &str = "semaforo-ed25519-public";
const SECRET_TAG: &str = "semaforo-ed25519-secret";

/// An Ed25519 public key that may sign bundles, with its key id.
///
/// ```
/// let secret = semaforo::bundle::SecretKey::from_seed([7; 32]);
/// let public = secret.public_key();
/// let again = semaforo::bundle::PublicKey::parse(&public.to_text()).unwrap();
/// assert_eq!(again.id(), public.id());
/// assert_eq!(public.id().len(), 16);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    // INVARIANT (id): the key id of `key` (`key_id`), set by the one
    // constructor `from_verifying`.
    id: String,
}

/// An Ed25519 secret key (a 32-byte seed) for signing bundles. Its `Debug`
/// shows the key id, never the key.
#[derive(Clone)]
pub struct SecretKey {
    key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public_key().id())
    }
}

/// The key id of a public key: 16 hexadecimal digits of its SHA-256.
fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex(digest.get(..8).unwrap_or_default())
}

/// Reads 32 bytes written as 64 hexadecimal digits.
pub(crate) fn hex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex_into(text, &mut out)?;
    Some(out)
}

/// Reads `out.len()` bytes written as hexadecimal digits (either case).
pub(crate) fn hex_into(text: &str, out: &mut [u8]) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let digits = std::str::from_utf8(pair).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *o = u8::from_str_radix(digits, 16).ok()?;
    }
    Some(())
}

/// The one key line of a key file: its tag and its hexadecimal text.
fn key_line(text: &str) -> Result<(&str, &str), String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let (Some(line), None) = (lines.next(), lines.next()) else {
        return Err(
            "expected exactly one key line (`semaforo-ed25519-public HEX` or `semaforo-ed25519-secret HEX`) besides `#` comment lines"
                .into(),
        );
    };
    match line.split_once(' ') {
        Some((tag, hex)) => Ok((tag, hex.trim())),
        None => Err(format!(
            "expected `{PUBLIC_TAG} HEX` or `{SECRET_TAG} HEX`, found one word"
        )),
    }
}

impl PublicKey {
    fn from_verifying(key: VerifyingKey) -> PublicKey {
        PublicKey {
            id: key_id(&key),
            key,
        }
    }

    /// The key from its 32 bytes; an error if they are not a valid Ed25519
    /// point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, BundleError> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey::from_verifying)
            .map_err(|_| BundleError::Key {
                message: "the 32 bytes are not an Ed25519 public key".into(),
            })
    }

    /// Reads a public key file (see the module docs). A secret key file is
    /// refused, so that a secret key is never configured as trusted by
    /// mistake (and so copied to every verifying host).
    pub fn parse(text: &str) -> Result<PublicKey, BundleError> {
        let bad = |message: String| BundleError::Key { message };
        let (tag, digits) = key_line(text).map_err(bad)?;
        if tag == SECRET_TAG {
            return Err(bad(
                "this is a secret key file; give the public key file (`semaforo bundle keygen` writes both)"
                    .into(),
            ));
        }
        if tag != PUBLIC_TAG {
            return Err(bad(format!("expected `{PUBLIC_TAG} HEX`, found `{tag}`")));
        }
        let bytes =
            hex32(digits).ok_or_else(|| bad("the key must be 64 hexadecimal digits".into()))?;
        PublicKey::from_bytes(&bytes)
    }

    /// The key id: the first 16 hexadecimal digits of the SHA-256 of the
    /// key's 32 bytes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The text of a public key file.
    pub fn to_text(&self) -> String {
        format!(
            "# Semáforo bundle signing key: Ed25519 PUBLIC key, key id {}\n{PUBLIC_TAG} {}\n",
            self.id,
            hex(self.key.as_bytes())
        )
    }

    /// Whether `signature` is this key's signature of `message` (strict
    /// verification: no malleable or small-order forms).
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        self.key.verify_strict(message, &sig).is_ok()
    }
}

impl SecretKey {
    /// The key from its 32-byte seed. `semaforo bundle keygen` takes the
    /// seed from the operating system's random source.
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Reads a secret key file (see the module docs).
    pub fn parse(text: &str) -> Result<SecretKey, BundleError> {
        let bad = |message: String| BundleError::Key { message };
        let (tag, digits) = key_line(text).map_err(bad)?;
        if tag != SECRET_TAG {
            return Err(bad(format!(
                "expected `{SECRET_TAG} HEX` (a secret key file), found `{tag}`"
            )));
        }
        // The digits are never echoed: they may be a key with a typo.
        let seed =
            hex32(digits).ok_or_else(|| bad("the key must be 64 hexadecimal digits".into()))?;
        Ok(SecretKey::from_seed(seed))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying(self.key.verifying_key())
    }

    /// The text of a secret key file.
    pub fn to_text(&self) -> String {
        format!(
            "# Semáforo bundle signing key: Ed25519 SECRET key, key id {}.\n\
             # Keep it secret: whoever holds it can sign bundles.\n{SECRET_TAG} {}\n",
            self.public_key().id(),
            hex(self.key.as_bytes())
        )
    }

    /// The signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// The public keys a host trusts to sign bundles, by key id.
///
/// ```
/// use semaforo::bundle::{SecretKey, TrustedKeys};
/// let mut trusted = TrustedKeys::new();
/// trusted.add(SecretKey::from_seed([1; 32]).public_key());
/// assert_eq!(trusted.len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, PublicKey>,
}

impl TrustedKeys {
    /// No keys: every bundle is refused until one is added.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts `key` (adding a key twice keeps one).
    pub fn add(&mut self, key: PublicKey) -> &mut TrustedKeys {
        self.keys.insert(key.id().to_string(), key);
        self
    }

    /// The key with this key id.
    pub fn get(&self, id: &str) -> Option<&PublicKey> {
        self.keys.get(id)
    }

    /// How many keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
