//! Discovery: WebFinger (JRD, or XRD when asked), host-meta (XRD and JSON) and NodeInfo 2.0
//! and 2.1 with the links to them.

use super::resolve::ResolveError;
use super::Federation;
use crate::db::schema::users;
use crate::domain::federation::InstanceInfo;
use crate::mfm::to_html::escaped;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::{json, Value};

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
            escaped(&subject),
            escaped(&actor),
            escaped(&profile),
            escaped(&subscribe)
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
        escaped(base)
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

/// The NodeInfo document a `/.well-known/nodeinfo` answer links to on `host` (2.1 before 2.0).
fn nodeinfo_link(links: &Value, host: &str) -> Option<String> {
    let links = links.get("links")?.as_array()?;
    let href = |version: &str| {
        links.iter().find_map(|l| {
            let rel = l.get("rel")?.as_str()?;
            let href = l.get("href")?.as_str()?;
            (rel == format!("http://nodeinfo.diaspora.software/ns/schema/{version}"))
                .then(|| href.to_string())
        })
    };
    href("2.1")
        .or_else(|| href("2.0"))
        .filter(|h| crate::domain::federation::authority_of(h).as_deref() == Some(host))
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// What a NodeInfo document says of its server; Misskey, Mastodon and others name some of
/// the metadata differently.
fn parse_nodeinfo(doc: &Value) -> InstanceInfo {
    let meta = doc.get("metadata").cloned().unwrap_or_default();
    let maintainer = meta.get("maintainer");
    InstanceInfo {
        software_name: text(doc.pointer("/software/name")),
        software_version: text(doc.pointer("/software/version")),
        open_registrations: doc.get("openRegistrations").and_then(Value::as_bool),
        name: text(meta.get("nodeName")).or_else(|| text(meta.get("name"))),
        description: text(meta.get("nodeDescription")).or_else(|| text(meta.get("description"))),
        maintainer_name: text(maintainer.and_then(|m| m.get("name"))),
        maintainer_email: text(maintainer.and_then(|m| m.get("email"))),
        icon_url: None,
        theme_color: text(meta.get("themeColor")),
    }
}

/// Adds what a web app manifest says (theme color, the largest icon on `host`).
fn parse_manifest(doc: &Value, host: &str, base: &reqwest::Url, info: &mut InstanceInfo) {
    if info.theme_color.is_none() {
        info.theme_color = text(doc.get("theme_color"));
    }
    let size = |i: &Value| {
        text(i.get("sizes"))
            .and_then(|s| s.split(['x', 'X']).next().and_then(|n| n.parse::<u32>().ok()))
            .unwrap_or(0)
    };
    let icons = doc.get("icons").and_then(Value::as_array);
    let best =
        icons.and_then(|icons| icons.iter().filter(|i| i.get("src").is_some()).max_by_key(|i| size(i)));
    info.icon_url = best
        .and_then(|i| text(i.get("src")))
        .and_then(|src| base.join(&src).ok())
        .filter(|u| matches!(u.scheme(), "https" | "http") && crate::ap::client::authority(u) == host)
        .map(|u| u.to_string());
}

/// Asks `host` what it says of itself: NodeInfo, then its web app manifest when it has one.
pub async fn instance_info(fed: &Federation, host: &str) -> Result<InstanceInfo, ResolveError> {
    let scheme = if fed.state.config.federation.allow_insecure_peers { "http" } else { "https" };
    let links = fed.client.get(&format!("{scheme}://{host}/.well-known/nodeinfo"), None).await?;
    let link = nodeinfo_link(&links, host)
        .ok_or_else(|| ResolveError::Invalid("no NodeInfo on the server's own host".into()))?;
    let mut info = parse_nodeinfo(&fed.client.get(&link, None).await?);
    let manifest_url = format!("{scheme}://{host}/manifest.json");
    if let (Ok(doc), Ok(base)) =
        (fed.client.get(&manifest_url, None).await, reqwest::Url::parse(&manifest_url))
    {
        parse_manifest(&doc, host, &base, &mut info);
    }
    Ok(info)
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

    #[test]
    fn what_a_server_says_of_itself_is_read_from_nodeinfo_and_manifest() {
        let rel = |v: &str| format!("http://nodeinfo.diaspora.software/ns/schema/{v}");
        let links = json!({ "links": [
            { "rel": rel("2.0"), "href": "https://a.example/nodeinfo/2.0" },
            { "rel": rel("2.1"), "href": "https://a.example/nodeinfo/2.1" },
        ]});
        assert_eq!(nodeinfo_link(&links, "a.example").as_deref(), Some("https://a.example/nodeinfo/2.1"));
        let elsewhere = json!({ "links": [{ "rel": rel("2.0"), "href": "https://b.example/ni" }] });
        assert_eq!(nodeinfo_link(&elsewhere, "a.example"), None, "NodeInfo of another host is not taken");
        assert_eq!(nodeinfo_link(&json!({ "links": "x" }), "a.example"), None);

        let misskey = json!({
            "software": { "name": "misskey", "version": "2026.3.2" },
            "openRegistrations": false,
            "metadata": { "nodeName": "Misskey Island", "nodeDescription": " A place ",
                "maintainer": { "name": "Ann", "email": "ann@a.example" }, "themeColor": "#86b300" },
        });
        let info = parse_nodeinfo(&misskey);
        assert_eq!(info.software_name.as_deref(), Some("misskey"));
        assert_eq!(info.software_version.as_deref(), Some("2026.3.2"));
        assert_eq!(info.open_registrations, Some(false));
        assert_eq!(info.name.as_deref(), Some("Misskey Island"));
        assert_eq!(info.description.as_deref(), Some("A place"));
        assert_eq!(info.maintainer_email.as_deref(), Some("ann@a.example"));
        assert_eq!(info.theme_color.as_deref(), Some("#86b300"));
        // Mastodon says less; odd values are left out, not guessed.
        let mastodon =
            json!({ "software": { "name": "mastodon", "version": 4 }, "metadata": { "nodeName": "" } });
        let info = parse_nodeinfo(&mastodon);
        assert_eq!((info.software_version, info.name), (None, None));

        let base = reqwest::Url::parse("https://a.example/manifest.json").unwrap();
        let manifest = json!({ "theme_color": "#123456", "icons": [
            { "src": "/small.png", "sizes": "48x48" },
            { "src": "/big.png", "sizes": "512x512" },
            { "src": "https://evil.example/x.png", "sizes": "1024x1024" },
        ]});
        let mut info = InstanceInfo::default();
        parse_manifest(&manifest, "a.example", &base, &mut info);
        assert_eq!(info.theme_color.as_deref(), Some("#123456"));
        assert_eq!(info.icon_url, None, "the largest icon is on another host");
        let manifest = json!({ "icons": [{ "src": "/small.png", "sizes": "48x48" }, { "src": "big.png", "sizes": "512x512" }] });
        parse_manifest(&manifest, "a.example", &base, &mut info);
        assert_eq!(info.icon_url.as_deref(), Some("https://a.example/big.png"));
    }
}
