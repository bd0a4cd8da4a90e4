//! `health-check`: asks a running server's /readyz; exit 0 when ready. For container health
//! probes where no curl is installed.

use super::{runtime, Cli};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL to probe; by default derived from the config's listen address or public URL.
    #[arg(long)]
    pub url: Option<String>,
    /// Probe /livez (the process answers) instead of /readyz (it can serve).
    #[arg(long)]
    pub live: bool,
}

fn base_url(cli: &Cli, a: &Args) -> Result<String, String> {
    if let Some(u) = &a.url {
        return Ok(u.trim_end_matches('/').to_string());
    }
    let loaded = super::load_config(cli, vec![])?;
    let c = loaded.config;
    Ok(match c.tls.mode {
        crate::config::TlsMode::Off => {
            format!("http://{}", c.http.listen.replace("0.0.0.0", "127.0.0.1"))
        }
        _ => c.url,
    })
}

pub fn run(cli: &Cli, a: &Args) -> Result<(), String> {
    let url = format!("{}{}", base_url(cli, a)?, if a.live { "/livez" } else { "/readyz" });
    let client = reqwest::Client::builder()
        .tls_certs_only(
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .filter_map(|c| reqwest::Certificate::from_der(c).ok()),
        )
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    runtime().block_on(async {
        let res = client.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if status.is_success() {
            println!("{url}: {status} {body}");
            Ok(())
        } else {
            Err(format!("{url}: {status} {body}"))
        }
    })
}
