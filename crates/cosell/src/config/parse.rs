//! Turns TOML text into the file's shape, and serde's errors into issues that
//! name the full key path, suggest the nearest valid key, and refuse secrets.
//! toml's own error text is never shown: it quotes the offending line, which
//! could hold a secret.

use super::error::{nearest, Issue};
use super::file::FileConfig;
use super::secrets::{env_var_for_key, looks_secret, FILE_SUFFIX};

/// Parses the text, reporting the first problem serde meets.
pub(crate) fn parse(text: &str) -> Result<FileConfig, Issue> {
    let deserializer = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = key_path(err.path());
        let inner = err.inner();
        let line = inner.span().map(|span| line_of(text, span.start));
        issue_for(&path, inner.message()).at_line(line)
    })
}

/// The dotted key path serde was in, without placeholder segments.
fn key_path(path: &serde_path_to_error::Path) -> String {
    path.iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The 1-based line holding byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The names serde quoted in backticks: the offending one, then the expected ones.
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// Joins a parent path and a key.
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Builds the issue for one serde error at `path`.
fn issue_for(path: &str, message: &str) -> Issue {
    if message.starts_with("unknown field") {
        return unknown_key(path, message);
    }
    if message.starts_with("unknown variant") {
        let names = backticked(message);
        let given = names.first().copied().unwrap_or_default();
        let expected = names.get(1..).unwrap_or_default();
        let mut fix = format!("use one of {}", quoted_list(expected));
        if let Some(near) = nearest(given, expected.iter().copied()) {
            fix = format!("did you mean \"{near}\"? Otherwise {fix}");
        }
        return Issue::new(path, format!("\"{given}\" is not a valid value"), fix);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let expected = describe_type(expected);
        return Issue::new(
            path,
            format!("expected {expected}, found {found}"),
            format!("write {expected} (see docs/CONFIGURATION.md)"),
        );
    }
    if message.starts_with("duplicate key") {
        return Issue::new(path, message.trim(), "keep only one of them");
    }
    Issue::new(
        path,
        format!("TOML syntax error: {}", message.trim().replace('\n', "; ")),
        "correct the TOML syntax (strings need double quotes, e.g. active_stage = \"Qualification\")",
    )
}

/// An unknown key: a secret is refused with the variable to use, anything
/// else is reported with the nearest valid key.
fn unknown_key(path: &str, message: &str) -> Issue {
    let names = backticked(message);
    let key = names.first().copied().unwrap_or_default();
    // serde_path_to_error's path already ends with the unknown key.
    let parent = if path == key {
        ""
    } else {
        path.strip_suffix(key)
            .and_then(|p| p.strip_suffix('.'))
            .unwrap_or(path)
    };
    let full = join(parent, key);
    let section = parent.rsplit('.').next().unwrap_or_default();
    if looks_secret(key) {
        let fix = match env_var_for_key(section, key) {
            Some(var) => format!(
                "remove it and set the environment variable {var} (or {var}{FILE_SUFFIX} naming a file that holds it)"
            ),
            None if key.contains("private_key") => {
                "remove it, save the key in a PEM file and set salesforce.private_key_file to its path".to_owned()
            }
            None => "remove it: secrets are read only from environment variables (see docs/CONFIGURATION.md)".to_owned(),
        };
        return Issue::new(
            full,
            "secrets must not be written in the configuration file",
            fix,
        );
    }
    let expected = names.get(1..).unwrap_or_default();
    let fix = match nearest(key, expected.iter().copied()) {
        Some(near) => format!("did you mean `{}`?", join(parent, near)),
        None if expected.is_empty() => "remove it".to_owned(),
        None => format!("remove it; valid keys here are {}", backtick_list(expected)),
    };
    let place = if parent.is_empty() {
        "unknown section".to_owned()
    } else {
        format!("unknown key in [{parent}]")
    };
    Issue::new(full, place, fix)
}

/// Turns serde's type names into words.
fn describe_type(expected: &str) -> &str {
    match expected {
        "i64" | "u64" | "i32" | "u32" | "usize" => "a whole number",
        "a boolean" => "true or false",
        "a sequence" => "a list, e.g. [\"a\", \"b\"]",
        e if e.starts_with("struct ") => "a table",
        e => e,
    }
}

/// `"a", "b"`.
fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `` `a`, `b` ``.
fn backtick_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Issue {
        match parse(text) {
            Ok(_) => panic!("parsed: {text}"),
            Err(issue) => issue,
        }
    }

    #[test]
    fn unknown_key_is_named_with_a_suggestion_and_its_line() {
        let issue = err("[sync]\nactive_stage = \"A\"\nshow_checkmrk = true\n");
        assert_eq!(issue.key, "sync.show_checkmrk");
        assert_eq!(issue.line, Some(3));
        assert!(
            issue.fix.contains("did you mean `sync.show_checkmark`?"),
            "{issue}"
        );
    }

    #[test]
    fn unknown_nested_key() {
        let issue = err("[sync.fields]\nauditt = \"Audit__c\"\n");
        assert_eq!(issue.key, "sync.fields.auditt");
        assert!(issue.fix.contains("`sync.fields.audit`"), "{issue}");
    }

    #[test]
    fn unknown_section() {
        let issue = err("[workers]\nconcurrency = 2\n");
        assert_eq!(issue.key, "workers");
        assert!(issue.fix.contains("did you mean `worker`?"), "{issue}");
    }

    #[test]
    fn unrelated_unknown_key_lists_valid_keys() {
        let issue = err("[store]\nflavour = 1\n");
        assert_eq!(issue.key, "store.flavour");
        assert!(issue.fix.contains("`url`"), "{issue}");
    }

    #[test]
    fn secret_keys_are_refused_without_echoing_the_value() {
        let issue = err("[salesforce]\nclient_secret = \"hunter2\"\n");
        assert_eq!(issue.key, "salesforce.client_secret");
        assert!(issue.fix.contains("COSELL_SF_CLIENT_SECRET"), "{issue}");
        assert!(!issue.to_string().contains("hunter2"));

        let issue = err("[partner_center]\nrefresh_token = \"hunter2\"\n");
        assert!(issue.fix.contains("COSELL_PC_REFRESH_TOKEN"), "{issue}");
        let issue = err("[salesforce]\npassword = \"hunter2\"\n");
        assert!(issue.fix.contains("COSELL_SF_PASSWORD"), "{issue}");
        let issue = err("[store]\npassword = \"hunter2\"\n");
        assert!(issue.fix.contains("environment variables"), "{issue}");
    }

    #[test]
    fn bad_enum_value_suggests_the_nearest() {
        let issue = err("[salesforce]\nauth = \"jwt_berer\"\n");
        assert_eq!(issue.key, "salesforce.auth");
        assert!(
            issue.fix.contains("did you mean \"jwt_bearer\"?"),
            "{issue}"
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let issue = err("[worker]\nbatch_size = \"many\"\n");
        assert_eq!(issue.key, "worker.batch_size");
        assert!(issue.problem.contains("whole number"), "{issue}");
        let issue = err("[sync]\nshow_checkmark = \"yes\"\n");
        assert_eq!(issue.key, "sync.show_checkmark");
        assert!(issue.problem.contains("true or false"), "{issue}");
    }

    #[test]
    fn syntax_errors_give_the_line_but_not_its_text() {
        let issue = err("[salesforce]\nclient_id = hunter2\n");
        assert_eq!(issue.line, Some(2));
        assert!(!issue.to_string().contains("hunter2"), "{issue}");
    }
}
