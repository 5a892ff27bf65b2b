//! The browser session: the `mesoledger_session` cookie, the signed-in person behind it,
//! and the CSRF rule for every state-changing cookie request (the session's token in a
//! form field and a same-origin `Origin`/`Referer`). The cookie never authenticates
//! `/api/v1`; only these pages read it.

use actix_web::http::header;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};

use crate::domain::accounts::{is_same_origin, origin_of, SessionLimits};

pub const COOKIE: &str = "mesoledger_session";

/// Settings of the web front door.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub limits: SessionLimits,
    /// `MESOLEDGER_PUBLIC_URL`: when set, the only origin cookie requests may come from;
    /// an `https://` URL also marks the cookie `Secure`.
    pub public_url: Option<String>,
}

impl WebConfig {
    pub fn secure_cookie(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.trim().to_lowercase().starts_with("https://"))
    }

    /// The origins a cookie request may come from: the public URL's, or else this
    /// request's own `Host` over http or https.
    pub fn own_origins(&self, req: &HttpRequest) -> Vec<String> {
        if let Some(o) = self.public_url.as_deref().and_then(origin_of) {
            return vec![o];
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.to_string()));
        match host {
            Some(h) => {
                let h = h.to_lowercase();
                vec![format!("http://{h}"), format!("https://{h}")]
            }
            None => Vec::new(),
        }
    }

    /// `Set-Cookie` for a new session.
    pub fn set_cookie(&self, value: &str) -> String {
        format!(
            "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
            self.limits.absolute.num_seconds(),
            if self.secure_cookie() { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` that removes the cookie.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
            if self.secure_cookie() { "; Secure" } else { "" }
        )
    }

    /// The request names this service as its origin.
    pub fn same_origin(&self, req: &HttpRequest) -> bool {
        let get = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        is_same_origin(
            get(header::ORIGIN).as_deref(),
            get(header::REFERER).as_deref(),
            &self.own_origins(req),
        )
    }
}

/// The session cookie's value, if the request carries one.
pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn config(url: Option<&str>) -> WebConfig {
        WebConfig {
            limits: SessionLimits::default(),
            public_url: url.map(str::to_string),
        }
    }

    #[test]
    fn cookie_flags_follow_the_public_url() {
        let plain = config(None).set_cookie("abc");
        assert!(plain.starts_with("mesoledger_session=abc;"));
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(plain.contains(flag), "{plain}");
        }
        assert!(!plain.contains("Secure"));
        assert!(config(Some("https://clinic.example"))
            .set_cookie("abc")
            .ends_with("; Secure"));
    }

    #[test]
    fn finds_the_cookie_among_others() {
        let req = TestRequest::default()
            .insert_header(("Cookie", "a=1; mesoledger_session=xyz; b=2"))
            .to_http_request();
        assert_eq!(cookie_value(&req).as_deref(), Some("xyz"));
        assert!(cookie_value(&TestRequest::default().to_http_request()).is_none());
    }

    #[test]
    fn origin_is_checked_against_host_or_public_url() {
        let req = TestRequest::default()
            .insert_header(("Host", "127.0.0.1:8080"))
            .insert_header(("Origin", "http://127.0.0.1:8080"))
            .to_http_request();
        assert!(config(None).same_origin(&req));
        assert!(!config(Some("https://clinic.example")).same_origin(&req));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
    }
}
