//! The attribute pipeline against deserialisation of the same identity.
//!
//! `process` (normalize, validate, analyze) on a fully populated identity should cost no more than
//! reading it from JSON. The fixture is minified before timing so whitespace does not inflate the
//! deserialisation side. Each timing includes dropping what the step produced (the value for
//! `deserialize`, the report and profile for `process`) but not the step's input.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use persona_attributes::{AnalysisContext, RichAttributes};

const FIXTURE: &str = include_str!("data/full_identity.json");

fn pipeline(c: &mut Criterion) {
    let json = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(FIXTURE).unwrap())
        .unwrap();
    let parsed: RichAttributes = serde_json::from_str(&json).unwrap();
    let context = AnalysisContext::at(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
    let mut normalized = parsed.clone();
    normalized.normalize();
    assert!(
        normalized.validate().is_valid(),
        "the fixture must be valid"
    );

    let mut group = c.benchmark_group("attribute_pipeline");
    group.bench_function("deserialize", |b| {
        b.iter(|| serde_json::from_str::<RichAttributes>(black_box(&json)).unwrap())
    });
    group.bench_function("process", |b| {
        b.iter_batched(
            || parsed.clone(),
            |mut value| {
                // The profile and report are dropped inside the timing, as `deserialize` drops
                // its value; the input is returned so its drop is not timed.
                black_box(value.process(black_box(&context)));
                value
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("normalize", |b| {
        b.iter_batched(
            || parsed.clone(),
            |mut value| {
                value.normalize();
                value
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("validate", |b| b.iter(|| black_box(&normalized).validate()));
    group.bench_function("analyze", |b| {
        b.iter(|| black_box(&normalized).analyze(black_box(&context)))
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
