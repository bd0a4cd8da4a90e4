//! Discovery: WebFinger (JRD, or XRD when asked), host-meta (XRD and JSON) and NodeInfo 2.0
//! and 2.1 with the links to them.

use crate::db::schema::users;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::{json, Value};

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn prefers_xml(req: &HttpRequest) -> bool {
    let accept = req.headers().get("accept").and_then(|v| v.to_str().ok()).unwrap_or_default();
    accept.contains("xml") && !accept.contains("json")
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// Which local user a WebFinger resource names: `acct:name@host` (or without `acct:`), the
/// profile URL `{base}/@name` or the actor URL `{base}/users/{id}`.
enum Named {
    Username(String),
    Id(String),
}

fn named(base: &str, host: &str, resource: &str) -> Option<Named> {
    if let Some(rest) = resource.strip_prefix(&format!("{base}/users/")) {
        return (!rest.is_empty() && !rest.contains('/')).then(|| Named::Id(rest.to_string()));
    }
    if let Some(rest) = resource.strip_prefix(&format!("{base}/@")) {
        return (!rest.is_empty() && !rest.contains('/') && !rest.contains('@'))
            .then(|| Named::Username(rest.into()));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (name, at) = acct.rsplit_once('@')?;
    (at.eq_ignore_ascii_case(host) && !name.is_empty()).then(|| Named::Username(name.to_string()))
}

async fn webfinger(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<WebfingerQuery>,
) -> HttpResponse {
    let Some(resource) = q.resource.as_deref().filter(|r| !r.is_empty() && r.len() <= 1024) else {
        return HttpResponse::BadRequest().body("resource is required");
    };
    let base = state.config.url.trim_end_matches('/');
    let host = state.config.host();
    let Some(which) = named(base, &host, resource) else { return HttpResponse::NotFound().finish() };
    let Ok(mut conn) = state.db.get().await else {
        return HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "5")).finish();
    };
    let q = users::table.filter(users::host.is_null().and(users::is_suspended.eq(false))).into_boxed();
    let q = match &which {
        Named::Username(n) => q.filter(users::username_lower.eq(n.to_lowercase())),
        Named::Id(id) => q.filter(users::id.eq(id)),
    };
    let found: Option<(String, String)> =
        match q.select((users::id, users::username)).first(&mut conn).await.optional() {
            Ok(f) => f,
            Err(_) => return HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "5")).finish(),
        };
    let Some((id, username)) = found else { return HttpResponse::NotFound().finish() };
    let subject = format!("acct:{username}@{host}");
    let actor = format!("{base}/users/{id}");
    let profile = format!("{base}/@{username}");
    let subscribe = format!("{base}/authorize-follow?acct={{uri}}");
    if prefers_xml(&req) {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\
             <Subject>{}</Subject>\
             <Link rel=\"self\" type=\"application/activity+json\" href=\"{}\"/>\
             <Link rel=\"http://webfinger.net/rel/profile-page\" type=\"text/html\" href=\"{}\"/>\
             <Link rel=\"http://ostatus.org/schema/1.0/subscribe\" template=\"{}\"/></XRD>",
            xml_escape(&subject),
            xml_escape(&actor),
            xml_escape(&profile),
            xml_escape(&subscribe)
        );
        return HttpResponse::Ok().content_type("application/xrd+xml; charset=utf-8").body(body);
    }
    HttpResponse::Ok()
        .content_type("application/jrd+json; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(json!({
            "subject": subject,
            "links": [
                { "rel": "self", "type": "application/activity+json", "href": actor },
                { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
                { "rel": "http://ostatus.org/schema/1.0/subscribe", "template": subscribe },
            ],
        }))
}

async fn host_meta(state: web::Data<AppState>) -> HttpResponse {
    let base = state.config.url.trim_end_matches('/');
    HttpResponse::Ok().content_type("application/xrd+xml; charset=utf-8").body(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\
         <Link rel=\"lrdd\" type=\"application/xrd+xml\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/></XRD>",
        xml_escape(base)
    ))
}

async fn host_meta_json(state: web::Data<AppState>) -> HttpResponse {
    let base = state.config.url.trim_end_matches('/');
    HttpResponse::Ok().json(json!({
        "links": [{
            "rel": "lrdd",
            "type": "application/jrd+json",
            "template": format!("{base}/.well-known/webfinger?resource={{uri}}"),
        }]
    }))
}

async fn nodeinfo_links(state: web::Data<AppState>) -> HttpResponse {
    let base = state.config.url.trim_end_matches('/');
    HttpResponse::Ok().insert_header(("Access-Control-Allow-Origin", "*")).json(json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1") },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0") },
        ]
    }))
}

/// Local accounts (all, active in the last 30 and 180 days) and their notes.
#[derive(diesel::QueryableByName)]
struct Usage {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    month: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    halfyear: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    posts: i64,
}

async fn nodeinfo(state: &AppState, version: &str) -> Result<Value, anyhow::Error> {
    let mut conn = state.db.get().await?;
    let m = crate::db::meta::load(&mut conn).await?;
    let u: Usage = crate::db::cached(diesel::sql_query(
        "SELECT count(*) AS total, \
           count(*) FILTER (WHERE last_active_date > now() - interval '30 days') AS month, \
           count(*) FILTER (WHERE last_active_date > now() - interval '180 days') AS halfyear, \
           coalesce(sum(notes_count), 0)::bigint AS posts \
         FROM users WHERE host IS NULL AND NOT is_system",
    ))
    .get_result(&mut conn)
    .await?;
    let policies = state.policies.get(&state.db).await?;
    let mut software = json!({ "name": "misskey-rs", "version": crate::VERSION });
    if version == "2.1" {
        software["homepage"] = json!("https://github.com/misskey-rs/misskey-rs");
        software["repository"] = json!("https://github.com/misskey-rs/misskey-rs");
    }
    let maintainer = json!({ "name": m.maintainer_name, "email": m.maintainer_email });
    Ok(json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": !m.disable_registration,
        "usage": {
            "users": { "total": u.total, "activeMonth": u.month, "activeHalfyear": u.halfyear },
            "localPosts": u.posts,
        },
        "metadata": {
            "nodeName": m.name,
            "nodeDescription": m.description,
            "nodeAdmins": [maintainer],
            "maintainer": maintainer,
            "langs": m.lang_default.map(|l| vec![l]).unwrap_or_default(),
            "tosUrl": null,
            "privacyPolicyUrl": null,
            "inquiryUrl": null,
            "impressumUrl": null,
            "repositoryUrl": null,
            "feedbackUrl": null,
            "disableRegistration": m.disable_registration,
            "disableLocalTimeline": !policies.ltl_available,
            "disableGlobalTimeline": !policies.gtl_available,
            "emailRequiredForSignup": false,
            "enableHcaptcha": false,
            "enableRecaptcha": false,
            "enableMcaptcha": false,
            "enableTurnstile": false,
            "maxNoteTextLength": crate::domain::notes::MAX_TEXT,
            "enableEmail": false,
            "enableServiceWorker": false,
            "proxyAccountName": null,
            "themeColor": null,
        },
    }))
}

async fn nodeinfo_response(state: &AppState, version: &str) -> HttpResponse {
    let profile = format!("http://nodeinfo.diaspora.software/ns/schema/{version}#");
    match nodeinfo(state, version).await {
        Ok(doc) => HttpResponse::Ok()
            .content_type(format!("application/json; profile=\"{profile}\""))
            .insert_header(("Access-Control-Allow-Origin", "*"))
            .insert_header(("Cache-Control", "public, max-age=600"))
            .json(doc),
        Err(e) => {
            tracing::warn!(error = %e, "rendering NodeInfo failed");
            HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "5")).finish()
        }
    }
}

async fn nodeinfo_20(state: web::Data<AppState>) -> HttpResponse {
    nodeinfo_response(&state, "2.0").await
}

async fn nodeinfo_21(state: web::Data<AppState>) -> HttpResponse {
    nodeinfo_response(&state, "2.1").await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/webfinger", web::get().to(webfinger))
        .route("/.well-known/host-meta", web::get().to(host_meta))
        .route("/.well-known/host-meta.json", web::get().to(host_meta_json))
        .route("/.well-known/nodeinfo", web::get().to(nodeinfo_links))
        .route("/nodeinfo/2.0", web::get().to(nodeinfo_20))
        .route("/nodeinfo/2.1", web::get().to(nodeinfo_21));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_name_local_users_only() {
        let (base, host) = ("http://127.0.0.1:3939", "127.0.0.1:3939");
        let user = |r: &str| match named(base, host, r) {
            Some(Named::Username(u)) => Some(format!("name {u}")),
            Some(Named::Id(i)) => Some(format!("id {i}")),
            None => None,
        };
        assert_eq!(user("acct:alice@127.0.0.1:3939").as_deref(), Some("name alice"));
        assert_eq!(user("alice@127.0.0.1:3939").as_deref(), Some("name alice"));
        assert_eq!(user("acct:@alice@127.0.0.1:3939").as_deref(), Some("name alice"));
        assert_eq!(user("http://127.0.0.1:3939/@alice").as_deref(), Some("name alice"));
        assert_eq!(user("http://127.0.0.1:3939/users/9x1").as_deref(), Some("id 9x1"));
        assert_eq!(user("acct:alice@127.0.0.1"), None, "another port is another server");
        assert_eq!(user("acct:alice@example.com"), None);
        assert_eq!(user("acct:@127.0.0.1:3939"), None);
        assert_eq!(user("http://127.0.0.1:3939/users/"), None);
        assert_eq!(user("http://127.0.0.1:3939/@alice@other"), None);
    }
}
