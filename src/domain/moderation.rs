//! Moderation: abuse reports and what moderators do about accounts. Every moderator action is
//! recorded in the moderation log, in the transaction of the action itself.

use super::{Error, Refusal};
use crate::db::schema::{abuse_user_reports, moderation_logs, user_profiles, users};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

/// The longest report comment and moderation note.
pub const MAX_COMMENT: usize = 2048;
pub const MAX_NOTE: usize = 8192;

/// Records that `moderator` did `kind` (Misskey's log type names: `suspend`, `resolveAbuseReport`…).
pub async fn log(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    kind: &str,
    info: Value,
) -> Result<(), Error> {
    diesel::insert_into(moderation_logs::table)
        .values((
            moderation_logs::id.eq(crate::id::gen()),
            moderation_logs::created_at.eq(Utc::now()),
            moderation_logs::user_id.eq(moderator),
            moderation_logs::type_.eq(kind),
            moderation_logs::info.eq(info),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Who an action is about, as the log names them (the account may be gone later).
#[derive(Clone)]
pub struct Subject {
    pub id: String,
    pub username: String,
    pub host: Option<String>,
    pub is_root: bool,
    pub is_admin: bool,
    pub is_moderator: bool,
    pub is_suspended: bool,
}

impl Subject {
    fn staff(&self) -> bool {
        self.is_root || self.is_admin || self.is_moderator
    }

    fn info(&self) -> serde_json::Map<String, Value> {
        let v = json!({ "userId": self.id, "userUsername": self.username, "userHost": self.host });
        v.as_object().cloned().unwrap_or_default()
    }
}

/// How the log names a user an action is about (`userId`, `userUsername`, `userHost`);
/// `missing` when there is no such user.
pub async fn named(
    conn: &mut AsyncPgConnection,
    user: &str,
    missing: Refusal,
) -> Result<serde_json::Map<String, Value>, Error> {
    let found: Option<(String, Option<String>)> =
        users::table.find(user).select((users::username, users::host)).first(conn).await.optional()?;
    let (username, host) = found.ok_or(missing)?;
    let v = json!({ "userId": user, "userUsername": username, "userHost": host });
    Ok(v.as_object().cloned().unwrap_or_default())
}

/// The user an action is about, with the staff rights their roles give them too.
/// The account an action is about, staff by their own flags or by the roles they hold (one
/// query).
async fn subject(conn: &mut AsyncPgConnection, user: &str) -> Result<Subject, Error> {
    type Row = ((String, String, bool, bool, bool), super::roles::FactsRow);
    let (u, f): Row = users::table
        .find(user)
        .filter(users::is_system.eq(false))
        .select((
            (users::id, users::username, users::is_root, users::is_admin, users::is_moderator),
            super::roles::FactsRow::as_select(),
        ))
        .first(conn)
        .await
        .optional()?
        .ok_or(Error::Refused(Refusal::NoSuchUser))?;
    let f = super::roles::Facts::from(f);
    let (moderator, admin) = super::roles::snapshot(conn).await?.staff_flags(&f);
    Ok(Subject {
        id: u.0,
        username: u.1,
        host: f.host.clone(),
        is_root: u.2,
        is_admin: u.3 || admin,
        is_moderator: u.4 || moderator,
        is_suspended: f.is_suspended,
    })
}

/// `reporter` reports `target` to the moderators.
pub async fn report(
    conn: &mut AsyncPgConnection,
    reporter: &str,
    target: &str,
    comment: &str,
) -> Result<(), Error> {
    let n = comment.chars().count();
    if n == 0 || n > MAX_COMMENT {
        return Err(Error::invalid("comment", format!("must be 1 to {MAX_COMMENT} characters")));
    }
    let target = subject(conn, target).await.map_err(|_| Refusal::NoSuchUserToReport)?;
    if target.id == reporter {
        return Err(Refusal::CannotReportYourself.into());
    }
    if target.is_root || target.is_admin {
        return Err(Refusal::CannotReportTheAdmin.into());
    }
    let id = crate::id::gen();
    diesel::insert_into(abuse_user_reports::table)
        .values((
            abuse_user_reports::id.eq(&id),
            abuse_user_reports::created_at.eq(Utc::now()),
            abuse_user_reports::target_user_id.eq(&target.id),
            abuse_user_reports::reporter_id.eq(reporter),
            abuse_user_reports::comment.eq(comment),
        ))
        .execute(conn)
        .await?;
    super::events::emit(super::events::Event::AbuseReported {
        id,
        target: target.id,
        reporter: reporter.to_owned(),
        comment: comment.to_owned(),
    });
    Ok(())
}

/// How a report ended: the moderator agreed with it or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Accept,
    Reject,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Accept => "accept",
            Resolution::Reject => "reject",
        }
    }
}

async fn load_report(conn: &mut AsyncPgConnection, id: &str) -> Result<(String, String, bool, bool), Error> {
    abuse_user_reports::table
        .find(id)
        .select((
            abuse_user_reports::target_user_id,
            abuse_user_reports::comment,
            abuse_user_reports::resolved,
            abuse_user_reports::forwarded,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(Error::Refused(Refusal::NoSuchReport))
}

/// `moderator` closes a report (once), taking it on as its assignee.
pub async fn resolve_report(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    report: &str,
    resolution: Option<Resolution>,
) -> Result<(), Error> {
    conn.transaction::<_, Error, _>(async |conn| {
        let (target, comment, resolved, _) = load_report(conn, report).await?;
        if resolved {
            return Ok(());
        }
        diesel::update(abuse_user_reports::table.find(report))
            .set((
                abuse_user_reports::resolved.eq(true),
                abuse_user_reports::assignee_id.eq(moderator),
                abuse_user_reports::resolved_as.eq(resolution.map(Resolution::as_str)),
            ))
            .execute(conn)
            .await?;
        let info = json!({
            "resolvedAs": resolution.map(Resolution::as_str),
            "reportId": report,
            "report": { "id": report, "targetUserId": target, "comment": comment },
        });
        log(conn, moderator, "resolveAbuseReport", info).await
    })
    .await
}

/// `moderator` sends a report about a remote account to its server, as a `Flag` from this
/// instance (the reporter stays unnamed). Once per report.
pub async fn forward_report(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    report: &str,
) -> Result<(), Error> {
    conn.transaction::<_, Error, _>(async |conn| {
        let (target, comment, _, forwarded) = load_report(conn, report).await?;
        if forwarded {
            return Ok(());
        }
        if !super::federation::is_remote(conn, &target).await? {
            return Err(Refusal::CannotForwardLocalReport.into());
        }
        diesel::update(abuse_user_reports::table.find(report))
            .set(abuse_user_reports::forwarded.eq(true))
            .execute(conn)
            .await?;
        let action = super::federation::Action::Flag {
            id: crate::id::gen(),
            target: target.clone(),
            comment: comment.clone(),
        };
        super::federation::federate(conn, action).await?;
        log(conn, moderator, "forwardAbuseReport", json!({ "reportId": report, "targetUserId": target }))
            .await
    })
    .await
}

/// Suspends an account or lifts its suspension. `moderator` is who asks (`None`: the operator
/// on the command line). Nobody suspends the root account; moderators do not suspend staff.
pub async fn set_suspended(
    conn: &mut AsyncPgConnection,
    moderator: Option<&str>,
    user: &str,
    suspended: bool,
) -> Result<(), Error> {
    let s = subject(conn, user).await?;
    if suspended && s.is_root {
        return Err(Refusal::CannotSuspendRoot.into());
    }
    if suspended && moderator.is_some() && s.staff() {
        return Err(Refusal::CannotSuspendModerator.into());
    }
    conn.transaction::<_, Error, _>(async |conn| {
        // The token stays valid: clients are answered YOUR_ACCOUNT_SUSPENDED, as on Misskey,
        // and work again with the same token once the suspension is lifted.
        diesel::update(users::table.find(&s.id)).set(users::is_suspended.eq(suspended)).execute(conn).await?;
        if let Some(m) = moderator {
            log(conn, m, if suspended { "suspend" } else { "unsuspend" }, Value::Object(s.info())).await?;
        }
        Ok(())
    })
    .await?;
    if suspended {
        super::events::emit(super::events::Event::Suspended { user: s.id });
    }
    Ok(())
}

/// `moderator` writes the moderators' note about an account.
pub async fn set_user_note(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    user: &str,
    text: &str,
) -> Result<(), Error> {
    if text.chars().count() > MAX_NOTE {
        return Err(Error::invalid("text", format!("must be at most {MAX_NOTE} characters")));
    }
    let s = subject(conn, user).await?;
    #[derive(QueryableByName)]
    struct Before {
        #[diesel(sql_type = diesel::sql_types::Text)]
        before: String,
    }
    conn.transaction::<_, Error, _>(async |conn| {
        // (The column is not in diesel's table: see `db::schema`.)
        let before: Option<Before> = diesel::sql_query(
            "WITH old AS (SELECT moderation_note FROM user_profiles WHERE user_id = $1 FOR UPDATE) \
             UPDATE user_profiles SET moderation_note = $2 FROM old WHERE user_id = $1 \
             RETURNING old.moderation_note AS before",
        )
        .bind::<diesel::sql_types::Varchar, _>(&s.id)
        .bind::<diesel::sql_types::Text, _>(text)
        .get_result(conn)
        .await
        .optional()?;
        let mut info = s.info();
        info.insert("before".into(), json!(before.map(|b| b.before).unwrap_or_default()));
        info.insert("after".into(), json!(text));
        log(conn, moderator, "updateUserNote", Value::Object(info)).await
    })
    .await
}

/// The moderators' note about an account.
pub async fn user_note(conn: &mut AsyncPgConnection, user: &str) -> Result<String, Error> {
    #[derive(QueryableByName)]
    struct Note {
        #[diesel(sql_type = diesel::sql_types::Text)]
        moderation_note: String,
    }
    let n: Option<Note> = diesel::sql_query("SELECT moderation_note FROM user_profiles WHERE user_id = $1")
        .bind::<diesel::sql_types::Varchar, _>(user)
        .get_result(conn)
        .await
        .optional()?;
    Ok(n.map(|n| n.moderation_note).unwrap_or_default())
}

/// `moderator` gives a local account a new random password, answered once. The root
/// account's password is only reset on the command line.
pub async fn reset_password(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    user: &str,
) -> Result<String, Error> {
    let s = subject(conn, user).await?;
    if s.host.is_some() {
        return Err(Refusal::NoSuchUser.into());
    }
    if s.is_root {
        return Err(Refusal::CannotResetRootPassword.into());
    }
    let password = super::keys::random_token(8);
    let hash = super::keys::hash_password(&password).await.map_err(Error::internal)?;
    conn.transaction::<_, Error, _>(async |conn| {
        diesel::update(user_profiles::table.find(&s.id))
            .set(user_profiles::password.eq(&hash))
            .execute(conn)
            .await?;
        log(conn, moderator, "resetPassword", Value::Object(s.info())).await
    })
    .await?;
    Ok(password)
}

/// Queues the removal of every drive file of a user; logged.
pub async fn delete_all_files(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    user: &str,
) -> Result<(), Error> {
    let info = named(conn, user, Refusal::NoSuchUser).await?;
    let job = super::jobs::Job::DeleteFiles { user: user.to_string() };
    super::jobs::enqueue(conn, &[(job, Utc::now())]).await?;
    log(conn, moderator, "deleteAllFilesOfAUser", Value::Object(info)).await
}
