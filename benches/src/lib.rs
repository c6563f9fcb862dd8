//! Shared fixtures for the benches.

pub mod fixtures;
