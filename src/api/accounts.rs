//! Accounts: the first admin (admin/accounts/create), signup, signin-flow, `i`, i/update,
//! token regeneration, pinned notes, base role policies.

use super::endpoint::{Ctx, Out};
use super::pack::users::{self as pack_users, UserRow};
use super::params::AtMost;
use super::ApiError;
use crate::db::schema::{meta, user_profiles, users};
use crate::domain::events;
use crate::domain::users::{self as dom_users, UserError};
use crate::domain::{keys, settings};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

fn user_error(e: UserError) -> ApiError {
    match e {
        UserError::InvalidUsername(_) => ApiError::invalid_param("username", e.to_string()),
        UserError::WeakPassword => ApiError::invalid_param("password", e.to_string()),
        UserError::UsernameTaken(_) => ApiError::client(
            "USED_USERNAME",
            "b4a8e6d2-5f3c-4e1a-9c7b-2d6f8a0e4c13",
            "This username is already taken.",
        ),
        UserError::InvalidInvitation => ApiError::client(
            "INVALID_INVITATION_CODE",
            "6e2ad7a1-4c0b-4f57-9d3e-0c8f1b5a2e74",
            "This invitation code is unknown, already used or expired.",
        ),
        UserError::RegistrationClosed => ApiError::client(
            "REGISTRATION_CLOSED",
            "8a0b6c2e-7d1f-4c3a-9e5b-1f2d3c4b5a69",
            "Registration is closed on this server; an invitation code is needed.",
        ),
        UserError::DeniedUsername(_) => ApiError::client(
            "DENIED_USERNAME",
            "f2b7c9d4-3e8a-4b1c-a6d5-9e0f1a2b3c4d",
            "This username is reserved.",
        ),
        other => ApiError::internal(other),
    }
}

/// MeDetailed of a fresh account, with its native token (signup and admin/accounts/create).
async fn me_with_token(ctx: &Ctx, id: &str, token: &str) -> Result<Value, ApiError> {
    let mut conn = ctx.db().await?;
    let row =
        pack_users::load_one(&mut conn, id).await?.ok_or_else(|| ApiError::internal("account vanished"))?;
    let policies = ctx.policies().await?;
    let mut v = pack_users::me_detailed(&mut conn, &ctx.state.config.url, &row, &policies).await?;
    v["token"] = json!(token);
    Ok(v)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccount {
    username: String,
    password: String,
    setup_password: Option<String>,
}

pub async fn admin_create(ctx: Ctx, p: CreateAccount) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let m: Option<(Option<String>, Option<String>)> = meta::table
        .filter(meta::id.eq("x"))
        .select((meta::root_user_id, meta::setup_token_hash))
        .first(&mut conn)
        .await
        .optional()?;
    let (root, setup_hash) = m.unwrap_or((None, None));
    let denied =
        || ApiError::client("ACCESS_DENIED", "1fb7cb09-d46a-4fff-b8df-057708cce513", "Access denied.");
    match (&root, ctx.me.as_deref()) {
        (None, None) => {
            if let Some(hash) = setup_hash {
                let given = p.setup_password.clone().unwrap_or_default();
                if !keys::verify_password(&given, &hash).await {
                    return Err(ApiError::client(
                        "INCORRECT_INITIAL_PASSWORD",
                        "97147c55-1ae1-4f6f-91d6-e1c3e0e76d62",
                        "The setup token is incorrect (use the one `misskey-rs init` printed).",
                    ));
                }
            }
        }
        (Some(_), Some(me)) if me.is_native() && (me.is_root || me.is_admin) => {}
        _ => return Err(denied()),
    }
    let created =
        dom_users::create_local(&mut conn, &p.username, &p.password, false).await.map_err(user_error)?;
    drop(conn);
    Ok(me_with_token(&ctx, &created.id, &created.token).await?.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signup {
    username: String,
    password: String,
    #[allow(dead_code)]
    host: Option<String>,
    invitation_code: Option<String>,
    #[allow(dead_code)]
    email_address: Option<String>,
}

pub async fn signup(ctx: Ctx, p: Signup) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let created = dom_users::sign_up(&mut conn, &p.username, &p.password, p.invitation_code.as_deref())
        .await
        .map_err(user_error)?;
    drop(conn);
    Ok(me_with_token(&ctx, &created.id, &created.token).await?.into())
}

#[derive(Deserialize)]
pub struct SigninBody {
    username: Option<Value>,
    password: Option<Value>,
    token: Option<Value>,
}

fn signin_error(status: u16, id: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .json(json!({ "error": { "id": id } }))
}

const WRONG_PASSWORD: &str = "932c904e-9460-45b7-9ce6-7ed33be7eb2c";
const WRONG_SECOND_FACTOR: &str = "cdf1235b-ac71-46d4-a3a6-84ccce48df6f";
/// Failed sign-ins allowed per client address and hour.
pub(crate) const SIGNIN_FAILURES: u64 = 10;

fn too_many_failures() -> HttpResponse {
    HttpResponse::TooManyRequests().json(json!({ "error": {
        "message": "Too many failed attempts to sign in. Try again later.",
        "code": "TOO_MANY_AUTHENTICATION_FAILURES",
        "id": "22d05606-fbcf-421a-a2db-b32610dcfd1b",
    } }))
}

/// `POST /api/signin-flow`: Misskey's step-wise sign-in. Without a password it says what comes
/// next; with the right password (and, where two-factor sign-in is on, a current code or a
/// backup code as `token`) it answers `{finished: true, id, i}`. Wrong passwords and codes are
/// counted per client address: after ten in an hour it answers 429 until the hour is over.
pub async fn signin_flow(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let b: SigninBody = super::params::from_body(&body)?;
    let Some(Value::String(username)) = b.username else {
        return Err(ApiError::invalid_param("username", "a username is required"));
    };
    let token = match b.token {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t).filter(|t| !t.is_empty()),
        Some(_) => return Err(ApiError::invalid_param("token", "must be a string")),
    };
    let limited = state.config.api.rate_limits;
    let ip = crate::http::client_ip::client_ip(&req, &state.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    if limited && !super::ratelimit::failures_below(&state.redis, "signin", &ip, SIGNIN_FAILURES).await {
        return Ok(too_many_failures());
    }
    let mut conn = state.db.get().await?;
    // (id, suspended, system, token, password hash, two-factor)
    type SigninRow = (String, bool, bool, Option<String>, Option<String>, bool);
    let row: Option<SigninRow> = users::table
        .inner_join(user_profiles::table)
        .filter(users::username_lower.eq(username.to_lowercase()).and(users::host.is_null()))
        .select((
            users::id,
            users::is_suspended,
            users::is_system,
            users::token,
            user_profiles::password,
            user_profiles::two_factor_enabled,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((id, suspended, system, native_token, hash, two_factor)) = row else {
        return Ok(signin_error(404, "6cc579cc-885d-43d8-95c2-b8c7fc963280"));
    };
    if system {
        return Ok(signin_error(404, "6cc579cc-885d-43d8-95c2-b8c7fc963280"));
    }
    if suspended {
        return Ok(signin_error(403, "e03a5f46-d309-4865-9b69-56282d94e1eb"));
    }
    let password = match b.password {
        None | Some(Value::Null) => {
            let next = if two_factor { "password" } else { "captcha" };
            return Ok(HttpResponse::Ok().json(json!({ "finished": false, "next": next })));
        }
        Some(Value::String(p)) => p,
        Some(_) => return Err(ApiError::invalid_param("password", "must be a string")),
    };
    // The attempt is counted before it is checked and given back once it succeeds, so attempts
    // sent at once are limited like attempts sent one by one.
    if limited
        && !super::ratelimit::reserve_attempt(&state.redis, "signin", &ip, SIGNIN_FAILURES, 3_600_000).await
    {
        return Ok(too_many_failures());
    }
    let succeeded = async || {
        if limited {
            super::ratelimit::release_attempt(&state.redis, "signin", &ip).await;
        }
    };
    let ok = match &hash {
        Some(h) => keys::verify_password(&password, h).await,
        None => false,
    };
    if !ok {
        return Ok(signin_error(403, WRONG_PASSWORD));
    }
    if two_factor {
        let Some(token) = token else {
            succeeded().await;
            return Ok(HttpResponse::Ok().json(json!({ "finished": false, "next": "totp" })));
        };
        if !crate::domain::totp::authenticate(&mut conn, &id, &token).await? {
            return Ok(signin_error(403, WRONG_SECOND_FACTOR));
        }
    }
    succeeded().await;
    diesel::update(users::table.find(&id))
        .set(users::last_active_date.eq(chrono::Utc::now()))
        .execute(&mut conn)
        .await?;
    crate::domain::notify::send(&mut conn, crate::domain::notify::Notice::from_instance(&id, "login"))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "finished": true, "id": id, "i": native_token })))
}

#[derive(Deserialize, JsonSchema)]
pub struct NoParams {}

pub async fn i(ctx: Ctx, _: NoParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    let row = pack_users::load_one(&mut conn, &me).await?.ok_or_else(ApiError::authentication_failed)?;
    let policies = ctx.policies().await?;
    Ok(pack_users::me_detailed(&mut conn, &ctx.state.config.url, &row, &policies).await?.into())
}

#[derive(Deserialize, JsonSchema)]
pub struct Field {
    name: String,
    value: String,
}

/// Fields of i/update; absent fields stay as they are, `null` clears nullable ones.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "super::params::nullable")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    location: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    birthday: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    lang: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    followed_message: Option<Option<String>>,
    fields: Option<Vec<Field>>,
    is_locked: Option<bool>,
    is_explorable: Option<bool>,
    hide_online_status: Option<bool>,
    public_reactions: Option<bool>,
    careful_bot: Option<bool>,
    auto_accept_followed: Option<bool>,
    no_crawle: Option<bool>,
    prevent_ai_learning: Option<bool>,
    is_bot: Option<bool>,
    is_cat: Option<bool>,
    inject_featured_note: Option<bool>,
    receive_announcement_email: Option<bool>,
    always_mark_nsfw: Option<bool>,
    auto_sensitive: Option<bool>,
    following_visibility: Option<String>,
    followers_visibility: Option<String>,
    muted_words: Option<AtMost<1000, Value>>,
    hard_muted_words: Option<AtMost<1000, Value>>,
    muted_instances: Option<AtMost<1000, String>>,
    /// Per notification type, from whom it is received.
    notification_recieve_config: Option<std::collections::BTreeMap<String, crate::domain::notify::Receive>>,
    email_notification_types: Option<AtMost<32, String>>,
    /// One of the caller's image files (null: back to the default).
    #[serde(default, deserialize_with = "super::params::nullable")]
    avatar_id: Option<Option<String>>,
    /// One of the caller's image files (null: none).
    #[serde(default, deserialize_with = "super::params::nullable")]
    banner_id: Option<Option<String>>,
}

fn max_len(param: &str, v: &Option<Option<String>>, max: usize) -> Result<Option<Option<String>>, ApiError> {
    match v {
        Some(Some(s)) if s.chars().count() > max => {
            Err(ApiError::invalid_param(param, format!("must be at most {max} characters")))
        }
        Some(Some(s)) if s.trim().is_empty() => Ok(Some(None)),
        other => Ok(other.clone()),
    }
}

fn words(param: &str, v: &Option<Vec<Value>>, limit: u32) -> Result<Option<Value>, ApiError> {
    let Some(list) = v else { return Ok(None) };
    match crate::domain::words::user_list(list) {
        Ok(_) => {}
        Err(crate::domain::words::BadList::Shape(e)) => return Err(ApiError::invalid_param(param, e)),
        Err(crate::domain::words::BadList::Regex(e)) => {
            return Err(ApiError::client("INVALID_REGEXP", "0d786918-10df-41cd-8f33-8dec7d9a89a5", e))
        }
    }
    let mut total = 0usize;
    for w in list {
        match w {
            Value::String(s) => total += s.len(),
            Value::Array(parts) if parts.iter().all(Value::is_string) => {
                total += parts.iter().map(|p| p.as_str().map_or(0, str::len)).sum::<usize>()
            }
            _ => {
                return Err(ApiError::invalid_param(param, "each entry is a word list or a /regexp/ string"))
            }
        }
    }
    if total > limit as usize {
        return Err(ApiError::client(
            "TOO_MANY_MUTED_WORDS",
            "010665b1-a211-42d2-bc64-8f6609d79785",
            "Too many muted words.",
        ));
    }
    Ok(Some(Value::Array(list.clone())))
}

pub async fn update(ctx: Ctx, p: UpdateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let name = max_len("name", &p.name, 50)?;
    let description = max_len("description", &p.description, 1500)?;
    let location = max_len("location", &p.location, 50)?;
    let followed_message = max_len("followedMessage", &p.followed_message, 256)?;
    let birthday = match &p.birthday {
        Some(Some(b)) => {
            if chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").is_err() || b.len() != 10 {
                return Err(ApiError::invalid_param("birthday", "must be YYYY-MM-DD"));
            }
            Some(Some(b.clone()))
        }
        other => other.clone(),
    };
    let lang = max_len("lang", &p.lang, 32)?;
    for (param, v) in
        [("followingVisibility", &p.following_visibility), ("followersVisibility", &p.followers_visibility)]
    {
        if v.as_deref().is_some_and(|v| !["public", "followers", "private"].contains(&v)) {
            return Err(ApiError::invalid_param(param, "must be public, followers or private"));
        }
    }
    let fields = match &p.fields {
        None => None,
        Some(f) if f.len() > 16 => return Err(ApiError::invalid_param("fields", "at most 16 fields")),
        Some(f) => Some(Value::Array(
            f.iter()
                .filter(|x| !x.name.trim().is_empty())
                .map(|x| {
                    json!({ "name": x.name.chars().take(255).collect::<String>(), "value": x.value.chars().take(255).collect::<String>() })
                })
                .collect(),
        )),
    };
    if p.notification_recieve_config.as_ref().is_some_and(|c| c.len() > 32 || c.keys().any(|k| k.len() > 64))
    {
        return Err(ApiError::invalid_param("notificationRecieveConfig", "at most 32 notification types"));
    }
    let policies = ctx.policies().await?;
    let muted = words("mutedWords", &p.muted_words.map(|w| w.0), policies.word_mute_limit)?;
    let hard_muted = words("hardMutedWords", &p.hard_muted_words.map(|w| w.0), policies.word_mute_limit)?;
    let mut conn = ctx.db().await?;
    if let Some(Some(n)) = &name {
        crate::domain::words::check_name(&mut conn, n, ctx.me()?.is_staff()).await?;
    }
    // One UPDATE per table, only for the fields given.
    let mut u: Vec<(&str, Value)> = vec![];
    if let Some(v) = name {
        u.push(("name", json!(v)));
    }
    for (banner, given, cols) in [
        (false, &p.avatar_id, ["avatar_id", "avatar_url", "avatar_blurhash"]),
        (true, &p.banner_id, ["banner_id", "banner_url", "banner_blurhash"]),
    ] {
        let values = match given {
            None => continue,
            Some(None) => [Value::Null, Value::Null, Value::Null],
            Some(Some(id)) => {
                let f = crate::domain::drive::profile_image(&mut conn, &me, id, banner).await?;
                [json!(f.id), json!(f.webpublic_url.unwrap_or(f.url)), json!(f.blurhash)]
            }
        };
        u.extend(cols.into_iter().zip(values));
    }
    for (col, v) in [
        ("is_locked", p.is_locked),
        ("is_explorable", p.is_explorable),
        ("hide_online_status", p.hide_online_status),
        ("is_bot", p.is_bot),
        ("is_cat", p.is_cat),
    ] {
        if let Some(v) = v {
            u.push((col, json!(v)));
        }
    }
    let mut pr: Vec<(&str, Value)> = vec![];
    for (col, v) in [
        ("description", description),
        ("location", location),
        ("birthday", birthday),
        ("lang", lang),
        ("followed_message", followed_message),
    ] {
        if let Some(v) = v {
            pr.push((col, json!(v)));
        }
    }
    for (col, v) in [
        ("public_reactions", p.public_reactions),
        ("careful_bot", p.careful_bot),
        ("auto_accept_followed", p.auto_accept_followed),
        ("no_crawle", p.no_crawle),
        ("prevent_ai_learning", p.prevent_ai_learning),
        ("inject_featured_note", p.inject_featured_note),
        ("receive_announcement_email", p.receive_announcement_email),
        ("always_mark_nsfw", p.always_mark_nsfw),
        ("auto_sensitive", p.auto_sensitive),
    ] {
        if let Some(v) = v {
            pr.push((col, json!(v)));
        }
    }
    for (col, v) in
        [("following_visibility", &p.following_visibility), ("followers_visibility", &p.followers_visibility)]
    {
        if let Some(v) = v {
            pr.push((col, json!(v)));
        }
    }
    let hard_muted_changed = hard_muted.is_some();
    for (col, v) in [
        ("fields", fields),
        ("muted_words", muted),
        ("hard_muted_words", hard_muted),
        ("muted_instances", p.muted_instances.map(|m| json!(m.0))),
        ("notification_recieve_config", p.notification_recieve_config.map(|m| json!(m))),
        ("email_notification_types", p.email_notification_types.map(|m| json!(m.0))),
    ] {
        if let Some(v) = v {
            pr.push((col, json!({ "__jsonb": v })));
        }
    }
    crate::db::update_columns(&mut conn, "users", "id", &me, &u).await?;
    crate::db::update_columns(&mut conn, "user_profiles", "user_id", &me, &pr).await?;
    if !u.is_empty() || !pr.is_empty() {
        diesel::update(users::table.find(&me))
            .set(users::updated_at.eq(chrono::Utc::now()))
            .execute(&mut conn)
            .await?;
    }
    if hard_muted_changed {
        // Their next request and their open streams read the words that hide notes from them.
        ctx.api.tokens.forget_user(&me);
        events::emit(events::Event::Relations { users: vec![me.clone()] });
    }
    if !u.is_empty() || !pr.is_empty() {
        events::emit(events::Event::MeUpdated { user: me.clone() });
        crate::domain::federation::profile_updated(&mut conn, &me).await?;
    }
    let row = pack_users::load_one(&mut conn, &me).await?.ok_or_else(ApiError::authentication_failed)?;
    Ok(pack_users::me_detailed(&mut conn, &ctx.state.config.url, &row, &policies).await?.into())
}

pub async fn regenerate_token(ctx: Ctx, p: PasswordParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    check_password(&mut conn, &me, &p.password, "0f2ba1cd-0a3d-4ac9-9b3a-0d8a1e2f3b4c").await?;
    diesel::update(users::table.find(&me))
        .set(users::token.eq(Some(keys::random_token(16))))
        .execute(&mut conn)
        .await?;
    ctx.api.tokens.forget_user(&me);
    events::emit(events::Event::TokenRegenerated { user: me });
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
pub struct PasswordParams {
    password: String,
}

/// `INCORRECT_PASSWORD`, with the endpoint's error id.
pub(super) fn incorrect_password(error_id: &'static str) -> ApiError {
    ApiError::client("INCORRECT_PASSWORD", error_id, "Incorrect password.")
}

/// `INCORRECT_PASSWORD` (with the endpoint's error id) unless `password` is the caller's.
async fn check_password(
    conn: &mut diesel_async::AsyncPgConnection,
    me: &str,
    password: &str,
    error_id: &'static str,
) -> Result<(), ApiError> {
    if crate::domain::users::password_matches(conn, me, password).await? {
        Ok(())
    } else {
        Err(incorrect_password(error_id))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PinParams {
    note_id: String,
}

pub async fn pin(ctx: Ctx, p: PinParams) -> Result<Out, ApiError> {
    pin_or_unpin(ctx, p.note_id, true).await
}

pub async fn unpin(ctx: Ctx, p: PinParams) -> Result<Out, ApiError> {
    pin_or_unpin(ctx, p.note_id, false).await
}

async fn pin_or_unpin(ctx: Ctx, note_id: String, pin: bool) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    if pin {
        let policies = ctx.policies().await?;
        crate::domain::pins::pin(&mut conn, &me, &note_id, &policies).await?;
    } else {
        crate::domain::pins::unpin(&mut conn, &me, &note_id).await?;
    }
    let row: UserRow =
        pack_users::load_one(&mut conn, &me).await?.ok_or_else(ApiError::authentication_failed)?;
    let policies = ctx.policies().await?;
    Ok(pack_users::me_detailed(&mut conn, &ctx.state.config.url, &row, &policies).await?.into())
}

#[derive(Deserialize, JsonSchema)]
pub struct PoliciesParams {
    policies: Value,
}

pub async fn update_default_policies(ctx: Ctx, p: PoliciesParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    // Misskey merges the given policies into the stored ones.
    let current: Value = meta::table
        .filter(meta::id.eq("x"))
        .select(meta::policies)
        .first(&mut conn)
        .await
        .optional()?
        .unwrap_or(json!({}));
    let mut merged = current.as_object().cloned().unwrap_or_default();
    let Some(given) = p.policies.as_object() else {
        return Err(ApiError::invalid_param("policies", "must be an object"));
    };
    merged.extend(given.clone());
    settings::set_policies(&mut conn, &Value::Object(merged)).await?;
    ctx.state.policies.forget();
    Ok(().into())
}
