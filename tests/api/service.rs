//! Service basics: health, readiness, metrics, the API documents, migrations on both
//! backends, and the demo clinic.

use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_migrations::MigrationHarness;
use mesoledger::db::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use mesoledger::startup::{Application, Settings};

use crate::helpers::{pg_admin_url, spawn_app, with_database, TestApp, TestDb};

#[actix_web::test]
async fn health_readiness_metrics_and_docs() {
    let app = spawn_app().await;
    assert_eq!(app.request("GET", "/healthz", None, None).await.status, 200);
    let ready = app.request("GET", "/readyz", None, None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "ready");
    let metrics = app.request("GET", "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type.starts_with("text/plain"));
    assert!(
        metrics
            .text
            .contains("mesoledger_http_requests_total{class=\"2xx\"}"),
        "{}",
        metrics.text
    );
    let spec = app.request("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(spec.status, 200);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/lots",
        "/lots/{id}/recall",
        "/stock",
        "/movements",
        "/products/{id}",
        "/clinics/{id}/staff",
        "/me",
        "/sessions",
        "/sessions/{id}/void",
        "/formulations/{id}/check",
        "/lots/{id}/trace",
        "/contraindication-rules",
    ] {
        assert!(
            spec.body["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(spec.body["components"]["schemas"]["LotView"].is_object());
    let docs = app.request("GET", "/api/v1/docs", None, None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.content_type.starts_with("text/html"));
    assert!(docs.text.contains("/lots/{id}/quarantine"));
    assert!(
        !docs.text.contains("<script"),
        "the docs page works offline"
    );
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

const SQLITE_COLUMNS: &str = "SELECT m.name AS table_name, p.name AS column_name \
    FROM sqlite_master m JOIN pragma_table_info(m.name) p \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations' \
    ORDER BY 1, 2";

fn sqlite_columns(conn: &mut SqliteConnection) -> Vec<Column> {
    diesel::sql_query(SQLITE_COLUMNS).load(conn).unwrap()
}

/// Both backends' migrations make the same tables and columns, and every migration can
/// be reverted and run again.
#[test]
fn migrations_match_across_backends_and_revert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let mut lite = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    lite.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    let up = sqlite_columns(&mut lite);
    assert!(up
        .iter()
        .any(|c| c.table_name == "movements" && c.column_name == "reverses_id"));
    lite.revert_all_migrations(SQLITE_MIGRATIONS).unwrap();
    assert!(
        sqlite_columns(&mut lite).is_empty(),
        "down.sql removes everything"
    );
    lite.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    assert_eq!(sqlite_columns(&mut lite), up);

    let Some(admin) = pg_admin_url() else {
        eprintln!("MESOLEDGER_TEST_DATABASE_URL not set: PostgreSQL side checked by .ci/run");
        return;
    };
    let name = format!("mesoledger_mig_{}", uuid::Uuid::new_v4().simple());
    let mut admin_conn = PgConnection::establish(&admin).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin_conn)
        .unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut pg = PgConnection::establish(&with_database(&admin, &name)).unwrap();
        pg.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
        let mut pg_cols: Vec<Column> = diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations' ORDER BY 1, 2",
        )
        .load(&mut pg)
        .unwrap();
        pg_cols.sort();
        let mut lite_cols = sqlite_columns(&mut lite);
        lite_cols.sort();
        assert_eq!(pg_cols, lite_cols);
        pg.revert_all_migrations(POSTGRES_MIGRATIONS).unwrap();
        pg.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
    }));
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin_conn);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[actix_web::test]
async fn demo_clinic_loads_once_and_reissues_tokens() {
    let db = TestDb::new();
    let mut settings = Settings::new(db.url(), "127.0.0.1:0");
    settings.demo = true;
    settings.workers = Some(1);
    let first = Application::build(&settings).unwrap();
    assert!(
        first.admin_token.is_some(),
        "an admin token is generated and printed on an empty database"
    );
    let demo = first.demo.as_ref().unwrap();
    let (demo_clinic, demo_tokens) = (demo.clinic_id.clone(), demo.tokens.clone());
    assert_eq!(demo_tokens.len(), 3);
    let manager = demo_tokens[0].1.clone();
    let address = format!("http://127.0.0.1:{}", first.port);
    actix_web::rt::spawn(first.run());
    let app = TestApp {
        address,
        client: awc::Client::default(),
        db,
    };
    let stock = app.get("/api/v1/stock", &manager).await;
    assert_eq!(stock.status, 200);
    let lines = stock.body.as_array().unwrap();
    assert!(lines.len() >= 10, "a realistic catalog");
    let flags: Vec<String> = lines
        .iter()
        .flat_map(|l| {
            l["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        flags.contains(&"expired_stock".into()) && flags.contains(&"expiring".into()),
        "{flags:?}"
    );
    for kind in [
        "vial",
        "ampoule",
        "needle",
        "roller",
        "pen_cartridge",
        "prp_kit",
    ] {
        assert!(
            app.get("/api/v1/products", &manager)
                .await
                .text
                .contains(&format!("\"kind\":\"{kind}\"")),
            "{kind}"
        );
    }
    assert!(
        app.get("/api/v1/products", &manager)
            .await
            .text
            .contains("\"single_use\":false"),
        "a multi-dose vial"
    );

    // Loading again keeps the data and replaces the tokens.
    let second = Application::build(&settings).unwrap();
    assert!(second.admin_token.is_none());
    let again = second.demo.as_ref().unwrap();
    assert_eq!(again.clinic_id, demo_clinic);
    let new_manager = again.tokens[0].1.clone();
    // A freshly started instance (the first one may cache the old token for 4 s).
    let fresh = format!("http://127.0.0.1:{}", second.port);
    actix_web::rt::spawn(second.run());
    let me = app
        .request_to(&fresh, "GET", "/api/v1/me", Some(&manager), None)
        .await;
    assert_eq!(me.status, 401, "old tokens stop working");
    let stock = app
        .request_to(&fresh, "GET", "/api/v1/stock", Some(&new_manager), None)
        .await;
    assert_eq!(stock.body.as_array().unwrap().len(), lines.len());
}

/// Instances starting together on one empty database migrate once and make one admin.
#[test]
fn instances_starting_together_make_one_admin() {
    let db = TestDb::new();
    let url = db.url().to_string();
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let settings = Settings::new(url, "127.0.0.1:0");
                    Application::build(&settings).map(|app| app.admin_token.is_some())
                })
            })
        })
        .collect();
    let generated: Vec<bool> = starts
        .into_iter()
        .map(|t| t.join().unwrap().expect("every instance starts"))
        .collect();
    assert_eq!(generated.iter().filter(|g| **g).count(), 1, "{generated:?}");
    let mut conn = mesoledger::db::establish(&mesoledger::db::DbUrl::parse(&url)).unwrap();
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let admins: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM staff WHERE role = 'admin'")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(admins.n, 1);
}

/// One column as `src/db/schema.rs` declares it: (table, column, diesel type, nullable).
type Declared = (String, String, String, bool);

/// Reads the hand-kept `table!` declarations.
fn declared_columns() -> Vec<Declared> {
    let text = include_str!("../../src/db/schema.rs");
    let mut out = Vec::new();
    let mut table: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_suffix('{') {
            let name = rest.split(['(', ' ']).next().unwrap_or_default();
            if !name.is_empty() && name != "diesel::table!" {
                table = Some(name.to_string());
            }
        } else if line.starts_with('}') {
            table = None;
        } else if let (Some(t), Some((col, ty))) = (&table, line.split_once("->")) {
            let ty = ty.trim().trim_end_matches(',');
            let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (ty, false),
            };
            out.push((t.clone(), col.trim().to_string(), ty.to_string(), nullable));
        }
    }
    out.sort();
    out
}

#[derive(QueryableByName, Debug)]
struct Typed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

/// The diesel type a database type maps to, on either backend.
fn diesel_type(db_type: &str) -> String {
    match db_type.to_ascii_lowercase().as_str() {
        "text" => "Text",
        "bigint" => "BigInt",
        "boolean" => "Bool",
        "date" => "Date",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        other => return format!("unmapped {other}"),
    }
    .to_string()
}

fn as_declared(rows: Vec<Typed>) -> Vec<Declared> {
    let mut out: Vec<Declared> = rows
        .into_iter()
        .map(|r| {
            (
                r.table_name,
                r.column_name,
                diesel_type(&r.data_type),
                r.nullable,
            )
        })
        .collect();
    out.sort();
    out
}

/// `schema.rs` is kept by hand: every table and column the migrations make is declared
/// there with the same name, type and nullability, on both backends.
#[test]
fn schema_rs_matches_the_migrated_database() {
    let declared = declared_columns();
    assert!(declared.len() > 100, "the parser read the schema");
    for probe in [
        ("lots", "on_hand", "BigInt", false),
        ("lots", "supplier_id", "Text", true),
        ("sessions", "performed_at", "Timestamp", false),
    ] {
        let probe = (probe.0.into(), probe.1.into(), probe.2.into(), probe.3);
        assert!(declared.contains(&probe), "{probe:?} declared");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut lite = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    lite.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    // A primary-key column is NOT NULL by rule even where SQLite's table_info says 0.
    let lite_rows: Vec<Typed> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
           (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
           AND m.name <> '__diesel_schema_migrations'",
    )
    .load(&mut lite)
    .unwrap();
    assert_eq!(as_declared(lite_rows), declared, "SQLite vs schema.rs");

    let Some(admin) = pg_admin_url() else {
        return;
    };
    let name = format!("mesoledger_schema_{}", uuid::Uuid::new_v4().simple());
    let mut admin_conn = PgConnection::establish(&admin).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin_conn)
        .unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut pg = PgConnection::establish(&with_database(&admin, &name)).unwrap();
        pg.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
        let pg_rows: Vec<Typed> = diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
               data_type::text AS data_type, (is_nullable = 'YES') AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' \
               AND table_name <> '__diesel_schema_migrations'",
        )
        .load(&mut pg)
        .unwrap();
        assert_eq!(as_declared(pg_rows), declared, "PostgreSQL vs schema.rs");
    }));
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin_conn);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// The stock views' clinic-wide reads go through indexes that hold only what can matter:
/// usable lots with stock by expiry, the rate window's days; the daily sweep reads only
/// lots with stock (issue 12).
#[test]
fn stock_view_queries_read_only_lots_with_stock_and_the_rate_window() {
    use mesoledger::db::balances::{rebuild_sql, USE_SINCE_SQL};
    use mesoledger::db::planning::usable_lots_sql;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let mut lite = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    lite.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    let mut plan = |sql: &str| -> String {
        let lines: Vec<PlanLine> =
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", sql.replace('$', "?")))
                .load(&mut lite)
                .unwrap();
        lines
            .into_iter()
            .map(|l| l.detail)
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (sql, index) in [
        (rebuild_sql(), "COVERING INDEX lots_in_stock"),
        (usable_lots_sql(), "COVERING INDEX lots_usable"),
        (
            USE_SINCE_SQL.to_string(),
            "SEARCH product_daily_use USING PRIMARY KEY",
        ),
    ] {
        let p = plan(&sql);
        assert!(p.contains(index), "{index} not in the plan of {sql}:\n{p}");
    }
}
