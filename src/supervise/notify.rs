//! systemd notifications (Type=notify): READY once listening, STATUS on each health change,
//! and WATCHDOG pings while the runtime is alive. No-ops outside systemd.

use super::Health;
use std::sync::Mutex;
use std::time::Duration;

static LAST_STATUS: Mutex<String> = Mutex::new(String::new());

fn enabled() -> bool {
    std::env::var_os("NOTIFY_SOCKET").is_some()
}

pub fn ready() {
    if enabled() {
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    }
}

pub fn stopping() {
    if enabled() {
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    }
}

/// Sends STATUS= when it differs from the last one sent.
pub fn status(h: &Health) {
    if !enabled() {
        return;
    }
    let text = match h.ready() {
        Ok(()) => "serving".to_string(),
        Err(reason) => reason.to_string(),
    };
    let mut last = LAST_STATUS.lock().unwrap_or_else(|e| e.into_inner());
    if *last != text {
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Status(&text)]);
        *last = text;
    }
}

/// Pings the watchdog at half its interval, if systemd set one.
pub fn spawn_watchdog() {
    let mut usec = 0u64;
    if !enabled() || !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        return;
    }
    let every = Duration::from_micros(usec / 2);
    tokio::spawn(async move {
        loop {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
            tokio::time::sleep(every).await;
        }
    });
}
