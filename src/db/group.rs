//! Group commit on SQLite. SQLite has one writer at a time, so sixteen request threads
//! each committing its own session mostly queue for the lock and write the same pages to
//! the WAL over and over. A `Writer` on SQLite hands each write to one thread with its own
//! connection, which runs whatever has queued up in one transaction, each write in its
//! own savepoint (so one refused session rolls back alone and the others still commit),
//! and answers every caller only after the commit. On PostgreSQL, and for one-off tools,
//! a `Writer` is just `write_tx` on the caller's connection: there, concurrent sessions
//! of different products commit in parallel.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};

use super::{establish, write_tx, Conn, DbError, DbUrl};

/// Writes queued at most in one group: enough for every request thread of a busy server,
/// few enough that the first caller does not wait on a long transaction.
const MAX_GROUP: usize = 64;
/// Writes waiting for the writer thread at most; further callers block until there is room.
const QUEUE: usize = 256;

/// What the writer thread calls once the group's transaction has ended: `true` when it
/// committed.
type Reply = Box<dyn FnOnce(bool) + Send>;
/// One caller's write: runs inside the group's transaction, answers after it ends.
type Job = Box<dyn FnOnce(&mut Conn) -> Reply + Send>;

/// Where a service sends a write transaction.
pub struct Writer(Option<SyncSender<Job>>);

impl Writer {
    /// `write_tx` on the caller's connection.
    pub fn direct() -> Writer {
        Writer(None)
    }

    /// For a SQLite `url`, a writer thread on a connection of its own (opened now, so a
    /// bad file fails at start-up); for PostgreSQL, `direct`.
    pub fn start(url: &str) -> Result<Writer, super::ConnError> {
        let url = DbUrl::parse(url);
        if !matches!(url, DbUrl::Sqlite(_)) {
            return Ok(Writer::direct());
        }
        let conn = establish(&url)?;
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(conn, &url, &queue))
            .map_err(|e| DbError::QueryBuilderError(Box::new(e)))?;
        Ok(Writer(Some(jobs)))
    }

    /// Runs `f` in a write transaction, on SQLite grouped with other callers' writes.
    /// Its error rolls back only its own work.
    pub fn write<T, E, F>(&self, conn: &mut Conn, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let Some(jobs) = &self.0 else {
            return write_tx(conn, f);
        };
        let (answer, answered) = mpsc::sync_channel::<Result<T, E>>(1);
        let job: Job = Box::new(move |conn| {
            // Nested in the group's transaction: a savepoint.
            let result = write_tx(conn, f);
            Box::new(move |committed| {
                // A refusal stands whatever became of the group; a success only once
                // it is committed.
                let _ = answer.send(if committed || result.is_err() {
                    result
                } else {
                    Err(E::from(DbError::RollbackTransaction))
                });
            })
        });
        jobs.send(job).map_err(|_| stopped())?;
        // No answer at all: the group never began (the file stayed locked by another
        // process past the busy timeout) or the job was lost with a failed group.
        answered.recv().map_err(|_| stopped())?
    }
}

fn stopped<E: From<DbError>>() -> E {
    E::from(DbError::NotInTransaction)
}

/// The writer thread: one group per turn, until every `Writer` is gone.
fn serve(mut conn: Conn, url: &DbUrl, queue: &Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut replies: Vec<Reply> = Vec::with_capacity(group.len());
        let ran = catch_unwind(AssertUnwindSafe(|| {
            write_tx(&mut conn, |conn| {
                for job in group {
                    replies.push(job(conn));
                }
                Ok::<(), DbError>(())
            })
        }));
        let committed = matches!(ran, Ok(Ok(())));
        for reply in replies {
            reply(committed);
        }
        if ran.is_err() {
            // A panic left the connection mid-transaction: closing it rolls that back.
            match establish(url) {
                Ok(fresh) => conn = fresh,
                Err(e) => {
                    tracing::error!("the SQLite writer cannot reopen the database: {e}");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;
    use std::sync::Arc;

    fn rows(conn: &mut Conn) -> Vec<i64> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut rows: Vec<i64> = diesel::sql_query("SELECT n FROM t")
            .load::<Row>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.n)
            .collect();
        rows.sort_unstable();
        rows
    }

    fn insert(conn: &mut Conn, n: i64) -> Result<(), DbError> {
        diesel::sql_query(format!("INSERT INTO t (n) VALUES ({n})"))
            .execute(conn)
            .map(|_| ())
    }

    /// Writes queued behind a busy writer run as one group: the one that fails rolls
    /// back alone, the others commit, and each caller hears only once its write is on
    /// disk for everyone.
    #[test]
    fn a_refused_write_rolls_back_alone_and_the_others_commit() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("group.db").to_string_lossy().to_string();
        let open = || establish(&DbUrl::parse(&url)).unwrap();
        diesel::sql_query("CREATE TABLE t (n BIGINT NOT NULL)")
            .execute(&mut open())
            .unwrap();
        let writer = Arc::new(Writer::start(&url).unwrap());

        let (release, held) = mpsc::channel::<()>();
        let first = {
            let (writer, mut conn) = (writer.clone(), open());
            std::thread::spawn(move || {
                writer.write(&mut conn, move |c| {
                    held.recv().ok();
                    insert(c, 0)
                })
            })
        };
        let others: Vec<_> = (1..=4)
            .map(|n| {
                let (writer, mut conn) = (writer.clone(), open());
                std::thread::spawn(move || {
                    let answer = writer.write(&mut conn, move |c| {
                        insert(c, n)?;
                        // The third one is refused after it wrote.
                        if n == 3 {
                            return Err(DbError::NotFound);
                        }
                        Ok(n)
                    });
                    // Answered: committed, or refused and gone.
                    let seen = rows(&mut conn).contains(&n);
                    (n, answer.is_ok(), seen)
                })
            })
            .collect();
        // Let the others queue behind the first, then release it.
        std::thread::sleep(std::time::Duration::from_millis(300));
        release.send(()).unwrap();
        assert!(first.join().unwrap().is_ok());
        for t in others {
            let (n, ok, seen) = t.join().unwrap();
            assert_eq!(ok, n != 3, "write {n}");
            assert_eq!(seen, n != 3, "write {n} visible once answered");
        }
        assert_eq!(rows(&mut open()), vec![0, 1, 2, 4]);
    }

    /// On PostgreSQL (and for tools), a `Writer` is the caller's own transaction.
    #[test]
    fn a_direct_writer_is_a_plain_write_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("direct.db").to_string_lossy().to_string();
        let mut conn = establish(&DbUrl::parse(&url)).unwrap();
        diesel::sql_query("CREATE TABLE t (n BIGINT NOT NULL)")
            .execute(&mut conn)
            .unwrap();
        let writer = Writer::direct();
        let refused: Result<(), DbError> = writer.write(&mut conn, |c| {
            insert(c, 1)?;
            Err(DbError::NotFound)
        });
        assert!(refused.is_err());
        writer.write(&mut conn, |c| insert(c, 2)).unwrap();
        assert_eq!(rows(&mut conn), vec![2]);
    }
}
