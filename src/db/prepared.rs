//! Statements the connection keeps prepared, keyed by their SQL text.
//!
//! Diesel prepares raw SQL, `IN` lists, multi-row inserts and updates anew on every call
//! (their text may vary without bound), which costs SQLite's parser and PostgreSQL's
//! parse and plan each time. The session path's statements vary only with the number
//! of rows or ids (at most the request limits), so they are kept: `raw` for SQL written
//! here, `prepared` for a query built with diesel's DSL and run with `load`.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// The most rows (or ids) of a statement kept prepared: a session's few; an import's
/// thousand-row chunks are prepared once each and let go.
const KEPT_ROWS: usize = 64;

/// Raw SQL and its binds, kept prepared when it spans at most `KEPT_ROWS` rows. Like
/// diesel's boxed `sql_query`, which never is.
pub struct RawSql<'f, DB: Backend> {
    sql: String,
    binds: Vec<Box<dyn PushBind<DB> + Send + 'f>>,
    keep: bool,
}

/// SQL whose text depends on nothing but `rows` (never text built from values), over
/// `rows` rows or ids; bind its values with `bind` as with `sql_query`, one per number.
/// Every `$` or `?` in the text is a numbered placeholder (`$3`, or `?3` after
/// `portable_sql`): the SQL holds no literal one.
pub fn raw<'f>(sql: String, rows: usize) -> RawSql<'f, super::Backend> {
    RawSql {
        sql,
        binds: Vec::new(),
        keep: rows <= KEPT_ROWS,
    }
}

impl<'f, DB: Backend> RawSql<'f, DB> {
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        DB: HasSqlType<ST>,
        V: ToSql<ST, DB> + Send + 'f,
        ST: 'f,
    {
        self.binds.push(Box::new(Typed(value, PhantomData)));
        self
    }
}

/// One bound value, pushed with its SQL type.
trait PushBind<DB: Backend> {
    fn push<'b>(&'b self, pass: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

struct Typed<ST, V>(V, PhantomData<fn() -> ST>);

impl<ST, V, DB> PushBind<DB> for Typed<ST, V>
where
    DB: Backend + HasSqlType<ST>,
    V: ToSql<ST, DB>,
{
    fn push<'b>(&'b self, pass: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        pass.push_bind_param::<ST, V>(&self.0)
    }
}

impl<DB: Backend> QueryFragment<DB> for RawSql<'_, DB> {
    /// Writes the SQL with each numbered placeholder (`$3`, or `?3` after `portable_sql`)
    /// replaced by the backend's own for its value: diesel numbers or marks placeholders
    /// as values are pushed, so a value used twice is pushed twice.
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.keep {
            pass.unsafe_to_cache_prepared();
        }
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find(['$', '?']) {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let n: usize = rest[at + 1..at + 1 + digits].parse().map_err(|_| {
                diesel::result::Error::QueryBuilderError(
                    format!("a placeholder without its number in {:?}", self.sql).into(),
                )
            })?;
            let bind = n
                .checked_sub(1)
                .and_then(|i| self.binds.get(i))
                .ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(
                        format!("no value bound for placeholder {n}").into(),
                    )
                })?;
            pass.push_sql(&rest[..at]);
            bind.push(&mut pass)?;
            rest = &rest[at + 1 + digits..];
        }
        pass.push_sql(rest);
        Ok(())
    }
}

impl<DB: Backend> QueryId for RawSql<'_, DB> {
    type QueryId = ();
    // No static id: the cache key is the SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> Query for RawSql<'_, DB> {
    type SqlType = Untyped;
}

impl<DB: Backend, C> RunQueryDsl<C> for RawSql<'_, DB> {}

/// A DSL query (an `IN` list of a session's products) kept prepared when it spans at most
/// `KEPT_ROWS` ids. Only for `load`, which hands the query over by value: `execute`
/// passes a reference, whose blanket `QueryFragment` asks the inner query (which says
/// no) instead of this wrapper.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q, bool);

pub fn prepared<Q>(rows: usize, query: Q) -> Prepared<Q> {
    Prepared(query, rows <= KEPT_ROWS)
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Prepared<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(self.1)
    }
}

impl<Q, C> RunQueryDsl<C> for Prepared<Q> {}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Text};
    use diesel::{Connection, QueryableByName, SqliteConnection};

    use super::*;
    use crate::db::{portable_sql, Conn};

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// Placeholders out of order and used twice get their own values, on the first run
    /// and on the kept statement's next runs.
    #[test]
    fn raw_binds_each_numbered_placeholder_to_its_value_every_run() -> QueryResult<()> {
        let mut conn = Conn::Sqlite(
            SqliteConnection::establish(":memory:")
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?,
        );
        raw(
            "CREATE TABLE t (name TEXT NOT NULL, n BIGINT NOT NULL)".into(),
            0,
        )
        .execute(&mut conn)?;
        for (a, b) in [(1_i64, 2_i64), (10, 20)] {
            let sql = portable_sql(
                &conn,
                "INSERT INTO t (name, n) VALUES ($2, $1), ($3, $1 + $4)",
            );
            let inserted = raw(sql, 2)
                .bind::<BigInt, _>(a)
                .bind::<Text, _>("first")
                .bind::<Text, _>("second".to_string())
                .bind::<BigInt, _>(b)
                .execute(&mut conn)?;
            assert_eq!(inserted, 2);
        }
        let rows: Vec<Row> = raw(
            portable_sql(&conn, "SELECT name, n FROM t WHERE n >= $1 ORDER BY n"),
            1,
        )
        .bind::<BigInt, _>(1_i64)
        .load(&mut conn)?;
        let got: Vec<(&str, i64)> = rows.iter().map(|r| (r.name.as_str(), r.n)).collect();
        assert_eq!(
            got,
            [("first", 1), ("second", 3), ("first", 10), ("second", 30)]
        );
        // A placeholder without a value is an error, not a panic or a wrong statement.
        let missing = raw(portable_sql(&conn, "SELECT name, n FROM t WHERE n = $2"), 1)
            .bind::<BigInt, _>(1_i64)
            .load::<Row>(&mut conn);
        assert!(missing.is_err());
        Ok(())
    }
}
