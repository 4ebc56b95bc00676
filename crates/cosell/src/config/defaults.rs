//! Default values come from one place: the commented example configuration
//! `config/cosell.example.toml` (what `cosell init` writes). Every key it
//! sets is a default, except the keys whose comment says REQUIRED, which
//! have none. The user's file is laid over these defaults before it is
//! deserialized. Below are the limits of numeric settings and the defaults
//! of `[server.sign_in]`, a section the example leaves commented out.

use std::sync::LazyLock;

use super::init::EXAMPLE_CONFIG;

/// The marker in a key's comment saying it has no default.
const REQUIRED_MARKER: &str = "REQUIRED";

/// The example's values, without the keys marked REQUIRED.
static DEFAULTS: LazyLock<toml::Table> = LazyLock::new(|| {
    let mut document: toml_edit::DocumentMut = EXAMPLE_CONFIG
        .parse()
        .unwrap_or_else(|e| panic!("config/cosell.example.toml: {e}"));
    drop_required(document.as_table_mut());
    toml::from_str(&document.to_string())
        .unwrap_or_else(|e| panic!("config/cosell.example.toml: {e}"))
});

/// Removes the keys whose leading comment carries [`REQUIRED_MARKER`].
fn drop_required(table: &mut toml_edit::Table) {
    let required: Vec<String> = table
        .iter()
        .filter(|(key, _)| {
            table
                .key(key)
                .and_then(|k| k.leaf_decor().prefix())
                .and_then(|prefix| prefix.as_str())
                .is_some_and(|comment| comment.contains(REQUIRED_MARKER))
        })
        .map(|(key, _)| key.to_owned())
        .collect();
    for key in required {
        table.remove(&key);
    }
    for (_, item) in table.iter_mut() {
        if let Some(child) = item.as_table_mut() {
            drop_required(child);
        }
    }
}

/// Every default, as a TOML table.
pub fn table() -> &'static toml::Table {
    &DEFAULTS
}

/// The default of a dotted key such as `worker.batch_size`.
///
/// # Panics
/// When the example sets no default for `key`: the caller names a key that
/// is not in the example, which is a programming error.
pub fn value(key: &str) -> &'static toml::Value {
    let mut parts = key.split('.');
    let first = parts.next().unwrap_or_default();
    let start = table()
        .get(first)
        .unwrap_or_else(|| panic!("no default for {key}"));
    parts.fold(start, |value, part| {
        value
            .get(part)
            .unwrap_or_else(|| panic!("no default for {key}"))
    })
}

/// The default of a string key.
pub fn text(key: &str) -> &'static str {
    value(key)
        .as_str()
        .unwrap_or_else(|| panic!("the default of {key} is not a string"))
}

/// Lays `over` onto `base`: tables merge key by key, any other value replaces.
pub(crate) fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base)), toml::Value::Table(over)) => merge(base, over),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Host of the Microsoft Entra ID token endpoint.
pub const ENTRA_LOGIN_HOST: &str = "login.microsoftonline.com";

/// Login URL of sandbox orgs.
pub const SF_SANDBOX_LOGIN_URL: &str = "https://test.salesforce.com";

/// Longest allowed read timeout.
pub const MAX_READ_TIMEOUT_SECONDS: i64 = 600;

/// Largest allowed `server.max_connections`.
pub const MAX_MAX_CONNECTIONS: i64 = 1_000_000;

/// Smallest allowed webhook body limit (a referral event is a few hundred bytes).
pub const MIN_WEBHOOK_BODY_LIMIT_BYTES: i64 = 1024;

/// Largest allowed webhook body limit.
pub const MAX_WEBHOOK_BODY_LIMIT_BYTES: i64 = 16 * 1024 * 1024;

/// Largest `worker.concurrency`.
pub const MAX_CONCURRENCY: i64 = 256;

/// Largest `worker.batch_size`: sObject Collections take at most 200 records
/// per call (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm>).
pub const MAX_BATCH_SIZE: i64 = 200;

/// Largest `worker.max_attempts`.
pub const MAX_MAX_ATTEMPTS: i64 = 100;

/// Largest interval or lease, in seconds (one day).
pub const MAX_SECONDS: i64 = 24 * 60 * 60;

/// Largest `worker.poll_overlap_seconds` (one hour).
pub const MAX_POLL_OVERLAP_SECONDS: i64 = 60 * 60;

/// `server.sign_in.login_url`: Microsoft Entra ID's global cloud.
pub const SIGN_IN_LOGIN_URL: &str = "https://login.microsoftonline.com";

/// `server.sign_in.session_hours`: a working day.
pub const SESSION_HOURS: i64 = 8;

/// Longest `server.sign_in.session_hours`: a week.
pub const MAX_SESSION_HOURS: i64 = 168;

/// The Selling API's default quota of read calls per second per account
/// (<https://docs.aws.amazon.com/partner-central/latest/developer-guide/quotas.html>).
pub const AWS_READ_QUOTA: i64 = 10;

/// Its default quota of write calls per second.
pub const AWS_WRITE_QUOTA: i64 = 1;

/// Largest `aws.reads_per_second` or `aws.writes_per_second`.
pub const MAX_AWS_CALLS_PER_SECOND: i64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_keys_have_no_default_and_the_others_do() {
        assert!(table()["sync"].get("active_stage").is_none());
        assert!(table()["partner_center"].get("token_url").is_none());
        assert!(table()["salesforce"].get("username").is_none());
        assert_eq!(text("sync.fields.audit"), "Audit__c");
        assert_eq!(value("worker.batch_size").as_integer(), Some(50));
        assert_eq!(text("salesforce.auth"), "jwt_bearer");
    }

    #[test]
    fn merging_keeps_defaults_the_file_does_not_set() {
        let mut base: toml::Table = toml::from_str("[a]\nx = 1\ny = 2\n").unwrap();
        merge(
            &mut base,
            toml::from_str("[a]\ny = 3\n[b]\nz = 4\n").unwrap(),
        );
        assert_eq!(base.to_string(), "[a]\nx = 1\ny = 3\n\n[b]\nz = 4\n");
    }
}
