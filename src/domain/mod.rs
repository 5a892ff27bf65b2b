//! Domain rules and types: pure, no I/O. Request bodies are parsed into these types once
//! at the edge; after that a value is valid by construction.

pub mod accounts;
pub mod audit;
pub mod cold_chain;
pub mod course;
pub mod csv_safety;
pub mod forecast;
pub mod formulation;
pub mod gs1;
pub mod gtin;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod lot;
pub mod order;
pub mod product;
pub mod quantity;
pub mod recall;
pub mod requests;
pub mod role;
pub mod screening;
pub mod stock;
pub mod supplier;
pub mod treatment;
pub mod usage;

use serde::Serialize;

/// One invalid field and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The line of an imported CSV file (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl std::fmt::Display) -> Self {
        FieldError {
            line: None,
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

/// A value that is not one of a vocabulary's names (see `product::text_enum!`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("choose one of: {}", .0.join(", "))]
    Missing(&'static [&'static str]),
    #[error("unknown value {value:?}; use one of: {}", allowed.join(", "))]
    Unknown {
        value: String,
        allowed: &'static [&'static str],
    },
}

/// Collects every field error of a body, so the client can fix them all in one go.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Checks::default()
    }

    /// Records the error of `result`, if any, and passes its value on. Domain errors are
    /// typed; their `Display` is the message a person reads.
    pub fn take<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// Adds errors found by a part of the check (say, one item of a list).
    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    pub fn fail(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// Trims a required text field and checks its length in characters.
pub fn required_text(value: &str, max_chars: usize) -> Result<String, TextError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(TextError::Empty);
    }
    if v.chars().count() > max_chars {
        return Err(TextError::TooLong(max_chars));
    }
    Ok(v.to_string())
}

/// Why a text field is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
}

/// The first C0 control character of `value` other than tab, line feed, carriage
/// return and the GS1 group separator (U+001D, which barcode scanners type between the
/// fields of a code). NUL and its kin are never text a person typed (PostgreSQL refuses
/// NUL outright), so the HTTP edge refuses them in every field, path and query parameter.
pub fn forbidden_control(value: &str) -> Option<char> {
    value
        .chars()
        .find(|c| u32::from(*c) < 0x20 && !matches!(c, '\t' | '\n' | '\r' | '\u{1d}'))
}

/// A text that carries a control character (see `forbidden_control`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must not contain control characters (found U+{:04X}); remove it", u32::from(*.0))]
pub struct ControlCharError(pub char);

/// `Ok` unless `value` carries a forbidden control character.
pub fn no_control(value: &str) -> Result<(), ControlCharError> {
    forbidden_control(value).map_or(Ok(()), |c| Err(ControlCharError(c)))
}

/// Optional text: blank becomes `None`.
pub fn optional_text(value: Option<&str>, max_chars: usize) -> Result<Option<String>, TextError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(v, max_chars).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_line_breaks_kept() {
        assert_eq!(forbidden_control("a\u{0}b"), Some('\u{0}'));
        assert_eq!(forbidden_control("bell\u{7}"), Some('\u{7}'));
        assert_eq!(forbidden_control("two\nlines\r\n\tindented"), None);
        assert_eq!(forbidden_control("0109501101020917\u{1d}10AB"), None);
        assert!(no_control("é ok").is_ok());
        assert_eq!(
            no_control("\u{1b}").unwrap_err().to_string(),
            "must not contain control characters (found U+001B); remove it"
        );
    }
}
