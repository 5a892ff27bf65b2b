//! Treatment vocabulary: methods and body areas, from the clinic's protocols.

use super::product::text_enum;

text_enum!(
    Method {
        Injectable => "injectable",
        Roller => "roller",
        Dermapen => "dermapen",
        Prp => "prp",
    }
);

text_enum!(
    Area {
        Face => "face",
        Eyes => "eyes",
        Neck => "neck",
        Scalp => "scalp",
        Neckline => "neckline",
        Hands => "hands",
        Legs => "legs",
        Belly => "belly",
    }
);

text_enum!(
    /// A session is recorded, or voided (its movements reversed, nothing deleted).
    SessionStatus {
        Recorded => "recorded",
        Voided => "voided",
    }
);

impl Method {
    /// The method as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Method::Injectable => "Injectable",
            Method::Roller => "Roller",
            Method::Dermapen => "Dermapen",
            Method::Prp => "PRP",
        }
    }
}

/// How far back a session may be entered after the fact.
pub const MAX_BACKDATE_DAYS: i64 = 90;

/// A session is logged when it happens or entered later, within the back-dating window;
/// never ahead of time (five minutes of clock skew allowed).
pub fn check_performed_at(
    performed_at: chrono::NaiveDateTime,
    now: chrono::NaiveDateTime,
) -> Result<(), WhenError> {
    if performed_at > now + chrono::Duration::minutes(5) {
        Err(WhenError::Ahead)
    } else if performed_at < now - chrono::Duration::days(MAX_BACKDATE_DAYS) {
        Err(WhenError::TooOld)
    } else {
        Ok(())
    }
}

/// Why a session's time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("a session cannot be logged ahead of time")]
    Ahead,
    #[error("sessions can be entered at most {MAX_BACKDATE_DAYS} days after the fact")]
    TooOld,
}

/// Why a patient code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatientRefError {
    #[error("give the clinic's pseudonymous patient code")]
    Empty,
    #[error("a patient code has at most 64 characters")]
    TooLong,
    #[error("a patient code is one line of printable characters")]
    Control,
    #[error("a patient code must not contain text-direction controls (U+202A–U+202E, U+2066–U+2069) or start with U+FEFF: they make a code display as another")]
    Spoofing,
}

/// Bidirectional embedding, override and isolate controls: invisible, and they reorder
/// how the text around them is shown ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A pseudonymous patient code chosen by the clinic: never a name, so kept short and on
/// one line. Any printable characters are allowed (exports neutralise formulas).
pub fn parse_patient_ref(input: &str) -> Result<String, PatientRefError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(PatientRefError::Empty);
    }
    if s.chars().count() > super::limits::PATIENT_REF {
        return Err(PatientRefError::TooLong);
    }
    if s.chars().any(char::is_control) {
        return Err(PatientRefError::Control);
    }
    if s.starts_with('\u{FEFF}') || s.chars().any(is_bidi_control) {
        return Err(PatientRefError::Spoofing);
    }
    Ok(s.to_string())
}

/// What a time sent in a JSON body must look like.
pub const TIME_FORM: &str =
    "an RFC 3339 time with a date, a time and an offset, e.g. 2026-11-20T10:30:00Z";

/// Serde reader of an optional time in a JSON body (absent or `null` is `None`); a value
/// that is not a full RFC 3339 time says the accepted form instead of chrono's bare
/// "premature end of input". Use with `#[serde(default, deserialize_with = "…")]`.
pub fn time_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(d)?;
    text.map(|t| {
        t.parse::<chrono::DateTime<chrono::Utc>>()
            .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a time; send {TIME_FORM}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_codes_cannot_hide_their_direction() {
        for bad in [
            "PAT\u{202E}1-TAP",
            "\u{2066}P-1",
            "\u{FEFF}P-1",
            "P\u{2069}",
        ] {
            assert_eq!(
                parse_patient_ref(bad),
                Err(PatientRefError::Spoofing),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_patient_ref(" P-1\u{FEFF}x ").as_deref(),
            Ok("P-1\u{FEFF}x")
        );
    }

    #[test]
    fn sessions_are_entered_within_the_window_and_never_ahead() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert!(check_performed_at(now, now).is_ok());
        assert!(check_performed_at(now + chrono::Duration::minutes(4), now).is_ok());
        assert!(check_performed_at(now + chrono::Duration::minutes(6), now).is_err());
        assert!(check_performed_at(now - chrono::Duration::days(90), now).is_ok());
        assert!(check_performed_at(now - chrono::Duration::days(91), now).is_err());
    }
}
