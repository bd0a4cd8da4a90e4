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

/// The administrator's settings: who may read and change them, what is refused, and what the
/// word lists do to notes, names and signups.
#[tokio::test]
async fn instance_settings_and_word_lists() {
    let inst = Instance::init("instance_settings").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (_, alice) = user(b, &admin, "alice").await;
    let (_, moder) = user(b, &admin, "mod").await;
    let (ok_cli, _, err) =
        inst.cli(&["admin", "user", "promote", "--username", "mod", "--role", "moderator"]);
    assert!(ok_cli, "{err}");

    // Moderators read the settings; only administrators change them.
    assert_eq!(call(b, "admin/meta", &alice, json!({})).await.0, 403);
    let (s, before) = call(b, "admin/meta", &moder, json!({})).await;
    assert_eq!(s, 200, "{before}");
    assert_eq!(before["prohibitedWords"], json!([]));
    assert!(before["preservedUsernames"].as_array().unwrap().contains(&json!("admin")));
    assert_eq!(call(b, "admin/update-meta", &moder, json!({ "name": "x" })).await.0, 403);

    // Bad values are refused whole, naming the parameter; nothing is stored.
    for (bad, param) in [
        (json!({ "prohibitedWords": ["ok", "/(unclosed/"] }), "prohibitedWords"),
        (json!({ "sensitiveWords": ["/a(?=b)/"] }), "sensitiveWords"),
        (json!({ "iconUrl": "javascript:alert(1)" }), "iconUrl"),
        (json!({ "themeColor": "red" }), "themeColor"),
        (json!({ "shortName": "x".repeat(65) }), "shortName"),
    ] {
        let mut body = bad.clone();
        body["name"] = json!("should not be stored");
        let r = call(b, "admin/update-meta", &admin, body).await;
        assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{bad}: {}", r.1);
        assert!(r.1["error"]["info"].to_string().contains(param), "{}", r.1);
    }
    assert_eq!(call(b, "meta", &alice, json!({})).await.1["name"], before["name"]);

    let settings = json!({
        "name": "Test server", "shortName": "ts", "iconUrl": "https://example.com/i.png",
        "themeColor": "#86b300", "tosUrl": "https://example.com/tos", "serverRules": ["Be kind", " "],
        "prohibitedWords": ["buy cheap", "/sp[a4]m+/i", ""], "sensitiveWords": ["nsfw"],
        "prohibitedWordsForNameOfUser": ["badname"], "preservedUsernames": ["reserved"],
        "disableRegistration": false,
    });
    let r = call(b, "admin/update-meta", &admin, settings).await;
    assert!(ok(&r), "{}", r.1);
    let (_, m) = call(b, "admin/meta", &admin, json!({})).await;
    assert_eq!(m["prohibitedWords"], json!(["buy cheap", "/sp[a4]m+/i"]));
    assert_eq!((m["shortName"].as_str(), m["themeColor"].as_str()), (Some("ts"), Some("#86b300")));
    let (_, public) = call(b, "meta", &alice, json!({})).await;
    assert_eq!(public["iconUrl"], json!("https://example.com/i.png"));
    assert_eq!(public["serverRules"], json!(["Be kind"]));
    assert!(public.get("prohibitedWords").is_none(), "word lists are for staff only");

    // Prohibited words refuse a note wherever they are: text, warning, poll.
    for body in [
        json!({ "text": "buy it now, so cheap" }),
        json!({ "text": "no SPAMMM here" }),
        json!({ "cw": "sp4m", "text": "hidden" }),
        json!({ "text": "vote", "poll": { "choices": ["ham", "spam"] } }),
    ] {
        let r = call(b, "notes/create", &alice, body.clone()).await;
        assert_eq!(code(&r), (400, Some("CONTAINS_PROHIBITED_WORDS")), "{body}: {}", r.1);
        assert_eq!(r.1["error"]["id"], json!("aa6e01d3-a85c-669d-758a-76aab43af334"));
    }
    let (s, n) = call(b, "notes/create", &alice, json!({ "text": "cheap, but nothing to sell" })).await;
    assert_eq!(s, 200, "all words of an entry must occur: {n}");
    // A sensitive word keeps a public note out of the public timelines.
    let (_, n) = call(b, "notes/create", &alice, json!({ "text": "nsfw inside" })).await;
    assert_eq!(n["createdNote"]["visibility"], json!("home"));
    let nid = n["createdNote"]["id"].clone();
    let (_, local) = call(b, "notes/local-timeline", &admin, json!({})).await;
    assert!(!local.as_array().unwrap().iter().any(|x| x["id"] == nid), "{local}");

    // Names: refused for users, allowed for staff.
    let r = call(b, "i/update", &alice, json!({ "name": "the badname" })).await;
    assert_eq!(code(&r), (422, Some("YOUR_NAME_CONTAINS_PROHIBITED_WORDS")), "{}", r.1);
    assert!(ok(&call(b, "i/update", &moder, json!({ "name": "the badname" })).await));
    // A hard-muted word list's strings are regular expressions.
    let r = call(b, "i/update", &alice, json!({ "hardMutedWords": ["plain"] })).await;
    assert_eq!(code(&r), (400, Some("INVALID_REGEXP")), "{}", r.1);
    assert!(ok(&call(b, "i/update", &alice, json!({ "hardMutedWords": [["a", "b"], "/x+/i"] })).await));

    // Preserved usernames are kept from signing up (case aside).
    let r = api(b, "signup", json!({ "username": "Reserved", "password": "password123" })).await;
    assert_eq!(code(&r), (400, Some("DENIED_USERNAME")), "{}", r.1);
    // The list replaced the default one.
    let r = api(b, "signup", json!({ "username": "root", "password": "password123" })).await;
    assert_eq!(r.0, 200, "{}", r.1);

    // The change is in the moderation log with what was before.
    let (_, logs) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    let entry = logs
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["type"] == "updateServerSettings")
        .unwrap_or_else(|| panic!("{logs}"))
        .clone();
    assert_eq!(entry["info"]["before"]["prohibitedWords"], json!([]));
    assert_eq!(entry["info"]["after"]["name"], json!("Test server"));

    // Emptying a list lets the note through again.
    assert!(ok(&call(b, "admin/update-meta", &admin, json!({ "prohibitedWords": [] })).await));
    let (s, _) = call(b, "notes/create", &alice, json!({ "text": "spam" })).await;
    assert_eq!(s, 200);
}

/// Roles: policies merged over the base for holders (by hand or by condition), taking effect
/// on the holder's next request; roles that make moderators; who may give which role.
#[tokio::test]
async fn roles_give_policies_and_staff_rights() {
    let inst = Instance::init("roles").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (_, bob) = user(b, &admin, "bob").await;
    let (carol_id, carol) = user(b, &admin, "carol").await;
    let (_, moder) = user(b, &admin, "mod").await;
    let (ok_cli, _, err) =
        inst.cli(&["admin", "user", "promote", "--username", "mod", "--role", "moderator"]);
    assert!(ok_cli, "{err}");
    let ltl = |token: String| async move { call(b, "notes/local-timeline", &token, json!({})).await.0 };

    // The base closes the local timeline.
    let r = call(
        b,
        "admin/roles/update-default-policies",
        &admin,
        json!({ "policies": { "ltlAvailable": false } }),
    )
    .await;
    assert!(ok(&r), "{}", r.1);
    assert_eq!(ltl(alice.clone()).await, 400);

    let opens = json!({ "ltlAvailable": { "useDefault": false, "priority": 0, "value": true } });
    let role = json!({ "name": "readers", "target": "manual", "policies": opens, "isPublic": true, "isExplorable": true,
        "color": "#86b300", "asBadge": true });
    assert_eq!(call(b, "admin/roles/create", &alice, role.clone()).await.0, 403);
    assert_eq!(call(b, "admin/roles/create", &moder, role.clone()).await.0, 403, "administrators only");
    for bad in [
        json!({ "name": "x", "policies": { "ltlAvailable": { "useDefault": false, "value": 3 } } }),
        json!({ "name": "x", "policies": { "noSuchPolicy": { "value": true } } }),
        json!({ "name": "x", "target": "conditional", "condFormula": { "type": "isWizard" } }),
        json!({ "name": "", "target": "manual" }),
        json!({ "name": "x", "color": "red" }),
    ] {
        let r = call(b, "admin/roles/create", &admin, bad.clone()).await;
        assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{bad}: {}", r.1);
    }
    let (s, readers) = call(b, "admin/roles/create", &admin, role).await;
    assert_eq!(s, 200, "{readers}");
    let rid = readers["id"].as_str().unwrap().to_string();

    // Given by hand: the next request of the holder follows.
    let r = call(b, "admin/roles/assign", &moder, json!({ "roleId": rid, "userId": alice_id })).await;
    assert_eq!(code(&r), (400, Some("ACCESS_DENIED")), "this role is not moderators' to give: {}", r.1);
    let r = call(b, "admin/roles/assign", &admin, json!({ "roleId": rid, "userId": alice_id })).await;
    assert!(ok(&r), "{}", r.1);
    assert_eq!(ltl(alice.clone()).await, 200);
    assert_eq!(ltl(bob.clone()).await, 400, "bob holds nothing");
    let (_, holders) = call(b, "admin/roles/users", &moder, json!({ "roleId": rid })).await;
    assert_eq!(holders[0]["user"]["id"], json!(alice_id), "{holders}");
    let (_, public) = call(b, "roles/users", &bob, json!({ "roleId": rid })).await;
    assert_eq!(public[0]["user"]["username"], json!("alice"), "{public}");
    let (_, listed) = call(b, "roles/list", &bob, json!({})).await;
    assert_eq!(listed[0]["usersCount"], json!(1), "{listed}");
    // A change of the role reaches her next request.
    let r = call(b, "admin/roles/update", &admin, json!({ "roleId": rid, "policies": {} })).await;
    assert!(ok(&r), "{}", r.1);
    assert_eq!(ltl(alice.clone()).await, 400);
    assert!(ok(&call(b, "admin/roles/update", &admin, json!({ "roleId": rid, "policies": opens })).await));
    assert_eq!(ltl(alice.clone()).await, 200);
    // Taken away, it is gone; twice is refused.
    assert!(ok(&call(b, "admin/roles/unassign", &admin, json!({ "roleId": rid, "userId": alice_id })).await));
    assert_eq!(ltl(alice.clone()).await, 400);
    let r = call(b, "admin/roles/unassign", &admin, json!({ "roleId": rid, "userId": alice_id })).await;
    assert_eq!(code(&r), (400, Some("NOT_ASSIGNED")));

    // By condition: held while it holds (what the token knows of the account is a few seconds old).
    let cond = json!({ "name": "writers", "target": "conditional", "policies": opens,
        "condFormula": { "id": "a", "type": "and", "values": [
            { "id": "b", "type": "isLocal" }, { "id": "c", "type": "notesMoreThanOrEq", "value": 1 } ] } });
    let (s, writers) = call(b, "admin/roles/create", &admin, cond).await;
    assert_eq!(s, 200, "{writers}");
    assert_eq!(ltl(bob.clone()).await, 400);
    let (_, n) = call(b, "notes/create", &bob, json!({ "text": "first" })).await;
    let t0 = std::time::Instant::now();
    while ltl(bob.clone()).await != 200 {
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "the condition never held");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(ok(&call(b, "notes/delete", &bob, json!({ "noteId": n["createdNote"]["id"] })).await));
    let t0 = std::time::Instant::now();
    while ltl(bob.clone()).await != 400 {
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "the condition kept holding");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let r =
        call(b, "admin/roles/assign", &admin, json!({ "roleId": writers["id"], "userId": alice_id })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "conditional roles are not given: {}", r.1);

    // A role that makes moderators, which moderators may give.
    let mods = json!({ "name": "helpers", "target": "manual", "isModerator": true, "canEditMembersByModerator": true });
    let (_, helpers) = call(b, "admin/roles/create", &admin, mods).await;
    assert_eq!(call(b, "admin/abuse-user-reports", &carol, json!({})).await.0, 403);
    let r =
        call(b, "admin/roles/assign", &moder, json!({ "roleId": helpers["id"], "userId": carol_id })).await;
    assert!(ok(&r), "{}", r.1);
    assert_eq!(call(b, "admin/abuse-user-reports", &carol, json!({})).await.0, 200);
    assert_eq!(call(b, "i", &carol, json!({})).await.1["isModerator"], json!(true), "her client shows it");
    let r = call(b, "admin/suspend-user", &moder, json!({ "userId": carol_id })).await;
    assert_eq!(code(&r), (400, Some("CANNOT_SUSPEND_MODERATOR")), "a moderator by role is staff: {}", r.1);
    // No way around "moderators never make administrators": a role an administrator role is
    // conditioned on is not theirs to give either.
    let (_, gate) =
        call(b, "admin/roles/create", &admin, json!({ "name": "gate", "canEditMembersByModerator": true }))
            .await;
    let escalate = json!({ "name": "admins", "target": "conditional", "isAdministrator": true,
        "condFormula": { "type": "roleAssignedTo", "roleId": gate["id"] } });
    assert_eq!(call(b, "admin/roles/create", &admin, escalate).await.0, 200);
    let r = call(b, "admin/roles/assign", &moder, json!({ "roleId": gate["id"], "userId": alice_id })).await;
    assert_eq!(code(&r), (400, Some("ACCESS_DENIED")), "{}", r.1);
    let r = call(
        b,
        "admin/roles/create",
        &admin,
        json!({ "name": "all", "target": "conditional", "isAdministrator": true }),
    )
    .await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "a conditional role needs its condition: {}", r.1);
    assert!(ok(&call(b, "admin/roles/delete", &admin, json!({ "roleId": gate["id"] })).await));
    let r = call(b, "admin/roles/assign", &admin, json!({ "roleId": "nope", "userId": carol_id })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_ROLE")));
    let r = call(b, "admin/roles/assign", &admin, json!({ "roleId": helpers["id"], "userId": "nope" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_USER")));

    // Private roles stay hidden from users; deletion ends every assignment.
    let r = call(b, "roles/show", &bob, json!({ "roleId": helpers["id"] })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_ROLE")));
    assert!(ok(&call(b, "admin/roles/delete", &admin, json!({ "roleId": helpers["id"] })).await));
    assert_eq!(call(b, "admin/abuse-user-reports", &carol, json!({})).await.0, 403);
    let (_, all) = call(b, "admin/roles/list", &moder, json!({})).await;
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
    let (_, logs) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    let kinds: Vec<&str> = logs.as_array().unwrap().iter().map(|l| l["type"].as_str().unwrap()).collect();
    for k in ["createRole", "updateRole", "deleteRole", "assignRole", "unassignRole"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
}

#[tokio::test]
async fn roles_show_as_badges_notes_and_notifications() {
    let inst = Instance::init("role_badges").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (bob_id, bob) = user(b, &admin, "bob").await;
    let (carol_id, carol) = user(b, &admin, "carol").await;

    let supporters = json!({ "name": "supporters", "target": "manual", "isPublic": true, "isExplorable": true,
        "asBadge": true, "iconUrl": "https://example.com/heart.png", "displayOrder": 3 });
    let (s, role) = call(b, "admin/roles/create", &admin, supporters).await;
    assert_eq!(s, 200, "{role}");
    let rid = role["id"].as_str().unwrap().to_string();
    let r = call(b, "admin/roles/assign", &admin, json!({ "roleId": rid, "userId": alice_id })).await;
    assert!(ok(&r), "{}", r.1);

    // A public role given is news to its holder.
    let (_, notes) = call(b, "i/notifications", &alice, json!({})).await;
    let given = notes.as_array().unwrap().iter().find(|n| n["type"] == "roleAssigned");
    let given = given.unwrap_or_else(|| panic!("no roleAssigned in {notes}"));
    assert_eq!(given["role"]["id"], json!(rid));
    assert_eq!(given["role"]["usersCount"], json!(1));

    // Her badge is on her notes and her profile lists the role; bob has neither.
    let (_, a) = call(b, "notes/create", &alice, json!({ "text": "badge" })).await;
    let (_, bn) = call(b, "notes/create", &bob, json!({ "text": "no badge" })).await;
    let (_, ltl) = call(b, "notes/local-timeline", &bob, json!({})).await;
    let by = |name: &str| ltl.as_array().unwrap().iter().find(|n| n["user"]["username"] == name).cloned();
    let badges = &by("alice").unwrap()["user"]["badgeRoles"];
    assert_eq!(
        badges,
        &json!([{ "name": "supporters", "iconUrl": "https://example.com/heart.png", "displayOrder": 3 }])
    );
    assert_eq!(by("bob").unwrap()["user"]["badgeRoles"], json!([]));
    let (_, shown) = call(b, "users/show", &bob, json!({ "userId": alice_id })).await;
    assert_eq!(shown["roles"][0]["id"], json!(rid), "{shown}");
    let (_, shown) = call(b, "users/show", &alice, json!({ "userId": bob_id })).await;
    assert_eq!(shown["roles"], json!([]));

    // roles/notes: public notes of the holders, by hand or by condition.
    let (s, listed) = call(b, "roles/notes", &bob, json!({ "roleId": rid })).await;
    assert_eq!(s, 200, "{listed}");
    let ids: Vec<&Value> = listed.as_array().unwrap().iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, vec![&a["createdNote"]["id"]]);
    let r = call(b, "roles/notes", &bob, json!({ "roleId": "nope" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_ROLE")));
    let r = call(b, "roles/notes", &bob, json!({ "roleId": rid, "limit": 0 })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    let cats = json!({ "name": "cats", "target": "conditional", "isPublic": true, "isExplorable": true,
        "condFormula": { "type": "and", "values": [{ "type": "isCat" }, { "type": "notesMoreThanOrEq", "value": 1 }] } });
    let (_, cats) = call(b, "admin/roles/create", &admin, cats).await;
    assert!(ok(&call(b, "i/update", &bob, json!({ "isCat": true })).await));
    let (_, listed) = call(b, "roles/notes", &alice, json!({ "roleId": cats["id"] })).await;
    let ids: Vec<&Value> = listed.as_array().unwrap().iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, vec![&bn["createdNote"]["id"]], "{listed}");
    let hidden = json!({ "name": "quiet", "target": "manual", "isPublic": true, "isExplorable": false });
    let (_, hidden) = call(b, "admin/roles/create", &admin, hidden).await;
    assert_eq!(call(b, "roles/notes", &bob, json!({ "roleId": hidden["id"] })).await.1, json!([]));
    let private = json!({ "name": "staff only", "target": "manual" });
    let (_, private) = call(b, "admin/roles/create", &admin, private).await;
    let r = call(b, "roles/notes", &bob, json!({ "roleId": private["id"] })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_ROLE")), "a private role is not listed: {}", r.1);
    let (_, notes) = call(b, "i/notifications", &carol, json!({})).await;
    assert!(notes.as_array().unwrap().iter().all(|n| n["type"] != "roleAssigned"));
    let r =
        call(b, "admin/roles/assign", &admin, json!({ "roleId": private["id"], "userId": carol_id })).await;
    assert!(ok(&r), "{}", r.1);
    let (_, notes) = call(b, "i/notifications", &carol, json!({})).await;
    assert!(
        notes.as_array().unwrap().iter().all(|n| n["type"] != "roleAssigned"),
        "a private role is not announced: {notes}"
    );

    // Silenced through a role: public notes become home, and profiles say so.
    let silence = json!({ "name": "silenced", "target": "manual",
        "policies": { "canPublicNote": { "useDefault": false, "priority": 2, "value": false } } });
    let (_, silence) = call(b, "admin/roles/create", &admin, silence).await;
    let r =
        call(b, "admin/roles/assign", &admin, json!({ "roleId": silence["id"], "userId": carol_id })).await;
    assert!(ok(&r), "{}", r.1);
    let (_, shown) = call(b, "users/show", &bob, json!({ "userId": carol_id })).await;
    assert_eq!(shown["isSilenced"], json!(true));
    let (_, n) = call(b, "notes/create", &carol, json!({ "text": "quiet please" })).await;
    assert_eq!(n["createdNote"]["visibility"], json!("home"), "{n}");
    let (_, shown) = call(b, "users/show", &bob, json!({ "userId": alice_id })).await;
    assert_eq!(shown["isSilenced"], json!(false));
}

#[tokio::test]
async fn hard_muted_words_hide_notes_from_their_owner() {
    let inst = Instance::init("hard_mute").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (_, bob) = user(b, &admin, "bob").await;
    let r = call(b, "i/update", &bob, json!({ "hardMutedWords": [["spoiler", "ending"], "/ca+t/i"] })).await;
    assert_eq!(r.0, 200, "{}", r.1);
    for text in ["the ending, a spoiler", "a CAAT", "harmless", "just the ending"] {
        assert_eq!(call(b, "notes/create", &alice, json!({ "text": text })).await.0, 200);
    }
    let (_, n) = call(b, "notes/create", &alice, json!({ "text": "behind", "cw": "spoiler ending" })).await;
    assert_eq!(n["createdNote"]["cw"], json!("spoiler ending"));
    assert_eq!(call(b, "notes/create", &bob, json!({ "text": "my own spoiler ending" })).await.0, 200);
    let texts = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|n| n["text"].as_str().unwrap_or("").to_string()).collect()
    };
    let (_, ltl) = call(b, "notes/local-timeline", &bob, json!({})).await;
    assert_eq!(texts(&ltl), ["my own spoiler ending", "just the ending", "harmless"], "{ltl}");
    // A page thinned by hidden notes is filled from further on.
    let (_, two) = call(b, "notes/local-timeline", &bob, json!({ "limit": 2 })).await;
    assert_eq!(texts(&two), ["my own spoiler ending", "just the ending"], "{two}");
    let last = two[1]["id"].clone();
    let (_, next) = call(b, "notes/local-timeline", &bob, json!({ "limit": 2, "untilId": last })).await;
    assert_eq!(texts(&next), ["harmless"], "{next}");
    let (_, own) = call(b, "users/notes", &bob, json!({ "userId": alice_id })).await;
    assert_eq!(texts(&own), ["just the ending", "harmless"]);
    // Others still see everything; and once bob clears his list, so does he.
    let (_, ltl) = call(b, "notes/local-timeline", &alice, json!({})).await;
    assert_eq!(ltl.as_array().unwrap().len(), 6);
    assert_eq!(call(b, "i/update", &bob, json!({ "hardMutedWords": [] })).await.0, 200);
    let (_, ltl) = call(b, "notes/local-timeline", &bob, json!({})).await;
    assert_eq!(ltl.as_array().unwrap().len(), 6);
}
