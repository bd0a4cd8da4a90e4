//! `GET /api.json`: an OpenAPI 3.1 document generated from the endpoint table (parameter
//! schemas come from the parameter types themselves), built once per process.

use super::endpoint::Role;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use std::sync::LazyLock;

/// Points every `#/$defs/NAME` reference in `v` at `#/components/schemas/{renamed NAME}`.
fn move_refs(v: &mut Value, renamed: &dyn Fn(&str) -> String) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    *r = format!("#/components/schemas/{}", renamed(name));
                }
            }
            o.values_mut().for_each(|v| move_refs(v, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| move_refs(v, renamed)),
        _ => {}
    }
}

/// Takes the shared definitions out of an endpoint's parameter schema into `components`, so
/// that every reference resolves in the whole document; a name already taken by another
/// definition gets the endpoint's name as a suffix.
fn hoist_defs(schema: &mut Value, op: &str, components: &mut serde_json::Map<String, Value>) {
    let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|o| o.remove("$defs")) else {
        return;
    };
    let names: std::collections::HashMap<String, String> = defs
        .iter()
        .map(|(name, def)| match components.get(name) {
            Some(existing) if existing != def => (name.clone(), format!("{name}_{op}")),
            _ => (name.clone(), name.clone()),
        })
        .collect();
    let renamed = |n: &str| names.get(n).cloned().unwrap_or_else(|| n.to_string());
    for (name, mut def) in defs {
        move_refs(&mut def, &renamed);
        components.insert(renamed(&name), def);
    }
    move_refs(schema, &renamed);
}

fn document(base: &str) -> Value {
    let mut names: Vec<&str> = super::registry().keys().copied().collect();
    names.sort_unstable();
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    for name in names {
        let ep = &super::registry()[name];
        let mut schema = (ep.params)().to_value();
        if let Some(o) = schema.as_object_mut() {
            o.remove("$schema");
            o.remove("title");
        }
        hoist_defs(&mut schema, &name.replace('/', "___"), &mut schemas);
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
        let body = if ep.file {
            if let Some(o) = schema.as_object_mut() {
                let props = o.entry("properties").or_insert_with(|| json!({}));
                props["file"] =
                    json!({ "type": "string", "format": "binary", "description": "The file's bytes." });
                let req = o.entry("required").or_insert_with(|| json!([]));
                if let Some(r) = req.as_array_mut() {
                    r.push(json!("file"));
                }
            }
            json!({ "required": true, "content": { "multipart/form-data": { "schema": schema } } })
        } else {
            json!({ "required": true, "content": { "application/json": { "schema": schema } } })
        };
        let op = json!({
            "operationId": name.replace('/', "___"),
            "summary": name,
            "description": description,
            "tags": [name.split('/').next().unwrap_or(name)],
            "security": security,
            "requestBody": body,
            "responses": {
                "200": { "description": "OK (with results)", "content": { "application/json": { "schema": {} } } },
                "204": { "description": "OK (without any results)" },
                "400": { "$ref": "#/components/responses/Error" },
                "401": { "$ref": "#/components/responses/Error" },
                "403": { "$ref": "#/components/responses/Error" },
                "413": { "$ref": "#/components/responses/Error" },
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
            "schemas": schemas,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_within_the_document() {
        let doc = document("http://localhost");
        let mut found = vec![];
        refs(&doc, &mut found);
        assert!(
            found.iter().any(|r| r.starts_with("#/components/schemas/")),
            "shared schemas are referenced"
        );
        for r in found {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} is not local"));
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
        let body =
            &doc["paths"]["/notes/create"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert!(body.get("$defs").is_none() && body["properties"]["poll"].is_object(), "{body}");
    }
}
