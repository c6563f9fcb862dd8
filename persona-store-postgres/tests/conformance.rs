//! The whole conformance suite against PostgreSQL, one fresh schema per test.

mod common;

persona_testkit::conformance_tests!(common::scratch());
