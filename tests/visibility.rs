//! The note rules that exist twice, once as a check on a loaded note and once as SQL for lists,
//! must give the same answer: who may see a note (`visibility::can_see` / `visibility::sql`),
//! which notes lists leave out for mutes, blocks and suspensions (`visibility::excluded` /
//! `visibility::exclusion_sql`, with the viewer's exclusions as `EXCLUSIONS_SQL` reads them),
//! and what a pure renote is (`notes::is_pure_renote` / `notes::pure_renote_sql`). Random
//! users, follows, blocks, mutes (some expired), renote mutes, suspensions and notes of every
//! shape are stored in a real PostgreSQL, and every (viewer, note) pair is asked both ways.
//! The feeds too: each timeline's statement (the client API's) and its note-by-note form
//! (`timelines::Viewer::shows`, the streaming channels') list the same notes.

mod common;
use common::*;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Varchar};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use misskey_rs::db::notes::NoteRow;
use misskey_rs::db::page::Bounds;
use misskey_rs::db::page::{EXCLUDED, RENOTE_MUTED};
use misskey_rs::domain::timelines::{self, Feed, Switches, Viewer};
use misskey_rs::domain::{notes, visibility};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

const USERS: usize = 8;
const NOTES: usize = 400;
const SEEDS: [u64; 3] = [1, 2, 3];

/// What the test stored, as the test knows it (not read back through the rules under test).
struct World {
    users: Vec<String>,
    follows: HashSet<(usize, usize)>,
    /// (muter, mutee) of mutes in force; expired ones are stored but not listed.
    mutes: HashSet<(usize, usize)>,
    blocks: HashSet<(usize, usize)>,
    renote_mutes: HashSet<(usize, usize)>,
    suspended: HashSet<usize>,
}

fn pick<'a>(rng: &mut StdRng, users: &'a [String], p: f64) -> Vec<&'a String> {
    users.iter().filter(|_| rng.gen_bool(p)).collect()
}

fn list(ids: &[&String]) -> String {
    format!("ARRAY[{}]::varchar[]", ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(","))
}

/// Stores a random world for `seed` (the users exist already) and answers it.
async fn build(conn: &mut diesel_async::AsyncPgConnection, users: &[String], seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sql = String::from(
        "TRUNCATE notes, following, mutings, blockings, renote_mutings, user_list_members CASCADE; \
         UPDATE users SET is_suspended = false;",
    );
    let mut w = World {
        users: users.to_vec(),
        follows: HashSet::new(),
        mutes: HashSet::new(),
        blocks: HashSet::new(),
        renote_mutes: HashSet::new(),
        suspended: HashSet::new(),
    };
    for (i, u) in users.iter().enumerate() {
        if rng.gen_bool(0.15) {
            w.suspended.insert(i);
            sql += &format!("UPDATE users SET is_suspended = true WHERE id = '{u}';");
        }
    }
    let mut row = 0;
    for a in 0..USERS {
        for b in 0..USERS {
            if a == b {
                continue;
            }
            row += 1;
            let (ua, ub) = (&users[a], &users[b]);
            if rng.gen_bool(0.4) {
                w.follows.insert((a, b));
                let with_replies = rng.gen_bool(0.3);
                sql += &format!(
                    "INSERT INTO following (id, created_at, follower_id, followee_id, with_replies) \
                     VALUES ('f{row}', now(), '{ua}', '{ub}', {with_replies});"
                );
            }
            if rng.gen_bool(0.3) {
                let with_replies = rng.gen_bool(0.3);
                sql += &format!(
                    "INSERT INTO user_list_members (id, created_at, user_list_id, user_id, with_replies) \
                     VALUES ('l{row}', now(), 'list{a}', '{ub}', {with_replies});"
                );
            }
            if rng.gen_bool(0.15) {
                let (expires, in_force) = match rng.gen_range(0..3) {
                    0 => ("NULL", true),
                    1 => ("now() + interval '1 day'", true),
                    _ => ("now() - interval '1 day'", false),
                };
                if in_force {
                    w.mutes.insert((a, b));
                }
                sql += &format!(
                    "INSERT INTO mutings (id, created_at, expires_at, muter_id, mutee_id) VALUES ('m{row}', now(), {expires}, '{ua}', '{ub}');"
                );
            }
            if rng.gen_bool(0.1) {
                w.blocks.insert((a, b));
                sql += &format!(
                    "INSERT INTO blockings (id, created_at, blocker_id, blockee_id) VALUES ('b{row}', now(), '{ua}', '{ub}');"
                );
            }
            if rng.gen_bool(0.15) {
                w.renote_mutes.insert((a, b));
                sql += &format!(
                    "INSERT INTO renote_mutings (id, created_at, muter_id, mutee_id) VALUES ('r{row}', now(), '{ua}', '{ub}');"
                );
            }
        }
    }
    // One plain note per user, for replies and renotes to point at.
    for (i, u) in users.iter().enumerate() {
        sql += &format!(
            "INSERT INTO notes (id, created_at, user_id, text, visibility) VALUES ('base{i}', now(), '{u}', 'base', 'public');"
        );
    }
    for k in 0..NOTES {
        let author = rng.gen_range(0..USERS);
        let visibility = ["public", "home", "followers", "specified"][rng.gen_range(0..4)];
        let visible = pick(&mut rng, users, 0.2);
        let mentions = pick(&mut rng, users, 0.15);
        let target = |rng: &mut StdRng, p: f64| rng.gen_bool(p).then(|| rng.gen_range(0..USERS));
        let (reply, renote) = (target(&mut rng, 0.3), target(&mut rng, 0.3));
        let opt = |v: Option<usize>, what: &str| match v {
            Some(i) if what == "note" => format!("'base{i}'"),
            Some(i) => format!("'{}'", users[i]),
            None => "NULL".into(),
        };
        let text = if rng.gen_bool(0.5) { "'text'" } else { "NULL" };
        let cw = if rng.gen_bool(0.2) { "'cw'" } else { "NULL" };
        let files = if rng.gen_bool(0.1) { "ARRAY['file']::varchar[]" } else { "'{}'" };
        let poll = rng.gen_bool(0.1);
        // Some authors' notes come from elsewhere (as a remote account's would), some stay local.
        let host = if author % 4 == 3 { "'remote.example'" } else { "NULL" };
        let local_only = rng.gen_bool(0.15);
        sql += &format!(
            "INSERT INTO notes (id, created_at, user_id, visibility, visible_user_ids, mentions, reply_id, reply_user_id, \
               renote_id, renote_user_id, text, cw, file_ids, has_poll, user_host, local_only) \
             VALUES ('n{k:04}', now(), '{}', '{visibility}', {}, {}, {}, {}, {}, {}, {text}, {cw}, {files}, {poll}, {host}, {local_only});",
            users[author],
            list(&visible),
            list(&mentions),
            opt(reply, "note"),
            opt(reply, "user"),
            opt(renote, "note"),
            opt(renote, "user"),
        );
    }
    conn.batch_execute(&sql).await.unwrap();
    w
}

/// Every stored note, in id order.
async fn all_notes(conn: &mut diesel_async::AsyncPgConnection) -> Vec<NoteRow> {
    use misskey_rs::db::schema::notes;
    notes::table.select(NoteRow::as_select()).order(notes::id).load(conn).await.unwrap()
}

/// The test's users, each with one user list (filled by [`build`]).
async fn store_users(conn: &mut diesel_async::AsyncPgConnection) -> Vec<String> {
    let mut sql = String::new();
    let users: Vec<String> = (0..USERS).map(|i| format!("user{i}")).collect();
    for (i, u) in users.iter().enumerate() {
        sql += &format!(
            "INSERT INTO users (id, created_at, username, username_lower) VALUES ('{u}', now(), '{u}', '{u}'); \
             INSERT INTO user_lists (id, created_at, user_id, name) VALUES ('list{i}', now(), '{u}', 'list');"
        );
    }
    conn.batch_execute(&sql).await.unwrap();
    users
}

#[derive(QueryableByName)]
struct Answer {
    #[diesel(sql_type = Varchar)]
    id: String,
    #[diesel(sql_type = Bool)]
    visible: bool,
    #[diesel(sql_type = Bool)]
    kept: bool,
    #[diesel(sql_type = Bool)]
    pure: bool,
}

#[tokio::test]
async fn rust_and_sql_forms_of_each_rule_agree() {
    let db = TestDb::new("visibility");
    let inst = Instance::init_with("visibility", &db.url, &redis_url(), &[]);
    drop(inst);
    let mut conn = misskey_rs::db::connect(&db.url).await.unwrap();
    let users = store_users(&mut conn).await;

    let check = format!(
        // As in a WHERE clause, an unknown (NULL) answer counts as false.
        "WITH excl AS MATERIALIZED ({}) SELECT n.id, coalesce({}, false) AS visible, coalesce({}, false) AS kept, \
         coalesce({}, false) AS pure FROM notes n ORDER BY n.id",
        visibility::EXCLUSIONS_SQL,
        visibility::sql("n", "$1"),
        visibility::exclusion_sql("n", EXCLUDED, RENOTE_MUTED),
        notes::pure_renote_sql("n"),
    );
    let mut cases = 0;
    let mut shapes = HashSet::new();
    for seed in SEEDS {
        let w = build(&mut conn, &users, seed).await;
        let rows = all_notes(&mut conn).await;
        let viewers = std::iter::once(None).chain((0..USERS).map(Some));
        for viewer in viewers {
            let me = viewer.map(|v| w.users[v].as_str());
            let answers: Vec<Answer> =
                diesel::sql_query(&check).bind::<Nullable<Varchar>, _>(me).load(&mut conn).await.unwrap();
            assert_eq!(answers.len(), rows.len());
            // The viewer's exclusions as the test stored them.
            let (ex, rm): (Vec<String>, Vec<String>) = match viewer {
                None => (w.suspended.iter().map(|&o| w.users[o].clone()).collect(), vec![]),
                Some(v) => {
                    let ex = (0..USERS)
                        .filter(|&o| {
                            w.mutes.contains(&(v, o))
                                || w.blocks.contains(&(v, o))
                                || w.blocks.contains(&(o, v))
                                || w.suspended.contains(&o)
                        })
                        .map(|o| w.users[o].clone())
                        .collect();
                    let rm = (0..USERS)
                        .filter(|&o| w.renote_mutes.contains(&(v, o)))
                        .map(|o| w.users[o].clone())
                        .collect();
                    (ex, rm)
                }
            };
            for (n, a) in rows.iter().zip(&answers) {
                assert_eq!(n.id, a.id);
                let author = w.users.iter().position(|u| *u == n.user_id).unwrap();
                let follows = viewer.is_some_and(|v| w.follows.contains(&(v, author)));
                let why = format!("seed {seed}, viewer {me:?}, note {n:?}");
                assert_eq!(visibility::can_see(n, me, follows), a.visible, "visibility: {why}");
                assert_eq!(!visibility::excluded(n, &ex, &rm), a.kept, "exclusions: {why}");
                assert_eq!(notes::is_pure_renote(n), a.pure, "pure renote: {why}");
                shapes.insert((n.visibility.clone(), a.visible, a.kept, a.pure, me.is_some()));
                cases += 1;
            }
        }
    }
    // Every visibility was seen both visible and hidden, kept and left out.
    for v in notes::VISIBILITIES {
        for (visible, kept) in [(true, true), (true, false)] {
            assert!(shapes.iter().any(|s| s.0 == v && s.1 == visible && s.2 == kept), "{v} {visible} {kept}");
        }
        if v == "followers" || v == "specified" {
            assert!(shapes.iter().any(|s| s.0 == v && !s.1 && s.4), "{v} hidden from a signed-in viewer");
        }
    }
    assert!(shapes.iter().any(|s| s.3) && shapes.iter().any(|s| !s.3));
    println!("{cases} cases agreed");
    assert!(cases >= 10_000, "{cases}");
}

/// Builds a list's statement for a page's bounds.
type MakeList<'a> = dyn Fn(&Bounds) -> misskey_rs::db::page::List + 'a;

/// Every note of a list, read page by page through its statement as the client API reads it.
async fn listed(conn: &mut diesel_async::AsyncPgConnection, make: &MakeList<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut upper = None;
    loop {
        let b = Bounds { lower: None, upper: upper.clone(), ascending: false, limit: 100 };
        let rows = timelines::load(conn, make(&b)).await.unwrap();
        let page: Vec<String> = rows.into_iter().filter(|r| !r.nested).map(|r| r.note.id).collect();
        let full = page.len() == 100;
        upper = page.iter().min().cloned();
        out.extend(page);
        if !full {
            break;
        }
    }
    out.sort();
    out
}

/// Each feed decided note by note (`timelines::Viewer::shows`, what the streaming channels ask)
/// gives the notes its statement lists (what the client API's timelines answer), for every
/// viewer, feed and switch.
#[tokio::test]
async fn feeds_note_by_note_agree_with_their_statements() {
    let db = TestDb::new("feeds");
    let inst = Instance::init_with("feeds", &db.url, &redis_url(), &[]);
    drop(inst);
    let mut conn = misskey_rs::db::connect(&db.url).await.unwrap();
    let users = store_users(&mut conn).await;
    let switches = [
        Switches::default(),
        Switches { with_renotes: false, with_files: false, with_replies: true },
        Switches { with_renotes: true, with_files: true, with_replies: false },
    ];
    let (mut cases, mut shown) = (0usize, 0usize);
    for seed in SEEDS {
        build(&mut conn, &users, seed).await;
        let rows = all_notes(&mut conn).await;
        let viewers = std::iter::once(None).chain((0..USERS).map(Some));
        for viewer in viewers {
            let me = viewer.map(|v| users[v].clone());
            let me = me.as_deref();
            let v = Viewer::load(&mut conn, me).await.unwrap();
            let list_id = viewer.map(|i| format!("list{i}"));
            let members = match (&list_id, me) {
                (Some(l), Some(me)) => timelines::list_members(&mut conn, l, me).await.unwrap().unwrap(),
                _ => Default::default(),
            };
            for s in switches {
                let mut feeds: Vec<(&str, Feed, Box<MakeList<'_>>)> = vec![
                    ("local", Feed::Local, Box::new(move |b: &Bounds| timelines::local(me, b, s))),
                    ("global", Feed::Global, Box::new(move |b: &Bounds| timelines::global(me, b, s))),
                ];
                if let (Some(me), Some(l)) = (me, list_id.as_deref()) {
                    feeds.push(("home", Feed::Home, Box::new(move |b: &Bounds| timelines::home(me, b, s))));
                    feeds.push((
                        "hybrid",
                        Feed::Hybrid,
                        Box::new(move |b: &Bounds| timelines::hybrid(me, b, s)),
                    ));
                    feeds.push((
                        "list",
                        Feed::List(&members),
                        Box::new(move |b: &Bounds| timelines::user_list(me, l, b, s)),
                    ));
                }
                for (name, feed, make) in feeds {
                    let by_statement = listed(&mut conn, &*make).await;
                    let by_note: Vec<String> =
                        rows.iter().filter(|n| v.shows(feed, s, n)).map(|n| n.id.clone()).collect();
                    assert_eq!(by_note, by_statement, "seed {seed}, viewer {me:?}, {name}, {s:?}");
                    cases += rows.len();
                    shown += by_note.len();
                }
            }
        }
    }
    println!("{cases} cases agreed, {shown} shown");
    assert!(shown > 1_000 && shown < cases / 2, "{shown} of {cases}");
}
