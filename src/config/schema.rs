//! Walks the JSON schema derived from [`Config`](super::Config) to list every leaf key with its
//! doc comment and kind. Both the environment loader and the example generator use it, so a new
//! field is documented and overridable the moment it is added.

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Leaf {
    /// Dotted path, e.g. "database.url".
    pub path: String,
    pub description: String,
    /// True when the value is written as a TOML string (strings, paths, enums).
    pub is_string: bool,
}

/// Sections (tables) with their doc comment, in declaration order, then the leaves.
pub fn leaves() -> (Vec<(String, String)>, Vec<Leaf>) {
    let schema = schemars::schema_for!(super::Config);
    let root = schema.as_value();
    let mut sections = Vec::new();
    let mut out = Vec::new();
    walk(root, root, "", &mut sections, &mut out);
    (sections, out)
}

fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            root.get("$defs").and_then(|d| d.get(name)).unwrap_or(v)
        }
        None => v,
    }
}

fn walk(root: &Value, node: &Value, prefix: &str, sections: &mut Vec<(String, String)>, out: &mut Vec<Leaf>) {
    let Some(props) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let target = resolve(root, prop);
        let description = prop
            .get("description")
            .or_else(|| target.get("description"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if target.get("properties").is_some() {
            sections.push((path.clone(), description));
            walk(root, target, &path, sections, out);
        } else {
            out.push(Leaf { path, description, is_string: is_string(target) });
        }
    }
}

fn is_string(v: &Value) -> bool {
    match v.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => v.get("oneOf").or_else(|| v.get("enum")).is_some(),
    }
}
