//! Background work of `serve --role all|worker`. Each task is driven by rows in PostgreSQL (a
//! poll's `ended_notified` flag, …), changed in the same transaction as the work it records,
//! so a restart, a PostgreSQL outage or a second worker neither loses nor doubles anything.

use crate::db::DbPool;
use crate::supervise::Health;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the periodic tasks look for work.
const TICK: Duration = Duration::from_secs(2);

/// Runs the periodic tasks until `stop` turns true. They wait while PostgreSQL is down or the
/// schema is not yet current.
pub fn spawn(
    db: Arc<DbPool>,
    health: Arc<Health>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if !health.postgres_up() || !health.is_migrated() {
                continue;
            }
            end_polls(&db).await;
        }
    })
}

async fn end_polls(db: &DbPool) {
    let Ok(mut conn) = db.get().await else { return };
    loop {
        match crate::domain::polls::end_expired(&mut conn, 100).await {
            Ok(0) => return,
            Ok(n) => tracing::debug!(polls = n, "polls ended"),
            Err(e) => {
                tracing::warn!(error = %e, "ending expired polls failed; trying again later");
                return;
            }
        }
    }
}
