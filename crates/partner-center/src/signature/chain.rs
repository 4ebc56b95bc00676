//! Certificate checks: validity dates, chain to a trust anchor (directly, or via
//! one intermediate shipped in the same file), key usage, issuer organisation.

use std::time::{SystemTime, UNIX_EPOCH};

use x509_parser::certificate::X509Certificate;
use x509_parser::time::ASN1Time;

use super::{SignatureError, VerifierConfig};

/// Checks the fetched certificates (leaf first) and returns the leaf's public key
/// (PKCS#1 `RSAPublicKey` DER, as `aws-lc-rs` expects).
pub(super) fn check(
    chain_der: &[Vec<u8>],
    config: &VerifierConfig,
    now: SystemTime,
) -> Result<Vec<u8>, SignatureError> {
    let leaf_der = chain_der
        .first()
        .ok_or_else(|| SignatureError::CertParse("empty".into()))?;
    let leaf = parse(leaf_der)?;
    let intermediates = chain_der[1..]
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = config
        .trust_anchors
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;

    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = ASN1Time::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .map_err(|e| SignatureError::CertParse(e.to_string()))?;
    check_dates(&leaf, now)?;

    let pinned = config.trust_anchors.iter().any(|a| a == leaf_der);
    if !pinned && !chains_to_anchor(&leaf, &intermediates, &anchors, now) {
        return Err(SignatureError::UntrustedChain);
    }

    if let Ok(Some(ku)) = leaf.key_usage() {
        if !ku.value.digital_signature() {
            return Err(SignatureError::UntrustedChain);
        }
    }

    let organization_ok = leaf
        .issuer()
        .iter_organization()
        .filter_map(|attr| attr.as_str().ok())
        .any(|o| o == config.issuer_organization);
    if !organization_ok {
        return Err(SignatureError::WrongIssuerOrganization);
    }

    Ok(leaf.public_key().subject_public_key.data.to_vec())
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, SignatureError> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert)
        .map_err(|e| SignatureError::CertParse(e.to_string()))
}

fn check_dates(cert: &X509Certificate<'_>, now: ASN1Time) -> Result<(), SignatureError> {
    let validity = cert.validity();
    if now < validity.not_before {
        return Err(SignatureError::CertNotYetValid);
    }
    if now > validity.not_after {
        return Err(SignatureError::CertExpired);
    }
    Ok(())
}

/// True when `child` names `issuer` as its issuer and `issuer`'s key verifies it.
fn issued_by(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == issuer.subject().as_raw()
        && child.verify_signature(Some(issuer.public_key())).is_ok()
}

fn chains_to_anchor(
    leaf: &X509Certificate<'_>,
    intermediates: &[X509Certificate<'_>],
    anchors: &[X509Certificate<'_>],
    now: ASN1Time,
) -> bool {
    if anchors.iter().any(|a| issued_by(leaf, a)) {
        return true;
    }
    // At most one intermediate, which must be a valid CA issued by an anchor.
    intermediates.iter().any(|inter| {
        inter.is_ca()
            && inter.validity().is_valid_at(now)
            && issued_by(leaf, inter)
            && anchors.iter().any(|a| issued_by(inter, a))
    })
}
