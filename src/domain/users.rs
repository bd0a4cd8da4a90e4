//! Local accounts: creation (the first one becomes the root administrator), password resets,
//! role flags and suspension; plus the instance actor system account.

use super::keys;
use crate::db::schema::{meta, user_keypairs, user_profiles, users};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid username {0:?}: use 1–20 letters, digits or underscores")]
    InvalidUsername(String),
    #[error("the username {0:?} is already taken")]
    UsernameTaken(String),
    #[error("the password must be at least 8 characters")]
    WeakPassword,
    #[error("no local user named {0:?}")]
    NoSuchUser(String),
    #[error("the invitation code is unknown, used or expired")]
    InvalidInvitation,
    #[error("the root administrator cannot be suspended")]
    RootProtected,
    #[error("registration is closed on this server; an invitation code is needed")]
    RegistrationClosed,
    #[error("the username {0:?} is reserved")]
    DeniedUsername(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub const INSTANCE_ACTOR: &str = "instance.actor";

/// Misskey's rule for local usernames.
pub fn valid_username(name: &str) -> bool {
    (1..=20).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Administrators and moderators (and the first administrator): who acts on others' content.
pub fn is_staff(u: &crate::db::users::UserRow) -> bool {
    u.is_root || u.is_admin || u.is_moderator
}

/// What a remote username may be: 1–128 characters, no whitespace, `@`, `:` or control
/// characters (other servers allow more than `valid_username`, but nothing that would break an
/// `@name@host` mention).
pub fn valid_remote_username(name: &str) -> bool {
    (1..=128).contains(&name.chars().count())
        && !name.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | ':' | '/'))
}

pub struct CreatedUser {
    pub id: String,
    pub username: String,
    pub token: String,
    pub is_root: bool,
}

/// Makes sure the single `meta` row exists.
pub async fn ensure_meta(conn: &mut AsyncPgConnection) -> Result<(), UserError> {
    diesel::insert_into(meta::table)
        .values((meta::id.eq("x"), meta::created_at.eq(Utc::now()), meta::updated_at.eq(Utc::now())))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

async fn find_local_id(conn: &mut AsyncPgConnection, username: &str) -> Result<Option<String>, UserError> {
    Ok(users::table
        .filter(users::username_lower.eq(username.to_lowercase()).and(users::host.is_null()))
        .select(users::id)
        .first(conn)
        .await
        .optional()?)
}

/// Creates a local account. The first non-system local account becomes root and administrator.
pub async fn create_local(
    conn: &mut AsyncPgConnection,
    username: &str,
    password: &str,
    admin: bool,
) -> Result<CreatedUser, UserError> {
    create_local_invited(conn, username, password, admin, None).await
}

/// Creates a local account; with `invitation`, the account exists only if that code could be
/// claimed for it (see [`super::invites::claim`]).
pub async fn create_local_invited(
    conn: &mut AsyncPgConnection,
    username: &str,
    password: &str,
    admin: bool,
    invitation: Option<&str>,
) -> Result<CreatedUser, UserError> {
    if !valid_username(username) {
        return Err(UserError::InvalidUsername(username.into()));
    }
    if password.chars().count() < 8 {
        return Err(UserError::WeakPassword);
    }
    let hash = keys::hash_password(password).await?;
    let (public_key, private_key) = keys::generate_rsa_pem().await?;
    let new = NewLocal { username, password_hash: Some(hash), admin, system: false, invitation };
    insert_local(conn, new, public_key, private_key).await
}

/// Someone signs up: while registration is closed only an invitation code lets them in (with
/// it open a code is neither needed nor used up), and once the server has its administrator
/// the preserved usernames are not to be had.
pub async fn sign_up(
    conn: &mut AsyncPgConnection,
    username: &str,
    password: &str,
    invitation_code: Option<&str>,
) -> Result<CreatedUser, UserError> {
    use crate::db::schema::meta;
    let (closed, root): (bool, Option<String>) = meta::table
        .filter(meta::id.eq("x"))
        .select((meta::disable_registration, meta::root_user_id))
        .first(conn)
        .await
        .optional()?
        .unwrap_or((true, None));
    let invitation = match (closed, invitation_code.filter(|c| !c.is_empty())) {
        (false, _) => None,
        (true, Some(code)) => Some(code),
        (true, None) => return Err(UserError::RegistrationClosed),
    };
    if root.is_some() && crate::db::meta::is_preserved(conn, username).await? {
        return Err(UserError::DeniedUsername(username.into()));
    }
    create_local_invited(conn, username, password, false, invitation).await
}

struct NewLocal<'a> {
    username: &'a str,
    password_hash: Option<String>,
    admin: bool,
    system: bool,
    invitation: Option<&'a str>,
}

async fn insert_local(
    conn: &mut AsyncPgConnection,
    new: NewLocal<'_>,
    public_key: String,
    private_key: String,
) -> Result<CreatedUser, UserError> {
    ensure_meta(conn).await?;
    let NewLocal { username, password_hash, admin, system, invitation } = new;
    let username = username.to_string();
    let invitation = invitation.map(str::to_string);
    conn.transaction::<_, UserError, _>(async move |conn| {
        {
            // Serializes concurrent first-account creation so exactly one becomes root.
            diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(conn).await?;
            if find_local_id(conn, &username).await?.is_some() {
                return Err(UserError::UsernameTaken(username));
            }
            let others: i64 = users::table
                .filter(users::host.is_null().and(users::is_system.eq(false)))
                .count()
                .get_result(conn)
                .await?;
            let is_root = !system && others == 0;
            let id = crate::id::gen();
            let token = (!system).then(|| keys::random_token(16));
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(&id),
                    users::created_at.eq(Utc::now()),
                    users::username.eq(&username),
                    users::username_lower.eq(username.to_lowercase()),
                    users::is_root.eq(is_root),
                    users::is_admin.eq(is_root || admin),
                    users::is_system.eq(system),
                    users::is_locked.eq(system),
                    users::token.eq(&token),
                ))
                .execute(conn)
                .await?;
            diesel::insert_into(user_profiles::table)
                .values((user_profiles::user_id.eq(&id), user_profiles::password.eq(password_hash)))
                .execute(conn)
                .await?;
            diesel::insert_into(user_keypairs::table)
                .values((
                    user_keypairs::user_id.eq(&id),
                    user_keypairs::public_key.eq(public_key),
                    user_keypairs::private_key.eq(private_key),
                ))
                .execute(conn)
                .await?;
            if let Some(code) = &invitation {
                if !super::invites::claim(conn, code, &id).await? {
                    return Err(UserError::InvalidInvitation);
                }
            }
            if is_root {
                diesel::update(meta::table.filter(meta::id.eq("x")))
                    .set((meta::root_user_id.eq(&id), meta::setup_token_hash.eq(None::<String>)))
                    .execute(conn)
                    .await?;
            }
            Ok(CreatedUser { id, username, token: token.unwrap_or_default(), is_root })
        }
    })
    .await
}

/// Creates the instance actor (the system account that signs instance-level requests), once.
pub async fn ensure_instance_actor(conn: &mut AsyncPgConnection) -> Result<(), UserError> {
    if find_local_id(conn, INSTANCE_ACTOR).await?.is_some() {
        return Ok(());
    }
    let (public_key, private_key) = keys::generate_rsa_pem().await?;
    let new = NewLocal {
        username: INSTANCE_ACTOR,
        password_hash: None,
        admin: false,
        system: true,
        invitation: None,
    };
    match insert_local(conn, new, public_key, private_key).await {
        Ok(_) | Err(UserError::UsernameTaken(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The instance actor's id (created when missing).
pub async fn instance_actor_id(conn: &mut AsyncPgConnection) -> Result<String, super::Error> {
    use super::Error;
    ensure_instance_actor(conn).await.map_err(|e| Error::internal(e.to_string()))?;
    find_local_id(conn, INSTANCE_ACTOR)
        .await
        .map_err(|e| Error::internal(e.to_string()))?
        .ok_or_else(|| Error::internal("no instance actor"))
}

/// The instance actor's id and private key (PKCS#8 PEM), created when missing.
pub async fn instance_actor_key(conn: &mut AsyncPgConnection) -> Result<(String, String), super::Error> {
    let id = instance_actor_id(conn).await?;
    let pem: String = user_keypairs::table.find(&id).select(user_keypairs::private_key).first(conn).await?;
    Ok((id, pem))
}

async fn require_local(conn: &mut AsyncPgConnection, username: &str) -> Result<String, UserError> {
    find_local_id(conn, username).await?.ok_or_else(|| UserError::NoSuchUser(username.into()))
}

pub async fn reset_password(
    conn: &mut AsyncPgConnection,
    username: &str,
    password: &str,
) -> Result<(), UserError> {
    if password.chars().count() < 8 {
        return Err(UserError::WeakPassword);
    }
    let id = require_local(conn, username).await?;
    let hash = keys::hash_password(password).await?;
    diesel::update(user_profiles::table.filter(user_profiles::user_id.eq(id)))
        .set(user_profiles::password.eq(hash))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum Role {
    Admin,
    Moderator,
}

pub async fn promote(conn: &mut AsyncPgConnection, username: &str, role: Role) -> Result<(), UserError> {
    let id = require_local(conn, username).await?;
    let q = diesel::update(users::table.filter(users::id.eq(id)));
    match role {
        Role::Admin => q.set(users::is_admin.eq(true)).execute(conn).await?,
        Role::Moderator => q.set(users::is_moderator.eq(true)).execute(conn).await?,
    };
    Ok(())
}

pub async fn set_suspended(
    conn: &mut AsyncPgConnection,
    username: &str,
    suspended: bool,
) -> Result<(), UserError> {
    let id = require_local(conn, username).await?;
    match super::moderation::set_suspended(conn, None, &id, suspended).await {
        Ok(()) => Ok(()),
        Err(super::Error::Refused(super::Refusal::CannotSuspendRoot)) => Err(UserError::RootProtected),
        Err(e) => Err(UserError::Other(anyhow::anyhow!(e.to_string()))),
    }
}

/// Stores the hash of a one-time setup token (used instead of an admin password at init).
pub async fn set_setup_token(conn: &mut AsyncPgConnection, token: &str) -> Result<(), UserError> {
    ensure_meta(conn).await?;
    let hash = keys::hash_password(token).await?;
    diesel::update(meta::table.filter(meta::id.eq("x")))
        .set(meta::setup_token_hash.eq(Some(hash)))
        .execute(conn)
        .await?;
    Ok(())
}

/// An instance with neither an administrator nor a setup token (its database was migrated by
/// `serve` without `init`) would let anyone create the first administrator: this gives it a
/// setup token, and answers the token when this call set it (only one process does).
pub async fn ensure_setup_token(conn: &mut AsyncPgConnection) -> Result<Option<String>, UserError> {
    ensure_meta(conn).await?;
    let open: bool = meta::table
        .filter(meta::id.eq("x").and(meta::root_user_id.is_null()).and(meta::setup_token_hash.is_null()))
        .count()
        .get_result::<i64>(conn)
        .await?
        > 0;
    if !open {
        return Ok(None);
    }
    let token = keys::random_token(24);
    let hash = keys::hash_password(&token).await?;
    let n = diesel::update(
        meta::table
            .filter(meta::id.eq("x").and(meta::root_user_id.is_null()).and(meta::setup_token_hash.is_null())),
    )
    .set(meta::setup_token_hash.eq(Some(hash)))
    .execute(conn)
    .await?;
    Ok((n == 1).then_some(token))
}

/// Whether `password` is the account's own (an account without one matches nothing).
pub async fn password_matches(
    conn: &mut AsyncPgConnection,
    user: &str,
    password: &str,
) -> Result<bool, diesel::result::Error> {
    let hash: Option<String> =
        user_profiles::table.find(user).select(user_profiles::password).first(conn).await?;
    Ok(keys::verify_password(password, hash.as_deref().unwrap_or("")).await)
}
