//! Timelines and the other lists of notes: which notes each shows to a viewer. Every list is
//! one statement over an index (the home feed walks each followee's `(user_id, id)` index and
//! merges), with visibility, mutes, blocks and renote mutes applied in it, and is read with its
//! packing in the same statement (`db::page::List::page`). The client API's timelines and the
//! streaming channels decide what a viewer sees here, and nowhere else.

use super::policies::RolePolicies;
use super::visibility;
use super::{Error, Refusal};
use crate::db::notes::columns as cols;
use crate::db::notes::NoteRow;
use crate::db::notes::COLUMNS;
use crate::db::page::{Binds, Bounds, List, Range, Statement, EXCLUDED, RENOTE_MUTED};
use compact_str::CompactString;
use diesel::sql_types::{Array, Bool, Nullable, Text, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

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

/// One page of the notes meeting `cond` that the viewer may see, without the excluded ones.
fn visible_page(cond: &str, r: &Range, s: Switches, b: &Bounds) -> String {
    format!(
        "SELECT {c} FROM notes n WHERE {cond} AND {vis} AND {common} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", Binds::VIEWER),
        common = common("n", r, s),
        d = b.dir(),
        lim = b.limit,
    )
}

/// One user's notes.
pub fn user_notes(me: Option<&str>, user_id: &str, b: &Bounds, s: Switches) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let user = binds.text(user_id);
    let replies = if s.with_replies { String::new() } else { no_replies("n") };
    let sql = visible_page(&format!("n.user_id = {user}{replies}"), &r, s, b);
    List { sql, binds }
}

/// Public notes of the holders of a role (the caller checks that it is public and
/// explorable).
pub fn role(me: Option<&str>, role: &super::roles::RoleRow, b: &Bounds) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let holders = super::roles::holders_sql(role, "u", &mut |v| binds.text(v));
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.visibility = 'public' AND {common} \
           AND n.user_id IN (SELECT u.id FROM users u WHERE {holders}) \
         ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        common = common("n", &r, Switches::default()),
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
    let sql = visible_page(&cond, &r, all, b);
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
    let cond = format!(
        "n.search @@ to_tsquery('simple', {tsq}) AND (n.text ILIKE {like} OR n.cw ILIKE {like}){user}"
    );
    let sql = visible_page(&cond, &r, Switches::default(), b);
    List { sql, binds }
}

/// What a hashtag search keeps besides the tags: replies, renotes and polls only (true), none
/// (false) or either (None); with files only.
#[derive(Clone, Copy, Default)]
pub struct TagFilter {
    pub reply: Option<bool>,
    pub renote: Option<bool>,
    pub poll: Option<bool>,
    pub with_files: bool,
}

/// Notes carrying hashtags, newest first: any of the groups, each needing all of its tags
/// (compared as stored, see `mfm::extract::normalize_for_search`); empty groups are ignored,
/// and no group at all finds nothing.
pub fn tagged(me: Option<&str>, groups: &[Vec<String>], f: TagFilter, b: &Bounds) -> List {
    let mut binds = Binds::new(me);
    let r = b.bind(&mut binds);
    let any: Vec<String> = groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let tags = g
                .iter()
                .map(|t| crate::mfm::extract::normalize_for_search(t.trim_start_matches('#')))
                .collect();
            format!("n.tags @> {}::varchar[]", binds.texts(tags))
        })
        .collect();
    let any = if any.is_empty() { "FALSE".to_string() } else { any.join(" OR ") };
    let either = |on: Option<bool>, sql: String| match on {
        Some(true) => format!(" AND {sql}"),
        Some(false) => format!(" AND NOT {sql}"),
        None => String::new(),
    };
    let extra = either(f.reply, "n.reply_id IS NOT NULL".into())
        + &either(f.renote, "n.renote_id IS NOT NULL".into())
        + &either(f.poll, "n.has_poll".into());
    let s = Switches { with_files: f.with_files, ..Switches::default() };
    let sql = visible_page(&format!("({any}){extra}"), &r, s, b);
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

// The same lists decided one note at a time, for notes as they are stored (the streaming
// channels). Each check is the statement above over one loaded note; `tests/visibility.rs`
// stores random worlds and holds both forms to the same answer for every viewer and switch.

/// What a viewer's lists depend on: who they are, whom they follow (with each followee's "show
/// replies" setting) and whom they exclude ([`visibility::exclusions`]).
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    pub id: Option<String>,
    pub following: Follows,
    pub ex: UserSet,
    pub rm: UserSet,
    /// Words that hide notes from them ([`super::words::hides`]).
    pub hard: Option<std::sync::Arc<super::words::WordList>>,
}

/// User ids with a flag each, as a sorted list of inline strings: a viewer is kept for every
/// open streaming socket, and this holds a hundred follows in about 3 KiB.
#[derive(Clone, Debug, Default)]
pub struct Follows(Vec<(CompactString, bool)>);

impl Follows {
    fn find(&self, user: &str) -> Option<usize> {
        self.0.binary_search_by(|(u, _)| u.as_str().cmp(user)).ok()
    }

    /// The flag of a followed user; `None` when not followed.
    pub fn get(&self, user: &str) -> Option<bool> {
        self.find(user).map(|i| self.0[i].1)
    }

    pub fn contains_key(&self, user: &str) -> bool {
        self.find(user).is_some()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(u, _)| u.as_str())
    }
}

impl FromIterator<(String, bool)> for Follows {
    fn from_iter<I: IntoIterator<Item = (String, bool)>>(it: I) -> Self {
        let mut v: Vec<(CompactString, bool)> =
            it.into_iter().map(|(u, f)| (CompactString::from(u), f)).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        v.shrink_to_fit();
        Follows(v)
    }
}

/// A set of user ids, compact like [`Follows`].
#[derive(Clone, Debug, Default)]
pub struct UserSet(Vec<CompactString>);

impl UserSet {
    pub fn contains(&self, user: &str) -> bool {
        self.0.binary_search_by(|u| u.as_str().cmp(user)).is_ok()
    }
}

impl FromIterator<String> for UserSet {
    fn from_iter<I: IntoIterator<Item = String>>(it: I) -> Self {
        let mut v: Vec<CompactString> = it.into_iter().map(CompactString::from).collect();
        v.sort_unstable();
        v.dedup();
        v.shrink_to_fit();
        UserSet(v)
    }
}

impl visibility::Users for UserSet {
    fn has(&self, id: &str) -> bool {
        self.contains(id)
    }
}

/// A list that a stored note may join.
#[derive(Clone, Copy, Debug)]
pub enum Feed<'a> {
    Home,
    Local,
    Hybrid,
    Global,
    /// A user list: its members with their "show replies" setting.
    List(&'a HashMap<String, bool>),
    /// Notes carrying all tags of any one group (tags normalized as notes store them).
    Hashtag(&'a [Vec<String>]),
}

impl Viewer {
    /// Loads the viewer's follows and exclusions in one round trip (`None`: anonymous).
    pub async fn load(conn: &mut AsyncPgConnection, me: Option<&str>) -> Result<Viewer, Error> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = Array<Text>)]
            fo: Vec<String>,
            #[diesel(sql_type = Array<Bool>)]
            fr: Vec<bool>,
            #[diesel(sql_type = Array<Text>)]
            ex: Vec<String>,
            #[diesel(sql_type = Array<Text>)]
            rm: Vec<String>,
            #[diesel(sql_type = Nullable<diesel::sql_types::Jsonb>)]
            hm: Option<serde_json::Value>,
        }
        let sql = format!(
            "WITH f AS MATERIALIZED (SELECT followee_id, with_replies FROM following WHERE follower_id = $1) \
             SELECT ARRAY(SELECT followee_id FROM f ORDER BY followee_id)::text[] AS fo, \
               ARRAY(SELECT with_replies FROM f ORDER BY followee_id) AS fr, e.ex, e.rm, \
               (SELECT hard_muted_words FROM user_profiles WHERE user_id = $1) AS hm FROM ({}) e",
            visibility::EXCLUSIONS_SQL
        );
        let r: Row = crate::db::cached(diesel::sql_query(sql).bind::<Nullable<Varchar>, _>(me))
            .get_result(conn)
            .await?;
        Ok(Viewer {
            id: me.map(str::to_owned),
            following: r.fo.into_iter().zip(r.fr).collect(),
            ex: r.ex.into_iter().collect(),
            rm: r.rm.into_iter().collect(),
            hard: r.hm.as_ref().and_then(super::words::hard_muted),
        })
    }

    fn is(&self, user: Option<&String>) -> bool {
        user.is_some() && user == self.id.as_ref()
    }

    /// Whether the viewer may see the note at all ([`visibility::can_see`]).
    pub fn sees(&self, n: &NoteRow) -> bool {
        visibility::can_see(n, self.id.as_deref(), self.following.contains_key(&n.user_id))
    }

    /// Whether the viewer hears of something `user` did (a notification from them, their
    /// reaction or vote on a note the viewer watches): not from users they exclude.
    pub fn hears_from(&self, user: Option<&str>) -> bool {
        user.is_none_or(|u| !self.ex.contains(u))
    }

    /// Whether the note survives the viewer's mutes, blocks and renote mutes.
    pub fn keeps(&self, n: &NoteRow) -> bool {
        !visibility::excluded(n, &self.ex, &self.rm)
            && !super::words::hides(self.hard.as_deref(), self.id.as_deref(), n)
    }

    /// Whether the note is in the feed for this viewer, with these switches.
    pub fn shows(&self, feed: Feed, s: Switches, n: &NoteRow) -> bool {
        let common = self.keeps(n)
            && (s.with_renotes || !super::notes::is_pure_renote(n))
            && (!s.with_files || !n.file_ids.is_empty());
        common
            && match feed {
                Feed::Home => self.home_shows(n),
                Feed::Local => local_shows(n, s),
                Feed::Hybrid => self.home_shows(n) || local_shows(n, s),
                Feed::Global => n.visibility == "public" && !n.local_only && not_reply_to_others(n),
                Feed::List(members) => members
                    .get(&n.user_id)
                    .is_some_and(|&with_replies| self.sees(n) && self.reply_shown(n, with_replies)),
                Feed::Hashtag(q) => self.sees(n) && q.iter().any(|g| g.iter().all(|t| n.tags.contains(t))),
            }
    }

    /// The followed-users part of the home feed ([`feed_sql`] over [`followed_src`]).
    fn home_shows(&self, n: &NoteRow) -> bool {
        let with_replies = if self.is(Some(&n.user_id)) {
            true
        } else {
            match self.following.get(&n.user_id) {
                Some(w) => w,
                None => return false,
            }
        };
        let visible = n.visibility != "specified"
            || self.is(Some(&n.user_id))
            || n.visible_user_ids.iter().any(|u| self.is(Some(u)));
        visible && self.reply_shown(n, with_replies)
    }

    /// A reply is shown from a source whose replies are wanted, to the viewer, or to oneself.
    fn reply_shown(&self, n: &NoteRow, with_replies: bool) -> bool {
        n.reply_id.is_none() || with_replies || self.is(n.reply_user_id.as_ref()) || not_reply_to_others(n)
    }

    /// What the viewer's main channel hears of a new note: `mention` (named or addressed),
    /// `reply` (to one of theirs), `renote` (of one of theirs, quotes too), unless they wrote it,
    /// may not see it, or exclude it.
    pub fn note_events(&self, n: &NoteRow) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.id.is_none() || self.is(Some(&n.user_id)) || !self.sees(n) || !self.keeps(n) {
            return out;
        }
        if n.mentions.iter().chain(&n.visible_user_ids).any(|u| self.is(Some(u))) {
            out.push("mention");
        }
        if self.is(n.reply_user_id.as_ref()) {
            out.push("reply");
        }
        if self.is(n.renote_user_id.as_ref()) {
            out.push("renote");
        }
        out
    }
}

/// [`local_sql`] on one note.
fn local_shows(n: &NoteRow, s: Switches) -> bool {
    n.user_host.is_none() && n.visibility == "public" && (s.with_replies || not_reply_to_others(n))
}

/// [`no_replies`] on one note: not a reply, or a reply to oneself.
fn not_reply_to_others(n: &NoteRow) -> bool {
    n.reply_id.is_none() || n.reply_user_id.as_ref() == Some(&n.user_id)
}

/// The members of the user list `list_id` with their "show replies" setting, if `owner` owns
/// it (`None` when the list is not theirs or does not exist).
pub async fn list_members(
    conn: &mut AsyncPgConnection,
    list_id: &str,
    owner: &str,
) -> Result<Option<HashMap<String, bool>>, Error> {
    use crate::db::schema::{user_list_members as m, user_lists as l};
    use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
    let owned: Option<String> =
        l::table.find(list_id).filter(l::user_id.eq(owner)).select(l::id).first(conn).await.optional()?;
    if owned.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String, bool)> =
        m::table.filter(m::user_list_id.eq(list_id)).select((m::user_id, m::with_replies)).load(conn).await?;
    Ok(Some(rows.into_iter().collect()))
}
