//! Instance-wide settings kept in the `meta` row.

use super::policies::RolePolicies;
use crate::api::ApiError;
use crate::db::schema::meta;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

/// The base role policies: Misskey's defaults with the stored overrides.
pub async fn policies(conn: &mut AsyncPgConnection) -> Result<RolePolicies, ApiError> {
    let overrides: Option<Value> =
        meta::table.filter(meta::id.eq("x")).select(meta::policies).first(conn).await.optional()?;
    match overrides {
        None => Ok(RolePolicies::default()),
        Some(o) => RolePolicies::with_overrides(&o).map_err(ApiError::internal),
    }
}

/// Replaces the stored overrides after checking them.
pub async fn set_policies(conn: &mut AsyncPgConnection, overrides: &Value) -> Result<(), ApiError> {
    RolePolicies::with_overrides(overrides).map_err(|e| ApiError::invalid_param("policies", e))?;
    super::users::ensure_meta(conn).await.map_err(ApiError::internal)?;
    diesel::update(meta::table.filter(meta::id.eq("x")))
        .set((meta::policies.eq(overrides), meta::updated_at.eq(chrono::Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}
