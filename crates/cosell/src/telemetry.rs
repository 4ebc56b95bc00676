//! Logging: `tracing` events to stderr, as text for people or JSON lines for
//! log collectors, filtered by `--log-level` or `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when neither `--log-level` nor `RUST_LOG` is given.
pub const DEFAULT_LOG_LEVEL: &str = "info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Text when stderr is a terminal, JSON otherwise (services, containers, CI).
    pub fn detect() -> LogFormat {
        if std::io::stderr().is_terminal() {
            LogFormat::Text
        } else {
            LogFormat::Json
        }
    }
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The `--log-level` or `RUST_LOG` directive does not parse.
    #[error("invalid log level {directive:?}: {reason}. Fix: use a level (error, warn, info, debug, trace) or directives like \"info,cosell=debug\"")]
    BadFilter {
        /// The directive given.
        directive: String,
        /// The parser's message.
        reason: String,
    },
    /// A global subscriber was already installed.
    #[error("logging was already initialised")]
    AlreadyInitialised,
}

/// The filter: `level` if given, else `RUST_LOG`, else [`DEFAULT_LOG_LEVEL`].
pub fn filter(level: Option<&str>, rust_log: Option<&str>) -> Result<EnvFilter, TelemetryError> {
    let directive = level
        .or(rust_log.filter(|s| !s.trim().is_empty()))
        .unwrap_or(DEFAULT_LOG_LEVEL);
    EnvFilter::builder()
        .parse(directive)
        .map_err(|err| TelemetryError::BadFilter {
            directive: directive.to_owned(),
            reason: err.to_string(),
        })
}

/// Installs the global subscriber; `format` None picks [`LogFormat::detect`].
pub fn init(format: Option<LogFormat>, level: Option<&str>) -> Result<(), TelemetryError> {
    let rust_log = std::env::var(EnvFilter::DEFAULT_ENV).ok();
    let filter = filter(level, rust_log.as_deref())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format.unwrap_or_else(LogFormat::detect) {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInitialised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_flag_wins_over_rust_log() {
        let f = filter(Some("debug"), Some("error")).unwrap();
        assert_eq!(f.to_string(), "debug");
        let f = filter(None, Some("warn,cosell=trace")).unwrap();
        assert!(f.to_string().contains("cosell=trace"));
        let f = filter(None, None).unwrap();
        assert_eq!(f.to_string(), DEFAULT_LOG_LEVEL);
    }

    #[test]
    fn bad_directive_is_reported() {
        let err = filter(Some("cosell=loud"), None).unwrap_err();
        assert!(err.to_string().contains("cosell=loud"));
    }
}
