//! A small builder for statements with a variable number of `$n` parameters.
//!
//! sqlx's `QueryBuilder` writes `?` placeholders for the `Any` driver, which
//! PostgreSQL refuses; both backends accept `$1, $2, ...`, so this numbers them itself.

use labelhive_domain::store::StoreResult;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row, Transaction};

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

/// Most parameters of one joined query on SQLite. A statement with more (a chunk of a
/// large batch) runs alone: its text repeats from request to request, so it stays one
/// cached prepared statement, and no joined query grows with the batch.
const JOINED_PARAMS_MAX: usize = 256;

/// Write statements of one transaction, run in order by [`Script::run`]. sqlx hands
/// every SQLite query to the connection's own thread and waits for the answer, about
/// 50 microseconds on this project's 2-core machines whatever the statement; a small
/// write of a dozen statements spent most of its time there. On SQLite consecutive
/// small statements therefore go as one multi-statement query, one hand-off; on
/// PostgreSQL, whose extended protocol takes one statement per query, one by one.
#[derive(Debug, Default)]
pub(crate) struct Script {
    statements: Vec<Sql>,
}

impl Script {
    /// Appends a statement; it runs after those added before it.
    pub fn add(&mut self, sql: Sql) {
        self.statements.push(sql);
    }

    /// Runs every statement in order inside `tx`.
    pub async fn run(self, tx: &mut Transaction<'_, Any>) -> StoreResult<()> {
        let dialect = dialect_of(tx);
        let mut queries: Vec<Sql> = Vec::new();
        for sql in self.statements {
            match queries.last_mut() {
                // sqlx binds bare `?` placeholders across the statements of one query
                // in order, so the parameter lists simply follow each other. Only the
                // SQLite text is joined: a joined query never runs on PostgreSQL.
                Some(open)
                    if dialect == Dialect::Sqlite
                        && open.params.len() + sql.params.len() <= JOINED_PARAMS_MAX =>
                {
                    open.positional.push_str(";\n");
                    open.positional.push_str(&sql.positional);
                    open.params.extend(sql.params);
                }
                _ => queries.push(sql),
            }
        }
        for sql in &queries {
            sql.query_on(dialect).execute(&mut **tx).await.map_err(db)?;
        }
        Ok(())
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
