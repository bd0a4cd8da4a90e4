//! The command line: config loading and its errors, `init` safety, `admin user …`, `doctor`.

mod common;
use common::*;

#[test]
fn committed_example_config_matches_the_generated_one() {
    let (ok, out, err) = run(&["config", "example"]);
    assert!(ok, "{err}");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/config.example.toml"))
            .unwrap();
    assert_eq!(out, committed, "run `misskey-rs config example > packaging/config.example.toml`");
    // The example is itself a valid configuration (apart from the url init fills in).
    let dir = TempDir::new("ex");
    let p = dir.path().join("c.toml");
    std::fs::write(&p, out.replacen("url = \"\"", "url = \"https://example.social\"", 1)).unwrap();
    let (ok, _, err) = run(&["--config", p.to_str().unwrap(), "config", "show"]);
    assert!(ok, "{err}");
}

#[test]
fn config_errors_are_actionable() {
    let (ok, _, err) = run(&["--config", "/nonexistent/misskey.toml", "serve"]);
    assert!(!ok && err.contains("misskey-rs init"), "{err}");
    let dir = TempDir::new("cfg");
    let p = dir.path().join("c.toml");
    std::fs::write(&p, "url = \"https://a.example\"\n[database]\nurll = \"x\"\n").unwrap();
    let (ok, _, err) = run(&["--config", p.to_str().unwrap(), "serve"]);
    assert!(!ok && err.contains("unknown key `database.urll`"), "{err}");
    std::fs::write(&p, "url = \"https://a.example\"\n[tls]\nmode = \"acme\"\n").unwrap();
    let (ok, _, err) = run(&["--config", p.to_str().unwrap(), "serve"]);
    assert!(!ok && err.contains("acme_email"), "{err}");
    std::fs::write(&p, "url = \"https://a.example\"\n").unwrap();
    let (ok, _, err) =
        run_env(&["--config", p.to_str().unwrap(), "config", "show"], &[("MISSKEY_RS_NOPE", "1")]);
    assert!(!ok && err.contains("MISSKEY_RS_NOPE"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn config_show_names_sources_and_masks_secrets() {
    let dir = TempDir::new("show");
    let p = dir.path().join("c.toml");
    std::fs::write(&p, "url = \"https://a.example\"\n[database]\nurl = \"postgres://u:hunter22@h/db\"\n")
        .unwrap();
    let (ok, out, err) = run_env(
        &["--config", p.to_str().unwrap(), "--set", "http.workers=3", "config", "show"],
        &[("MISSKEY_RS_DATABASE_POOL_SIZE", "9"), ("MISSKEY_RS_METRICS_TOKEN", "sekrit-token")],
    );
    assert!(ok, "{err}");
    assert!(!out.contains("hunter22") && !out.contains("sekrit-token"), "{out}");
    assert!(out.contains("database.url = \"postgres://u:***@h/db\"    # file"), "{out}");
    assert!(out.contains("database.pool_size = 9    # env"), "{out}");
    assert!(out.contains("http.workers = 3    # flag"), "{out}");
    assert!(out.contains("redis.url = \"redis://127.0.0.1:6379/0\"    # default"), "{out}");
}

#[test]
fn init_refuses_to_overwrite_and_keeps_a_backup_with_force() {
    let inst = Instance::init("reinit");
    let before = std::fs::read_to_string(&inst.config).unwrap();
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&inst.config).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "config holds secrets");
    assert!(!before.contains("pool_size"), "only non-default keys are written:\n{before}");
    let (ok, _, err) = inst.cli(&["init", "--yes", "--domain", "localhost", "--tls", "off", "--setup-token"]);
    assert!(!ok && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&inst.config).unwrap(), before);

    let db = TestDb::new("reinit2");
    let (ok, out, err) = inst.cli(&[
        "init",
        "--yes",
        "--force",
        "--domain",
        "localhost",
        "--tls",
        "off",
        "--db-url",
        &db.url,
        "--setup-token",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("setup token"), "{out}");
    let bak = inst.config.with_extension("toml.bak");
    assert_eq!(std::fs::read_to_string(bak).unwrap(), before);
}

#[test]
fn init_without_answers_says_which_flag_is_missing() {
    let dir = TempDir::new("noans");
    let p = dir.path().join("c.toml");
    let (ok, _, err) = run(&["--config", p.to_str().unwrap(), "init", "--yes"]);
    assert!(!ok && err.contains("--domain"), "{err}");
    let (ok, _, err) = run(&[
        "--config",
        p.to_str().unwrap(),
        "init",
        "--yes",
        "--domain",
        "example.social",
        "--tls",
        "acme",
    ]);
    assert!(!ok && err.contains("--acme-email"), "{err}");
    let (ok, _, err) = run(&[
        "--config",
        p.to_str().unwrap(),
        "init",
        "--yes",
        "--domain",
        "localhost",
        "--tls",
        "off",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--db-url",
        "postgres://nobody:wrong@127.0.0.1:1/x",
        "--setup-token",
    ]);
    assert!(!ok && err.contains("cannot connect to --db-url"), "{err}");
    assert!(!p.exists(), "nothing written on failure");
}

#[test]
fn admin_user_commands() {
    let inst = Instance::init("admin");
    let (ok, out, err) =
        inst.cli(&["admin", "user", "create", "--username", "alice", "--password", "alicepass1"]);
    assert!(ok && out.contains("created @alice") && !out.contains("root"), "{out}{err}");
    let (ok, _, err) =
        inst.cli(&["admin", "user", "create", "--username", "Alice", "--password", "alicepass1"]);
    assert!(!ok && err.contains("already taken"), "{err}");
    let (ok, _, err) =
        inst.cli(&["admin", "user", "create", "--username", "bad name", "--password", "x12345678"]);
    assert!(!ok && err.contains("invalid username"), "{err}");
    let (ok, out, _) = inst.cli(&["admin", "user", "reset-password", "--username", "alice"]);
    assert!(ok && out.contains("password: "), "{out}");
    let (ok, _, _) = inst.cli(&["admin", "user", "promote", "--username", "alice", "--role", "moderator"]);
    assert!(ok);
    let (ok, _, _) = inst.cli(&["admin", "user", "suspend", "--username", "alice"]);
    assert!(ok);
    let (ok, _, err) = inst.cli(&["admin", "user", "suspend", "--username", "admin"]);
    assert!(!ok && err.contains("root"), "{err}");
    let (ok, _, err) = inst.cli(&["admin", "user", "suspend", "--username", "nobody"]);
    assert!(!ok && err.contains("no local user"), "{err}");
    let db = &inst.db.as_ref().unwrap().url;
    let flags = psql(db, "SELECT is_moderator, is_suspended, is_admin FROM users WHERE username = 'alice'");
    assert_eq!(flags, "t|t|f");
    let root = psql(db, "SELECT u.username FROM meta m JOIN users u ON u.id = m.root_user_id");
    assert_eq!(root, "admin");
}

#[test]
fn doctor_reports_dependencies() {
    let inst = Instance::init("doctor");
    let (ok, out, err) = inst.cli(&["doctor"]);
    assert!(ok, "{out}{err}");
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    let applied = format!("migrations: {migrations} applied, 0 pending");
    for needle in ["postgres: ok", applied.as_str(), "redis: ok", "tls: off", "disk ("] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    let (ok, out, _) = inst.cli(&["--set", "database.url=postgres://x@127.0.0.1:1/none", "doctor"]);
    assert!(!ok && out.contains("postgres: UNREACHABLE"), "{out}");
}
