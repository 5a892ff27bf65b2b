//! Domain rules and types: pure, no I/O. Request bodies are parsed into these types once
//! at the edge; after that a value is valid by construction.

pub mod accounts;
pub mod audit;
pub mod course;
pub mod csv_safety;
pub mod forecast;
pub mod formulation;
pub mod gs1;
pub mod gtin;
pub mod ids;
pub mod ledger;
pub mod lot;
pub mod order;
pub mod product;
pub mod quantity;
pub mod recall;
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
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            line: None,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

/// Collects every field error of a body, so the client can fix them all in one go.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Checks::default()
    }

    /// Records the error of `result`, if any, and passes its value on.
    pub fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
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

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
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
pub fn required_text(value: &str, max_chars: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("must not be empty".into());
    }
    if v.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    Ok(v.to_string())
}

/// Optional text: blank becomes `None`.
pub fn optional_text(value: Option<&str>, max_chars: usize) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(v, max_chars).map(Some),
    }
}
