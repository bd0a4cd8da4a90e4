//! Timelines and the other lists of notes: which notes each shows to a viewer. Every list is
//! one statement over an index (the home feed walks each followee's `(user_id, id)` index and
//! merges), with visibility, mutes, blocks and renote mutes applied in it, and is read with its
//! packing in the same statement (`db::page::List::page`). The client API's timelines and the
//! streaming channels decide what a viewer sees here, and nowhere else.

use super::policies::RolePolicies;
use super::visibility;
use super::{Error, Refusal};
use crate::db::notes::columns as cols;
use crate::db::notes::COLUMNS;
use crate::db::page::{Binds, Bounds, List, Range, Statement, EXCLUDED, RENOTE_MUTED};
use diesel_async::AsyncPgConnection;

/// The switches of Misskey's timelines.
#[derive(Clone, Copy, Debug)]
pub struct Switches {
    pub with_renotes: bool,
    pub with_files: bool,
    pub with_replies: bool,
}

impl Default for Switches {
    fn default() -> Self {
        Switches { with_renotes: true, with_files: false, with_replies: false }
    }
}

/// A timeline that a role policy can close.
#[derive(Clone, Copy, Debug)]
pub enum Public {
    Local,
    Hybrid,
    Global,
}

/// Whether the viewer may read the timeline: staff always, others as their policies say.
pub fn allowed(tl: Public, staff: bool, p: &RolePolicies) -> Result<(), Error> {
    let (open, refusal) = match tl {
        Public::Local => (p.ltl_available, Refusal::LocalTimelineDisabled),
        Public::Hybrid => (p.ltl_available, Refusal::HybridTimelineDisabled),
        Public::Global => (p.gtl_available, Refusal::GlobalTimelineDisabled),
    };
    if staff || open {
        Ok(())
    } else {
        Err(refusal.into())
    }
}

/// Conditions shared by the lists: the page's range, mutes and blocks (from the page
/// statement's exclusions), renotes and files switches.
fn common(a: &str, r: &Range, s: Switches) -> String {
    let mut sql = format!("{} AND {}", r.on(a), visibility::exclusion_sql(a, EXCLUDED, RENOTE_MUTED));
    if !s.with_renotes {
        sql += &format!(" AND NOT {}", super::notes::pure_renote_sql(a));
    }
    if s.with_files {
        sql += &format!(" AND {a}.file_ids <> '{{}}'");
    }
    sql
}

/// Replies are left out of a list but for self-replies (threads).
fn no_replies(a: &str) -> String {
    format!(" AND ({a}.reply_id IS NULL OR {a}.reply_user_id = {a}.user_id)")
}

/// The followed-users part of the home, hybrid and list feeds: for each source user (`src`
/// yields `uid`, `with_replies`), the newest notes through `notes_user_id_id`, merged.
fn feed_sql(src: &str, b: &Bounds, r: &Range, s: Switches, any_visible: bool) -> String {
    let me = Binds::VIEWER;
    let lim = b.limit;
    let vis = if any_visible { visibility::sql("n", me) } else { followed_visible("n") };
    // The merge handles ids only; the chosen notes' rows are read once at the end.
    format!(
        "SELECT {c} FROM notes f WHERE f.id IN (SELECT t.id FROM ({src}) src CROSS JOIN LATERAL ( \
           SELECT n.id FROM notes n WHERE n.user_id = src.uid AND {common} AND {vis} \
             AND (n.reply_id IS NULL OR src.with_replies OR n.reply_user_id = {me} OR n.reply_user_id = n.user_id) \
           ORDER BY n.id {d} LIMIT {lim}) t ORDER BY t.id {d} LIMIT {lim})",
        c = cols("f"),
        common = common("n", r, s),
        d = b.dir(),
    )
}

/// Visibility of a note whose author the viewer follows: only "specified" notes need the
/// address check. (The same rule as [`visibility::sql`] once the follow is known.)
fn followed_visible(a: &str) -> String {
    let me = Binds::VIEWER;
    format!("({a}.visibility <> 'specified' OR {a}.user_id = {me} OR {me} = ANY({a}.visible_user_ids))")
}

/// The viewer and the users they follow, with their "show replies" setting.
fn followed_src() -> String {
    let me = Binds::VIEWER;
    format!("SELECT followee_id AS uid, with_replies FROM following WHERE follower_id = {me} UNION ALL SELECT {me}, true")
}

/// How many of the newest notes the home feed looks through before it merges per followee.
const FEED_WINDOW: u32 = 1000;

/// The home feed (the viewer's and their followees' notes), unordered, holding at least the
/// page. Two plans whose costs move in opposite directions: the per-followee merge of
/// [`feed_sql`] costs followees × limit rows, a scan of the newest notes costs as many rows as
/// it takes to find `limit` from followees. The scan is tried within the newest
/// [`FEED_WINDOW`] notes of the page's range; when it finds a full page that page is exact (no
/// older note can be newer), otherwise the merge answers. Pages asked oldest first (`sinceId`
/// only) always merge.
fn home_feed_sql(b: &Bounds, r: &Range, s: Switches) -> String {
    let me = Binds::VIEWER;
    let lim = b.limit;
    let src = followed_src();
    let merged = feed_sql(&src, b, r, s, false);
    if b.ascending {
        return merged;
    }
    // `coalesce` keeps the followee test a hashed lookup instead of a join.
    format!(
        "WITH recent AS MATERIALIZED ( \
           SELECT {c} FROM (SELECT {c0} FROM notes n0 WHERE {window} ORDER BY n0.id DESC LIMIT {w}) n \
           WHERE coalesce(n.user_id IN (SELECT uid FROM ({src}) s), false) AND {common} AND {vis} \
             AND (n.reply_id IS NULL OR n.user_id = {me} OR n.reply_user_id = {me} OR n.reply_user_id = n.user_id \
               OR EXISTS (SELECT 1 FROM following w WHERE w.follower_id = {me} AND w.followee_id = n.user_id AND w.with_replies)) \
           ORDER BY n.id DESC LIMIT {lim}) \
         SELECT {all} FROM recent WHERE (SELECT count(*) FROM recent) >= {lim} \
         UNION ALL SELECT {all} FROM ({merged}) m WHERE (SELECT count(*) FROM recent) < {lim}",
        c = cols("n"),
        c0 = cols("n0"),
        window = r.on("n0"),
        w = FEED_WINDOW,
        common = common("n", r, s),
        vis = followed_visible("n"),
        all = *COLUMNS,
    )
}

fn local_sql(b: &Bounds, r: &Range, s: Switches) -> String {
    let replies = if s.with_replies { String::new() } else { no_replies("n") };
    format!(
        "SELECT {c} FROM notes n WHERE n.user_host IS NULL AND n.visibility = 'public' AND {common}{replies} \
         ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        common = common("n", r, s),
        d = b.dir(),
        lim = b.limit,
    )
}

/// The home timeline of `me`.
pub fn home(me: &str, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(Some(me));
    let r = b.bind(&mut binds);
    let sql = format!("{} ORDER BY id {} LIMIT {}", home_feed_sql(b, &r, s), b.dir(), b.limit);
    List { sql, binds }
}

/// The local timeline: public notes of local users.
pub fn local(me: Option<&str>, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    List { sql: local_sql(b, &r, s), binds }
}

/// The social (hybrid) timeline: the home feed and the local timeline together.
pub fn hybrid(me: &str, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(Some(me));
    let r = b.bind(&mut binds);
    let sql = format!(
        "SELECT {c} FROM (({feed}) UNION ({local})) u ORDER BY id {d} LIMIT {lim}",
        c = *COLUMNS,
        feed = home_feed_sql(b, &r, s),
        local = local_sql(b, &r, s),
        d = b.dir(),
        lim = b.limit,
    );
    List { sql, binds }
}

/// The global timeline: every public note that is not local-only, without replies to others.
pub fn global(me: Option<&str>, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.visibility = 'public' AND NOT n.local_only AND {common}{replies} \
         ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        common = common("n", &r, s),
        replies = no_replies("n"),
        d = b.dir(),
        lim = b.limit,
    );
    List { sql, binds }
}

/// Notes of a user list's members (the caller checks that the list is the viewer's).
pub fn user_list(me: &str, list_id: &str, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(Some(me));
    let r = b.bind(&mut binds);
    let list = binds.text(list_id);
    let src =
        format!("SELECT user_id AS uid, with_replies FROM user_list_members WHERE user_list_id = {list}");
    let sql = format!("{} ORDER BY id {} LIMIT {}", feed_sql(&src, b, &r, s, true), b.dir(), b.limit);
    List { sql, binds }
}

/// One user's notes.
pub fn user_notes(me: Option<&str>, user_id: &str, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let user = binds.text(user_id);
    let replies = if s.with_replies { String::new() } else { no_replies("n") };
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.user_id = {user} AND {vis} AND {common}{replies} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", Binds::VIEWER),
        common = common("n", &r, s),
        d = b.dir(),
        lim = b.limit,
    );
    List { sql, binds }
}

/// Notes that mention `me` or are addressed to them; only from users they follow when
/// `following`, only of one visibility when `only` says so.
pub fn mentions(me: &str, b: &Bounds, following: bool, only: Option<&str>) -> List {
    let mut binds = Binds::new(Some(me));
    let r = b.bind(&mut binds);
    let v = Binds::VIEWER;
    let mut filter = String::new();
    if following {
        filter += &format!(
            " AND EXISTS (SELECT 1 FROM following f WHERE f.follower_id = {v} AND f.followee_id = n.user_id)"
        );
    }
    if let Some(only) = only {
        filter += &format!(" AND n.visibility = {}", binds.text(only));
    }
    let sql = format!(
        "SELECT {c} FROM notes n WHERE (n.mentions @> ARRAY[{v}]::varchar[] OR n.visible_user_ids @> ARRAY[{v}]::varchar[]) \
         AND {vis} AND {common}{filter} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", v),
        common = common("n", &r, Switches::default()),
        d = b.dir(),
        lim = b.limit,
    );
    List { sql, binds }
}

/// Which notes around one note a list shows.
#[derive(Clone, Copy, Debug)]
pub enum Related {
    Replies,
    Renotes,
    /// Replies and quotes.
    Children,
    QuotesOnly,
}

/// Replies to, renotes of, or the children of a note, visible to the viewer.
pub fn related(me: Option<&str>, note_id: &str, kind: Related, b: &Bounds) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let id = binds.text(note_id);
    let quote = format!("(n.renote_id = {id} AND NOT {})", super::notes::pure_renote_sql("n"));
    let cond = match kind {
        Related::Replies => format!("n.reply_id = {id}"),
        Related::Renotes => format!("n.renote_id = {id}"),
        Related::Children => format!("(n.reply_id = {id} OR {quote})"),
        Related::QuotesOnly => quote,
    };
    let all = Switches { with_renotes: true, ..Switches::default() };
    let sql = format!(
        "SELECT {c} FROM notes n WHERE {cond} AND {vis} AND {common} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", Binds::VIEWER),
        common = common("n", &r, all),
        d = b.dir(),
        lim = b.limit,
    );
    List { sql, binds }
}

/// Full-text search (see `domain::search`), newest first: `tsquery` finds candidates through
/// the index, `like` (an ILIKE pattern) checks the text itself; optionally one user's notes.
pub fn search(me: Option<&str>, tsquery: &str, like: &str, user_id: Option<&str>, b: &Bounds) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let tsq = binds.text(tsquery);
    let like = binds.text(like);
    let user = match user_id {
        Some(u) => format!(" AND n.user_id = {}", binds.text(u)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.search @@ to_tsquery('simple', {tsq}) AND (n.text ILIKE {like} OR n.cw ILIKE {like}) \
         AND {vis} AND {common}{user} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", Binds::VIEWER),
        common = common("n", &r, Switches::default()),
        d = b.dir(),
        lim = b.limit,
    );
    List { sql, binds }
}

/// The list as one page statement, with the viewer's exclusions.
pub fn page(list: List) -> Statement {
    list.page(visibility::EXCLUSIONS_SQL)
}

/// Reads a page of the list: its notes with everything their packing needs.
pub async fn load(conn: &mut AsyncPgConnection, list: List) -> Result<Vec<crate::db::page::PackRow>, Error> {
    Ok(page(list).load(conn).await?)
}

/// The statement a timeline (home, local, hybrid) runs for its first page with default
/// switches, for benchmarks that time the database on its own; with `packed` false only the
/// list of notes with the exclusions it reads. The viewer is `$1`, the only bind.
pub fn first_page(timeline: &str, me: &str, limit: i64, packed: bool) -> Option<Statement> {
    let b = Bounds { lower: None, upper: None, ascending: false, limit };
    let s = Switches::default();
    let list = match timeline {
        "home" => home(me, &b, s),
        "local" => local(Some(me), &b, s),
        "hybrid" => hybrid(me, &b, s),
        _ => return None,
    };
    Some(if packed { page(list) } else { list.bare(visibility::EXCLUSIONS_SQL) })
}
