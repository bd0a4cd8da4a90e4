//! App tokens: MiAuth (`/miauth/:session` approval page, miauth/gen-token,
//! `POST /api/miauth/:session/check`) and the legacy app flow (app/create, auth/session/*,
//! auth/accept). Both end in an access token limited to a permission list.

use super::endpoint::{Ctx, Out};
use super::pack::users as pack_users;
use super::params::AtMost;
use super::ApiError;
use crate::db::schema::{access_tokens, apps, auth_sessions};
use crate::domain::keys;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn check_permissions(list: &[String]) -> Result<(), ApiError> {
    if let Some(bad) =
        list.iter().find(|p| !(p.starts_with("read:") || p.starts_with("write:")) || p.len() > 64)
    {
        return Err(ApiError::invalid_param("permission", format!("unknown permission {bad:?}")));
    }
    Ok(())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenTokenParams {
    session: Option<String>,
    name: Option<String>,
    description: Option<String>,
    icon_url: Option<String>,
    permission: AtMost<128, String>,
}

pub async fn miauth_gen_token(ctx: Ctx, p: GenTokenParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    check_permissions(&p.permission.0)?;
    let token = keys::random_token(32);
    let mut conn = ctx.db().await?;
    let n = diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::id.eq(crate::id::gen()),
            access_tokens::created_at.eq(Utc::now()),
            access_tokens::last_used_at.eq(Utc::now()),
            access_tokens::session.eq(&p.session),
            access_tokens::user_id.eq(&me),
            access_tokens::token.eq(&token),
            access_tokens::hash.eq(&token),
            access_tokens::name.eq(p.name.map(|s| s.chars().take(128).collect::<String>())),
            access_tokens::description.eq(p.description.map(|s| s.chars().take(512).collect::<String>())),
            access_tokens::icon_url.eq(p.icon_url.map(|s| s.chars().take(512).collect::<String>())),
            access_tokens::permission.eq(&p.permission.0),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    if n == 0 {
        return Err(ApiError::invalid_param("session", "this session already has a token"));
    }
    crate::domain::notify::send(&mut conn, crate::domain::notify::Notice::from_instance(&me, "createToken"))
        .await?;
    Ok(json!({ "token": token }).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct AppsParams {
    /// Misskey's signs: `+` is newest (or latest used) first.
    #[schemars(extend("enum" = ["+createdAt", "-createdAt", "+lastUsedAt", "-lastUsedAt"]))]
    sort: Option<String>,
}

/// `i/apps`: the tokens apps hold for the caller (MiAuth and the legacy flow), for the
/// settings page that lists and revokes them.
pub async fn my_apps(ctx: Ctx, p: AppsParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    let q = access_tokens::table
        .left_join(apps::table.on(apps::id.nullable().eq(access_tokens::app_id)))
        .filter(access_tokens::user_id.eq(&me))
        .select((
            access_tokens::id,
            access_tokens::name,
            apps::name.nullable(),
            access_tokens::created_at,
            access_tokens::last_used_at,
            access_tokens::permission,
            access_tokens::icon_url,
            access_tokens::description,
        ))
        .into_boxed();
    let q = match p.sort.as_deref() {
        None | Some("+createdAt") => q.order(access_tokens::id.desc()),
        Some("-createdAt") => q.order(access_tokens::id.asc()),
        Some("+lastUsedAt") => {
            q.order((access_tokens::last_used_at.desc().nulls_last(), access_tokens::id.desc()))
        }
        Some("-lastUsedAt") => {
            q.order((access_tokens::last_used_at.asc().nulls_first(), access_tokens::id.asc()))
        }
        Some(_) => {
            return Err(ApiError::invalid_param(
                "sort",
                "must be +createdAt, -createdAt, +lastUsedAt or -lastUsedAt",
            ))
        }
    };
    type Row = (
        String,
        Option<String>,
        Option<String>,
        chrono::DateTime<Utc>,
        Option<chrono::DateTime<Utc>>,
        Vec<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = q.limit(1000).load(&mut conn).await?;
    let out: Vec<Value> = rows
        .into_iter()
        .map(|(id, name, app_name, created, used, permission, icon, description)| {
            let mut v = json!({
                "id": id,
                "createdAt": crate::api::pack::iso(created),
                "permission": permission,
                "iconUrl": icon,
                "description": description,
            });
            if let Some(n) = name.or(app_name) {
                v["name"] = json!(n);
            }
            if let Some(u) = used {
                v["lastUsedAt"] = json!(crate::api::pack::iso(u));
            }
            v
        })
        .collect();
    Ok(Value::Array(out).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevokeParams {
    /// The token's id, as i/apps lists it; or `token`.
    token_id: Option<String>,
    /// The token itself.
    token: Option<String>,
}

/// `i/revoke-token`: an app's token of the caller stops working (within the token cache's
/// few seconds on other processes).
pub async fn revoke_token(ctx: Ctx, p: RevokeParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    let mine = access_tokens::user_id.eq(&me);
    let n = match (p.token_id, p.token) {
        (Some(id), _) => {
            diesel::delete(access_tokens::table.filter(mine.and(access_tokens::id.eq(id))))
                .execute(&mut conn)
                .await?
        }
        (None, Some(t)) => {
            diesel::delete(access_tokens::table.filter(mine.and(access_tokens::token.eq(t))))
                .execute(&mut conn)
                .await?
        }
        (None, None) => return Err(ApiError::invalid_param("tokenId", "give tokenId or token")),
    };
    if n > 0 {
        ctx.api.tokens.forget_user(&me);
    }
    Ok(().into())
}

/// `POST /api/miauth/{session}/check`: hands the token out once.
pub async fn miauth_check(
    state: web::Data<AppState>,
    session: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.get().await?;
    let row: Option<(String, String)> = diesel::update(
        access_tokens::table
            .filter(access_tokens::session.eq(session.as_str()).and(access_tokens::fetched.eq(false))),
    )
    .set(access_tokens::fetched.eq(true))
    .returning((access_tokens::token, access_tokens::user_id))
    .get_result(&mut conn)
    .await
    .optional()?;
    let Some((token, user_id)) = row else {
        return Ok(HttpResponse::Ok().json(json!({ "ok": false })));
    };
    let user = pack_users::load_one(&mut conn, &user_id)
        .await?
        .ok_or_else(|| ApiError::internal("token owner vanished"))?;
    let packed = pack_users::detailed(&mut conn, &state.config.url, None, &[user]).await?;
    Ok(HttpResponse::Ok().json(json!({ "ok": true, "token": token, "user": packed.into_iter().next() })))
}

/// Whether an app's callback may receive the session: http(s) and an app's own scheme
/// (`myapp://…`), never a scheme that runs or shows content in the page itself.
pub fn callback_allowed(url: &str) -> bool {
    let scheme = match url.split_once(':') {
        Some((scheme, _)) => scheme,
        None => return false,
    };
    let valid = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid
        && !["javascript", "data", "vbscript", "file", "blob", "about"]
            .contains(&scheme.to_ascii_lowercase().as_str())
}

/// `GET /miauth/{session}`: the UI's approval page (the signed-in user allows the app, which
/// gets its token with `POST /api/miauth/{session}/check`), once the callback is one the
/// browser may be sent to.
pub async fn miauth_page(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let callback = query.get("callback").map(String::as_str).unwrap_or("");
    if !callback.is_empty() && !callback_allowed(callback) {
        return HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body("<!doctype html><title>Invalid callback</title><p>This app's callback address is not allowed.</p>");
    }
    crate::http::ui::page(&state, &req, None)
}

// ---- legacy app flow ----

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppCreateParams {
    name: String,
    description: String,
    permission: AtMost<128, String>,
    callback_url: Option<String>,
}

fn pack_app(
    id: &str,
    name: &str,
    callback: Option<&str>,
    permission: &[String],
    secret: Option<&str>,
) -> Value {
    let mut v = json!({ "id": id, "name": name, "callbackUrl": callback, "permission": permission });
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    v
}

pub async fn app_create(ctx: Ctx, p: AppCreateParams) -> Result<Out, ApiError> {
    check_permissions(&p.permission.0)?;
    if p.callback_url.as_deref().is_some_and(|c| !callback_allowed(c)) {
        return Err(ApiError::invalid_param("callbackUrl", "must be an http(s) or app address"));
    }
    if p.name.is_empty() || p.name.chars().count() > 128 {
        return Err(ApiError::invalid_param("name", "must be 1 to 128 characters"));
    }
    let id = crate::id::gen();
    let secret = keys::random_token(32);
    let mut conn = ctx.db().await?;
    diesel::insert_into(apps::table)
        .values((
            apps::id.eq(&id),
            apps::created_at.eq(Utc::now()),
            apps::user_id.eq(ctx.me_id()),
            apps::secret.eq(&secret),
            apps::name.eq(&p.name),
            apps::description.eq(p.description.chars().take(512).collect::<String>()),
            apps::permission.eq(&p.permission.0),
            apps::callback_url.eq(&p.callback_url),
        ))
        .execute(&mut conn)
        .await?;
    Ok(pack_app(&id, &p.name, p.callback_url.as_deref(), &p.permission.0, Some(&secret)).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppShowParams {
    app_id: String,
}

type AppRow = (String, Option<String>, String, String, Vec<String>, Option<String>);

fn app_cols() -> (apps::id, apps::user_id, apps::secret, apps::name, apps::permission, apps::callback_url) {
    (apps::id, apps::user_id, apps::secret, apps::name, apps::permission, apps::callback_url)
}

pub async fn app_show(ctx: Ctx, p: AppShowParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let a: AppRow =
        apps::table.find(&p.app_id).select(app_cols()).first(&mut conn).await.optional()?.ok_or_else(
            || ApiError::client("NO_SUCH_APP", "dce83913-2dc6-4093-8a7b-71dbb11718a3", "No such app."),
        )?;
    let mine = ctx.me_id().is_some() && ctx.me_id() == a.1.as_deref();
    let mut v = pack_app(&a.0, &a.3, a.5.as_deref(), &a.4, mine.then_some(a.2.as_str()));
    if let Some(me) = ctx.me_id() {
        let authorized: bool = diesel::select(diesel::dsl::exists(
            access_tokens::table.filter(access_tokens::app_id.eq(&a.0).and(access_tokens::user_id.eq(me))),
        ))
        .get_result(&mut conn)
        .await?;
        v["isAuthorized"] = json!(authorized);
    }
    Ok(v.into())
}

async fn app_by_secret(ctx: &Ctx, secret: &str, err_id: &'static str) -> Result<AppRow, ApiError> {
    let mut conn = ctx.db().await?;
    apps::table
        .filter(apps::secret.eq(secret))
        .select(app_cols())
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::client("NO_SUCH_APP", err_id, "No such app."))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionGenerateParams {
    app_secret: String,
}

pub async fn session_generate(ctx: Ctx, p: SessionGenerateParams) -> Result<Out, ApiError> {
    let app = app_by_secret(&ctx, &p.app_secret, "92f93e63-428e-4f2f-a5a4-39e1407fe998").await?;
    let token = keys::random_token(32);
    let mut conn = ctx.db().await?;
    diesel::insert_into(auth_sessions::table)
        .values((
            auth_sessions::id.eq(crate::id::gen()),
            auth_sessions::created_at.eq(Utc::now()),
            auth_sessions::token.eq(&token),
            auth_sessions::app_id.eq(&app.0),
        ))
        .execute(&mut conn)
        .await?;
    Ok(json!({ "token": token, "url": format!("{}/auth/{token}", ctx.state.config.url) }).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct SessionTokenParams {
    token: String,
}

/// The legacy auth session with this token: its id, its app and the user who approved it.
async fn session(
    conn: &mut diesel_async::AsyncPgConnection,
    token: &str,
    err_id: &'static str,
) -> Result<(String, String, Option<String>), ApiError> {
    auth_sessions::table
        .filter(auth_sessions::token.eq(token))
        .select((auth_sessions::id, auth_sessions::app_id, auth_sessions::user_id))
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::client("NO_SUCH_SESSION", err_id, "No such session."))
}

pub async fn session_show(ctx: Ctx, p: SessionTokenParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let (id, app_id, _) = session(&mut conn, &p.token, "bd72c97d-eba7-4adb-a467-f171b8847250").await?;
    let a: AppRow = apps::table.find(&app_id).select(app_cols()).first(&mut conn).await?;
    Ok(json!({ "id": id, "token": p.token, "app": pack_app(&a.0, &a.3, a.5.as_deref(), &a.4, None) }).into())
}

pub async fn accept(ctx: Ctx, p: SessionTokenParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    let (sid, app_id, _) = session(&mut conn, &p.token, "9c72d8de-391a-43c1-9d06-08d29efde8df").await?;
    let a: AppRow = apps::table.find(&app_id).select(app_cols()).first(&mut conn).await?;
    let exists: bool = diesel::select(diesel::dsl::exists(
        access_tokens::table.filter(access_tokens::app_id.eq(&app_id).and(access_tokens::user_id.eq(&me))),
    ))
    .get_result(&mut conn)
    .await?;
    if !exists {
        let access = keys::random_token(32);
        let hash = hex(&Sha256::digest(format!("{access}{}", a.2).as_bytes()));
        diesel::insert_into(access_tokens::table)
            .values((
                access_tokens::id.eq(crate::id::gen()),
                access_tokens::created_at.eq(Utc::now()),
                access_tokens::last_used_at.eq(Utc::now()),
                access_tokens::app_id.eq(&app_id),
                access_tokens::user_id.eq(&me),
                access_tokens::token.eq(&access),
                access_tokens::hash.eq(&hash),
                access_tokens::name.eq(&a.3),
                access_tokens::permission.eq(&a.4),
            ))
            .execute(&mut conn)
            .await?;
    }
    diesel::update(auth_sessions::table.find(&sid))
        .set(auth_sessions::user_id.eq(&me))
        .execute(&mut conn)
        .await?;
    Ok(().into())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserkeyParams {
    app_secret: String,
    token: String,
}

pub async fn session_userkey(ctx: Ctx, p: UserkeyParams) -> Result<Out, ApiError> {
    let app = app_by_secret(&ctx, &p.app_secret, "fcab192a-2c5a-43b7-8ad8-9b7054d8d40d").await?;
    let mut conn = ctx.db().await?;
    let no_session = "5b5a1503-8bc8-4bd0-8054-dc189e8cdcb3";
    let (sid, app_id, user) = session(&mut conn, &p.token, no_session).await?;
    if app_id != app.0 {
        return Err(ApiError::client("NO_SUCH_SESSION", no_session, "No such session."));
    }
    let user = user.ok_or_else(|| {
        ApiError::client(
            "PENDING_SESSION",
            "8c8a4145-02cc-4cca-8e66-29ba60445a8e",
            "This session is not completed yet.",
        )
    })?;
    let access: String = access_tokens::table
        .filter(access_tokens::app_id.eq(&app.0).and(access_tokens::user_id.eq(&user)))
        .select(access_tokens::token)
        .first(&mut conn)
        .await?;
    diesel::delete(auth_sessions::table.find(&sid)).execute(&mut conn).await?;
    let u =
        pack_users::load_one(&mut conn, &user).await?.ok_or_else(|| ApiError::internal("user vanished"))?;
    let packed = pack_users::detailed(&mut conn, &ctx.state.config.url, None, &[u]).await?;
    Ok(json!({ "accessToken": access, "user": packed.into_iter().next() }).into())
}

#[cfg(test)]
mod tests {
    use super::callback_allowed;

    #[test]
    fn callbacks_that_would_run_in_the_page_are_refused() {
        for ok in ["https://app.example/cb", "http://localhost:3000/x", "myapp://auth", "com.example.app:/cb"]
        {
            assert!(callback_allowed(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            " javascript:x",
            "",
            "nope",
        ] {
            assert!(!callback_allowed(bad), "{bad}");
        }
    }
}
