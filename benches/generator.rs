//! The scale fixture generator (`persona_testkit::fixtures::Generator`): how fast it produces
//! valid identities with all eight attribute categories, one at a time and streaming, so the scale
//! harness can load 1,000,000 without holding them in memory.
//!
//! Run: `cargo bench -p persona-benches --bench generator`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use persona_core::PersonaId;
use persona_testkit::fixtures::Generator;
use std::hint::black_box;

fn generator(c: &mut Criterion) {
    let persona = PersonaId::generate();
    let mut group = c.benchmark_group("generator");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("stream_10k_identities", |b| {
        let mut seed = 0u64;
        b.iter(|| {
            seed += 1;
            // Each identity is built and dropped before the next: the streaming pattern.
            for identity in Generator::new(seed, persona.clone()).take(10_000) {
                black_box(identity);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, generator);
criterion_main!(benches);
