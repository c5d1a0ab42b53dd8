//! One check for every regular expression a client sends (`find[..][$regex]`, `/times`, `/slice`),
//! so a bad one is a 400 on both stores instead of a database error on one: it must compile with
//! its options on the embedded store's engine (size-limited), and must not stack quantifiers
//! (`a**`, `a{2}*`), which that engine accepts but MongoDB's PCRE refuses ("quantifier does not
//! follow a repeatable item").

use regex_syntax::ast::{Ast, Visitor, parse::ParserBuilder, visit};

/// Compiled size a pattern may reach.
const SIZE_LIMIT: usize = 1 << 20;

/// `Err` says what is wrong with `pattern` under `options` (`i`, `m`, `s`, `x`).
pub(crate) fn check(pattern: &str, options: &str) -> Result<(), String> {
    if pattern.contains('\0') {
        return Err("a NUL character (no store can hold it)".to_owned());
    }
    regex::RegexBuilder::new(pattern)
        .case_insensitive(options.contains('i'))
        .multi_line(options.contains('m'))
        .dot_matches_new_line(options.contains('s'))
        .ignore_whitespace(options.contains('x'))
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| summary(&e.to_string()).to_owned())?;
    let ast = ParserBuilder::new().ignore_whitespace(options.contains('x')).build().parse(pattern);
    let ast = ast.map_err(|e| summary(&e.to_string()).to_owned())?;
    visit(&ast, NoStackedQuantifier)
}

struct NoStackedQuantifier;

impl Visitor for NoStackedQuantifier {
    type Output = ();
    type Err = String;

    fn finish(self) -> Result<(), String> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), String> {
        match ast {
            Ast::Repetition(r) if matches!(*r.ast, Ast::Repetition(_)) => {
                Err("a quantifier follows a quantifier (MongoDB refuses it)".to_owned())
            }
            _ => Ok(()),
        }
    }
}

/// The `error: ...` line of a regex error message.
fn summary(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn stacked_quantifiers_are_refused_and_lazy_ones_kept() {
        assert!(check("a**", "").is_err());
        assert!(check(".**.png", "").is_err());
        assert!(check("a{2}*", "").is_err());
        assert!(check("a*?", "").is_ok(), "lazy");
        assert!(check("(a*)*", "").is_ok(), "a group is repeatable");
        assert!(check("^2026-12-0[1-3]T1[0-2]", "").is_ok());
        assert!(check("[ ]", "x").is_err(), "an empty class with x");
        assert!(check("(a", "").is_err());
        assert!(check("a\0", "").is_err());
    }
}
