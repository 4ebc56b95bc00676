//! Checking the API key an EventBridge API destination sends with each
//! event (the connection's API-key header,
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html>)
//! before anything is stored.

/// True when `presented` equals the configured key. The comparison takes the
/// same time wherever the first difference is (it depends only on the
/// configured key's length), so the key cannot be guessed byte by byte; an
/// empty configured key never matches.
pub fn api_key_matches(expected: &str, presented: Option<&str>) -> bool {
    let (expected, presented) = (
        expected.as_bytes(),
        presented.unwrap_or_default().as_bytes(),
    );
    if expected.is_empty() {
        return false;
    }
    let mut diff = expected.len() ^ presented.len();
    for (i, byte) in expected.iter().enumerate() {
        diff |= usize::from(byte ^ presented.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_key_matches() {
        assert!(api_key_matches("k-123", Some("k-123")));
        for wrong in [
            None,
            Some(""),
            Some("k-12"),
            Some("k-1234"),
            Some("k-124"),
            Some("K-123"),
        ] {
            assert!(!api_key_matches("k-123", wrong), "{wrong:?}");
        }
        assert!(!api_key_matches("", Some("")));
        assert!(!api_key_matches("", None));
    }
}
