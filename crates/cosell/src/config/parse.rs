//! Turns TOML text into the file's shape: the text is parsed, laid over the
//! defaults (see [`super::defaults`]) and deserialized with [`Node`], whose
//! errors carry serde's facts (the unknown key and the valid ones, the
//! expected type) rather than sentences. Each becomes an issue that names the
//! full key path and its line, suggests the nearest valid key, and refuses
//! secrets. toml's own error text is shown only for syntax errors, without
//! the offending line, which could hold a secret.

use super::de::{DeError, Node};
use super::defaults;
use super::error::{nearest, Issue};
use super::file::FileConfig;
use super::secrets::{env_var_for_key, looks_secret, FILE_SUFFIX};

/// The file's shape, and the keys that have neither a value nor a default.
pub(crate) struct Parsed {
    /// The file over the defaults.
    pub file: FileConfig,
    /// Dotted keys the type requires that were absent; each holds an empty
    /// string in `file`, so that every missing key is reported at once.
    pub missing: Vec<String>,
}

/// Parses the text, reporting the first problem met.
pub(crate) fn parse(text: &str) -> Result<Parsed, Issue> {
    let written: toml::Table = toml::from_str(text).map_err(|err| {
        let line = err.span().map(|span| line_of(text, span.start));
        syntax_issue(err.message()).at_line(line)
    })?;
    let mut tree = defaults::table().clone();
    defaults::merge(&mut tree, written);
    let mut missing = Vec::new();
    loop {
        let node = Node(toml::Value::Table(tree.clone()));
        let err = match serde_path_to_error::deserialize::<_, FileConfig>(node) {
            Ok(file) => return Ok(Parsed { file, missing }),
            Err(err) => err,
        };
        let path = key_path(err.path());
        match err.into_inner() {
            DeError::MissingField(field) => {
                let key = if ends_with_key(&path, field) {
                    path.clone()
                } else {
                    join(&path, field)
                };
                if missing.contains(&key) || !insert_empty(&mut tree, &key) {
                    return Err(Issue::new(key, "is missing", "set it"));
                }
                missing.push(key);
            }
            other => {
                let issue = issue_for(&path, other);
                let line = line_of_key(text, &issue.key);
                return Err(issue.at_line(line));
            }
        }
    }
}

/// Puts an empty string at a dotted key whose parent table exists.
fn insert_empty(tree: &mut toml::Table, key: &str) -> bool {
    let mut parts: Vec<&str> = key.split('.').collect();
    let Some(last) = parts.pop() else {
        return false;
    };
    let mut table = tree;
    for part in parts {
        match table.get_mut(part) {
            Some(toml::Value::Table(child)) => table = child,
            _ => return false,
        }
    }
    table.insert(last.to_owned(), toml::Value::String(String::new()));
    true
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

/// Whether a dotted path's last segment is `key`.
fn ends_with_key(path: &str, key: &str) -> bool {
    path.rsplit('.').next() == Some(key)
}

/// The 1-based line holding byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The line where a dotted key is written, if the file writes it; a key
/// that is not written shows the line of its nearest written parent.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let document = toml_edit::ImDocument::parse(text).ok()?;
    let mut table: &dyn toml_edit::TableLike = document.as_table();
    let mut span = None;
    let mut parts = key.split('.').filter(|p| !p.is_empty());
    while let Some(part) = parts.next() {
        let Some((written, item)) = table.get_key_value(part) else {
            break;
        };
        span = written.span().or(span);
        if let Some(entries) = item.as_array_of_tables() {
            let index = parts.next().and_then(|i| i.parse::<usize>().ok());
            let Some(entry) = index.and_then(|i| entries.get(i)) else {
                break;
            };
            span = entry.span().or(span);
            table = entry;
        } else if let Some(child) = item.as_table_like() {
            table = child;
        } else {
            break;
        }
    }
    span.map(|s| line_of(text, s.start))
}

/// Joins a parent path and a key.
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// A TOML syntax error, without the line's text.
fn syntax_issue(message: &str) -> Issue {
    // toml reports a repeated key as a syntax error of the text, before any
    // serde type is involved; only its own message says which it is.
    if message.starts_with("duplicate key") {
        return Issue::new("", message.trim(), "keep only one of them");
    }
    Issue::new(
        "",
        format!("TOML syntax error: {}", message.trim().replace('\n', "; ")),
        "correct the TOML syntax (strings need double quotes, e.g. active_stage = \"Qualification\")",
    )
}

/// Builds the issue for one deserialization error at `path`.
fn issue_for(path: &str, error: DeError) -> Issue {
    match error {
        DeError::UnknownField { field, expected } => unknown_key(path, &field, expected),
        DeError::UnknownVariant { variant, expected } => unknown_value(path, &variant, expected),
        DeError::InvalidType { found, expected } => {
            let expected = describe_type(&expected);
            Issue::new(
                path,
                format!("expected {expected}, found {found}"),
                format!("write {expected} (see docs/CONFIGURATION.md)"),
            )
        }
        DeError::MissingField(field) => Issue::new(join(path, field), "is missing", "set it"),
        DeError::Custom(message) => Issue::new(path, message, "see docs/CONFIGURATION.md"),
    }
}

/// A value that is none of `expected`, with the nearest one suggested.
pub(crate) fn unknown_value(key: &str, value: &str, expected: &[&str]) -> Issue {
    let mut fix = format!("use one of {}", quoted_list(expected));
    if let Some(near) = nearest(value, expected.iter().copied()) {
        fix = format!("did you mean \"{near}\"? Otherwise {fix}");
    }
    Issue::new(key, format!("\"{value}\" is not a valid value"), fix)
}

/// An unknown key: a secret is refused with the variable to use, anything
/// else is reported with the nearest valid key.
fn unknown_key(path: &str, key: &str, expected: &[&str]) -> Issue {
    // serde_path_to_error's path may already end with the unknown key.
    let parent = if path == key {
        ""
    } else if ends_with_key(path, key) {
        path.strip_suffix(key)
            .and_then(|p| p.strip_suffix('.'))
            .unwrap_or(path)
    } else {
        path
    };
    let full = join(parent, key);
    let section = parent.rsplit('.').next().unwrap_or_default();
    if looks_secret(key) {
        let fix = match env_var_for_key(section, key) {
            Some(var) => format!(
                "remove it and set the environment variable {var} (or {var}{FILE_SUFFIX} naming a file that holds it)"
            ),
            None if section == "aws" => {
                "remove it: cosell takes AWS credentials only from the standard AWS chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role; docs/AWS.md)".to_owned()
            }
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
        match parse(text).map(|parsed| parsed.file) {
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
