//! Command line: one file per subcommand. Failures print one clear line and exit non-zero.

mod admin;
mod bench;
mod config_cmd;
mod doctor;
mod health_check;
mod init;
mod migrate;
mod serve;

use crate::config::{self, Loaded};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "misskey-rs", version, about = "A Misskey-compatible fediverse server in one binary")]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "MISSKEY_RS_CONFIG", default_value = config::DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Override any configuration key, e.g. --set database.pool_size=32 (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Set up a new instance: config file, database, admin account, TLS.
    Init(Box<init::Args>),
    /// Run the server (HTTP(S), API, background work).
    Serve(serve::Args),
    /// Apply pending database migrations (or list them).
    Migrate(migrate::Args),
    /// Show the effective configuration, or print a documented example.
    #[command(subcommand)]
    Config(config_cmd::Cmd),
    /// Print a support report: versions, config sources, dependencies, certificates, disk.
    Doctor,
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(admin::Cmd),
    /// Show how MFM text parses and renders: reads stdin.
    /// `mfm parse [--jsonl] [--simple] [--nest-limit N]` prints mfm-js's node tree as JSON,
    /// `mfm html [--jsonl] [--base-url URL]` the ActivityPub HTML, `mfm plain [--jsonl]` plain text.
    Mfm {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<String>,
    },
    /// Benchmark helpers: seed a scratch database, print the SQL of a timeline.
    #[command(subcommand)]
    Bench(bench::Cmd),
    /// Exit 0 when the running server answers /readyz (1 otherwise); for containers.
    HealthCheck(health_check::Args),
    /// Print the version.
    Version,
}

/// Parses `--set key=value` pairs; values are TOML literals, or strings when they are not.
pub(crate) fn parse_sets(sets: &[String]) -> Result<Vec<(String, toml::Value)>, String> {
    sets.iter()
        .map(|s| {
            let (k, v) = s.split_once('=').ok_or_else(|| format!("--set {s:?}: expected KEY=VALUE"))?;
            let value = toml::from_str::<toml::Table>(&format!("v = {v}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(v.to_string()));
            Ok((k.trim().to_string(), value))
        })
        .collect()
}

/// Loads and validates the configuration for commands that need an initialized instance.
pub fn load_config(cli: &Cli, extra: Vec<(String, toml::Value)>) -> Result<Loaded, String> {
    let mut flags = parse_sets(&cli.set)?;
    flags.extend(extra);
    let loaded = config::load(&cli.config, true, &flags)?;
    loaded.config.validate().map_err(|e| format!("{}: {e}", cli.config.display()))?;
    Ok(loaded)
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Init(a) => init::run(&cli, a),
        Command::Serve(a) => serve::run(&cli, a),
        Command::Migrate(a) => migrate::run(&cli, a),
        Command::Config(c) => config_cmd::run(&cli, c),
        Command::Doctor => doctor::run(&cli),
        Command::Admin(c) => admin::run(&cli, c),
        Command::Bench(c) => bench::run(&cli, c),
        Command::HealthCheck(a) => health_check::run(&cli, a),
        Command::Mfm { args } => mfm(args),
        Command::Version => {
            println!("misskey-rs {}", crate::VERSION);
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn mfm(args: &[String]) -> Result<(), String> {
    use std::io::{Read, Write};
    let cmd = crate::mfm::cli::MfmCommand::from_args(args)?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| format!("reading stdin: {e}"))?;
    let out = crate::mfm::cli::run_cli(cmd, &input)?;
    std::io::stdout().write_all(out.as_bytes()).map_err(|e| e.to_string())
}

/// Errors as one readable line (anyhow's chain joined).
pub fn fmt_err(e: anyhow::Error) -> String {
    format!("{e:#}")
}
