//! Roles: named sets of policies. A role is given by hand (`manual`, optionally until a time)
//! or by a condition on the account (`conditional`: age, counts, flags — evaluated on what the
//! request already knows of the caller, so no query per request). A user's policies are the
//! instance's base policies merged with those of every role they hold, by Misskey's rules: of
//! the values set at the highest priority present, the most permissive wins (any `true`, the
//! largest limit, the smallest rate-limit factor, every file type). Roles can make their
//! holders moderators or administrators, and be shown as badges.
//!
//! Every process keeps the list of roles for a couple of seconds ([`super::settings::Timed`]),
//! with the merged policies of each combination of roles met, so resolving a request's policies
//! costs no query once warm.

use super::policies::RolePolicies;
use super::settings::Timed;
use super::{Error, Refusal};
use crate::db::schema::{role_assignments, roles, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    pub description: String,
    pub color: Option<String>,
    pub icon_url: Option<String>,
    pub target: String,
    pub cond_formula: Value,
    pub is_public: bool,
    pub is_moderator: bool,
    pub is_administrator: bool,
    pub is_explorable: bool,
    pub as_badge: bool,
    pub preserve_assignment_on_move_account: bool,
    pub can_edit_members_by_moderator: bool,
    pub display_order: i32,
    pub policies: Value,
}

/// What conditions look at: the account as the request already knows it.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub created_at: DateTime<Utc>,
    pub local: bool,
    pub host: Option<String>,
    pub followers: i32,
    pub following: i32,
    pub notes: i32,
    pub is_suspended: bool,
    pub is_locked: bool,
    pub is_bot: bool,
    pub is_cat: bool,
    pub is_explorable: bool,
    /// Roles given by hand and not expired.
    pub assigned: Vec<String>,
}

impl Facts {
    /// The facts of a user row, with the roles given to them by hand.
    pub fn of_user(u: &crate::db::users::UserRow, assigned: Vec<String>) -> Facts {
        Facts::of_lite(&crate::db::users::LiteUser::from(u), assigned)
    }

    /// The facts of a packed user's row, with the roles given to them by hand.
    pub fn of_lite(u: &crate::db::users::LiteUser, assigned: Vec<String>) -> Facts {
        Facts {
            created_at: u.created_at,
            local: u.host.is_none(),
            host: u.host.clone(),
            followers: u.followers_count,
            following: u.following_count,
            notes: u.notes_count,
            is_suspended: u.is_suspended,
            is_locked: u.is_locked,
            is_bot: u.is_bot,
            is_cat: u.is_cat,
            is_explorable: u.is_explorable,
            assigned,
        }
    }
}

/// The roles given by hand (and not expired) to each of `users` (to every local user for
/// `None`).
pub async fn assigned_to(
    conn: &mut AsyncPgConnection,
    users: Option<&[String]>,
) -> Result<HashMap<String, Vec<String>>, Error> {
    let mut q = role_assignments::table
        .filter(role_assignments::expires_at.is_null().or(role_assignments::expires_at.gt(Utc::now())))
        .select((role_assignments::user_id, role_assignments::role_id))
        .into_boxed();
    match users {
        Some(users) => q = q.filter(role_assignments::user_id.eq_any(users)),
        // Everyone's: badges are drawn for local users only.
        None => {
            q = q.filter(
                role_assignments::user_id
                    .eq_any(users::table.filter(users::host.is_null()).select(users::id)),
            )
        }
    }
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (user, role) in q.load::<(String, String)>(conn).await? {
        out.entry(user).or_default().push(role);
    }
    Ok(out)
}

/// A condition of a conditional role (Misskey's RoleCondFormulaValue).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Cond {
    And {
        values: Vec<Cond>,
    },
    Or {
        values: Vec<Cond>,
    },
    Not {
        value: Box<Cond>,
    },
    IsLocal,
    IsRemote,
    IsSuspended,
    IsLocked,
    IsBot,
    IsCat,
    IsExplorable,
    #[serde(rename_all = "camelCase")]
    RoleAssignedTo {
        role_id: String,
    },
    CreatedLessThan {
        sec: i64,
    },
    CreatedMoreThan {
        sec: i64,
    },
    FollowersLessThanOrEq {
        value: i64,
    },
    FollowersMoreThanOrEq {
        value: i64,
    },
    FollowingLessThanOrEq {
        value: i64,
    },
    FollowingMoreThanOrEq {
        value: i64,
    },
    NotesLessThanOrEq {
        value: i64,
    },
    NotesMoreThanOrEq {
        value: i64,
    },
}

/// How deep conditions may nest.
const MAX_DEPTH: usize = 16;

impl Cond {
    /// Reads a stored or given formula; `None` when it is not one (a role with such a formula
    /// applies to nobody).
    pub fn parse(v: &Value) -> Option<Cond> {
        let c: Cond = serde_json::from_value(strip_ids(v)).ok()?;
        (c.depth() <= MAX_DEPTH).then_some(c)
    }

    fn depth(&self) -> usize {
        match self {
            Cond::And { values } | Cond::Or { values } => {
                1 + values.iter().map(Cond::depth).max().unwrap_or(0)
            }
            Cond::Not { value } => 1 + value.depth(),
            _ => 1,
        }
    }

    /// Whether the formula looks at whether a user holds `role`.
    pub fn mentions(&self, role: &str) -> bool {
        match self {
            Cond::And { values } | Cond::Or { values } => values.iter().any(|c| c.mentions(role)),
            Cond::Not { value } => value.mentions(role),
            Cond::RoleAssignedTo { role_id } => role_id == role,
            _ => false,
        }
    }

    pub fn holds(&self, f: &Facts, now: DateTime<Utc>) -> bool {
        let age = (now - f.created_at).num_seconds();
        let n = |x: i32| i64::from(x);
        match self {
            Cond::And { values } => values.iter().all(|c| c.holds(f, now)),
            Cond::Or { values } => values.iter().any(|c| c.holds(f, now)),
            Cond::Not { value } => !value.holds(f, now),
            Cond::IsLocal => f.local,
            Cond::IsRemote => !f.local,
            Cond::IsSuspended => f.is_suspended,
            Cond::IsLocked => f.is_locked,
            Cond::IsBot => f.is_bot,
            Cond::IsCat => f.is_cat,
            Cond::IsExplorable => f.is_explorable,
            Cond::RoleAssignedTo { role_id } => f.assigned.contains(role_id),
            Cond::CreatedLessThan { sec } => age < *sec,
            Cond::CreatedMoreThan { sec } => age > *sec,
            Cond::FollowersLessThanOrEq { value } => n(f.followers) <= *value,
            Cond::FollowersMoreThanOrEq { value } => n(f.followers) >= *value,
            Cond::FollowingLessThanOrEq { value } => n(f.following) <= *value,
            Cond::FollowingMoreThanOrEq { value } => n(f.following) >= *value,
            Cond::NotesLessThanOrEq { value } => n(f.notes) <= *value,
            Cond::NotesMoreThanOrEq { value } => n(f.notes) >= *value,
        }
    }
}

impl Cond {
    /// The condition as SQL over the `users` row aliased `u`, for lists of the users it holds
    /// for (the same rules as [`Cond::holds`]); `bind` binds a text and names its parameter.
    pub fn sql(&self, u: &str, bind: &mut dyn FnMut(&str) -> String) -> String {
        let join = |values: &[Cond], op: &str, empty: &str, bind: &mut dyn FnMut(&str) -> String| {
            if values.is_empty() {
                return empty.to_string();
            }
            let parts: Vec<String> = values.iter().map(|c| c.sql(u, bind)).collect();
            format!("({})", parts.join(op))
        };
        let age = format!("floor(extract(epoch FROM now() - {u}.created_at))");
        match self {
            Cond::And { values } => join(values, " AND ", "TRUE", bind),
            Cond::Or { values } => join(values, " OR ", "FALSE", bind),
            Cond::Not { value } => format!("(NOT {})", value.sql(u, bind)),
            Cond::IsLocal => format!("{u}.host IS NULL"),
            Cond::IsRemote => format!("{u}.host IS NOT NULL"),
            Cond::IsSuspended => format!("{u}.is_suspended"),
            Cond::IsLocked => format!("{u}.is_locked"),
            Cond::IsBot => format!("{u}.is_bot"),
            Cond::IsCat => format!("{u}.is_cat"),
            Cond::IsExplorable => format!("{u}.is_explorable"),
            Cond::RoleAssignedTo { role_id } => format!(
                "EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.user_id = {u}.id AND ra.role_id = {} \
                 AND (ra.expires_at IS NULL OR ra.expires_at > now()))",
                bind(role_id)
            ),
            Cond::CreatedLessThan { sec } => format!("{age} < {sec}"),
            Cond::CreatedMoreThan { sec } => format!("{age} > {sec}"),
            Cond::FollowersLessThanOrEq { value } => format!("{u}.followers_count <= {value}"),
            Cond::FollowersMoreThanOrEq { value } => format!("{u}.followers_count >= {value}"),
            Cond::FollowingLessThanOrEq { value } => format!("{u}.following_count <= {value}"),
            Cond::FollowingMoreThanOrEq { value } => format!("{u}.following_count >= {value}"),
            Cond::NotesLessThanOrEq { value } => format!("{u}.notes_count <= {value}"),
            Cond::NotesMoreThanOrEq { value } => format!("{u}.notes_count >= {value}"),
        }
    }
}

/// Who holds `role`, as SQL over the `users` row aliased `u` (nobody for a conditional role
/// whose formula does not read).
pub fn holders_sql(role: &RoleRow, u: &str, bind: &mut dyn FnMut(&str) -> String) -> String {
    if role.target == "manual" {
        let id = bind(&role.id);
        return format!(
            "EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.user_id = {u}.id AND ra.role_id = {id} \
             AND (ra.expires_at IS NULL OR ra.expires_at > now()))"
        );
    }
    match Cond::parse(&role.cond_formula) {
        Some(c) => c.sql(u, bind),
        None => "FALSE".into(),
    }
}

/// The role whose notes a user asks for: public (or no such role); `None` when it is not
/// explorable, whose notes nobody lists.
pub async fn for_notes(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<RoleRow>, Error> {
    let r = find(conn, id, RoleAction::PublicNotes).await?;
    if !r.is_public {
        return Err(Refusal::NoSuchRole(RoleAction::PublicNotes).into());
    }
    Ok(r.is_explorable.then_some(r))
}

/// Misskey's formulas carry an `id` per node (for its editor); they mean nothing here.
fn strip_ids(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| *k != "id").map(|(k, v)| (k.clone(), strip_ids(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_ids).collect()),
        other => other.clone(),
    }
}

/// One role's setting of one policy.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Setting {
    #[serde(default = "yes")]
    use_default: bool,
    #[serde(default)]
    priority: u8,
    #[serde(default)]
    value: Value,
}

/// The formula of a role made without one.
fn default_formula() -> Value {
    json!({ "id": crate::id::gen(), "type": "isLocal" })
}

fn yes() -> bool {
    true
}

/// Checks a role's policies as given: known keys, values of the base policy's type, priority
/// 0–2. Answers them as stored.
pub fn check_policies(v: &Value) -> Result<Value, Error> {
    let Some(map) = v.as_object() else { return Err(Error::invalid("policies", "must be an object")) };
    let base = serde_json::to_value(RolePolicies::default()).map_err(Error::internal)?;
    for (k, s) in map {
        let Some(default) = base.get(k) else {
            return Err(Error::invalid("policies", format!("unknown policy {k:?}")));
        };
        let s: Setting =
            serde_json::from_value(s.clone()).map_err(|e| Error::invalid("policies", format!("{k}: {e}")))?;
        if s.priority > 2 {
            return Err(Error::invalid("policies", format!("{k}: priority is 0, 1 or 2")));
        }
        if !s.use_default {
            let mut probe = base.clone();
            probe[k] = s.value.clone();
            let same_kind = std::mem::discriminant(default) == std::mem::discriminant(&s.value);
            if !same_kind || serde_json::from_value::<RolePolicies>(probe).is_err() {
                return Err(Error::invalid("policies", format!("{k}: a value like {default} is needed")));
            }
        }
    }
    Ok(v.clone())
}

/// The most permissive of several values of one policy.
fn most_permissive(key: &str, values: Vec<Value>) -> Option<Value> {
    let first = <[Value]>::first(&values)?.clone();
    Some(match first {
        Value::Bool(_) => Value::Bool(values.iter().any(|v| v.as_bool() == Some(true))),
        Value::Number(_) if key == "rateLimitFactor" => {
            json!(values.iter().filter_map(Value::as_f64).fold(f64::INFINITY, f64::min))
        }
        Value::Number(_) => {
            let max = values.iter().filter_map(Value::as_f64).fold(f64::NEG_INFINITY, f64::max);
            if values.iter().all(|v| v.is_u64()) {
                json!(max as u64)
            } else {
                json!(max)
            }
        }
        Value::Array(_) => {
            let mut all: Vec<Value> = Vec::new();
            for v in values.iter().filter_map(Value::as_array).flatten() {
                if !all.contains(v) {
                    all.push(v.clone());
                }
            }
            Value::Array(all)
        }
        Value::String(_) if key == "chatAvailability" => {
            let rank = |v: &Value| match v.as_str() {
                Some("available") => 2,
                Some("readonly") => 1,
                _ => 0,
            };
            values.iter().max_by_key(|v| rank(v)).cloned().unwrap_or(first)
        }
        _ => first,
    })
}

/// The base policies merged with the policies of `held` roles.
pub fn merge(base: &RolePolicies, held: &[&RoleRow]) -> RolePolicies {
    if held.is_empty() {
        return base.clone();
    }
    let Ok(Value::Object(mut out)) = serde_json::to_value(base) else { return base.clone() };
    for (key, base_value) in out.iter_mut() {
        let settings: Vec<Setting> =
            held.iter()
                .map(|r| {
                    r.policies
                        .get(key)
                        .and_then(|s| serde_json::from_value(s.clone()).ok())
                        .unwrap_or(Setting { use_default: true, priority: 0, value: Value::Null })
                })
                .collect();
        let Some(top) = settings.iter().map(|s| s.priority).max() else { continue };
        let values: Vec<Value> = settings
            .into_iter()
            .filter(|s| s.priority == top)
            .map(|s| if s.use_default { base_value.clone() } else { s.value })
            .collect();
        if let Some(v) = most_permissive(key, values) {
            *base_value = v;
        }
    }
    serde_json::from_value(Value::Object(out)).unwrap_or_else(|_| base.clone())
}

/// The roles as this process last read them, with the merged policies of each set of roles
/// met since.
pub struct Snapshot {
    pub roles: Vec<RoleRow>,
    conds: Vec<Option<Cond>>,
    /// Merged policies per set of roles held, over the base policies kept beside them (a new
    /// base empties the map).
    merged: Mutex<Merged>,
    /// The roles shown as badges; while there are any, everyone's roles given by hand (badges
    /// are drawn on every packed user, with no query there).
    badge_idx: Vec<usize>,
    assigned: HashMap<String, Vec<String>>,
}

/// The base policies merged over, and the merge for each set of role indexes.
type Merged = (Option<Arc<RolePolicies>>, HashMap<Vec<usize>, Arc<RolePolicies>>);

static ROLES: Timed<Snapshot> = Timed::new();

/// The roles, read again after a short while (or after a change by this process).
pub async fn snapshot(conn: &mut AsyncPgConnection) -> Result<Arc<Snapshot>, Error> {
    if let Some(s) = ROLES.fresh() {
        return Ok(s);
    }
    let rows: Vec<RoleRow> = roles::table
        .order((roles::display_order.desc(), roles::id.asc()))
        .select(RoleRow::as_select())
        .load(conn)
        .await?;
    let conds = rows
        .iter()
        .map(|r| if r.target == "conditional" { Cond::parse(&r.cond_formula) } else { None })
        .collect();
    let badge_idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].as_badge).collect();
    let assigned = if !badge_idx.is_empty() { assigned_to(conn, None).await? } else { HashMap::new() };
    Ok(ROLES.store(Snapshot {
        roles: rows,
        conds,
        merged: Mutex::new((None, HashMap::new())),
        badge_idx,
        assigned,
    }))
}

/// The roles as last read, however long ago (none before the first read): for packing users,
/// which must not wait for a query. Any request refreshes them.
pub fn current() -> Option<Arc<Snapshot>> {
    ROLES.last()
}

/// [`snapshot`], taking a connection only when the roles must be read again.
pub async fn snapshot_from(db: &crate::db::DbPool) -> Result<Arc<Snapshot>, Error> {
    match ROLES.fresh() {
        Some(s) => Ok(s),
        None => snapshot(&mut *db.get().await?).await,
    }
}

/// Forgets the roles read, after this process changed them.
pub fn forget() {
    ROLES.forget();
}

/// What one user holds: their roles and what follows from them.
#[derive(Clone, Debug)]
pub struct Held {
    pub roles: Vec<RoleRow>,
    pub policies: Arc<RolePolicies>,
    pub is_moderator: bool,
    pub is_administrator: bool,
}

impl Snapshot {
    /// The indexes of the roles `f` holds: assigned by hand, or whose condition holds.
    fn indexes(&self, f: &Facts, now: DateTime<Utc>) -> Vec<usize> {
        (0..self.roles.len())
            .filter(|&i| match &self.conds[i] {
                _ if self.roles[i].target == "manual" => f.assigned.contains(&self.roles[i].id),
                Some(c) => c.holds(f, now),
                None => false,
            })
            .collect()
    }

    /// The badges of a local user (none when no role is a badge). Their facts are read from
    /// the packed row, their roles given by hand from the snapshot.
    pub fn badges(&self, u: &crate::db::users::LiteUser) -> Vec<&RoleRow> {
        if self.badge_idx.is_empty() || u.host.is_some() {
            return Vec::new();
        }
        let given = self.assigned.get(&u.id);
        let mut facts: Option<Facts> = None;
        let now = Utc::now();
        let mut out = Vec::new();
        for &i in &self.badge_idx {
            let r = &self.roles[i];
            let holds = match &self.conds[i] {
                _ if r.target == "manual" => given.is_some_and(|g| g.contains(&r.id)),
                None => false,
                Some(c) => c.holds(
                    facts.get_or_insert_with(|| Facts::of_lite(u, given.cloned().unwrap_or_default())),
                    now,
                ),
            };
            if holds {
                out.push(r);
            }
        }
        out
    }

    /// The public roles `f` holds, in display order (shown on the user's profile).
    pub fn public_of(&self, f: &Facts) -> Vec<&RoleRow> {
        self.indexes(f, Utc::now()).into_iter().map(|i| &self.roles[i]).filter(|r| r.is_public).collect()
    }

    /// The ids of the roles `f` holds.
    pub fn held_ids(&self, f: &Facts) -> Vec<&str> {
        self.indexes(f, Utc::now()).into_iter().map(|i| self.roles[i].id.as_str()).collect()
    }

    /// Whether the roles held make a user a moderator, an administrator.
    pub fn staff_flags(&self, f: &Facts) -> (bool, bool) {
        let idx = self.indexes(f, Utc::now());
        (idx.iter().any(|&i| self.roles[i].is_moderator), idx.iter().any(|&i| self.roles[i].is_administrator))
    }

    /// What a user with these facts holds, over these base policies.
    pub fn held(&self, base: &Arc<RolePolicies>, f: &Facts) -> Held {
        let idx = self.indexes(f, Utc::now());
        let policies = if idx.is_empty() {
            base.clone()
        } else {
            let mut m = self.merged.lock().unwrap_or_else(|e| e.into_inner());
            if !m.0.as_ref().is_some_and(|b| Arc::ptr_eq(b, base)) {
                *m = (Some(base.clone()), HashMap::new());
            }
            m.1.entry(idx.clone())
                .or_insert_with(|| {
                    Arc::new(merge(base, &idx.iter().map(|&i| &self.roles[i]).collect::<Vec<_>>()))
                })
                .clone()
        };
        let roles: Vec<RoleRow> = idx.iter().map(|&i| self.roles[i].clone()).collect();
        Held {
            is_moderator: roles.iter().any(|r| r.is_moderator),
            is_administrator: roles.iter().any(|r| r.is_administrator),
            roles,
            policies,
        }
    }
}

/// The SQL expression of a user's roles given by hand and not expired (`users` in scope).
pub const ASSIGNED_SQL: &str = "ARRAY(SELECT role_id FROM role_assignments ra WHERE ra.user_id = users.id \
     AND (ra.expires_at IS NULL OR ra.expires_at > now()))::text[]";

/// The columns of `users` that make [`Facts`], with the roles given by hand.
#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct FactsRow {
    created_at: DateTime<Utc>,
    host: Option<String>,
    followers_count: i32,
    following_count: i32,
    notes_count: i32,
    is_suspended: bool,
    is_locked: bool,
    is_bot: bool,
    is_cat: bool,
    is_explorable: bool,
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Array<diesel::sql_types::Text>>(ASSIGNED_SQL))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Array<diesel::sql_types::Text>>)]
    assigned: Vec<String>,
}

impl From<FactsRow> for Facts {
    fn from(r: FactsRow) -> Facts {
        Facts {
            created_at: r.created_at,
            local: r.host.is_none(),
            host: r.host,
            followers: r.followers_count,
            following: r.following_count,
            notes: r.notes_count,
            is_suspended: r.is_suspended,
            is_locked: r.is_locked,
            is_bot: r.is_bot,
            is_cat: r.is_cat,
            is_explorable: r.is_explorable,
            assigned: r.assigned,
        }
    }
}

/// Reads the facts of `user` (for whom no request carries them: a socket's owner, a reacter,
/// a remote author).
pub async fn facts(conn: &mut AsyncPgConnection, user: &str) -> Result<Option<Facts>, Error> {
    let row: Option<FactsRow> =
        users::table.find(user).select(FactsRow::as_select()).first(conn).await.optional()?;
    Ok(row.map(Facts::from))
}

/// The policies of someone with these facts (the base alone for visitors). No query while the
/// base policies and the roles are fresh.
pub async fn policies_for(
    db: &crate::db::DbPool,
    base: &super::settings::PolicyCache,
    facts: Option<&Facts>,
) -> Result<Arc<RolePolicies>, Error> {
    let base = base.get(db).await?;
    match facts {
        None => Ok(base),
        Some(f) => Ok(snapshot_from(db).await?.held(&base, f).policies),
    }
}

/// What `user` holds (nothing for an unknown user), read from the database.
pub async fn held_by(
    conn: &mut AsyncPgConnection,
    base: &Arc<RolePolicies>,
    user: &str,
) -> Result<Held, Error> {
    let f = facts(conn, user).await?.unwrap_or_default();
    Ok(snapshot(conn).await?.held(base, &f))
}

/// A role's fields as an administrator gives them; on an update `None` leaves one as it is.
#[derive(Default, Debug, Clone)]
pub struct Fields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub color: Option<Option<String>>,
    pub icon_url: Option<Option<String>>,
    pub target: Option<String>,
    pub cond_formula: Option<Value>,
    pub is_public: Option<bool>,
    pub is_moderator: Option<bool>,
    pub is_administrator: Option<bool>,
    pub is_explorable: Option<bool>,
    pub as_badge: Option<bool>,
    pub preserve_assignment_on_move_account: Option<bool>,
    pub can_edit_members_by_moderator: Option<bool>,
    pub display_order: Option<i32>,
    pub policies: Option<Value>,
}

impl Fields {
    fn check(&mut self) -> Result<(), Error> {
        use super::settings::{text_setting, TextKind};
        if let Some(n) = &self.name {
            if n.trim().is_empty() || n.chars().count() > 256 {
                return Err(Error::invalid("name", "must be 1 to 256 characters"));
            }
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > 1024) {
            return Err(Error::invalid("description", "must be at most 1024 characters"));
        }
        if let Some(Some(c)) = &self.color {
            self.color = Some(text_setting("color", Some(c), TextKind::Color)?);
        }
        if let Some(Some(u)) = &self.icon_url {
            self.icon_url = Some(text_setting("iconUrl", Some(u), TextKind::Url)?);
        }
        if self.target.as_deref().is_some_and(|t| t != "manual" && t != "conditional") {
            return Err(Error::invalid("target", "must be manual or conditional"));
        }
        if self.target.as_deref() == Some("conditional")
            && self.cond_formula.as_ref().is_none_or(|f| f.as_object().is_some_and(|o| o.is_empty()))
        {
            return Err(Error::invalid("condFormula", "a conditional role needs its condition"));
        }
        if let Some(f) = &self.cond_formula {
            // A manual role carries a formula too (for its editor): an empty one becomes the
            // one Misskey's editor starts with.
            if f.as_object().is_some_and(|o| o.is_empty()) {
                self.cond_formula = Some(default_formula());
            } else if Cond::parse(f).is_none() {
                return Err(Error::invalid("condFormula", "not a condition this server knows"));
            }
        }
        if let Some(p) = &self.policies {
            check_policies(p)?;
        }
        Ok(())
    }
}

/// A role as the moderation log keeps it.
fn logged(r: &RoleRow) -> Value {
    json!({
        "id": r.id, "name": r.name, "description": r.description, "color": r.color,
        "iconUrl": r.icon_url, "target": r.target, "condFormula": r.cond_formula,
        "isPublic": r.is_public, "isModerator": r.is_moderator, "isAdministrator": r.is_administrator,
        "isExplorable": r.is_explorable, "asBadge": r.as_badge,
        "canEditMembersByModerator": r.can_edit_members_by_moderator,
        "displayOrder": r.display_order, "policies": r.policies,
    })
}

/// Which action looked for a role that is not there (Misskey tells each apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleAction {
    Show,
    Update,
    Delete,
    Assign,
    Unassign,
    Members,
    PublicShow,
    PublicMembers,
    PublicNotes,
}

async fn find(conn: &mut AsyncPgConnection, id: &str, action: RoleAction) -> Result<RoleRow, Error> {
    roles::table
        .find(id)
        .select(RoleRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(Refusal::NoSuchRole(action).into())
}

/// A role an administrator may see.
pub async fn show(conn: &mut AsyncPgConnection, id: &str) -> Result<RoleRow, Error> {
    find(conn, id, RoleAction::Show).await
}

/// A role whose holders a moderator lists.
pub async fn find_for_members(conn: &mut AsyncPgConnection, id: &str) -> Result<RoleRow, Error> {
    find(conn, id, RoleAction::Members).await
}

/// A public role, as anyone may see it (its members only where it is explorable too).
pub async fn show_public(conn: &mut AsyncPgConnection, id: &str, members: bool) -> Result<RoleRow, Error> {
    let action = if members { RoleAction::PublicMembers } else { RoleAction::PublicShow };
    let r = find(conn, id, action).await?;
    if !r.is_public || (members && !r.is_explorable) {
        return Err(Refusal::NoSuchRole(action).into());
    }
    Ok(r)
}

/// Every role, in display order.
pub async fn all(conn: &mut AsyncPgConnection) -> Result<Vec<RoleRow>, Error> {
    Ok(snapshot(conn).await?.roles.clone())
}

/// How many hold each manual role by hand now (conditional roles: counted from their
/// members' facts is a scan, so they report 0 as Misskey does).
pub async fn member_counts(
    conn: &mut AsyncPgConnection,
    ids: &[&String],
) -> Result<HashMap<String, i64>, Error> {
    let rows: Vec<(String, i64)> = role_assignments::table
        .filter(role_assignments::role_id.eq_any(ids))
        .filter(role_assignments::expires_at.is_null().or(role_assignments::expires_at.gt(Utc::now())))
        .group_by(role_assignments::role_id)
        .select((role_assignments::role_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// An administrator makes a role (name needed).
pub async fn create(conn: &mut AsyncPgConnection, admin: &str, mut f: Fields) -> Result<RoleRow, Error> {
    if f.name.is_none() {
        return Err(Error::invalid("name", "a role needs a name"));
    }
    f.check()?;
    let now = Utc::now();
    let id = crate::id::gen();
    let row = conn
        .transaction::<_, Error, _>(async |conn| {
            let row: RoleRow = diesel::insert_into(roles::table)
                .values((
                    roles::id.eq(&id),
                    roles::created_at.eq(now),
                    roles::updated_at.eq(now),
                    roles::last_used_at.eq(now),
                    roles::name.eq(f.name.clone().unwrap_or_default()),
                    roles::description.eq(f.description.clone().unwrap_or_default()),
                    roles::color.eq(f.color.clone().flatten()),
                    roles::icon_url.eq(f.icon_url.clone().flatten()),
                    roles::target.eq(f.target.clone().unwrap_or_else(|| "manual".into())),
                    roles::cond_formula.eq(f.cond_formula.clone().unwrap_or_else(default_formula)),
                    roles::is_public.eq(f.is_public.unwrap_or(false)),
                    roles::is_moderator.eq(f.is_moderator.unwrap_or(false)),
                    roles::is_administrator.eq(f.is_administrator.unwrap_or(false)),
                    roles::is_explorable.eq(f.is_explorable.unwrap_or(false)),
                    roles::as_badge.eq(f.as_badge.unwrap_or(false)),
                    roles::preserve_assignment_on_move_account
                        .eq(f.preserve_assignment_on_move_account.unwrap_or(false)),
                    roles::can_edit_members_by_moderator.eq(f.can_edit_members_by_moderator.unwrap_or(false)),
                    roles::display_order.eq(f.display_order.unwrap_or(0)),
                    roles::policies.eq(f.policies.clone().unwrap_or_else(|| json!({}))),
                ))
                .returning(RoleRow::as_returning())
                .get_result(conn)
                .await?;
            super::moderation::log(
                conn,
                admin,
                "createRole",
                json!({ "roleId": row.id, "role": logged(&row) }),
            )
            .await?;
            Ok(row)
        })
        .await?;
    forget();
    Ok(row)
}

/// An administrator changes a role; its holders' next requests see the change.
pub async fn update(conn: &mut AsyncPgConnection, admin: &str, id: &str, mut f: Fields) -> Result<(), Error> {
    f.check()?;
    conn.transaction::<_, Error, _>(async |conn| {
        let b = find(conn, id, RoleAction::Update).await?;
        let after: RoleRow = diesel::update(roles::table.find(id))
            .set((
                roles::updated_at.eq(Utc::now()),
                roles::name.eq(f.name.clone().unwrap_or(b.name.clone())),
                roles::description.eq(f.description.clone().unwrap_or(b.description.clone())),
                roles::color.eq(f.color.clone().unwrap_or(b.color.clone())),
                roles::icon_url.eq(f.icon_url.clone().unwrap_or(b.icon_url.clone())),
                roles::target.eq(f.target.clone().unwrap_or(b.target.clone())),
                roles::cond_formula.eq(f.cond_formula.clone().unwrap_or(b.cond_formula.clone())),
                roles::is_public.eq(f.is_public.unwrap_or(b.is_public)),
                roles::is_moderator.eq(f.is_moderator.unwrap_or(b.is_moderator)),
                roles::is_administrator.eq(f.is_administrator.unwrap_or(b.is_administrator)),
                roles::is_explorable.eq(f.is_explorable.unwrap_or(b.is_explorable)),
                roles::as_badge.eq(f.as_badge.unwrap_or(b.as_badge)),
                roles::preserve_assignment_on_move_account.eq(f
                    .preserve_assignment_on_move_account
                    .unwrap_or(b.preserve_assignment_on_move_account)),
                roles::can_edit_members_by_moderator
                    .eq(f.can_edit_members_by_moderator.unwrap_or(b.can_edit_members_by_moderator)),
                roles::display_order.eq(f.display_order.unwrap_or(b.display_order)),
                roles::policies.eq(f.policies.clone().unwrap_or(b.policies.clone())),
            ))
            .returning(RoleRow::as_returning())
            .get_result(conn)
            .await?;
        let info = json!({ "roleId": id, "before": logged(&b), "after": logged(&after) });
        super::moderation::log(conn, admin, "updateRole", info).await
    })
    .await?;
    forget();
    Ok(())
}

/// An administrator deletes a role; its assignments go with it.
pub async fn delete(conn: &mut AsyncPgConnection, admin: &str, id: &str) -> Result<(), Error> {
    conn.transaction::<_, Error, _>(async |conn| {
        let r = find(conn, id, RoleAction::Delete).await?;
        diesel::delete(roles::table.find(id)).execute(conn).await?;
        super::moderation::log(conn, admin, "deleteRole", json!({ "roleId": id, "role": logged(&r) })).await
    })
    .await?;
    forget();
    Ok(())
}

/// Whether `staff` may change who holds `role`: administrators always; moderators where the
/// role lets them, never for a role that makes administrators — nor for one that a
/// conditional moderator or administrator role is conditioned on.
fn may_edit_members(snap: &Snapshot, role: &RoleRow, staff_is_admin: bool) -> bool {
    let grants_staff = snap.roles.iter().zip(&snap.conds).any(|(r, c)| {
        (r.is_moderator || r.is_administrator) && c.as_ref().is_some_and(|c| c.mentions(&role.id))
    });
    staff_is_admin || (role.can_edit_members_by_moderator && !role.is_administrator && !grants_staff)
}

async fn member_info(
    conn: &mut AsyncPgConnection,
    role: &RoleRow,
    user: &str,
    assigning: bool,
) -> Result<Value, Error> {
    let mut info = super::moderation::named(conn, user, Refusal::NoSuchUserForRole { assigning }).await?;
    info.insert("roleId".into(), json!(role.id));
    info.insert("roleName".into(), json!(role.name));
    Ok(Value::Object(info))
}

/// A moderator gives `user` a manual role, optionally until `expires_at` (giving it again
/// changes the end).
pub async fn assign(
    conn: &mut AsyncPgConnection,
    staff: &str,
    staff_is_admin: bool,
    role_id: &str,
    user: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(), Error> {
    let role = find(conn, role_id, RoleAction::Assign).await?;
    if !may_edit_members(&*snapshot(conn).await?, &role, staff_is_admin) {
        return Err(Refusal::RoleMembersDenied { assigning: true }.into());
    }
    if role.target != "manual" {
        return Err(Error::invalid("roleId", "a conditional role is held by its condition, not given"));
    }
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(Error::invalid("expiresAt", "must be in the future"));
    }
    conn.transaction::<_, Error, _>(async |conn| {
        let mut info = member_info(conn, &role, user, true).await?;
        diesel::insert_into(role_assignments::table)
            .values((
                role_assignments::id.eq(crate::id::gen()),
                role_assignments::created_at.eq(Utc::now()),
                role_assignments::role_id.eq(role_id),
                role_assignments::user_id.eq(user),
                role_assignments::expires_at.eq(expires_at),
            ))
            .on_conflict((role_assignments::user_id, role_assignments::role_id))
            .do_update()
            .set(role_assignments::expires_at.eq(expires_at))
            .execute(conn)
            .await?;
        info["expiresAt"] = json!(expires_at);
        super::moderation::log(conn, staff, "assignRole", info).await
    })
    .await?;
    // Badges are drawn from the roles given by hand the snapshot holds.
    forget();
    super::events::emit(super::events::Event::MeUpdated { user: user.to_owned() });
    // A public role is news to a local holder (the store skips remote notifiees).
    if role.is_public {
        let n = super::notify::Notice {
            role_id: Some(role_id),
            ..super::notify::Notice::from_instance(user, "roleAssigned")
        };
        super::notify::send(conn, n).await?;
    }
    Ok(())
}

/// A moderator takes a manual role from `user`.
pub async fn unassign(
    conn: &mut AsyncPgConnection,
    staff: &str,
    staff_is_admin: bool,
    role_id: &str,
    user: &str,
) -> Result<(), Error> {
    let role = find(conn, role_id, RoleAction::Unassign).await?;
    if !may_edit_members(&*snapshot(conn).await?, &role, staff_is_admin) {
        return Err(Refusal::RoleMembersDenied { assigning: false }.into());
    }
    conn.transaction::<_, Error, _>(async |conn| {
        let info = member_info(conn, &role, user, false).await?;
        let gone = diesel::delete(
            role_assignments::table
                .filter(role_assignments::role_id.eq(role_id).and(role_assignments::user_id.eq(user))),
        )
        .execute(conn)
        .await?;
        if gone == 0 {
            return Err(Refusal::NotAssigned.into());
        }
        super::moderation::log(conn, staff, "unassignRole", info).await
    })
    .await?;
    // Badges are drawn from the roles given by hand the snapshot holds.
    forget();
    super::events::emit(super::events::Event::MeUpdated { user: user.to_owned() });
    Ok(())
}

/// A page of a manual role's holders (assignment id, user, when given, until when).
pub async fn members(
    conn: &mut AsyncPgConnection,
    role_id: &str,
    b: &crate::db::page::Bounds,
) -> Result<Vec<(String, String, DateTime<Utc>, Option<DateTime<Utc>>)>, Error> {
    let q = role_assignments::table
        .filter(role_assignments::role_id.eq(role_id))
        .filter(role_assignments::expires_at.is_null().or(role_assignments::expires_at.gt(Utc::now())))
        .select((
            role_assignments::id,
            role_assignments::user_id,
            role_assignments::created_at,
            role_assignments::expires_at,
        ))
        .into_boxed();
    Ok(crate::db::page::paginate!(q, role_assignments::id, b).limit(b.limit).load(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: &str, policies: Value) -> RoleRow {
        RoleRow {
            id: id.into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            name: id.into(),
            description: String::new(),
            color: None,
            icon_url: None,
            target: "manual".into(),
            cond_formula: json!({}),
            is_public: false,
            is_moderator: false,
            is_administrator: false,
            is_explorable: false,
            as_badge: false,
            preserve_assignment_on_move_account: false,
            can_edit_members_by_moderator: false,
            display_order: 0,
            policies,
        }
    }

    #[test]
    fn the_most_permissive_value_of_the_top_priority_wins() {
        let base = RolePolicies::default();
        let a = role(
            "a",
            json!({ "pinLimit": { "useDefault": false, "priority": 0, "value": 10 },
            "rateLimitFactor": { "useDefault": false, "value": 0.5 },
            "ltlAvailable": { "useDefault": false, "value": false } }),
        );
        let b = role(
            "b",
            json!({ "pinLimit": { "useDefault": false, "priority": 0, "value": 3 },
            "rateLimitFactor": { "useDefault": false, "value": 2 },
            "uploadableFileTypes": { "useDefault": false, "value": ["application/zip"] } }),
        );
        let p = merge(&base, &[&a, &b]);
        assert_eq!(p.pin_limit, 10);
        assert_eq!(p.rate_limit_factor, 0.5);
        assert!(p.ltl_available, "b keeps the default (true), which is more permissive");
        assert!(p.uploadable_file_types.contains(&"application/zip".to_string()));
        assert!(p.uploadable_file_types.contains(&"image/*".to_string()));
        // A higher priority overrides, even when stricter.
        let c = role("c", json!({ "pinLimit": { "useDefault": false, "priority": 2, "value": 1 } }));
        assert_eq!(merge(&base, &[&a, &b, &c]).pin_limit, 1);
        assert_eq!(merge(&base, &[]).pin_limit, base.pin_limit);
    }

    #[test]
    fn conditions_read_misskeys_formulas() {
        let now = Utc::now();
        let f = Facts {
            created_at: now - chrono::Duration::days(10),
            local: true,
            followers: 5,
            notes: 100,
            assigned: vec!["r1".into()],
            ..Facts::default()
        };
        let c = Cond::parse(&json!({ "id": "x", "type": "and", "values": [
            { "id": "y", "type": "isLocal" },
            { "id": "z", "type": "createdMoreThan", "sec": 86400 },
            { "type": "not", "value": { "type": "followersMoreThanOrEq", "value": 10 } },
            { "type": "or", "values": [{ "type": "isBot" }, { "type": "roleAssignedTo", "roleId": "r1" }] },
        ] }))
        .unwrap();
        assert!(c.holds(&f, now));
        let young = Facts { created_at: now, ..f.clone() };
        assert!(!c.holds(&young, now));
        assert!(Cond::parse(&json!({ "type": "isWizard" })).is_none());
        assert!(Cond::parse(&json!({ "type": "createdMoreThan" })).is_none());
        let mut deep = json!({ "type": "isLocal" });
        for _ in 0..20 {
            deep = json!({ "type": "not", "value": deep });
        }
        assert!(Cond::parse(&deep).is_none(), "nesting is bounded");
    }

    #[test]
    fn policies_are_checked_against_the_base_types() {
        assert!(check_policies(&json!({ "pinLimit": { "useDefault": false, "priority": 1, "value": 3 } }))
            .is_ok());
        assert!(check_policies(&json!({ "pinLimit": { "useDefault": false, "value": "x" } })).is_err());
        assert!(check_policies(&json!({ "pinLimit": { "useDefault": false, "value": -1 } })).is_err());
        assert!(check_policies(&json!({ "nope": { "value": 1 } })).is_err());
        assert!(check_policies(&json!({ "pinLimit": { "priority": 3 } })).is_err());
        assert!(check_policies(&json!([])).is_err());
    }
}
