//! Instance-wide settings kept in the `meta` row.

use super::policies::RolePolicies;
use super::Error;
use crate::db::schema::meta;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

/// The base role policies: Misskey's defaults with the stored overrides.
pub async fn policies(conn: &mut AsyncPgConnection) -> Result<RolePolicies, Error> {
    let overrides: Option<Value> =
        meta::table.filter(meta::id.eq("x")).select(meta::policies).first(conn).await.optional()?;
    match overrides {
        None => Ok(RolePolicies::default()),
        Some(o) => RolePolicies::with_overrides(&o).map_err(Error::internal),
    }
}

/// Replaces the stored overrides after checking them.
pub async fn set_policies(conn: &mut AsyncPgConnection, overrides: &Value) -> Result<(), Error> {
    RolePolicies::with_overrides(overrides).map_err(|e| Error::invalid("policies", e))?;
    super::users::ensure_meta(conn).await.map_err(Error::internal)?;
    diesel::update(meta::table.filter(meta::id.eq("x")))
        .set((meta::policies.eq(overrides), meta::updated_at.eq(chrono::Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}

/// The base role policies as this process last read them; read again after two seconds, so an
/// administrator's change reaches every process at once.
#[derive(Default)]
pub struct PolicyCache {
    last: std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<RolePolicies>)>>,
}

const POLICY_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl PolicyCache {
    pub async fn get(&self, db: &crate::db::DbPool) -> Result<std::sync::Arc<RolePolicies>, Error> {
        if let Some((at, p)) = self.last.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if at.elapsed() < POLICY_TTL {
                return Ok(p.clone());
            }
        }
        let mut conn = db.get().await?;
        let p = std::sync::Arc::new(policies(&mut conn).await?);
        *self.last.write().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), p.clone()));
        Ok(p)
    }

    /// Forgets the policies read, after this process changed them.
    pub fn forget(&self) {
        *self.last.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
