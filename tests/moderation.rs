//! Moderation: a report goes from a user to the moderators and is resolved; moderators find,
//! suspend, note and reset accounts, within what their role allows; every action is in the
//! moderation log; shapes fit misskey-js.

mod common;
use common::*;
use serde_json::{json, Value};

fn code(r: &(u16, Value)) -> (u16, Option<&str>) {
    (r.0, r.1["error"]["code"].as_str())
}

fn ok(r: &(u16, Value)) -> bool {
    r.0 == 200 || r.0 == 204
}

#[tokio::test]
async fn reports_suspensions_and_the_moderation_log() {
    let inst = Instance::init("moderation").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (bob_id, bob) = user(b, &admin, "bob").await;
    let (mod_id, moder) = user(b, &admin, "mod").await;
    let (ok_cli, _, err) =
        inst.cli(&["admin", "user", "promote", "--username", "mod", "--role", "moderator"]);
    assert!(ok_cli, "{err}");
    let (_, me) = call(b, "i", &admin, json!({})).await;
    let admin_id = me["id"].as_str().unwrap().to_string();

    // Alice reports bob; her own account and the administrator cannot be reported.
    let r = call(b, "users/report-abuse", &alice, json!({ "userId": bob_id, "comment": "spam links" })).await;
    assert!(ok(&r), "{}", r.1);
    let r = call(b, "users/report-abuse", &alice, json!({ "userId": alice_id, "comment": "x" })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_REPORT_YOURSELF")));
    let r = call(b, "users/report-abuse", &alice, json!({ "userId": admin_id, "comment": "x" })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_REPORT_THE_ADMIN")));
    let r = call(b, "users/report-abuse", &alice, json!({ "userId": "nope", "comment": "x" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_USER")));
    let r = call(b, "users/report-abuse", &alice, json!({ "userId": bob_id, "comment": "" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));

    // Only moderators see reports.
    let r = call(b, "admin/abuse-user-reports", &alice, json!({})).await;
    assert_eq!(r.0, 403, "{}", r.1);
    let (s, reports) = call(b, "admin/abuse-user-reports", &moder, json!({ "state": "unresolved" })).await;
    assert_eq!(s, 200, "{reports}");
    let report = reports[0].clone();
    assert_eq!(
        (report["reporterId"].as_str(), report["targetUserId"].as_str()),
        (Some(&*alice_id), Some(&*bob_id))
    );
    assert_eq!((report["resolved"].clone(), report["assignee"].clone()), (json!(false), Value::Null));
    let (_, local) =
        call(b, "admin/abuse-user-reports", &moder, json!({ "targetUserOrigin": "remote" })).await;
    assert_eq!(local, json!([]), "bob is local");
    let r = call(b, "admin/abuse-user-reports", &moder, json!({ "state": "maybe" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));

    // The moderator resolves it (accepted); resolving again changes nothing.
    let rid = report["id"].clone();
    let r = call(
        b,
        "admin/resolve-abuse-user-report",
        &moder,
        json!({ "reportId": rid, "resolvedAs": "accept" }),
    )
    .await;
    assert!(ok(&r), "{}", r.1);
    let r = call(
        b,
        "admin/resolve-abuse-user-report",
        &moder,
        json!({ "reportId": rid, "resolvedAs": "reject" }),
    )
    .await;
    assert!(ok(&r), "{}", r.1);
    let r = call(b, "admin/resolve-abuse-user-report", &moder, json!({ "reportId": "nope" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_REPORT")));
    let (_, open) = call(b, "admin/abuse-user-reports", &moder, json!({ "state": "unresolved" })).await;
    assert_eq!(open, json!([]));
    let (_, done) = call(b, "admin/abuse-user-reports", &moder, json!({ "state": "resolved" })).await;
    assert_eq!(done[0]["resolvedAs"], "accept");
    assert_eq!(done[0]["assigneeId"].as_str(), Some(mod_id.as_str()));
    // A local account's report has no other server to go to.
    let r = call(b, "admin/forward-abuse-user-report", &moder, json!({ "reportId": rid })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_FORWARD_LOCAL_REPORT")));

    // Suspension: bob's token stops working until it is lifted; staff and root are protected.
    let r = call(b, "admin/suspend-user", &moder, json!({ "userId": bob_id })).await;
    assert!(ok(&r), "{}", r.1);
    let r = call(b, "i", &bob, json!({})).await;
    assert_eq!(code(&r).1, Some("YOUR_ACCOUNT_SUSPENDED"), "{}", r.1);
    let (_, suspended) = call(b, "admin/show-users", &moder, json!({ "state": "suspended" })).await;
    assert_eq!(suspended.as_array().unwrap().len(), 1, "{suspended}");
    assert_eq!(suspended[0]["id"].as_str(), Some(bob_id.as_str()));
    let r = call(b, "admin/suspend-user", &moder, json!({ "userId": admin_id })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_SUSPEND_ROOT")));
    let r = call(b, "admin/suspend-user", &admin, json!({ "userId": mod_id })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_SUSPEND_MODERATOR")));
    let r = call(b, "admin/suspend-user", &alice, json!({ "userId": bob_id })).await;
    assert_eq!(r.0, 403);
    let r = call(b, "admin/unsuspend-user", &moder, json!({ "userId": bob_id })).await;
    assert!(ok(&r), "{}", r.1);
    assert_eq!(call(b, "i", &bob, json!({})).await.0, 200);

    // The moderators' note, and a new password that works once given.
    let r =
        call(b, "admin/update-user-note", &moder, json!({ "userId": bob_id, "text": "warned once" })).await;
    assert!(ok(&r), "{}", r.1);
    let (s, shown) = call(b, "admin/show-user", &moder, json!({ "userId": bob_id })).await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(
        (shown["moderationNote"].clone(), shown["isSuspended"].clone()),
        (json!("warned once"), json!(false))
    );
    let (s, pw) = call(b, "admin/reset-password", &moder, json!({ "userId": bob_id })).await;
    assert_eq!(s, 200, "{pw}");
    let password = pw["password"].as_str().unwrap();
    assert_eq!(password.len(), 8);
    let (s, _) = api(b, "signin-flow", json!({ "username": "bob", "password": password })).await;
    assert_eq!(s, 200, "the new password signs in");
    let r = call(b, "admin/reset-password", &moder, json!({ "userId": admin_id })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_RESET_ROOT_PASSWORD")));

    // Finding accounts.
    let (_, found) =
        call(b, "admin/show-users", &moder, json!({ "username": "BO", "origin": "local" })).await;
    assert_eq!(
        found.as_array().unwrap().iter().map(|u| u["username"].clone()).collect::<Vec<_>>(),
        [json!("bob")]
    );
    let (_, staff) =
        call(b, "admin/show-users", &moder, json!({ "state": "adminOrModerator", "sort": "+createdAt" }))
            .await;
    let names: Vec<&str> = staff.as_array().unwrap().iter().filter_map(|u| u["username"].as_str()).collect();
    assert_eq!(names, ["mod", "admin"], "{staff}");
    let r = call(b, "admin/show-users", &moder, json!({ "sort": "sideways" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));

    // The log holds every action, newest first; only administrators read it.
    let r = call(b, "admin/show-moderation-logs", &moder, json!({})).await;
    assert_eq!(r.0, 403);
    let (s, log) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    assert_eq!(s, 200, "{log}");
    let kinds: Vec<&str> = log.as_array().unwrap().iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(
        kinds,
        ["resetPassword", "updateUserNote", "unsuspend", "suspend", "resolveAbuseReport"],
        "{log}"
    );
    assert!(log.as_array().unwrap().iter().all(|l| l["userId"].as_str() == Some(&*mod_id)));
    assert_eq!(log[1]["info"]["before"], "");
    assert_eq!(log[1]["info"]["after"], "warned once");
    let (_, only) = call(b, "admin/show-moderation-logs", &admin, json!({ "type": "suspend" })).await;
    assert_eq!(only.as_array().unwrap().len(), 1);
    let (_, searched) = call(b, "admin/show-moderation-logs", &admin, json!({ "search": "warned" })).await;
    assert_eq!(searched.as_array().unwrap().len(), 1, "{searched}");

    // misskey-js types a log entry's `info` as an empty record, which no real entry's is: the
    // rest of each entry is checked.
    let mut log_shape = log.clone();
    for entry in log_shape.as_array_mut().unwrap() {
        entry["info"] = json!({});
    }
    check_contract(&[
        ("AdminAbuseUserReportsResponse", "admin/abuse-user-reports", done.clone()),
        ("AdminShowModerationLogsResponse", "admin/show-moderation-logs", log_shape),
        ("AdminShowUserResponse", "admin/show-user", shown.clone()),
        ("AdminShowUsersResponse", "admin/show-users", found.clone()),
        ("AdminResetPasswordResponse", "admin/reset-password", pw.clone()),
    ]);
    server.stop();
}
