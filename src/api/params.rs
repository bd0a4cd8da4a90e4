//! Request parameters: a JSON body (an empty body means `{}`) or, for GET, the query string.
//! Anything that does not fit the endpoint's parameter type is INVALID_PARAM, never a 500.

use super::ApiError;
use actix_web::web::Bytes;
use serde::de::DeserializeOwned;

/// A list of at most `N` items: a longer one is INVALID_PARAM naming the parameter, and
/// `/api.json` says `maxItems`. For every list a client sends, so that no request makes the
/// server work in proportion to a list no real client sends.
#[derive(Debug, Clone, Default)]
pub struct AtMost<const N: usize, T>(pub Vec<T>);

impl<'de, const N: usize, T: serde::Deserialize<'de>> serde::Deserialize<'de> for AtMost<N, T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(d)?;
        if items.len() > N {
            return Err(serde::de::Error::custom(format!("at most {N} items")));
        }
        Ok(AtMost(items))
    }
}

impl<const N: usize, T: schemars::JsonSchema> schemars::JsonSchema for AtMost<N, T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("AtMost{N}_{}", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = Vec::<T>::json_schema(generator);
        schema.insert("maxItems".into(), N.into());
        schema
    }
}

/// Parses a POST body into the endpoint's parameters.
pub fn from_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let param = if path == "." { "body".to_string() } else { path };
        ApiError::invalid_param(&param, e.into_inner().to_string())
    })
}

/// Parses a request body into a JSON value (an empty body means `{}`); it must be an object.
pub fn body_value(body: &Bytes) -> Result<serde_json::Value, ApiError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    let v: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| ApiError::invalid_param("body", e.to_string()))?;
    if !v.is_object() {
        return Err(ApiError::invalid_param("body", "the body must be a JSON object"));
    }
    no_nul(&v, &mut String::new())?;
    Ok(v)
}

/// Refuses a NUL character anywhere in parameters that did not come as JSON (form fields).
pub fn check_no_nul(v: &serde_json::Value) -> Result<(), ApiError> {
    no_nul(v, &mut String::new())
}

/// Refuses a NUL character in any string or key, naming where it is (`text`, `poll.choices[1]`):
/// PostgreSQL cannot store one, and no parameter of Misskey's takes one.
fn no_nul(v: &serde_json::Value, path: &mut String) -> Result<(), ApiError> {
    let refuse = |path: &str| {
        let param = if path.is_empty() { "body" } else { path };
        Err(ApiError::invalid_param(param, "must not contain NUL characters"))
    };
    match v {
        serde_json::Value::String(s) if s.contains('\0') => refuse(path),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                no_nul(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                if len > 0 {
                    path.push('.');
                }
                path.push_str(k);
                if k.contains('\0') {
                    return refuse(path);
                }
                no_nul(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Turns a GET query string into a JSON object; values that read as booleans or numbers become
/// those (as Misskey casts GET parameters), the rest stay strings.
pub fn query_value(query: &str) -> Result<serde_json::Value, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| ApiError::invalid_param("query", e.to_string()))?;
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        let value = match v.as_str() {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            s if !s.is_empty() && s.len() < 16 && s.bytes().all(|b| b.is_ascii_digit()) => {
                serde_json::Value::Number(s.parse::<u64>().expect("digits").into())
            }
            _ => serde_json::Value::String(v),
        };
        map.insert(k, value);
    }
    let v = serde_json::Value::Object(map);
    no_nul(&v, &mut String::new())?;
    Ok(v)
}

/// Deserializes the endpoint's parameters from the request's JSON value.
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let param = if path == "." { "body".to_string() } else { path };
        ApiError::invalid_param(&param, e.into_inner().to_string())
    })
}

/// Parses a GET query string into the endpoint's parameters.
pub fn from_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str(query).map_err(|e| ApiError::invalid_param("query", e.to_string()))
}

/// For a field where `null` means something (clear it) and absence means "leave it":
/// absent is `None`, `null` is `Some(None)`. Use with `#[serde(default, deserialize_with)]`.
pub fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(<Option<String> as serde::Deserialize>::deserialize(d)?))
}

/// A page size a client asked for: 1 to 100, `default` when absent.
pub fn limit(asked: Option<u32>, default: u32) -> Result<u32, ApiError> {
    let limit = asked.unwrap_or(default);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid_param("limit", "must be between 1 and 100"));
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct P {
        #[serde(default)]
        limit: Option<u32>,
    }

    #[test]
    fn empty_body_is_empty_object_and_errors_name_the_param() {
        assert!(from_body::<P>(&Bytes::from_static(b"")).unwrap().limit.is_none());
        let e = from_body::<P>(&Bytes::from_static(br#"{"limit":"x"}"#)).unwrap_err();
        assert_eq!(e.body()["error"]["info"]["param"], "limit");
        let e = from_body::<P>(&Bytes::from_static(b"{bad")).unwrap_err();
        assert_eq!(e.body()["error"]["code"], "INVALID_PARAM");
        assert_eq!(from_query::<P>("limit=5").unwrap().limit, Some(5));
    }

    #[test]
    fn nul_characters_are_refused_where_they_are() {
        let e = body_value(&Bytes::from_static(br#"{"poll":{"choices":["a","b\u0000"]}}"#)).unwrap_err();
        assert_eq!(e.body()["error"]["info"]["param"], "poll.choices[1]");
        let e = body_value(&Bytes::from_static(br#"{"noteId":"\u0000~"}"#)).unwrap_err();
        assert_eq!(e.body()["error"]["info"]["param"], "noteId");
        let e = query_value("name=a%00b").unwrap_err();
        assert_eq!(e.body()["error"]["info"]["param"], "name");
        assert!(body_value(&Bytes::from_static(br#"{"text":"fine \\u0000"}"#)).is_ok());
    }
}
