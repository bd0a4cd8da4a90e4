//! Notification, as misskey-js defines it (the stored kinds this server creates).

use super::notes;
use super::users;
use crate::api::ApiError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use serde_json::{json, Value};
use std::collections::HashSet;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = crate::db::schema::notifications)]
pub struct NotificationRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub notifier_id: Option<String>,
    pub kind: String,
    pub note_id: Option<String>,
    pub reaction: Option<String>,
    pub message: Option<String>,
    pub file_id: Option<String>,
    pub exported_entity: Option<String>,
    pub role_id: Option<String>,
}

/// Packs notifications in order; ones whose note is gone or hidden are left out.
pub async fn pack(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: &str,
    rows: &[NotificationRow],
) -> Result<Vec<Value>, ApiError> {
    let user_ids: Vec<String> =
        rows.iter().filter_map(|r| r.notifier_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let note_ids: Vec<String> =
        rows.iter().filter_map(|r| r.note_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let users = users::load(conn, &user_ids).await?;
    let notes = notes::by_ids(conn, base, Some(me), &note_ids).await?;
    let role_ids: Vec<&String> = rows.iter().filter_map(|r| r.role_id.as_ref()).collect();
    let (roles, holders) = if role_ids.is_empty() {
        (Vec::new(), Default::default())
    } else {
        let snapshot = crate::domain::roles::snapshot(conn).await?;
        (snapshot.roles.clone(), crate::domain::roles::member_counts(conn, &role_ids).await?)
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = json!({
            "id": r.id,
            "createdAt": super::iso(r.created_at),
            "type": r.kind,
        });
        if let Some(uid) = &r.notifier_id {
            let Some(u) = users.get(uid) else { continue };
            v["user"] = users::lite(base, u);
            v["userId"] = json!(uid);
        }
        if let Some(nid) = &r.note_id {
            match notes.get(nid) {
                Some(n) if n.get("isHidden").is_none() => v["note"] = n.clone(),
                _ => continue,
            }
        }
        match r.kind.as_str() {
            "reaction" => v["reaction"] = json!(r.reaction.clone().unwrap_or_default()),
            "followRequestAccepted" => v["message"] = json!(r.message),
            "exportCompleted" => {
                v["exportedEntity"] = json!(r.exported_entity.clone().unwrap_or_default());
                v["fileId"] = json!(r.file_id.clone().unwrap_or_default());
            }
            "app" => {
                v["body"] = json!(r.message.clone().unwrap_or_default());
                v["header"] = Value::Null;
                v["icon"] = Value::Null;
            }
            "roleAssigned" => {
                let Some(role) = roles.iter().find(|x| r.role_id.as_ref() == Some(&x.id)) else { continue };
                v["role"] = super::roles::role(role, holders.get(&role.id).copied().unwrap_or(0));
            }
            _ => {}
        }
        out.push(v);
    }
    Ok(out)
}

/// Misskey's grouping for i/notifications-grouped: consecutive reactions to the same note become
/// one `reaction:grouped`, consecutive renotes of the same note one `renote:grouped`.
pub fn group(packed: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(packed.len());
    for n in packed {
        let kind = n["type"].as_str().unwrap_or("").to_string();
        let note_id = |v: &Value| -> Option<String> {
            match v["type"].as_str() {
                Some("renote") | Some("renote:grouped") => v["note"]["renoteId"].as_str().map(String::from),
                _ => v["note"]["id"].as_str().map(String::from),
            }
        };
        if let Some(last) = out.last_mut() {
            let last_kind = last["type"].as_str().unwrap_or("").to_string();
            let same_note = note_id(last).is_some() && note_id(last) == note_id(&n);
            if same_note && kind == "reaction" && (last_kind == "reaction" || last_kind == "reaction:grouped")
            {
                if last_kind == "reaction" {
                    let first = json!({ "user": last["user"], "reaction": last["reaction"] });
                    *last = json!({ "id": last["id"], "createdAt": last["createdAt"], "type": "reaction:grouped",
                                    "note": last["note"], "reactions": [first] });
                }
                if let Some(list) = last["reactions"].as_array_mut() {
                    list.push(json!({ "user": n["user"], "reaction": n["reaction"] }));
                }
                continue;
            }
            if same_note && kind == "renote" && (last_kind == "renote" || last_kind == "renote:grouped") {
                if last_kind == "renote" {
                    let renoted = last["note"]["renote"].clone();
                    *last = json!({ "id": last["id"], "createdAt": last["createdAt"], "type": "renote:grouped",
                                    "note": renoted, "users": [last["user"]] });
                }
                if let Some(list) = last["users"].as_array_mut() {
                    list.push(n["user"].clone());
                }
                continue;
            }
        }
        out.push(n);
    }
    out
}
