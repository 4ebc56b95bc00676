//! `cosell init`: writes the commented example configuration.

use std::io::Write;
use std::path::Path;

/// `config/cosell.example.toml`, built into the binary.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../../config/cosell.example.toml");

/// Why the example could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The file is there and `--force` was not given.
    #[error("{} already exists. Fix: choose another path, or pass --force to overwrite it", .0.display())]
    Exists(std::path::PathBuf),
    /// Writing failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// Writes [`EXAMPLE_CONFIG`] to `path`; never replaces a file unless `force`.
pub fn write_example(path: &Path, force: bool) -> Result<(), InitError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // create_new checks and creates in one step, so a file appearing
        // meanwhile is never overwritten.
        options.create_new(true);
    }
    let write_err = |source| InitError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::AlreadyExists {
            InitError::Exists(path.to_owned())
        } else {
            write_err(err)
        }
    })?;
    file.write_all(EXAMPLE_CONFIG.as_bytes()).map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_then_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cosell.toml");
        write_example(&path, false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE_CONFIG);

        std::fs::write(&path, "mine").unwrap();
        assert!(matches!(
            write_example(&path, false),
            Err(InitError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");

        write_example(&path, true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE_CONFIG);
    }
}
