//! The instance settings row (`meta`, one row with id 'x').

use super::schema::meta;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// What the instance tells about itself (meta, NodeInfo).
#[derive(Queryable, Debug, Clone)]
pub struct InstanceRow {
    pub name: Option<String>,
    pub description: Option<String>,
    pub maintainer_name: Option<String>,
    pub maintainer_email: Option<String>,
    pub lang_default: Option<String>,
    pub disable_registration: bool,
    pub root_user_id: Option<String>,
}

/// The settings, or those of an instance not yet set up (registration closed).
pub async fn load(conn: &mut AsyncPgConnection) -> QueryResult<InstanceRow> {
    let row = meta::table
        .filter(meta::id.eq("x"))
        .select((
            meta::name,
            meta::description,
            meta::maintainer_name,
            meta::maintainer_email,
            meta::lang_default,
            meta::disable_registration,
            meta::root_user_id,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.unwrap_or(InstanceRow {
        name: None,
        description: None,
        maintainer_name: None,
        maintainer_email: None,
        lang_default: None,
        disable_registration: true,
        root_user_id: None,
    }))
}
