//! The allow-list of certificate URL prefixes.
//!
//! A prefix matches on scheme, host, effective port and path prefix. Plain `http`
//! is refused except for loopback hosts (tests and local emulators). URLs with
//! credentials, queries or fragments are refused (hardening after third-party
//! validators, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).

use std::net::IpAddr;

use url::Url;

use super::SignatureError;

/// One allowed certificate URL prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertUrlPrefix {
    scheme: String,
    host: String,
    port: u16,
    path: String,
}

impl CertUrlPrefix {
    /// Parses and validates a prefix such as `https://host/cert/`.
    pub fn parse(prefix: &str) -> Result<Self, SignatureError> {
        let bad = |why: &str| {
            SignatureError::InvalidConfig(format!("certificate URL prefix {prefix:?}: {why}"))
        };
        let url = Url::parse(prefix).map_err(|e| bad(&e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| bad("no host"))?
            .to_ascii_lowercase();
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => return Err(bad("http is only allowed for loopback hosts")),
            other => return Err(bad(&format!("scheme {other} not allowed"))),
        }
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(bad("credentials, query and fragment are not allowed"));
        }
        Ok(Self {
            scheme: url.scheme().to_owned(),
            host,
            port: url.port_or_known_default().ok_or_else(|| bad("no port"))?,
            path: url.path().to_owned(),
        })
    }

    fn matches(&self, url: &Url) -> bool {
        url.scheme() == self.scheme
            && url.host_str().map(str::to_ascii_lowercase).as_deref() == Some(self.host.as_str())
            && url.port_or_known_default() == Some(self.port)
            && url.path().starts_with(&self.path)
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Parses `raw` and checks it against the allow-list. The path is normalised by
/// the URL parser first, so `..` segments cannot climb out of a prefix.
pub(super) fn check_allowed(raw: &str, prefixes: &[CertUrlPrefix]) -> Result<Url, SignatureError> {
    let shown: String = raw.chars().take(200).collect();
    let refuse = || SignatureError::CertUrlNotAllowed(shown.clone());
    let url = Url::parse(raw).map_err(|_| refuse())?;
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(refuse());
    }
    if url.scheme() == "http" && !url.host_str().is_some_and(is_loopback) {
        return Err(refuse());
    }
    if prefixes.iter().any(|p| p.matches(&url)) {
        Ok(url)
    } else {
        Err(refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Vec<CertUrlPrefix> {
        vec![CertUrlPrefix::parse(super::super::DEFAULT_CERT_URL_PREFIX).unwrap()]
    }

    #[test]
    fn documented_url_is_allowed() {
        let url = "https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.microsoft.com.cer";
        assert!(check_allowed(url, &default()).is_ok());
    }

    #[test]
    fn lookalikes_are_refused() {
        for url in [
            "https://3psostorageacct.blob.core.windows.net.evil.example/cert/x.cer",
            "https://evil.example/cert/x.cer",
            "http://3psostorageacct.blob.core.windows.net/cert/x.cer",
            "https://3psostorageacct.blob.core.windows.net:8443/cert/x.cer",
            "https://3psostorageacct.blob.core.windows.net/other/x.cer",
            "https://3psostorageacct.blob.core.windows.net/cert/../other/x.cer",
            "https://3psostorageacct.blob.core.windows.net/cert/%2e%2e/other/x.cer",
            "https://user@3psostorageacct.blob.core.windows.net/cert/x.cer",
            "https://3psostorageacct.blob.core.windows.net/cert/x.cer?sig=1",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(
                matches!(
                    check_allowed(url, &default()),
                    Err(SignatureError::CertUrlNotAllowed(_))
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn http_prefixes_only_for_loopback() {
        assert!(CertUrlPrefix::parse("http://127.0.0.1:8080/cert/").is_ok());
        assert!(CertUrlPrefix::parse("http://localhost/cert/").is_ok());
        assert!(CertUrlPrefix::parse("http://[::1]:1/cert/").is_ok());
        assert!(CertUrlPrefix::parse("http://example.com/cert/").is_err());
        assert!(CertUrlPrefix::parse("ftp://127.0.0.1/cert/").is_err());
        let local = vec![CertUrlPrefix::parse("http://127.0.0.1:8080/cert/").unwrap()];
        assert!(check_allowed("http://127.0.0.1:8080/cert/a.cer", &local).is_ok());
        assert!(check_allowed("http://127.0.0.1:8081/cert/a.cer", &local).is_err());
    }
}
