//! The database: one Diesel connection type over SQLite and PostgreSQL, the pool, migrations,
//! `Db::run` (the only way services and jobs reach a connection, always on the blocking pool), and
//! `dialect`, the one place that knows how the backends' claims and idempotent inserts differ.

pub mod dialect;
mod id_column;
pub mod models;
pub mod queries;
pub mod schema;
mod text_column;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Connection, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// A transaction for work that writes. On SQLite it begins `IMMEDIATE`, taking the write lock up
/// front: a plain (deferred) transaction that reads first and writes later cannot wait for another
/// writer, SQLite fails its first write with "database is locked" at once whatever `busy_timeout`
/// says, so two requests storing at the same moment (e.g. two Connect ANAF callbacks) would fail.
/// An immediate transaction waits for the lock like any single statement. PostgreSQL: a plain
/// transaction. Nested calls become savepoints, as with `Connection::transaction`.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let outermost_sqlite = match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::transaction_manager_status_mut(sqlite)
                .transaction_depth()?
                .is_none()
        }
        DbConnection::Postgres(_) => false,
    };
    if !outermost_sqlite {
        return conn.transaction(work);
    }
    if let DbConnection::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    }
    let result = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("checked above")
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(sqlite)?;
            Err(e)
        }
    }
}

/// Inside a `write_transaction`: makes other writers that lock the same company wait until this
/// transaction ends. PostgreSQL: `SELECT … FOR UPDATE` of the company's row; SQLite: nothing to
/// do, its write transactions already run one at a time.
pub fn lock_company(
    conn: &mut DbConnection,
    company_id: crate::domain::CompanyId,
) -> diesel::QueryResult<()> {
    use diesel::prelude::*;
    if let DbConnection::Postgres(pg) = conn {
        schema::companies::table
            .find(company_id)
            .select(schema::companies::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Where the data lives; the backend is chosen by the URL's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<DatabaseUrl, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("is empty".into());
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            url::Url::parse(text).map_err(|e| format!("is not a valid PostgreSQL URL ({e})"))?;
            return Ok(DatabaseUrl::Postgres(text.to_owned()));
        }
        if let Some((scheme, _)) = text.split_once("://")
            && scheme != "sqlite"
        {
            return Err(format!(
                "the scheme '{scheme}' is not supported (use a SQLite file path or postgres://)"
            ));
        }
        let path = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
            .unwrap_or(text);
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Applied to every new pooled connection: SQLite's integrity, concurrency and durability
/// settings, and the query counter.
#[derive(Debug)]
struct ConnectionSetup {
    queries: Arc<AtomicU64>,
}

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        let queries = self.queries.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                queries.fetch_add(1, Ordering::Relaxed);
            }
        });
        if let DbConnection::Sqlite(sqlite) = conn {
            sqlite
                .batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens connections of the backend the URL names. (Diesel's own manager tries every backend of
/// the MultiConnection in turn and, when the database is down, reports only "Invalid connection
/// url for multiconnection"; this one reports the real cause.)
#[derive(Debug)]
pub struct Connector {
    url: DatabaseUrl,
}

impl ManageConnection for Connector {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                SqliteConnection::establish(&path.to_string_lossy()).map(DbConnection::Sqlite)
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgres),
        }
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Whether `error` says the database cannot be reached (not that a query was wrong): no
/// connection could be made or checked out, or the server closed the connection.
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if cause.downcast_ref::<diesel::r2d2::PoolError>().is_some()
            || cause.downcast_ref::<diesel::ConnectionError>().is_some()
        {
            return true;
        }
        if let Some(diesel::r2d2::Error::ConnectionError(_)) = cause.downcast_ref() {
            return true;
        }
        match cause.downcast_ref::<diesel::result::Error>() {
            Some(diesel::result::Error::DatabaseError(kind, info)) => {
                use diesel::result::DatabaseErrorKind::{ClosedConnection, UnableToSendCommand};
                matches!(kind, ClosedConnection | UnableToSendCommand)
                    || connection_lost(info.message())
            }
            Some(diesel::result::Error::BrokenTransactionManager) => true,
            _ => false,
        }
    })
}

/// PostgreSQL's words for a connection it ended or could not keep (libpq reports them as
/// ordinary errors).
fn connection_lost(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "server closed the connection",
        "terminating connection",
        "connection refused",
        "no connection to the server",
        "could not connect",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// Creates a new SQLite database file readable and writable by this user only, as `secret.key`
/// is: it holds sessions, the audit log and the tokens' ciphertexts. SQLite gives the `-wal` and
/// `-shm` files it creates beside it the database file's permissions. An existing file is left as
/// it is (an operator's choice), as are `:memory:` and `file:` URIs.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let name = path.to_string_lossy();
    if name == ":memory:" || name.starts_with("file:") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

pub type PooledDb = PooledConnection<Connector>;

/// A cheap handle to the pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Connector>,
    queries: Arc<AtomicU64>,
    /// How many times `run` was called: one trip to the blocking pool and a connection each.
    round_trips: Arc<AtomicU64>,
    /// Whether the last attempt to get a connection failed: lets a failure far from `run` (the
    /// session middleware's) be told apart from a bug.
    unreachable: Arc<AtomicBool>,
}

impl Db {
    pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
        if let DatabaseUrl::Sqlite(path) = url
            && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                anyhow::anyhow!("DATABASE_URL: cannot create {}: {e}", parent.display())
            })?;
        }
        if let DatabaseUrl::Sqlite(path) = url {
            create_private(path).map_err(|e| {
                anyhow::anyhow!("DATABASE_URL: cannot create {}: {e}", path.display())
            })?;
            // WAL is a property of the file, set once here: the pool opens its connections
            // at once, and on a new file all but one would fail to switch it ("database is
            // locked", logged by r2d2 as an error) before retrying.
            SqliteConnection::establish(&path.to_string_lossy())
                .and_then(|mut conn| {
                    conn.batch_execute("PRAGMA journal_mode = WAL;")
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
                })
                .map_err(|e| {
                    anyhow::anyhow!("DATABASE_URL: cannot open {}: {e}", path.display())
                })?;
        }
        let manager = Connector { url: url.clone() };
        let queries = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(match url {
                DatabaseUrl::Sqlite(_) => 8,
                DatabaseUrl::Postgres(_) => 16,
            })
            // PostgreSQL connections are opened as needed (r2d2 opens them all at start by
            // default): several instances must not take a server's connections while idle.
            .min_idle(match url {
                DatabaseUrl::Sqlite(_) => None,
                DatabaseUrl::Postgres(_) => Some(2),
            })
            // During a database outage a request waits this long, then answers 503.
            .connection_timeout(Duration::from_secs(5))
            // No `SELECT 1` before every checkout: it doubled the statements per request. A
            // connection that broke is detected when it fails and dropped on return (is_broken).
            .test_on_check_out(false)
            .connection_customizer(Box::new(ConnectionSetup {
                queries: queries.clone(),
            }))
            .build(manager)
            .map_err(|e| anyhow::anyhow!("DATABASE_URL: cannot connect: {e}"))?;
        Ok(Db {
            pool,
            queries,
            round_trips: Arc::default(),
            unreachable: Arc::default(),
        })
    }

    /// Applies pending migrations; blocking, called at start-up and by `migrate`.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConnection::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
        }
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(())
    }

    /// Applies the migrations up to and including `version` (e.g. `2026-11-30-000021`), none
    /// after it: for upgrade drills, which set up a database as an older portal left it.
    pub fn migrate_to(&self, version: &str) -> anyhow::Result<()> {
        let target = version.replace('-', "");
        let mut conn = self.pool.get()?;
        loop {
            let pending: Vec<String> = match &mut *conn {
                DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|all| {
                    all.iter()
                        .map(|m| m.name().version().to_string().replace('-', ""))
                        .collect()
                }),
                DbConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|all| {
                    all.iter()
                        .map(|m| m.name().version().to_string().replace('-', ""))
                        .collect()
                }),
            }
            .map_err(|e| anyhow::anyhow!("migrations: {e}"))?;
            match pending.iter().min() {
                Some(next) if *next <= target => {}
                _ => return Ok(()),
            }
            match &mut *conn {
                DbConnection::Sqlite(c) => c.run_next_migration(SQLITE_MIGRATIONS).map(|_| ()),
                DbConnection::Postgres(c) => c.run_next_migration(POSTGRES_MIGRATIONS).map(|_| ()),
            }
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        }
    }

    /// Runs `work` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut DbConnection) -> anyhow::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let pool = self.pool.clone();
        let unreachable = self.unreachable.clone();
        tokio::task::spawn_blocking(move || {
            let checked_out = pool.get();
            unreachable.store(checked_out.is_err(), Ordering::Relaxed);
            let mut conn = checked_out?;
            let result = work(&mut conn);
            if let Err(e) = &result
                && is_unavailable(e)
            {
                unreachable.store(true, Ordering::Relaxed);
            }
            result
        })
        .await?
    }

    /// Whether the database could not be reached the last time a connection was needed.
    pub fn seems_unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Relaxed)
    }

    /// How many SQL statements this pool has run: lets tests and benchmarks prove that a page
    /// costs a constant number of queries.
    pub fn queries_executed(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// How many times `run` was called on this pool: lets tests prove what an action costs in
    /// round trips to the database.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Blocking access for start-up and command-line work, never from a request handler.
    pub fn get_blocking(&self) -> anyhow::Result<PooledDb> {
        Ok(self.pool.get()?)
    }
}

/// Fresh, migrated databases for unit tests of backend-specific queries: a SQLite file always,
/// and a new PostgreSQL database when `TEST_DATABASE_URL` names a server (otherwise a visible
/// `SKIPPED:` line says that half did not run).
#[cfg(test)]
pub mod testing {
    use super::{DatabaseUrl, Db};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Backend {
        Sqlite,
        Postgres,
    }

    /// Keeps a SQLite test database's directory alive as long as its pool.
    pub struct TestDb {
        db: Db,
        _dir: Option<tempfile::TempDir>,
    }

    impl std::ops::Deref for TestDb {
        type Target = Db;
        fn deref(&self) -> &Db {
            &self.db
        }
    }

    pub fn databases() -> Vec<(Backend, TestDb)> {
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = DatabaseUrl::Sqlite(dir.path().join("unit.sqlite3"));
        let mut all = vec![(Backend::Sqlite, open(&sqlite, Some(dir)))];
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let url = DatabaseUrl::Postgres(fresh_postgres(&admin));
                all.push((Backend::Postgres, open(&url, None)));
            }
            _ => eprintln!(
                "SKIPPED: the PostgreSQL half of this test (TEST_DATABASE_URL is not set)"
            ),
        }
        all
    }

    fn open(url: &DatabaseUrl, dir: Option<tempfile::TempDir>) -> TestDb {
        let db = Db::connect(url).expect("test database");
        db.migrate().expect("migrations");
        TestDb { db, _dir: dir }
    }

    /// A new database on the server `admin` names; its URL.
    fn fresh_postgres(admin: &str) -> String {
        use diesel::{Connection, RunQueryDsl, pg::PgConnection};
        let name = format!(
            "anaf_unit_{}",
            crate::secrets::random_token(12)
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        let mut conn = PgConnection::establish(admin).expect("connect to TEST_DATABASE_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let mut url = url::Url::parse(admin).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        url.to_string()
    }
}
