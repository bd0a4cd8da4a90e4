//! `bench …`: helpers for the benchmarks in `bench/`. `bench seed` fills an empty database with a
//! realistic dataset (users with a skewed follow graph, notes with replies, renotes, quotes and
//! reactions, every counter consistent); `bench sql` prints the statement a timeline endpoint runs, so
//! the database can be measured on its own with the very same query.

use super::{fmt_err, load_config, runtime, Cli};
use crate::domain::{keys, search};
use diesel::sql_types::{Array, Double, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Fill an empty database with benchmark data (refuses when local accounts exist).
    Seed(SeedArgs),
    /// Print the statement a timeline endpoint (home, local, hybrid) runs for `limit` 20, first
    /// page: the list of notes and their packing in one statement.
    Sql {
        #[arg(value_parser = ["home", "local", "hybrid"])]
        timeline: String,
        /// Only the list (which notes, with the viewer's mutes and blocks), without the packing.
        #[arg(long)]
        list: bool,
    },
}

#[derive(clap::Args)]
pub struct SeedArgs {
    #[arg(long, default_value_t = 2000)]
    pub users: usize,
    #[arg(long, default_value_t = 200_000)]
    pub notes: usize,
    /// Reactions per note on average.
    #[arg(long, default_value_t = 1.5)]
    pub reactions_per_note: f64,
    /// Seed of the pseudo-random generator (the same seed gives the same dataset shape).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Password of every seeded account (they are named bench0000, bench0001, …).
    #[arg(long, default_value = "password123")]
    pub password: String,
}

pub fn run(cli: &Cli, c: &Cmd) -> Result<(), String> {
    match c {
        Cmd::Sql { timeline, list } => {
            let statement = crate::domain::timelines::first_page(timeline, "$1", 20, !*list)
                .ok_or_else(|| format!("unknown timeline {timeline}"))?;
            println!("{}", statement.sql);
            Ok(())
        }
        Cmd::Seed(a) => {
            if a.users < 2 || a.notes == 0 {
                return Err("--users must be at least 2 and --notes at least 1".into());
            }
            let loaded = load_config(cli, vec![])?;
            let url = loaded.config.database.url.clone();
            runtime().block_on(async move {
                let mut conn =
                    crate::db::connect(&url).await.map_err(|e| format!("cannot reach the database: {e}"))?;
                seed(&mut conn, a).await.map_err(fmt_err)
            })
        }
    }
}

const WORDS: &[&str] = &[
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "misskey",
    "server",
    "rust",
    "coffee",
    "morning",
    "train",
    "cat",
    "music",
    "photo",
    "weekend",
    "release",
    "update",
    "federation",
    "emoji",
    "timeline",
    "garden",
    "rain",
    "sunny",
    "book",
    "game",
    "code",
    "tea",
    "walk",
    "night",
    "dinner",
];
const JAPANESE: &[&str] = &[
    "今日はいい天気ですね",
    "おはようございます",
    "猫がかわいい",
    "ミスキーでノートを書いています",
    "新しいサーバーを立てました",
    "東京は雨が降っています",
    "ラーメン食べたい",
];
const REACTIONS: &[&str] = &["👍", "❤", "😆", "🎉", "🤔", "😢", "🍮", "🙏"];
const BATCH: usize = 5000;

fn skewed(rng: &mut StdRng, n: usize, power: f64) -> usize {
    ((n as f64) * rng.gen::<f64>().powf(power)) as usize % n
}

fn text(rng: &mut StdRng) -> String {
    if rng.gen_bool(0.08) {
        return JAPANESE[rng.gen_range(0..JAPANESE.len())].to_string();
    }
    let n = rng.gen_range(3..25);
    let mut s: Vec<String> = (0..n).map(|_| WORDS[rng.gen_range(0..WORDS.len())].to_string()).collect();
    if rng.gen_bool(0.1) {
        s.push(format!("#tag{}", rng.gen_range(0..20)));
    }
    s.join(" ")
}

struct Notes {
    id: Vec<String>,
    at: Vec<f64>,
    user: Vec<String>,
    reply: Vec<Option<String>>,
    renote: Vec<Option<String>>,
    reply_user: Vec<Option<String>>,
    renote_user: Vec<Option<String>>,
    text: Vec<Option<String>>,
    visibility: Vec<String>,
    visible: Vec<String>,
    tags: Vec<String>,
    search: Vec<String>,
}

impl Notes {
    fn new() -> Self {
        Notes {
            id: vec![],
            at: vec![],
            user: vec![],
            reply: vec![],
            renote: vec![],
            reply_user: vec![],
            renote_user: vec![],
            text: vec![],
            visibility: vec![],
            visible: vec![],
            tags: vec![],
            search: vec![],
        }
    }

    async fn flush(&mut self, conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
        if self.id.is_empty() {
            return Ok(());
        }
        // Array columns travel as text literals ('{a,b}') and are cast in the query.
        diesel::sql_query(
            "INSERT INTO notes (id, created_at, user_id, reply_id, renote_id, reply_user_id, renote_user_id, \
               thread_id, text, visibility, visible_user_ids, mentions, tags, search) \
             SELECT id, to_timestamp(at), uid, rid, rnid, ruid, rnuid, coalesce(rid, id), txt, vis, \
               vis_users::varchar[], CASE WHEN ruid IS NULL THEN '{}' ELSE ARRAY[ruid] END, tags::varchar[], \
               to_tsvector('simple', doc) \
             FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
               AS t(id, at, uid, rid, rnid, ruid, rnuid, txt, vis, vis_users, tags, doc)",
        )
        .bind::<Array<Text>, _>(&self.id)
        .bind::<Array<Double>, _>(&self.at)
        .bind::<Array<Text>, _>(&self.user)
        .bind::<Array<Nullable<Text>>, _>(&self.reply)
        .bind::<Array<Nullable<Text>>, _>(&self.renote)
        .bind::<Array<Nullable<Text>>, _>(&self.reply_user)
        .bind::<Array<Nullable<Text>>, _>(&self.renote_user)
        .bind::<Array<Nullable<Text>>, _>(&self.text)
        .bind::<Array<Text>, _>(&self.visibility)
        .bind::<Array<Text>, _>(&self.visible)
        .bind::<Array<Text>, _>(&self.tags)
        .bind::<Array<Text>, _>(&self.search)
        .execute(conn)
        .await?;
        *self = Notes::new();
        Ok(())
    }
}

async fn seed(conn: &mut AsyncPgConnection, a: &SeedArgs) -> anyhow::Result<()> {
    use diesel::QueryableByName;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let existing: Count =
        diesel::sql_query("SELECT count(*) AS n FROM users WHERE host IS NULL AND NOT is_system")
            .get_result(conn)
            .await?;
    if existing.n > 0 {
        anyhow::bail!("the database already has {} local account(s); seed a new, empty one", existing.n);
    }
    crate::domain::users::ensure_meta(conn).await?;
    let mut rng = StdRng::seed_from_u64(a.seed);
    let started = std::time::Instant::now();
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;

    // Accounts: one bcrypt hash and one key pair serve them all (this is scratch data).
    let hash = keys::hash_password(&a.password).await?;
    let (public_key, private_key) = keys::generate_rsa_pem().await?;
    let user_at = now - 90.0 * 86400.0;
    let ids: Vec<String> =
        (0..a.users).map(|k| crate::id::gen_at(((user_at + k as f64) * 1000.0) as i64)).collect();
    let names: Vec<String> = (0..a.users).map(|k| format!("bench{k:04}")).collect();
    let tokens: Vec<String> = (0..a.users).map(|_| keys::random_token(16)).collect();
    diesel::sql_query(
        "INSERT INTO users (id, created_at, username, username_lower, token, is_root, is_admin) \
         SELECT id, to_timestamp($4), name, name, token, id = $1[1], id = $1[1] FROM UNNEST($1, $2, $3) AS t(id, name, token)",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Text>, _>(&names)
    .bind::<Array<Text>, _>(&tokens)
    .bind::<Double, _>(user_at)
    .execute(conn)
    .await?;
    diesel::sql_query("INSERT INTO user_profiles (user_id, password) SELECT id, $2 FROM UNNEST($1) AS t(id)")
        .bind::<Array<Text>, _>(&ids)
        .bind::<Text, _>(&hash)
        .execute(conn)
        .await?;
    diesel::sql_query(
        "INSERT INTO user_keypairs (user_id, public_key, private_key) SELECT id, $2, $3 FROM UNNEST($1) AS t(id)",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Text, _>(&public_key)
    .bind::<Text, _>(&private_key)
    .execute(conn)
    .await?;
    diesel::sql_query("UPDATE meta SET root_user_id = $1, setup_token_hash = NULL")
        .bind::<Text, _>(&ids[0])
        .execute(conn)
        .await?;

    // Follow graph: most accounts follow a few dozen, some hundreds; popular accounts (low
    // index) are followed far more often.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for k in 0..a.users {
        let want = (5 + (400.0 * rng.gen::<f64>().powi(3)) as usize).min(a.users - 1);
        let mut seen = HashSet::new();
        let mut tries = 0;
        while seen.len() < want && tries < want * 20 {
            tries += 1;
            let t = skewed(&mut rng, a.users, 2.5);
            if t != k && seen.insert(t) {
                pairs.push((k, t));
            }
        }
    }
    for chunk in pairs.chunks(BATCH * 4) {
        let fid: Vec<String> =
            chunk.iter().map(|_| crate::id::gen_at(((user_at + 86400.0) * 1000.0) as i64)).collect();
        let fr: Vec<String> = chunk.iter().map(|p| ids[p.0].clone()).collect();
        let fe: Vec<String> = chunk.iter().map(|p| ids[p.1].clone()).collect();
        diesel::sql_query(
            "INSERT INTO following (id, created_at, follower_id, followee_id) \
             SELECT id, to_timestamp($4), a, b FROM UNNEST($1, $2, $3) AS t(id, a, b)",
        )
        .bind::<Array<Text>, _>(&fid)
        .bind::<Array<Text>, _>(&fr)
        .bind::<Array<Text>, _>(&fe)
        .bind::<Double, _>(user_at + 86400.0)
        .execute(conn)
        .await?;
    }

    // Notes over the last 30 days, oldest first; authors skewed toward active accounts.
    let span = 30.0 * 86400.0;
    let mut at: Vec<f64> = (0..a.notes).map(|_| now - span * rng.gen::<f64>()).collect();
    at.sort_by(|x, y| x.partial_cmp(y).expect("finite"));
    let mut note_ids: Vec<String> = Vec::with_capacity(a.notes);
    let mut note_user: Vec<usize> = Vec::with_capacity(a.notes);
    let mut public: Vec<usize> = Vec::new();
    let mut batch = Notes::new();
    for (i, t) in at.iter().enumerate() {
        let id = crate::id::gen_at((t * 1000.0) as i64);
        let u = skewed(&mut rng, a.users, 1.8);
        let roll: f64 = rng.gen();
        let recent =
            |rng: &mut StdRng, pool: &[usize]| pool[pool.len() - 1 - rng.gen_range(0..pool.len().min(3000))];
        let (mut reply, mut renote, mut txt) = (None, None, Some(text(&mut rng)));
        if !public.is_empty() && roll < 0.15 {
            reply = Some(recent(&mut rng, &public));
        } else if !public.is_empty() && roll < 0.22 {
            renote = Some(recent(&mut rng, &public));
            txt = None;
        } else if !public.is_empty() && roll < 0.25 {
            renote = Some(recent(&mut rng, &public));
        }
        let v: f64 = rng.gen();
        let visibility = match () {
            _ if renote.is_some() || v < 0.75 => "public",
            _ if v < 0.87 => "home",
            _ if v < 0.97 => "followers",
            _ => "specified",
        };
        let visible = if visibility == "specified" {
            format!("{{{}}}", ids[skewed(&mut rng, a.users, 1.0)])
        } else {
            "{}".into()
        };
        let tags: Vec<&str> = txt
            .as_deref()
            .map(|s| s.split(' ').filter_map(|w| w.strip_prefix('#')).collect())
            .unwrap_or_default();
        batch.search.push(search::document(txt.as_deref(), None));
        batch.tags.push(format!("{{{}}}", tags.join(",")));
        batch.id.push(id.clone());
        batch.at.push(*t);
        batch.user.push(ids[u].clone());
        batch.reply.push(reply.map(|r| note_ids[r].clone()));
        batch.reply_user.push(reply.map(|r| ids[note_user[r]].clone()));
        batch.renote.push(renote.map(|r| note_ids[r].clone()));
        batch.renote_user.push(renote.map(|r| ids[note_user[r]].clone()));
        batch.text.push(txt);
        batch.visibility.push(visibility.into());
        batch.visible.push(visible);
        if visibility == "public" {
            public.push(i);
        }
        note_ids.push(id);
        note_user.push(u);
        if batch.id.len() >= BATCH {
            batch.flush(conn).await?;
        }
    }
    batch.flush(conn).await?;

    // Reactions on public notes, at most one per user and note; newer notes get more.
    let want = (a.notes as f64 * a.reactions_per_note) as usize;
    let mut seen: HashSet<(usize, usize)> = HashSet::with_capacity(want);
    let mut r = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..want * 2 {
        if seen.len() >= want || public.is_empty() {
            break;
        }
        let n = public[public.len() - 1 - skewed(&mut rng, public.len(), 3.0)];
        let u = skewed(&mut rng, a.users, 1.3);
        if !seen.insert((u, n)) {
            continue;
        }
        r.0.push(crate::id::gen_at(((at[n] + 60.0) * 1000.0) as i64));
        r.1.push(at[n] + 60.0);
        r.2.push(ids[u].clone());
        r.3.push(note_ids[n].clone());
        r.4.push(REACTIONS[skewed(&mut rng, REACTIONS.len(), 2.0)].to_string());
        if r.0.len() >= BATCH * 4 {
            insert_reactions(conn, &mut r).await?;
        }
    }
    insert_reactions(conn, &mut r).await?;

    // Counters, as the write paths keep them.
    for sql in [
        "UPDATE users u SET notes_count = c.n FROM (SELECT user_id, count(*) n FROM notes GROUP BY user_id) c WHERE c.user_id = u.id",
        "UPDATE users u SET followers_count = c.n FROM (SELECT followee_id, count(*) n FROM following GROUP BY followee_id) c WHERE c.followee_id = u.id",
        "UPDATE users u SET following_count = c.n FROM (SELECT follower_id, count(*) n FROM following GROUP BY follower_id) c WHERE c.follower_id = u.id",
        "UPDATE notes n SET replies_count = c.n FROM (SELECT reply_id, count(*) n FROM notes WHERE reply_id IS NOT NULL GROUP BY reply_id) c WHERE c.reply_id = n.id",
        "UPDATE notes n SET renote_count = c.n FROM (SELECT renote_id, count(*) n FROM notes WHERE renote_id IS NOT NULL GROUP BY renote_id) c WHERE c.renote_id = n.id",
        "UPDATE notes n SET reactions = c.m FROM (SELECT note_id, jsonb_object_agg(reaction, k) m \
           FROM (SELECT note_id, reaction, count(*) k FROM note_reactions GROUP BY 1, 2) x GROUP BY note_id) c WHERE c.note_id = n.id",
        "ANALYZE",
    ] {
        diesel::sql_query(sql).execute(conn).await?;
    }
    println!(
        "seeded {} users, {} follows, {} notes, {} reactions in {:.1}s",
        a.users,
        pairs.len(),
        a.notes,
        seen.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

type Reactions = (Vec<String>, Vec<f64>, Vec<String>, Vec<String>, Vec<String>);

async fn insert_reactions(conn: &mut AsyncPgConnection, r: &mut Reactions) -> anyhow::Result<()> {
    if r.0.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO note_reactions (id, created_at, user_id, note_id, reaction) \
         SELECT id, to_timestamp(at), u, n, r FROM UNNEST($1, $2, $3, $4, $5) AS t(id, at, u, n, r)",
    )
    .bind::<Array<Text>, _>(&r.0)
    .bind::<Array<Double>, _>(&r.1)
    .bind::<Array<Text>, _>(&r.2)
    .bind::<Array<Text>, _>(&r.3)
    .bind::<Array<Text>, _>(&r.4)
    .execute(conn)
    .await?;
    *r = Default::default();
    Ok(())
}
