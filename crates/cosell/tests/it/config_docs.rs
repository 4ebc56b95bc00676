//! docs/CONFIGURATION.md states each key's default; the defaults themselves
//! come from `config/cosell.example.toml`. A default changed in one and not
//! the other fails here.

use std::path::Path;

use toml::{Table, Value};

/// One documented default: the section, the key and the value the doc gives.
struct Documented {
    section: String,
    key: String,
    value: Value,
}

/// Every key row of a table with a `default` column, under a heading that
/// names its section (`` ## `[server]` ``), whose default is one literal.
fn documented_defaults(markdown: &str) -> Vec<Documented> {
    let mut section = String::new();
    let mut default_column = None;
    let mut found = Vec::new();
    for line in markdown.lines() {
        if line.starts_with('#') {
            if let Some(name) = line.split('`').nth(1).and_then(|s| s.strip_prefix('[')) {
                section = name.trim_end_matches(']').to_owned();
            }
            default_column = None;
            continue;
        }
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches(|ch| ch == '|' || ch == ' '))
            .collect();
        if cells.first() == Some(&"key") {
            default_column = cells.iter().position(|c| *c == "default");
            continue;
        }
        let (Some(column), Some(key)) = (default_column, cells.first().and_then(|c| literal(c)))
        else {
            continue;
        };
        if let Some(value) = cells.get(column).and_then(|c| literal(c)).map(parse) {
            found.push(Documented {
                section: section.clone(),
                key: key.to_owned(),
                value,
            });
        }
    }
    found
}

/// The text of a cell that starts with one `` `code` `` span.
fn literal(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?.split('`').next()
}

/// A documented value as TOML: a number, a bool, a list, or else a string.
fn parse(text: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

/// `table[section][key]`, for dotted sections too.
fn lookup<'a>(table: &'a Table, section: &str, key: &str) -> Option<&'a Value> {
    let mut current = table;
    for part in section.split('.') {
        current = current.get(part)?.as_table()?;
    }
    current.get(key)
}

#[test]
fn every_documented_default_is_the_example_files_value() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = std::fs::read_to_string(root.join("docs/CONFIGURATION.md")).unwrap();
    let example: Table =
        toml::from_str(&std::fs::read_to_string(root.join("config/cosell.example.toml")).unwrap())
            .unwrap();
    let documented = documented_defaults(&docs);
    let mut compared = 0;
    for d in &documented {
        let Some(actual) = lookup(&example, &d.section, &d.key) else {
            continue;
        };
        compared += 1;
        assert_eq!(
            actual, &d.value,
            "docs/CONFIGURATION.md gives `{}.{}` the default {}, the example file {}",
            d.section, d.key, d.value, actual
        );
    }
    assert!(
        compared >= 25,
        "only {compared} documented defaults were checked: is the table format still read?"
    );
}
