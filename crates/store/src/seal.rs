//! Sealing of stored credentials: AES-256-GCM (aws-lc-rs) under a 32-byte
//! key the operator supplies (`COSELL_STORE_KEY`, base64), a fresh random
//! nonce per seal, and the credential's name as associated data so a
//! sealed value cannot be moved to another credential.
//!
//! Format: one format byte, the 12-byte nonce, then ciphertext and tag.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Bytes of a key.
pub const KEY_LEN: usize = 32;
/// First byte of every sealed value of this format.
const FORMAT_V1: u8 = 1;

/// Why a key could not be read or a value opened. Never holds key material
/// or plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The key text is not base64 of exactly 32 bytes.
    #[error("the store key must be 32 random bytes in base64 (44 characters); this one {0}")]
    BadKey(&'static str),
    /// The sealed value was not sealed by this key for this credential.
    #[error("the stored credential cannot be opened with this COSELL_STORE_KEY (another key sealed it, or it was altered)")]
    Open,
    /// The system random generator failed.
    #[error("no system randomness for a nonce")]
    Random,
}

/// The key that seals and opens stored credentials.
pub struct CredentialKey(LessSafeKey);

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialKey(<redacted>)")
    }
}

impl CredentialKey {
    /// Reads a key from its base64 text (standard or URL-safe alphabet,
    /// padded or not; surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or(SealError::BadKey("is not base64"))?;
        if bytes.len() != KEY_LEN {
            return Err(SealError::BadKey("does not decode to 32 bytes"));
        }
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| SealError::BadKey("is not a valid AES-256 key"))?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// A new random key and its base64 text (for an operator to keep).
    pub fn generate() -> Result<(Self, String), SealError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SealError::Random)?;
        Ok((Self::from_bytes(&bytes)?, STANDARD.encode(bytes)))
    }

    /// Seals `secret` as the value of credential `name`.
    pub fn seal(&self, name: &str, secret: &str) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut in_out = secret.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(name)),
                &mut in_out,
            )
            .map_err(|_| SealError::Random)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Opens a value sealed for credential `name`.
    pub fn open(&self, name: &str, sealed: &[u8]) -> Result<String, SealError> {
        let (&format, rest) = sealed.split_first().ok_or(SealError::Open)?;
        if format != FORMAT_V1 || rest.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(aad(name)), &mut in_out)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Open)
    }
}

/// Associated data binding a sealed value to its credential.
fn aad(name: &str) -> Vec<u8> {
    format!("cosell credential {name}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_name() {
        let (key, text) = CredentialKey::generate().unwrap();
        let sealed = key.seal("pc", "refresh-token-canary").unwrap();
        assert!(!sealed.windows(b"canary".len()).any(|w| w == b"canary"));
        assert_eq!(key.open("pc", &sealed).unwrap(), "refresh-token-canary");
        let same = CredentialKey::from_base64(&format!("  {text}\n")).unwrap();
        assert_eq!(same.open("pc", &sealed).unwrap(), "refresh-token-canary");
        assert_eq!(key.open("sf", &sealed), Err(SealError::Open));
        let (other, _) = CredentialKey::generate().unwrap();
        assert_eq!(other.open("pc", &sealed), Err(SealError::Open));
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open("pc", &altered), Err(SealError::Open));
        assert_ne!(key.seal("pc", "x").unwrap(), key.seal("pc", "x").unwrap());
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(CredentialKey::from_base64("not base64!").is_err());
        assert!(CredentialKey::from_base64(&STANDARD.encode([7u8; 16])).is_err());
        assert!(CredentialKey::from_base64(&URL_SAFE_NO_PAD.encode([7u8; 32])).is_ok());
        assert!(!format!("{:?}", CredentialKey::generate().unwrap().0).contains('='));
    }
}
