//! Webhook signature verification with a generated test CA, a certificate served
//! from a local server, and bodies signed with aws-lc-rs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use partner_center::signature::{SignatureError, VerifierConfig, WebhookVerifier};
use partner_center::wire::WebhookEventName;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, PKCS_RSA_SHA256,
};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::support::*;

const BODY: &[u8] = br#"{"EventName":"referral-updated","ResourceUri":"https://api.partnercenter.microsoft.com/engagements/v1/referrals/7c1f2a0e-1111-2222-3333-444455556666","ResourceName":"referral","AuditUri":null,"ResourceChangeUtcDate":"2018-02-17T00:05:39.5485487+00:00"}"#;
const CERT_PATH: &str = "/cert/pcnotifications-dispatch.microsoft.com.cer";

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(organization: &str, common_name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, organization);
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Ca {
        cert: params.self_signed(&key).unwrap(),
        key,
    }
}

fn intermediate(root: &Ca) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Microsoft Corporation");
    dn.push(DnType::CommonName, "Test Issuing CA");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    Ca {
        cert: params.signed_by(&key, &root.cert, &root.key).unwrap(),
        key,
    }
}

struct Leaf {
    cert: rcgen::Certificate,
    signer: RsaKeyPair,
}

fn make_leaf(issuer: &Ca, expired: bool) -> Leaf {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let mut params =
        CertificateParams::new(vec!["pcnotifications-dispatch.microsoft.com".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "pcnotifications-dispatch.microsoft.com");
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let cert = params.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
    let signer = RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap();
    Leaf { cert, signer }
}

fn sign(signer: &RsaKeyPair, body: &[u8]) -> String {
    let mut sig = vec![0; signer.public_modulus_len()];
    signer
        .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), body, &mut sig)
        .unwrap();
    STANDARD.encode(sig)
}

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn delivery_headers(mock: &Mock, signature: &str) -> HeaderMap {
    headers(&[
        ("authorization", format!("Signature {signature}")),
        ("x-ms-certificate-url", mock.url(CERT_PATH).to_string()),
        ("x-ms-signature-algorithm", "rsa-sha256".to_owned()),
    ])
}

async fn serve(file: Vec<u8>) -> Mock {
    let mock = Mock::start().await;
    mock.script(CERT_PATH, vec![Reply::bytes(200, file)]);
    mock
}

fn verifier(mock: &Mock, anchors: &[&Ca]) -> WebhookVerifier {
    let pem: String = anchors.iter().map(|ca| ca.cert.pem()).collect();
    let config = VerifierConfig::new(&pem)
        .unwrap()
        .with_allowed_cert_url_prefixes([mock.url("/cert/").to_string()])
        .unwrap();
    WebhookVerifier::new(config)
}

#[tokio::test]
async fn valid_signature_is_accepted_in_every_header_form() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let verifier = verifier(&mock, &[&root]);
    let sig = sign(&leaf.signer, BODY);

    let event = verifier
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap();
    assert_eq!(event.event_name, Some(WebhookEventName::ReferralUpdated));
    assert_eq!(
        event.referral_id().as_deref(),
        Some("7c1f2a0e-1111-2222-3333-444455556666")
    );

    for value in [format!("Signature {sig}"), sig.clone()] {
        let h = headers(&[
            ("x-ms-signature", value),
            ("x-ms-certificate-url", mock.url(CERT_PATH).to_string()),
            ("x-ms-signature-algorithm", "rsa-sha256".to_owned()),
        ]);
        verifier.verify(&h, BODY).await.unwrap();
    }
    // The certificate was downloaded once and then served from the cache.
    assert_eq!(mock.requests_to(CERT_PATH).len(), 1);
}

#[tokio::test]
async fn pem_file_with_an_intermediate_is_accepted() {
    let root = ca("DigiCert Test", "Test Root G2");
    let issuing = intermediate(&root);
    let leaf = make_leaf(&issuing, false);
    let file = format!("{}{}", leaf.cert.pem(), issuing.cert.pem());
    let mock = serve(file.into_bytes()).await;
    let verifier = verifier(&mock, &[&root]);
    let sig = sign(&leaf.signer, BODY);
    verifier
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap();
}

#[tokio::test]
async fn tampered_body_is_rejected() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let sig = sign(&leaf.signer, BODY);
    let tampered = String::from_utf8(BODY.to_vec())
        .unwrap()
        .replace("referral-updated", "referral-created");
    let err = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, &sig), tampered.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(err, SignatureError::BadSignature);
    assert_eq!(err.http_status(), 401);
}

#[tokio::test]
async fn forged_signature_is_rejected() {
    let root = ca("Microsoft Corporation", "Test Root");
    let real = make_leaf(&root, false);
    let forger = make_leaf(&root, false);
    let mock = serve(real.cert.der().to_vec()).await;
    let forged = sign(&forger.signer, BODY);
    let err = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, &forged), BODY)
        .await
        .unwrap_err();
    assert_eq!(err, SignatureError::BadSignature);
    let garbage = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, "!!not base64!!"), BODY)
        .await
        .unwrap_err();
    assert_eq!(garbage, SignatureError::BadSignature);
}

#[tokio::test]
async fn certificate_url_off_the_allow_list_is_never_fetched() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    mock.script(
        "/elsewhere/cert.cer",
        vec![Reply::bytes(200, leaf.cert.der().to_vec())],
    );
    let sig = sign(&leaf.signer, BODY);
    let verifier = verifier(&mock, &[&root]);
    for url in [
        mock.url("/elsewhere/cert.cer").to_string(),
        mock.url("/cert/../elsewhere/cert.cer").to_string(),
        format!("http://localhost:{}{}", mock.addr.port() + 1, CERT_PATH),
        "https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.microsoft.com.cer".to_owned(),
    ] {
        let h = headers(&[
            ("authorization", format!("Signature {sig}")),
            ("x-ms-certificate-url", url.clone()),
            ("x-ms-signature-algorithm", "rsa-sha256".to_owned()),
        ]);
        let err = verifier.verify(&h, BODY).await.unwrap_err();
        assert!(matches!(err, SignatureError::CertUrlNotAllowed(_)), "{url}: {err:?}");
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn expired_certificate_is_rejected() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, true);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let sig = sign(&leaf.signer, BODY);
    let err = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap_err();
    assert_eq!(err, SignatureError::CertExpired);
}

#[tokio::test]
async fn wrong_issuer_organization_is_rejected() {
    let root = ca("Contoso Ltd", "Contoso Root");
    let leaf = make_leaf(&root, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let sig = sign(&leaf.signer, BODY);
    let err = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap_err();
    assert_eq!(err, SignatureError::WrongIssuerOrganization);
}

#[tokio::test]
async fn untrusted_ca_is_rejected() {
    let trusted = ca("Microsoft Corporation", "Trusted Root");
    let rogue = ca("Microsoft Corporation", "Trusted Root"); // same name, different key
    let leaf = make_leaf(&rogue, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let sig = sign(&leaf.signer, BODY);
    let err = verifier(&mock, &[&trusted])
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap_err();
    assert_eq!(err, SignatureError::UntrustedChain);

    // A rogue intermediate shipped in the file does not help either.
    let rogue_issuing = intermediate(&rogue);
    let leaf = make_leaf(&rogue_issuing, false);
    let file = format!("{}{}", leaf.cert.pem(), rogue_issuing.cert.pem());
    let mock = serve(file.into_bytes()).await;
    let sig = sign(&leaf.signer, BODY);
    let err = verifier(&mock, &[&trusted])
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap_err();
    assert_eq!(err, SignatureError::UntrustedChain);
}

#[tokio::test]
async fn header_problems_are_typed() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let verifier = verifier(&mock, &[&root]);
    let sig = sign(&leaf.signer, BODY);
    let url = mock.url(CERT_PATH).to_string();

    let h = headers(&[
        ("x-ms-certificate-url", url.clone()),
        ("x-ms-signature-algorithm", "rsa-sha256".into()),
    ]);
    assert_eq!(
        verifier.verify(&h, BODY).await.unwrap_err(),
        SignatureError::MissingSignature
    );

    let h = headers(&[
        ("authorization", format!("Bearer {sig}")),
        ("x-ms-certificate-url", url.clone()),
        ("x-ms-signature-algorithm", "rsa-sha256".into()),
    ]);
    assert_eq!(
        verifier.verify(&h, BODY).await.unwrap_err(),
        SignatureError::MissingSignature
    );

    let h = headers(&[
        ("authorization", format!("Signature {sig}")),
        ("x-ms-certificate-url", url.clone()),
        ("x-ms-signature-algorithm", "rsa-sha1".into()),
    ]);
    let err = verifier.verify(&h, BODY).await.unwrap_err();
    assert_eq!(err, SignatureError::BadAlgorithm("rsa-sha1".into()));
    assert_eq!(err.http_status(), 400);

    let h = headers(&[
        ("authorization", format!("Signature {sig}")),
        ("x-ms-signature-algorithm", "rsa-sha256".into()),
    ]);
    assert_eq!(
        verifier.verify(&h, BODY).await.unwrap_err(),
        SignatureError::MissingCertificateUrl
    );

    let h = headers(&[
        ("authorization", format!("Signature {sig}")),
        ("x-ms-certificate-url", url),
    ]);
    assert_eq!(
        verifier.verify(&h, BODY).await.unwrap_err(),
        SignatureError::MissingAlgorithm
    );
}

#[tokio::test]
async fn signed_but_malformed_body_is_rejected_after_verification() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let mock = serve(leaf.cert.der().to_vec()).await;
    let body = b"[not an event]";
    let sig = sign(&leaf.signer, body);
    let err = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, &sig), body)
        .await
        .unwrap_err();
    assert!(matches!(err, SignatureError::MalformedBody(_)), "{err:?}");
}

#[tokio::test]
async fn redirects_and_oversized_files_are_not_followed() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let mock = Mock::start().await;
    mock.script(
        CERT_PATH,
        vec![Reply::empty(302).header("location", "/cert/real.cer")],
    );
    mock.script(
        "/cert/real.cer",
        vec![Reply::bytes(200, leaf.cert.der().to_vec())],
    );
    let sig = sign(&leaf.signer, BODY);
    let err = verifier(&mock, &[&root])
        .verify(&delivery_headers(&mock, &sig), BODY)
        .await
        .unwrap_err();
    assert!(matches!(err, SignatureError::CertFetch(_)), "{err:?}");
    assert!(mock.requests_to("/cert/real.cer").is_empty());

    let big = Mock::start().await;
    big.script(CERT_PATH, vec![Reply::bytes(200, vec![b'A'; 200 * 1024])]);
    let err = verifier(&big, &[&root])
        .verify(&delivery_headers(&big, &sig), BODY)
        .await
        .unwrap_err();
    assert!(matches!(err, SignatureError::CertFetch(_)), "{err:?}");
}

#[tokio::test]
async fn failed_certificate_fetches_are_remembered_and_downloads_rate_limited() {
    let root = ca("Microsoft Corporation", "Test Root");
    let leaf = make_leaf(&root, false);
    let sig = sign(&leaf.signer, BODY);
    // Nothing is served: every download fails.
    let mock = Mock::start().await;
    let verifier = verifier(&mock, &[&root]);
    for _ in 0..3 {
        let err = verifier
            .verify(&delivery_headers(&mock, &sig), BODY)
            .await
            .unwrap_err();
        assert!(matches!(err, SignatureError::CertFetch(_)), "{err:?}");
    }
    assert_eq!(
        mock.requests_to(CERT_PATH).len(),
        1,
        "the failure is remembered"
    );

    // A flood of forged deliveries, each naming a new file under the prefix.
    for n in 0..50 {
        let h = headers(&[
            ("authorization", format!("Signature {sig}")),
            (
                "x-ms-certificate-url",
                mock.url(&format!("/cert/forged-{n}.cer")).to_string(),
            ),
            ("x-ms-signature-algorithm", "rsa-sha256".to_owned()),
        ]);
        let err = verifier.verify(&h, BODY).await.unwrap_err();
        assert!(matches!(err, SignatureError::CertFetch(_)), "{err:?}");
    }
    assert_eq!(
        mock.requests().len(),
        partner_center::signature::CERT_DOWNLOADS_PER_WINDOW,
        "downloads stop at the window's allowance"
    );
}

#[test]
fn http_prefixes_are_refused_for_non_loopback_hosts() {
    let root = ca("Microsoft Corporation", "Test Root");
    let config = VerifierConfig::new(&root.cert.pem()).unwrap();
    assert!(config
        .clone()
        .with_allowed_cert_url_prefixes(["http://certs.example/cert/"])
        .is_err());
    assert!(config
        .with_allowed_cert_url_prefixes(["http://127.0.0.1:1/cert/"])
        .is_ok());
    assert!(VerifierConfig::new("no pem here").is_err());
}
