//! Spreadsheet formula injection (OWASP, CWE-1236): a text cell that starts with `=`,
//! `+`, `-`, `@`, tab, carriage return or line feed could be run as a formula when the
//! file is opened. Such cells get a leading `'`, which spreadsheets show as text; the rest
//! of the text is kept. Numbers and dates the service writes itself are never changed,
//! so a quantity of `-2` stays a number.

use std::borrow::Cow;

pub fn neutralize(cell: &str) -> Cow<'_, str> {
    // A leading byte-order mark is invisible and some spreadsheets skip it before
    // deciding whether the cell is a formula; the full-width signs are folded to their
    // ASCII forms by others (NFKC), so both start a formula too.
    match cell.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '\u{FEFF}' | '＝' | '＋' | '－' | '＠',
        ) => Cow::Owned(format!("'{cell}")),
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
        for s in [
            "+1",
            "-A",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\nx",
            "\u{FEFF}=1",
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
        ] {
            assert_eq!(neutralize(s), format!("'{s}"));
        }
        for s in ["PAT-1", "", "a=b", "1-2"] {
            assert_eq!(neutralize(s), s);
        }
    }
}
