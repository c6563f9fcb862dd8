#![doc = include_str!("../README.md")]

mod error;
mod layout;
mod log;
mod report;
mod space;
mod store;

pub use error::StoreLocked;
pub use report::{Issue, LoadReport, Problem};
pub use store::FileStore;

/// The core crate, re-exported so one dependency is enough.
pub use persona_core;
/// The JSON library the files are read and written with.
pub use serde_json;
