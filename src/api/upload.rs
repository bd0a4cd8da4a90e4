//! Reading an upload endpoint's `multipart/form-data` request: the form fields become the
//! endpoint's parameters, the `file` part is streamed to a temporary file (measured and
//! hashed on the way, never held in memory). When the token comes before the file (the
//! `Authorization` header, or an `i` field first, as Misskey's own client sends it), the caller
//! is identified before anything is written, so a bad token costs no disk; a token sent after
//! the file is checked at the end, and a refused upload's file is removed.

use super::ApiError;
use crate::domain::drive::{Received, Receiving};
use crate::storage::Storage;
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use std::future::Future;

/// Largest form field other than the file.
const MAX_FIELD: usize = 64 * 1024;
/// Most parts a form may have.
const MAX_PARTS: usize = 32;

/// An upload as read: the file and the name the client gave it.
pub type Uploaded = (Received, Option<String>);

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::invalid_param("file", reason)
}

/// Field text as a parameter: `true`, `false` and `null` are those values (forms carry only
/// text), except in fields that are text by nature.
fn field_value(name: &str, text: String) -> Value {
    if matches!(name, "name" | "comment" | "i" | "marker") {
        return Value::String(text);
    }
    match text.as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => Value::String(text),
    }
}

/// Reads the form. `identify` is called once: with the fields read so far just before the file
/// part when a token is known by then (`has_token` tells from those fields), else at the end;
/// its refusal ends the request.
pub async fn read_form<T, F, Fut>(
    headers: &actix_web::http::header::HeaderMap,
    payload: actix_web::web::Payload,
    storage: &Storage,
    max_bytes: u64,
    has_token: impl Fn(&Value) -> bool,
    identify: F,
) -> Result<(Value, T, Option<Uploaded>), ApiError>
where
    F: FnOnce(Value) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut form = actix_multipart::Multipart::new(headers, payload);
    let mut fields = Map::new();
    let mut identify = Some(identify);
    let mut who = None;
    let mut upload: Option<Uploaded> = None;
    let mut parts = 0;
    while let Some(mut field) = form.try_next().await.map_err(|e| bad(format!("not a readable form: {e}")))? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(bad("too many form parts"));
        }
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if upload.is_some() {
                return Err(bad("one file per request"));
            }
            let so_far = Value::Object(fields.clone());
            if has_token(&so_far) {
                if let Some(f) = identify.take() {
                    super::params::check_no_nul(&so_far)?;
                    who = Some(f(so_far).await?);
                }
            }
            let filename = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_string);
            let mut got = Receiving::start(storage, max_bytes).await?;
            while let Some(chunk) =
                field.try_next().await.map_err(|e| bad(format!("upload cut short: {e}")))?
            {
                got.push(&chunk).await?;
            }
            upload = Some((got.finish().await?, filename));
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.try_next().await.map_err(|e| bad(format!("form cut short: {e}")))? {
                if text.len() + chunk.len() > MAX_FIELD {
                    return Err(ApiError::invalid_param("form", format!("field {name:?} is too long")));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::invalid_param("form", "fields must be UTF-8"))?;
            if !name.is_empty() {
                fields.insert(name.clone(), field_value(&name, text));
            }
        }
    }
    let fields = Value::Object(fields);
    super::params::check_no_nul(&fields)?;
    let who = match (who, identify) {
        (Some(w), _) => w,
        (None, Some(f)) => f(fields.clone()).await?,
        (None, None) => return Err(ApiError::internal("caller not identified")),
    };
    Ok((fields, who, upload))
}
