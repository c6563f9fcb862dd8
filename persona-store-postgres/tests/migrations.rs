//! Migrations: recorded in the store's own table, never in the host's `_sqlx_migrations`, and
//! idempotent.

mod common;

use persona_core::Store;
use persona_store_postgres::sqlx::migrate::{Migration, MigrationType, Migrator};
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_postgres::sqlx::{self, AssertSqlSafe, Connection, SqlSafeStr};
use persona_store_postgres::{MIGRATIONS_TABLE, PostgresOptions, PostgresStore};
use persona_testkit::services;

async fn scalar_i64(pool: &sqlx::PgPool, sql: String) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn host_sqlx_migrations_table_is_untouched() {
    let Some(_probe) = common::pool().await else {
        return;
    };
    // The host application: its own schema first on the search_path, its own sqlx migration.
    let host = common::schema_name();
    let url = services::postgres_url();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {host}")))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("SELECT set_config('search_path', $1, false)")
        .bind(&host)
        .execute(&mut conn)
        .await
        .unwrap();
    let host_migrator = Migrator::with_migrations(vec![Migration::new(
        1,
        "host users".into(),
        MigrationType::Simple,
        "CREATE TABLE users (id bigint PRIMARY KEY)".into_sql_str(),
        false,
    )]);
    host_migrator.run(&mut conn).await.unwrap();
    conn.close().await.unwrap();

    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let options = options.options([("search_path", host.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    let before: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(before.len(), 1);

    let schema = common::schema_name();
    let store = PostgresStore::with_schema(pool.clone(), schema.clone()).unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();

    let after: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(after, before, "the host's migration table changed");
    let host_tables = scalar_i64(
        &pool,
        format!("SELECT count(*) FROM pg_tables WHERE schemaname = '{host}'"),
    )
    .await;
    assert_eq!(
        host_tables, 2,
        "only _sqlx_migrations and users in the host schema"
    );
    let ours = scalar_i64(
        &pool,
        format!("SELECT count(*) FROM \"{schema}\".{MIGRATIONS_TABLE} WHERE success"),
    )
    .await;
    assert!(ours >= 1);
    assert_eq!(
        scalar_i64(&pool, format!("SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}' AND tablename = '_sqlx_migrations'")).await,
        0
    );
    // The application's pooled connections keep their own search_path.
    let path: String = sqlx::query_scalar("SHOW search_path")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(path, host);
    store.health().await.unwrap();

    store.drop_schema().await.unwrap();
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {host} CASCADE")))
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_are_idempotent() {
    let Some(pool) = common::pool().await else {
        return;
    };
    let schema = common::schema_name();
    let store = PostgresStore::with_schema(pool.clone(), schema.clone()).unwrap();
    // Not migrated yet: a typed, non-retryable error rather than a panic or a silent success.
    let err = store.health().await.unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
    assert!(
        matches!(err, persona_core::Error::Backend { .. }),
        "{err:?}"
    );

    store.migrate().await.unwrap();
    let count = format!("SELECT count(*) FROM \"{schema}\".{MIGRATIONS_TABLE}");
    let applied = scalar_i64(&pool, count.clone()).await;
    // Twice more, once concurrently, and once through connect_with.
    let (a, b) = tokio::join!(store.migrate(), store.migrate());
    a.unwrap();
    b.unwrap();
    let again = PostgresStore::connect_with(
        &services::postgres_url(),
        PostgresOptions::new()
            .schema(schema.clone())
            .max_connections(1),
    )
    .await
    .unwrap();
    again.health().await.unwrap();
    assert_eq!(scalar_i64(&pool, count).await, applied);
    store.drop_schema().await.unwrap();
}

#[tokio::test]
async fn bad_schema_names_are_refused() {
    let pool = PgPoolOptions::new()
        .connect_lazy(&services::postgres_url())
        .unwrap();
    for bad in ["", "Upper", "a;b", "pg_catalog", "x\"y"] {
        assert!(
            PostgresStore::with_schema(pool.clone(), bad).is_err(),
            "{bad}"
        );
    }
}
