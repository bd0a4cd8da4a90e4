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

fn wrong_password_or_code() -> ApiError {
    ApiError::client(
        "INCORRECT_PASSWORD_OR_TWO_FACTOR_TOKEN",
        "5b0e2a4c-8d1f-4e6b-9a3c-7f2d1e0b6c59",
        "The password or the two-factor code is wrong.",
    )
}

/// Runs a check of the account's password or codes as one attempt of the client's sign-in
/// failure count (`ratelimit::reserve_attempt`): a stolen token guesses no faster than a
/// sign-in form. The attempt is given back when `check` succeeds.
async fn attempt<T>(
    ctx: &Ctx,
    check: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let limited = ctx.state.config.api.rate_limits;
    let ip = ctx.ip.to_string();
    let redis = &ctx.state.redis;
    if limited
        && !super::ratelimit::reserve_attempt(
            redis,
            "signin",
            &ip,
            super::accounts::SIGNIN_FAILURES,
            3_600_000,
        )
        .await
    {
        return Err(ApiError::rate_limited(3_600_000));
    }
    let outcome = check.await;
    if limited && outcome.is_ok() {
        super::ratelimit::release_attempt(redis, "signin", &ip).await;
    }
    outcome
}

/// The password, and the second factor when it is on (see `totp::confirm`); a wrong password
/// answers with the endpoint's own error id, and while two-factor sign-in is on a wrong
/// password or code is one error that does not say which.
pub(super) async fn confirm(
    ctx: &Ctx,
    conn: &mut AsyncPgConnection,
    me: &str,
    p: &ConfirmParams,
    password_error_id: &'static str,
) -> Result<(), ApiError> {
    attempt(ctx, async {
        match totp::confirm(conn, me, &p.password, p.token.as_deref()).await? {
            totp::Confirm::Confirmed => Ok(()),
            totp::Confirm::Refused => Err(wrong_password_or_code()),
            totp::Confirm::WrongPassword => Err(super::accounts::incorrect_password(password_error_id)),
        }
    })
    .await
}

pub async fn register(ctx: Ctx, p: ConfirmParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let mut conn = ctx.db().await?;
    confirm(&ctx, &mut conn, &me.id, &p, "78d6c839-20c9-4c66-b90a-fc0542168b48").await?;
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
    let finished = attempt(&ctx, async {
        match totp::finish(&mut conn, &me, &p.token).await? {
            totp::Finish::WrongCode => Err(wrong_code()),
            other => Ok(other),
        }
    })
    .await?;
    match finished {
        totp::Finish::Enabled(codes) => Ok(json!({ "backupCodes": codes }).into()),
        _ => Err(ApiError::client(
            "TWO_FACTOR_NOT_STARTED",
            "4f1b0d6e-93a2-4c5e-8b7d-0e9a6c3f2b18",
            "Two-factor registration has not been started (call i/2fa/register first).",
        )),
    }
}

pub async fn unregister(ctx: Ctx, p: ConfirmParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    confirm(&ctx, &mut conn, &me, &p, "7add0395-9901-4098-82f9-4f67af65f775").await?;
    totp::disable(&mut conn, &me).await?;
    Ok(().into())
}
