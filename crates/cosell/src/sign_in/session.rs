//! The two cookies of sign-in, both sealed with AES-256-GCM (the `cookie`
//! crate's private jar: encrypted and authenticated, so a changed byte
//! makes the cookie unreadable and its holder signed out):
//!
//! - the session: who signed in, the CSRF token of the session, and when it
//!   ends (checked here; the browser's `Max-Age` is only a hint);
//! - the sign-in in flight: `state`, `nonce` and the PKCE verifier, for the
//!   ten minutes between leaving for Entra ID and coming back.
//!
//! Both are `HttpOnly`, `SameSite=Lax` (Entra's redirect back is a top-level
//! GET, which Lax lets through), `Path=/`, and `Secure` with the `__Host-`
//! name prefix when the dashboard is served over https. The key is made at
//! start, so a restart signs everyone out.

use std::time::Duration;

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Name of the session cookie (over http).
const SESSION: &str = "cosell_session";
/// Name of the sign-in-in-flight cookie (over http).
const PENDING: &str = "cosell_sign_in";
/// Prefix browsers enforce for Secure, host-only, `Path=/` cookies.
const HOST_PREFIX: &str = "__Host-";
/// How long a sign-in may take at Entra ID.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(600);

/// A signed-in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Display name.
    pub name: String,
    /// Sign-in name (UPN or email).
    pub username: String,
    /// The session's CSRF token, sent back by every form and API write.
    pub csrf: String,
    /// End of the session, Unix seconds.
    pub expires_at: i64,
}

/// A sign-in in flight.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// `state` sent to Entra ID.
    pub state: String,
    /// `nonce` sent to Entra ID; the ID token must carry it.
    pub nonce: String,
    /// PKCE code verifier.
    pub verifier: String,
    /// Local path to return to afterwards.
    pub return_to: String,
    /// End of the attempt, Unix seconds.
    pub expires_at: i64,
}

/// Something sealed in a cookie that ends.
trait Expiring {
    fn expires_at(&self) -> i64;
}

impl Expiring for Session {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

impl Expiring for Pending {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// Seals and opens the sign-in cookies.
pub struct Cookies {
    key: Key,
    secure: bool,
}

impl std::fmt::Debug for Cookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cookies")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl Cookies {
    /// Cookies sealed with a new random key; `Secure` when `secure`.
    pub fn new(secure: bool) -> Self {
        Self {
            key: Key::generate(),
            secure,
        }
    }

    fn name(&self, base: &str) -> String {
        if self.secure {
            format!("{HOST_PREFIX}{base}")
        } else {
            base.to_owned()
        }
    }

    /// The live session of the request, if any.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        self.open(headers, SESSION)
    }

    /// The sign-in in flight, if any.
    pub fn pending(&self, headers: &HeaderMap) -> Option<Pending> {
        self.open(headers, PENDING)
    }

    /// `Set-Cookie` for a session.
    pub fn set_session(&self, session: &Session, lifetime: Duration) -> HeaderValue {
        self.seal(SESSION, session, lifetime)
    }

    /// `Set-Cookie` for a sign-in in flight.
    pub fn set_pending(&self, pending: &Pending) -> HeaderValue {
        self.seal(PENDING, pending, PENDING_LIFETIME)
    }

    /// `Set-Cookie` ending the session.
    pub fn clear_session(&self) -> HeaderValue {
        self.clear(SESSION)
    }

    /// `Set-Cookie` ending the sign-in in flight.
    pub fn clear_pending(&self) -> HeaderValue {
        self.clear(PENDING)
    }

    fn open<T: DeserializeOwned + Expiring>(&self, headers: &HeaderMap, base: &str) -> Option<T> {
        let name = self.name(base);
        let mut jar = CookieJar::new();
        for value in headers.get_all(COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for cookie in Cookie::split_parse_encoded(text.to_owned()).flatten() {
                if cookie.name() == name {
                    jar.add_original(cookie.into_owned());
                }
            }
        }
        let cookie = jar.private(&self.key).get(&name)?;
        let value: T = serde_json::from_str(cookie.value()).ok()?;
        (value.expires_at() > chrono::Utc::now().timestamp()).then_some(value)
    }

    fn cookie(&self, base: &str, value: String) -> Cookie<'static> {
        Cookie::build((self.name(base), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .path("/")
            .build()
    }

    fn seal<T: Serialize>(&self, base: &str, value: &T, lifetime: Duration) -> HeaderValue {
        let json = serde_json::to_string(value).unwrap_or_default();
        let mut cookie = self.cookie(base, json);
        cookie.set_max_age(cookie::time::Duration::seconds(
            i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
        ));
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(cookie);
        let sealed = jar
            .delta()
            .next()
            .map(|c| c.encoded().to_string())
            .unwrap_or_default();
        HeaderValue::from_str(&sealed).unwrap_or(HeaderValue::from_static(""))
    }

    fn clear(&self, base: &str) -> HeaderValue {
        let mut cookie = self.cookie(base, String::new());
        cookie.make_removal();
        HeaderValue::from_str(&cookie.encoded().to_string()).unwrap_or(HeaderValue::from_static(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    fn session(expires_in: i64) -> Session {
        Session {
            name: "Ada".into(),
            username: "ada@contoso.example".into(),
            csrf: "t".into(),
            expires_at: chrono::Utc::now().timestamp() + expires_in,
        }
    }

    #[test]
    fn a_sealed_session_opens_with_its_key_only() {
        let cookies = Cookies::new(false);
        let set = cookies.set_session(&session(60), Duration::from_secs(60));
        let text = set.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Lax"),
            "{text}"
        );
        assert!(!text.contains("ada@"), "the cookie is encrypted: {text}");
        let opened = cookies.session(&request_with(&set)).expect("opens");
        assert_eq!(opened.username, "ada@contoso.example");
        assert!(Cookies::new(false).session(&request_with(&set)).is_none());
    }

    #[test]
    fn tampered_and_expired_sessions_are_signed_out() {
        let cookies = Cookies::new(false);
        let set = cookies.set_session(&session(60), Duration::from_secs(60));
        let pair = set.to_str().unwrap().split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        let mut bytes = value.as_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let mut headers = HeaderMap::new();
        let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
        headers.insert(COOKIE, HeaderValue::from_str(&tampered).unwrap());
        assert!(cookies.session(&headers).is_none());

        let old = cookies.set_session(&session(-1), Duration::from_secs(60));
        assert!(cookies.session(&request_with(&old)).is_none());
    }

    #[test]
    fn https_cookies_are_secure_and_host_only() {
        let cookies = Cookies::new(true);
        let set = cookies.set_session(&session(60), Duration::from_secs(60));
        let text = set.to_str().unwrap();
        assert!(text.starts_with("__Host-cosell_session="), "{text}");
        assert!(text.contains("Secure"), "{text}");
    }
}
