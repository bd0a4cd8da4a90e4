//! What each job does: a thin call into the domain or the ActivityPub adapter.

use super::Failure;
use crate::ap::Federation;
use crate::domain::jobs::{Job, DEAD_KEPT};
use chrono::Utc;

/// Polls the sweep closes when their own job did not (it went missing or dead): those whose
/// time was up this long ago.
const POLL_GRACE: chrono::Duration = chrono::Duration::minutes(2);

pub async fn run(fed: &Federation, job: Job) -> Result<(), Failure> {
    let db = &fed.state.db;
    let connect =
        || async { db.get().await.map_err(|e| Failure::Retry(format!("no database connection: {e}"))) };
    match job {
        Job::PollEnd { note_id } => {
            let mut conn = connect().await?;
            crate::domain::polls::end_expired(&mut conn, Some(&note_id), Utc::now(), 1).await?;
        }
        Job::Sweep => {
            let mut conn = connect().await?;
            let before = Utc::now() - POLL_GRACE;
            while crate::domain::polls::end_expired(&mut conn, None, before, 100).await? > 0 {}
            let kept = chrono::Duration::from_std(DEAD_KEPT).unwrap_or_default();
            let purged = crate::db::jobs::purge_dead(&mut conn, Utc::now() - kept).await?;
            if purged > 0 {
                tracing::info!(jobs = purged, "removed dead jobs past their keeping time");
            }
        }
        Job::Inbox { activity, signer } => {
            let mut conn = connect().await?;
            let signer = crate::db::users::load_one(&mut conn, &signer).await?;
            let Some(signer) = signer else { return Err(Failure::Permanent("the signer is gone".into())) };
            if let Some(host) = &signer.host {
                // A server blocked after its activities were accepted: they are dropped.
                if crate::domain::federation::refuses(&mut conn, host).await? {
                    tracing::debug!(host, "activity of a blocked server dropped");
                    return Ok(());
                }
                crate::domain::federation::host_heard(&mut conn, host).await?;
            }
            drop(conn);
            match crate::ap::inbox::process(fed, &activity, &signer).await {
                Ok(()) => {}
                Err(crate::ap::inbox::Skip::Retry(e)) => return Err(Failure::Retry(e)),
                // Nothing to apply: the activity is done with.
                Err(crate::ap::inbox::Skip::Drop(e)) => {
                    tracing::debug!(activity = ?activity.get("id"), reason = %e, "activity skipped");
                }
            }
        }
        Job::Federate { action } => crate::ap::deliver::fan_out(fed, &action).await?,
        Job::Deliver { inbox, activity, signer } => {
            crate::ap::deliver::deliver(fed, &inbox, &activity, &signer).await?
        }
        Job::DeleteAccount { user } => {
            let st = &fed.state;
            let notes = crate::domain::deletion::purge(&st.db, &st.drive, &user).await?;
            tracing::info!(user, notes, "deleted account's content removed");
        }
        Job::DeleteFiles { user } => {
            let n = fed.state.drive.delete_all_of(&fed.state.db, &user).await?;
            tracing::info!(user, files = n, "user's drive files removed");
        }
        Job::ExportEmojis { user } => {
            let st = &fed.state;
            let f = crate::domain::emoji::export(&st.db, &st.drive, &user, &st.config.host()).await?;
            tracing::info!(user, file = f.id, "custom emoji exported");
        }
        Job::ImportEmojis { user, file_id } => {
            let st = &fed.state;
            match crate::domain::emoji::import(&st.db, &st.drive, &user, &file_id).await {
                Ok(n) => tracing::info!(user, added = n, "custom emoji imported"),
                // A file that is no pack stays no pack: told once, not retried.
                Err(e @ (crate::domain::Error::Refused(_) | crate::domain::Error::Invalid { .. })) => {
                    tracing::info!(user, file_id, error = ?e, "emoji pack not imported")
                }
                Err(e) => return Err(e.into()),
            }
        }
        Job::UploadFromUrl { user, url, folder_id, sensitive, comment, marker, force } => {
            let up = crate::domain::drive::Upload { name: None, folder_id, comment, sensitive, force };
            crate::ap::media::upload_from_url(fed, &user, &url, up, marker).await?;
        }
        Job::Featured { user } => match crate::ap::resolve::featured(fed, &user).await {
            Ok(n) => tracing::debug!(user, pinned = n, "featured collection read"),
            Err(e) if e.transient() => return Err(Failure::Retry(e.to_string())),
            // A collection that cannot be read leaves the pins as they were.
            Err(e) => tracing::debug!(user, error = %e, "featured collection not read"),
        },
        Job::InstanceInfo { host } => {
            // A server that does not say is asked again a day later, not retried now.
            let info = crate::ap::wellknown::instance_info(fed, &host)
                .await
                .inspect_err(|e| tracing::debug!(host, error = %e, "no information from server"))
                .ok();
            crate::domain::federation::record_instance_info(&mut *connect().await?, &host, info.as_ref())
                .await?;
        }
    }
    Ok(())
}
