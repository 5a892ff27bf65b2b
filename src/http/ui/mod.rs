//! The web front door: server-rendered pages (askama templates in `templates/`) behind a
//! cookie session. Handlers stay thin and call the same services as the JSON API.

pub mod session;

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::accounts::client_addr;
use super::extract::{run, AppState};
use crate::error::AppResult;
use crate::services::accounts::{self, SignIn, WebSession};
use session::{cookie_value, same_secret, WebConfig};

/// Routes of the pages (outside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in_page)
        .service(sign_in)
        .service(sign_out)
        .service(home);
}

/// What every page's frame shows: its title and who is signed in.
pub struct Frame {
    pub title: String,
    pub user: Option<UserBar>,
}

pub struct UserBar {
    pub name: String,
    pub role: String,
    pub clinic: Option<String>,
    /// The session's CSRF token, for the Sign out form.
    pub csrf_token: String,
}

impl Frame {
    fn new(title: &str, session: Option<&WebSession>) -> Frame {
        Frame {
            title: title.to_string(),
            user: session.map(|s| UserBar {
                name: s.actor.name.clone(),
                role: s.actor.role.as_str().to_string(),
                clinic: s.clinic_name.clone(),
                csrf_token: s.csrf_token.clone(),
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    frame: Frame,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    name: String,
    role: String,
    clinic: Option<String>,
    email: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    frame: Frame,
    heading: String,
    message: String,
    link: String,
    link_text: String,
}

/// A rendered page. A template error is logged and answered as a plain 500.
fn page(status: StatusCode, t: &impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("something went wrong on our side; it has been logged")
        }
    }
}

fn message(status: StatusCode, heading: &str, text: &str) -> HttpResponse {
    page(
        status,
        &MessagePage {
            frame: Frame::new(heading, None),
            heading: heading.to_string(),
            message: text.to_string(),
            link: "/sign-in".into(),
            link_text: "Go to the sign-in page".into(),
        },
    )
}

fn forbidden() -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form did not come from this site's own page, or it is out of date. Go back, reload the page and try again.",
    )
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The live browser session of this request, if any.
pub async fn current(
    req: &HttpRequest,
    state: &AppState,
    cfg: &WebConfig,
) -> AppResult<Option<WebSession>> {
    let Some(cookie) = cookie_value(req) else {
        return Ok(None);
    };
    let limits = cfg.limits;
    run(state, move |conn| accounts::session(conn, &cookie, limits)).await
}

#[get("/sign-in")]
pub async fn sign_in_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
) -> AppResult<HttpResponse> {
    if current(&req, &state, &cfg).await?.is_some() {
        return Ok(see_other("/"));
    }
    Ok(page(
        StatusCode::OK,
        &SignInPage {
            frame: Frame::new("Sign in", None),
            email: String::new(),
            error: None,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
}

/// Email and password → a new session cookie and 303 to `/`. A wrong email and a wrong
/// password get the same page; too many failures get 429 with `Retry-After`.
#[post("/sign-in")]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    // Login CSRF: another site must not sign a browser into an account of its choice.
    if !cfg.same_origin(&req) {
        return Ok(forbidden());
    }
    let form: SignInForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let addr = client_addr(&req);
    let limits = cfg.limits;
    let (email, password) = (form.email.clone(), form.password);
    let outcome = run(&state, move |conn| {
        accounts::sign_in(conn, &email, &password, &addr, limits)
    })
    .await?;
    let again = |status: StatusCode, error: &str| {
        page(
            status,
            &SignInPage {
                frame: Frame::new("Sign in", None),
                email: form.email.trim().to_string(),
                error: Some(error.to_string()),
            },
        )
    };
    Ok(match outcome {
        SignIn::Ok { cookie, .. } => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .insert_header((header::SET_COOKIE, cfg.set_cookie(&cookie)))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        SignIn::Failed => again(
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an active account. Check both and try again.",
        ),
        SignIn::Limited { retry_after_secs } => {
            let minutes = (retry_after_secs + 59) / 60;
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed sign-ins. Wait {minutes} minute(s), then try again, or ask your manager for a new invitation."
                ),
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf_token: String,
}

/// Ends the session (CSRF token and same origin required) and goes to `/sign-in`.
#[post("/sign-out")]
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let Some(session) = current(&req, &state, &cfg).await? else {
        return Ok(see_other("/sign-in"));
    };
    let form: CsrfForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !cfg.same_origin(&req) || !same_secret(&form.csrf_token, &session.csrf_token) {
        return Ok(forbidden());
    }
    let Some(cookie) = cookie_value(&req) else {
        return Ok(see_other("/sign-in"));
    };
    let addr = client_addr(&req);
    run(&state, move |conn| accounts::sign_out(conn, &cookie, &addr)).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/sign-in"))
        .insert_header((header::SET_COOKIE, cfg.clear_cookie()))
        .finish())
}

/// The signed-in person's home; signed out, the sign-in page.
#[get("/")]
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
) -> AppResult<HttpResponse> {
    let Some(session) = current(&req, &state, &cfg).await? else {
        return Ok(see_other("/sign-in"));
    };
    Ok(page(
        StatusCode::OK,
        &HomePage {
            frame: Frame::new("Home", Some(&session)),
            name: session.actor.name.clone(),
            role: session.actor.role.as_str().to_string(),
            clinic: session.clinic_name.clone(),
            email: session.email.clone(),
        },
    ))
}
