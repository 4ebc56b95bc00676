//! `cosell setup salesforce-app --dir DIR`: the key pair of the JWT bearer
//! flow. Writes an RSA private key (created 0600 and never printed) and a
//! self-signed certificate to upload to the Salesforce External Client App,
//! so no one needs openssl.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{Datelike, Utc};
use clap::Args;
use rcgen::{CertificateParams, DnType, KeyPair, PKCS_RSA_SHA256};

/// File name of the private key.
pub const KEY_FILE: &str = "cosell-salesforce.key";
/// File name of the certificate.
pub const CERT_FILE: &str = "cosell-salesforce.crt";
/// Common name of the certificate.
const COMMON_NAME: &str = "cosell Salesforce integration";

/// `cosell setup salesforce-app`.
#[derive(Debug, Clone, Args)]
pub struct SalesforceAppArgs {
    /// Directory for the key and certificate (existing files are never overwritten).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Years the certificate stays valid.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub years: u16,
}

/// Where the key pair was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The private key (0600).
    pub key: PathBuf,
    /// The certificate to upload.
    pub certificate: PathBuf,
}

/// Writes a new key pair into `dir`.
pub fn write_key_pair(dir: &Path, years: u16) -> Result<Written> {
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).context("could not generate an RSA key")?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, COMMON_NAME);
    let today = Utc::now().date_naive();
    let (month, day) = (
        u8::try_from(today.month()).unwrap_or(1),
        u8::try_from(today.day()).unwrap_or(1),
    );
    params.not_before = rcgen::date_time_ymd(today.year(), month, day);
    params.not_after = rcgen::date_time_ymd(today.year() + i32::from(years), month, day.min(28));
    let certificate = params.self_signed(&key)?;
    let written = Written {
        key: dir.join(KEY_FILE),
        certificate: dir.join(CERT_FILE),
    };
    create(&written.key, 0o600, key.serialize_pem().as_bytes())?;
    create(&written.certificate, 0o644, certificate.pem().as_bytes())?;
    Ok(written)
}

/// Creates `path` with `mode` (never replacing a file) and writes `bytes`.
fn create(path: &Path, mode: u32, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).with_context(|| {
        format!(
            "could not create {} (it is never overwritten)",
            path.display()
        )
    })?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Runs `cosell setup salesforce-app`.
pub fn run(args: SalesforceAppArgs) -> Result<()> {
    let written = write_key_pair(&args.dir, args.years)?;
    println!(
        "Wrote the private key {key} (readable by you only) and the certificate {cert}.\n\
         Next: in Salesforce Setup, External Client App Manager → your app → Policies/Settings → \
         OAuth settings → Enable JWT Bearer Flow, upload {cert}; then set \
         [salesforce] auth = \"jwt_bearer\" and private_key_file = \"{key}\" in cosell.toml.",
        key = written.key.display(),
        cert = written.certificate.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_private_and_the_certificate_matches_it() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_key_pair(dir.path(), 2).unwrap();
        let key = std::fs::read_to_string(&written.key).unwrap();
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
        let cert = std::fs::read_to_string(&written.certificate).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&written.key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            write_key_pair(dir.path(), 2).is_err(),
            "an existing key is never overwritten"
        );
        assert_eq!(std::fs::read_to_string(&written.key).unwrap(), key);
    }
}
