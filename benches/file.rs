//! JSON files: a bulk write through `FileStore` against the raw cost of writing the same documents
//! durably by hand (pretty JSON, temp file, fsync, rename, one folder fsync at the end).

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use persona_benches::fixtures;
use persona_core::attributes::Timestamp;
use persona_core::{Actor, Batch, Identity, Store, StoreExt, Version, WriteMode};
use persona_store_file::FileStore;

const RECORDS: usize = 200;

fn raw_write(dir: &Path, identities: &[Identity]) {
    let folder = dir.join("identities");
    for identity in identities {
        let mut bytes = serde_json::to_vec_pretty(identity).unwrap();
        bytes.push(b'\n');
        let temp = folder.join(format!(".{}.json.tmp", identity.id));
        let mut file = File::create(&temp).unwrap();
        file.write_all(&bytes).unwrap();
        file.sync_data().unwrap();
        fs::rename(&temp, folder.join(format!("{}.json", identity.id))).unwrap();
    }
    File::open(&folder).unwrap().sync_all().unwrap();
}

fn bulk_write(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let identities = fixtures::identities(42, &fixtures::persona().id, RECORDS);
    let actor = Actor::new("bench");
    let mut group = c.benchmark_group("json_files");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));

    group.bench_function("file_store_bulk_write_200", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = FileStore::open(dir.path()).unwrap();
                runtime
                    .block_on(store.personas().create(&actor, fixtures::persona()))
                    .unwrap();
                let mut batch = Batch::new(actor.clone());
                for identity in &identities {
                    batch.put(identity.clone(), WriteMode::Create).unwrap();
                }
                (dir, store, batch)
            },
            |(dir, store, batch)| {
                runtime.block_on(store.apply(batch)).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });

    group.bench_function("raw_write_fsync_rename_200", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                fs::create_dir(dir.path().join("identities")).unwrap();
                let now = Timestamp::now();
                let stamped: Vec<Identity> = identities
                    .iter()
                    .cloned()
                    .map(|mut identity| {
                        identity.version = Version::FIRST;
                        identity.created_at = Some(now);
                        identity.updated_at = Some(now);
                        identity
                    })
                    .collect();
                (dir, stamped)
            },
            |(dir, stamped)| {
                raw_write(dir.path(), &stamped);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bulk_write);
criterion_main!(benches);
