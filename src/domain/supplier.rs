//! Suppliers: who delivers, and how long an order takes to arrive.

use super::{optional_text, quantity, required_text, Checks, FieldError};
use crate::domain::requests::SupplierInput;

#[derive(Debug, Clone, PartialEq)]
pub struct ValidSupplier {
    pub name: String,
    pub lead_time_days: i64,
    pub email: Option<String>,
}

impl TryFrom<SupplierInput> for ValidSupplier {
    type Error = Vec<FieldError>;

    fn try_from(s: SupplierInput) -> Result<Self, Self::Error> {
        let mut c = Checks::new();
        let name = c.take("name", required_text(&s.name, super::limits::NAME));
        let lead_time_days = c.take("lead_time_days", quantity::count(s.lead_time_days, 0, 365));
        let email = c.take(
            "email",
            optional_text(s.email.as_deref(), super::limits::EMAIL),
        );
        if let Some(Some(e)) = &email {
            if !e.contains('@') || e.contains(char::is_whitespace) {
                c.fail("email", "is not an email address");
            }
        }
        c.into_result()?;
        match (name, lead_time_days, email) {
            (Some(name), Some(lead_time_days), Some(email)) => Ok(ValidSupplier {
                name,
                lead_time_days,
                email,
            }),
            _ => Err(vec![FieldError::new("body", "invalid supplier")]),
        }
    }
}
