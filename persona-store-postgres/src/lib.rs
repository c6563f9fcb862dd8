#![doc = include_str!("../README.md")]

mod copy;
mod error;
mod query;
mod read;
mod sql;
mod store;
mod terms;
mod write;

pub use store::{DEFAULT_SCHEMA, MIGRATIONS_TABLE, PostgresOptions, PostgresStore};

/// The driver, re-exported so applications build pools with the version this crate uses.
pub use sqlx;
