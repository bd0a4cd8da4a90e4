//! i/2fa/*: turning two-factor sign-in (TOTP) on and off. All are `secure`: only the native
//! token of the account itself, never an app.

use super::endpoint::{Ctx, Out};
use super::ApiError;
use crate::domain::totp;
use diesel_async::AsyncPgConnection;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
pub struct ConfirmParams {
    password: String,
    /// A current code or a backup code; needed while two-factor sign-in is on.
    token: Option<String>,
}

fn wrong_code() -> ApiError {
    ApiError::client(
        "INCORRECT_TWO_FACTOR_TOKEN",
        "a2c1c7b5-7e0a-4b8f-9d0c-5f3e6b1d2a47",
        "The two-factor code is wrong or has expired.",
    )
}

/// The password, and the second factor when it is on (see `totp::confirm`); a wrong password
/// answers with the endpoint's own error id.
async fn confirm(
    conn: &mut AsyncPgConnection,
    me: &str,
    p: &ConfirmParams,
    password_error_id: &'static str,
) -> Result<(), ApiError> {
    match totp::confirm(conn, me, &p.password, p.token.as_deref()).await? {
        totp::Confirm::Confirmed => Ok(()),
        totp::Confirm::WrongCode => Err(wrong_code()),
        totp::Confirm::WrongPassword => Err(super::accounts::incorrect_password(password_error_id)),
    }
}

pub async fn register(ctx: Ctx, p: ConfirmParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let mut conn = ctx.db().await?;
    confirm(&mut conn, &me.id, &p, "78d6c839-20c9-4c66-b90a-fc0542168b48").await?;
    let secret = totp::new_secret();
    totp::begin(&mut conn, &me.id, &secret).await?;
    let issuer = ctx.state.config.host();
    let url = totp::url(&secret, &me.username, &issuer);
    let qr = totp::qr_data_url(&url).map_err(ApiError::internal)?;
    Ok(json!({ "qr": qr, "url": url, "secret": secret, "label": me.username, "issuer": issuer }).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct DoneParams {
    /// A code from the authenticator app, for the secret i/2fa/register showed.
    token: String,
}

pub async fn done(ctx: Ctx, p: DoneParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    match totp::finish(&mut conn, &me, &p.token).await? {
        totp::Finish::Enabled(codes) => Ok(json!({ "backupCodes": codes }).into()),
        totp::Finish::WrongCode => Err(wrong_code()),
        totp::Finish::NotStarted => Err(ApiError::client(
            "TWO_FACTOR_NOT_STARTED",
            "4f1b0d6e-93a2-4c5e-8b7d-0e9a6c3f2b18",
            "Two-factor registration has not been started (call i/2fa/register first).",
        )),
    }
}

pub async fn unregister(ctx: Ctx, p: ConfirmParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    confirm(&mut conn, &me, &p, "7add0395-9901-4098-82f9-4f67af65f775").await?;
    totp::disable(&mut conn, &me).await?;
    Ok(().into())
}
