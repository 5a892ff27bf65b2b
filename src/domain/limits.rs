//! The most one request may carry: every text field and every list of every JSON body,
//! in one table. The HTTP edge refuses a body over any of them (422 naming the field and
//! the limit) before a use case runs, so no request can hold a lock for long; the OpenAPI
//! document states the same numbers (`http::Limits`, a `Modify` that reads this table);
//! the use cases that take a list also check its length with `list`, so the web forms,
//! which reach them without the JSON edge, are bounded too. README § Limits lists them.
//!
//! A field is known by its JSON name wherever it appears (`name` is a clinic's, a
//! product's or a cocktail's name alike). A text field not in the table may hold
//! `TEXT` characters, a list not in the table `LIST` entries.

use serde_json::Value;

use super::FieldError;

/// Items (products used) in one session.
pub const ITEMS: usize = 50;
/// Components of one cocktail.
pub const COMPONENTS: usize = 20;
/// Areas of one cocktail (there are 8).
pub const AREAS: usize = 8;
/// Active ingredients of one product.
pub const INGREDIENTS: usize = 20;
/// Screening answers (conditions present) in one request.
pub const CONDITIONS: usize = 50;
/// Lines of one purchase order, one receipt against it, or one delivery.
pub const LINES: usize = 100;
/// Temperature readings in one request (a week of a logger's 10-minute readings; a
/// longer history goes through the readings CSV import).
pub const READINGS: usize = 10_000;
/// Any other list.
pub const LIST: usize = 100;

/// Names (clinic, staff, supplier, product, cocktail, token).
pub const NAME: usize = 200;
/// Reasons and messages (status changes, waste, overrides, rules).
pub const REASON: usize = 500;
/// Notes of a recall contact or case.
pub const NOTE: usize = 1000;
/// A GS1 code as scanned (element string, bracketed form or Digital Link), or an
/// invitation code.
pub const CODE: usize = 512;
/// A lot number (GS1 AI 10: at most 20 characters).
pub const LOT_NUMBER: usize = 20;
/// A pseudonymous patient code.
pub const PATIENT_REF: usize = 64;
/// A product's SKU.
pub const SKU: usize = 64;
/// One ingredient (of a product, or the subject of a rule).
pub const INGREDIENT: usize = 100;
/// A condition name (`diabetes`, a clinic's own).
pub const CONDITION: usize = 60;
/// An email address (RFC 5321).
pub const EMAIL: usize = 254;
/// A password.
pub const PASSWORD: usize = 128;
/// Any other text (ids, dates, decimals, vocabulary words).
pub const TEXT: usize = 200;

/// A JSON field's limits: the characters of its text (or of each text in its list) and
/// the entries of its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldLimit {
    pub field: &'static str,
    pub max_chars: Option<usize>,
    pub max_items: Option<usize>,
}

const fn text(field: &'static str, max: usize) -> FieldLimit {
    FieldLimit {
        field,
        max_chars: Some(max),
        max_items: None,
    }
}

const fn list(field: &'static str, max: usize, each: Option<usize>) -> FieldLimit {
    FieldLimit {
        field,
        max_chars: each,
        max_items: Some(max),
    }
}

/// Every field with its own limits.
pub const FIELDS: &[FieldLimit] = &[
    list("items", ITEMS, None),
    list("components", COMPONENTS, None),
    list("areas", AREAS, None),
    list("ingredients", INGREDIENTS, Some(INGREDIENT)),
    list("conditions", CONDITIONS, Some(CONDITION)),
    list("lines", LINES, None),
    list("readings", READINGS, None),
    text("name", NAME),
    text("reason", REASON),
    text("override_reason", REASON),
    text("area_override_reason", REASON),
    text("message", REASON),
    text("note", NOTE),
    text("code", CODE),
    text("lot_number", LOT_NUMBER),
    text("patient_ref", PATIENT_REF),
    text("sku", SKU),
    text("ingredient", INGREDIENT),
    text("condition", CONDITION),
    text("email", EMAIL),
    text("password", PASSWORD),
];

fn limit_of(field: &str) -> Option<&'static FieldLimit> {
    FIELDS.iter().find(|l| l.field == field)
}

/// The most characters of the text field `field` (or of each text in the list `field`).
pub fn max_chars(field: &str) -> usize {
    limit_of(field).and_then(|l| l.max_chars).unwrap_or(TEXT)
}

/// The most entries of the list `field`.
pub fn max_items(field: &str) -> usize {
    limit_of(field).and_then(|l| l.max_items).unwrap_or(LIST)
}

/// Why a field is over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("must be at most {max} characters (got {got})")]
    TooLong { max: usize, got: usize },
    #[error("must hold at most {max} entries (got {got}); split the request")]
    TooMany { max: usize, got: usize },
}

/// Checks a list's length against its limit; use cases call it for the lists they take.
pub fn list_len(field: &str, len: usize) -> Result<(), FieldError> {
    let max = max_items(field);
    if len > max {
        return Err(FieldError::new(
            field,
            LimitError::TooMany { max, got: len },
        ));
    }
    Ok(())
}

/// The first field of a JSON body over its limit, named like `serde_path_to_error` names
/// fields (`items[3].code`). Object keys count as text of the `TEXT` limit.
pub fn check(body: &Value) -> Result<(), FieldError> {
    let mut path = String::new();
    walk(body, "", &mut path)
}

fn walk(value: &Value, key: &str, path: &mut String) -> Result<(), FieldError> {
    let here = |path: &str| {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(s) => {
            let max = max_chars(key);
            // Counting stops one past the limit: a huge text costs no more than that.
            let got = s.chars().take(max + 1).count();
            if got > max {
                let got = s.chars().count();
                return Err(FieldError::new(
                    &here(path),
                    LimitError::TooLong { max, got },
                ));
            }
            Ok(())
        }
        Value::Array(entries) => {
            let max = max_items(key);
            if entries.len() > max {
                return Err(FieldError::new(
                    &here(path),
                    LimitError::TooMany {
                        max,
                        got: entries.len(),
                    },
                ));
            }
            for (i, v) in entries.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(v, key, path);
                path.truncate(len);
                found?;
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = if k.chars().take(TEXT + 1).count() > TEXT {
                    Err(FieldError::new(
                        &here(&path[..len]),
                        format!("has a field name longer than {TEXT} characters"),
                    ))
                } else {
                    walk(v, k, path)
                };
                path.truncate(len);
                found?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(body: Value) -> Option<(String, String)> {
        check(&body).err().map(|e| (e.field, e.message))
    }

    #[test]
    fn lists_and_texts_are_bounded_by_their_field() {
        assert_eq!(refused(json!({"name": "a".repeat(NAME)})), None);
        assert_eq!(
            refused(json!({"name": "a".repeat(NAME + 1)})),
            Some((
                "name".into(),
                "must be at most 200 characters (got 201)".into()
            ))
        );
        let items: Vec<Value> = (0..=ITEMS).map(|_| json!({"quantity": "1"})).collect();
        assert_eq!(
            refused(json!({"items": items})),
            Some((
                "items".into(),
                "must hold at most 50 entries (got 51); split the request".into()
            ))
        );
        assert_eq!(
            refused(json!({"items": [{"code": "1"}, {"code": "x".repeat(CODE + 1)}]})).map(|r| r.0),
            Some("items[1].code".into())
        );
        assert_eq!(
            refused(json!({"ingredients": ["ok", "i".repeat(INGREDIENT + 1)]})).map(|r| r.0),
            Some("ingredients[1]".into())
        );
        assert_eq!(
            refused(json!({"unknown": "u".repeat(TEXT + 1)})).map(|r| r.0),
            Some("unknown".into())
        );
        assert_eq!(
            refused(json!({"note": "n".repeat(NOTE)})),
            None,
            "a field's own limit beats the default"
        );
        assert!(list_len("lines", LINES).is_ok());
        assert_eq!(
            list_len("lines", LINES + 1).map_err(|e| e.field),
            Err("lines".to_string())
        );
    }

    #[test]
    fn every_field_is_listed_once() {
        for (i, l) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS[i + 1..].iter().all(|o| o.field != l.field),
                "{} twice",
                l.field
            );
        }
    }
}
