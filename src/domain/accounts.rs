//! Account rules: emails, passwords, the sign-in rate limit, browser-session expiry and
//! the same-origin check of cookie requests. Pure; the use cases are in
//! `services::accounts`.

use chrono::{Duration, NaiveDateTime};

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = super::limits::PASSWORD;
/// How long an invitation code works.
pub const INVITATION_HOURS: i64 = 72;

/// Trims and lower-cases an email, so that it compares case-insensitively, and checks
/// its shape (something@domain, no spaces, at most 254 characters).
pub fn normalize_email(input: &str) -> Result<String, EmailError> {
    let email = input.trim().to_lowercase();
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    };
    if email.is_empty() {
        return Err(EmailError::Empty);
    }
    if !ok || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::Shape);
    }
    if email.chars().count() > super::limits::EMAIL {
        return Err(EmailError::TooLong);
    }
    Ok(email)
}

/// Why an email address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("must not be empty")]
    Empty,
    #[error("must be an email address such as lea@clinic.example")]
    Shape,
    #[error("must be at most 254 characters")]
    TooLong,
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {PASSWORD_MIN_CHARS} characters (it has {0})")]
    TooShort(usize),
    #[error("must be at most {PASSWORD_MAX_CHARS} characters (it has {0})")]
    TooLong(usize),
    #[error("must not be your email address")]
    IsEmail,
    #[error("must not be your name")]
    IsName,
}

/// 12 to 128 characters, and not the person's email or name.
pub fn check_password(
    password: &str,
    email: Option<&str>,
    name: &str,
) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort(n));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(PasswordError::TooLong(n));
    }
    let folded = password.trim().to_lowercase();
    if email.is_some_and(|e| e.trim().to_lowercase() == folded) {
        return Err(PasswordError::IsEmail);
    }
    if name.trim().to_lowercase() == folded {
        return Err(PasswordError::IsName);
    }
    Ok(())
}

/// At most `max` failures within `window`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub max: usize,
    pub window: Duration,
}

/// Five failed sign-ins per email within 15 minutes.
pub const PER_EMAIL: RateLimit = RateLimit {
    max: 5,
    window: Duration::minutes(15),
};

/// Twenty failed sign-ins per client address within 15 minutes (several people may sit
/// behind one clinic router, so this is looser than the per-email limit).
pub const PER_ADDRESS: RateLimit = RateLimit {
    max: 20,
    window: Duration::minutes(15),
};

/// Failed bearer tokens allowed per client address and minute unless configured
/// (`MESOLEDGER_AUTH_FAILURES_PER_MINUTE`): generous, so a clinic behind one router never
/// meets it by mistake, while guessing tokens gets nowhere.
pub const TOKEN_FAILURES_PER_MINUTE: usize = 60;

/// The bearer-token limit for `per_minute` failures (at least one).
pub fn token_failures(per_minute: usize) -> RateLimit {
    RateLimit {
        max: per_minute.max(1),
        window: Duration::minutes(1),
    }
}

/// The shortest admin token accepted from configuration: a guessable bootstrap token
/// would hand over every clinic.
pub const ADMIN_TOKEN_MIN_CHARS: usize = 32;

/// Why a configured admin token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("MESOLEDGER_ADMIN_TOKEN has {0} characters; use at least {ADMIN_TOKEN_MIN_CHARS} random ones (e.g. the output of `openssl rand -hex 32`), or leave it unset to have one generated")]
pub struct AdminTokenTooShort(pub usize);

/// Checks a configured admin token (trimmed, as the bootstrap stores it).
pub fn check_admin_token(token: &str) -> Result<(), AdminTokenTooShort> {
    let n = token.trim().chars().count();
    if n < ADMIN_TOKEN_MIN_CHARS {
        return Err(AdminTokenTooShort(n));
    }
    Ok(())
}

impl RateLimit {
    /// The start of the window that ends now.
    pub fn since(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.window
    }

    /// Given the failures inside the window (oldest first), whole seconds until another
    /// attempt is allowed, or `None` when it is allowed now.
    pub fn retry_after(&self, failures: &[NaiveDateTime], now: NaiveDateTime) -> Option<i64> {
        let n = failures.len();
        if n < self.max {
            return None;
        }
        // Once this one leaves the window, fewer than `max` remain.
        let freeing = failures.get(n - self.max)?;
        let wait = *freeing + self.window - now;
        let ms = wait.num_milliseconds();
        Some(((ms + 999) / 1000).max(1))
    }
}

/// How long a browser session lives: idle and absolute limits.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionLimits {
    /// A session is live while it was seen within the idle limit and before its absolute
    /// end.
    pub fn is_live(
        &self,
        now: NaiveDateTime,
        last_seen: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> bool {
        now < expires_at && now - last_seen < self.idle
    }
}

/// The origin (`scheme://host[:port]`) of a URL, lower-cased, without path.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if scheme.is_empty() || host.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_lowercase(),
        host.to_lowercase()
    ))
}

/// A cookie request is same-origin when its `Origin` header (or, without one, its
/// `Referer`) names one of the service's own origins. Neither header → not same-origin.
pub fn is_same_origin(origin: Option<&str>, referer: Option<&str>, own: &[String]) -> bool {
    let claimed = match origin {
        Some(o) => origin_of(o),
        None => referer.and_then(origin_of),
    };
    claimed.is_some_and(|c| own.contains(&c))
}

/// A clinic keeps at least one active manager: the last one can be neither given another
/// role nor deactivated, or nobody in the clinic could manage its stock and staff again.
pub fn keeps_a_manager(
    was_active_manager: bool,
    stays_active_manager: bool,
    other_active_managers: usize,
) -> Result<(), &'static str> {
    if was_active_manager && !stays_active_manager && other_active_managers == 0 {
        Err("this is the clinic's last active manager; make someone else manager first")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn the_last_active_manager_stays() {
        assert!(keeps_a_manager(true, false, 0).is_err());
        assert!(keeps_a_manager(true, false, 1).is_ok());
        assert!(keeps_a_manager(true, true, 0).is_ok());
        assert!(keeps_a_manager(false, false, 0).is_ok());
    }

    #[test]
    fn emails_are_trimmed_lower_cased_and_shaped() {
        assert_eq!(
            normalize_email("  Lea@Clinic.Example ").unwrap(),
            "lea@clinic.example"
        );
        for bad in [
            "",
            "lea",
            "@clinic",
            "lea@",
            "le a@clinic.example",
            "a@b@c",
            "a@.b",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_rules() {
        assert!(check_password("short", None, "Léa").is_err());
        assert!(check_password(&"x".repeat(129), None, "Léa").is_err());
        assert!(
            check_password(&"é".repeat(12), None, "Léa").is_ok(),
            "characters, not bytes"
        );
        assert!(check_password("LEA@CLINIC.EXAMPLE", Some("lea@clinic.example"), "Léa").is_err());
        assert!(check_password("Léa Martin Dupont", None, "léa martin dupont").is_err());
        assert!(check_password("correct horse battery", Some("lea@clinic.example"), "Léa").is_ok());
    }

    #[test]
    fn the_sixth_failure_waits_until_the_first_leaves_the_window() {
        let now = t(600);
        let four: Vec<_> = (0..4).map(|i| t(i * 60)).collect();
        assert_eq!(PER_EMAIL.retry_after(&four, now), None);
        let five: Vec<_> = (0..5).map(|i| t(i * 60)).collect();
        // The first failure at t(0) leaves the 15-minute window at t(900).
        assert_eq!(PER_EMAIL.retry_after(&five, now), Some(300));
        let seven: Vec<_> = (0..7).map(|i| t(i * 60)).collect();
        assert_eq!(PER_EMAIL.retry_after(&seven, now), Some(420));
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let l = SessionLimits::default();
        let start = t(0);
        let end = start + l.absolute;
        assert!(l.is_live(t(60), start, end));
        assert!(!l.is_live(t(31 * 60), start, end), "idle for 31 minutes");
        assert!(l.is_live(end - Duration::minutes(1), end - Duration::minutes(2), end));
        assert!(
            !l.is_live(end, end - Duration::minutes(1), end),
            "12 hours are over"
        );
    }

    #[test]
    fn same_origin_needs_a_matching_origin_or_referer() {
        let own = vec!["http://127.0.0.1:8080".to_string()];
        assert!(is_same_origin(Some("http://127.0.0.1:8080"), None, &own));
        assert!(is_same_origin(
            None,
            Some("http://127.0.0.1:8080/sign-in?x=1"),
            &own
        ));
        assert!(!is_same_origin(
            Some("https://evil.example"),
            Some("http://127.0.0.1:8080/"),
            &own
        ));
        assert!(!is_same_origin(Some("null"), None, &own));
        assert!(!is_same_origin(None, None, &own));
        assert!(!is_same_origin(Some("http://127.0.0.1:8081"), None, &own));
    }
}
