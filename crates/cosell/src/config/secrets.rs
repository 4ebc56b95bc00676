//! Secrets come only from the environment: `NAME=value`, or `NAME_FILE=path`
//! naming a file that holds the value (Docker and Kubernetes secrets). The
//! environment is read through [`EnvSource`] so tests never touch the
//! process environment.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use secrecy::SecretString;

use super::error::Issue;

/// Partner Center app registration's client secret (confidential clients only).
pub const PC_CLIENT_SECRET: &str = "COSELL_PC_CLIENT_SECRET";
/// Partner Center refresh token of the Referrals admin user (delegated access).
pub const PC_REFRESH_TOKEN: &str = "COSELL_PC_REFRESH_TOKEN";
/// Salesforce connected app's consumer secret.
pub const SF_CLIENT_SECRET: &str = "COSELL_SF_CLIENT_SECRET";
/// Salesforce user's password, followed by the security token when the org needs one.
pub const SF_PASSWORD: &str = "COSELL_SF_PASSWORD";
/// Salesforce refresh token from a user-authorized web-server flow.
pub const SF_REFRESH_TOKEN: &str = "COSELL_SF_REFRESH_TOKEN";

/// Key sealing the credentials kept in the store (32 random bytes, base64).
pub const STORE_KEY: &str = "COSELL_STORE_KEY";
/// Bearer token scrapers and scripts send to `/api` and `/metrics` (optional).
pub const ADMIN_TOKEN: &str = "COSELL_ADMIN_TOKEN";

/// Client secret of the Entra app people sign in to the dashboard with.
pub const SIGN_IN_CLIENT_SECRET: &str = "COSELL_SIGN_IN_CLIENT_SECRET";

/// Key the EventBridge API destination sends to `/webhooks/aws` (`[aws]`).
pub const AWS_WEBHOOK_KEY: &str = "COSELL_AWS_WEBHOOK_KEY";

/// Every secret environment variable cosell reads.
pub const ALL_SECRET_VARS: [&str; 9] = [
    STORE_KEY,
    PC_CLIENT_SECRET,
    PC_REFRESH_TOKEN,
    SF_CLIENT_SECRET,
    SF_PASSWORD,
    SF_REFRESH_TOKEN,
    ADMIN_TOKEN,
    SIGN_IN_CLIENT_SECRET,
    AWS_WEBHOOK_KEY,
];

/// Suffix of the variable naming a file that holds a secret.
pub const FILE_SUFFIX: &str = "_FILE";

/// Where environment variables are read from.
pub trait EnvSource {
    /// The variable's value, if it is set and valid Unicode.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl EnvSource for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl EnvSource for [(&str, &str)] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

impl<const N: usize> EnvSource for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.as_slice().var(name)
    }
}

/// Where a resolved secret came from, for `cosell config check` (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOrigin {
    /// Read from the variable itself.
    Env(&'static str),
    /// Read from the file a `_FILE` variable named.
    File(&'static str, PathBuf),
}

impl std::fmt::Display for SecretOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretOrigin::Env(var) => write!(f, "{var}"),
            SecretOrigin::File(var, path) => write!(f, "{var}{FILE_SUFFIX} ({})", path.display()),
        }
    }
}

/// A secret read from the environment, with where it came from.
pub(crate) struct Resolved {
    pub value: SecretString,
    pub origin: SecretOrigin,
}

/// Reads secret `var` from `NAME` or `NAME_FILE`. `Ok(None)` when neither is
/// set; an issue when both are set, the file cannot be read, or the value is empty.
pub(crate) fn resolve(env: &dyn EnvSource, var: &'static str) -> Result<Option<Resolved>, Issue> {
    let file_var = format!("{var}{FILE_SUFFIX}");
    match (env.var(var), env.var(&file_var)) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(Issue::new(
            var,
            format!("both {var} and {file_var} are set"),
            format!("unset one of them: {var} holds the value, {file_var} names a file holding it"),
        )),
        (Some(value), None) if value.is_empty() => Err(Issue::new(
            var,
            "is set but empty",
            format!("set {var} to the secret, or unset it"),
        )),
        (Some(value), None) => Ok(Some(Resolved {
            value: SecretString::from(value),
            origin: SecretOrigin::Env(var),
        })),
        (None, Some(path)) => read_secret_file(var, &file_var, PathBuf::from(path)).map(Some),
    }
}

/// Reads a secret file, trimming the trailing newline editors and `echo` add.
fn read_secret_file(var: &'static str, file_var: &str, path: PathBuf) -> Result<Resolved, Issue> {
    let content = std::fs::read_to_string(&path).map_err(|err| {
        Issue::new(
            file_var,
            format!("cannot read {}: {err}", path.display()),
            format!("point {file_var} at a readable file holding only the secret (relative paths start from the current directory)"),
        )
    })?;
    let value = content.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        return Err(Issue::new(
            file_var,
            format!("{} is empty", path.display()),
            format!("write the secret into {}", path.display()),
        ));
    }
    Ok(Resolved {
        value: SecretString::from(value.to_owned()),
        origin: SecretOrigin::File(var, path),
    })
}

/// For a secret-looking key found in the file, the variable to use instead.
pub(crate) fn env_var_for_key(section: &str, key: &str) -> Option<&'static str> {
    match (section, key) {
        ("partner_center", "client_secret") => Some(PC_CLIENT_SECRET),
        ("partner_center", "refresh_token") => Some(PC_REFRESH_TOKEN),
        ("salesforce", "client_secret" | "consumer_secret") => Some(SF_CLIENT_SECRET),
        ("salesforce", "password") => Some(SF_PASSWORD),
        ("salesforce", "refresh_token") => Some(SF_REFRESH_TOKEN),
        ("server", "admin_token" | "bearer_token" | "token") => Some(ADMIN_TOKEN),
        ("sign_in", "client_secret") => Some(SIGN_IN_CLIENT_SECRET),
        ("aws", "webhook_key" | "api_key") => Some(AWS_WEBHOOK_KEY),
        _ => None,
    }
}

/// True for key names that would hold a secret, which the file must never contain.
pub(crate) fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "token",
        "private_key",
        "api_key",
        "credential",
        "access_key",
        "webhook_key",
    ]
    .iter()
    .any(|word| key.contains(word))
        && !key.ends_with("_url")
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::io::Write;

    #[test]
    fn reads_the_variable() {
        let env = [(SF_PASSWORD, "hunter2")];
        let got = resolve(&env, SF_PASSWORD).unwrap().unwrap();
        assert_eq!(got.value.expose_secret(), "hunter2");
        assert_eq!(got.origin, SecretOrigin::Env(SF_PASSWORD));
    }

    #[test]
    fn unset_is_none() {
        let env: [(&str, &str); 0] = [];
        assert!(resolve(&env, SF_PASSWORD).unwrap().is_none());
    }

    #[test]
    fn reads_the_file_and_trims_the_newline() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"s3cret value\r\n\n").unwrap();
        let path = file.path().to_str().unwrap().to_owned();
        let env = [("COSELL_SF_PASSWORD_FILE", path.as_str())];
        let got = resolve(&env, SF_PASSWORD).unwrap().unwrap();
        assert_eq!(got.value.expose_secret(), "s3cret value");
        assert!(matches!(got.origin, SecretOrigin::File(SF_PASSWORD, _)));
    }

    #[test]
    fn both_set_is_an_error() {
        let env = [
            (SF_PASSWORD, "a"),
            ("COSELL_SF_PASSWORD_FILE", "/nonexistent"),
        ];
        let issue = resolve(&env, SF_PASSWORD).err().unwrap();
        assert_eq!(issue.key, SF_PASSWORD);
    }

    #[test]
    fn unreadable_or_empty_file_is_an_error_naming_the_file_variable() {
        let env = [("COSELL_SF_PASSWORD_FILE", "/nonexistent/cosell-secret")];
        let issue = resolve(&env, SF_PASSWORD).err().unwrap();
        assert_eq!(issue.key, "COSELL_SF_PASSWORD_FILE");
        assert!(issue.problem.contains("/nonexistent/cosell-secret"));

        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap().to_owned();
        let env = [("COSELL_SF_PASSWORD_FILE", path.as_str())];
        assert!(resolve(&env, SF_PASSWORD)
            .err()
            .unwrap()
            .problem
            .contains("empty"));
    }

    #[test]
    fn empty_variable_is_an_error() {
        let env = [(SF_PASSWORD, "")];
        assert!(resolve(&env, SF_PASSWORD).is_err());
    }

    #[test]
    fn secret_key_names_are_recognised() {
        for key in [
            "client_secret",
            "password",
            "refresh_token",
            "private_key",
            "access_token",
            "api_key",
            "webhook_key",
            "secret_access_key",
            "access_key_id",
        ] {
            assert!(looks_secret(key), "{key}");
        }
        assert!(looks_secret("client_secret_file"));
        for key in ["token_url", "client_id", "username", "show_checkmark"] {
            assert!(!looks_secret(key), "{key}");
        }
    }
}
