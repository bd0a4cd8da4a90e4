//! Redis: a pool for commands (caches, counters, PUBLISH) and a dedicated pub/sub connection.
//! Every key and channel carries the instance's prefix. Redis never holds the only copy of
//! anything: pub/sub is at-most-once across reconnects.

pub mod events;
pub mod pubsub;

use crate::config::Config;
use deadpool_redis::{Pool, Runtime};
use std::time::Duration;

#[derive(Clone)]
pub struct Redis {
    pub pool: Pool,
    pub prefix: String,
}

impl Redis {
    /// Builds the pool. It connects lazily, so it can be built while Redis is down.
    pub fn new(cfg: &Config) -> anyhow::Result<Self> {
        let mut pc = deadpool_redis::Config::from_url(cfg.redis.url.clone());
        let timeout = Some(Duration::from_secs(3));
        pc.pool = Some(deadpool_redis::PoolConfig {
            max_size: cfg.redis.pool_size,
            timeouts: deadpool_redis::Timeouts { wait: timeout, create: timeout, recycle: timeout },
            ..Default::default()
        });
        let pool = pc.create_pool(Some(Runtime::Tokio1))?;
        Ok(Redis { pool, prefix: cfg.redis_prefix() })
    }

    /// A key or channel name with the instance prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// Round trip to the server; used by health checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        let _: String = deadpool_redis::redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    /// Publishes a message on a prefixed channel.
    pub async fn publish(&self, channel: &str, payload: &str) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        let _: i64 = deadpool_redis::redis::cmd("PUBLISH")
            .arg(self.key(channel))
            .arg(payload)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The server's version string, for `doctor`.
    pub async fn server_version(&self) -> anyhow::Result<String> {
        let mut conn = self.pool.get().await?;
        let info: String = deadpool_redis::redis::cmd("INFO").arg("server").query_async(&mut conn).await?;
        Ok(info
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("unknown")
            .trim()
            .to_string())
    }
}
