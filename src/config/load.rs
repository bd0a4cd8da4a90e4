//! Loading: merges defaults, the TOML file, `MISSKEY_RS_*` variables and flags into one table,
//! remembering the source of every leaf, then deserializes it (unknown keys are errors).

use super::schema::{leaves, Leaf};
use super::Config;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Env,
    Flag,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Default => "default",
            Source::File => "file",
            Source::Env => "env",
            Source::Flag => "flag",
        })
    }
}

/// The effective configuration plus where each non-default key came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub path: PathBuf,
    pub file_found: bool,
    pub sources: BTreeMap<String, Source>,
}

impl Loaded {
    pub fn source_of(&self, key: &str) -> Source {
        self.sources.get(key).copied().unwrap_or(Source::Default)
    }

    /// Every leaf key with its effective value (secrets masked) and source.
    pub fn describe(&self) -> Vec<(String, String, Source)> {
        let table = Value::try_from(&self.config).expect("config serializes");
        leaves()
            .1
            .into_iter()
            .map(|leaf| {
                let value = get_path(&table, &leaf.path).map(|v| display_value(&leaf.path, v));
                let value = value.unwrap_or_else(|| "(unset)".into());
                let src = self.source_of(&leaf.path);
                (leaf.path, value, src)
            })
            .collect()
    }
}

fn display_value(key: &str, v: &Value) -> String {
    match v {
        Value::String(s) if super::is_secret_key(key) && !s.is_empty() => "\"***\"".into(),
        Value::String(s) if key.ends_with("url") => format!("{:?}", super::mask_url_password(s)),
        other => other.to_string(),
    }
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, k| cur.get(k))
}

fn set_path(table: &mut Table, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().expect("non-empty path");
    let mut cur = table;
    for p in parts {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()))
            .as_table_mut()
            .expect("section is a table");
    }
    cur.insert(last.to_string(), value);
}

/// Flattens a parsed file into dotted leaf paths (tables recurse; arrays are leaves).
fn flatten(prefix: &str, t: &Table, out: &mut Vec<(String, Value)>) {
    for (k, v) in t {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            Value::Table(inner) => flatten(&path, inner, out),
            other => out.push((path, other.clone())),
        }
    }
}

/// Environment variable name for a key: `database.pool_size` → `MISSKEY_RS_DATABASE_POOL_SIZE`.
pub fn env_name(path: &str) -> String {
    format!("MISSKEY_RS_{}", path.replace('.', "_").to_ascii_uppercase())
}

/// Variables that are not configuration keys but are read by the CLI itself.
const NON_KEY_VARS: &[&str] = &["MISSKEY_RS_CONFIG"];

fn parse_env(leaf: &Leaf, raw: &str) -> Result<Value, String> {
    if leaf.is_string && !raw.starts_with('[') {
        return Ok(Value::String(raw.to_string()));
    }
    let doc: Table = toml::from_str(&format!("v = {raw}"))
        .map_err(|_| format!("{}: {raw:?} is not a valid value for `{}`", env_name(&leaf.path), leaf.path))?;
    Ok(doc["v"].clone())
}

/// Loads the configuration. `flags` are (dotted key, value) pairs from the command line.
pub fn load(path: &Path, require_file: bool, flags: &[(String, Value)]) -> Result<Loaded, String> {
    load_with_env(path, require_file, flags, std::env::vars())
}

pub fn load_with_env(
    path: &Path,
    require_file: bool,
    flags: &[(String, Value)],
    env: impl Iterator<Item = (String, String)>,
) -> Result<Loaded, String> {
    let (_, all) = leaves();
    let known: BTreeMap<&str, &Leaf> = all.iter().map(|l| (l.path.as_str(), l)).collect();
    let mut table = match Value::try_from(Config::default()) {
        Ok(Value::Table(t)) => t,
        _ => unreachable!("Config serializes to a table"),
    };
    let mut sources = BTreeMap::new();

    let file_found = path.exists();
    if file_found {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let file: Table = toml::from_str(&text)
            .map_err(|e| format!("config file {} is not valid TOML:\n{e}", path.display()))?;
        let mut pairs = Vec::new();
        flatten("", &file, &mut pairs);
        for (k, v) in pairs {
            if !known.contains_key(k.as_str()) {
                return Err(format!("config file {}: unknown key `{k}`", path.display()));
            }
            set_path(&mut table, &k, v);
            sources.insert(k, Source::File);
        }
    } else if require_file {
        return Err(format!(
            "no config file at {}: run `misskey-rs init` to create one (or pass --config PATH)",
            path.display()
        ));
    }

    let by_env: BTreeMap<String, &Leaf> = all.iter().map(|l| (env_name(&l.path), l)).collect();
    let mut env: Vec<(String, String)> = env.filter(|(k, _)| k.starts_with("MISSKEY_RS_")).collect();
    env.sort();
    for (name, raw) in env {
        if NON_KEY_VARS.contains(&name.as_str()) {
            continue;
        }
        let leaf = by_env
            .get(&name)
            .ok_or_else(|| format!("environment variable {name} is not a configuration key"))?;
        set_path(&mut table, &leaf.path, parse_env(leaf, &raw)?);
        sources.insert(leaf.path.clone(), Source::Env);
    }

    for (k, v) in flags {
        if !known.contains_key(k.as_str()) {
            return Err(format!("unknown configuration key `{k}`"));
        }
        set_path(&mut table, k, v.clone());
        sources.insert(k.clone(), Source::Flag);
    }

    let config: Config = Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| format!("invalid configuration: {}", e.message()))?;
    Ok(Loaded { config, path: path.to_path_buf(), file_found, sources })
}

/// The minimal file `init` writes: only keys that differ from the defaults.
pub fn minimal_toml(config: &Config) -> String {
    let defaults = Value::try_from(Config::default()).expect("serializes");
    let current = Value::try_from(config).expect("serializes");
    let mut out = Table::new();
    for leaf in leaves().1 {
        let cur = get_path(&current, &leaf.path);
        if let Some(v) = cur.filter(|v| Some(*v) != get_path(&defaults, &leaf.path)) {
            set_path(&mut out, &leaf.path, v.clone());
        }
    }
    toml::to_string(&out).expect("table serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>().into_iter()
    }

    fn write(text: &str) -> tempfile_path::TempPath {
        tempfile_path::TempPath::with(text)
    }

    #[test]
    fn precedence_is_default_file_env_flag() {
        let f =
            write("url = \"https://a.example\"\n[database]\npool_size = 3\nurl = \"postgres://x@h/db\"\n");
        let flags = vec![("database.url".to_string(), Value::String("postgres://flag@h/db".into()))];
        let l = load_with_env(
            &f.0,
            true,
            &flags,
            env(&[
                ("MISSKEY_RS_DATABASE_POOL_SIZE", "7"),
                ("MISSKEY_RS_DATABASE_URL", "postgres://env@h/db"),
            ]),
        )
        .unwrap();
        assert_eq!(l.config.url, "https://a.example");
        assert_eq!(l.config.database.pool_size, 7);
        assert_eq!(l.config.database.url, "postgres://flag@h/db");
        assert_eq!(l.source_of("url"), Source::File);
        assert_eq!(l.source_of("database.pool_size"), Source::Env);
        assert_eq!(l.source_of("database.url"), Source::Flag);
        assert_eq!(l.source_of("redis.url"), Source::Default);
    }

    #[test]
    fn unknown_keys_are_named() {
        let f = write("[database]\npoolsize = 3\n");
        let e = load_with_env(&f.0, true, &[], env(&[])).unwrap_err();
        assert!(e.contains("unknown key `database.poolsize`"), "{e}");
        let f = write("");
        let e = load_with_env(&f.0, true, &[], env(&[("MISSKEY_RS_DATABSE_URL", "x")])).unwrap_err();
        assert!(e.contains("MISSKEY_RS_DATABSE_URL"), "{e}");
    }

    #[test]
    fn bad_values_and_missing_file_are_clear() {
        let f = write("[database]\npool_size = \"many\"\n");
        let e = load_with_env(&f.0, true, &[], env(&[])).unwrap_err();
        assert!(e.contains("pool_size") || e.contains("invalid"), "{e}");
        let e = load_with_env(Path::new("/nonexistent/c.toml"), true, &[], env(&[])).unwrap_err();
        assert!(e.contains("misskey-rs init"), "{e}");
        let f = write("");
        let e = load_with_env(&f.0, true, &[], env(&[("MISSKEY_RS_HTTP_WORKERS", "lots")])).unwrap_err();
        assert!(e.contains("MISSKEY_RS_HTTP_WORKERS"), "{e}");
    }

    #[test]
    fn secrets_are_masked_and_minimal_file_has_only_changes() {
        let f = write("url = \"https://a.example\"\n[database]\nurl = \"postgres://u:hunter2@h/db\"\n[metrics]\ntoken = \"t0ps3cret\"\n");
        let l = load_with_env(&f.0, true, &[], env(&[])).unwrap();
        let shown = format!("{:?}", l.describe());
        assert!(!shown.contains("hunter2") && !shown.contains("t0ps3cret"), "{shown}");
        let min = minimal_toml(&l.config);
        assert!(min.contains("hunter2") && !min.contains("pool_size"), "{min}");
        let back: Config = toml::from_str(&min).unwrap();
        assert_eq!(back.database.url, l.config.database.url);
    }

    /// A tiny temp-file helper so unit tests need no extra crate.
    mod tempfile_path {
        pub struct TempPath(pub std::path::PathBuf);
        impl TempPath {
            pub fn with(text: &str) -> Self {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "mkrs-cfg-{}-{}.toml",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&p, text).unwrap();
                TempPath(p)
            }
        }
        impl Drop for TempPath {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }
}
