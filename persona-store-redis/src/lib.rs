#![doc = include_str!("../README.md")]

mod cache;
mod conn;
mod error;
mod index;
mod keys;
mod lua;
mod query;
mod store;

pub use cache::{CachedStore, LocalStats};
pub use error::LayoutError;
pub use store::{RedisStore, ReindexStep};

/// The Redis driver this crate is built on, re-exported so applications use the same version.
pub use redis;
