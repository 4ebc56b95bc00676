//! `cosell login partner-center -c FILE`: signs the Referrals admin in with
//! Entra's device code flow (the person opens the page, enters the code and
//! completes MFA), then keeps the refresh token sealed in the store, where
//! `cosell run` picks it up and saves every rotated successor.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use partner_center::device_code::{self, PollOutcome, SLOW_DOWN_STEP};
use partner_center::vault::has_mfa_claim;
use secrecy::ExposeSecret;

use crate::commands::ConfigArgs;
use crate::config::Config;
use crate::connect;
use crate::credentials::{StoreVault, PC_REFRESH_TOKEN};

/// Delegated scope of the sign-in (`offline_access` for a refresh token).
const SCOPE: &str = "https://api.partner.microsoft.com/.default offline_access";
/// Timeout of one request to Entra.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Wait before polling again after a transient failure.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// `cosell login partner-center`.
#[derive(Debug, Clone, Args)]
pub struct LoginPartnerCenterArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// `cosell login partner-center`.
pub async fn run(args: LoginPartnerCenterArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    partner_center(&config, &mut std::io::stdout()).await
}

/// Signs in to Partner Center, telling the person what to do on `out`.
pub async fn partner_center(config: &Config, out: &mut dyn Write) -> Result<()> {
    let key = config.store.key.clone().context(
        "cosell keeps the refresh token sealed in the store: set COSELL_STORE_KEY (or COSELL_STORE_KEY_FILE); \
         `cosell setup store-key` makes one",
    )?;
    let store = connect::store(config).await?;
    let pc = &config.partner_center;
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let authorization = device_code::start(&http, &pc.token_url, &pc.client_id, SCOPE)
        .await
        .context("Entra refused to start the sign-in")?;
    writeln!(
        out,
        "To sign in as the Referrals admin, open {} and enter the code {}\n\
         (sign in with MFA: Partner Center refuses App+User calls without it).\n\
         Waiting for the sign-in; the code expires in {} minutes...",
        authorization.verification_uri,
        authorization.user_code,
        authorization.expires_in.div_ceil(60)
    )?;
    out.flush()?;
    let mut interval = Duration::from_secs(authorization.interval);
    let deadline = Instant::now() + Duration::from_secs(authorization.expires_in);
    let signed_in = loop {
        tokio::time::sleep(interval).await;
        let poll = device_code::poll(
            &http,
            &pc.token_url,
            &pc.client_id,
            pc.client_secret.as_ref(),
            &authorization,
        )
        .await;
        match poll {
            Ok(PollOutcome::Pending) => {}
            Ok(PollOutcome::SlowDown) => interval += SLOW_DOWN_STEP,
            Ok(PollOutcome::SignedIn(tokens)) => break tokens,
            Ok(PollOutcome::Declined) => bail!(
                "the sign-in was declined; run `cosell login partner-center` again and approve the request"
            ),
            Ok(PollOutcome::Expired) => bail!(
                "the code expired before anyone signed in; run `cosell login partner-center` again"
            ),
            Err(e) if e.is_transient() && Instant::now() < deadline => {
                writeln!(out, "Entra is not answering ({e}); still waiting...")?;
                tokio::time::sleep(RETRY_AFTER_FAILURE).await;
            }
            Err(e) => return Err(e).context("the sign-in failed"),
        }
    };
    let mfa = has_mfa_claim(signed_in.access_token.expose_secret());
    StoreVault::new(store, key, PC_REFRESH_TOKEN)
        .sign_in(&signed_in.refresh_token, mfa)
        .await
        .context("could not store the refresh token")?;
    writeln!(
        out,
        "Signed in. The refresh token is stored sealed in the store; `cosell run` uses it from now on."
    )?;
    if mfa == Some(false) {
        writeln!(
            out,
            "Warning: this sign-in did not use MFA (no `mfa` in the token's amr claim). Since 1 April 2026 \
             Partner Center refuses App+User calls without MFA; sign in again with MFA."
        )?;
    }
    Ok(())
}
