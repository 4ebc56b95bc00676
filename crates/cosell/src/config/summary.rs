//! The summary `cosell config check` prints: every effective setting, where
//! each secret comes from, and the warnings. Secret values never appear.

use std::fmt::Write;

use super::{AwsConfig, Config, SalesforceCredentials};

/// Renders the summary.
pub(crate) fn render(c: &Config) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_summary(&mut out, c);
    out
}

fn write_summary(out: &mut String, c: &Config) -> std::fmt::Result {
    if let Some(source) = &c.source {
        writeln!(out, "configuration {} is valid", source.display())?;
    } else {
        writeln!(out, "configuration is valid")?;
    }

    let pc = &c.partner_center;
    writeln!(out, "\n[partner_center]")?;
    writeln!(out, "  api_url          {}", pc.api_url)?;
    writeln!(out, "  webhooks_url     {}", pc.webhooks_url)?;
    writeln!(out, "  token_url        {}", pc.token_url)?;
    writeln!(out, "  client_id        {}", pc.client_id)?;
    writeln!(
        out,
        "  client_secret    {}",
        if pc.client_secret.is_some() {
            "set"
        } else {
            "not set (public client)"
        }
    )?;
    writeln!(
        out,
        "  refresh_token    {}",
        if pc.refresh_token.is_some() {
            "set (seeds the store on a first start)"
        } else {
            "from the store (`cosell login partner-center`)"
        }
    )?;
    writeln!(
        out,
        "  webhook certs    {}",
        pc.webhook_cert_url_prefixes.join(", ")
    )?;
    match &pc.webhook_trust_anchors_file {
        Some(path) => writeln!(out, "  trust anchors    {}", path.display())?,
        None => writeln!(
            out,
            "  trust anchors    none: webhooks are rejected (fail closed)"
        )?,
    }
    writeln!(out, "  issuer org       {}", pc.webhook_issuer_organization)?;
    writeln!(out, "  portal_url       {}", pc.portal_url)?;

    let sf = &c.salesforce;
    writeln!(out, "\n[salesforce]")?;
    writeln!(out, "  login_url        {}", sf.login_url)?;
    writeln!(out, "  auth             {}", sf.auth())?;
    writeln!(out, "  client_id        {}", sf.client_id)?;
    if let Some(username) = sf.username() {
        writeln!(out, "  username         {username}")?;
    }
    if let SalesforceCredentials::JwtBearer {
        private_key_file, ..
    } = &sf.credentials
    {
        writeln!(
            out,
            "  private_key_file {} (PEM private key)",
            private_key_file.display()
        )?;
    }
    writeln!(out, "  api_version      {}", sf.api_version)?;

    let s = &c.sync;
    writeln!(out, "\n[sync]")?;
    writeln!(out, "  active_stage     {:?}", s.active_stage)?;
    writeln!(out, "  on_hold_stage    {:?}", s.on_hold_stage)?;
    writeln!(
        out,
        "  won_stage        {}",
        stage_or_discovered(s.won_stage.as_deref())
    )?;
    writeln!(
        out,
        "  lost_stage       {}",
        stage_or_discovered(s.lost_stage.as_deref())
    )?;
    if let Some(record_type) = &s.opportunity_record_type {
        writeln!(out, "  record type      {record_type}")?;
    }
    writeln!(out, "  show_checkmark   {}", s.show_checkmark)?;
    writeln!(out, "  co_sell_only     {}", s.co_sell_only)?;
    writeln!(out, "  country field    Account.{}", s.country_code_field)?;
    writeln!(out, "  deal value field Opportunity.{}", s.deal_value_field)?;
    if s.currency_field.is_empty() {
        writeln!(
            out,
            "  currency field   none (single-currency org in {})",
            s.org_currency.as_deref().unwrap_or("?")
        )?;
    } else {
        writeln!(out, "  currency field   Opportunity.{}", s.currency_field)?;
    }
    let f = &s.fields;
    writeln!(
        out,
        "  fields           {}",
        f.opportunity_fields().join(", ")
    )?;
    writeln!(
        out,
        "  solutions        {} ({} -> Opportunity, id in {})",
        f.solution_object, f.solution_opportunity_field, f.solution_id_field
    )?;
    writeln!(
        out,
        "  FY26 co-sell     {}, {}, {}, {}",
        f.partner_role, f.solution_area, f.solution_play, f.marketplace_intent
    )?;
    for m in &s.mappings {
        writeln!(
            out,
            "  mapping          {} <-> Opportunity.{} ({:?})",
            m.referral_path, m.salesforce_field, m.direction
        )?;
    }

    writeln!(
        out,
        "\n[store]\n  url              {}",
        c.store.url.redacted()
    )?;
    writeln!(
        out,
        "  credentials      {}",
        if c.store.key.is_some() {
            "kept sealed in the store (COSELL_STORE_KEY)"
        } else {
            "in memory only: set COSELL_STORE_KEY to keep rotated tokens across restarts"
        }
    )?;

    let srv = &c.server;
    writeln!(out, "\n[server]")?;
    writeln!(out, "  listen           {} (webhook, /healthz)", srv.listen)?;
    writeln!(
        out,
        "  admin            {} (dashboard, /api, /metrics, /readyz) at {}",
        srv.admin_listen,
        srv.admin_base()
    )?;
    match srv.webhook_url() {
        Some(url) => writeln!(out, "  webhook URL      {url}")?,
        None => writeln!(out, "  public_url       not set")?,
    }
    writeln!(
        out,
        "  body limit       {} bytes",
        srv.webhook_body_limit_bytes
    )?;
    writeln!(
        out,
        "  connections      at most {} ({} per IP); headers within {}s, body pieces within {}s",
        srv.max_connections,
        srv.max_connections_per_ip,
        srv.header_read_timeout.as_secs(),
        srv.body_read_timeout.as_secs()
    )?;
    match &srv.sign_in {
        Some(s) => writeln!(
            out,
            "  sign-in          Entra ID {} as app {}: {} people, {} groups allowed; register {}",
            s.authority,
            s.client_id,
            s.allowed_users.len(),
            s.allowed_groups.len(),
            s.redirect_url
        )?,
        None => writeln!(
            out,
            "  sign-in          off: the dashboard answers anyone who reaches the admin listener"
        )?,
    }

    let w = &c.worker;
    writeln!(out, "\n[worker]")?;
    writeln!(
        out,
        "  concurrency {}, batch_size {}, max_attempts {}, lease {}s",
        w.concurrency, w.batch_size, w.max_attempts, w.lease_seconds
    )?;
    writeln!(
        out,
        "  salesforce poll every {}s (overlap {}s), partner center reconcile every {}s",
        w.salesforce_poll_seconds, w.poll_overlap_seconds, w.partner_center_reconcile_seconds
    )?;

    write_aws(out, c.aws.as_ref())?;

    writeln!(out, "\nsecrets (values not shown)")?;
    if c.secret_origins.is_empty() {
        writeln!(out, "  none")?;
    }
    for origin in &c.secret_origins {
        writeln!(out, "  from {origin}")?;
    }

    if !c.warnings.is_empty() {
        writeln!(out, "\nwarnings")?;
        for warning in &c.warnings {
            writeln!(out, "  - {warning}")?;
        }
    }
    Ok(())
}

/// `[aws]`: its settings, never the webhook key's value.
fn write_aws(out: &mut String, aws: Option<&AwsConfig>) -> std::fmt::Result {
    writeln!(out, "\n[aws]")?;
    let Some(aws) = aws else {
        return writeln!(out, "  off (enabled = false)");
    };
    let (s, client) = (&aws.settings, &aws.client);
    writeln!(
        out,
        "  catalog          {} in {} via {}",
        s.catalog,
        client.region,
        client.endpoint_url.as_deref().unwrap_or("AWS's endpoint")
    )?;
    writeln!(
        out,
        "  credentials      the standard AWS chain (environment, profile, role)"
    )?;
    writeln!(
        out,
        "  pace             {} reads, {} writes per second; reconcile every {}s",
        client.reads_per_second,
        client.writes_per_second,
        aws.reconcile.as_secs()
    )?;
    writeln!(
        out,
        "  webhook          key in header {} (COSELL_AWS_WEBHOOK_KEY)",
        aws.webhook_header
    )?;
    writeln!(out, "  solutions        {}", s.solution_ids.join(", "))?;
    writeln!(
        out,
        "  submission       {}, {} visibility, type {}",
        s.involvement, s.visibility, s.opportunity_type
    )?;
    for (salesforce, stage) in &s.stages {
        writeln!(out, "  stage            {salesforce:?} -> {stage:?}")?;
    }
    let names: Vec<String> = s.fields.entries().into_iter().map(|(_, n)| n).collect();
    writeln!(out, "  fields           {}", names.join(", "))
}

fn stage_or_discovered(stage: Option<&str>) -> String {
    match stage {
        Some(stage) => format!("{stage:?}"),
        None => "discovered from OpportunityStage".to_owned(),
    }
}
