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

/// How far back a session, or a delivery, may be entered after the fact.
pub const MAX_BACKDATE_DAYS: i64 = 90;

/// The back-dating window of everything entered after it happened (a session's
/// `performed_at`, a delivery's `received_at`): at most `MAX_BACKDATE_DAYS` back, never
/// ahead of time (five minutes of clock skew allowed).
pub fn check_back_dating(
    when: chrono::NaiveDateTime,
    now: chrono::NaiveDateTime,
) -> Result<(), WhenError> {
    if when > now + chrono::Duration::minutes(5) {
        Err(WhenError::Ahead)
    } else if when < now - chrono::Duration::days(MAX_BACKDATE_DAYS) {
        Err(WhenError::TooOld)
    } else {
        Ok(())
    }
}

/// Why a time entered after the fact is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("cannot be ahead of time: enter it once it has happened")]
    Ahead,
    #[error("can be entered at most {MAX_BACKDATE_DAYS} days after the fact")]
    TooOld,
}

/// Why a patient code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatientRefError {
    #[error("give the clinic's pseudonymous patient code")]
    Empty,
    #[error("a patient code has at most 64 characters")]
    TooLong,
    #[error("a patient code is one line of printable characters")]
    Control,
    #[error("a patient code must not contain text-direction controls (U+202A–U+202E, U+2066–U+2069) or start with U+FEFF: they make a code display as another")]
    Spoofing,
    /// Most often a name typed where the code goes.
    #[error("this is not a patient code: only the clinic's pseudonymous codes may be stored, never a name; {0}")]
    NotACode(String),
}

/// The built-in patient code pattern: letters, digits, `.`, `_` and `-`, no spaces, at
/// most 40 characters.
pub const DEFAULT_PATIENT_CODE_PATTERN: &str = "[A-Za-z0-9._-]{1,40}";

/// The longest pattern a clinic may set, and the most memory it may compile to: a
/// pattern is checked on every session, so it stays small.
pub const PATIENT_CODE_PATTERN_LEN: usize = 200;
const PATTERN_SIZE_LIMIT: usize = 1 << 16;

/// A clinic's rule for what a patient code looks like: the built-in one, or a regular
/// expression the whole code must match (anchored at both ends).
#[derive(Debug, Clone)]
pub enum PatientCodePattern {
    Builtin,
    Clinic { source: String, regex: regex::Regex },
}

/// Why a clinic's patient code pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("a pattern has at most {PATIENT_CODE_PATTERN_LEN} characters")]
    TooLong,
    #[error("not a usable regular expression: {0}")]
    Invalid(String),
}

impl PatientCodePattern {
    /// Compiles a clinic's pattern with bounded size and nesting, so no pattern can make
    /// the service slow or large. An empty pattern is the built-in one.
    pub fn parse(source: &str) -> Result<Self, PatternError> {
        let source = source.trim();
        if source.chars().count() > PATIENT_CODE_PATTERN_LEN {
            return Err(PatternError::TooLong);
        }
        if source.is_empty() || source == DEFAULT_PATIENT_CODE_PATTERN {
            return Ok(PatientCodePattern::Builtin);
        }
        let regex = regex::RegexBuilder::new(&format!("^(?:{source})$"))
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .nest_limit(16)
            .build()
            .map_err(|e| {
                // regex's own text is several lines with a caret; its last line says why.
                let text = e.to_string();
                let why = text.lines().last().unwrap_or("invalid").trim().to_string();
                PatternError::Invalid(why)
            })?;
        Ok(PatientCodePattern::Clinic {
            source: source.to_string(),
            regex,
        })
    }

    /// The clinic's stored pattern, or the built-in one. A stored pattern was checked when
    /// it was set; one that no longer compiles falls back to the built-in (strict) one.
    pub fn of_clinic(stored: Option<&str>) -> Self {
        stored
            .and_then(|s| Self::parse(s).ok())
            .unwrap_or(PatientCodePattern::Builtin)
    }

    /// The pattern as written (the built-in one as `DEFAULT_PATIENT_CODE_PATTERN`).
    pub fn as_str(&self) -> &str {
        match self {
            PatientCodePattern::Builtin => DEFAULT_PATIENT_CODE_PATTERN,
            PatientCodePattern::Clinic { source, .. } => source,
        }
    }

    /// What the clinic stores: nothing for the built-in pattern.
    pub fn stored(&self) -> Option<String> {
        match self {
            PatientCodePattern::Builtin => None,
            PatientCodePattern::Clinic { source, .. } => Some(source.clone()),
        }
    }

    fn accepts(&self, code: &str) -> bool {
        match self {
            // DEFAULT_PATIENT_CODE_PATTERN, by hand: no regex to build, nothing to fail.
            PatientCodePattern::Builtin => {
                (1..=40).contains(&code.chars().count())
                    && code
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            }
            PatientCodePattern::Clinic { regex, .. } => regex.is_match(code),
        }
    }

    fn why(&self) -> String {
        match self {
            PatientCodePattern::Builtin => "a code is letters, digits, '.', '_' and '-', without spaces, at most 40 characters (e.g. P-0042)".into(),
            PatientCodePattern::Clinic { source, .. } => {
                format!("a code must match this clinic's pattern {source}")
            }
        }
    }
}

/// A patient code as the clinic's pattern allows it (after `parse_patient_ref`).
pub fn parse_patient_code(
    input: &str,
    pattern: &PatientCodePattern,
) -> Result<String, PatientRefError> {
    let code = parse_patient_ref(input)?;
    if pattern.accepts(&code) {
        Ok(code)
    } else {
        Err(PatientRefError::NotACode(pattern.why()))
    }
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
    text.map(|t| parse_time(&t).map_err(serde::de::Error::custom))
        .transpose()
}

/// Serde reader of a required time in a JSON body, with `parse_time`'s message.
pub fn time<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<chrono::DateTime<chrono::Utc>, D::Error> {
    let text: String = serde::Deserialize::deserialize(d)?;
    parse_time(&text).map_err(serde::de::Error::custom)
}

/// A time as people send it (JSON bodies, CSV cells): RFC 3339, or a message saying so.
pub fn parse_time(t: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    t.parse::<chrono::DateTime<chrono::Utc>>()
        .map_err(|_| format!("{t:?} is not a time; send {TIME_FORM}"))
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
    fn names_are_not_patient_codes() {
        let builtin = PatientCodePattern::Builtin;
        let long = "X".repeat(40);
        for good in ["P-0042", "pat_7", "A.B-9", long.as_str()] {
            assert_eq!(parse_patient_code(good, &builtin).as_deref(), Ok(good));
        }
        let too_long = "X".repeat(41);
        for bad in [
            "Marie Dupont",
            "Dupont, M.",
            "P 42",
            "Zoé-1",
            too_long.as_str(),
        ] {
            let e = parse_patient_code(bad, &builtin).unwrap_err();
            assert!(e.to_string().contains("never a name"), "{bad}: {e}");
        }
        let clinic = PatientCodePattern::parse("MC-[0-9]{4}").unwrap();
        assert!(parse_patient_code("MC-0042", &clinic).is_ok());
        let e = parse_patient_code("Marie", &clinic).unwrap_err();
        assert!(e.to_string().contains("MC-[0-9]{4}"), "{e}");
        // Anchored: a pattern matching part of the input does not accept it.
        assert!(parse_patient_code("xMC-0042", &clinic).is_err());
        assert!(parse_patient_code("MC-0042 Marie", &clinic).is_err());
    }

    #[test]
    fn clinic_patterns_are_checked_and_bounded() {
        assert!(matches!(
            PatientCodePattern::parse("[a-z"),
            Err(PatternError::Invalid(_))
        ));
        assert_eq!(
            PatientCodePattern::parse(&"a".repeat(201)).unwrap_err(),
            PatternError::TooLong
        );
        // Empty, or the default written out, is the built-in pattern.
        assert_eq!(PatientCodePattern::parse(" ").unwrap().stored(), None);
        assert_eq!(
            PatientCodePattern::parse(DEFAULT_PATIENT_CODE_PATTERN)
                .unwrap()
                .stored(),
            None
        );
        // A pattern that would compile past the size limit is refused, not built.
        assert!(PatientCodePattern::parse("(\\w{1,100}){1,100}").is_err());
        // A stored pattern that no longer compiles falls back to the built-in one.
        assert_eq!(
            PatientCodePattern::of_clinic(Some("[")).as_str(),
            DEFAULT_PATIENT_CODE_PATTERN
        );
    }

    #[test]
    fn sessions_are_entered_within_the_window_and_never_ahead() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert!(check_back_dating(now, now).is_ok());
        assert!(check_back_dating(now + chrono::Duration::minutes(4), now).is_ok());
        assert!(check_back_dating(now + chrono::Duration::minutes(6), now).is_err());
        assert!(check_back_dating(now - chrono::Duration::days(90), now).is_ok());
        assert!(check_back_dating(now - chrono::Duration::days(91), now).is_err());
    }
}
