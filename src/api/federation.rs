//! Endpoints that reach other servers: `ap/show` resolves a URL or `@user@host` into a local
//! copy of the user or note; `ap/get` shows an administrator the document as fetched.

use super::endpoint::{Ctx, Out};
use super::pack::{notes as pack_notes, users as pack_users};
use super::ApiError;
use crate::domain::federation::Found;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub fn no_such_object(reason: impl std::fmt::Display) -> ApiError {
    ApiError::client("NO_SUCH_OBJECT", "dc94d745-1262-4e63-a17d-fecaa57efc82", "No such object.")
        .with_info(json!({ "reason": reason.to_string() }))
}

#[derive(Deserialize, JsonSchema)]
pub struct ShowParams {
    /// An ActivityPub object URL, or `@user@host`.
    #[schemars(length(min = 1, max = 1024))]
    uri: String,
}

/// `ap/get`: the raw document at a URL, for administrators looking at what a server serves.
pub async fn get(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    if p.uri.len() > 1024 {
        return Err(ApiError::invalid_param("uri", "at most 1024 characters"));
    }
    let resolver = ctx.resolver.clone().ok_or_else(|| no_such_object("federation is not running here"))?;
    Ok(resolver.get(&p.uri).await.map_err(no_such_object)?.into())
}

pub async fn show(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    if p.uri.len() > 1024 {
        return Err(ApiError::invalid_param("uri", "at most 1024 characters"));
    }
    let resolver = ctx.resolver.clone().ok_or_else(|| no_such_object("federation is not running here"))?;
    let shown = resolver.show(&p.uri).await.map_err(no_such_object)?;
    let mut conn = ctx.db().await?;
    let base = &ctx.state.config.url;
    let me = ctx.me_id();
    Ok(match shown {
        Found::User(u) => {
            let packed = pack_users::detailed(&mut conn, base, me, std::slice::from_ref(&u)).await?;
            json!({ "type": "User", "object": packed.into_iter().next() })
        }
        Found::Note(n) => {
            let packed = pack_notes::pack_ids(&mut conn, base, me, std::slice::from_ref(&n.id)).await?;
            let object =
                packed.into_iter().next().ok_or_else(|| no_such_object("the note is not visible"))?;
            json!({ "type": "Note", "object": object })
        }
    }
    .into())
}
