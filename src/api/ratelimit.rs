//! Per-endpoint rate limits as Misskey applies them: counters in Redis keyed by caller (user id,
//! or client IP when anonymous) and endpoint. `max` is divided by the caller's
//! `rateLimitFactor` and `minInterval` multiplied by it; a factor of 0 turns limits off.

use super::endpoint::Limit;
use super::ApiError;
use crate::bus::Redis;

/// KEYS[1] long-term counter, KEYS[2] min-interval marker; ARGV: duration ms, max, interval ms.
/// Returns {0, 0} when allowed, otherwise {1, milliseconds until the limit resets}.
const SCRIPT: &str = r#"
local interval = tonumber(ARGV[3])
if interval > 0 then
  if redis.call('SET', KEYS[2], '1', 'PX', interval, 'NX') == false then
    return {1, redis.call('PTTL', KEYS[2])}
  end
end
local duration = tonumber(ARGV[1])
if duration > 0 then
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], duration) end
  if n > tonumber(ARGV[2]) then
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then redis.call('PEXPIRE', KEYS[1], duration); ttl = duration end
    return {1, ttl}
  end
end
return {0, 0}
"#;

/// Counts one call; `Err(RATE_LIMIT_EXCEEDED)` when over the limit. A Redis failure lets the
/// call through (logged): limits protect the server, they must not take it down.
pub async fn check(
    redis: &Redis,
    endpoint: &str,
    actor: &str,
    limit: Limit,
    factor: f64,
) -> Result<(), ApiError> {
    if factor <= 0.0 {
        return Ok(());
    }
    let max = ((limit.max as f64) / factor).floor().max(1.0) as u64;
    let interval = ((limit.min_interval_ms as f64) * factor) as u64;
    let long_key = redis.key(&format!("rl:{actor}:{endpoint}"));
    let min_key = redis.key(&format!("rl:{actor}:{endpoint}:min"));
    let result: Result<(i64, i64), anyhow::Error> = async {
        let mut conn = redis.pool.get().await?;
        let r: (i64, i64) = deadpool_redis::redis::cmd("EVAL")
            .arg(SCRIPT)
            .arg(2)
            .arg(long_key)
            .arg(min_key)
            .arg(limit.duration_ms)
            .arg(max)
            .arg(interval)
            .query_async(&mut conn)
            .await?;
        Ok(r)
    }
    .await;
    match result {
        Ok((0, _)) => Ok(()),
        Ok((_, ttl)) => Err(ApiError::rate_limited(ttl.max(0) as u64)),
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable; letting the call through");
            Ok(())
        }
    }
}

/// Whether `actor` has failed at `what` fewer than `max` times in the current window (see
/// [`record_failure`]). A Redis failure counts as yes, as above.
pub async fn failures_below(redis: &Redis, what: &str, actor: &str, max: u64) -> bool {
    let key = redis.key(&format!("fail:{actor}:{what}"));
    let n: Result<Option<u64>, anyhow::Error> = async {
        let mut conn = redis.pool.get().await?;
        Ok(deadpool_redis::redis::cmd("GET").arg(key).query_async(&mut conn).await?)
    }
    .await;
    match n {
        Ok(n) => n.unwrap_or(0) < max,
        Err(e) => {
            tracing::warn!(error = %e, "failure counter unavailable; letting the attempt through");
            true
        }
    }
}

/// Reserves one attempt of `actor` at `what` before it is checked: the attempt counts as a
/// failure (see [`record_failure`]) unless [`release_attempt`] gives it back after it
/// succeeded. Answers false, counting nothing, when `max` attempts are already counted, so
/// attempts sent at once cannot all be checked before the first failure is counted. A Redis
/// failure counts as yes, as above.
pub async fn reserve_attempt(redis: &Redis, what: &str, actor: &str, max: u64, window_ms: u64) -> bool {
    let key = redis.key(&format!("fail:{actor}:{what}"));
    let r: Result<i64, anyhow::Error> = async {
        let mut conn = redis.pool.get().await?;
        Ok(deadpool_redis::redis::cmd("EVAL")
            .arg(
                "local n = redis.call('INCR', KEYS[1]) \
                 if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
                 if n > tonumber(ARGV[2]) then redis.call('DECR', KEYS[1]) return 0 end return 1",
            )
            .arg(1)
            .arg(&key)
            .arg(window_ms)
            .arg(max)
            .query_async(&mut conn)
            .await?)
    }
    .await;
    match r {
        Ok(n) => n == 1,
        Err(e) => {
            tracing::warn!(error = %e, "failure counter unavailable; letting the attempt through");
            true
        }
    }
}

/// Gives back an attempt [`reserve_attempt`] counted, once it succeeded.
pub async fn release_attempt(redis: &Redis, what: &str, actor: &str) {
    let key = redis.key(&format!("fail:{actor}:{what}"));
    let r: Result<i64, anyhow::Error> = async {
        let mut conn = redis.pool.get().await?;
        Ok(deadpool_redis::redis::cmd("EVAL")
            .arg("if (tonumber(redis.call('GET', KEYS[1]) or '0')) > 0 then return redis.call('DECR', KEYS[1]) end return 0")
            .arg(1)
            .arg(&key)
            .query_async(&mut conn)
            .await?)
    }
    .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not give back a sign-in attempt");
    }
}

/// Counts one failure of `actor` at `what`; the count is forgotten `window_ms` after the first.
pub async fn record_failure(redis: &Redis, what: &str, actor: &str, window_ms: u64) {
    let key = redis.key(&format!("fail:{actor}:{what}"));
    let r: Result<(), anyhow::Error> = async {
        let mut conn = redis.pool.get().await?;
        let _: i64 = deadpool_redis::redis::cmd("EVAL")
            .arg("local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n")
            .arg(1)
            .arg(&key)
            .arg(window_ms)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
    .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not count a failed attempt");
    }
}
