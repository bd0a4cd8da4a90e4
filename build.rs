//! Builds the web UI (`assets/`, Vite) into `assets/dist`, which `src/http/ui.rs` embeds, so no
//! binary is made without its UI. Runs again only when the UI's sources change. It needs Node.js
//! (18 or later) and npm; a packager who builds `assets/dist` beforehand sets
//! `MISSKEY_RS_UI_PREBUILT=1` and only its presence is checked.

use std::path::Path;
use std::process::Command;

fn main() {
    for p in [
        "assets/src",
        "assets/public",
        "assets/scripts",
        "assets/index.html",
        "assets/package.json",
        "assets/package-lock.json",
        "assets/vite.config.ts",
        "assets/tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-env-changed=MISSKEY_RS_UI_PREBUILT");
    let assets = Path::new("assets");
    let index = assets.join("dist/index.html");
    if std::env::var_os("MISSKEY_RS_UI_PREBUILT").is_some_and(|v| v == "1") {
        if !index.is_file() {
            fail("MISSKEY_RS_UI_PREBUILT=1 is set but assets/dist/index.html is missing: run `npm ci && npm run build` in assets/");
        }
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        fail(
            "the web UI is built with Node.js (18 or later) and npm, and neither was found: \
             install them (Debian: apt-get install nodejs npm) and build again",
        );
    }
    let lock = assets.join("package-lock.json");
    let stamp = assets.join("node_modules/.package-lock.json");
    let stale = |a: &Path, b: &Path| match (
        a.metadata().and_then(|m| m.modified()),
        b.metadata().and_then(|m| m.modified()),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => true,
    };
    if stale(&lock, &stamp) {
        run(
            Command::new(npm).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(assets),
            "npm ci",
        );
    }
    run(Command::new(npm).args(["run", "--silent", "build"]).current_dir(assets), "npm run build");
    if !index.is_file() {
        fail("npm run build finished without writing assets/dist/index.html");
    }
}

fn run(cmd: &mut Command, what: &str) {
    // A build script's standard output is read by cargo: npm speaks on standard error instead.
    match cmd.stdout(std::process::Stdio::from(std::io::stderr())).status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!("`{what}` in assets/ failed ({s}); its output is above")),
        Err(e) => fail(&format!("`{what}` in assets/ could not start: {e}")),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}
