//! Notes created at the same moment are stored in shared transactions: every caller still gets
//! its own note (or its own error), and the counters they change stay exact.

mod common;
use common::*;
use misskey_rs::db::notes::{NewNoteRow, SearchText};
use misskey_rs::db::writer::{Insert, WriteError, Writer};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn concurrent_creates_keep_counters_and_answer_each_caller() {
    let inst = Instance::init("writer_api");
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let mut users = vec![];
    for name in ["ann", "ben", "cat"] {
        let (s, u) =
            call(b, "admin/accounts/create", &admin, json!({ "username": name, "password": "password123" }))
                .await;
        assert_eq!(s, 200, "{u}");
        users.push((u["id"].as_str().unwrap().to_string(), u["token"].as_str().unwrap().to_string()));
    }
    let (s, r) = call(b, "notes/create", &users[0].1, json!({ "text": "the target" })).await;
    assert_eq!(s, 200, "{r}");
    let target = r["createdNote"]["id"].as_str().unwrap().to_string();

    // Ben and Cat each post 20 notes, 10 replies to the target and 5 quotes of it, all at once.
    let mut bodies = vec![];
    for (who, (_, token)) in users.iter().enumerate().skip(1) {
        for k in 0..35 {
            let text = format!("u{who} n{k}");
            let body = match k {
                0..20 => json!({ "text": text }),
                20..30 => json!({ "text": text, "replyId": target }),
                _ => json!({ "text": text, "renoteId": target }),
            };
            bodies.push((token.clone(), text, body));
        }
    }
    let answers = futures_util::future::join_all(
        bodies.iter().map(|(token, _, body)| call(b, "notes/create", token, body.clone())),
    )
    .await;
    let mut ids = HashSet::new();
    for ((_, text, _), (s, r)) in bodies.iter().zip(&answers) {
        assert_eq!(s, &200, "{r}");
        let note = &r["createdNote"];
        assert_eq!(note["text"].as_str(), Some(text.as_str()), "each caller gets its own note");
        assert!(ids.insert(note["id"].as_str().unwrap().to_string()));
    }
    for (id, _) in &users[1..] {
        let (_, u) = call(b, "users/show", &admin, json!({ "userId": id })).await;
        assert_eq!(u["notesCount"], 35, "{u}");
    }
    let (_, t) = call(b, "notes/show", &admin, json!({ "noteId": target })).await;
    assert_eq!((t["repliesCount"].clone(), t["renoteCount"].clone()), (json!(20), json!(10)), "{t}");
    let (_, replies) = call(b, "notes/replies", &admin, json!({ "noteId": target, "limit": 100 })).await;
    assert_eq!(replies.as_array().unwrap().len(), 20);
    let stored = psql(&inst.db.as_ref().unwrap().url, "SELECT count(*) FROM notes");
    assert_eq!(stored.trim(), "71");
}

fn insert(user: &str, text: &str, reply: Option<(&str, &str)>) -> Insert {
    let row = NewNoteRow {
        id: misskey_rs::id::gen(),
        created_at: chrono::Utc::now(),
        user_id: user.into(),
        user_host: None,
        text: Some(text.into()),
        cw: None,
        visibility: "public".into(),
        visible_user_ids: vec![],
        local_only: false,
        reply_id: reply.map(|(n, _)| n.into()),
        renote_id: None,
        reply_user_id: reply.map(|(_, u)| u.into()),
        renote_user_id: None,
        thread_id: reply.map(|(n, _)| n.into()),
        mentions: vec![],
        tags: vec!["tag".into()],
        emojis: vec![],
        file_ids: vec![],
        has_poll: false,
        reaction_acceptance: None,
        uri: None,
        url: None,
        search: SearchText(text.into()),
    };
    Insert { row, poll: None, notify: vec![], notify_watchers: false, jobs: vec![] }
}

// One thread: every write below is queued before the writer first runs, so they form one batch.
#[tokio::test(flavor = "current_thread")]
async fn a_failing_note_fails_alone() {
    let inst = Instance::init("writer_batch");
    let url = inst.db.as_ref().unwrap().url.clone();
    let admin = psql(&url, "SELECT id FROM users WHERE username = 'admin'").trim().to_string();
    let cfg = misskey_rs::config::DatabaseConfig { url: url.clone(), pool_size: 1, acquire_timeout_secs: 5 };
    let writer = Writer::start(misskey_rs::db::build_pool(&cfg).unwrap());
    let first = writer.write(insert(&admin, "first", None)).await.unwrap().note;

    // The seventh note replies to a note that does not exist: the foreign key refuses it.
    let notes: Vec<Insert> = (0..12)
        .map(|k| match k {
            6 => insert(&admin, "orphan", Some(("0000000000000000", &admin))),
            _ => insert(&admin, &format!("reply {k}"), Some((&first.id, &admin))),
        })
        .collect();
    let results = futures_util::future::join_all(notes.into_iter().map(|n| writer.write(n))).await;
    for (k, r) in results.iter().enumerate() {
        match (k, r) {
            // As if the target had been gone before: the caller learns why.
            (6, Err(e)) => assert!(matches!(e, WriteError::ReplyTargetGone), "{e:?}"),
            (6, Ok(_)) => panic!("a reply to a missing note was stored"),
            (_, Ok(stored)) => {
                let row = &stored.note;
                assert_eq!(
                    (stored.author.id.as_str(), stored.author.username.as_str()),
                    (admin.as_str(), "admin")
                );
                assert_eq!(row.text.as_deref(), Some(format!("reply {k}").as_str()));
                assert_eq!(row.tags, vec!["tag".to_string()]);
                assert_eq!(row.reply_id.as_deref(), Some(first.id.as_str()));
            }
            (_, Err(e)) => panic!("note {k} failed: {e:?}"),
        }
    }
    assert_eq!(psql(&url, "SELECT count(*) FROM notes").trim(), "12");
    assert_eq!(
        psql(&url, &format!("SELECT replies_count FROM notes WHERE id = '{}'", first.id)).trim(),
        "11"
    );
    assert_eq!(psql(&url, &format!("SELECT notes_count FROM users WHERE id = '{admin}'")).trim(), "12");
    let found = psql(&url, "SELECT count(*) FROM notes WHERE search @@ to_tsquery('simple', 'reply')");
    assert_eq!(found.trim(), "11", "the search vector is written with the note");
}
