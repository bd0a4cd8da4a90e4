//! Who is calling: the token from `Authorization: Bearer` (preferred) or the body's `i`, resolved
//! to a native user token (full rights) or an app access token (its permission list).
//!
//! Resolutions are kept for a few seconds in-process, so a busy client costs one lookup per
//! window rather than one per request; regenerating a token drops it from this process at once
//! (other processes forget it within [`TOKEN_TTL`]).

use super::ApiError;
use crate::db::schema::{access_tokens, users};
use crate::db::DbPool;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub const TOKEN_TTL: Duration = Duration::from_secs(3);
const CACHE_MAX: usize = 50_000;

#[derive(Debug, Clone)]
pub struct Me {
    pub id: String,
    pub username: String,
    pub is_root: bool,
    pub is_admin: bool,
    pub is_moderator: bool,
    pub is_suspended: bool,
    /// `None` for the native token; the granted permissions for an app token.
    pub permissions: Option<Vec<String>>,
    /// What role conditions look at (and the roles given by hand).
    pub facts: crate::domain::roles::Facts,
    /// The words that hide notes from them.
    pub hard_muted: Option<Arc<crate::domain::words::WordList>>,
}

impl Me {
    pub fn is_native(&self) -> bool {
        self.permissions.is_none()
    }

    pub fn may(&self, kind: &str) -> bool {
        self.permissions.as_ref().is_none_or(|p| p.iter().any(|k| k == kind))
    }

    pub fn is_staff(&self) -> bool {
        self.is_root || self.is_admin || self.is_moderator
    }
}

/// The policies of the caller: the instance's base policies with those of the roles they hold
/// (the base alone for visitors). No query while the settings and roles are fresh.
pub async fn policies_of(
    state: &crate::state::AppState,
    me: Option<&Me>,
) -> Result<Arc<crate::domain::policies::RolePolicies>, ApiError> {
    Ok(crate::domain::roles::policies_for(&state.db, &state.policies, me.map(|m| &m.facts)).await?)
}

/// When a token was resolved, and to whom (None: nobody).
type Resolution = (Instant, Option<Arc<Me>>);

#[derive(Default)]
pub struct TokenCache {
    map: RwLock<HashMap<String, Resolution>>,
}

impl TokenCache {
    fn get(&self, token: &str) -> Option<Option<Arc<Me>>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(token).filter(|(at, _)| at.elapsed() < TOKEN_TTL).map(|(_, me)| me.clone())
    }

    fn put(&self, token: &str, me: Option<Arc<Me>>) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_MAX {
            map.retain(|_, (at, _)| at.elapsed() < TOKEN_TTL);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(token.to_string(), (Instant::now(), me));
    }

    /// Forgets every cached resolution (a role that makes moderators changed).
    pub fn clear(&self) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Forgets every cached resolution for a user (token regenerated, suspended).
    pub fn forget_user(&self, user_id: &str) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, me)| me.as_ref().is_none_or(|m| m.id != user_id));
    }
}

type UserFlags = ((String, String, bool, bool, bool), crate::domain::roles::FactsRow);

#[allow(clippy::type_complexity)]
fn flags() -> (
    (users::id, users::username, users::is_root, users::is_admin, users::is_moderator),
    diesel::dsl::AsSelect<crate::domain::roles::FactsRow, diesel::pg::Pg>,
) {
    (
        (users::id, users::username, users::is_root, users::is_admin, users::is_moderator),
        crate::domain::roles::FactsRow::as_select(),
    )
}

fn me_from((u, f): UserFlags, permissions: Option<Vec<String>>) -> Me {
    let facts = crate::domain::roles::Facts::from(f);
    Me {
        id: u.0,
        username: u.1,
        is_root: u.2,
        is_admin: u.3,
        is_moderator: u.4,
        is_suspended: facts.is_suspended,
        permissions,
        facts,
        hard_muted: None,
    }
}

/// Resolves a token; `Ok(None)` when no account holds it.
pub async fn resolve(db: &DbPool, cache: &TokenCache, token: &str) -> Result<Option<Arc<Me>>, ApiError> {
    if let Some(hit) = cache.get(token) {
        return Ok(hit);
    }
    let mut conn = db.get().await?;
    let native: Option<UserFlags> = if token.len() == 16 {
        users::table
            .filter(users::token.eq(token).and(users::host.is_null()))
            .select(flags())
            .first(&mut conn)
            .await
            .optional()?
    } else {
        None
    };
    let me = match native {
        Some(u) => Some(me_from(u, None)),
        None => {
            let app: Option<(Vec<String>, UserFlags)> = access_tokens::table
                .inner_join(users::table)
                .filter(access_tokens::token.eq(token).or(access_tokens::hash.eq(token.to_lowercase())))
                .select((access_tokens::permission, flags()))
                .first(&mut conn)
                .await
                .optional()?;
            app.map(|(perm, u)| me_from(u, Some(perm)))
        }
    };
    // Roles may make the caller a moderator or an administrator.
    let me = match me {
        Some(mut m) => {
            let hard: Option<serde_json::Value> = crate::db::schema::user_profiles::table
                .find(&m.id)
                .select(crate::db::schema::user_profiles::hard_muted_words)
                .first(&mut conn)
                .await
                .optional()?;
            m.hard_muted = hard.as_ref().and_then(crate::domain::words::hard_muted);
            let roles = crate::domain::roles::snapshot(&mut conn).await?;
            let (moderator, admin) = roles.staff_flags(&m.facts);
            m.is_moderator |= moderator;
            m.is_admin |= admin;
            Some(Arc::new(m))
        }
        None => None,
    };
    cache.put(token, me.clone());
    Ok(me)
}

/// The token a request carries: the Bearer header wins over the body's `i`.
pub fn token_of(header: Option<&str>, body: &serde_json::Value) -> Result<Option<String>, ApiError> {
    if let Some(h) = header {
        let t = h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")).unwrap_or("").trim();
        if t.is_empty() {
            return Err(ApiError::authentication_failed());
        }
        return Ok(Some(t.to_string()));
    }
    match body.get("i") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_param("i", "must be a string")),
    }
}
