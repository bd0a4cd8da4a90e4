//! Two-factor sign-in with time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30 s
//! steps), as authenticator apps and Misskey use them. Registration is two steps: a pending
//! secret is shown (otpauth:// URL and QR code), and becomes the account's secret once the user
//! enters a code it produced; five single-use backup codes come with it.

use crate::db::schema::user_profiles as p;
use base64::Engine;
use data_encoding::BASE32_NOPAD;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::RngCore;

const DIGITS: u32 = 6;
const STEP_SECS: i64 = 30;
/// Steps of clock difference accepted either way, as Misskey accepts (phones drift).
const WINDOW: i64 = 5;
pub const BACKUP_CODES: usize = 5;

/// A fresh random secret, base32 (160 bits, the size RFC 4226 recommends).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    BASE32_NOPAD.encode(&bytes)
}

fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let clean: String = secret.trim_end_matches('=').to_ascii_uppercase();
    BASE32_NOPAD.decode(clean.as_bytes()).ok()
}

/// RFC 4226's HOTP value of `counter`.
fn hotp(key: &[u8], counter: u64) -> u32 {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let mac = ring::hmac::sign(&key, &counter.to_be_bytes());
    let h = mac.as_ref();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    bin % 10u32.pow(DIGITS)
}

/// The time step whose code `token` is, for `secret` at `unix_secs`, within the accepted clock
/// window.
pub fn step_at(secret: &str, token: &str, unix_secs: i64) -> Option<i64> {
    let token: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    if token.len() != DIGITS as usize || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let want = token.parse::<u32>().ok()?;
    let key = decode_secret(secret)?;
    let now = unix_secs.div_euclid(STEP_SECS);
    // Every step of the window is computed, so timing tells nothing about which one matched.
    (now - WINDOW..=now + WINDOW).filter(|c| *c >= 0).fold(None, |found, c| {
        let hit = hotp(&key, c as u64) == want;
        found.or(hit.then_some(c))
    })
}

/// Whether `token` is the code of `secret` at `unix_secs`, within the accepted clock window.
pub fn verify_at(secret: &str, token: &str, unix_secs: i64) -> bool {
    step_at(secret, token, unix_secs).is_some()
}

/// Takes the code of time step `step` for `user`: false when that step or a later one was taken
/// already (a code works once).
async fn take_step(
    conn: &mut AsyncPgConnection,
    user: &str,
    step: i64,
) -> Result<bool, diesel::result::Error> {
    // (`two_factor_last_step` is read by this statement alone, so it is not in the schema's
    // table of 32 columns.)
    let n = diesel::sql_query(
        "UPDATE user_profiles SET two_factor_last_step = $2 \
         WHERE user_id = $1 AND (two_factor_last_step IS NULL OR two_factor_last_step < $2)",
    )
    .bind::<diesel::sql_types::Text, _>(user)
    .bind::<diesel::sql_types::BigInt, _>(step)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// The code an authenticator app shows for `secret` at `unix_secs`.
pub fn code_at(secret: &str, unix_secs: i64) -> Option<String> {
    let key = decode_secret(secret)?;
    Some(format!("{:01$}", hotp(&key, unix_secs.div_euclid(STEP_SECS) as u64), DIGITS as usize))
}

/// The `otpauth://` URL authenticator apps import.
pub fn url(secret: &str, label: &str, issuer: &str) -> String {
    // Percent-encodes all but RFC 3986's unreserved characters.
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?issuer={}&secret={secret}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(label),
        enc(issuer)
    )
}

/// The URL as a QR code, an SVG `data:` URL an `<img>` shows.
pub fn qr_data_url(url: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(url.as_bytes())?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    Ok(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

pub fn new_backup_codes() -> Vec<String> {
    (0..BACKUP_CODES).map(|_| new_secret()).collect()
}

/// Stores a pending secret (shown to the user, not yet in force).
pub async fn begin(
    conn: &mut AsyncPgConnection,
    user: &str,
    secret: &str,
) -> Result<(), diesel::result::Error> {
    diesel::update(p::table.find(user))
        .set(p::two_factor_temp_secret.eq(secret))
        .execute(conn)
        .await
        .map(drop)
}

/// What confirming a registration came to.
pub enum Finish {
    /// In force; the backup codes.
    Enabled(Vec<String>),
    /// No registration was started.
    NotStarted,
    /// The code does not match the pending secret.
    WrongCode,
}

/// Puts the pending secret in force if `token` matches it.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    user: &str,
    token: &str,
) -> Result<Finish, diesel::result::Error> {
    let pending: Option<String> =
        p::table.find(user).select(p::two_factor_temp_secret).first(conn).await.optional()?.flatten();
    let Some(secret) = pending else { return Ok(Finish::NotStarted) };
    let Some(step) = step_at(&secret, token, chrono::Utc::now().timestamp()) else {
        return Ok(Finish::WrongCode);
    };
    let codes = new_backup_codes();
    // Only the secret that was checked is put in force, should another register run meanwhile.
    let n = diesel::update(p::table.find(user).filter(p::two_factor_temp_secret.eq(&secret)))
        .set((
            p::two_factor_secret.eq(Some(&secret)),
            p::two_factor_temp_secret.eq(None::<String>),
            p::two_factor_backup_secret.eq(Some(&codes)),
            p::two_factor_enabled.eq(true),
        ))
        .execute(conn)
        .await?;
    if n != 1 {
        return Ok(Finish::WrongCode);
    }
    // The code that turned it on is taken like any other.
    diesel::sql_query("UPDATE user_profiles SET two_factor_last_step = $2 WHERE user_id = $1")
        .bind::<diesel::sql_types::Text, _>(user)
        .bind::<diesel::sql_types::BigInt, _>(step)
        .execute(conn)
        .await?;
    Ok(Finish::Enabled(codes))
}

pub async fn disable(conn: &mut AsyncPgConnection, user: &str) -> Result<(), diesel::result::Error> {
    diesel::update(p::table.find(user))
        .set((
            p::two_factor_secret.eq(None::<String>),
            p::two_factor_temp_secret.eq(None::<String>),
            p::two_factor_backup_secret.eq(None::<Vec<String>>),
            p::two_factor_enabled.eq(false),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The outcome of [`confirm`].
pub enum Confirm {
    Confirmed,
    /// Two-factor sign-in is off and the password is wrong.
    WrongPassword,
    /// Two-factor sign-in is on and the password or the code is wrong (which one is not told).
    Refused,
}

/// What changing two-factor settings asks of the account: its password, and while two-factor
/// sign-in is on, a current code or a backup code (`code`).
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    user: &str,
    password: &str,
    code: Option<&str>,
) -> Result<Confirm, diesel::result::Error> {
    let enabled: bool = p::table.find(user).select(p::two_factor_enabled).first(conn).await?;
    // The password first: a code is only taken (used up) with the right password.
    let password_ok = super::users::password_matches(conn, user, password).await?;
    if !enabled {
        return Ok(if password_ok { Confirm::Confirmed } else { Confirm::WrongPassword });
    }
    let code = code.filter(|c| !c.is_empty());
    match code {
        Some(code) if password_ok && authenticate(conn, user, code).await? => Ok(Confirm::Confirmed),
        _ => Ok(Confirm::Refused),
    }
}

/// Checks a second factor of an account that has two-factor sign-in on: a current code, or one
/// of the backup codes, which is used up (atomically: a backup code works once).
pub async fn authenticate(
    conn: &mut AsyncPgConnection,
    user: &str,
    token: &str,
) -> Result<bool, diesel::result::Error> {
    let secret: Option<String> = p::table
        .find(user)
        .filter(p::two_factor_enabled.eq(true))
        .select(p::two_factor_secret)
        .first(conn)
        .await
        .optional()?
        .flatten();
    let Some(secret) = secret else { return Ok(false) };
    if let Some(step) = step_at(&secret, token, chrono::Utc::now().timestamp()) {
        return take_step(conn, user, step).await;
    }
    let used = diesel::sql_query(
        "UPDATE user_profiles SET two_factor_backup_secret = array_remove(two_factor_backup_secret, $2) \
         WHERE user_id = $1 AND $2 = ANY(two_factor_backup_secret)",
    )
    .bind::<diesel::sql_types::Text, _>(user)
    .bind::<diesel::sql_types::Text, _>(token.trim())
    .execute(conn)
    .await?;
    Ok(used == 1)
}

/// How many backup codes are left: MeDetailed's `twoFactorBackupCodesStock`.
pub fn stock(left: usize) -> &'static str {
    match left {
        0 => "none",
        BACKUP_CODES.. => "full",
        _ => "partial",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1, seed "12345678901234567890"), last six digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = BASE32_NOPAD.encode(b"12345678901234567890");
        for (t, code) in
            [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")]
        {
            let key = decode_secret(&secret).unwrap();
            assert_eq!(format!("{:06}", hotp(&key, (t / 30) as u64)), code, "t={t}");
            assert!(verify_at(&secret, code, t));
        }
    }

    #[test]
    fn window_and_malformed_tokens() {
        let secret = new_secret();
        let key = decode_secret(&secret).unwrap();
        let t = 1_800_000_000;
        let at = |steps: i64| code_at(&secret, t + steps * 30).unwrap();
        assert_eq!(at(0), format!("{:06}", hotp(&key, (t / 30) as u64)));
        assert!(verify_at(&secret, &at(5), t));
        assert!(verify_at(&secret, &at(-5), t));
        assert!(!verify_at(&secret, &at(7), t));
        assert!(verify_at(&secret, &format!("{} {}", &at(0)[..3], &at(0)[3..]), t));
        for bad in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            assert!(!verify_at(&secret, bad, t), "{bad:?}");
        }
        assert!(!verify_at("not base32!", "123456", t));
    }

    #[test]
    fn url_and_qr() {
        let u = url("JBSWY3DPEHPK3PXP", "alice", "example.com");
        assert_eq!(
            u,
            "otpauth://totp/example.com:alice?issuer=example.com&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30"
        );
        assert!(qr_data_url(&u).unwrap().starts_with("data:image/svg+xml;base64,"));
        assert_eq!((stock(0), stock(3), stock(5)), ("none", "partial", "full"));
    }
}
