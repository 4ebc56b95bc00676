//! Value types that can only hold valid settings (parse, don't validate),
//! each with the parser that reports a problem as an [`Issue`] on its key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};

use super::error::Issue;

/// Suffix of custom field and custom object API names.
const CUSTOM_SUFFIX: &str = "__c";
/// Oldest Salesforce REST API version still served: v21.0 to v30.0 were retired
/// in Summer '25 and answer 410 (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_versions.htm>).
const MIN_API_MAJOR: u32 = 31;

/// Shows a value in an error unless it could carry credentials (`user:pass@`).
pub(crate) fn shown(value: &str) -> String {
    if value.contains('@') {
        "(value not shown: it may contain credentials)".to_owned()
    } else {
        format!("{value:?}")
    }
}

/// True when the URL's host is `localhost` or a loopback address, where plain
/// HTTP is allowed (the emulators and tests).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses an absolute `https` URL (`http` allowed on loopback hosts), without
/// credentials, query or fragment.
pub(crate) fn https_url(key: &str, value: &str, example: &str) -> Result<Url, Issue> {
    let fix = || format!("set it to an https URL, e.g. \"{example}\"");
    let url = Url::parse(value.trim()).map_err(|err| {
        Issue::new(
            key,
            format!("{} is not a valid URL ({err})", shown(value)),
            fix(),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Issue::new(
            key,
            "the URL contains a user name or password",
            "remove the credentials from the URL; secrets come from environment variables",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Issue::new(
                key,
                format!(
                    "{} uses plain http, which is only allowed for localhost",
                    shown(value)
                ),
                fix(),
            ))
        }
        other => {
            return Err(Issue::new(
                key,
                format!("unsupported URL scheme `{other}`"),
                fix(),
            ));
        }
    }
    if url.host().is_none() {
        return Err(Issue::new(
            key,
            format!("{} has no host", shown(value)),
            fix(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Issue::new(
            key,
            format!("{} has a query or fragment", shown(value)),
            "remove everything from `?` or `#` on",
        ));
    }
    Ok(url)
}

/// Parses a listen address such as `127.0.0.1:8080`.
pub(crate) fn socket_addr(key: &str, value: &str) -> Result<SocketAddr, Issue> {
    value.trim().parse().map_err(|_| {
        Issue::new(
            key,
            format!("{} is not an IP address and port", shown(value)),
            "use an IP address and a port, e.g. \"127.0.0.1:8080\" (this machine only) or \"0.0.0.0:8080\" (all interfaces)",
        )
    })
}

/// Checks an integer setting lies in `min..=max`.
pub(crate) fn in_range(
    key: &str,
    value: i64,
    min: i64,
    max: i64,
    why_max: &str,
) -> Result<i64, Issue> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Issue::new(
            key,
            format!("{value} is out of range"),
            format!("use a value from {min} to {max}{why_max}"),
        ))
    }
}

/// A Salesforce API name (field or object), as opposed to a display label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiName(String);

impl ApiName {
    /// Parses an API name; `custom_only` requires a custom (`__c`) name.
    pub fn parse(value: &str, custom_only: bool) -> Result<ApiName, String> {
        let valid_chars = value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !value.ends_with('_');
        if !valid_chars {
            return Err(format!(
                "{value:?} is not an API name: API names start with a letter and hold only letters, digits and underscores (a display label like \"Sync with Partner Center\" is not an API name)"
            ));
        }
        let custom = value.ends_with(CUSTOM_SUFFIX);
        if custom_only && !custom {
            return Err(format!(
                "{value:?} is not a custom API name: the connector's fields and object are custom, so their API names end in `__c`"
            ));
        }
        // Double underscores only separate a namespace prefix and the `__c` suffix.
        let stem = value.strip_suffix(CUSTOM_SUFFIX).unwrap_or(value);
        let parts: Vec<&str> = stem.split("__").collect();
        let valid_parts = match parts.as_slice() {
            [_] => true,
            [namespace, _] => custom && !namespace.is_empty(),
            _ => false,
        };
        if !valid_parts
            || parts
                .iter()
                .any(|p| p.is_empty() || p.ends_with('_') || p.starts_with('_'))
        {
            return Err(format!(
                "{value:?} is not an API name: double underscores may only separate a namespace prefix and the `__c` suffix"
            ));
        }
        Ok(ApiName(value.to_owned()))
    }

    /// The name as Salesforce spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ApiName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A Salesforce REST API version, written `vNN.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    text: String,
    major: u32,
}

impl ApiVersion {
    /// Parses `v62.0`.
    pub fn parse(value: &str) -> Result<ApiVersion, String> {
        let number = value
            .strip_prefix('v')
            .ok_or_else(|| format!("{value:?} does not start with `v`"))?;
        let (major, minor) = number
            .split_once('.')
            .ok_or_else(|| format!("{value:?} is not of the form vNN.N"))?;
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(major) || !digits(minor) || major.len() > 3 || minor.len() != 1 {
            return Err(format!("{value:?} is not of the form vNN.N"));
        }
        let major: u32 = major
            .parse()
            .map_err(|_| format!("{value:?} is not of the form vNN.N"))?;
        if major < MIN_API_MAJOR {
            return Err(format!(
                "{value:?} is retired: Salesforce no longer serves API versions before v{MIN_API_MAJOR}.0"
            ));
        }
        Ok(ApiVersion {
            text: value.to_owned(),
            major,
        })
    }

    /// `v62.0`, as used in `/services/data/v62.0/`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The major version number (62 for `v62.0`).
    pub fn major(&self) -> u32 {
        self.major
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where the connector keeps its state.
pub enum StoreUrl {
    /// An SQLite file (absolute path), or an in-memory database when `path` is None.
    Sqlite {
        /// The URL to open, with the path made absolute.
        url: String,
        /// The database file; None for `sqlite::memory:`.
        path: Option<PathBuf>,
    },
    /// A PostgreSQL database; the URL may hold a password, so it is secret.
    Postgres {
        /// The full connection URL.
        url: SecretString,
    },
}

/// The in-memory SQLite URL.
const SQLITE_MEMORY: &str = "sqlite::memory:";

impl StoreUrl {
    /// Parses `sqlite://FILE`, `sqlite:FILE`, `sqlite::memory:` or
    /// `postgres://...`; relative SQLite paths are resolved against `base_dir`.
    pub(crate) fn parse(key: &str, value: &str, base_dir: &Path) -> Result<StoreUrl, Issue> {
        let fix = "use \"sqlite://cosell.db\" (a file next to the config file), \"sqlite:///var/lib/cosell/cosell.db\" (absolute) or \"postgres://user@host:5432/cosell\"";
        let value = value.trim();
        if value == SQLITE_MEMORY {
            return Ok(StoreUrl::Sqlite {
                url: SQLITE_MEMORY.to_owned(),
                path: None,
            });
        }
        if let Some(rest) = value.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let (file, query) = match rest.split_once('?') {
                Some((file, query)) => (file, Some(query)),
                None => (rest, None),
            };
            if file.is_empty() {
                return Err(Issue::new(key, "the SQLite URL names no file", fix));
            }
            let path = base_dir.join(file);
            let mut url = format!("sqlite://{}", path.display());
            if let Some(query) = query {
                url.push('?');
                url.push_str(query);
            }
            return Ok(StoreUrl::Sqlite {
                url,
                path: Some(path),
            });
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            // The value may hold a password: never echo it, nor the parser's
            // message, which could quote part of it.
            let url = Url::parse(value).map_err(|_| {
                Issue::new(
                    key,
                    "is not a valid PostgreSQL URL (value not shown: it may contain a password)",
                    fix,
                )
            })?;
            // A Unix-socket URL names its socket folder in `?host=` instead.
            let socket_host = url.query_pairs().any(|(k, _)| k == "host");
            if url.host_str().is_none_or(str::is_empty) && !socket_host {
                return Err(Issue::new(
                    key,
                    "the PostgreSQL URL has no host (value not shown)",
                    fix,
                ));
            }
            return Ok(StoreUrl::Postgres {
                url: SecretString::from(value.to_owned()),
            });
        }
        let scheme = value
            .split_once("://")
            .map(|(scheme, _)| scheme)
            .filter(|s| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            });
        let problem = match scheme {
            Some(scheme) => format!("unsupported store `{scheme}`"),
            None => "is not a sqlite: or postgres:// URL (value not shown)".to_owned(),
        };
        Err(Issue::new(key, problem, fix))
    }

    /// The URL to connect with. For PostgreSQL this exposes any password: pass
    /// it to the driver only, never to a log.
    pub fn expose_url(&self) -> &str {
        match self {
            StoreUrl::Sqlite { url, .. } => url,
            StoreUrl::Postgres { url } => url.expose_secret(),
        }
    }

    /// The URL with any password replaced by `***`, safe to show.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite { url, .. } => url.clone(),
            StoreUrl::Postgres { url } => match Url::parse(url.expose_secret()) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        // set_password only fails for URLs that cannot have one.
                        let _ = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "postgres://(unparsable)".to_owned(),
            },
        }
    }

    /// True for PostgreSQL (several instances may share it).
    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreUrl::Postgres { .. })
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreUrl").field(&self.redacted()).finish()
    }
}

/// What a PEM file holds, judged from its `BEGIN` labels only.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PemKind {
    /// An unencrypted private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    PrivateKey,
    /// A passphrase-protected key, which cannot be used unattended.
    EncryptedPrivateKey,
    /// One or more certificates.
    Certificates,
    /// Something else (a public key, a CSR, not PEM at all).
    Other,
}

/// Classifies PEM text without ever quoting it.
pub(crate) fn pem_kind(text: &str) -> PemKind {
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("-----BEGIN "))
        .filter_map(|rest| rest.strip_suffix("-----"))
        .collect();
    if labels.contains(&"ENCRYPTED PRIVATE KEY")
        || (labels.iter().any(|l| l.ends_with("PRIVATE KEY"))
            && text.contains("Proc-Type: 4,ENCRYPTED"))
    {
        PemKind::EncryptedPrivateKey
    } else if labels.iter().any(|l| l.ends_with("PRIVATE KEY")) {
        PemKind::PrivateKey
    } else if !labels.is_empty() && labels.iter().all(|l| *l == "CERTIFICATE") {
        PemKind::Certificates
    } else {
        PemKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names() {
        for ok in [
            "Amount",
            "BillingCountry",
            "Audit__c",
            "ns__Audit__c",
            "Referral_Identifier__c",
        ] {
            assert!(ApiName::parse(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1Field",
            "Sync with Partner Center",
            "Field_",
            "A___c",
            "a__b__c__c",
            "__c",
            "Bad-Name__c",
        ] {
            assert!(ApiName::parse(bad, false).is_err(), "{bad}");
        }
        assert!(ApiName::parse("Amount", true).is_err());
        assert!(ApiName::parse("ns__Field", false).is_err());
    }

    #[test]
    fn api_versions() {
        assert_eq!(ApiVersion::parse("v62.0").unwrap().major(), 62);
        assert_eq!(ApiVersion::parse("v100.0").unwrap().as_str(), "v100.0");
        for bad in ["62.0", "v62", "v62.00", "vx.0", "v30.0", "v62.0.1"] {
            assert!(ApiVersion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(https_url("k", "https://login.salesforce.com", "x").is_ok());
        assert!(https_url("k", "http://127.0.0.1:9000/x", "x").is_ok());
        assert!(https_url("k", "http://localhost:9000", "x").is_ok());
        assert!(https_url("k", "http://[::1]:9000", "x").is_ok());
        assert!(https_url("k", "http://example.com", "x").is_err());
        assert!(https_url("k", "ftp://example.com", "x").is_err());
        assert!(https_url("k", "not a url", "x").is_err());
        assert!(https_url("k", "https://example.com/?a=b", "x").is_err());
        let issue = https_url("k", "https://user:hunter2@example.com", "x").unwrap_err();
        assert!(!issue.to_string().contains("hunter2"));
    }

    #[test]
    fn store_urls() {
        let base = Path::new("/etc/cosell");
        let url = StoreUrl::parse("store.url", "sqlite://cosell.db", base).unwrap();
        assert_eq!(url.expose_url(), "sqlite:///etc/cosell/cosell.db");
        let url = StoreUrl::parse("store.url", "sqlite:data/c.db?mode=rwc", base).unwrap();
        assert_eq!(url.expose_url(), "sqlite:///etc/cosell/data/c.db?mode=rwc");
        let url = StoreUrl::parse("store.url", "sqlite:///var/lib/c.db", base).unwrap();
        assert_eq!(url.expose_url(), "sqlite:///var/lib/c.db");
        let url = StoreUrl::parse("store.url", "sqlite::memory:", base).unwrap();
        assert_eq!(url.expose_url(), "sqlite::memory:");

        let url = StoreUrl::parse(
            "store.url",
            "postgres://cosell:hunter2@db:5432/cosell",
            base,
        )
        .unwrap();
        assert!(url.is_postgres());
        assert_eq!(url.redacted(), "postgres://cosell:***@db:5432/cosell");
        assert!(!format!("{url:?}").contains("hunter2"));
        let url = StoreUrl::parse(
            "store.url",
            "postgres:///cosell?host=/var/run/postgresql",
            base,
        );
        assert!(url.is_ok());
        assert!(StoreUrl::parse("store.url", "postgres:///cosell", base).is_err());

        for bad in [
            "mysql://u:hunter2@h/db",
            "u:hunter2@h/db",
            "postgres://u:hunter2@[bad/db",
            "sqlite://",
        ] {
            let issue = StoreUrl::parse("store.url", bad, base).err().unwrap();
            assert!(!issue.to_string().contains("hunter2"), "{issue}");
            assert_eq!(issue.key, "store.url");
        }
    }

    #[test]
    fn pem_kinds() {
        let body = "MIIB\n";
        assert_eq!(
            pem_kind(&format!(
                "-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"
            )),
            PemKind::PrivateKey
        );
        assert_eq!(
            pem_kind(&format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"
            )),
            PemKind::PrivateKey
        );
        assert_eq!(
            pem_kind(&format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}-----END ENCRYPTED PRIVATE KEY-----\n")),
            PemKind::EncryptedPrivateKey
        );
        assert_eq!(
            pem_kind(&format!(
                "-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"
            )),
            PemKind::Certificates
        );
        assert_eq!(
            pem_kind(&format!(
                "-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n"
            )),
            PemKind::Other
        );
        assert_eq!(pem_kind("hello"), PemKind::Other);
    }
}
