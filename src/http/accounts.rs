//! Staff management, invitations and tokens (bearer-authenticated JSON, except accepting
//! an invitation, which the code itself authorises).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{run, AppState, Json};
use crate::db::accounts::Token;
use crate::domain::ids::{ClinicId, StaffId};
use crate::domain::requests::{AcceptInvitationInput, InvitationInput, StaffPatch, TokenInput};
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::services::accounts::{self, Account};
use crate::services::Actor;

/// The address the request came from, as the audit log and the rate limit see it: the
/// TCP peer. Forwarding headers are not trusted (anyone can write them).
pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffMember {
    pub id: StaffId,
    pub name: String,
    pub role: Role,
    pub clinic_id: Option<ClinicId>,
    pub email: Option<String>,
    pub active: bool,
    /// True once the person has set a password (through an invitation).
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for StaffMember {
    fn from(a: Account) -> Self {
        StaffMember {
            id: a.staff.id,
            name: a.staff.name,
            role: a.staff.role,
            clinic_id: a.staff.clinic_id,
            email: a.staff.email,
            active: a.staff.active,
            has_password: a.has_password,
            created_at: utc(a.staff.created_at),
        }
    }
}

/// The staff of a clinic (admin, or a manager of that clinic).
#[utoipa::path(tag = "staff", params(("id" = String, Path, description = "clinic id")),
    responses((status = 200, body = [StaffMember]), (status = 403, body = super::error::Problem), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
#[get("/clinics/{id}/staff")]
pub async fn list_staff(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ClinicId>,
) -> AppResult<HttpResponse> {
    let clinic_id = path.into_inner();
    let staff = run(&state, move |conn| {
        accounts::list_staff(conn, &actor, &clinic_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(staff.into_iter().map(StaffMember::from).collect::<Vec<_>>()))
}

/// Change a staff member's name, role, email or active flag (admin, or a manager of their
/// clinic).
#[utoipa::path(tag = "staff", params(("id" = String, Path, description = "staff id")), request_body = StaffPatch,
    responses((status = 200, body = StaffMember), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[patch("/staff/{id}")]
pub async fn update_staff(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<StaffId>,
    body: Json<StaffPatch>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let patch = body.0;
    let addr = client_addr(&req);
    let target = id.clone();
    let account = run(&state, move |conn| {
        accounts::update_staff(conn, &actor, &target, patch, &addr)
    })
    .await?;
    // A new role or a deactivation applies to this instance's next request.
    state.tokens.forget_staff(&id);
    Ok(HttpResponse::Ok().json(StaffMember::from(account)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    /// Shown in this answer only; works once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// The web page where the person sets their password with this code.
    pub accept_path: String,
}

/// A one-time code (72 h) with which the person sets their password. Replaces earlier
/// codes and ends the person's browser sessions.
#[utoipa::path(tag = "staff", params(("id" = String, Path, description = "staff id")),
    responses((status = 201, body = InvitationView), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[post("/staff/{id}/invitation")]
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<StaffId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let addr = client_addr(&req);
    let (code, expires_at) = run(&state, move |conn| {
        accounts::invite(conn, &actor, &id, &addr)
    })
    .await?;
    Ok(HttpResponse::Created().json(InvitationView {
        accept_path: format!("/invitation?code={code}"),
        code,
        expires_at: utc(expires_at),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedMember {
    pub staff: StaffMember,
    #[serde(flatten)]
    pub invitation: InvitationView,
}

/// Add a staff member who will sign in with a password: no bearer token is made, the
/// answer holds their one-time invitation code (admin, or a manager of that clinic). The
/// staff page's Invite form does the same.
#[utoipa::path(tag = "staff", params(("id" = String, Path, description = "clinic id")), request_body = InvitationInput,
    responses((status = 201, body = InvitedMember), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[post("/clinics/{id}/invitations")]
pub async fn invite_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ClinicId>,
    body: Json<InvitationInput>,
) -> AppResult<HttpResponse> {
    let clinic_id = path.into_inner();
    let InvitationInput { name, role, email } = body.0;
    let addr = client_addr(&req);
    let (member, code, expires_at) = run(&state, move |conn| {
        let new = accounts::NewMember {
            name: &name,
            role: &role,
            email: &email,
        };
        accounts::invite_member(conn, &actor, &clinic_id, new, &addr)
    })
    .await?;
    Ok(HttpResponse::Created().json(InvitedMember {
        staff: StaffMember::from(Account {
            staff: member,
            has_password: false,
        }),
        invitation: InvitationView {
            accept_path: format!("/invitation?code={code}"),
            code,
            expires_at: utc(expires_at),
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub staff_id: StaffId,
    /// Sign in with this email and the new password.
    pub email: Option<String>,
}

/// Set a password with an invitation code (no token needed: the code is the proof).
#[utoipa::path(tag = "staff", request_body = AcceptInvitationInput,
    responses((status = 200, body = Accepted), (status = 422, body = super::error::Problem)))]
#[post("/invitations/accept")]
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<AcceptInvitationInput>,
) -> AppResult<HttpResponse> {
    let AcceptInvitationInput { code, password } = body.0;
    let addr = client_addr(&req);
    let member = run(&state, move |conn| {
        accounts::accept_invitation(conn, &code, &password, &addr)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Accepted {
        staff_id: member.id,
        email: member.email,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to tell tokens apart; never the secret.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<Token> for TokenView {
    fn from(t: Token) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: utc(t.created_at),
            last_used_at: t.last_used_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    #[serde(flatten)]
    pub info: TokenView,
    /// The bearer token: shown in this answer only, stored hashed.
    pub token: String,
}

/// The caller's tokens that still work (never their secrets).
#[utoipa::path(tag = "tokens", responses((status = 200, body = [TokenView]), (status = 401, body = super::error::Problem)),
    security(("bearer" = [])))]
#[get("/me/tokens")]
pub async fn my_tokens(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let tokens = run(&state, move |conn| accounts::my_tokens(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(tokens.into_iter().map(TokenView::from).collect::<Vec<_>>()))
}

/// A new token for the caller; the answer holds the secret, once.
#[utoipa::path(tag = "tokens", request_body = TokenInput,
    responses((status = 201, body = NewTokenView), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[post("/me/tokens")]
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<TokenInput>,
) -> AppResult<HttpResponse> {
    let name = body.0.name;
    let addr = client_addr(&req);
    let (token, secret) = run(&state, move |conn| {
        accounts::create_my_token(conn, &actor, &name, &addr)
    })
    .await?;
    Ok(HttpResponse::Created().json(NewTokenView {
        info: token.into(),
        token: secret,
    }))
}

/// Revoke one of the caller's tokens: it answers 401 from now on.
#[utoipa::path(tag = "tokens", params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
#[delete("/me/tokens/{id}")]
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let addr = client_addr(&req);
    let hash = run(&state, move |conn| {
        accounts::revoke_my_token(conn, &actor, &id, &addr)
    })
    .await?;
    state.tokens.forget(&hash);
    Ok(HttpResponse::NoContent().finish())
}

/// A staff member's tokens (admin, or a manager of their clinic).
#[utoipa::path(tag = "tokens", params(("id" = String, Path, description = "staff id")),
    responses((status = 200, body = [TokenView]), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
#[get("/staff/{id}/tokens")]
pub async fn staff_tokens(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<StaffId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let tokens = run(&state, move |conn| {
        accounts::staff_tokens(conn, &actor, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(tokens.into_iter().map(TokenView::from).collect::<Vec<_>>()))
}

/// Revoke a staff member's token (admin, or a manager of their clinic).
#[utoipa::path(tag = "tokens", params(("id" = String, Path, description = "staff id"), ("token_id" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
#[delete("/staff/{id}/tokens/{token_id}")]
pub async fn revoke_staff_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(StaffId, String)>,
) -> AppResult<HttpResponse> {
    let (id, token_id) = path.into_inner();
    let addr = client_addr(&req);
    let hash = run(&state, move |conn| {
        accounts::revoke_staff_token(conn, &actor, &id, &token_id, &addr)
    })
    .await?;
    state.tokens.forget(&hash);
    Ok(HttpResponse::NoContent().finish())
}
