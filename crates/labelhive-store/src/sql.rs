//! A small builder for statements with a variable number of `$n` parameters.
//!
//! sqlx's `QueryBuilder` writes `?` placeholders for the `Any` driver, which
//! PostgreSQL refuses; both backends accept `$1, $2, ...`, so this numbers them itself.

use labelhive_domain::store::StoreResult;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::literals::{inlinable, inline};
use crate::{db, Dialect};

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Float(f64),
    /// A float that may be NULL.
    OptFloat(Option<f64>),
    /// Text that may be NULL.
    OptText(Option<String>),
}

/// SQL text plus its parameters, in order.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    /// The same statement with bare `?` placeholders. sqlx resolves SQLite's numbered
    /// `$n` parameters one name lookup at a time, quadratic in their number, which
    /// dominated multi-row inserts; bare `?` binds by position.
    positional: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            positional: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// `head` followed by `filter`'s text, with its parameters: a second statement
    /// (a count, a page) over the same filter.
    pub fn with_filter(head: &str, filter: &Sql) -> Self {
        Self {
            text: format!("{head}{}", filter.text),
            positional: format!("{head}{}", filter.positional),
            params: filter.params.clone(),
        }
    }

    /// `inner` between `head` and `tail`, with its parameters: a statement over a
    /// subquery.
    pub fn around(head: &str, inner: &Sql, tail: &str) -> Self {
        Self {
            text: format!("{head}{}{tail}", inner.text),
            positional: format!("{head}{}{tail}", inner.positional),
            params: inner.params.clone(),
        }
    }

    /// Appends raw SQL.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self.positional.push_str(s);
        self
    }

    /// Appends a placeholder bound to `p`.
    pub fn bind(&mut self, p: Param) -> &mut Self {
        self.params.push(p);
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
        self.positional.push('?');
        self
    }

    /// The parameters, for building a second statement with the same filter.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The query for `conn`'s backend: bare `?` placeholders on SQLite.
    pub fn query_for(&self, conn: &sqlx::AnyConnection) -> Query<'_, Any, AnyArguments<'_>> {
        self.query_on(dialect_of(conn))
    }

    /// The query for `dialect`: bare `?` placeholders on SQLite.
    pub fn query_on(&self, dialect: Dialect) -> Query<'_, Any, AnyArguments<'_>> {
        let text = match dialect {
            Dialect::Sqlite => &self.positional,
            Dialect::Postgres => &self.text,
        };
        bind_all(sqlx::query(text), &self.params)
    }

    /// How many rows `filter` (a `from ... where ...` clause) selects.
    pub async fn count(filter: &Sql, pool: &AnyPool) -> StoreResult<i64> {
        Sql::with_filter("select count(*) as n", filter)
            .query()
            .fetch_one(pool)
            .await
            .map_err(db)?
            .try_get("n")
            .map_err(db)
    }

    /// The query, ready to execute.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        bind_all(sqlx::query(&self.text), &self.params)
    }
}

/// Most parameters of one joined query. A statement with more (a chunk of a large
/// batch) runs alone: its text repeats from request to request, so it stays one
/// cached prepared statement, and no joined query grows with the batch.
const JOINED_PARAMS_MAX: usize = 256;

/// Write statements of one transaction, run in order by [`Script::run`]. Every query
/// is a round trip: sqlx hands each SQLite query to the connection's own thread and
/// waits for the answer (about 50 microseconds on this project's 2-core machines
/// whatever the statement), and each PostgreSQL query waits for the server (60 to 100
/// microseconds here). A small write of a dozen statements spent most of its time
/// there, so consecutive small statements go as one multi-statement query: on SQLite
/// with their parameters bound in order, on PostgreSQL (whose extended protocol takes
/// one statement per query) as one simple query with the parameters written in as
/// literals (see `literals.rs`).
#[derive(Debug, Default)]
pub(crate) struct Script {
    statements: Vec<Sql>,
}

/// Consecutive statements that go to the database as one query.
#[derive(Debug)]
enum Joined {
    /// Parameters bound: one statement, or on SQLite several whose positional texts
    /// are joined, their parameters in order.
    Bound(Sql),
    /// PostgreSQL: the statements with their parameters written in.
    Inlined(String),
}

impl Script {
    /// Appends a statement; it runs after those added before it.
    pub fn add(&mut self, sql: Sql) {
        self.statements.push(sql);
    }

    /// Runs every statement in order inside `tx`.
    pub async fn run(self, tx: &mut Transaction<'_, Any>) -> StoreResult<()> {
        let dialect = dialect_of(tx);
        let queries = match dialect {
            Dialect::Sqlite => join_positional(self.statements),
            Dialect::Postgres => join_inlined(self.statements),
        };
        for query in &queries {
            let conn: &mut sqlx::AnyConnection = tx;
            let done = match query {
                Joined::Bound(sql) => sql.query_on(dialect).execute(conn).await,
                Joined::Inlined(text) => conn.execute(sqlx::raw_sql(text)).await,
            };
            done.map_err(db)?;
        }
        Ok(())
    }
}

/// SQLite: consecutive statements of at most [`JOINED_PARAMS_MAX`] parameters in all
/// share a query. sqlx binds bare `?` placeholders across the statements of one query
/// in order, so the parameter lists simply follow each other.
fn join_positional(statements: Vec<Sql>) -> Vec<Joined> {
    let mut queries: Vec<Joined> = Vec::new();
    for sql in statements {
        match queries.last_mut() {
            Some(Joined::Bound(open))
                if open.params.len() + sql.params.len() <= JOINED_PARAMS_MAX =>
            {
                open.positional.push_str(";\n");
                open.positional.push_str(&sql.positional);
                open.params.extend(sql.params);
            }
            _ => queries.push(Joined::Bound(sql)),
        }
    }
    queries
}

/// PostgreSQL: runs of consecutive statements of at most [`JOINED_PARAMS_MAX`]
/// parameters in all are inlined and joined; a statement alone, a bigger one, or one
/// whose parameters cannot be literals (see `literals.rs`) keeps its parameters bound.
fn join_inlined(statements: Vec<Sql>) -> Vec<Joined> {
    let mut queries: Vec<Joined> = Vec::new();
    let mut run: Vec<Sql> = Vec::new();
    for sql in statements {
        let joinable = sql.params.len() <= JOINED_PARAMS_MAX && inlinable(&sql.params);
        let in_run: usize = run.iter().map(|s| s.params.len()).sum();
        if !joinable || in_run + sql.params.len() > JOINED_PARAMS_MAX {
            close_run(&mut run, &mut queries);
        }
        if joinable {
            run.push(sql);
        } else {
            queries.push(Joined::Bound(sql));
        }
    }
    close_run(&mut run, &mut queries);
    queries
}

/// Ends a run of [`join_inlined`]: one statement keeps its prepared form, more are
/// written out as one query.
fn close_run(run: &mut Vec<Sql>, queries: &mut Vec<Joined>) {
    let texts: Option<Vec<String>> = (run.len() > 1)
        .then(|| run.iter().map(|s| inline(&s.text, &s.params)).collect())
        .flatten();
    match texts {
        Some(texts) => {
            run.clear();
            queries.push(Joined::Inlined(texts.join(";\n")));
        }
        None => queries.extend(run.drain(..).map(Joined::Bound)),
    }
}

/// The dialect of an open connection.
pub(crate) fn dialect_of(conn: &sqlx::AnyConnection) -> Dialect {
    if conn.backend_name() == "SQLite" {
        Dialect::Sqlite
    } else {
        Dialect::Postgres
    }
}

/// Binds `params` to `q` in order.
pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Any, AnyArguments<'q>> {
    for p in params {
        q = match p {
            Param::Text(s) => q.bind(s.as_str()),
            Param::Int(i) => q.bind(*i),
            Param::Float(f) => q.bind(*f),
            Param::OptFloat(f) => q.bind(*f),
            Param::OptText(t) => q.bind(t.as_deref()),
        };
    }
    q
}

/// `%text%` for a case-insensitive `like ... escape '\'`.
pub(crate) fn like_pattern(text: &str) -> String {
    format!("%{}%", like_escape(&text.to_lowercase()))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `escape '\'`.
pub(crate) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Appends `<column> in ($a, $b, ...)`.
pub(crate) fn push_in(sql: &mut Sql, column: &str, values: &[&str]) {
    sql.push(column).push(" in (");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Param::Text((*v).to_owned()));
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement with `n` integer parameters.
    fn statement(n: usize) -> Sql {
        let mut sql = Sql::new("select ");
        for i in 0..n {
            sql.push(if i == 0 { "" } else { ", " });
            sql.bind(Param::Int(i as i64));
        }
        sql
    }

    fn shape(queries: &[Joined]) -> Vec<String> {
        queries
            .iter()
            .map(|q| match q {
                Joined::Bound(sql) => format!("bound {}", sql.params.len()),
                Joined::Inlined(text) => format!("inlined {}", text.split(";\n").count()),
            })
            .collect()
    }

    #[test]
    fn small_statements_join_up_to_the_parameter_cap() {
        let script = || {
            let mut with_nul = Sql::new("select ");
            with_nul.bind(Param::Text("a\0b".into()));
            vec![
                statement(2),
                statement(3),
                statement(300),
                statement(200),
                statement(100),
                statement(1),
                with_nul,
                statement(1),
            ]
        };
        assert_eq!(
            shape(&join_positional(script())),
            // 2 + 3 and 100 + 1 + 1 + 1 parameters share a query; 300 runs alone.
            ["bound 5", "bound 300", "bound 200", "bound 103"]
        );
        // PostgreSQL: a run of one keeps its prepared form; NUL text is never inlined.
        assert_eq!(
            shape(&join_inlined(script())),
            [
                "inlined 2",
                "bound 300",
                "bound 200",
                "inlined 2",
                "bound 1",
                "bound 1"
            ]
        );
    }
}
