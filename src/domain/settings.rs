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

/// An administrator changes settings (columns of `meta` with their checked values): the change
/// and its moderation log entry (each changed setting before and after, by its Misskey name)
/// together.
pub async fn update(conn: &mut AsyncPgConnection, admin: &str, cols: &[(&str, Value)]) -> Result<(), Error> {
    use diesel_async::AsyncConnection;
    super::users::ensure_meta(conn).await.map_err(Error::internal)?;
    conn.transaction::<_, Error, _>(async |conn| {
        let before = crate::db::meta::settings(conn).await?;
        crate::db::update_columns(conn, "meta", "id", "x", cols).await?;
        let after = crate::db::meta::settings(conn).await?;
        let pick = |m: &Value| -> Value {
            cols.iter().map(|(c, _)| (camel(c), m.get(*c).cloned().unwrap_or(Value::Null))).collect()
        };
        let change = serde_json::json!({ "before": pick(&before), "after": pick(&after) });
        super::moderation::log(conn, admin, "updateServerSettings", change).await
    })
    .await?;
    super::words::forget();
    Ok(())
}

/// A setting's Misskey name: `snake_case` → `camelCase` (`app192_icon_url` → `app192IconUrl`).
pub fn camel(col: &str) -> String {
    let mut out = String::with_capacity(col.len());
    let mut up = false;
    for c in col.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A value read from the database, kept by this process for a short while: settings change
/// rarely and are read on every request, and the short life lets an administrator's change
/// reach every process without any signal between them.
pub struct Timed<T> {
    /// The value, and when it was read (none once forgotten: read again, kept meanwhile).
    last: std::sync::RwLock<Option<(Option<std::time::Instant>, std::sync::Arc<T>)>>,
}

/// How long a [`Timed`] value is used before it is read again.
pub const SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl<T> Timed<T> {
    pub const fn new() -> Self {
        Timed { last: std::sync::RwLock::new(None) }
    }

    /// The value, while it is recent enough.
    pub fn fresh(&self) -> Option<std::sync::Arc<T>> {
        let last = self.last.read().unwrap_or_else(|e| e.into_inner());
        last.as_ref()
            .filter(|(at, _)| at.is_some_and(|at| at.elapsed() < SETTINGS_TTL))
            .map(|(_, v)| v.clone())
    }

    /// The value last read, however old (for what cannot wait for a query, such as packing).
    pub fn last(&self) -> Option<std::sync::Arc<T>> {
        self.last.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(_, v)| v.clone())
    }

    /// Keeps a value just read, and answers it.
    pub fn store(&self, v: T) -> std::sync::Arc<T> {
        let v = std::sync::Arc::new(v);
        self.store_arc(v.clone());
        v
    }

    /// Keeps a value already shared.
    pub fn store_arc(&self, v: std::sync::Arc<T>) {
        *self.last.write().unwrap_or_else(|e| e.into_inner()) = Some((Some(std::time::Instant::now()), v));
    }

    /// Makes the next use read the value again, after this process changed it.
    pub fn forget(&self) {
        if let Some(last) = self.last.write().unwrap_or_else(|e| e.into_inner()).as_mut() {
            last.0 = None;
        }
    }
}

impl<T> Default for Timed<T> {
    fn default() -> Self {
        Timed::new()
    }
}

/// The base role policies as this process last read them (one value for the process: every
/// handle reads the same database).
static BASE_POLICIES: Timed<RolePolicies> = Timed::new();

/// The base role policies, read again after a short while.
pub async fn base_policies(conn: &mut AsyncPgConnection) -> Result<std::sync::Arc<RolePolicies>, Error> {
    match BASE_POLICIES.fresh() {
        Some(p) => Ok(p),
        None => Ok(BASE_POLICIES.store(policies(conn).await?)),
    }
}

/// The handle on the base policies the server state carries.
#[derive(Default)]
pub struct PolicyCache;

impl PolicyCache {
    pub async fn get(&self, db: &crate::db::DbPool) -> Result<std::sync::Arc<RolePolicies>, Error> {
        match BASE_POLICIES.fresh() {
            Some(p) => Ok(p),
            None => base_policies(&mut *db.get().await?).await,
        }
    }

    /// Forgets the policies read, after this process changed them.
    pub fn forget(&self) {
        BASE_POLICIES.forget();
    }
}

/// Where a setting holds a text, and what it must be.
#[derive(Clone, Copy, Debug)]
pub enum TextKind {
    /// Any text up to the length.
    Text(usize),
    /// An http(s) URL (a browser opens it or loads it as an image: nothing else may run).
    Url,
    /// A CSS colour as `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`.
    Color,
}

/// Checks a text setting; blank means none.
pub fn text_setting(param: &'static str, v: Option<&str>, kind: TextKind) -> Result<Option<String>, Error> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    match kind {
        TextKind::Text(max) if v.chars().count() > max => {
            Err(Error::invalid(param, format!("must be at most {max} characters")))
        }
        TextKind::Url
            if v.len() > 1024
                || !url::Url::parse(v)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) =>
        {
            Err(Error::invalid(param, "must be an http or https URL of at most 1024 characters"))
        }
        TextKind::Color
            if !(v.starts_with('#')
                && [4, 5, 7, 9].contains(&v.len())
                && v[1..].bytes().all(|b| b.is_ascii_hexdigit())) =>
        {
            Err(Error::invalid(param, "must be a colour like #86b300"))
        }
        _ => Ok(Some(v.to_owned())),
    }
}

/// Checks a list setting: at most `max_items` entries of at most `max_chars` each; blank
/// entries are dropped.
pub fn list_setting(
    param: &'static str,
    v: &[String],
    max_items: usize,
    max_chars: usize,
) -> Result<Vec<String>, Error> {
    if v.len() > max_items {
        return Err(Error::invalid(param, format!("at most {max_items} entries")));
    }
    if v.iter().any(|e| e.chars().count() > max_chars) {
        return Err(Error::invalid(param, format!("each entry is at most {max_chars} characters")));
    }
    Ok(v.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_settings_are_checked_by_kind() {
        assert_eq!(text_setting("x", Some("  "), TextKind::Url).unwrap(), None);
        assert!(text_setting("x", Some("javascript:alert(1)"), TextKind::Url).is_err());
        assert!(text_setting("x", Some("https://example.com/a.png"), TextKind::Url).unwrap().is_some());
        assert!(text_setting("x", Some("#86b300"), TextKind::Color).unwrap().is_some());
        assert!(text_setting("x", Some("#86b30"), TextKind::Color).is_err());
        assert!(text_setting("x", Some("red"), TextKind::Color).is_err());
        assert!(text_setting("x", Some("abc"), TextKind::Text(2)).is_err());
        assert_eq!(list_setting("x", &[" a ".into(), "".into()], 2, 3).unwrap(), vec!["a"]);
        assert!(list_setting("x", &["abcd".into()], 2, 3).is_err());
    }
}
