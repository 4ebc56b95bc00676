//! Shared fixtures for the configuration tests: a folder holding a config
//! file and a PEM key, and an environment map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cosell::config::{Config, ConfigError};
use tempfile::TempDir;

/// The shipped example configuration.
pub const EXAMPLE: &str = include_str!("../../../../config/cosell.example.toml");

/// A PEM file that looks like an RSA private key (config checks only the labels).
pub const FAKE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nTUlJRXZBSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS1l3Z2dTaUFnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n";
/// A PEM file holding a certificate.
pub const FAKE_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----\nTUlJQmtUQ0IrZ0lKQUtIQnVyOUd1a2xUTUEwR0NTcUdTSWIzRFFFQkN3VUFNQkV4\n-----END CERTIFICATE-----\n";

/// Only the required keys, for jwt_bearer with the key file `salesforce-jwt.key`.
pub const MINIMAL: &str = r#"
[partner_center]
token_url = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
client_id = "11111111-2222-3333-4444-555555555555"

[salesforce]
client_id = "3MVG9-consumer-key"
username = "cosell@example.com"
private_key_file = "salesforce-jwt.key"

[sync]
active_stage = "Qualification"
on_hold_stage = "On Hold"
"#;

/// The Partner Center refresh token every configuration needs.
pub const PC_REFRESH: &str = "pc-refresh-0xDEADBEEF";

/// A folder with the key file in it, where config files are written.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("salesforce-jwt.key"), FAKE_KEY_PEM).expect("key");
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` as `name` in the folder.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    /// Parses `text` with the folder as base directory.
    pub fn load(&self, text: &str, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        Config::from_toml_str(text, self.path(), env)
    }
}

/// An environment holding the given variables.
pub fn env(vars: &[(&str, &str)]) -> HashMap<String, String> {
    vars.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The environment a jwt_bearer configuration needs.
pub fn base_env() -> HashMap<String, String> {
    env(&[("COSELL_PC_REFRESH_TOKEN", PC_REFRESH)])
}

/// `text` with `section.key` set to the TOML value `value` (or removed when None).
pub fn with(text: &str, dotted: &str, value: Option<toml::Value>) -> String {
    let mut doc: toml::Table = text.parse().expect("fixture parses");
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop().expect("key");
    let mut table = &mut doc;
    for part in parts {
        table = table
            .entry(part)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("table");
    }
    match value {
        Some(value) => {
            table.insert(last.to_owned(), value);
        }
        None => {
            table.remove(last);
        }
    }
    toml::to_string(&doc).expect("serialise")
}

/// `text` with `dotted` set to a string.
pub fn with_str(text: &str, dotted: &str, value: &str) -> String {
    with(text, dotted, Some(toml::Value::String(value.to_owned())))
}

/// Asserts loading fails with a problem on `key`, and returns the message.
pub fn expect_issue(result: Result<Config, ConfigError>, key: &str) -> String {
    match result {
        Ok(_) => panic!("expected a problem with `{key}`, but the configuration loaded"),
        Err(err) => {
            let text = err.to_string();
            assert!(
                err.keys().contains(&key),
                "expected `{key}` among {:?}: {text}",
                err.keys()
            );
            assert!(text.contains(key), "message does not name `{key}`: {text}");
            assert!(text.contains("Fix:"), "message gives no fix: {text}");
            text
        }
    }
}
