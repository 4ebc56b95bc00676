//! `cosell emulator partner-center|salesforce|aws`: runs one strict emulator on
//! its own until Ctrl-C, printing its URLs, its demo credentials (they exist
//! only in the emulator, so showing them is the point) and the configuration
//! that points cosell at it.

use std::path::PathBuf;

use anyhow::Context;
use tokio::net::TcpListener;

use emulator::aws::{AwsEmulator, EventTarget, Options as AwsOptions};
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator, Rules as PcRules};
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};

use crate::cli::{AwsEmulatorArgs, PartnerCenterEmulatorArgs, SalesforceEmulatorArgs};
use crate::config::secrets;
use crate::service::shutdown;

/// Runs the Partner Center emulator until Ctrl-C.
pub async fn partner_center(args: PartnerCenterEmulatorArgs) -> anyhow::Result<()> {
    let defaults = PcOptions::default();
    let options = PcOptions {
        client_id: args.client_id.unwrap_or(defaults.client_id.clone()),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret.clone()),
        refresh_token: args.refresh_token.unwrap_or(defaults.refresh_token.clone()),
        tenant: args.tenant.unwrap_or(defaults.tenant.clone()),
        rules: PcRules {
            odata: args.odata,
            ..defaults.rules.clone()
        },
        ..defaults
    };
    let odata = options.rules.odata;
    let listener = bind(args.listen).await?;
    let (client_id, client_secret, refresh_token) = (
        options.client_id.clone(),
        options.client_secret.clone(),
        options.refresh_token.clone(),
    );
    let emulator = PartnerCenterEmulator::start(listener, options)
        .await
        .context("cannot start the Partner Center emulator")?;
    let ca_file = write_ca(&emulator)?;
    let url = emulator.url();
    let tls_ca_file = write_pem(&url, "pc", &emulator.tls_ca_pem())?;
    println!("Partner Center emulator on {url}");
    println!(
        "  also HTTPS      {} (CA {})",
        emulator.https_url(),
        tls_ca_file.display()
    );
    println!("  token endpoint  {}", emulator.token_url());
    println!(
        "  Referrals API   {} ($filter: {odata})",
        emulator.referrals_url()
    );
    println!("  Webhooks API    {}", emulator.webhooks_url());
    println!("  webhook CA      {}", ca_file.display());
    println!("demo credentials (valid only against this emulator):");
    println!("  client id       {client_id}");
    println!("  client secret   {client_secret}");
    println!("  refresh token   {refresh_token}");
    println!("\n# cosell.toml");
    println!("[partner_center]");
    println!("api_url = \"{}\"", emulator.referrals_url());
    println!("webhooks_url = \"{}\"", emulator.webhooks_url());
    println!("token_url = \"{}\"", emulator.token_url());
    println!("client_id = \"{client_id}\"");
    println!(
        "webhook_cert_url_prefixes = [\"{url}{}\"]",
        crate::emulated::PC_CERT_PATH
    );
    println!("webhook_trust_anchors_file = \"{}\"", ca_file.display());
    // Dashboard sign-in against the emulated tenant (pick a user on its page).
    print!("{}", crate::emulated::sign_in_section(&emulator));
    println!("\n# environment");
    println!("export {}={client_secret}", secrets::PC_CLIENT_SECRET);
    println!("export {}={client_secret}", secrets::SIGN_IN_CLIENT_SECRET);
    println!("export {}={refresh_token}", secrets::PC_REFRESH_TOKEN);
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(%url, "partner center emulator started");
    shutdown::signal().await;
    drop(emulator);
    Ok(())
}

/// Runs the Salesforce emulator until Ctrl-C.
pub async fn salesforce(args: SalesforceEmulatorArgs) -> anyhow::Result<()> {
    let defaults = SfOptions::for_profile(args.profile);
    let options = SfOptions {
        client_id: args.client_id.unwrap_or(defaults.client_id.clone()),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret.clone()),
        username: args.username.unwrap_or(defaults.username.clone()),
        password: args.password.unwrap_or(defaults.password.clone()),
        bare: args.bare,
        daily_api_limit: args.daily_limit.unwrap_or(defaults.daily_api_limit),
        ..defaults
    };
    let listener = bind(args.listen).await?;
    let shown = options.clone();
    let emulator = SalesforceEmulator::start(listener, options)
        .await
        .context("cannot start the Salesforce emulator")?;
    let url = emulator.url();
    let tls_ca_file = write_pem(&url, "sf", &emulator.tls_ca_pem())?;
    println!("Salesforce emulator on {url}");
    println!(
        "  also HTTPS      {} (CA {})",
        emulator.https_url(),
        tls_ca_file.display()
    );
    println!("  login URL       {url} (My Domain: every OAuth flow is served)");
    println!("  token endpoint  {url}/services/oauth2/token");
    println!(
        "  REST API        {url}/services/data/v{}.0 (v{}.0 to v{}.0)",
        shown.max_api_version, shown.min_api_version, shown.max_api_version
    );
    println!(
        "  org             {}",
        if shown.bare {
            "bare: run `cosell setup salesforce` to create the connector's fields"
        } else {
            "with the connector's fields and object"
        }
    );
    println!("  profile         {}", shown.profile);
    println!(
        "  API limit       {} requests per 24 hours",
        shown.daily_api_limit
    );
    println!("demo credentials (valid only against this emulator):");
    println!("  consumer key    {}", shown.client_id);
    println!("  consumer secret {}", shown.client_secret);
    println!("  username        {}", shown.username);
    println!("  password        {}", shown.password);
    println!("\n# cosell.toml");
    println!("[salesforce]");
    println!("login_url = \"{url}\"");
    println!("auth = \"password\"");
    println!("client_id = \"{}\"", shown.client_id);
    println!("username = \"{}\"", shown.username);
    if shown.profile.country_picklists() || shown.profile.record_types() {
        // What this org's picklists and sales processes need (setup checks both).
        println!("\n[sync]");
        if shown.profile.country_picklists() {
            println!("country_code_field = \"BillingCountryCode\"");
        }
        if shown.profile.record_types() {
            println!("opportunity_record_type = \"Partner_Deal\"");
        }
    }
    println!("\n# environment");
    println!(
        "export {}={}",
        secrets::SF_CLIENT_SECRET,
        shown.client_secret
    );
    println!("export {}={}", secrets::SF_PASSWORD, shown.password);
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(%url, "salesforce emulator started");
    shutdown::signal().await;
    drop(emulator);
    Ok(())
}

/// Runs the AWS Partner Central emulator until Ctrl-C.
pub async fn aws(args: AwsEmulatorArgs) -> anyhow::Result<()> {
    let event_target = args.events_url.map(|url| EventTarget {
        url,
        header_name: args.events_header,
        header_value: args.events_api_key.unwrap_or_default(),
    });
    let options = AwsOptions {
        event_target,
        ..AwsOptions::default()
    };
    let listener = bind(args.listen).await?;
    let emulator = AwsEmulator::start(listener, options)
        .await
        .context("cannot start the AWS Partner Central emulator")?;
    let url = emulator.url();
    let tls_ca_file = write_pem(&url, "aws", &emulator.tls_ca_pem())?;
    let shown = emulator.options();
    println!("AWS Partner Central emulator on {url}");
    println!(
        "  also HTTPS      {} (CA {})",
        emulator.https_url(),
        tls_ca_file.display()
    );
    println!(
        "  Selling API     POST {url}/ (AWS JSON 1.0, SigV4 service {}, region {})",
        emulator::aws::SIGNING_NAME,
        shown.region
    );
    println!("  catalogs        AWS, Sandbox");
    println!("  AWS side        {url}/_emulator/aws/... (review, aws-update, invitations)");
    match &shown.event_target {
        Some(t) => println!(
            "  events          POST {} (header {})",
            t.url, t.header_name
        ),
        None => println!("  events          not delivered (use --events-url)"),
    }
    println!("demo credentials (valid only against this emulator):");
    for c in &shown.credentials {
        println!("  account {}", c.account_id);
        println!("  export AWS_ACCESS_KEY_ID={}", c.access_key_id);
        println!("  export AWS_SECRET_ACCESS_KEY={}", c.secret_access_key);
    }
    println!("  export AWS_REGION={}", shown.region);
    println!("  export AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING={url}");
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(%url, "aws partner central emulator started");
    shutdown::signal().await;
    drop(emulator);
    Ok(())
}

/// Binds the listen address, saying which one failed.
async fn bind(addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Saves the emulator's CA certificate, which `webhook_trust_anchors_file`
/// must name for cosell to accept the emulator's signed webhooks.
fn write_ca(emulator: &PartnerCenterEmulator) -> anyhow::Result<PathBuf> {
    let port = url::Url::parse(&emulator.url())
        .ok()
        .and_then(|u| u.port())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!("cosell-pc-emulator-{port}-ca.pem"));
    std::fs::write(&path, emulator.ca_pem())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Saves the CA of the emulator's HTTPS side (same port as HTTP) for
/// clients that only speak `https://`, such as simple-salesforce and MSAL.
fn write_pem(url: &str, emulator: &str, pem: &str) -> anyhow::Result<PathBuf> {
    let port = url::Url::parse(url)
        .ok()
        .and_then(|u| u.port())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!("cosell-{emulator}-emulator-{port}-tls-ca.pem"));
    std::fs::write(&path, pem).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
