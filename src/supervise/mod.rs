//! Supervision of what the server depends on: PostgreSQL and Redis health (with capped,
//! jittered backoff and one log line per state change), the migration gate, systemd
//! notifications, and — in managed mode — the database and Redis child processes.

pub mod children;
pub mod notify;
mod watch;

pub use watch::{spawn_watchers, Deps};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// What `/readyz` and the API gate look at. Shared by every worker thread.
#[derive(Default)]
pub struct Health {
    postgres_up: AtomicBool,
    redis_up: AtomicBool,
    migrated: AtomicBool,
    migrating: AtomicBool,
    migration_done: AtomicUsize,
    migration_total: AtomicUsize,
    pub draining: AtomicBool,
}

/// Why the server cannot serve API requests right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    Migrating { done: usize, total: usize },
    Postgres,
    Redis,
    Draining,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Migrating { done, total } => write!(f, "migrating {done}/{total}"),
            NotReady::Postgres => f.write_str("postgres unreachable"),
            NotReady::Redis => f.write_str("redis unreachable"),
            NotReady::Draining => f.write_str("shutting down"),
        }
    }
}

impl Health {
    pub fn ready(&self) -> Result<(), NotReady> {
        if self.draining.load(Ordering::Relaxed) {
            return Err(NotReady::Draining);
        }
        if self.migrating.load(Ordering::Relaxed) {
            return Err(NotReady::Migrating {
                done: self.migration_done.load(Ordering::Relaxed),
                total: self.migration_total.load(Ordering::Relaxed),
            });
        }
        if !self.postgres_up.load(Ordering::Relaxed) || !self.migrated.load(Ordering::Relaxed) {
            return Err(NotReady::Postgres);
        }
        if !self.redis_up.load(Ordering::Relaxed) {
            return Err(NotReady::Redis);
        }
        Ok(())
    }

    pub fn postgres_up(&self) -> bool {
        self.postgres_up.load(Ordering::Relaxed)
    }

    pub fn redis_up(&self) -> bool {
        self.redis_up.load(Ordering::Relaxed)
    }

    pub fn is_migrated(&self) -> bool {
        self.migrated.load(Ordering::Relaxed)
    }

    pub fn set_migrated(&self) {
        self.migrated.store(true, Ordering::Relaxed);
    }

    pub fn set_postgres(&self, up: bool) {
        self.postgres_up.store(up, Ordering::Relaxed);
    }

    pub fn set_redis(&self, up: bool) {
        self.redis_up.store(up, Ordering::Relaxed);
    }

    pub fn set_migration_progress(&self, done: usize, total: usize) {
        self.migration_done.store(done, Ordering::Relaxed);
        self.migration_total.store(total, Ordering::Relaxed);
        self.migrating.store(done < total, Ordering::Relaxed);
    }
}

/// Exponential backoff with jitter, capped: 100 ms, 200 ms, … up to `cap`.
pub struct Backoff {
    attempt: u32,
    cap: Duration,
}

impl Backoff {
    pub fn new(cap: Duration) -> Self {
        Backoff { attempt: 0, cap }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn next_delay(&mut self) -> Duration {
        use rand::Rng;
        let base = Duration::from_millis(100).saturating_mul(1 << self.attempt.min(16));
        self.attempt += 1;
        let capped = base.min(self.cap);
        // ±25 % so that many processes do not reconnect in lockstep.
        let jitter = rand::thread_rng().gen_range(0.75..1.25);
        capped.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mut b = Backoff::new(Duration::from_secs(2));
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(75) && first <= Duration::from_millis(125));
        for _ in 0..20 {
            assert!(b.next_delay() <= Duration::from_millis(2500));
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(125));
    }

    #[test]
    fn readiness_reasons() {
        let h = Health::default();
        assert_eq!(h.ready(), Err(NotReady::Postgres));
        h.postgres_up.store(true, Ordering::Relaxed);
        h.set_migration_progress(1, 3);
        assert_eq!(h.ready().unwrap_err().to_string(), "migrating 1/3");
        h.set_migration_progress(3, 3);
        h.migrated.store(true, Ordering::Relaxed);
        assert_eq!(h.ready(), Err(NotReady::Redis));
        h.redis_up.store(true, Ordering::Relaxed);
        assert_eq!(h.ready(), Ok(()));
    }
}
