//! `cosell setup store-key --file FILE`: writes a new random key that seals
//! the credentials kept in the store. The file is created readable by its
//! owner only (0600) and the key is never printed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use store::seal::CredentialKey;

/// `cosell setup store-key`.
#[derive(Debug, Clone, Args)]
pub struct StoreKeyArgs {
    /// File to create (an existing file is never overwritten).
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
}

/// Creates the key file.
pub fn run(args: StoreKeyArgs) -> Result<()> {
    let (_, text) = CredentialKey::generate()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&args.file)
        .with_context(|| format!("could not create {}", args.file.display()))?;
    writeln!(file, "{text}")?;
    file.sync_all()?;
    println!(
        "Wrote a new store key to {path}.\nGive it to cosell with COSELL_STORE_KEY_FILE={path} and keep a copy safe: \
         without it the stored credentials cannot be opened and you must sign in again.",
        path = args.file.display()
    );
    Ok(())
}
