//! Reading the signature headers of a delivery (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use reqwest::header::{HeaderMap, AUTHORIZATION};

use super::{SignatureError, SUPPORTED_ALGORITHM};

const X_MS_SIGNATURE: &str = "x-ms-signature";
const X_MS_CERTIFICATE_URL: &str = "x-ms-certificate-url";
const X_MS_SIGNATURE_ALGORITHM: &str = "x-ms-signature-algorithm";
const SIGNATURE_SCHEME: &str = "Signature";

/// The base64 signature: `x-ms-signature` (`Signature <b64>` or bare) when the
/// registration moved it there, else `Authorization: Signature <b64>`.
pub(super) fn signature(headers: &HeaderMap) -> Result<String, SignatureError> {
    if let Some(v) = headers.get(X_MS_SIGNATURE) {
        let v = v.to_str().map_err(|_| SignatureError::BadSignature)?.trim();
        let b64 = strip_scheme(v).unwrap_or(v);
        if b64.is_empty() {
            return Err(SignatureError::MissingSignature);
        }
        return Ok(b64.to_owned());
    }
    let Some(v) = headers.get(AUTHORIZATION) else {
        return Err(SignatureError::MissingSignature);
    };
    let v = v.to_str().map_err(|_| SignatureError::BadSignature)?.trim();
    match strip_scheme(v) {
        Some(b64) if !b64.is_empty() => Ok(b64.to_owned()),
        _ => Err(SignatureError::MissingSignature),
    }
}

/// `Signature <b64>` → `<b64>` (scheme case-insensitive); `None` for other schemes.
fn strip_scheme(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    scheme
        .eq_ignore_ascii_case(SIGNATURE_SCHEME)
        .then(|| rest.trim())
}

/// The `x-ms-certificate-url` value.
pub(super) fn certificate_url(headers: &HeaderMap) -> Result<String, SignatureError> {
    headers
        .get(X_MS_CERTIFICATE_URL)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or(SignatureError::MissingCertificateUrl)
}

/// Requires `x-ms-signature-algorithm: rsa-sha256`.
pub(super) fn check_algorithm(headers: &HeaderMap) -> Result<(), SignatureError> {
    let value = headers
        .get(X_MS_SIGNATURE_ALGORITHM)
        .ok_or(SignatureError::MissingAlgorithm)?
        .to_str()
        .map_err(|_| SignatureError::BadAlgorithm("<non-ASCII>".into()))?
        .trim();
    if value.eq_ignore_ascii_case(SUPPORTED_ALGORITHM) {
        Ok(())
    } else {
        Err(SignatureError::BadAlgorithm(
            value.chars().take(64).collect(),
        ))
    }
}

/// Decodes standard base64, padded or not.
pub(super) fn decode_signature(b64: &str) -> Result<Vec<u8>, SignatureError> {
    STANDARD
        .decode(b64)
        .or_else(|_| STANDARD_NO_PAD.decode(b64))
        .map_err(|_| SignatureError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn signature_from_either_header_and_form() {
        assert_eq!(
            signature(&headers(&[("authorization", "Signature abc=")])).unwrap(),
            "abc="
        );
        assert_eq!(
            signature(&headers(&[("x-ms-signature", "Signature abc=")])).unwrap(),
            "abc="
        );
        assert_eq!(
            signature(&headers(&[("x-ms-signature", "abc=")])).unwrap(),
            "abc="
        );
        assert_eq!(
            signature(&headers(&[
                ("authorization", "Bearer x"),
                ("x-ms-signature", "abc=")
            ]))
            .unwrap(),
            "abc="
        );
        assert_eq!(
            signature(&headers(&[("authorization", "Bearer x")])),
            Err(SignatureError::MissingSignature)
        );
        assert_eq!(
            signature(&HeaderMap::new()),
            Err(SignatureError::MissingSignature)
        );
    }

    #[test]
    fn algorithm_must_be_rsa_sha256() {
        assert!(check_algorithm(&headers(&[("x-ms-signature-algorithm", "RSA-SHA256")])).is_ok());
        assert_eq!(
            check_algorithm(&headers(&[("x-ms-signature-algorithm", "hmac-sha256")])),
            Err(SignatureError::BadAlgorithm("hmac-sha256".into()))
        );
        assert_eq!(
            check_algorithm(&HeaderMap::new()),
            Err(SignatureError::MissingAlgorithm)
        );
    }
}
