//! `ping`: the server's clock, for clients measuring latency.

use super::endpoint::{Ctx, Out};
use super::ApiError;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
pub struct Params {}

pub async fn ping(_ctx: Ctx, _: Params) -> Result<Out, ApiError> {
    Ok(serde_json::json!({ "pong": chrono::Utc::now().timestamp_millis() }).into())
}
