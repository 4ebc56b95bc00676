//! Downloading the signing certificate: no redirects, short timeout, size cap,
//! per-URL cache with a TTL. Accepts DER, concatenated DER, or PEM. Failures
//! are remembered for a while and downloads are rate-limited, so forged
//! deliveries cannot make cosell fetch files on their behalf.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use super::{
    SignatureError, VerifierConfig, CERT_DOWNLOADS_PER_WINDOW, CERT_DOWNLOAD_WINDOW,
    CERT_FAILURE_TTL,
};
use crate::error::describe_reqwest;

/// Most certificates kept in the cache (only allow-listed URLs can get there).
const MAX_CACHE_ENTRIES: usize = 32;
/// At most this many certificates are read from one file (leaf + intermediates).
const MAX_CERTS_PER_FILE: usize = 4;

type Chain = Arc<Vec<Vec<u8>>>;

/// Fetches and caches certificate files.
#[derive(Debug)]
pub(super) struct CertFetcher {
    http: reqwest::Client,
    max_bytes: usize,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Chain)>>,
    /// URL → when its download failed and why.
    failures: Mutex<HashMap<String, (Instant, SignatureError)>>,
    /// When the recent downloads started.
    downloads: Mutex<VecDeque<Instant>>,
}

impl CertFetcher {
    pub fn new(config: &VerifierConfig) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.fetch_timeout)
            .connect_timeout(config.fetch_timeout)
            .build()
            .unwrap_or_default();
        Self {
            http,
            max_bytes: config.max_cert_bytes,
            ttl: config.cache_ttl,
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            downloads: Mutex::new(VecDeque::new()),
        }
    }

    /// The DER certificates of the file at `url` (leaf first), from cache or network.
    pub async fn get(&self, url: &Url) -> Result<Chain, SignatureError> {
        let key = url.as_str().to_owned();
        if let Some(chain) = self.cached(&key) {
            return Ok(chain);
        }
        if let Some(error) = self.failed(&key) {
            return Err(error);
        }
        if !self.may_download() {
            return Err(SignatureError::CertFetch(
                "too many certificate downloads; try again later".into(),
            ));
        }
        let chain = match self
            .download(url)
            .await
            .and_then(|b| split_certificates(&b))
        {
            Ok(certs) => Arc::new(certs),
            Err(error) => {
                self.remember_failure(key, &error);
                return Err(error);
            }
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHE_ENTRIES {
            let now = Instant::now();
            cache.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if cache.len() >= MAX_CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), chain.clone()));
        Ok(chain)
    }

    /// The remembered failure of `key`, while it is recent.
    fn failed(&self, key: &str) -> Option<SignatureError> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (at, error) = failures.get(key)?;
        (at.elapsed() < CERT_FAILURE_TTL).then(|| error.clone())
    }

    fn remember_failure(&self, key: String, error: &SignatureError) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, (at, _)| at.elapsed() < CERT_FAILURE_TTL);
        if failures.len() < MAX_CACHE_ENTRIES {
            failures.insert(key, (Instant::now(), error.clone()));
        }
    }

    /// Counts a download when the window has room for it.
    fn may_download(&self) -> bool {
        let mut downloads = self.downloads.lock().unwrap_or_else(|p| p.into_inner());
        while downloads
            .front()
            .is_some_and(|at| at.elapsed() >= CERT_DOWNLOAD_WINDOW)
        {
            downloads.pop_front();
        }
        if downloads.len() >= CERT_DOWNLOADS_PER_WINDOW {
            return false;
        }
        downloads.push_back(Instant::now());
        true
    }

    fn cached(&self, key: &str) -> Option<Chain> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let (at, chain) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| chain.clone())
    }

    #[tracing::instrument(name = "fetch_webhook_certificate", skip(self), fields(url = %url))]
    async fn download(&self, url: &Url) -> Result<Vec<u8>, SignatureError> {
        let fail = |msg: String| SignatureError::CertFetch(msg);
        let mut response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| fail(describe_reqwest(e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("status {}", status.as_u16())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(fail("certificate file too large".into()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fail(describe_reqwest(e)))?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(fail("certificate file too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Splits a PEM or (concatenated) DER file into DER certificates.
pub(super) fn split_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, SignatureError> {
    let trimmed = bytes.trim_ascii_start();
    let certs: Vec<Vec<u8>> = if trimmed.starts_with(b"-----BEGIN") {
        pem::parse_many(trimmed)
            .map_err(|e| SignatureError::CertParse(e.to_string()))?
            .into_iter()
            .filter(|p| p.tag() == "CERTIFICATE")
            .map(pem::Pem::into_contents)
            .collect()
    } else {
        let mut rest = bytes;
        let mut out = Vec::new();
        while !rest.is_empty() && out.len() < MAX_CERTS_PER_FILE {
            let (remaining, _) = x509_parser::parse_x509_certificate(rest)
                .map_err(|e| SignatureError::CertParse(e.to_string()))?;
            out.push(rest[..rest.len() - remaining.len()].to_vec());
            rest = remaining;
        }
        out
    };
    if certs.is_empty() {
        return Err(SignatureError::CertParse("no certificate in file".into()));
    }
    Ok(certs.into_iter().take(MAX_CERTS_PER_FILE).collect())
}
