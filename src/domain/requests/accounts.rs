//! Clinics, staff, invitations and named tokens.

use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicInput {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicPatch {
    pub name: Option<String>,
    /// Days before expiry from which lots are flagged `expiring` (default 30).
    pub expiry_warning_days: Option<i64>,
    /// A regular expression every new patient code must match whole (at most 200
    /// characters, e.g. `MC-[0-9]{4}`); an empty string goes back to the built-in
    /// `[A-Za-z0-9._-]{1,40}`. Codes already stored are kept.
    pub patient_code_pattern: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    pub name: String,
    /// `manager`, `practitioner` or `auditor`.
    pub role: String,
    /// The email they will sign in with (unique, compared case-insensitively).
    #[serde(default)]
    pub email: Option<String>,
}

/// What `PATCH /staff/{id}` may change. `None` keeps the value.
#[derive(Debug, Default, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    pub name: Option<String>,
    /// `manager`, `practitioner` or `auditor`; never `admin`.
    pub role: Option<String>,
    /// `false` ends the person's browser sessions and tokens at once.
    pub active: Option<bool>,
    /// The sign-in email; an empty string removes it (and so the way to sign in).
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    pub name: String,
    /// `manager`, `practitioner` or `auditor`.
    pub role: String,
    /// The email they will sign in with (required: the invitation is for it).
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationInput {
    pub code: String,
    /// 12 to 128 characters, not the person's email or name.
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// What the token is for, e.g. "label printer".
    pub name: String,
}
