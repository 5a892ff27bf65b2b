//! What an audit entry says changed: the fields whose values differ, as
//! `{field: [before, after]}`. A creation has every field with `null` before.

use serde_json::{Map, Value};

pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Map::new();
    for (k, av) in a {
        let bv = b.get(k).unwrap_or(&Value::Null);
        if bv != av {
            out.insert(k.clone(), Value::Array(vec![bv.clone(), av.clone()]));
        }
    }
    for (k, bv) in b {
        if !a.contains_key(k) {
            out.insert(k.clone(), Value::Array(vec![bv.clone(), Value::Null]));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_only_what_changed() {
        let before = json!({"name": "A", "lead_time_days": 3, "email": null});
        let after = json!({"name": "A", "lead_time_days": 5, "email": "x@y"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({"lead_time_days": [3, 5], "email": [null, "x@y"]})
        );
        assert_eq!(
            diff(None, Some(&json!({"name": "B"}))),
            json!({"name": [null, "B"]})
        );
    }
}
