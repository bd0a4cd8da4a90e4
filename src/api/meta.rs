//! `meta`: instance information for clients (MetaLite, or MetaDetailed unless `detail: false`).
//! Every client asks for it on start, so the rendered JSON is cached in-process for a moment.

use super::endpoint::{Ctx, Out};
use super::ApiError;
use crate::db::schema::users;
use crate::state::AppState;
use actix_web::web;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::RwLock;
use std::time::{Duration, Instant};

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// MetaDetailed (default) or MetaLite.
    #[serde(default)]
    detail: Option<bool>,
}

/// Largest drive file accepted, in bytes (Misskey's default).
pub const MAX_FILE_SIZE: u64 = 250 * 1024 * 1024;

/// How the web client's entrance looks (Misskey's MetaClientOptions).
pub static CLIENT_OPTIONS: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(
    || json!({ "entrancePageStyle": "classic", "showTimelineForVisitor": true, "showActivitiesForVisitor": true }),
);

/// How long a rendered `meta` is served before it is read again from the database.
const CACHE_TTL: Duration = Duration::from_secs(1);

/// The last rendered bodies, `[lite, detailed]`; one request refreshes while the others wait.
#[derive(Default)]
pub struct Cache {
    slots: RwLock<[Option<(Instant, web::Bytes)>; 2]>,
    refresh: tokio::sync::Mutex<()>,
}

impl Cache {
    /// Drops the rendered bodies (after the settings changed).
    pub fn clear(&self) {
        *self.slots.write().unwrap_or_else(|e| e.into_inner()) = [None, None];
    }

    fn fresh(&self, slot: usize) -> Option<web::Bytes> {
        let slots = self.slots.read().unwrap_or_else(|e| e.into_inner());
        slots[slot].as_ref().filter(|(at, _)| at.elapsed() < CACHE_TTL).map(|(_, b)| b.clone())
    }
}

pub async fn meta(ctx: Ctx, p: Params) -> Result<Out, ApiError> {
    Ok(Out::Bytes(respond(&ctx.state, &ctx.api.meta, p.detail.unwrap_or(true)).await?))
}

async fn respond(state: &AppState, cache: &Cache, detail: bool) -> Result<web::Bytes, ApiError> {
    let slot = usize::from(detail);

    let body = match cache.fresh(slot) {
        Some(body) => body,
        None => {
            let _one = cache.refresh.lock().await;
            match cache.fresh(slot) {
                Some(body) => body,
                None => {
                    let body =
                        web::Bytes::from(serde_json::to_vec(&render(state, detail).await?).expect("json"));
                    cache.slots.write().unwrap_or_else(|e| e.into_inner())[slot] =
                        Some((Instant::now(), body.clone()));
                    body
                }
            }
        }
    };
    Ok(body)
}

async fn render(state: &AppState, detail: bool) -> Result<serde_json::Value, ApiError> {
    let mut conn = state.db.get().await?;
    let m = crate::db::meta::settings(&mut conn).await?;
    let disable_registration = m.get("disable_registration").and_then(Value::as_bool).unwrap_or(true);
    let url = &state.config.url;
    // Features this server does not offer (captcha, ads, e-mail, push, translation, URL
    // previews, object storage) are reported as off, so clients hide them.
    let mut out = json!({
        "version": crate::VERSION,
        "providesTarball": false,
        "uri": url,
        "langs": m.get("lang_default").and_then(Value::as_str).map(|l| vec![l]).unwrap_or_default(),
        "clientOptions": CLIENT_OPTIONS.clone(),
        "disableRegistration": disable_registration,
        "emailRequiredForSignup": false,
        "enableHcaptcha": false,
        "hcaptchaSiteKey": null,
        "enableMcaptcha": false,
        "mcaptchaSiteKey": null,
        "mcaptchaInstanceUrl": null,
        "enableRecaptcha": false,
        "recaptchaSiteKey": null,
        "enableTurnstile": false,
        "turnstileSiteKey": null,
        "enableTestcaptcha": false,
        "googleAnalyticsMeasurementId": null,
        "swPublickey": null,
        "mascotImageUrl": m.get("mascot_image_url").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("{url}/assets/ai.png")),
        "maxNoteTextLength": crate::domain::notes::MAX_TEXT,
        "ads": [],
        "notesPerOneAd": 0,
        "enableEmail": false,
        "enableServiceWorker": false,
        "translatorAvailable": false,
        "sentryForFrontend": null,
        "mediaProxy": format!("{url}/proxy"),
        "enableUrlPreview": false,
        "policies": &*state.policies.get(&state.db).await?,
        "noteSearchableScope": "local",
        "maxFileSize": MAX_FILE_SIZE,
        "federation": "all",
    });
    super::instance::show(&m, &["logo_image_url", "server_rules"], &mut out);
    if out["serverRules"].is_null() {
        out["serverRules"] = json!([]);
    }
    if detail {
        let require_setup = match m.get("root_user_id").and_then(Value::as_str) {
            Some(_) => false,
            None => {
                let local: i64 = users::table
                    .filter(users::host.is_null().and(users::is_system.eq(false)))
                    .count()
                    .get_result(&mut conn)
                    .await?;
                local == 0
            }
        };
        out["requireSetup"] = json!(require_setup);
        out["features"] = json!({
            "registration": !disable_registration,
            "emailRequiredForSignup": false,
            "localTimeline": true,
            "globalTimeline": true,
            "hcaptcha": false,
            "turnstile": false,
            "recaptcha": false,
            "objectStorage": false,
            "serviceWorker": false,
            "miauth": true,
        });
        out["proxyAccountName"] = json!(null);
        out["cacheRemoteFiles"] = json!(false);
        out["cacheRemoteSensitiveFiles"] = json!(false);
    }
    Ok(out)
}
