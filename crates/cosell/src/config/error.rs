//! Configuration errors. Every problem names the key it is about (a TOML key
//! path such as `sync.active_stage`, or an environment variable for secrets)
//! and says how to fix it. Values are never echoed when they could hold a
//! secret.

use std::fmt;
use std::path::PathBuf;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("cannot read the configuration file {}: {source}. Fix: check the path given with -c, or create one with `cosell init`", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but has one or more problems.
    #[error("{}", InvalidDisplay { file: file.as_ref(), issues })]
    Invalid {
        /// The file the problems are in, when loaded from a file.
        file: Option<PathBuf>,
        /// Every problem found (at least one).
        issues: Vec<Issue>,
    },
}

impl ConfigError {
    /// The problems found; empty when the file could not be read.
    pub fn issues(&self) -> &[Issue] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { issues, .. } => issues,
        }
    }

    /// The key (or environment variable) of each problem, for tests and tooling.
    pub fn keys(&self) -> Vec<&str> {
        self.issues().iter().map(|i| i.key.as_str()).collect()
    }

    /// Records the file the problems were found in.
    pub(crate) fn in_file(self, path: PathBuf) -> Self {
        match self {
            ConfigError::Invalid { issues, .. } => ConfigError::Invalid {
                file: Some(path),
                issues,
            },
            other => other,
        }
    }
}

/// One problem with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The TOML key path (`sync.active_stage`) or environment variable
    /// (`COSELL_SF_CLIENT_SECRET`); empty only for TOML syntax errors.
    pub key: String,
    /// The 1-based line of the file the problem is on, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl Issue {
    /// A problem with `key`, and its fix.
    pub(crate) fn new(
        key: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Issue {
            key: key.into(),
            line: None,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// The same problem, located on a line of the file.
    pub(crate) fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.key.is_empty(), self.line) {
            (false, Some(line)) => write!(f, "`{}` (line {line}): ", self.key)?,
            (false, None) => write!(f, "`{}`: ", self.key)?,
            (true, Some(line)) => write!(f, "line {line}: ")?,
            (true, None) => {}
        }
        write!(f, "{}. Fix: {}", self.problem, self.fix)
    }
}

/// Formats the list of problems, one per line when there are several.
struct InvalidDisplay<'a> {
    file: Option<&'a PathBuf>,
    issues: &'a [Issue],
}

impl fmt::Display for InvalidDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration")?;
        if let Some(file) = self.file {
            write!(f, " in {}", file.display())?;
        }
        match self.issues {
            [one] => write!(f, ": {one}"),
            many => {
                write!(f, " ({} problems):", many.len())?;
                for issue in many {
                    write!(f, "\n  - {issue}")?;
                }
                Ok(())
            }
        }
    }
}

/// The largest edit distance at which a known name is offered as a suggestion.
const MAX_SUGGESTION_DISTANCE: usize = 3;

/// The known name closest to `given`, when it is close enough to be a likely typo.
pub(crate) fn nearest<'a>(
    given: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let given_lower = given.to_ascii_lowercase();
    known
        .into_iter()
        .map(|name| {
            (
                strsim::levenshtein(&given_lower, &name.to_ascii_lowercase()),
                name,
            )
        })
        .filter(|(distance, name)| {
            // Short names need a closer match, or every short typo suggests something.
            *distance
                <= MAX_SUGGESTION_DISTANCE
                    .min(name.len().max(given.len()) / 3)
                    .max(1)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_suggests_close_names_only() {
        let known = ["show_checkmark", "active_stage", "on_hold_stage"];
        assert_eq!(nearest("show_checkmrk", known), Some("show_checkmark"));
        assert_eq!(nearest("Active_Stage", known), Some("active_stage"));
        assert_eq!(nearest("colour", known), None);
    }

    #[test]
    fn one_issue_reads_as_one_sentence() {
        let err = ConfigError::Invalid {
            file: Some(PathBuf::from("cosell.toml")),
            issues: vec![Issue::new("sync.active_stage", "is missing", "set it").at_line(Some(3))],
        };
        assert_eq!(
            err.to_string(),
            "invalid configuration in cosell.toml: `sync.active_stage` (line 3): is missing. Fix: set it"
        );
        assert_eq!(err.keys(), ["sync.active_stage"]);
    }

    #[test]
    fn several_issues_are_listed() {
        let err = ConfigError::Invalid {
            file: None,
            issues: vec![Issue::new("a", "x", "y"), Issue::new("b", "x", "y")],
        };
        let text = err.to_string();
        assert!(text.contains("2 problems"), "{text}");
        assert!(text.contains("\n  - `a`: x. Fix: y"), "{text}");
        assert!(text.contains("\n  - `b`: x. Fix: y"), "{text}");
    }
}
