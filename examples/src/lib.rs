//! Runnable examples for the persona SDK live in `examples/*.rs` (`cargo run --example quickstart`).
//! This library only compiles the workspace README's code as doctests.

/// The workspace README's examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct RootReadme;
