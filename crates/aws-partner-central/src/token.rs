//! `ClientToken`s that the caller stores before it creates.
//!
//! `CreateOpportunity` is idempotent by `ClientToken`
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_CreateOpportunity.html>).
//! The SDK would invent a token per call, which a crash loses; cosell
//! instead makes the token, stores it with the pending create, then calls
//! [`crate::PartnerCentral::create`] with it, and with the same stored token
//! again after a crash, so AWS answers with the opportunity it already made.

/// Longest token the API takes.
const MAX_LEN: usize = 255;

/// A `ClientToken`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientToken(String);

impl ClientToken {
    /// A new random token (UUID v4).
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// A token read back from storage; refuses what the API would refuse (1 to 255 characters).
    pub fn from_stored(token: impl Into<String>) -> Result<Self, crate::Error> {
        let token = token.into();
        if token.is_empty() || token.chars().count() > MAX_LEN {
            return Err(crate::Error::InvalidInput(format!(
                "a ClientToken has 1 to {MAX_LEN} characters, this one {}",
                token.chars().count()
            )));
        }
        Ok(Self(token))
    }

    /// The token, to store and to send.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ClientToken {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_tokens_round_trip_and_bad_ones_are_refused() {
        let t = ClientToken::new();
        assert_eq!(ClientToken::from_stored(t.as_str()).unwrap(), t);
        assert!(ClientToken::from_stored("").is_err());
        assert!(ClientToken::from_stored("x".repeat(256)).is_err());
        assert_ne!(ClientToken::new(), ClientToken::new());
    }
}
