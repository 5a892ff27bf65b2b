//! Spreadsheet formula injection (OWASP, CWE-1236): a text cell that starts with `=`,
//! `+`, `-`, `@`, tab, carriage return or line feed could be run as a formula when the
//! file is opened. Such cells get a leading `'`, which spreadsheets show as text; the rest
//! of the text is kept. Numbers and dates the service writes itself are never changed,
//! so a quantity of `-2` stays a number.

use std::borrow::Cow;

pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_keep_their_content() {
        assert_eq!(
            neutralize("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for s in ["+1", "-A", "@SUM(A1)", "\tx", "\rx", "\nx"] {
            assert_eq!(neutralize(s), format!("'{s}"));
        }
        for s in ["PAT-1", "", "a=b", "1-2"] {
            assert_eq!(neutralize(s), s);
        }
    }
}
