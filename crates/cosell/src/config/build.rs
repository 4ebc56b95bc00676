//! Turns the parsed file into a [`Config`]: applies defaults, checks every
//! value, resolves secrets. Problems are collected, not stopped at, so one
//! `cosell config check` lists them all.

mod aws;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::defaults::{self as d, text as default_text};
use super::error::Issue;
use super::file::{
    PartnerCenterFile, SalesforceFile, ServerFile, SignInFile, StoreFile, WorkerFile,
};
use super::mapping;
use super::parse::Parsed;
use super::secrets::{self, EnvSource, SecretOrigin};
use sync::settings::FieldNames;

use super::values::{
    https_url, in_range, is_loopback, pem_kind, socket_addr, ApiName, ApiVersion, PemKind, StoreUrl,
};
use super::{
    Config, PartnerCenterConfig, SalesforceAuth, SalesforceConfig, SalesforceCredentials,
    ServerConfig, SignInConfig, StoreConfig, Warning, WorkerConfig, SIGN_IN_CALLBACK_PATH,
};

/// Why `auth = "password"` is warned about: Salesforce retires the OAuth
/// username-password flow on 2027-02-20.
const PASSWORD_FLOW_RETIRES: &str = "\"password\" (the OAuth username-password flow) stops working on 2027-02-20; \
     switch to \"jwt_bearer\" or \"client_credentials\" with an External Client App (docs/OPERATIONS.md)";

/// Salesforce login hosts that do not serve the client credentials flow
/// (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_endpoints.htm>: it works only on the My Domain host).
const SHARED_SF_LOGIN_HOSTS: [&str; 2] = ["login.salesforce.com", "test.salesforce.com"];

/// Checks everything; every problem found is returned.
pub(crate) fn build(
    parsed: Parsed,
    base_dir: &Path,
    env: &dyn EnvSource,
) -> Result<Config, Vec<Issue>> {
    let Parsed { file, missing } = parsed;
    let mut b = Builder {
        base_dir,
        env,
        missing,
        issues: Vec::new(),
        warnings: Vec::new(),
        origins: Vec::new(),
    };
    let partner_center = b.partner_center(file.partner_center);
    let salesforce = b.salesforce(file.salesforce);
    let mut sync = b.sync(file.sync);
    match (&mut sync, mapping::check(file.mapping)) {
        (Some(sync), Ok(mappings)) => {
            let reserved = mapping::reserved_salesforce_fields(sync);
            for (i, m) in mappings.iter().enumerate() {
                if reserved
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&m.salesforce_field))
                {
                    b.issues.push(Issue::new(
                        format!("mapping[{i}].salesforce"),
                        format!("{} is already synced by the connector", m.salesforce_field),
                        "map another field; the connector's own fields are set in [sync] and [sync.fields]",
                    ));
                }
            }
            sync.mappings = mappings;
        }
        (_, Err(issues)) => b.issues.extend(issues),
        (None, Ok(_)) => {}
    }
    let store = b.store(file.store);
    let server = b.server(file.server);
    let worker = b.worker(file.worker);
    let aws = b.aws(file.aws);
    b.warn_unused_secrets(salesforce.as_ref().map(SalesforceConfig::auth));
    match (partner_center, salesforce, sync, store, server, worker, aws) {
        (
            Some(partner_center),
            Some(salesforce),
            Some(sync),
            Some(store),
            Some(server),
            Some(worker),
            Some(aws),
        ) if b.issues.is_empty() => Ok(Config {
            sync: sync::Settings {
                portal_url: partner_center.portal_url.to_string(),
                ..sync
            },
            partner_center,
            salesforce,
            store,
            server,
            worker,
            aws,
            source: None,
            warnings: b.warnings,
            secret_origins: b.origins,
        }),
        _ => {
            if b.issues.is_empty() {
                // Every None above pushed an issue; this keeps a bug from
                // surfacing as an empty error list.
                b.issues.push(Issue::new(
                    "",
                    "the configuration could not be checked",
                    "report this as a bug",
                ));
            }
            Err(b.issues)
        }
    }
}

/// Collects problems, warnings and secret origins while checking.
struct Builder<'a> {
    base_dir: &'a Path,
    env: &'a dyn EnvSource,
    /// Keys without a value or a default (see [`Parsed::missing`]).
    missing: Vec<String>,
    issues: Vec<Issue>,
    warnings: Vec<Warning>,
    origins: Vec<SecretOrigin>,
}

impl Builder<'_> {
    /// Keeps an `Ok`, records an `Err`.
    fn ok<T>(&mut self, result: Result<T, Issue>) -> Option<T> {
        result.map_err(|issue| self.issues.push(issue)).ok()
    }

    fn warn(&mut self, key: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            key: key.to_owned(),
            message: message.into(),
        });
    }

    /// A required, non-blank string.
    fn required(&mut self, key: &str, value: Option<String>, fix: &str) -> Option<String> {
        let value = value.filter(|_| !self.missing.iter().any(|m| m == key));
        match value.map(|v| v.trim().to_owned()) {
            Some(v) if !v.is_empty() => Some(v),
            Some(_) => self.ok(Err(Issue::new(key, "is empty", fix))),
            None => self.ok(Err(Issue::new(key, "is missing", fix))),
        }
    }

    /// An https URL; the key's default is the example in the fix.
    fn url(&mut self, key: &str, value: &str) -> Option<Url> {
        self.ok(https_url(key, value, default_text(key)))
    }

    /// A path relative to the config file's directory.
    fn path(&self, value: &str) -> PathBuf {
        self.base_dir.join(value.trim())
    }

    /// A secret that must be present.
    fn required_secret(&mut self, var: &'static str, why: &str) -> Option<SecretString> {
        match self.optional_secret(var) {
            Some(secret) => Some(secret),
            None if self.issues.iter().any(|i| i.key.starts_with(var)) => None,
            None => self.ok(Err(Issue::new(
                var,
                format!("is not set; {why}"),
                format!(
                    "export {var}=<value>, or set {var}{} to a file holding it",
                    secrets::FILE_SUFFIX
                ),
            ))),
        }
    }

    /// A secret that may be absent.
    /// Whether `COSELL_STORE_KEY` (or its `_FILE`) is set, valid or not.
    fn store_key_set(&self) -> bool {
        [
            secrets::STORE_KEY.to_owned(),
            format!("{}{}", secrets::STORE_KEY, secrets::FILE_SUFFIX),
        ]
        .iter()
        .any(|var| self.env.var(var).is_some())
    }

    fn optional_secret(&mut self, var: &'static str) -> Option<SecretString> {
        let resolved = self.ok(secrets::resolve(self.env, var))??;
        self.origins.push(resolved.origin);
        Some(resolved.value)
    }

    fn partner_center(&mut self, f: PartnerCenterFile) -> Option<PartnerCenterConfig> {
        let api_url = self.url("partner_center.api_url", &f.api_url);
        let webhooks_url = self.url("partner_center.webhooks_url", &f.webhooks_url);
        let token_url = self.token_url(f.token_url);
        let client_id = self.required(
            "partner_center.client_id",
            f.client_id,
            "set it to the Application (client) ID of your Entra app registration, e.g. \"00000000-0000-0000-0000-000000000000\"",
        );
        let client_secret = self.optional_secret(secrets::PC_CLIENT_SECRET);
        // With a store key the token may come from `cosell login` instead.
        let refresh_token = if self.store_key_set() {
            self.optional_secret(secrets::PC_REFRESH_TOKEN).map(Some)
        } else {
            self.required_secret(
                secrets::PC_REFRESH_TOKEN,
                "the Referrals API accepts only delegated (app + user) tokens, minted from the Referrals admin's refresh token \
                 (or set COSELL_STORE_KEY and run `cosell login partner-center`)",
            )
            .map(Some)
        };
        let prefixes = f.webhook_cert_url_prefixes;
        let key = "partner_center.webhook_cert_url_prefixes";
        let default_prefix = d::value(key)
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let prefixes_ok = if prefixes.is_empty() {
            self.ok(Err(Issue::new(
                key,
                "is empty, so no webhook could ever be verified",
                format!("remove it to use the default [\"{default_prefix}\"]"),
            )))
        } else {
            let checked: Vec<_> = prefixes
                .iter()
                .enumerate()
                .map(|(i, p)| self.ok(https_url(&format!("{key}.{i}"), p, default_prefix)))
                .collect();
            checked.iter().all(Option::is_some).then_some(())
        };
        let trust_anchors = self.trust_anchors(f.webhook_trust_anchors_file);
        const ISSUER: &str = "partner_center.webhook_issuer_organization";
        let issuer = self.required(
            ISSUER,
            Some(f.webhook_issuer_organization),
            &format!("remove it to use the default \"{}\"", default_text(ISSUER)),
        );
        let portal_url = self.url("partner_center.portal_url", &f.portal_url);
        prefixes_ok?;
        Some(PartnerCenterConfig {
            api_url: api_url?,
            webhooks_url: webhooks_url?,
            token_url: token_url?,
            client_id: client_id?,
            client_secret,
            refresh_token: refresh_token.flatten(),
            webhook_cert_url_prefixes: prefixes,
            webhook_trust_anchors_file: trust_anchors?,
            webhook_issuer_organization: issuer?,
            portal_url: portal_url?,
        })
    }

    /// `partner_center.token_url`: required; on Microsoft's host it must be the
    /// tenant's v2 endpoint.
    fn token_url(&mut self, value: Option<String>) -> Option<Url> {
        const KEY: &str = "partner_center.token_url";
        const EXAMPLE: &str =
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
        let fix = format!(
            "set it to https://login.microsoftonline.com/{{tenant}}/oauth2/v2.0/token with your tenant id or domain, e.g. \"{EXAMPLE}\""
        );
        let value = self.required(KEY, value, &fix)?;
        let url = self.ok(https_url(KEY, &value, EXAMPLE))?;
        if url.host_str() == Some(d::ENTRA_LOGIN_HOST) {
            let segments: Vec<&str> = url
                .path_segments()
                .map(Iterator::collect)
                .unwrap_or_default();
            // The URL parser percent-encodes braces: `{tenant}` arrives as `%7Btenant%7D`.
            let placeholder = |t: &str| {
                t.is_empty()
                    || t.contains('{')
                    || t.contains("%7B")
                    || t.eq_ignore_ascii_case("tenant")
            };
            match segments.as_slice() {
                [tenant, "oauth2", "v2.0", "token"] if !placeholder(tenant) => {}
                [tenant, ..] if placeholder(tenant) => {
                    return self.ok(Err(Issue::new(
                        KEY,
                        "still holds the {tenant} placeholder",
                        fix,
                    )));
                }
                _ => {
                    return self.ok(Err(Issue::new(
                        KEY,
                        format!("{value:?} is not an Entra ID v2 token endpoint"),
                        fix,
                    )))
                }
            }
        }
        Some(url)
    }

    /// `partner_center.webhook_trust_anchors_file`: optional PEM of CA certificates.
    fn trust_anchors(&mut self, value: Option<String>) -> Option<Option<PathBuf>> {
        const KEY: &str = "partner_center.webhook_trust_anchors_file";
        let Some(value) = value else {
            self.warn(
                KEY,
                "is not set: no trust anchor, so every Partner Center webhook is rejected (fail closed) and changes arrive only through the reconcile poll; set it to a PEM file of the CA certificates that issue Partner Center's signing certificate",
            );
            return Some(None);
        };
        let path = self.path(&value);
        let fix = "set it to a PEM file holding one or more -----BEGIN CERTIFICATE----- blocks";
        match std::fs::read_to_string(&path) {
            Err(err) => self.ok(Err(Issue::new(
                KEY,
                format!("cannot read {}: {err}", path.display()),
                fix,
            ))),
            Ok(text) if pem_kind(&text) == PemKind::Certificates => Some(Some(path)),
            Ok(_) => self.ok(Err(Issue::new(
                KEY,
                format!(
                    "{} holds no PEM certificates (or holds something else too)",
                    path.display()
                ),
                fix,
            ))),
        }
    }

    fn salesforce(&mut self, f: SalesforceFile) -> Option<SalesforceConfig> {
        let auth = f.auth;
        let login_url = self.login_url(&f.login_url, auth);
        let client_id = self.required(
            "salesforce.client_id",
            f.client_id,
            "set it to the Consumer Key of your Salesforce connected app (Setup > App Manager > View > Manage Consumer Details)",
        );
        const API_VERSION: &str = "salesforce.api_version";
        let api_version = self.ok(ApiVersion::parse(f.api_version.trim()).map_err(|problem| {
            Issue::new(
                API_VERSION,
                problem,
                format!("write it as vNN.N, e.g. \"{}\"", default_text(API_VERSION)),
            )
        }));
        let needs_username = matches!(auth, SalesforceAuth::JwtBearer | SalesforceAuth::Password);
        let username = if needs_username {
            self.required(
                "salesforce.username",
                f.username,
                &format!("set it to the integration user's username, e.g. \"cosell@example.com\" (auth = \"{auth}\" signs in as this user)"),
            )
        } else {
            if f.username.is_some() {
                self.warn(
                    "salesforce.username",
                    format!("is not used with auth = \"{auth}\""),
                );
            }
            None
        };
        if auth != SalesforceAuth::JwtBearer && f.private_key_file.is_some() {
            self.warn(
                "salesforce.private_key_file",
                format!("is not used with auth = \"{auth}\""),
            );
        }
        let why = format!("salesforce.auth = \"{auth}\" needs it");
        let credentials = match auth {
            SalesforceAuth::JwtBearer => {
                let key = self.private_key(f.private_key_file);
                let (private_key_file, private_key_pem) = key?;
                SalesforceCredentials::JwtBearer {
                    username: username?,
                    private_key_file,
                    private_key_pem,
                }
            }
            SalesforceAuth::ClientCredentials => SalesforceCredentials::ClientCredentials {
                client_secret: self.required_secret(secrets::SF_CLIENT_SECRET, &why)?,
            },
            SalesforceAuth::RefreshToken => {
                let client_secret = self.required_secret(secrets::SF_CLIENT_SECRET, &why);
                // With a store key the token may come from `cosell login salesforce`.
                let refresh_token = if self.store_key_set() {
                    Some(self.optional_secret(secrets::SF_REFRESH_TOKEN))
                } else {
                    self.required_secret(
                        secrets::SF_REFRESH_TOKEN,
                        &format!(
                            "{why} (or set COSELL_STORE_KEY and run `cosell login salesforce`)"
                        ),
                    )
                    .map(Some)
                };
                SalesforceCredentials::RefreshToken {
                    client_secret: client_secret?,
                    refresh_token: refresh_token?,
                }
            }
            SalesforceAuth::Password => {
                self.warn("salesforce.auth", PASSWORD_FLOW_RETIRES);
                let client_secret = self.required_secret(secrets::SF_CLIENT_SECRET, &why);
                let password = self.required_secret(secrets::SF_PASSWORD, &why);
                SalesforceCredentials::Password {
                    username: username?,
                    client_secret: client_secret?,
                    password: password?,
                }
            }
        };
        Some(SalesforceConfig {
            login_url: login_url?,
            client_id: client_id?,
            api_version: api_version?,
            credentials,
        })
    }

    /// `salesforce.login_url`: an origin only; a My Domain for client credentials.
    fn login_url(&mut self, value: &str, auth: SalesforceAuth) -> Option<Url> {
        const KEY: &str = "salesforce.login_url";
        let url = self.url(KEY, value)?;
        if url.path() != "/" {
            return self.ok(Err(Issue::new(
                KEY,
                format!("\"{url}\" has a path"),
                format!(
                    "give only the login host, e.g. \"{}\" (sandbox: \"{}\"); cosell adds /services/oauth2/token itself",
                    default_text(KEY),
                    d::SF_SANDBOX_LOGIN_URL
                ),
            )));
        }
        let shared_host = url
            .host_str()
            .is_some_and(|h| SHARED_SF_LOGIN_HOSTS.contains(&h));
        if auth == SalesforceAuth::ClientCredentials && shared_host && !is_loopback(&url) {
            return self.ok(Err(Issue::new(
                KEY,
                "the client credentials flow only works on your org's My Domain, not on login.salesforce.com or test.salesforce.com",
                "set it to your My Domain URL, e.g. \"https://acme.my.salesforce.com\"",
            )));
        }
        Some(url)
    }

    /// `salesforce.private_key_file`: must exist and hold an unencrypted PEM
    /// private key. Its content is never shown.
    fn private_key(&mut self, value: Option<String>) -> Option<(PathBuf, SecretString)> {
        const KEY: &str = "salesforce.private_key_file";
        let fix = "set it to the PEM file of the private key whose certificate is uploaded to the connected app, e.g. \"salesforce-jwt.key\" (relative paths start from the config file's folder)";
        let value = self.required(KEY, value, fix)?;
        let path = self.path(&value);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => {
                return self.ok(Err(Issue::new(
                    KEY,
                    format!("cannot read {}: {err}", path.display()),
                    fix,
                )))
            }
        };
        let problem = match pem_kind(&text) {
            PemKind::PrivateKey => None,
            PemKind::EncryptedPrivateKey => Some((
                "the private key is encrypted with a passphrase, which an unattended service cannot type",
                "decrypt it, e.g. `openssl pkcs8 -topk8 -nocrypt -in enc.key -out salesforce-jwt.key`, and protect the file with permissions",
            )),
            PemKind::Certificates => Some((
                "the file holds a certificate, not the private key",
                "point it at the private key; the certificate is what you upload to the connected app",
            )),
            PemKind::Other => Some(("the file does not look like a PEM private key", fix)),
        };
        if let Some((problem, fix)) = problem {
            return self.ok(Err(Issue::new(
                KEY,
                format!("{}: {problem}", path.display()),
                fix,
            )));
        }
        self.warn_if_readable_by_others(KEY, &path);
        Some((path, SecretString::from(text)))
    }

    #[cfg(unix)]
    fn warn_if_readable_by_others(&mut self, key: &str, path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        /// Group and other permission bits.
        const GROUP_OTHER: u32 = 0o077;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & GROUP_OTHER != 0 {
                self.warn(
                    key,
                    format!(
                        "{} is readable by other users; run `chmod 600` on it",
                        path.display()
                    ),
                );
            }
        }
    }

    #[cfg(not(unix))]
    fn warn_if_readable_by_others(&mut self, _key: &str, _path: &Path) {}

    fn sync(&mut self, f: sync::Settings) -> Option<sync::Settings> {
        let active_stage = self.required(
            "sync.active_stage",
            Some(f.active_stage.clone()),
            "set it to the API name of your org's active stage, e.g. \"Qualification\"; moving an opportunity from the on-hold stage to it accepts the referral",
        );
        let on_hold_stage = self.required(
            "sync.on_hold_stage",
            Some(f.on_hold_stage.clone()),
            "set it to the API name of the stage for referrals not yet accepted, e.g. \"On Hold\" (create that stage in Salesforce if your org has none)",
        );
        let won_stage = self.optional_stage("sync.won_stage", f.won_stage.clone());
        let lost_stage = self.optional_stage("sync.lost_stage", f.lost_stage.clone());
        let stages = [
            ("sync.active_stage", active_stage.as_deref()),
            ("sync.on_hold_stage", on_hold_stage.as_deref()),
            ("sync.won_stage", won_stage.as_deref()),
            ("sync.lost_stage", lost_stage.as_deref()),
        ];
        for (i, (key, stage)) in stages.iter().enumerate() {
            let Some(stage) = stage else { continue };
            if let Some((other, _)) = stages[..i].iter().find(|(_, s)| *s == Some(*stage)) {
                self.issues.push(Issue::new(
                    *key,
                    format!("names the same stage as `{other}` ({stage:?})"),
                    "give each stage setting a different stage",
                ));
            }
        }
        let country = self.api_name("sync.country_code_field", &f.country_code_field, false);
        let deal_value = self.api_name("sync.deal_value_field", &f.deal_value_field, false);
        // An empty currency field means a single-currency org.
        let currency = if f.currency_field.trim().is_empty() {
            Some(String::new())
        } else {
            self.api_name("sync.currency_field", &f.currency_field, false)
        };
        let org_currency = self.org_currency(currency.as_deref(), f.org_currency.clone());
        let record_type = self.record_type(f.opportunity_record_type.clone());
        let fields = self.fields(f.fields.clone());
        Some(sync::Settings {
            active_stage: active_stage?,
            on_hold_stage: on_hold_stage?,
            won_stage,
            lost_stage,
            opportunity_record_type: record_type?,
            country_code_field: country?,
            deal_value_field: deal_value?,
            currency_field: currency?,
            org_currency: org_currency?,
            fields: fields?,
            ..f
        })
    }

    /// `sync.org_currency`: required exactly when the org has no currency
    /// field (`currency_field = ""`), an ISO 4217 code.
    fn org_currency(
        &mut self,
        currency_field: Option<&str>,
        value: Option<String>,
    ) -> Option<Option<String>> {
        const KEY: &str = "sync.org_currency";
        let single_currency = currency_field == Some("");
        let value = value.map(|v| v.trim().to_uppercase());
        let result = match (single_currency, value) {
            (true, Some(code)) if sync::iso::is_currency(&code) => Ok(Some(code)),
            (true, Some(code)) => Err(Issue::new(
                KEY,
                format!("\"{code}\" is not an ISO 4217 currency code"),
                "use your org's corporate currency (Setup > Company Information > Currency Locale), e.g. \"USD\"",
            )),
            (true, None) => Err(Issue::new(
                KEY,
                "is missing; sync.currency_field = \"\" says the org keeps every amount in one currency",
                "set it to your org's corporate currency (Setup > Company Information > Currency Locale), e.g. \"USD\"",
            )),
            (false, Some(_)) => Err(Issue::new(
                KEY,
                "applies only to single-currency orgs",
                "remove it, or set sync.currency_field = \"\" if the org has no multiple currencies",
            )),
            (false, None) => Ok(None),
        };
        self.ok(result)
    }

    /// An optional stage: absent means "discover it from OpportunityStage".
    fn optional_stage(&mut self, key: &str, value: Option<String>) -> Option<String> {
        let value = value?;
        self.required(
            key,
            Some(value),
            "set it to the API name of a closed stage, or remove it to use the org's default from OpportunityStage",
        )
    }

    /// `sync.opportunity_record_type`: a record type's developer name, if set.
    fn record_type(&mut self, value: Option<String>) -> Option<Option<String>> {
        let Some(value) = value else {
            return Some(None);
        };
        let result = ApiName::parse(value.trim(), false).map(|name| Some(name.to_string())).map_err(|problem| {
            Issue::new(
                "sync.opportunity_record_type",
                problem,
                "use the record type's API name from Setup > Object Manager > Opportunity > Record Types, e.g. \"Partner_Deal\", or remove it to use the integration user's default",
            )
        });
        self.ok(result)
    }

    /// A Salesforce API name; the key's default is the example in the fix.
    fn api_name(&mut self, key: &str, value: &str, custom_only: bool) -> Option<String> {
        let result = ApiName::parse(value.trim(), custom_only)
            .map(|name| name.to_string())
            .map_err(|problem| {
                Issue::new(
                    key,
                    problem,
                    format!(
                        "use the field's API name from Setup > Object Manager > Fields & Relationships, e.g. \"{}\"",
                        default_text(key)
                    ),
                )
            });
        self.ok(result)
    }

    /// `[sync.fields]`: every name a custom API name.
    fn fields(&mut self, names: FieldNames) -> Option<FieldNames> {
        self.custom_names("sync.fields", names.entries())
    }

    /// A section of field names (`section` is its dotted key): every name a
    /// custom API name, read back into the section's type.
    fn custom_names<T: serde::de::DeserializeOwned>(
        &mut self,
        section: &str,
        entries: Vec<(String, String)>,
    ) -> Option<T> {
        let checked: Vec<_> = entries
            .into_iter()
            .map(|(key, name)| {
                let name = self.api_name(&format!("{section}.{key}"), &name, true);
                (key, name)
            })
            .collect();
        let mut object = serde_json::Map::new();
        for (key, name) in checked {
            object.insert(key, serde_json::Value::String(name?));
        }
        serde_json::from_value(serde_json::Value::Object(object)).ok()
    }

    fn store(&mut self, f: StoreFile) -> Option<StoreConfig> {
        let url = self.ok(StoreUrl::parse("store.url", &f.url, self.base_dir));
        let key = self.optional_secret(secrets::STORE_KEY).and_then(|text| {
            let key = store::seal::CredentialKey::from_base64(text.expose_secret()).map_err(|e| {
                Issue::new(
                    secrets::STORE_KEY,
                    e.to_string(),
                    "generate one with `cosell setup store-key`",
                )
            });
            self.ok(key).map(Arc::new)
        });
        Some(StoreConfig { url: url?, key })
    }

    fn server(&mut self, f: ServerFile) -> Option<ServerConfig> {
        let listen = self.ok(socket_addr("server.listen", &f.listen));
        let admin_listen = self.ok(socket_addr("server.admin_listen", &f.admin_listen));
        if let (Some(public), Some(admin)) = (listen, admin_listen) {
            if public == admin && public.port() != 0 {
                self.issues.push(Issue::new(
                    "server.admin_listen",
                    format!("is the same address as server.listen ({public})"),
                    "give the admin listener its own address, e.g. \"127.0.0.1:8081\": the public one serves only the webhook",
                ));
            }
        }
        let public_url = match f.public_url {
            Some(value) => Some(self.ok(https_url(
                "server.public_url",
                &value,
                "https://cosell.example.com",
            ))?),
            None => {
                self.warn(
                    "server.public_url",
                    "is not set: `cosell webhooks register` needs the public https URL Partner Center can reach this server at",
                );
                None
            }
        };
        let admin_url = match f.admin_url {
            Some(value) => Some(self.ok(https_url(
                "server.admin_url",
                &value,
                "https://cosell-admin.example.com",
            ))?),
            None => None,
        };
        let limit = self.ok(in_range(
            "server.webhook_body_limit_bytes",
            f.webhook_body_limit_bytes,
            d::MIN_WEBHOOK_BODY_LIMIT_BYTES,
            d::MAX_WEBHOOK_BODY_LIMIT_BYTES,
            "",
        ));
        let mut int = |key: &str, value: i64, max: i64| {
            self.ok(in_range(&format!("server.{key}"), value, 1, max, ""))
                .and_then(|v| u64::try_from(v).ok())
        };
        let header_timeout = int(
            "header_read_timeout_seconds",
            f.header_read_timeout_seconds,
            d::MAX_READ_TIMEOUT_SECONDS,
        );
        let body_timeout = int(
            "body_read_timeout_seconds",
            f.body_read_timeout_seconds,
            d::MAX_READ_TIMEOUT_SECONDS,
        );
        let max_connections = int("max_connections", f.max_connections, d::MAX_MAX_CONNECTIONS);
        let per_ip = int(
            "max_connections_per_ip",
            f.max_connections_per_ip,
            d::MAX_MAX_CONNECTIONS,
        );
        let admin_token = self.optional_secret(secrets::ADMIN_TOKEN);
        let exposed = admin_listen.is_some_and(|a| !a.ip().is_loopback());
        if admin_token.is_none() && exposed {
            self.warn(
                "server.admin_listen",
                format!("is reachable from other machines and {} is not set, so /api and /metrics answer anyone who reaches it", secrets::ADMIN_TOKEN),
            );
        }
        let admin_base = admin_url
            .clone()
            .or_else(|| admin_listen.and_then(|a| Url::parse(&format!("http://{a}")).ok()));
        if f.sign_in.is_some() && admin_url.is_none() && exposed {
            self.issues.push(Issue::new(
                "server.admin_url",
                "is not set, so Entra ID would send people back to the admin listener's own address over plain http, which it allows only for localhost",
                "set it to the https URL people open the dashboard at, e.g. \"https://cosell-admin.example.com\", and register <admin_url>/auth/callback on the app",
            ));
        }
        let sign_in = match (f.sign_in, admin_base) {
            (Some(section), Some(base)) => Some(self.sign_in(section, &base)?),
            (Some(_), None) => return None,
            (None, _) => {
                if exposed {
                    self.warn(
                        "server.sign_in",
                        "is not set and the admin listener is reachable from other machines, so the dashboard answers anyone who reaches it: set up sign-in (docs/OPERATIONS.md)",
                    );
                }
                None
            }
        };
        Some(ServerConfig {
            listen: listen?,
            admin_listen: admin_listen?,
            public_url,
            admin_url,
            webhook_body_limit_bytes: usize::try_from(limit?).ok()?,
            header_read_timeout: Duration::from_secs(header_timeout?),
            body_read_timeout: Duration::from_secs(body_timeout?),
            max_connections: usize::try_from(max_connections?).ok()?,
            max_connections_per_ip: usize::try_from(per_ip?).ok()?,
            admin_token,
            sign_in,
        })
    }

    /// `[server.sign_in]`; `admin_base` is the URL people open the dashboard at.
    fn sign_in(&mut self, f: SignInFile, admin_base: &Url) -> Option<SignInConfig> {
        let login = self.ok(https_url(
            "server.sign_in.login_url",
            f.login_url.as_deref().unwrap_or(d::SIGN_IN_LOGIN_URL),
            d::SIGN_IN_LOGIN_URL,
        ));
        let tenant = self.required(
            "server.sign_in.tenant",
            f.tenant,
            "set it to your Entra tenant id (Entra admin center > Overview > Tenant ID)",
        );
        if let Some(alias) = tenant.as_deref().filter(|t| {
            ["common", "organizations", "consumers"]
                .iter()
                .any(|a| a.eq_ignore_ascii_case(t))
        }) {
            self.issues.push(Issue::new(
                "server.sign_in.tenant",
                format!("\"{alias}\" lets people of any tenant sign in"),
                "set it to your own tenant id, so only your organization's accounts can sign in",
            ));
        }
        let client_id = self.required(
            "server.sign_in.client_id",
            f.client_id,
            "set it to the application (client) id of the Entra app registration people sign in with",
        );
        let secret = self.required_secret(
            secrets::SIGN_IN_CLIENT_SECRET,
            "[server.sign_in] needs the app registration's client secret",
        );
        let lower = |list: Option<Vec<String>>| -> Vec<String> {
            list.unwrap_or_default()
                .into_iter()
                .map(|v| v.trim().to_ascii_lowercase())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let allowed_users = lower(f.allowed_users);
        let allowed_groups = lower(f.allowed_groups);
        if allowed_users.is_empty() && allowed_groups.is_empty() {
            self.issues.push(Issue::new(
                "server.sign_in.allowed_users",
                "is empty and so is server.sign_in.allowed_groups: nobody could use the dashboard",
                "list who may sign in, e.g. allowed_users = [\"ada@contoso.com\"], or a security group's object id in allowed_groups",
            ));
        }
        let hours = self.ok(in_range(
            "server.sign_in.session_hours",
            f.session_hours.unwrap_or(d::SESSION_HOURS),
            1,
            d::MAX_SESSION_HOURS,
            "",
        ));
        let authority = login.zip(tenant.as_ref()).and_then(|(login, tenant)| {
            let text = format!("{}/{}", login.as_str().trim_end_matches('/'), tenant);
            self.ok(https_url(
                "server.sign_in.tenant",
                &text,
                d::SIGN_IN_LOGIN_URL,
            ))
        });
        let mut redirect_url = admin_base.clone();
        redirect_url.set_path(&format!(
            "{}{SIGN_IN_CALLBACK_PATH}",
            admin_base.path().trim_end_matches('/')
        ));
        Some(SignInConfig {
            authority: authority?,
            client_id: client_id?,
            client_secret: secret?,
            redirect_url,
            allowed_users,
            allowed_groups,
            session_lifetime: Duration::from_secs(u64::try_from(hours?).ok()? * 3600),
        })
    }

    fn worker(&mut self, f: WorkerFile) -> Option<WorkerConfig> {
        let mut int = |key: &str, value: i64, min: i64, max: i64, why: &str| {
            self.ok(in_range(&format!("worker.{key}"), value, min, max, why))
        };
        let concurrency = int("concurrency", f.concurrency, 1, d::MAX_CONCURRENCY, "");
        let batch_size = int(
            "batch_size",
            f.batch_size,
            1,
            d::MAX_BATCH_SIZE,
            " (Salesforce sObject Collections write at most 200 records per call)",
        );
        let max_attempts = int("max_attempts", f.max_attempts, 1, d::MAX_MAX_ATTEMPTS, "");
        let lease = int("lease_seconds", f.lease_seconds, 1, d::MAX_SECONDS, "");
        let sf_poll = int(
            "salesforce_poll_seconds",
            f.salesforce_poll_seconds,
            1,
            d::MAX_SECONDS,
            "",
        );
        let reconcile = int(
            "partner_center_reconcile_seconds",
            f.partner_center_reconcile_seconds,
            1,
            d::MAX_SECONDS,
            "",
        );
        let overlap = int(
            "poll_overlap_seconds",
            f.poll_overlap_seconds,
            0,
            d::MAX_POLL_OVERLAP_SECONDS,
            "",
        );
        // All values are range-checked positive above, so the casts are lossless.
        Some(WorkerConfig {
            concurrency: concurrency? as usize,
            batch_size: batch_size? as usize,
            max_attempts: max_attempts? as u32,
            lease_seconds: lease? as u64,
            salesforce_poll_seconds: sf_poll? as u64,
            partner_center_reconcile_seconds: reconcile? as u64,
            poll_overlap_seconds: overlap? as u64,
        })
    }

    /// Secrets set for another sign-in method are ignored; say so.
    fn warn_unused_secrets(&mut self, auth: Option<SalesforceAuth>) {
        let Some(auth) = auth else { return };
        let used: &[&str] = match auth {
            SalesforceAuth::JwtBearer => &[],
            SalesforceAuth::ClientCredentials => &[secrets::SF_CLIENT_SECRET],
            SalesforceAuth::RefreshToken => &[secrets::SF_CLIENT_SECRET, secrets::SF_REFRESH_TOKEN],
            SalesforceAuth::Password => &[secrets::SF_CLIENT_SECRET, secrets::SF_PASSWORD],
        };
        for var in [
            secrets::SF_CLIENT_SECRET,
            secrets::SF_PASSWORD,
            secrets::SF_REFRESH_TOKEN,
        ] {
            let set = self.env.var(var).is_some()
                || self
                    .env
                    .var(&format!("{var}{}", secrets::FILE_SUFFIX))
                    .is_some();
            if set && !used.contains(&var) {
                self.warn(
                    var,
                    format!("is set but not used with salesforce.auth = \"{auth}\""),
                );
            }
        }
    }
}
