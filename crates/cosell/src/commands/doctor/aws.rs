//! The AWS checks of `cosell doctor`, when `[aws]` is enabled, read-only:
//! which catalog is addressed, the EventBridge key, and whether credentials
//! resolve from the standard AWS chain and the catalog answers (one
//! `ListOpportunities` of one result). The Salesforce fields of the AWS side
//! are checked with the connector's other fields.

use aws_partner_central::{Catalog, Error, ErrorCode};

use super::findings::{Diagnosis, Finding};
use crate::config::{secrets, AwsConfig, Config};

/// Name of the catalog check.
pub const CATALOG_CHECK: &str = "AWS catalog";
/// Name of the EventBridge key check.
pub const WEBHOOK_KEY_CHECK: &str = "AWS webhook key";
/// Name of the credentials and catalog probe.
pub const API_CHECK: &str = "AWS Partner Central API";

/// Runs every AWS check; nothing when `[aws]` is off.
pub async fn check(config: &Config, out: &mut Diagnosis) {
    let Some(aws) = &config.aws else { return };
    out.push(catalog(aws));
    out.push(webhook_key(aws));
    out.push(probe(aws).await);
}

/// Real deals are warned about: going live on `Sandbox` first catches
/// mapping problems where they cost nothing.
fn catalog(aws: &AwsConfig) -> Finding {
    match aws.client.catalog {
        Catalog::Aws => Finding::warning(
            CATALOG_CHECK,
            "catalog = \"AWS\": opportunities go to AWS's real pipeline",
            "go live on catalog = \"Sandbox\" first, then switch to \"AWS\" (docs/AWS.md, \"Go-live\")",
        ),
        Catalog::Sandbox => Finding::ok(
            CATALOG_CHECK,
            "Sandbox, AWS's testing catalog: nothing reaches AWS sellers",
        ),
    }
}

/// The key the API destination sends; the configuration refuses to load
/// without it, so this states where it came from.
fn webhook_key(aws: &AwsConfig) -> Finding {
    Finding::ok(
        WEBHOOK_KEY_CHECK,
        format!(
            "{} is set; EventBridge's API destination must send it in the {} header",
            secrets::AWS_WEBHOOK_KEY,
            aws.webhook_header
        ),
    )
}

/// Credentials from the chain, and one cheap read of the catalog.
async fn probe(aws: &AwsConfig) -> Finding {
    let client = crate::connect::aws_client(aws).await;
    match client.probe().await {
        Ok(()) => Finding::ok(
            API_CHECK,
            format!(
                "credentials resolved and the {} catalog answered",
                aws.client.catalog.as_str()
            ),
        ),
        Err(e) => Finding::blocker(API_CHECK, e.to_string(), fix_for(&e)),
    }
}

/// What to do about a failed probe.
fn fix_for(error: &Error) -> &'static str {
    const NO_CREDENTIALS: &str = "give cosell AWS credentials through the standard chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the role of the instance, task or pod it runs in (docs/AWS.md)";
    match error {
        Error::Api {
            code: ErrorCode::AccessDenied,
            ..
        } => "allow the Selling API actions cosell calls: attach the IAM policy in docs/AWS.md (\"IAM policy\") to the user or role cosell runs as",
        Error::Api {
            code: ErrorCode::Other(name),
            ..
        } if name.contains("UnrecognizedClient") || name.contains("InvalidSignature") => {
            "AWS does not accept these credentials: check the access key and secret the chain provides (they may be deactivated or mistyped)"
        }
        Error::Transport(text) if text.to_ascii_lowercase().contains("credential") => {
            NO_CREDENTIALS
        }
        _ => "check aws.region and aws.endpoint_url, and that this machine reaches AWS over HTTPS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: ErrorCode) -> Error {
        Error::Api {
            status: 403,
            code,
            message: "no".into(),
            reason: None,
            fields: Vec::new(),
            request_id: None,
        }
    }

    #[test]
    fn each_failure_names_its_own_fix() {
        assert!(fix_for(&api(ErrorCode::AccessDenied)).contains("IAM policy"));
        assert!(
            fix_for(&api(ErrorCode::Other("UnrecognizedClientException".into())))
                .contains("does not accept")
        );
        assert!(fix_for(&Error::Transport(
            "failed to load credentials: no providers in chain provided credentials".into()
        ))
        .contains("AWS_ACCESS_KEY_ID"));
        assert!(fix_for(&Error::Transport("connection refused".into())).contains("endpoint_url"));
    }
}
