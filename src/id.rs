//! Misskey's `aidx` ids: 8 base36 digits of milliseconds since 2000-01-01, 4 of a per-process node
//! id and 4 of a counter. 16 characters, sortable by creation time, so `sinceId`/`untilId`
//! pagination compares them as strings.

use rand::Rng;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

const TIME2000_MS: i64 = 946_684_800_000;
const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const COUNTER_SPAN: u32 = 36 * 36 * 36 * 36;

static COUNTER: AtomicU32 = AtomicU32::new(0);
static NODE: OnceLock<String> = OnceLock::new();

fn base36(mut n: u64, width: usize) -> String {
    let mut buf = vec![b'0'; width];
    for slot in buf.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(buf).expect("ascii")
}

fn node() -> &'static str {
    NODE.get_or_init(|| base36(rand::thread_rng().gen_range(0..COUNTER_SPAN as u64), 4))
}

/// A new id for a row created at `millis` (Unix epoch milliseconds).
pub fn gen_at(millis: i64) -> String {
    let t = millis.saturating_sub(TIME2000_MS).max(0) as u64;
    let c = COUNTER.fetch_add(1, Ordering::Relaxed) % COUNTER_SPAN;
    format!("{}{}{}", base36(t, 8), node(), base36(c as u64, 4))
}

/// A new id for a row created now.
pub fn gen() -> String {
    gen_at(chrono::Utc::now().timestamp_millis())
}

/// The smallest id of the given instant: `untilDate`/`sinceDate` become id bounds with it.
pub fn min_at(millis: i64) -> String {
    format!("{}00000000", base36(millis.saturating_sub(TIME2000_MS).max(0) as u64, 8))
}

/// The creation time encoded in an aidx id, if it is one.
pub fn parse_millis(id: &str) -> Option<i64> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()) {
        return None;
    }
    i64::from_str_radix(&id[..8], 36).ok().map(|t| t + TIME2000_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_roundtrip() {
        let now = 1_700_000_000_123;
        let id = gen_at(now);
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
        assert_eq!(parse_millis(&id), Some(now));
        // Known value: 2000-01-01 + 36^7 ms starts with "10000000".
        assert!(gen_at(TIME2000_MS + 36i64.pow(7)).starts_with("10000000"));
    }

    #[test]
    fn sortable_by_time_and_unique() {
        let a = gen_at(1_700_000_000_000);
        let b = gen_at(1_700_000_000_001);
        assert!(a < b);
        assert!(min_at(1_700_000_000_001) > a && min_at(1_700_000_000_001) <= b);
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| gen_at(1_700_000_000_000)).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn rejects_non_ids() {
        assert_eq!(parse_millis("short"), None);
        assert_eq!(parse_millis("ABCDEFGHIJKLMNOP"), None);
    }
}
