//! Connecting cosell to running emulators: the configuration sections and
//! the secrets that point a `cosell.toml` at them. The demo and the test
//! harnesses build their configurations here, so they can never disagree
//! with the emulators' own defaults.

use std::collections::BTreeMap;
use std::path::Path;

use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{
    Options as SfOptions, Profile, SalesforceEmulator, CORPORATE_CURRENCY, PARTNER_RECORD_TYPE,
};

use emulator::aws::{AwsEmulator, EventTarget};

use crate::config::{secrets, AwsCredentials, Config};

/// The demo org's stage for accepted deals.
pub const DEMO_ACTIVE_STAGE: &str = "Qualification";
/// The demo org's stage for referrals waiting for the partner.
pub const DEMO_ON_HOLD_STAGE: &str = "On Hold";

/// Where the Partner Center emulator serves its webhook signing certificate.
pub const PC_CERT_PATH: &str = "/_emulator/cert/";

/// The emulators' default credentials as the environment the configuration
/// loader reads secrets from.
pub fn secrets_env() -> BTreeMap<String, String> {
    let (pc, sf) = (PcOptions::default(), SfOptions::default());
    [
        (secrets::PC_CLIENT_SECRET, pc.client_secret.clone()),
        (secrets::PC_REFRESH_TOKEN, pc.refresh_token),
        (secrets::SF_CLIENT_SECRET, sf.client_secret),
        (secrets::SF_PASSWORD, sf.password),
        // The Partner Center app registration also serves dashboard sign-in.
        (secrets::SIGN_IN_CLIENT_SECRET, pc.client_secret),
        (secrets::AWS_WEBHOOK_KEY, AWS_WEBHOOK_KEY.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// `[partner_center]`, `[salesforce]` and `[sync]` sections for the running
/// emulators (their default credentials, the demo org's stages); webhooks are
/// verified with the Partner Center emulator's CA, written by the caller to
/// `ca_file`.
pub fn connection_sections(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    ca_file: &Path,
) -> String {
    let (pc_options, sf_options) = (PcOptions::default(), SfOptions::default());
    format!(
        r#"
[partner_center]
api_url = "{api}"
webhooks_url = "{webhooks}"
token_url = "{token}"
client_id = "{pc_client}"
webhook_cert_url_prefixes = ["{pc}{PC_CERT_PATH}"]
webhook_trust_anchors_file = "{ca}"

[salesforce]
login_url = "{sf}"
auth = "password"
client_id = "{sf_client}"
username = "{sf_user}"

[sync]
active_stage = "{DEMO_ACTIVE_STAGE}"
on_hold_stage = "{DEMO_ON_HOLD_STAGE}"
{fitted}"#,
        api = pc.referrals_url(),
        webhooks = pc.webhooks_url(),
        token = pc.token_url(),
        pc_client = pc_options.client_id,
        pc = pc.url(),
        ca = ca_file.display(),
        sf = sf.url(),
        sf_client = sf_options.client_id,
        sf_user = sf_options.username,
        fitted = profile_sync_keys(sf.profile())
            .iter()
            .map(|(key, value)| format!("{key} = \"{value}\"\n"))
            .collect::<String>(),
    )
}

/// The `[sync]` keys an org of `profile` needs beyond the defaults (what
/// `cosell setup salesforce` and `cosell doctor` tell its admin): with State
/// and Country/Territory Picklists on, countries go to `BillingCountryCode`;
/// with record types, new opportunities are `Partner_Deal`s (the default
/// record type's sales process has no on-hold stage); a single-currency org
/// has no currency field and names its one currency.
pub fn profile_sync_keys(profile: Profile) -> Vec<(&'static str, &'static str)> {
    let mut keys = Vec::new();
    if profile.country_picklists() {
        keys.push(("country_code_field", "BillingCountryCode"));
    }
    if profile.record_types() {
        keys.push(("opportunity_record_type", PARTNER_RECORD_TYPE));
    }
    if !profile.multi_currency() {
        keys.push(("currency_field", ""));
        keys.push(("org_currency", CORPORATE_CURRENCY));
    }
    keys
}

/// `[server.sign_in]` against the Partner Center emulator's tenant (the same
/// app registration serves), letting in the demo admins' group: the
/// emulator's [`DEMO_ADMIN`](emulator::partner_center::DEMO_ADMIN) can sign
/// in, [`DEMO_SELLER`](emulator::partner_center::DEMO_SELLER) is refused.
pub fn sign_in_section(pc: &PartnerCenterEmulator) -> String {
    let options = PcOptions::default();
    format!(
        r#"
[server.sign_in]
login_url = "{login}"
tenant = "{tenant}"
client_id = "{client}"
allowed_groups = ["{group}"]
"#,
        login = pc.url(),
        tenant = options.tenant,
        client = options.client_id,
        group = emulator::partner_center::DEMO_ADMINS_GROUP,
    )
}

/// Writes the Partner Center emulator's CA into `dir`; returns its path.
pub fn write_ca(pc: &PartnerCenterEmulator, dir: &Path) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join("partner-center-ca.pem");
    std::fs::write(&path, pc.ca_pem())?;
    Ok(path)
}

/// The EventBridge API-destination key emulated runs use
/// (`COSELL_AWS_WEBHOOK_KEY`); the AWS emulator sends it with every event.
pub const AWS_WEBHOOK_KEY: &str = "cosell-emulated-eventbridge-key";
/// The header it rides in.
pub const AWS_WEBHOOK_HEADER: &str = "x-api-key";

/// An `[aws]` section for the running AWS emulator: its Sandbox catalog and
/// first solution, calls unpaced, the reconcile poll every
/// `reconcile_seconds`.
pub fn aws_section(aws: &AwsEmulator, reconcile_seconds: u64) -> String {
    let solution = aws.options().solutions.first().cloned().unwrap_or_default();
    format!(
        r#"
[aws]
enabled = true
catalog = "Sandbox"
endpoint_url = "{url}"
reads_per_second = 1000
writes_per_second = 1000
reconcile_seconds = {reconcile_seconds}
webhook_header = "{AWS_WEBHOOK_HEADER}"
solution_ids = ["{solution}"]
"#,
        url = aws.url(),
    )
}

/// Makes a loaded configuration sign AWS calls with the emulator's key
/// (a file always names the standard chain).
pub fn use_emulator_keys(config: &mut Config, aws: &AwsEmulator) {
    if let (Some(section), Some(key)) = (config.aws.as_mut(), aws.options().credentials.first()) {
        section.credentials = AwsCredentials::Static {
            access_key_id: key.access_key_id.clone(),
            secret_access_key: key.secret_access_key.clone().into(),
        };
    }
}

/// Has the AWS emulator deliver its events to `webhook_url` the way an
/// EventBridge API destination with the emulated key would.
pub fn route_aws_events(aws: &AwsEmulator, webhook_url: &str) {
    aws.set_event_target(Some(EventTarget {
        url: webhook_url.to_owned(),
        header_name: AWS_WEBHOOK_HEADER.to_owned(),
        header_value: AWS_WEBHOOK_KEY.to_owned(),
    }));
}
