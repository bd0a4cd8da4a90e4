//! `domain::notes::create` is the one way a note comes to exist. A remote note (as federation
//! will deliver it) goes through the same rules as a local one, keeps its ActivityPub id, page
//! and host, and touches only what Misskey touches for a remote note: its author's note count
//! and the reply target's counter, not the author's last activity; its notifications reach
//! local users only, in the transaction that stores it.

mod common;
use common::*;
use misskey_rs::db::writer::Writer;
use misskey_rs::domain::notes::{self, Draft, Origin};
use misskey_rs::domain::policies::RolePolicies;
use misskey_rs::domain::{Error, Refusal};

#[tokio::test]
async fn a_remote_note_keeps_its_origin_and_follows_the_same_rules() {
    let inst = Instance::init("origin");
    let url = inst.db.as_ref().unwrap().url.clone();
    let admin = psql(&url, "SELECT id FROM users WHERE username = 'admin'");
    psql(
        &url,
        "INSERT INTO users (id, created_at, username, username_lower, host, uri) \
         VALUES ('remote1', now(), 'Alice', 'alice', 'remote.example', 'https://remote.example/users/alice'), \
                ('remote2', now(), 'bob', 'bob', 'other.example', 'https://other.example/users/bob')",
    );
    let cfg = misskey_rs::config::DatabaseConfig { url: url.clone(), pool_size: 2, acquire_timeout_secs: 5 };
    let writer = Writer::start(misskey_rs::db::build_pool(&cfg).unwrap());
    let pool = misskey_rs::db::build_pool(&cfg).unwrap();
    let policies = RolePolicies::default();

    let local = notes::create(
        &pool,
        &writer,
        "localhost",
        Origin::Local { policies: &policies },
        &admin,
        Draft { text: Some("hello fediverse".into()), ..Draft::default() },
    )
    .await
    .unwrap();
    let last_active = psql(&url, "SELECT last_active_date FROM users WHERE id = 'remote1'");
    assert_eq!(last_active, "", "a remote user has no last activity here");

    // A remote reply longer than a local note may be, with a long content warning, mentioning
    // the administrator and another remote user (resolved by the caller).
    let long = "あ".repeat(5000);
    // Published two days ago: it takes its place in time, before the local note.
    let published = chrono::Utc::now() - chrono::Duration::days(2);
    let remote = notes::create(
        &pool,
        &writer,
        "localhost",
        Origin::Remote {
            uri: "https://remote.example/notes/1".into(),
            url: Some("https://remote.example/@alice/1".into()),
            host: "remote.example".into(),
            published: Some(published),
        },
        "remote1",
        Draft {
            text: Some(long.clone()),
            cw: Some("c".repeat(600)),
            reply_id: Some(local.note.id.clone()),
            mentions: vec![admin.clone(), "remote2".into(), admin.clone()],
            ..Draft::default()
        },
    )
    .await
    .unwrap();
    let n = &remote.note;
    assert_eq!(n.uri.as_deref(), Some("https://remote.example/notes/1"));
    assert_eq!(n.url.as_deref(), Some("https://remote.example/@alice/1"));
    assert_eq!(n.user_host.as_deref(), Some("remote.example"));
    assert_eq!(n.text.as_deref(), Some(long.as_str()), "a remote note is not held to the local limit");
    assert_eq!(n.cw.as_ref().map(|c| c.chars().count()), Some(notes::MAX_REMOTE_CW));
    assert_eq!(n.visibility, "public");
    assert_eq!(n.mentions, vec![admin.clone(), "remote2".to_string()]);
    assert_eq!(n.thread_id.as_deref(), Some(local.note.id.as_str()));
    assert_eq!(remote.author.host.as_deref(), Some("remote.example"));
    assert_eq!(n.created_at.timestamp_millis(), published.timestamp_millis());
    assert!(n.id < local.note.id, "ids order by publication: {} {}", n.id, local.note.id);

    // Counters: the author's note count and the target's replies, nothing of local activity.
    let row = psql(&url, "SELECT notes_count, last_active_date IS NULL FROM users WHERE id = 'remote1'");
    assert_eq!(row, "1|t");
    let replies = psql(&url, &format!("SELECT replies_count FROM notes WHERE id = '{}'", local.note.id));
    assert_eq!(replies, "1");
    // Notifications: the local administrator is told of the reply (which wins over the
    // mention); the mentioned remote user gets nothing here.
    let notified = psql(
        &url,
        &format!(
            "SELECT notifiee_id || ':' || type || ':' || notifier_id FROM notifications WHERE note_id = '{}'",
            n.id
        ),
    );
    assert_eq!(notified, format!("{admin}:reply:remote1"));

    // The same rules as a local note: a remote user blocked by the target's author does not see
    // the note, so cannot reply to it.
    psql(
        &url,
        &format!("INSERT INTO blockings (id, created_at, blocker_id, blockee_id) VALUES ('blk1', now(), '{admin}', 'remote2')"),
    );
    let refused = notes::create(
        &pool,
        &writer,
        "localhost",
        Origin::Remote {
            uri: "https://other.example/notes/9".into(),
            url: None,
            host: "other.example".into(),
            published: None,
        },
        "remote2",
        Draft { text: Some("hi".into()), reply_id: Some(local.note.id.clone()), ..Draft::default() },
    )
    .await;
    assert!(matches!(refused, Err(Error::Refused(Refusal::NoSuchReplyTarget))), "{:?}", refused.err());
    // And an empty remote note is refused like an empty local one, storing nothing.
    let empty = notes::create(
        &pool,
        &writer,
        "localhost",
        Origin::Remote {
            uri: "https://other.example/notes/10".into(),
            url: None,
            host: "other.example".into(),
            published: None,
        },
        "remote2",
        Draft { text: Some("   ".into()), ..Draft::default() },
    )
    .await;
    assert!(matches!(empty, Err(Error::Invalid { param: "text", .. })), "{:?}", empty.err());
    assert_eq!(psql(&url, "SELECT count(*) FROM notes WHERE user_id = 'remote2'"), "0");

    // A local note is held to the local limits.
    let too_long = notes::create(
        &pool,
        &writer,
        "localhost",
        Origin::Local { policies: &policies },
        &admin,
        Draft { text: Some("x".repeat(notes::MAX_TEXT + 1)), ..Draft::default() },
    )
    .await;
    assert!(matches!(too_long, Err(Error::Invalid { param: "text", .. })), "{:?}", too_long.err());
}
