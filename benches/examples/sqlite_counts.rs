//! The SQLite store's write and query paths, for instruction counts under callgrind and for the
//! I/O a load does (BENCHMARKS.md, section "SQLite"):
//!
//! ```text
//! cargo build --release -p persona-benches --example sqlite_counts
//! # instructions per identity of one bulk write: run N = 200 and N = 2200, subtract, divide by 2000
//! valgrind --tool=callgrind --callgrind-out-file=apply.out \
//!     target/release/examples/sqlite_counts apply /tmp/apply.db 2200
//! # a filtered query: load once, then count 1 and 21 queries and subtract
//! target/release/examples/sqlite_counts load /tmp/q.db 100000
//! valgrind --tool=callgrind --callgrind-out-file=query.out \
//!     target/release/examples/sqlite_counts query /tmp/q.db 21
//! ```
//!
//! `apply` writes N identities in one batch into a new file. `load` writes N in batches of
//! 1,000 and prints, every 50,000, the rate and the bytes the process has read and written
//! (`/proc/self/io`). `query` runs N times the filtered query of `benches/sqlite.rs`. Remove the
//! database files (`*.db`, `-wal`, `-shm`) between runs of `apply` and `load`.

use persona_benches::fixtures;
use persona_core::attributes::psychographics::Trait;
use persona_core::{Actor, Batch, Query, Store, StoreExt, WriteMode};
use persona_store_sqlite::SqliteStore;
use persona_testkit::fixtures::Generator;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: sqlite_counts apply|load|query <database> <n>";
    let (mode, path, n) = match (args.next(), args.next(), args.next()) {
        (Some(mode), Some(path), Some(n)) => (mode, path, n.parse::<usize>().expect(usage)),
        _ => panic!("{usage}"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("Tokio runtime");
    let actor = Actor::new("counts");
    let store = SqliteStore::open(&path).expect("open");
    let persona = fixtures::persona();
    let batch_of = |identities: Vec<persona_core::Identity>| {
        let mut batch = Batch::new(actor.clone());
        for identity in identities {
            batch.put(identity, WriteMode::Create).expect("valid");
        }
        batch
    };
    match mode.as_str() {
        "apply" => {
            runtime
                .block_on(store.personas().create(&actor, persona.clone()))
                .expect("persona");
            let batch = batch_of(Generator::new(1, persona.id.clone()).take(n).collect());
            runtime.block_on(store.apply(batch)).expect("apply");
        }
        "load" => {
            runtime
                .block_on(store.personas().create(&actor, persona.clone()))
                .expect("persona");
            let mut identities = Generator::new(7, persona.id.clone()).take(n);
            let (mut done, mut since) = (0, std::time::Instant::now());
            loop {
                let batch = batch_of(identities.by_ref().take(1_000).collect());
                if batch.is_empty() {
                    break;
                }
                done += batch.len();
                runtime.block_on(store.apply(batch)).expect("apply");
                if done % 50_000 == 0 {
                    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
                    let bytes: Vec<&str> = io
                        .lines()
                        .filter(|l| l.starts_with("rchar") || l.starts_with("wchar"))
                        .collect();
                    println!(
                        "{done}: {:.0} identities/s, {}",
                        50_000.0 / since.elapsed().as_secs_f64(),
                        bytes.join(", ")
                    );
                    since = std::time::Instant::now();
                }
            }
        }
        "query" => {
            let query = Query::new()
                .age(30..=45)
                .country("DE")
                .trait_range(Trait::Openness, 0.6..=1.0)
                .limit(50);
            let mut found = 0;
            for _ in 0..n {
                found += runtime
                    .block_on(store.query(&query))
                    .expect("query")
                    .items
                    .len();
            }
            println!("{found} identities over {n} queries");
        }
        _ => panic!("{usage}"),
    }
}
