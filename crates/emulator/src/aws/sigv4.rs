//! Verification of AWS Signature Version 4 on incoming requests, following
//! the documented algorithm:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.
//!
//! The emulator recomputes the signature from the request it received (method,
//! path, query, the signed headers, the body's SHA-256) with the secret of the
//! access key named in the `Credential` scope, and compares in constant time.

use std::collections::BTreeMap;

use aws_lc_rs::{constant_time, digest, hmac};
use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, Utc};

/// The only signing algorithm AWS accepts in the `Authorization` header.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Terminator of every credential scope.
const SCOPE_TERMINATOR: &str = "aws4_request";
/// Largest clock difference AWS tolerates between the signature and its own clock.
const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// The parts of a received request that the signature covers.
#[derive(Debug)]
pub(crate) struct Signed<'a> {
    /// HTTP method.
    pub(crate) method: &'a str,
    /// Path as received (already URI-encoded by the client).
    pub(crate) path: &'a str,
    /// Raw query string, without `?`.
    pub(crate) query: &'a str,
    /// All request headers.
    pub(crate) headers: &'a HeaderMap,
    /// Request body.
    pub(crate) body: &'a [u8],
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No `Authorization` header at all.
    Missing,
    /// The header is there but malformed or lacks a part.
    Incomplete(String),
    /// The access key is not known.
    UnknownKey,
    /// The scope names another region or service.
    WrongScope(String),
    /// `X-Amz-Date` is too far from the emulator's clock.
    Expired(String),
    /// The signature does not match.
    Mismatch,
}

/// The parsed `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, Refusal> {
    let incomplete = |what: &str| Refusal::Incomplete(what.to_owned());
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| incomplete("Unsupported authorization type"))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            continue;
        };
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let credential = credential
        .ok_or_else(|| incomplete("Authorization header requires 'Credential' parameter."))?;
    let signed = signed
        .ok_or_else(|| incomplete("Authorization header requires 'SignedHeaders' parameter."))?;
    let signature = signature
        .ok_or_else(|| incomplete("Authorization header requires 'Signature' parameter."))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope.as_slice() else {
        return Err(incomplete(
            "Credential should have exactly 5 slash-delimited parts.",
        ));
    };
    if *terminator != SCOPE_TERMINATOR {
        return Err(incomplete(
            "Credential should be scoped with a valid terminator: 'aws4_request'.",
        ));
    }
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// Verifies the signature. `secret_of` maps an access key id to its secret;
/// `region` and `service` are the scope the emulator serves.
pub(crate) fn verify<'k>(
    request: &Signed<'_>,
    secret_of: impl Fn(&str) -> Option<&'k str>,
    region: &str,
    service: &str,
    now: DateTime<Utc>,
) -> Result<String, Refusal> {
    let header = request
        .headers
        .get("authorization")
        .ok_or(Refusal::Missing)?
        .to_str()
        .map_err(|_| Refusal::Incomplete("Authorization header is not ASCII.".into()))?;
    let auth = parse_authorization(header)?;
    let secret = secret_of(auth.access_key).ok_or(Refusal::UnknownKey)?;
    if auth.service != service {
        return Err(Refusal::WrongScope(format!(
            "Credential should be scoped to correct service: '{service}'."
        )));
    }
    if auth.region != region {
        return Err(Refusal::WrongScope(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    if !auth.signed_headers.contains(&"host") {
        return Err(Refusal::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    let amz_date = request
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Refusal::Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into())
        })?;
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| {
            Refusal::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
            ))
        })?
        .and_utc();
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(Refusal::Mismatch);
    }
    if (now - signed_at).num_seconds().abs() > MAX_SKEW_SECONDS {
        return Err(Refusal::Expired(format!(
            "Signature expired: {amz_date} is now earlier or later than {} (15 minutes of clock skew allowed).",
            now.format("%Y%m%dT%H%M%SZ")
        )));
    }
    let canonical = canonical_request(request, &auth.signed_headers);
    let scope = format!(
        "{}/{}/{}/{SCOPE_TERMINATOR}",
        auth.date, auth.region, auth.service
    );
    let expected = signature(
        secret,
        auth.date,
        auth.region,
        auth.service,
        &scope,
        amz_date,
        &canonical,
    );
    if constant_time::verify_slices_are_equal(expected.as_bytes(), auth.signature.as_bytes())
        .is_err()
    {
        return Err(Refusal::Mismatch);
    }
    Ok(auth.access_key.to_owned())
}

/// The canonical request (task 1 of the algorithm).
fn canonical_request(request: &Signed<'_>, signed_headers: &[&str]) -> String {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        if request.path.is_empty() {
            "/"
        } else {
            request.path
        },
        canonical_query(request.query),
        headers,
        signed_headers.join(";"),
        hex::encode(digest::digest(&digest::SHA256, request.body))
    )
}

/// Trims a header value and collapses runs of spaces to one.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Query parameters sorted by name then value, each side URI-encoded.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k)), encode(&decode(v)))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn decode(s: &str) -> String {
    urlencoding::decode(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_owned())
}

/// URI-encodes everything except the unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Tasks 2–4: string to sign, signing key, signature (lower-case hex).
fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    scope: &str,
    amz_date: &str,
    canonical: &str,
) -> String {
    let to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(digest::digest(&digest::SHA256, canonical.as_bytes()))
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, SCOPE_TERMINATOR] {
        key = mac(&key, part.as_bytes());
    }
    hex::encode(mac(&key, to_sign.as_bytes()))
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// Who signs, and for which scope.
#[derive(Debug, Clone, Copy)]
pub struct SigningKey<'a> {
    /// Access key id.
    pub access_key: &'a str,
    /// Secret access key.
    pub secret: &'a str,
    /// Region of the scope, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service of the scope, e.g. `partnercentral-selling`.
    pub service: &'a str,
}

/// Signs a request the way an SDK does and returns its `Authorization`
/// header; every header in `headers` is signed, and `headers` must carry
/// `Host` and `X-Amz-Date` (= `amz_date`). Tests use it to send raw requests.
pub fn authorization_header(
    key: &SigningKey<'_>,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    amz_date: &str,
) -> String {
    let mut map = HeaderMap::new();
    let mut names: BTreeMap<String, ()> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(value),
        ) {
            map.append(n, v);
            names.insert(name, ());
        }
    }
    let signed: Vec<&str> = names.keys().map(String::as_str).collect();
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let request = Signed {
        method,
        path,
        query,
        headers: &map,
        body,
    };
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let scope = format!("{date}/{}/{}/{SCOPE_TERMINATOR}", key.region, key.service);
    let canonical = canonical_request(&request, &signed);
    let sig = signature(
        key.secret,
        date,
        key.region,
        key.service,
        &scope,
        amz_date,
        &canonical,
    );
    format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={sig}",
        key.access_key,
        signed.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials and clock of AWS's published Signature V4 test suite.
    const KEY: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20150830T123600Z";

    fn signing(secret: &str) -> SigningKey<'_> {
        SigningKey {
            access_key: KEY,
            secret,
            region: "us-east-1",
            service: "service",
        }
    }

    fn now() -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(DATE, "%Y%m%dT%H%M%SZ")
            .unwrap()
            .and_utc()
    }

    fn header(method: &str, path: &str, query: &str, body: &[u8]) -> String {
        let target = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        authorization_header(
            &signing(SECRET),
            method,
            &target,
            &[("Host", "example.amazonaws.com"), ("X-Amz-Date", DATE)],
            body,
            DATE,
        )
    }

    /// Signatures of the suite's `get-vanilla`, `post-vanilla` and
    /// `get-vanilla-query-order-key-case` cases (also reproduced with botocore's signer).
    #[test]
    fn known_vectors() {
        assert!(header("GET", "/", "", b"").ends_with(
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ));
        assert!(header("POST", "/", "", b"").ends_with(
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ));
        assert!(
            header("GET", "/", "Param2=value2&Param1=value1", b"").ends_with(
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
            )
        );
    }

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "example.amazonaws.com".parse().unwrap());
        h.insert("x-amz-date", DATE.parse().unwrap());
        h.insert("authorization", auth.parse().unwrap());
        h
    }

    fn check(auth: &str, body: &[u8], at: DateTime<Utc>) -> Result<String, Refusal> {
        let h = headers(auth);
        let req = Signed {
            method: "POST",
            path: "/",
            query: "",
            headers: &h,
            body,
        };
        verify(
            &req,
            |k| (k == KEY).then_some(SECRET),
            "us-east-1",
            "service",
            at,
        )
    }

    #[test]
    fn a_correct_signature_names_its_key() {
        assert_eq!(
            check(&header("POST", "/", "", b"{}"), b"{}", now()),
            Ok(KEY.into())
        );
    }

    #[test]
    fn a_changed_body_or_wrong_secret_is_refused() {
        assert_eq!(
            check(&header("POST", "/", "", b"{}"), b"{\"a\":1}", now()),
            Err(Refusal::Mismatch)
        );
        let other = authorization_header(
            &signing("not-the-secret"),
            "POST",
            "/",
            &[("Host", "example.amazonaws.com"), ("X-Amz-Date", DATE)],
            b"",
            DATE,
        );
        assert_eq!(check(&other, b"", now()), Err(Refusal::Mismatch));
    }

    #[test]
    fn unknown_keys_scopes_and_stale_dates_are_refused() {
        let auth = header("POST", "/", "", b"").replace(KEY, "AKIDOTHER");
        assert_eq!(check(&auth, b"", now()), Err(Refusal::UnknownKey));
        let auth = header("POST", "/", "", b"").replace("us-east-1", "eu-west-1");
        assert!(matches!(
            check(&auth, b"", now()),
            Err(Refusal::WrongScope(_))
        ));
        let late = now() + chrono::Duration::minutes(16);
        assert!(matches!(
            check(&header("POST", "/", "", b""), b"", late),
            Err(Refusal::Expired(_))
        ));
        assert!(matches!(
            check("AWS4-HMAC-SHA256 Credential=x", b"", now()),
            Err(Refusal::Incomplete(_))
        ));
    }
}
