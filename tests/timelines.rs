//! The home timeline on a seeded dataset (`misskey-rs bench seed`): whichever plan answers (the
//! scan of the newest notes or the per-followee merge), every page equals what a plain query
//! of the rules gives, for viewers who follow few, a median number of, and many accounts.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The rules of the home feed written plainly: the viewer's and their followees' notes, minus
/// "specified" notes not addressed to the viewer, minus replies to others unless the follow
/// asks for replies.
fn expected(db: &str, me: &str, until: Option<&str>, limit: usize) -> Vec<String> {
    let until = until.map(|u| format!("AND n.id < '{u}'")).unwrap_or_default();
    let sql = format!(
        "SELECT n.id FROM notes n LEFT JOIN following f ON f.follower_id = '{me}' AND f.followee_id = n.user_id \
         WHERE (n.user_id = '{me}' OR f.id IS NOT NULL) {until} \
           AND (n.visibility <> 'specified' OR n.user_id = '{me}' OR '{me}' = ANY(n.visible_user_ids)) \
           AND (n.reply_id IS NULL OR n.user_id = '{me}' OR n.reply_user_id = '{me}' \
                OR n.reply_user_id = n.user_id OR f.with_replies) \
         ORDER BY n.id DESC LIMIT {limit}"
    );
    psql(db, &sql).lines().map(String::from).collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn home_timeline_pages_match_the_rules_on_a_seeded_dataset() {
    let dir = TempDir::new("tl_seed");
    let db = TestDb::new("tl_seed");
    let port = free_port();
    let config = write_config(dir.path(), port, &db.url, &redis_url());
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[api]\nrate_limits = false\n");
    std::fs::write(&config, text).unwrap();
    let cfg = config.to_str().unwrap();
    let (ok, _, err) = run(&["--config", cfg, "migrate"]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&["--config", cfg, "bench", "seed", "--users", "120", "--notes", "6000"]);
    assert!(ok, "seed failed: {out}{err}");
    let (ok, _, err) = run(&["--config", cfg, "bench", "seed", "--users", "10", "--notes", "10"]);
    assert!(!ok && err.contains("already has"), "a second seed is refused: {err}");

    let server = Server::start(&config, &[], format!("http://127.0.0.1:{port}"));
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let viewers = psql(
        &db.url,
        "(SELECT id || ' ' || token FROM users WHERE NOT is_system ORDER BY following_count, id LIMIT 2) \
         UNION ALL (SELECT id || ' ' || token FROM users WHERE NOT is_system ORDER BY following_count, id OFFSET 60 LIMIT 2) \
         UNION ALL (SELECT id || ' ' || token FROM users WHERE NOT is_system ORDER BY following_count DESC, id LIMIT 2)",
    );
    let mut pages = 0;
    for line in viewers.lines() {
        let (me, token) = line.split_once(' ').unwrap();
        let mut until: Option<String> = None;
        for limit in [20, 20, 7, 100] {
            let mut body = json!({ "i": token, "limit": limit });
            if let Some(u) = &until {
                body["untilId"] = json!(u);
            }
            let (s, page) = api(&server.base, "notes/timeline", body).await;
            assert_eq!(s, 200, "{page}");
            let got = ids(&page);
            assert_eq!(
                got,
                expected(&db.url, me, until.as_deref(), limit),
                "viewer {me}, page after {until:?}"
            );
            pages += 1;
            match got.last() {
                Some(last) => until = Some(last.clone()),
                None => break,
            }
        }
    }
    assert!(pages >= 12, "every viewer paged");
}
