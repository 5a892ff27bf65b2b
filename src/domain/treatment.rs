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

/// A pseudonymous patient code chosen by the clinic: never a name, so kept short and on
/// one line. Any printable characters are allowed (exports neutralise formulas).
pub fn parse_patient_ref(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("give the clinic's pseudonymous patient code".into());
    }
    if s.chars().count() > 64 {
        return Err("a patient code has at most 64 characters".into());
    }
    if s.chars().any(char::is_control) {
        return Err("a patient code is one line of printable characters".into());
    }
    Ok(s.to_string())
}
