//! Verification of Partner Center webhook deliveries (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
//!
//! Follows Microsoft's documented steps: take the signature from
//! `Authorization: Signature <b64>` or `x-ms-signature` (both `Signature <b64>`
//! and bare base64 are accepted, because Microsoft's sample and third parties
//! disagree), require `x-ms-signature-algorithm: rsa-sha256`, download the
//! certificate named by `x-ms-certificate-url`, check its chain and that its
//! issuer's organisation is Microsoft, then verify RSASSA-PKCS1-v1_5 with SHA-256
//! over the exact body bytes. Only after that is the body parsed.
//!
//! The certificate URL is attacker-controlled, so it is fetched only from an
//! allow-list of URL prefixes, without redirects, with a short timeout and a size
//! cap, and cached per URL.

mod cert_url;
mod chain;
mod fetch;
mod headers;

use std::time::{Duration, SystemTime};

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use reqwest::header::HeaderMap;

pub use cert_url::CertUrlPrefix;

use crate::wire::WebhookEvent;

/// Where Partner Center publishes its signing certificate (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const DEFAULT_CERT_URL_PREFIX: &str = "https://3psostorageacct.blob.core.windows.net/cert/";
/// The organisation that must appear as `O=` in the certificate issuer (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const DEFAULT_ISSUER_ORGANIZATION: &str = "Microsoft Corporation";
/// The only algorithm Partner Center documents.
pub const SUPPORTED_ALGORITHM: &str = "rsa-sha256";
/// Timeout of a certificate download.
pub const CERT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest certificate file accepted.
pub const MAX_CERT_BYTES: usize = 64 * 1024;
/// How long a downloaded certificate is reused.
pub const CERT_CACHE_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a failed certificate download is remembered: the same URL is not
/// fetched again meanwhile (Partner Center redelivers, so a real outage heals).
pub const CERT_FAILURE_TTL: Duration = Duration::from_secs(60);
/// Certificate downloads allowed per [`CERT_DOWNLOAD_WINDOW`], over all URLs:
/// each forged delivery naming a new file under the allowed prefix would
/// otherwise cost one download.
pub const CERT_DOWNLOADS_PER_WINDOW: usize = 10;
/// The window of [`CERT_DOWNLOADS_PER_WINDOW`].
pub const CERT_DOWNLOAD_WINDOW: Duration = Duration::from_secs(60);
/// Largest webhook body accepted (events are a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a delivery was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Neither `Authorization: Signature …` nor `x-ms-signature` is present.
    #[error("missing webhook signature")]
    MissingSignature,
    /// `x-ms-certificate-url` is missing.
    #[error("missing x-ms-certificate-url header")]
    MissingCertificateUrl,
    /// `x-ms-signature-algorithm` is missing.
    #[error("missing x-ms-signature-algorithm header")]
    MissingAlgorithm,
    /// The algorithm is not `rsa-sha256`.
    #[error("unsupported signature algorithm {0:?}")]
    BadAlgorithm(String),
    /// The certificate URL is not under an allowed prefix.
    #[error("certificate URL not allowed: {0}")]
    CertUrlNotAllowed(String),
    /// The certificate could not be downloaded.
    #[error("could not fetch certificate: {0}")]
    CertFetch(String),
    /// The downloaded file holds no parsable certificate.
    #[error("could not parse certificate: {0}")]
    CertParse(String),
    /// The certificate's notAfter is in the past.
    #[error("certificate expired")]
    CertExpired,
    /// The certificate's notBefore is in the future.
    #[error("certificate not yet valid")]
    CertNotYetValid,
    /// The certificate does not chain to a configured trust anchor.
    #[error("certificate does not chain to a trusted root")]
    UntrustedChain,
    /// The issuer's organisation is not the configured one.
    #[error("certificate issuer organisation is not the expected one")]
    WrongIssuerOrganization,
    /// The signature is malformed or does not match the body.
    #[error("signature does not verify")]
    BadSignature,
    /// The body is larger than allowed.
    #[error("body too large")]
    BodyTooLarge,
    /// The (verified) body is not a webhook event.
    #[error("malformed event body: {0}")]
    MalformedBody(String),
    /// The verifier configuration is unusable.
    #[error("invalid verifier configuration: {0}")]
    InvalidConfig(String),
}

impl SignatureError {
    /// The status a receiver should answer: 400 for missing certificate URL or
    /// algorithm (Microsoft's sample), 401 for signature failures (step 8), 503 when
    /// Microsoft's certificate could not be fetched so Partner Center retries later.
    pub fn http_status(&self) -> u16 {
        match self {
            SignatureError::MissingCertificateUrl
            | SignatureError::MissingAlgorithm
            | SignatureError::BadAlgorithm(_)
            | SignatureError::MalformedBody(_) => 400,
            SignatureError::BodyTooLarge => 413,
            SignatureError::CertFetch(_) => 503,
            SignatureError::InvalidConfig(_) => 500,
            _ => 401,
        }
    }
}

/// Settings of a [`WebhookVerifier`].
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Certificate URLs must start with one of these.
    pub allowed_cert_url_prefixes: Vec<CertUrlPrefix>,
    /// DER of the trust anchors (roots, or the issuing CA to pin).
    pub trust_anchors: Vec<Vec<u8>>,
    /// Required `O=` of the certificate issuer.
    pub issuer_organization: String,
    /// Timeout of a certificate download.
    pub fetch_timeout: Duration,
    /// Largest certificate file accepted.
    pub max_cert_bytes: usize,
    /// How long a downloaded certificate is reused.
    pub cache_ttl: Duration,
    /// Largest body accepted.
    pub max_body_bytes: usize,
}

impl VerifierConfig {
    /// Defaults (Microsoft's certificate URL prefix and organisation) with the given
    /// PEM trust anchors, e.g. the root that issues Microsoft's TLS CAs.
    pub fn new(trust_anchors_pem: &str) -> Result<Self, SignatureError> {
        let mut config = Self {
            allowed_cert_url_prefixes: vec![CertUrlPrefix::parse(DEFAULT_CERT_URL_PREFIX)?],
            trust_anchors: Vec::new(),
            issuer_organization: DEFAULT_ISSUER_ORGANIZATION.to_owned(),
            fetch_timeout: CERT_FETCH_TIMEOUT,
            max_cert_bytes: MAX_CERT_BYTES,
            cache_ttl: CERT_CACHE_TTL,
            max_body_bytes: MAX_BODY_BYTES,
        };
        config.add_trust_anchors_pem(trust_anchors_pem)?;
        Ok(config)
    }

    /// Adds PEM trust anchors (every `CERTIFICATE` block).
    pub fn add_trust_anchors_pem(&mut self, pem_text: &str) -> Result<(), SignatureError> {
        let blocks = pem::parse_many(pem_text.as_bytes())
            .map_err(|e| SignatureError::InvalidConfig(format!("trust anchors: {e}")))?;
        let mut added = 0;
        for block in blocks.into_iter().filter(|b| b.tag() == "CERTIFICATE") {
            x509_parser::parse_x509_certificate(block.contents())
                .map_err(|e| SignatureError::InvalidConfig(format!("trust anchor: {e}")))?;
            self.trust_anchors.push(block.into_contents());
            added += 1;
        }
        if added == 0 {
            return Err(SignatureError::InvalidConfig(
                "no CERTIFICATE in trust anchor PEM".into(),
            ));
        }
        Ok(())
    }

    /// Replaces the allowed certificate URL prefixes.
    pub fn with_allowed_cert_url_prefixes<I, S>(
        mut self,
        prefixes: I,
    ) -> Result<Self, SignatureError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed_cert_url_prefixes = prefixes
            .into_iter()
            .map(|p| CertUrlPrefix::parse(p.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Sets the required issuer organisation.
    pub fn with_issuer_organization(mut self, organization: impl Into<String>) -> Self {
        self.issuer_organization = organization.into();
        self
    }

    /// Sets how long a downloaded certificate is reused.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }
}

/// Verifies signed Partner Center webhook deliveries.
#[derive(Debug)]
pub struct WebhookVerifier {
    config: VerifierConfig,
    fetcher: fetch::CertFetcher,
}

impl WebhookVerifier {
    /// A verifier with its own certificate cache.
    pub fn new(config: VerifierConfig) -> Self {
        let fetcher = fetch::CertFetcher::new(&config);
        Self { config, fetcher }
    }

    /// Checks a delivery's signature over the raw `body` and returns the parsed event.
    #[tracing::instrument(name = "verify_webhook", skip_all, fields(body_len = body.len()))]
    pub async fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, SignatureError> {
        if body.len() > self.config.max_body_bytes {
            return Err(SignatureError::BodyTooLarge);
        }
        let signature_b64 = headers::signature(headers)?;
        let cert_url = headers::certificate_url(headers)?;
        headers::check_algorithm(headers)?;
        let cert_url = cert_url::check_allowed(&cert_url, &self.config.allowed_cert_url_prefixes)?;
        let signature = headers::decode_signature(&signature_b64)?;

        let chain_der = self.fetcher.get(&cert_url).await?;
        let leaf_key = chain::check(&chain_der, &self.config, SystemTime::now())?;

        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &leaf_key)
            .verify(body, &signature)
            .map_err(|_| SignatureError::BadSignature)?;

        serde_json::from_slice::<WebhookEvent>(body)
            .map_err(|e| SignatureError::MalformedBody(e.to_string()))
    }
}
