//! The persona SDK's test kit: the conformance suite every store passes, deterministic fixtures,
//! differential query generators and helpers for tests that need a server.
//!
//! A backend runs the whole suite with one line in `tests/conformance.rs`:
//!
//! ```
//! use persona_core::MemoryStore;
//! persona_testkit::conformance_tests!(async { Some(MemoryStore::new()) });
//! ```
//!
//! The setup expression is evaluated once per test and yields `Option<S>` for a fresh, empty store
//! (`None` when a server is unreachable and the test should be skipped: see [`services`]).

pub mod conformance;
pub mod differential;
pub mod fixtures;
pub mod guarded;
pub mod services;

pub use guarded::Guarded;

/// Expands to one `#[tokio::test]` per conformance behaviour for the store made by `$setup`.
///
/// `$setup` is an async expression yielding `Option<S>` where `S: Store + Clone`; the calling crate
/// needs `tokio` (with `macros` and `rt-multi-thread`) as a dev-dependency.
#[macro_export]
macro_rules! conformance_tests {
    ($setup:expr) => {
        $crate::conformance_tests!(@each $setup;
            persona_create_then_get,
            identity_create_then_get,
            group_create_then_get,
            get_missing_is_none,
            create_existing_id_fails,
            update_bumps_version,
            update_stale_version_conflicts,
            update_missing_is_not_found,
            upsert_creates_then_overwrites,
            foreign_ids_are_kept,
            unicode_round_trips,
            invalid_persona_rejected_nothing_written,
            invalid_identity_reports_full_paths,
            unsafe_ids_rejected,
            identity_requires_existing_persona,
            identity_rejects_deleted_persona,
            batch_resolves_references_in_order,
            concurrent_updates_one_wins,
            concurrent_creates_one_wins,
            no_lost_updates,
            delete_hides_everywhere,
            delete_missing_or_twice_is_not_found,
            restore_brings_back,
            restore_live_or_missing_fails,
            deleted_id_stays_taken,
            purge_erases_record_and_history,
            purge_scrubs_audit,
            purge_deleted_record,
            purge_referenced_persona_refused,
            purge_missing_is_not_found,
            purged_id_can_be_recreated,
            history_lists_every_version,
            read_any_version,
            diff_is_json_patch,
            rollback_restores_old_content,
            audit_records_every_write,
            audit_pages_by_seq,
            failed_write_leaves_no_trace,
            namespace_isolates_reads,
            namespace_isolates_writes,
            namespaces_hold_same_id_independently,
            references_are_namespace_local,
            cursor_from_other_namespace_refused,
            query_each_filter_matches_reference,
            query_sorts_match_reference,
            pagination_returns_every_record_once,
            pagination_stable_under_concurrent_inserts,
            count_matches_query,
            facets_match_reference,
            facets_follow_every_write,
            text_search_matches_whole_words,
            invalid_query_arguments_rejected,
            differential_queries_match_reference,
            list_pages_in_id_order,
            batch_failure_is_all_or_nothing,
            put_many_stores_all,
            invalid_record_never_reaches_batch,
            export_streams_everything,
            import_round_trips,
            jsonl_export_import_round_trips,
            health_reports_backend,
            clones_share_data,
            works_as_dyn_store,
            capabilities_are_honoured,
            agrees_with_memory_store,
        );
    };
    (@each $setup:expr; $($behaviour:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $behaviour() {
                if let ::core::option::Option::Some(store) = $setup.await {
                    $crate::conformance::$behaviour(&store).await;
                }
            }
        )+
    };
}
