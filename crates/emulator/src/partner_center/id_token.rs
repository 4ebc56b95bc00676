//! The tenant's token signing key and the ID tokens it signs.
//!
//! Entra signs ID tokens with RS256 and publishes the public key in the
//! tenant's JWKS (`jwks_uri` of the discovery document); the token header
//! names the key by `kid`. Claims follow "ID token claims reference"
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference>):
//! `aud` (the app's client id), `iss` (`{authority}/{tenant}/v2.0`), `iat`,
//! `nbf`, `exp`, `sub` (pairwise: one value per user and app), `oid` (the
//! user's object id), `tid`, `preferred_username`, `name`, `nonce` (echoed
//! from the authorize request), `ver` `2.0`, and `groups` when the app's
//! `groupMembershipClaims` asks for them.

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{KeyPair, PKCS_RSA_SHA256};
use serde_json::{json, Value};

use super::DirectoryUser;

/// Lifetime of an ID token (Entra: one hour).
const ID_TOKEN_LIFETIME_SECONDS: i64 = 3600;

/// Why the signing key could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignerError {
    /// Key generation failed.
    #[error("generating the token signing key: {0}")]
    Generate(#[from] rcgen::Error),
    /// The key could not be loaded for signing.
    #[error("loading the token signing key: {0}")]
    Load(#[from] jsonwebtoken::errors::Error),
}

/// The tenant's RSA signing key.
pub(crate) struct Signer {
    key: EncodingKey,
    kid: String,
    jwk: Jwk,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What goes into one ID token besides the user.
pub(crate) struct IdTokenRequest<'a> {
    /// `{origin}/{tenant}/v2.0`.
    pub issuer: &'a str,
    pub tenant: &'a str,
    pub client_id: &'a str,
    pub nonce: Option<&'a str>,
    /// Whether the `email` scope was granted.
    pub email: bool,
    /// Whether the app's registration asks for the `groups` claim.
    pub groups: bool,
}

impl Signer {
    /// A new 2048-bit RSA key (slow: call off the async runtime).
    pub(crate) fn generate() -> Result<Self, SignerError> {
        let pair = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let key = EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes())?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)?;
        // Entra names keys by a thumbprint-like id; a digest of the public key serves.
        let kid = URL_SAFE_NO_PAD
            .encode(&digest(&SHA256, pair.public_key_der().as_slice()).as_ref()[..20]);
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(Self { key, kid, jwk })
    }

    /// The JWKS document: `{"keys": [<this key>]}`.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// A signed ID token for `user`.
    pub(crate) fn id_token(
        &self,
        user: &DirectoryUser,
        request: &IdTokenRequest<'_>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        // `sub` is pairwise: the same user gets a different subject in each app.
        let sub = URL_SAFE_NO_PAD.encode(
            digest(
                &SHA256,
                format!("{}|{}", user.object_id, request.client_id).as_bytes(),
            )
            .as_ref(),
        );
        let mut claims = json!({
            "aud": request.client_id,
            "iss": request.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + ID_TOKEN_LIFETIME_SECONDS,
            "name": user.display_name,
            "oid": user.object_id,
            "preferred_username": user.user_principal_name,
            "sub": sub,
            "tid": request.tenant,
            "ver": "2.0",
            "uti": super::auth::random_token(),
        });
        if let Some(nonce) = request.nonce {
            claims["nonce"] = json!(nonce);
        }
        if request.email {
            claims["email"] = json!(user.user_principal_name);
        }
        if request.groups {
            claims["groups"] = json!(user.groups);
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
    }
}
