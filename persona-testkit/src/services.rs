//! Reaching the test servers: URLs from the environment, and the skip-or-fail rule.
//!
//! Tests that need a server read `TEST_POSTGRES_URL` / `TEST_REDIS_URL` at run time (defaulting to
//! the local services). When the server cannot be reached they print `skipping: …` and pass, unless
//! `TEST_REQUIRE_SERVICES=1`, which turns the skip into a failure (CI sets it).

use std::fmt::Display;

/// The default PostgreSQL URL for tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// The default Redis URL for tests.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/";

/// `TEST_POSTGRES_URL`, or [`DEFAULT_POSTGRES_URL`].
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// `TEST_REDIS_URL`, or [`DEFAULT_REDIS_URL`].
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned())
}

/// True when `TEST_REQUIRE_SERVICES=1`: an unreachable server is a failure, not a skip.
pub fn services_required() -> bool {
    std::env::var("TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Handles an unreachable `service`: prints `skipping: …` and returns `None`, or panics when
/// [`services_required`].
///
/// # Panics
/// When `TEST_REQUIRE_SERVICES=1`.
pub fn unreachable<T>(service: &str, error: impl Display) -> Option<T> {
    assert!(
        !services_required(),
        "{service} is required (TEST_REQUIRE_SERVICES=1) but unreachable: {error}"
    );
    println!(
        "skipping: {service} unreachable ({error}); set TEST_REQUIRE_SERVICES=1 to fail instead"
    );
    None
}

/// A random lowercase suffix for schema names, key prefixes and namespaces.
pub fn unique_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}
