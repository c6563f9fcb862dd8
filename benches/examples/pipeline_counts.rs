//! Runs one step of the attribute pipeline `N` times, for instruction counting under callgrind,
//! which is repeatable on a shared machine where wall-clock timings are not:
//!
//! ```text
//! cargo build --release -p persona-benches --example pipeline_counts
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/pipeline_counts process 1000
//! ```
//!
//! Subtract the count for `N = 0` (setup) and divide by `N`. `process` and `normalize` work on
//! clones made before the loop: subtract the `clone` step for them.

use std::hint::black_box;

use chrono::NaiveDate;
use persona_attributes::{AnalysisContext, RichAttributes};

const FIXTURE: &str = include_str!("../data/full_identity.json");

fn main() {
    let mut args = std::env::args().skip(1);
    let step = args.next().unwrap_or_else(|| "process".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let json = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(FIXTURE).unwrap())
        .unwrap();
    let parsed: RichAttributes = serde_json::from_str(&json).unwrap();
    let context = AnalysisContext::at(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
    let clones = || -> Vec<RichAttributes> { (0..n).map(|_| parsed.clone()).collect() };
    let mut outputs = Vec::with_capacity(n);
    match step.as_str() {
        "deserialize" => {
            for _ in 0..n {
                drop(black_box(
                    serde_json::from_str::<RichAttributes>(black_box(&json)).unwrap(),
                ));
            }
        }
        "clone" => {
            for value in clones() {
                outputs.push(value);
            }
        }
        "process" => {
            for mut value in clones() {
                drop(black_box(value.process(black_box(&context))));
                outputs.push(value);
            }
        }
        "normalize" => {
            for mut value in clones() {
                value.normalize();
                outputs.push(value);
            }
        }
        "validate" => {
            for _ in 0..n {
                drop(black_box(black_box(&parsed).validate()));
            }
        }
        "analyze" => {
            for _ in 0..n {
                drop(black_box(black_box(&parsed).analyze(&context)));
            }
        }
        other => panic!("unknown step {other}"),
    }
    black_box(outputs);
}
