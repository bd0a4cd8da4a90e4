//! What each job does: a thin call into the domain.

use super::Failure;
use crate::domain::jobs::{Job, DEAD_KEPT};
use crate::state::AppState;
use chrono::Utc;

/// Polls the sweep closes when their own job did not (it went missing or dead): those whose
/// time was up this long ago.
const POLL_GRACE: chrono::Duration = chrono::Duration::minutes(2);

pub async fn run(state: &AppState, job: Job) -> Result<(), Failure> {
    let mut conn =
        state.db.get().await.map_err(|e| Failure::Retry(format!("no database connection: {e}")))?;
    match job {
        Job::PollEnd { note_id } => {
            crate::domain::polls::end_expired(&mut conn, Some(&note_id), Utc::now(), 1).await?;
        }
        Job::Sweep => {
            let before = Utc::now() - POLL_GRACE;
            while crate::domain::polls::end_expired(&mut conn, None, before, 100).await? > 0 {}
            let kept = chrono::Duration::from_std(DEAD_KEPT).unwrap_or_default();
            let purged = crate::db::jobs::purge_dead(&mut conn, Utc::now() - kept).await?;
            if purged > 0 {
                tracing::info!(jobs = purged, "removed dead jobs past their keeping time");
            }
        }
    }
    Ok(())
}
