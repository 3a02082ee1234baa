//! PostgreSQL statements with their parameters written in as typed literals, so that
//! several statements of a [`crate::sql::Script`] go to the server as one simple query:
//! one round trip instead of one per statement.
//!
//! Each `$n` becomes a literal of the type sqlx binds for that parameter (`text`,
//! `int8`, `float8`), so the statement means what it meant with bound parameters.
//! Text is written as an escape string (`E'...'`), whose meaning does not depend on
//! `standard_conforming_strings`. A text holding a NUL byte cannot travel in a simple
//! query (the message is a C string): such a statement is not inlined at all.

use std::fmt::Write;

use crate::sql::Param;

/// Whether every parameter can be written as a literal: no text holds a NUL byte.
pub(crate) fn inlinable(params: &[Param]) -> bool {
    params.iter().all(|p| match p {
        Param::Text(s) | Param::OptText(Some(s)) => !s.contains('\0'),
        _ => true,
    })
}

/// `text` with each `$n` outside quoted literals and identifiers replaced by the
/// literal of `params[n - 1]`; `None` when a parameter cannot be written as a literal
/// (see [`inlinable`]) or a placeholder names no parameter.
pub(crate) fn inline(text: &str, params: &[Param]) -> Option<String> {
    if !inlinable(params) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + params.len() * 16);
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') if chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => {
                let mut n = 0usize;
                while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                    n = n.checked_mul(10)?.checked_add(d.to_digit(10)? as usize)?;
                    chars.next();
                }
                literal(&mut out, params.get(n.checked_sub(1)?)?)?;
                continue;
            }
            (None, _) => {}
        }
        out.push(c);
    }
    Some(out)
}

/// Writes `p` as a parenthesised literal of its bound type.
fn literal(out: &mut String, p: &Param) -> Option<()> {
    match p {
        Param::Text(s) | Param::OptText(Some(s)) => text(out, s),
        Param::OptText(None) => out.push_str("(null::text)"),
        Param::Int(i) => write!(out, "({i}::int8)").ok()?,
        Param::Float(f) | Param::OptFloat(Some(f)) => float(out, *f),
        Param::OptFloat(None) => out.push_str("(null::float8)"),
    }
    Some(())
}

/// An escape string literal of text without NUL bytes.
fn text(out: &mut String, s: &str) {
    out.push_str("(E'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push_str("'::text)");
}

/// A float literal; Rust prints the shortest text that reads back as the same value.
fn float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("('NaN'::float8)");
    } else if f.is_infinite() {
        let sign = if f > 0.0 { "" } else { "-" };
        let _ = write!(out, "('{sign}Infinity'::float8)");
    } else {
        let _ = write!(out, "('{f}'::float8)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_typed_literals() {
        let params = [
            Param::Text("it's a \\ test $1".into()),
            Param::Int(-42),
            Param::Float(0.1),
            Param::OptFloat(None),
            Param::OptText(None),
            Param::OptText(Some("x".into())),
            Param::Float(f64::NEG_INFINITY),
        ];
        let sql = "insert into t values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing";
        assert_eq!(
            inline(sql, &params).unwrap(),
            "insert into t values ((E'it''s a \\\\ test $1'::text), (-42::int8), \
             ('0.1'::float8), (null::float8), (null::text), (E'x'::text), \
             ('-Infinity'::float8)) on conflict do nothing"
        );
    }

    #[test]
    fn quoted_text_and_two_digit_placeholders_are_read_right() {
        let params: Vec<Param> = (1..=11).map(Param::Int).collect();
        let sql = "select '$1', \"$2\", $11, $1, E'a''$3'";
        assert_eq!(
            inline(sql, &params).unwrap(),
            "select '$1', \"$2\", (11::int8), (1::int8), E'a''$3'"
        );
    }

    #[test]
    fn nul_bytes_and_unknown_placeholders_are_not_inlined() {
        assert!(inline("select $1", &[Param::Text("a\0b".into())]).is_none());
        assert!(inline("select $2", &[Param::Int(1)]).is_none());
        assert!(inline("select $0", &[Param::Int(1)]).is_none());
    }
}
