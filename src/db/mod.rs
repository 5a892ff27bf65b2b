//! Storage: one connection type over SQLite and PostgreSQL, the pool, migrations and
//! the write-transaction helper. Repository functions live in the submodules; they take
//! `&mut Conn` and return diesel's `QueryResult`.

pub mod accounts;
pub mod audit;
pub mod balances;
pub mod catalogue;
pub mod cold_chain;
pub mod courses;
pub mod exports;
pub mod formulations;
pub mod group;
pub mod idempotency;
pub mod kept;
pub mod lots;
pub mod movements;
pub mod open_containers;
pub mod orders;
pub mod planning;
pub mod prepared;
pub mod products;
pub mod recalls;
pub mod rules;
pub mod schema;
pub mod sessions;
pub mod staff;
pub mod suppliers;
pub mod types;
pub mod usage;
pub mod utc;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use diesel::result::Error as DbError;
pub use diesel::QueryResult;
pub use group::Writer;
pub use prepared::{prepared, raw};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type for both databases. Only SQL types both backends share are used
/// (BigInt, Text, Bool, Date, Timestamp): ids are UUID text, decimals scaled integers.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnManager>;
pub type PooledConn = r2d2::PooledConnection<ConnManager>;

/// Which database a `DATABASE_URL` names. Chosen from the scheme ourselves, because the
/// derived `establish` tries each variant in turn and hides libpq's real error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    Sqlite(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> DbUrl {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbUrl::Postgres(url.to_string())
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            DbUrl::Sqlite(path.to_string())
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DbUrl::Postgres(_))
    }
}

#[derive(Debug, Clone)]
pub struct ConnManager {
    url: DbUrl,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

/// How long a SQLite writer waits for the write lock before giving up. Writers queue on
/// `BEGIN IMMEDIATE`, so under load this is a queueing delay, not a failure mode.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 30_000;

pub fn establish(url: &DbUrl) -> Result<Conn, ConnError> {
    match url {
        DbUrl::Postgres(u) => Ok(Conn::Pg(PgConnection::establish(u)?)),
        DbUrl::Sqlite(path) => {
            let mut c = SqliteConnection::establish(path)?;
            // temp_store: the group writer runs each session in a savepoint, whose
            // sub-journal would otherwise be a temporary file opened, written and closed
            // per session.
            c.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
            ))?;
            // Switching a new file to WAL does not wait on the busy handler when another
            // starting process holds the lock, so retry it for as long as a writer waits.
            let start = std::time::Instant::now();
            loop {
                match c.batch_execute("PRAGMA journal_mode = WAL") {
                    Ok(()) => break,
                    Err(e)
                        if e.to_string().contains("locked")
                            && start.elapsed().as_millis() < u128::from(SQLITE_BUSY_TIMEOUT_MS) =>
                    {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Conn::Sqlite(c))
        }
    }
}

impl ManageConnection for ConnManager {
    type Connection = Conn;
    type Error = ConnError;

    fn connect(&self) -> Result<Conn, ConnError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnError> {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    }

    fn has_broken(&self, _conn: &mut Conn) -> bool {
        false
    }
}

/// Builds the pool and runs pending migrations, so a fresh SQLite file or an empty
/// PostgreSQL database is ready to serve.
pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Pool> {
    connect_then(url, max_size, |_| Ok(()))
}

/// Like `connect`, and runs `startup` (bootstrap, demo data) right after the migrations
/// while still holding the startup lock, so instances starting together on one
/// PostgreSQL database neither migrate twice nor create two admins.
pub fn connect_then<F>(url: &str, max_size: u32, startup: F) -> anyhow::Result<Pool>
where
    F: FnOnce(&mut Conn) -> anyhow::Result<()>,
{
    let url = DbUrl::parse(url);
    // Fail fast with the driver's own message instead of r2d2's 30 s timeout.
    let mut first = establish(&url)?;
    with_startup_lock(&mut first, |conn| {
        migrate(conn)?;
        startup(conn)
    })?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        // A broken connection fails its query and is replaced; checking every checkout
        // would cost one more round trip per request.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .build(ConnManager { url })?;
    Ok(pool)
}

/// An arbitrary, fixed key for PostgreSQL's session-level advisory lock.
const STARTUP_LOCK_KEY: i64 = 0x6d65_736f_6c65_6467;

fn with_startup_lock<F>(conn: &mut Conn, f: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut Conn) -> anyhow::Result<()>,
{
    match conn {
        Conn::Pg(_) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))
                .execute(conn)?;
            let result = f(conn);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})"))
                .execute(conn)?;
            result
        }
        // One write transaction around it all: other starting processes queue on the
        // file lock, and the migrations' own transactions nest as savepoints.
        Conn::Sqlite(_) => write_tx(conn, f),
    }
}

pub fn migrate(conn: &mut Conn) -> anyhow::Result<()> {
    let result = match conn {
        Conn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        Conn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Held by this process's SQLite write transaction, from before `BEGIN IMMEDIATE` to after
/// its end.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction. On SQLite the transaction is `BEGIN IMMEDIATE`, so it
/// takes the write lock up front and concurrent writers queue on the busy timeout instead
/// of failing half-way with "database is locked". On PostgreSQL it is a normal
/// transaction; the guarded updates inside make concurrent writers safe.
pub fn write_tx<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<DbError>,
{
    let mut _writer = None;
    match conn {
        Conn::Sqlite(c) => {
            // Nested calls become savepoints; only the outermost takes the write lock.
            let depth =
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?;
            if depth.is_none() {
                // SQLite runs one writer at a time anyway. Queueing this process's writers
                // on a mutex hands the lock straight to the next one, where the busy
                // handler would have them sleep and retry (the long tail of concurrent
                // sessions). Other processes on the same file still meet the busy handler.
                _writer = Some(
                    SQLITE_WRITER
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
            } else {
                AnsiTransactionManager::begin_transaction(c)?
            }
        }
        Conn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    type Tm = <Conn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => match Tm::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Tm::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            Tm::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The first key of the two-key advisory locks `lock_key` takes (the one-key space holds
/// the startup lock; PostgreSQL keeps the two spaces apart).
const WRITER_LOCK_SPACE: i32 = 0x6d65_736f;

/// Makes concurrent writers of one thing (`key`, e.g. `lot:<clinic>:<product>:<number>`)
/// take turns, on every instance: on PostgreSQL a transaction-scoped advisory lock, held
/// until the surrounding `write_tx` commits or rolls back, so the next writer reads what
/// the first one wrote (READ COMMITTED) and answers as if it had come after it. On SQLite
/// nothing: `write_tx` already holds the database's one write lock. Call it inside
/// `write_tx`, before reading what the write depends on.
pub fn lock_key(conn: &mut Conn, key: &str) -> QueryResult<()> {
    if let Conn::Pg(_) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<diesel::sql_types::Integer, _>(WRITER_LOCK_SPACE)
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(conn)?;
    }
    Ok(())
}

/// Runs `f` in a read-only transaction that sees one consistent state of the database
/// (a repeatable-read snapshot on PostgreSQL; a WAL read snapshot on SQLite, which does
/// not block writers), so a long export is not torn by concurrent writes.
pub fn read_snapshot<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<DbError>,
{
    match conn {
        Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
        Conn::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    type Tm = <Conn as Connection>::TransactionManager;
    let result = f(conn);
    // Nothing was written: ending the snapshot either way loses nothing.
    let end = Tm::rollback_transaction(conn);
    let value = result?;
    end?;
    Ok(value)
}

/// `($1, $2, …), (…)` for a multi-row `INSERT` of `rows` rows of `columns` values, for
/// `portable_sql`. Callers keep `rows × columns` under SQLite's 32,766 binds.
pub fn values_list(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stored names of a vocabulary as an SQL list (`'a', 'b'`), for raw SQL that filters on
/// what the domain says (`PurchaseOrderStatus::is_open`, …) instead of repeating the
/// names. Only for enum names, which never hold a quote.
pub fn names_sql<T: std::fmt::Display>(names: impl IntoIterator<Item = T>) -> String {
    names
        .into_iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The backend type of `Conn`, for queries built with a variable number of binds.
pub type Backend = <Conn as Connection>::Backend;

pub use crate::domain::ids::new_id;

/// The current time, truncated to microseconds: PostgreSQL keeps microseconds and SQLite
/// nanoseconds, and values read back must compare equal on both.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Raw SQL written with PostgreSQL's `$1` placeholders, made to run on both backends.
/// SQLite numbers `$name` parameters by first appearance, not by the digits, so a query
/// that uses `$2` before `$1` would bind the values swapped; `?1` is SQLite's explicit
/// numbered form. Queries must not contain a literal `$`.
pub fn portable_sql(conn: &Conn, sql: &str) -> String {
    match conn {
        Conn::Sqlite(_) => sql.replace('$', "?"),
        Conn::Pg(_) => sql.to_string(),
    }
}
