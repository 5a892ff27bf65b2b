//! The web front door: server-rendered pages (askama templates in `templates/`) behind a
//! cookie session. Handlers stay thin and call the same services as the JSON API.

pub mod assets;
pub mod audit;
pub mod buying;
pub mod chart;
pub mod cocktails;
pub mod forecast;
pub mod fridges;
pub mod products;
pub mod session;
pub mod staff;
pub mod stock;
pub mod treatment;
pub mod vials;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::accounts::client_addr;
use super::extract::{run, AppState};
use crate::domain::no_control;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, SignIn, WebSession};
use crate::services::desk;
use session::{cookie_value, same_secret, WebConfig};

/// Routes of the pages (outside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::asset)
        .service(sign_in_page)
        .service(sign_in)
        .service(sign_out)
        .service(home)
        .service(treatment::new_session_page)
        .service(treatment::new_session)
        .service(treatment::sessions_page)
        .service(treatment::session_page)
        .service(treatment::void_session)
        .service(treatment::courses_page)
        .service(treatment::plan_course)
        .service(stock::stock_page)
        .service(stock::waste_unusable)
        .service(vials::vials_page)
        .service(vials::discard)
        .service(stock::lot_page)
        .service(stock::change_lot)
        .service(stock::trace_page)
        .service(stock::trace_csv)
        .service(audit::recalls_page)
        // Before `/recalls/{id}`, whose `{id}` would take `….csv` too.
        .service(audit::recall_csv)
        .service(audit::recall_page)
        .service(audit::update_contact)
        .service(audit::close_case)
        .service(audit::exports_page)
        .service(audit::export_csv)
        .service(audit::audit_page)
        .service(buying::receive_form)
        .service(buying::receive)
        .service(buying::reorder_page)
        .service(buying::create_order)
        .service(buying::orders_page)
        .service(buying::order_page)
        .service(buying::send_order)
        .service(buying::cancel_order)
        .service(buying::edit_order)
        .service(buying::receive_order)
        .service(forecast::forecast_page)
        .service(fridges::fridges_page)
        .service(fridges::add_fridge)
        .service(fridges::fridge_page)
        .service(fridges::add_reading)
        .service(cocktails::cocktails_page)
        .service(cocktails::create_cocktail)
        .service(cocktails::cocktail_page)
        .service(cocktails::edit_cocktail)
        .service(cocktails::add_rule)
        .service(cocktails::rule_page)
        .service(cocktails::edit_rule)
        // Before `/products/{id}`, whose `{id}` would take `new` too.
        .service(products::new_product_page)
        .service(products::new_product)
        .service(products::product_page)
        .service(products::archive_product)
        .service(products::edit_product)
        .service(staff::staff_page)
        .service(staff::invite)
        .service(staff::change)
        .service(staff::revoke_token)
        .service(invitation_page)
        .service(accept_invitation);
}

/// What every page's frame shows: its title, the assets, the menu and who is signed in.
pub struct Frame {
    pub title: String,
    pub css: String,
    pub js: String,
    pub nav: Vec<NavGroup>,
    pub user: Option<UserBar>,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A top-level menu entry. A group of several pages links to its first page; the pages
/// of the current group form a second row, so the menu stays two rows at 768 px.
pub struct NavGroup {
    pub label: &'static str,
    pub href: &'static str,
    /// One of its pages is this page.
    pub current: bool,
    pub items: Vec<NavItem>,
}

type Group = (&'static str, &'static [(&'static str, &'static str)]);

/// The menu of a role: only pages it may use, grouped for the manager (the others have
/// few enough pages for one row).
fn menu(role: Role, current: &str) -> Vec<NavGroup> {
    let groups: &[Group] = match role {
        Role::Practitioner => &[
            ("Today", &[("/", "Today")]),
            ("New session", &[("/sessions/new", "New session")]),
            ("Sessions", &[("/sessions", "Sessions")]),
            ("Courses", &[("/courses", "Courses")]),
            ("Open vials", &[("/open-vials", "Open vials")]),
        ],
        Role::Manager => &[
            ("Home", &[("/", "Home")]),
            (
                "Stock",
                &[
                    ("/stock", "Stock"),
                    ("/receive", "Receive"),
                    ("/reorder", "Reorder"),
                    ("/purchase-orders", "Orders"),
                    ("/forecast", "Forecast"),
                    ("/fridges", "Fridges"),
                ],
            ),
            (
                "Treatment",
                &[
                    ("/sessions/new", "New session"),
                    ("/sessions", "Sessions"),
                    ("/courses", "Courses"),
                    ("/open-vials", "Open vials"),
                    ("/cocktails", "Cocktails"),
                ],
            ),
            (
                "Traceability",
                &[
                    ("/trace", "Trace"),
                    ("/recalls", "Recalls"),
                    ("/exports", "Exports"),
                    ("/audit-log", "Audit log"),
                ],
            ),
            ("Staff", &[("/staff", "Staff")]),
        ],
        Role::Auditor => &[
            ("Home", &[("/", "Home")]),
            ("Trace", &[("/trace", "Trace")]),
            ("Sessions", &[("/sessions", "Sessions")]),
            ("Recalls", &[("/recalls", "Recalls")]),
            ("Exports", &[("/exports", "Exports")]),
            ("Audit log", &[("/audit-log", "Audit log")]),
        ],
        Role::Admin => &[("Home", &[("/", "Home")])],
    };
    groups
        .iter()
        .map(|(label, pages)| NavGroup {
            label,
            href: pages.first().map_or("/", |(href, _)| href),
            current: pages.iter().any(|(href, _)| *href == current),
            items: pages
                .iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    current: *href == current,
                })
                .collect(),
        })
        .collect()
}

impl NavGroup {
    /// The group's own link is the page itself (a group of one page).
    pub fn is_page(&self) -> bool {
        matches!(self.items.as_slice(), [only] if only.current)
    }

    /// The second row, shown under the current group of several pages.
    pub fn sub_row(&self) -> Option<&[NavItem]> {
        (self.current && self.items.len() > 1).then_some(self.items.as_slice())
    }
}

impl Frame {
    /// The second row of the menu: the current group, if it has several pages.
    pub fn sub_nav(&self) -> Option<&NavGroup> {
        self.nav.iter().find(|g| g.sub_row().is_some())
    }
}

pub struct UserBar {
    pub name: String,
    pub role: String,
    pub clinic: Option<String>,
    /// The session's CSRF token, for the Sign out form.
    pub csrf_token: String,
}

impl Frame {
    /// A frame for a page reached from `parent` (a product from the stock list): the
    /// parent's group is open, but no menu link claims to be this page.
    pub fn under(title: &str, parent: &str, session: Option<&WebSession>) -> Frame {
        let mut frame = Frame::at(title, parent, session);
        for item in frame.nav.iter_mut().flat_map(|g| g.items.iter_mut()) {
            item.current = false;
        }
        frame
    }

    pub fn new(title: &str, session: Option<&WebSession>) -> Frame {
        Frame::at(title, "", session)
    }

    /// A frame whose menu marks `current` as this page.
    pub fn at(title: &str, current: &str, session: Option<&WebSession>) -> Frame {
        Frame {
            title: title.to_string(),
            css: assets::CSS_PATH.clone(),
            js: assets::JS_PATH.clone(),
            nav: session
                .map(|s| menu(s.actor.role, current))
                .unwrap_or_default(),
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
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    name: String,
    role: String,
    clinic: Option<String>,
    email: Option<String>,
    /// Practitioners and managers see today's work.
    treats: bool,
    planned: Vec<PlannedRow>,
    sessions: Vec<treatment::SessionRow>,
    /// The manager's stock overview: alerts, open orders, open recall cases.
    overview: Option<stock::Overview>,
}

struct PlannedRow {
    patient_ref: String,
    area: String,
    cocktail: String,
    planned_on: String,
    start_href: String,
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
pub fn page(status: StatusCode, t: &impl Template) -> HttpResponse {
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

/// A page address that does not exist, for a browser (the API answers problem+json).
pub fn not_found_page() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        &MessagePage {
            frame: Frame::new("Page not found", None),
            heading: "Page not found".into(),
            message: "There is no page at this address.".into(),
            link: "/".into(),
            link_text: "Go to your home page".into(),
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

/// A refused change as one line for a page's alert: each field error named in words, or
/// the conflict's own message.
pub fn alert_text(e: &crate::error::AppError) -> String {
    match e {
        crate::error::AppError::Invalid(errs) => errs
            .iter()
            .map(|f| format!("{}: {}", treatment::human(&f.field), f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

pub fn see_other(to: &str) -> HttpResponse {
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignInQuery {
    /// Set after an invitation was accepted: the email to sign in with.
    welcome: Option<String>,
}

#[get("/sign-in")]
pub async fn sign_in_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    q: web::Query<SignInQuery>,
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
            notice: q
                .welcome
                .as_ref()
                .map(|e| format!("Your password is set. Sign in with {e} and your new password.")),
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
    form_text(&body)?;
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
                notice: None,
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
    if check_posted(&req, &cfg, &session, &body).is_err() {
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

/// The signed-in person's home: for a manager, the stock overview first; for a
/// practitioner or manager, today's planned course sessions and their own sessions of
/// today; signed out, the sign-in page.
#[get("/")]
pub async fn home(
    state: web::Data<AppState>,
    Signed(session): Signed,
) -> Result<HttpResponse, UiError> {
    let treats = matches!(session.actor.role, Role::Practitioner | Role::Manager);
    let (planned, sessions) = if treats {
        let actor = session.actor.clone();
        let today = run(&state, move |conn| desk::today_of(conn, &actor)).await?;
        let planned = today
            .planned
            .into_iter()
            .map(|p| PlannedRow {
                start_href: format!(
                    "/sessions/new?{}",
                    serde_urlencoded::to_string([
                        ("patient_ref", p.patient_ref.as_str()),
                        ("area", p.area.as_str()),
                        ("method", p.method.as_str()),
                        ("formulation_id", p.formulation_id.as_str()),
                    ])
                    .unwrap_or_default()
                ),
                patient_ref: p.patient_ref,
                area: p.area,
                cocktail: p.cocktail,
                planned_on: p.planned_on.to_string(),
            })
            .collect();
        let rows = today
            .sessions
            .iter()
            .map(treatment::SessionRow::of)
            .collect();
        (planned, rows)
    } else {
        (Vec::new(), Vec::new())
    };
    let overview = if session.actor.role == Role::Manager {
        Some(stock::overview(&state, &session).await?)
    } else {
        None
    };
    let title = if session.actor.role == Role::Practitioner {
        "Today"
    } else {
        "Home"
    };
    Ok(page(
        StatusCode::OK,
        &HomePage {
            frame: Frame::at(title, "/", Some(&session)),
            name: session.actor.name.clone(),
            role: session.actor.role.as_str().to_string(),
            clinic: session.clinic_name.clone(),
            email: session.email.clone(),
            treats,
            planned,
            sessions,
            overview,
        },
    ))
}

/// A page's signed-in person. Signed out, every page answers 303 to `/sign-in`.
pub struct Signed(pub WebSession);

impl FromRequest for Signed {
    type Error = UiError;
    type Future = LocalBoxFuture<'static, Result<Self, UiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::Internal("app state missing".into()))?;
            let cfg = req
                .app_data::<web::Data<WebConfig>>()
                .cloned()
                .ok_or_else(|| AppError::Internal("web config missing".into()))?;
            match current(&req, &state, &cfg).await? {
                Some(s) => Ok(Signed(s)),
                None => Err(UiError::SignIn),
            }
        })
    }
}

/// Why a page cannot be shown: signed out (303 to `/sign-in`), a cookie request that
/// failed the CSRF or origin check (403), or a service error shown as a page in the same
/// words the API uses (never a stack trace; a 500 says only that it was logged).
#[derive(Debug)]
pub enum UiError {
    SignIn,
    Csrf,
    App(AppError),
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UiError::SignIn => write!(f, "not signed in"),
            UiError::Csrf => write!(f, "CSRF or origin check failed"),
            UiError::App(e) => write!(f, "{e}"),
        }
    }
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        UiError::App(e)
    }
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        match self {
            UiError::SignIn => StatusCode::SEE_OTHER,
            UiError::Csrf => StatusCode::FORBIDDEN,
            UiError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            UiError::SignIn => see_other("/sign-in"),
            UiError::Csrf => forbidden(),
            UiError::App(e) => {
                // Logs internal causes; the page shows the problem's own detail.
                let _ = e.error_response();
                let problem = e.problem();
                let mut res = MessagePage {
                    frame: Frame::new(&problem.title, None),
                    heading: problem.title.clone(),
                    message: problem.detail.clone(),
                    link: "/".into(),
                    link_text: "Go to your home page".into(),
                };
                res.frame.title = problem.title;
                page(e.status_code(), &res)
            }
        }
    }
}

/// The CSRF rule of every state-changing cookie request: this session's token in the
/// form and a same-origin `Origin` (or `Referer`).
fn check_csrf(
    req: &HttpRequest,
    cfg: &WebConfig,
    session: &WebSession,
    token: &str,
) -> Result<(), UiError> {
    if cfg.same_origin(req) && same_secret(token, &session.csrf_token) {
        Ok(())
    } else {
        Err(UiError::Csrf)
    }
}

/// A form posted with the session cookie: refused (403) unless it carries the session's
/// `csrf_token` and comes from this site, then parsed. Every page POST goes through here,
/// so no handler can forget the check.
pub fn posted<T: serde::de::DeserializeOwned + Default>(
    req: &HttpRequest,
    cfg: &WebConfig,
    session: &WebSession,
    body: &[u8],
) -> Result<T, UiError> {
    check_posted(req, cfg, session, body)?;
    Ok(serde_urlencoded::from_bytes(body).unwrap_or_default())
}

/// The CSRF check of a posted form whose fields the handler does not need.
pub fn check_posted(
    req: &HttpRequest,
    cfg: &WebConfig,
    session: &WebSession,
    body: &[u8],
) -> Result<(), UiError> {
    let token = form_urlencoded::parse(body)
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    check_csrf(req, cfg, session, &token)?;
    Ok(form_text(body)?)
}

/// A posted form carries no control characters (other than line breaks and tab), like
/// JSON bodies and query strings (`http::edge`); a bad field is a 422 naming it.
fn form_text(body: &[u8]) -> AppResult<()> {
    for (name, value) in form_urlencoded::parse(body) {
        no_control(&name).map_err(|e| AppError::invalid("form", e))?;
        no_control(&value).map_err(|e| AppError::invalid(&name, e))?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    frame: Frame,
    code: String,
    code_error: Option<String>,
    password_error: Option<String>,
    general_errors: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InvitationForm {
    code: String,
    password: String,
}

/// The page where an invited person sets their password (the code may come in the URL).
#[get("/invitation")]
pub async fn invitation_page(q: web::Query<InvitationForm>) -> HttpResponse {
    page(
        StatusCode::OK,
        &InvitationPage {
            frame: Frame::new("Set your password", None),
            code: q.into_inner().code,
            code_error: None,
            password_error: None,
            general_errors: Vec::new(),
        },
    )
}

/// Sets the password (the same use case as `POST /api/v1/invitations/accept`), then
/// sends the person to sign in.
#[post("/invitation")]
pub async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    if !cfg.same_origin(&req) {
        return Ok(forbidden());
    }
    form_text(&body)?;
    let form: InvitationForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let addr = client_addr(&req);
    let code = form.code.clone();
    let result = run(&state, move |conn| {
        accounts::accept_invitation(conn, &code, &form.password, &addr)
    })
    .await;
    match result {
        Ok(member) => {
            let query =
                serde_urlencoded::to_string([("welcome", member.email.unwrap_or_default())])
                    .unwrap_or_default();
            Ok(see_other(&format!("/sign-in?{query}")))
        }
        Err(AppError::Invalid(errs)) => {
            let mut view = InvitationPage {
                frame: Frame::new("Set your password", None),
                code: form.code.trim().to_string(),
                code_error: None,
                password_error: None,
                general_errors: Vec::new(),
            };
            for e in errs {
                match e.field.as_str() {
                    "code" => view.code_error = Some(e.message),
                    "password" => view.password_error = Some(e.message),
                    _ => view.general_errors.push(e.message),
                }
            }
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(e) => Err(e),
    }
}
