//! `cosell init [PATH]`: writes the commented starting configuration file.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::config::{init, DEFAULT_CONFIG_FILE};

/// `cosell init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write the file.
    #[arg(value_name = "PATH", default_value = DEFAULT_CONFIG_FILE)]
    pub path: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Writes the file and says what to do next.
pub fn run(args: InitArgs) -> Result<()> {
    init::write_example(&args.path, args.force)?;
    println!(
        "wrote {path}\nnext: edit it, set the secrets it names, then run `cosell config check -c {path}`",
        path = args.path.display()
    );
    Ok(())
}
