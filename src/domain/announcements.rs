//! Announcements: what the moderators tell everyone, or one user. Who sees which, what counts
//! as unread, and what reading one does are decided here; each change is in the moderation log
//! and heard on the streaming API (`announcementCreated`, `readAllAnnouncements`).

use super::events::{emit, Event};
use super::{Error, Refusal};
use crate::db::page::Bounds;
use crate::db::schema::{announcement_reads, announcements};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

pub const ICONS: &[&str] = &["info", "warning", "error", "success"];
pub const DISPLAYS: &[&str] = &["normal", "banner", "dialog"];
pub const MAX_TITLE: usize = 256;
pub const MAX_TEXT: usize = 8192;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = announcements)]
pub struct AnnouncementRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub title: String,
    pub text: String,
    pub image_url: Option<String>,
    pub icon: String,
    pub display: String,
    pub need_confirmation_to_read: bool,
    pub silence: bool,
    pub for_existing_users: bool,
    pub is_active: bool,
    pub user_id: Option<String>,
}

impl AnnouncementRow {
    /// The row as the moderation log keeps it.
    fn logged(&self) -> Value {
        json!({
            "id": self.id, "createdAt": self.created_at, "updatedAt": self.updated_at,
            "title": self.title, "text": self.text, "imageUrl": self.image_url, "icon": self.icon,
            "display": self.display, "needConfirmationToRead": self.need_confirmation_to_read,
            "silence": self.silence, "forExistingUsers": self.for_existing_users,
            "isActive": self.is_active, "userId": self.user_id,
        })
    }
}

/// The fields of an announcement; on an update, `None` leaves a field as it is.
#[derive(Default, Debug, Clone)]
pub struct Fields {
    pub title: Option<String>,
    pub text: Option<String>,
    /// `Some(None)`: no image.
    pub image_url: Option<Option<String>>,
    pub icon: Option<String>,
    pub display: Option<String>,
    pub for_existing_users: Option<bool>,
    pub silence: Option<bool>,
    pub need_confirmation_to_read: Option<bool>,
    pub is_active: Option<bool>,
}

impl Fields {
    fn check(&mut self) -> Result<(), Error> {
        for (param, v, max) in [("title", &self.title, MAX_TITLE), ("text", &self.text, MAX_TEXT)] {
            if let Some(v) = v {
                if v.trim().is_empty() || v.chars().count() > max {
                    return Err(Error::invalid(param, format!("must be 1 to {max} characters")));
                }
            }
        }
        // A blank image is none.
        if let Some(Some(u)) = &self.image_url {
            self.image_url =
                Some(super::settings::text_setting("imageUrl", Some(u), super::settings::TextKind::Url)?);
        }
        if self.icon.as_deref().is_some_and(|i| !ICONS.contains(&i)) {
            return Err(Error::invalid("icon", "must be info, warning, error or success"));
        }
        if self.display.as_deref().is_some_and(|d| !DISPLAYS.contains(&d)) {
            return Err(Error::invalid("display", "must be normal, banner or dialog"));
        }
        Ok(())
    }
}

async fn find(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<AnnouncementRow>, Error> {
    Ok(announcements::table.find(id).select(AnnouncementRow::as_select()).first(conn).await.optional()?)
}

/// The log entry's user part for a user's own announcement.
async fn addressee(conn: &mut AsyncPgConnection, user: &str) -> Result<Value, Error> {
    Ok(Value::Object(super::moderation::named(conn, user, Refusal::NoSuchUser).await?))
}

fn log_info(a: &AnnouncementRow, who: &Value, more: Value) -> Value {
    let mut info = json!({ "announcementId": a.id });
    for part in [who, &more] {
        if let (Some(i), Some(p)) = (info.as_object_mut(), part.as_object()) {
            i.extend(p.clone());
        }
    }
    info
}

fn kind(a: &AnnouncementRow, what: &str) -> String {
    format!("{what}{}Announcement", if a.user_id.is_some() { "User" } else { "Global" })
}

/// A moderator announces, to everyone or to `user` (title and text are needed).
pub async fn create(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    mut f: Fields,
    user: Option<&str>,
) -> Result<AnnouncementRow, Error> {
    if f.title.is_none() || f.text.is_none() {
        return Err(Error::invalid("title", "title and text are needed"));
    }
    f.check()?;
    let row = AnnouncementRow {
        id: crate::id::gen(),
        created_at: Utc::now(),
        updated_at: None,
        title: f.title.unwrap_or_default(),
        text: f.text.unwrap_or_default(),
        image_url: f.image_url.flatten(),
        icon: f.icon.unwrap_or_else(|| "info".into()),
        display: f.display.unwrap_or_else(|| "normal".into()),
        need_confirmation_to_read: f.need_confirmation_to_read.unwrap_or(false),
        silence: f.silence.unwrap_or(false),
        for_existing_users: f.for_existing_users.unwrap_or(false),
        is_active: true,
        user_id: user.map(str::to_owned),
    };
    conn.transaction::<_, Error, _>(async |conn| {
        let who = match user {
            Some(u) => addressee(conn, u).await?,
            None => json!({}),
        };
        diesel::insert_into(announcements::table)
            .values((
                announcements::id.eq(&row.id),
                announcements::created_at.eq(row.created_at),
                announcements::title.eq(&row.title),
                announcements::text.eq(&row.text),
                announcements::image_url.eq(&row.image_url),
                announcements::icon.eq(&row.icon),
                announcements::display.eq(&row.display),
                announcements::need_confirmation_to_read.eq(row.need_confirmation_to_read),
                announcements::silence.eq(row.silence),
                announcements::for_existing_users.eq(row.for_existing_users),
                announcements::user_id.eq(&row.user_id),
            ))
            .execute(conn)
            .await?;
        let info = log_info(&row, &who, json!({ "announcement": row.logged() }));
        super::moderation::log(conn, moderator, &kind(&row, "create"), info).await
    })
    .await?;
    emit(Event::Announced { id: row.id.clone(), user: row.user_id.clone() });
    Ok(row)
}

/// A moderator changes an announcement (logged with what it was before).
pub async fn update(
    conn: &mut AsyncPgConnection,
    moderator: &str,
    id: &str,
    mut f: Fields,
) -> Result<(), Error> {
    f.check()?;
    conn.transaction::<_, Error, _>(async |conn| {
        let before: AnnouncementRow = announcements::table
            .find(id)
            .select(AnnouncementRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(Refusal::NoSuchAnnouncement { deleting: false })?;
        let after: AnnouncementRow = diesel::update(announcements::table.find(id))
            .set((
                announcements::updated_at.eq(Utc::now()),
                announcements::title.eq(f.title.unwrap_or(before.title.clone())),
                announcements::text.eq(f.text.unwrap_or(before.text.clone())),
                announcements::image_url.eq(f.image_url.unwrap_or(before.image_url.clone())),
                announcements::icon.eq(f.icon.unwrap_or(before.icon.clone())),
                announcements::display.eq(f.display.unwrap_or(before.display.clone())),
                announcements::for_existing_users
                    .eq(f.for_existing_users.unwrap_or(before.for_existing_users)),
                announcements::silence.eq(f.silence.unwrap_or(before.silence)),
                announcements::need_confirmation_to_read
                    .eq(f.need_confirmation_to_read.unwrap_or(before.need_confirmation_to_read)),
                announcements::is_active.eq(f.is_active.unwrap_or(before.is_active)),
            ))
            .returning(AnnouncementRow::as_returning())
            .get_result(conn)
            .await?;
        let who = match &before.user_id {
            Some(u) => addressee(conn, u).await?,
            None => json!({}),
        };
        let info = log_info(&before, &who, json!({ "before": before.logged(), "after": after.logged() }));
        super::moderation::log(conn, moderator, &kind(&before, "update"), info).await
    })
    .await
}

/// A moderator deletes an announcement (its reads go with it).
pub async fn delete(conn: &mut AsyncPgConnection, moderator: &str, id: &str) -> Result<(), Error> {
    conn.transaction::<_, Error, _>(async |conn| {
        let gone = find(conn, id).await?.ok_or(Refusal::NoSuchAnnouncement { deleting: true })?;
        let who = match &gone.user_id {
            Some(u) => addressee(conn, u).await?,
            None => json!({}),
        };
        diesel::delete(announcements::table.find(id)).execute(conn).await?;
        let info = log_info(&gone, &who, json!({ "announcement": gone.logged() }));
        super::moderation::log(conn, moderator, &kind(&gone, "delete"), info).await
    })
    .await
}

/// Who may see an announcement: everyone's, and one's own.
fn seen_by(
    me: Option<&str>,
) -> Box<dyn BoxableExpression<announcements::table, diesel::pg::Pg, SqlType = diesel::sql_types::Bool>> {
    match me {
        Some(me) => Box::new(
            announcements::user_id.is_null().or(announcements::user_id.eq(me.to_owned()).assume_not_null()),
        ),
        None => Box::new(announcements::user_id.is_null()),
    }
}

/// The ids of `ids` that `user` has read.
async fn read_of(
    conn: &mut AsyncPgConnection,
    user: &str,
    ids: &[&String],
) -> Result<std::collections::HashSet<String>, Error> {
    let read: Vec<String> = announcement_reads::table
        .filter(announcement_reads::user_id.eq(user).and(announcement_reads::announcement_id.eq_any(ids)))
        .select(announcement_reads::announcement_id)
        .load(conn)
        .await?;
    Ok(read.into_iter().collect())
}

/// A page of the announcements `me` may see, active or ended, each with whether `me` read it
/// (`None` for visitors).
pub async fn page(
    conn: &mut AsyncPgConnection,
    me: Option<&str>,
    active: bool,
    b: &Bounds,
) -> Result<Vec<(AnnouncementRow, Option<bool>)>, Error> {
    let q = announcements::table
        .filter(announcements::is_active.eq(active))
        .filter(seen_by(me))
        .select(AnnouncementRow::as_select())
        .into_boxed();
    let rows: Vec<AnnouncementRow> =
        crate::db::page::paginate!(q, announcements::id, b).limit(b.limit).load(conn).await?;
    with_reads(conn, me, rows).await
}

async fn with_reads(
    conn: &mut AsyncPgConnection,
    me: Option<&str>,
    rows: Vec<AnnouncementRow>,
) -> Result<Vec<(AnnouncementRow, Option<bool>)>, Error> {
    let Some(me) = me else { return Ok(rows.into_iter().map(|r| (r, None)).collect()) };
    let read = read_of(conn, me, &rows.iter().map(|r| &r.id).collect::<Vec<_>>()).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let is = read.contains(&r.id);
            (r, Some(is))
        })
        .collect())
}

/// One announcement, if `me` may see it.
pub async fn show(
    conn: &mut AsyncPgConnection,
    me: Option<&str>,
    id: &str,
) -> Result<(AnnouncementRow, Option<bool>), Error> {
    let row: AnnouncementRow = announcements::table
        .find(id)
        .filter(seen_by(me))
        .select(AnnouncementRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(Refusal::NoSuchAnnouncementToShow)?;
    Ok(with_reads(conn, me, vec![row]).await?.remove(0))
}

/// What `user` has not read yet and should be shown: active, not silent, everyone's or theirs,
/// and — for those meant for existing users only — made after the account was.
pub async fn unread(conn: &mut AsyncPgConnection, user: &str) -> Result<Vec<AnnouncementRow>, Error> {
    Ok(announcements::table
        .filter(announcements::is_active.eq(true).and(announcements::silence.eq(false)))
        .filter(seen_by(Some(user)))
        .filter(
            announcements::for_existing_users.eq(false).or(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "announcements.created_at > (SELECT created_at FROM users WHERE id = ",
            )
            .bind::<diesel::sql_types::Text, _>(user.to_owned())
            .sql(")")),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(
            announcement_reads::table.filter(
                announcement_reads::user_id
                    .eq(user)
                    .and(announcement_reads::announcement_id.eq(announcements::id)),
            ),
        )))
        .order(announcements::id.desc())
        .limit(100)
        .select(AnnouncementRow::as_select())
        .load(conn)
        .await?)
}

/// `user` read an announcement: recorded once; their own announcement ends with it. When
/// nothing is left unread, their clients hear `readAllAnnouncements`. An announcement they
/// may not see is left alone.
pub async fn read(conn: &mut AsyncPgConnection, user: &str, id: &str) -> Result<(), Error> {
    let Some(a) = find(conn, id).await? else { return Ok(()) };
    if a.user_id.as_deref().is_some_and(|u| u != user) {
        return Ok(());
    }
    let added = conn
        .transaction::<_, Error, _>(async |conn| {
            let added = diesel::insert_into(announcement_reads::table)
                .values((
                    announcement_reads::announcement_id.eq(id),
                    announcement_reads::user_id.eq(user),
                    announcement_reads::created_at.eq(Utc::now()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            if added > 0 && a.user_id.is_some() {
                diesel::update(announcements::table.find(id))
                    .set(announcements::is_active.eq(false))
                    .execute(conn)
                    .await?;
            }
            Ok(added)
        })
        .await?;
    if added > 0 && unread(conn, user).await?.is_empty() {
        emit(Event::AnnouncementsRead { user: user.to_owned() });
    }
    Ok(())
}

/// Which announcements the moderators list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    All,
    Active,
    Archived,
}

/// A page of announcements for the moderators (everyone's, or one user's), with how many
/// have read each.
pub async fn admin_page(
    conn: &mut AsyncPgConnection,
    user: Option<&str>,
    status: Status,
    b: &Bounds,
) -> Result<Vec<(AnnouncementRow, i64)>, Error> {
    let mut q = announcements::table.select(AnnouncementRow::as_select()).into_boxed();
    q = match user {
        Some(u) => q.filter(announcements::user_id.eq(u.to_owned())),
        None => q.filter(announcements::user_id.is_null()),
    };
    match status {
        Status::All => {}
        Status::Active => q = q.filter(announcements::is_active.eq(true)),
        Status::Archived => q = q.filter(announcements::is_active.eq(false)),
    }
    let rows: Vec<AnnouncementRow> =
        crate::db::page::paginate!(q, announcements::id, b).limit(b.limit).load(conn).await?;
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let counts: Vec<(String, i64)> = announcement_reads::table
        .filter(announcement_reads::announcement_id.eq_any(&ids))
        .group_by(announcement_reads::announcement_id)
        .select((announcement_reads::announcement_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let counts: std::collections::HashMap<String, i64> = counts.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = counts.get(&r.id).copied().unwrap_or(0);
            (r, n)
        })
        .collect())
}
