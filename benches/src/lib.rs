//! Shared pieces of the benchmarks: latency statistics, process memory readings and seeded
//! fixtures.

use std::time::Duration;

pub mod fixtures;

/// Latency samples with percentile summaries.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<Duration>,
}

impl Latencies {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one sample.
    pub fn push(&mut self, sample: Duration) {
        self.samples.push(sample);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The `p`-th percentile (0–100), nearest rank.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.samples.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// `p50 … µs, p99 … µs` for a report line.
    pub fn summary(&self) -> String {
        format!(
            "p50 {:>9.1} µs   p99 {:>9.1} µs   (n={})",
            self.percentile(50.0).as_secs_f64() * 1e6,
            self.percentile(99.0).as_secs_f64() * 1e6,
            self.samples.len()
        )
    }
}

/// Peak resident set size of this process in bytes (`VmHWM`), where the OS reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Writes `identities` to PostgreSQL through binary `COPY` in one transaction, as hand-written
/// code would: `statement` is a `COPY <table> (id, doc) FROM STDIN (FORMAT binary)` into a table
/// of an id (`text`) and a document (`jsonb`: version byte 1 + the JSON). The no-SDK baseline of
/// the PostgreSQL benches.
pub async fn pg_copy_identities(
    pool: &persona_store_postgres::sqlx::PgPool,
    statement: &str,
    identities: &[persona_core::Identity],
) {
    let mut tx = pool.begin().await.expect("begin");
    let mut copy = tx.copy_in_raw(statement).await.expect("copy in");
    let mut data = Vec::with_capacity(1 << 20);
    data.extend_from_slice(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0");
    for identity in identities {
        let id = identity.id.as_str().as_bytes();
        let doc = serde_json::to_vec(identity).expect("serialise");
        data.extend_from_slice(&2i16.to_be_bytes());
        data.extend_from_slice(&(id.len() as i32).to_be_bytes());
        data.extend_from_slice(id);
        data.extend_from_slice(&(doc.len() as i32 + 1).to_be_bytes());
        data.push(1);
        data.extend_from_slice(&doc);
        if data.len() >= 256 * 1024 {
            copy.send(std::mem::take(&mut data))
                .await
                .expect("copy data");
        }
    }
    data.extend_from_slice(&(-1i16).to_be_bytes());
    copy.send(data).await.expect("copy data");
    copy.finish().await.expect("copy finish");
    tx.commit().await.expect("commit");
}

/// Resets the peak resident set size to the current one (Linux: `5` into
/// `/proc/self/clear_refs`), so a later [`peak_rss_bytes`] reports the peak of what follows.
/// Returns false where that is not possible; the peak then covers the whole process lifetime.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut l = Latencies::new();
        for ms in 1..=100 {
            l.push(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile(50.0), Duration::from_millis(50));
        assert_eq!(l.percentile(99.0), Duration::from_millis(99));
        assert_eq!(l.percentile(100.0), Duration::from_millis(100));
        assert!(peak_rss_bytes().is_none_or(|b| b > 0));
    }
}
