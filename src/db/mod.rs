//! The store: PostgreSQL access through the connection pool (diesel-async over tokio-postgres,
//! no libpq), the embedded migrations, the table definitions, the rows and column lists every
//! adapter reads, the statements that list and pack notes, and the note writer. It imports
//! nothing from the layers above it (`domain/` and the adapters).

pub mod drive;
pub mod jobs;
pub mod meta;
pub mod migrate;
pub mod notes;
pub mod notifications;
pub mod page;
pub mod schema;
pub mod users;
pub mod writer;

use crate::config::DatabaseConfig;
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Hook, HookError, Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::AsyncPgConnection;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use std::sync::Arc;
use std::time::Duration;

/// Text for a `LIKE`/`ILIKE` pattern matched literally: its `\`, `%` and `_` escaped (the
/// caller adds the wildcards it means).
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

fn wants_tls(url: &str) -> bool {
    url.contains("sslmode=require") || url.contains("sslmode=verify")
}

fn client_tls() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()
}

/// Opens one connection, with TLS when the URL asks for it.
pub fn connect(url: &str) -> BoxFuture<'_, diesel::ConnectionResult<AsyncPgConnection>> {
    async move {
        let bad = |e: tokio_postgres::Error| ConnectionError::BadConnection(describe_pg_error(&e));
        let mut conn = if wants_tls(url) {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_tls());
            let (client, conn) = tokio_postgres::connect(url, tls).await.map_err(bad)?;
            AsyncPgConnection::try_from_client_and_connection(client, conn).await?
        } else {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(bad)?;
            AsyncPgConnection::try_from_client_and_connection(client, conn).await?
        };
        // Planner settings for this server's statements, unless the URL sets its own
        // (`options=-c name=value`):
        // - random_page_cost 1.1: the default (4) models spinning disks and makes the planner
        //   sort whole tables instead of walking an index on small instances; a VPS has SSDs.
        // - generic plans for prepared statements: every statement here is written so that its
        //   plan does not depend on the values bound (page sizes and which bounds are present
        //   are in the text), and the timeline statements take longer to plan than to run.
        use diesel_async::SimpleAsyncConnection;
        for (name, value) in [("random_page_cost", "1.1"), ("plan_cache_mode", "force_generic_plan")] {
            if !url.contains(name) {
                conn.batch_execute(&format!("SET {name} = {value}"))
                    .await
                    .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            }
        }
        Ok(conn)
    }
    .boxed()
}

/// The longest one statement of a pooled connection may run: a stuck statement fails its
/// request instead of holding a connection (and the note writer) indefinitely. Migrations and
/// the command line use [`connect`], without this bound.
pub const STATEMENT_TIMEOUT: &str = "30s";

fn connect_pooled(url: &str) -> BoxFuture<'_, diesel::ConnectionResult<AsyncPgConnection>> {
    async move {
        let mut conn = connect(url).await?;
        if !url.contains("statement_timeout") {
            use diesel_async::SimpleAsyncConnection;
            conn.batch_execute(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}'"))
                .await
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
        }
        Ok(conn)
    }
    .boxed()
}

/// A connection error worded for an operator (auth failure, refused, unknown database).
pub fn describe_pg_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return match db.code().code() {
            "28P01" | "28000" => format!("PostgreSQL refused the credentials: {}", db.message()),
            "3D000" => format!("{} (create it, or run `misskey-rs init`)", db.message()),
            _ => db.message().to_string(),
        };
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

/// How long a connection is reused. A prepared statement keeps the generic plan made at its
/// first use on its connection; a new connection plans again with current statistics, so a plan
/// made while a table was still empty (a new instance) does not stay for good.
const MAX_CONNECTION_AGE: Duration = Duration::from_secs(600);

/// Builds the pool. It connects lazily, so it can be built while PostgreSQL is down.
pub fn build_pool(cfg: &DatabaseConfig) -> anyhow::Result<Arc<DbPool>> {
    let mut mc = ManagerConfig::<AsyncPgConnection>::default();
    mc.custom_setup = Box::new(|url| connect_pooled(url));
    // A connection whose socket closed is discarded by `is_broken`; no ping per checkout.
    mc.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::new_with_config(&cfg.url, mc);
    let timeout = Some(Duration::from_secs(cfg.acquire_timeout_secs.max(1)));
    let pool = Pool::builder(manager)
        .max_size(cfg.pool_size)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .runtime(deadpool::Runtime::Tokio1)
        .pre_recycle(Hook::<AsyncPgConnection>::sync_fn(|_, m| {
            if m.age() > MAX_CONNECTION_AGE {
                Err(HookError::message("connection replaced for fresh plans"))
            } else {
                Ok(())
            }
        }))
        .build()?;
    Ok(Arc::new(pool))
}

/// Marks a `diesel::sql_query(…)` (with its binds) as safe to keep prepared: diesel never
/// caches raw SQL statements, so each call would parse and plan again and cost an extra round
/// trip. Only for SQL drawn from a fixed set of strings, since the cache is keyed by the text.
pub fn cached<Q>(query: Q) -> Cached<Q> {
    Cached(query)
}

#[derive(Debug, Clone)]
pub struct Cached<Q>(Q);

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>>
    diesel::query_builder::QueryFragment<diesel::pg::Pg> for Cached<Q>
{
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> diesel::query_builder::Query for Cached<Q> {
    type SqlType = diesel::sql_types::Untyped;
}

/// `UPDATE table SET col = value, … WHERE key = id` from a JSON object of typed values: the
/// row is rewritten in one statement through `jsonb_populate_record`, so each value is cast by
/// PostgreSQL to its column's type.
pub async fn update_columns(
    conn: &mut AsyncPgConnection,
    table: &str,
    key: &str,
    id: &str,
    cols: &[(&str, serde_json::Value)],
) -> diesel::QueryResult<()> {
    if cols.is_empty() {
        return Ok(());
    }
    let mut obj = serde_json::Map::new();
    let mut sets = vec![];
    for (c, v) in cols {
        let v = match v.get("__jsonb") {
            Some(inner) => inner.clone(),
            None => v.clone(),
        };
        obj.insert((*c).to_string(), v);
        sets.push(format!("{c} = r.{c}"));
    }
    let sql = format!(
        "UPDATE {table} t SET {} FROM jsonb_populate_record(NULL::{table}, $1) r WHERE t.{key} = $2",
        sets.join(", ")
    );
    use diesel_async::RunQueryDsl;
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Jsonb, _>(serde_json::Value::Object(obj))
        .bind::<diesel::sql_types::Varchar, _>(id)
        .execute(conn)
        .await?;
    Ok(())
}
