//! Stored times are UTC without an offset (`NaiveDateTime`). Rows serialised into
//! answers or audit entries write them as RFC 3339 ending in `Z`, exactly as the views'
//! `DateTime<Utc>` do: `#[serde(serialize_with = "crate::db::utc::ser")]`.

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

pub fn ser<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    t.and_utc().serialize(s)
}

pub fn ser_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    t.map(|t| t.and_utc()).serialize(s)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Row {
        #[serde(serialize_with = "super::ser")]
        at: chrono::NaiveDateTime,
        #[serde(serialize_with = "super::ser_opt")]
        maybe: Option<chrono::NaiveDateTime>,
    }

    #[test]
    fn writes_utc_with_z() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T17:21:24.159874Z")
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        let json = serde_json::to_string(&Row {
            at,
            maybe: Some(at),
        })
        .unwrap_or_default();
        assert_eq!(
            json,
            r#"{"at":"2026-11-30T17:21:24.159874Z","maybe":"2026-11-30T17:21:24.159874Z"}"#
        );
    }
}
