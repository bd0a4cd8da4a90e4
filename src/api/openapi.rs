//! `GET /api.json`: an OpenAPI 3.1 document generated from the endpoint table (parameter
//! schemas come from the parameter types themselves), built once per process.

use super::endpoint::Role;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use std::sync::LazyLock;

fn document(base: &str) -> Value {
    let mut names: Vec<&str> = super::registry().keys().copied().collect();
    names.sort_unstable();
    let mut paths = serde_json::Map::new();
    for name in names {
        let ep = &super::registry()[name];
        let mut schema = (ep.params)().to_value();
        if let Some(o) = schema.as_object_mut() {
            o.remove("$schema");
            o.remove("title");
        }
        let mut notes = vec![];
        if ep.credential {
            notes.push("**Credential required**".to_string());
        }
        if let Some(k) = ep.kind {
            notes.push(format!("**Permission**: `{k}`"));
        }
        if ep.secure {
            notes.push("**Native token only** (not app tokens)".into());
        }
        match ep.role {
            Role::Admin => notes.push("**Administrators only**".into()),
            Role::Moderator => notes.push("**Moderators only**".into()),
            Role::Anyone => {}
        }
        if let Some((policy, _)) = ep.policy {
            notes.push(format!("**Role policy**: `{policy}`"));
        }
        if let Some(l) = ep.limit {
            if l.max > 0 {
                notes.push(format!("**Rate limit**: {} calls per {} s", l.max, l.duration_ms / 1000));
            }
            if l.min_interval_ms > 0 {
                notes.push(format!("**Minimum interval**: {} ms", l.min_interval_ms));
            }
        }
        let description = format!("{}\n\n{}", ep.description, notes.join("  \n"));
        let security =
            if ep.credential { json!([{ "bearerAuth": [] }]) } else { json!([{}, { "bearerAuth": [] }]) };
        let op = json!({
            "operationId": name.replace('/', "___"),
            "summary": name,
            "description": description,
            "tags": [name.split('/').next().unwrap_or(name)],
            "security": security,
            "requestBody": { "required": true, "content": { "application/json": { "schema": schema } } },
            "responses": {
                "200": { "description": "OK (with results)", "content": { "application/json": { "schema": {} } } },
                "204": { "description": "OK (without any results)" },
                "400": { "$ref": "#/components/responses/Error" },
                "401": { "$ref": "#/components/responses/Error" },
                "403": { "$ref": "#/components/responses/Error" },
                "429": { "$ref": "#/components/responses/Error" },
                "500": { "$ref": "#/components/responses/Error" },
            },
        });
        let mut item = json!({ "post": op.clone() });
        if ep.allow_get {
            item["get"] = op;
        }
        paths.insert(format!("/{name}"), item);
    }
    json!({
        "openapi": "3.1.0",
        "info": { "version": crate::VERSION, "title": "misskey-rs API" },
        "externalDocs": { "description": "Misskey's API documentation", "url": "https://misskey-hub.net/docs/for-developers/api/" },
        "servers": [{ "url": format!("{base}/api") }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer" } },
            "responses": { "Error": { "description": "Error", "content": { "application/json": { "schema": {
                "type": "object",
                "properties": { "error": { "type": "object", "required": ["message", "code", "id", "kind"], "properties": {
                    "message": { "type": "string" }, "code": { "type": "string" }, "id": { "type": "string", "format": "uuid" },
                    "kind": { "type": "string", "enum": ["client", "server", "permission"] }, "info": { "type": "object" } } } },
                "required": ["error"],
            } } } } },
        },
    })
}

static DOC: LazyLock<std::sync::Mutex<Option<web::Bytes>>> = LazyLock::new(Default::default);

pub async fn serve(state: web::Data<crate::state::AppState>) -> HttpResponse {
    let mut slot = DOC.lock().unwrap_or_else(|e| e.into_inner());
    let body = slot
        .get_or_insert_with(|| {
            web::Bytes::from(serde_json::to_vec(&document(&state.config.url)).expect("json"))
        })
        .clone();
    HttpResponse::Ok().content_type("application/json").body(body)
}
