//! The test PKI behind signed webhook deliveries (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>): a root CA
//! and a leaf certificate, both with `O=Microsoft Corporation`, and RSA
//! PKCS#1 v1.5 SHA-256 signatures made with the leaf's 2048-bit key.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_RSA_SHA256,
};

/// Organization Partner Center receivers check for (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
const ORGANIZATION: &str = "Microsoft Corporation";
/// Common name of the emulated root.
const CA_NAME: &str = "Cosell Emulator Test Root CA";
/// Host named in the leaf, as on the real signing certificate's URL.
pub(crate) const LEAF_NAME: &str = "pcnotifications-dispatch.microsoft.com";
/// Validity window of both certificates (years are ample for tests).
const NOT_BEFORE: (i32, u8, u8) = (2020, 1, 1);
const NOT_AFTER: (i32, u8, u8) = (2045, 1, 1);

/// The emulator's signing material. Its Debug never shows the private key.
pub(crate) struct Pki {
    /// The trust anchor, PEM.
    pub(crate) ca_pem: String,
    /// The leaf certificate, DER (what `X-MS-Certificate-Url` serves).
    pub(crate) leaf_der: Vec<u8>,
    signer: RsaKeyPair,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("signer", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Failure to build the PKI.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PkiError {
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// The generated key could not be loaded for signing.
    #[error("signing key rejected: {0}")]
    Key(String),
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, ORGANIZATION);
    dn.push(DnType::LocalityName, "Redmond");
    dn.push(DnType::StateOrProvinceName, "Washington");
    dn.push(DnType::CountryName, "US");
    dn
}

fn window(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
    params.not_after = rcgen::date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
}

impl Pki {
    /// Generates a fresh CA and leaf.
    pub(crate) fn generate() -> Result<Self, PkiError> {
        let ca_key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.distinguished_name = name(CA_NAME);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        window(&mut ca_params);
        let ca = ca_params.self_signed(&ca_key)?;

        let leaf_key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let mut leaf_params = CertificateParams::new(vec![LEAF_NAME.to_owned()])?;
        leaf_params.distinguished_name = name(LEAF_NAME);
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        window(&mut leaf_params);
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;

        let signer = RsaKeyPair::from_pkcs8(&leaf_key.serialize_der())
            .map_err(|e| PkiError::Key(e.to_string()))?;
        Ok(Self {
            ca_pem: ca.pem(),
            leaf_der: leaf.der().to_vec(),
            signer,
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over exactly `body` (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
    pub(crate) fn sign(&self, body: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.signer.public_modulus_len()];
        self.signer
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                body,
                &mut signature,
            )
            .expect("RSA signing with a valid key and buffer cannot fail");
        signature
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{KeyPair as _, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    #[test]
    fn signatures_verify_with_the_leaf_key() {
        let pki = Pki::generate().unwrap();
        let body = br#"{"EventName":"referral-created"}"#;
        let sig = pki.sign(body);
        let public = UnparsedPublicKey::new(
            &RSA_PKCS1_2048_8192_SHA256,
            pki.signer.public_key().as_ref().to_vec(),
        );
        assert!(public.verify(body, &sig).is_ok());
        assert!(public.verify(b"tampered", &sig).is_err());
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(!format!("{pki:?}").contains("BEGIN"));
    }
}
