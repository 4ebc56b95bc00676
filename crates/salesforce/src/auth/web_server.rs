//! The OAuth 2.0 web server flow with PKCE, for a person who signs in once
//! so that a refresh token can be kept (Salesforce Help, "OAuth 2.0 Web
//! Server Flow for Web App Integration"; PKCE per RFC 7636 with the S256
//! method): [`authorize_url`] is the page the person opens, Salesforce
//! redirects to the callback with a `code`, and [`exchange_code`] redeems it
//! with the `code_verifier` for an access token and a refresh token.

use base64::Engine;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::{post_token_form, AccessToken, AuthError};

/// Path of the authorization endpoint under the login host.
pub const AUTHORIZE_PATH: &str = "/services/oauth2/authorize";
/// Random bytes behind a code verifier (43 characters of base64url, RFC 7636 §4.1).
const VERIFIER_BYTES: usize = 32;
/// Random bytes behind a `state`.
const STATE_BYTES: usize = 24;

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl Pkce {
    /// A fresh random verifier.
    pub fn generate() -> Self {
        Self::from_verifier(random_base64url(VERIFIER_BYTES))
    }

    /// The pair for a given verifier.
    pub fn from_verifier(verifier: String) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        Self {
            challenge: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()),
            verifier: SecretString::from(verifier),
        }
    }

    /// `code_challenge`: base64url(SHA-256(verifier)).
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// A random, unguessable `state` for one sign-in.
pub fn random_state() -> String {
    random_base64url(STATE_BYTES)
}

fn random_base64url(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// What the authorize page needs to know.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    /// Login host (or My Domain).
    pub login_url: &'a Url,
    /// The app's consumer key.
    pub client_id: &'a str,
    /// One of the app's callback URLs.
    pub redirect_uri: &'a str,
    /// Scopes, space-separated (`api refresh_token` for a refresh token).
    pub scope: &'a str,
    /// Echoed back to the callback; checked there.
    pub state: &'a str,
}

/// The URL a person opens to sign in and allow access.
pub fn authorize_url(request: &AuthorizeRequest<'_>, pkce: &Pkce) -> Result<Url, AuthError> {
    let base = request.login_url.as_str().trim_end_matches('/');
    let mut url = Url::parse(&format!("{base}{AUTHORIZE_PATH}"))
        .map_err(|e| AuthError::InvalidConfig(format!("login_url: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", request.client_id)
        .append_pair("redirect_uri", request.redirect_uri)
        .append_pair("scope", request.scope)
        .append_pair("state", request.state)
        .append_pair("code_challenge", pkce.challenge())
        .append_pair("code_challenge_method", "S256");
    Ok(url)
}

/// The tokens a completed sign-in gives.
#[derive(Debug)]
pub struct SignedIn {
    /// The access token and instance.
    pub access: AccessToken,
    /// The refresh token to keep.
    pub refresh_token: SecretString,
}

#[derive(Deserialize)]
struct WireRefresh {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// The code exchange (`grant_type=authorization_code`).
#[derive(Debug)]
pub struct CodeExchange<'a> {
    /// The token endpoint.
    pub token_url: &'a Url,
    /// The app's consumer key.
    pub client_id: &'a str,
    /// The consumer secret, when the app requires it for this flow.
    pub client_secret: Option<&'a SecretString>,
    /// The callback the code was sent to.
    pub redirect_uri: &'a str,
}

impl CodeExchange<'_> {
    /// Redeems `code` with the verifier of `pkce`.
    pub async fn redeem(
        &self,
        http: &reqwest::Client,
        code: &str,
        pkce: &Pkce,
    ) -> Result<SignedIn, AuthError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("code_verifier", pkce.verifier.expose_secret()),
        ];
        if let Some(secret) = self.client_secret {
            form.push(("client_secret", secret.expose_secret()));
        }
        let (status, body) = post_token_form(http, self.token_url, &form).await?;
        let access = AccessToken::from_response_body(status, &body)?;
        let refresh = serde_json::from_slice::<WireRefresh>(&body)
            .ok()
            .and_then(|w| w.refresh_token)
            .ok_or_else(|| AuthError::MalformedResponse {
                status,
                reason: "no refresh_token: give the app the `refresh_token` (offline access) scope"
                    .into(),
            })?;
        Ok(SignedIn {
            access,
            refresh_token: SecretString::from(refresh),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_s256_of_the_verifier() {
        // RFC 7636 Appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(Pkce::generate().verifier.expose_secret().len(), 43);
        assert!(!format!("{pkce:?}").contains("dBjft"));
    }

    #[test]
    fn the_authorize_url_carries_the_challenge_and_state() {
        let login = Url::parse("https://acme.my.salesforce.com/").unwrap();
        let pkce = Pkce::generate();
        let url = authorize_url(
            &AuthorizeRequest {
                login_url: &login,
                client_id: "key",
                redirect_uri: "http://localhost:1717/OauthRedirect",
                scope: "api refresh_token",
                state: "s1",
            },
            &pkce,
        )
        .unwrap();
        assert_eq!(url.path(), AUTHORIZE_PATH);
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for (k, v) in [
            ("response_type", "code"),
            ("code_challenge", pkce.challenge()),
            ("code_challenge_method", "S256"),
            ("state", "s1"),
            ("redirect_uri", "http://localhost:1717/OauthRedirect"),
        ] {
            assert!(pairs.contains(&(k.to_owned(), v.to_owned())), "{k}: {url}");
        }
    }
}
