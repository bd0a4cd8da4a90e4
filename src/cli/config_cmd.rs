//! `config show` (effective values with their sources, secrets masked) and `config example`.

use super::{load_config, Cli};

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// The effective configuration, each key with the source that set it.
    Show,
    /// A complete example file generated from the documentation of every key.
    Example,
}

pub fn run(cli: &Cli, c: &Cmd) -> Result<(), String> {
    match c {
        Cmd::Example => print!("{}", crate::config::example_toml()),
        Cmd::Show => {
            let loaded = load_config(cli, vec![])?;
            println!("# {}", loaded.path.display());
            for (key, value, source) in loaded.describe() {
                println!("{key} = {value}    # {source}");
            }
        }
    }
    Ok(())
}
