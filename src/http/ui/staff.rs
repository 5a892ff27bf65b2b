//! The manager's `/staff` page: the clinic's people, inviting someone new (the link is
//! shown once), changing a role, deactivating (confirmed) or reactivating, and each
//! person's API tokens with `Revoke`. Every rule is `services::accounts`'s.

use crate::domain::ids::StaffId;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::session::WebConfig;
use super::treatment::{human, Opt};
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::domain::requests::StaffPatch;
use crate::domain::role::{Action, Role};
use crate::error::AppError;
use crate::http::accounts::client_addr;
use crate::http::extract::{run, AppState};
use crate::services::accounts::{self, NewMember, WebSession};

/// The roles a manager may give, in the order the select lists them.
const ROLES: [Role; 3] = [Role::Manager, Role::Practitioner, Role::Auditor];

fn role_options(selected: &str) -> Vec<Opt> {
    ROLES
        .iter()
        .map(|r| Opt {
            value: r.as_str().to_string(),
            label: human(r.as_str()),
            selected: r.as_str() == selected,
        })
        .collect()
}

fn when(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
}

struct PersonRow {
    id: StaffId,
    name: String,
    email: String,
    role: String,
    active: bool,
    has_password: bool,
    is_me: bool,
    roles: Vec<Opt>,
    tokens: Vec<TokenRow>,
    role_error: Option<String>,
    active_error: Option<String>,
    alert: Option<String>,
}

/// The invite form as typed, and its errors.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InviteForm {
    name: String,
    email: String,
    role: String,
}

#[derive(Default)]
struct InviteErrors {
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    other: Vec<String>,
}

/// An invitation just made: shown in this answer only, like the API's.
struct Invited {
    staff_id: StaffId,
    /// Filled from the list when the page is drawn.
    name: String,
    link: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "staff/index.html")]
struct StaffPage {
    frame: Frame,
    csrf_token: String,
    people: Vec<PersonRow>,
    form: InviteForm,
    roles: Vec<Opt>,
    errors: InviteErrors,
    invited: Option<Invited>,
    notice: Option<String>,
}

/// What a refused form of one person leaves on the page.
#[derive(Default)]
struct Refused {
    staff_id: StaffId,
    role_error: Option<String>,
    active_error: Option<String>,
    alert: Option<String>,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Outcome {
    form: InviteForm,
    errors: InviteErrors,
    invited: Option<Invited>,
    refused: Refused,
    notice: Option<String>,
}

async fn staff_view(
    state: &AppState,
    session: &WebSession,
    outcome: Outcome,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let clinic = actor.clinic_for(Action::ManageStaff)?.clone();
    let people = run(state, move |conn| {
        accounts::list_staff_with_tokens(conn, &actor, &clinic)
    })
    .await?;
    let refused = outcome.refused;
    let invited = outcome.invited.map(|i| Invited {
        name: people
            .iter()
            .find(|(a, _)| a.staff.id == i.staff_id)
            .map_or_else(String::new, |(a, _)| a.staff.name.clone()),
        ..i
    });
    let people = people
        .into_iter()
        .map(|(a, tokens)| {
            let mine = a.staff.id == refused.staff_id;
            let pick = |slot: &Option<String>| if mine { slot.clone() } else { None };
            PersonRow {
                is_me: a.staff.id == session.actor.staff_id,
                role: human(a.staff.role.as_str()),
                roles: role_options(a.staff.role.as_str()),
                role_error: pick(&refused.role_error),
                active_error: pick(&refused.active_error),
                alert: pick(&refused.alert),
                email: a.staff.email.unwrap_or_default(),
                active: a.staff.active,
                has_password: a.has_password,
                tokens: tokens
                    .into_iter()
                    .map(|t| TokenRow {
                        id: t.id,
                        name: t.name,
                        prefix: t.prefix,
                        created: when(t.created_at),
                        last_used: t.last_used_at.map(when).unwrap_or_default(),
                    })
                    .collect(),
                id: a.staff.id,
                name: a.staff.name,
            }
        })
        .collect();
    let role = if outcome.form.role.is_empty() {
        Role::Practitioner.as_str().to_string()
    } else {
        outcome.form.role.clone()
    };
    Ok(page(
        status,
        &StaffPage {
            frame: Frame::at("Staff", "/staff", Some(session)),
            csrf_token: session.csrf_token.clone(),
            people,
            roles: role_options(&role),
            form: outcome.form,
            errors: outcome.errors,
            invited,
            notice: outcome.notice,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StaffQuery {
    done: String,
}

/// The clinic's people with their tokens (managers only: the others get 403).
#[get("/staff")]
pub async fn staff_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<StaffQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = match q.done.as_str() {
        "role" => Some("Role changed: it applies from their next page or request."),
        "deactivate" => {
            Some("Deactivated: their sessions and tokens ended at once; their history stays.")
        }
        "reactivate" => Some("Reactivated: invite them again so they can set a password."),
        "revoke" => Some("Token revoked: it no longer works."),
        _ => None,
    };
    let outcome = Outcome {
        notice: notice.map(str::to_string),
        ..Outcome::default()
    };
    staff_view(&state, &session, outcome, StatusCode::OK).await
}

/// The link an invited person opens to set their password.
fn invitation_link(req: &HttpRequest, cfg: &WebConfig, code: &str) -> String {
    let origin = cfg.own_origins(req).into_iter().next().unwrap_or_default();
    let query = serde_urlencoded::to_string([("code", code)]).unwrap_or_default();
    format!("{origin}/invitation?{query}")
}

/// Invites someone new (`services::accounts::invite_member`) and shows their link once.
#[post("/staff")]
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: InviteForm = posted(&req, &cfg, &session, &body)?;
    let clinic = session.actor.clinic_for(Action::ManageStaff)?.clone();
    let (actor, addr) = (session.actor.clone(), client_addr(&req));
    let (name, email, role) = (form.name.clone(), form.email.clone(), form.role.clone());
    let result = run(&state, move |conn| {
        let new = NewMember {
            name: &name,
            role: &role,
            email: &email,
        };
        accounts::invite_member(conn, &actor, &clinic, new, &addr)
    })
    .await;
    match result {
        Ok((member, code, expires_at)) => {
            let outcome = Outcome {
                invited: Some(Invited {
                    staff_id: member.id,
                    name: String::new(),
                    link: invitation_link(&req, &cfg, &code),
                    expires: when(expires_at),
                }),
                ..Outcome::default()
            };
            staff_view(&state, &session, outcome, StatusCode::OK).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let mut errors = InviteErrors::default();
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        let slot = match f.field.as_str() {
                            "name" => &mut errors.name,
                            "email" => &mut errors.email,
                            "role" => &mut errors.role,
                            _ => {
                                errors
                                    .other
                                    .push(format!("{}: {}", human(&f.field), f.message));
                                continue;
                            }
                        };
                        *slot = Some(f.message);
                    }
                }
                // The one conflict of a new person: their email is someone else's.
                other => errors.email = Some(other.to_string()),
            }
            let outcome = Outcome {
                form,
                errors,
                ..Outcome::default()
            };
            staff_view(&state, &session, outcome, status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PersonForm {
    role: String,
    confirm: String,
}

/// A change to one person: a new role, deactivation (ticked `confirm`), reactivation, or
/// a new invitation (its link shown once). Refusals stay next to that person's forms.
#[post("/staff/{id}/{action}")]
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    path: web::Path<(StaffId, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: PersonForm = posted(&req, &cfg, &session, &body)?;
    let (id, action) = path.into_inner();
    let patch = match action.as_str() {
        "role" => StaffPatch {
            role: Some(form.role.clone()),
            ..StaffPatch::default()
        },
        "deactivate" | "reactivate" => StaffPatch {
            active: Some(action == "reactivate"),
            ..StaffPatch::default()
        },
        "invitation" => return reinvite(&req, &cfg, &state, &session, id).await,
        _ => return Ok(super::not_found_page()),
    };
    let mut refused = Refused {
        staff_id: id.clone(),
        ..Refused::default()
    };
    if action == "deactivate" && form.confirm != "yes" {
        // Only the permission first: another role is refused, not asked.
        session.actor.clinic_for(Action::ManageStaff)?;
        refused.active_error =
            Some("tick the box to confirm: their sessions and tokens end at once".into());
        let outcome = Outcome {
            refused,
            ..Outcome::default()
        };
        return staff_view(&state, &session, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (actor, target, addr) = (session.actor.clone(), id.clone(), client_addr(&req));
    let result = run(&state, move |conn| {
        accounts::update_staff(conn, &actor, &target, patch, &addr)
    })
    .await;
    match result {
        Ok(_) => {
            // A new role or a deactivation applies to this instance's next request.
            state.tokens.forget_staff(&id);
            Ok(see_other(&format!("/staff?done={action}")))
        }
        Err(e) => {
            let slot = if action == "role" {
                Slot::Role
            } else {
                Slot::Active
            };
            refuse(&state, &session, e, refused, slot).await
        }
    }
}

/// Where a person's refusal is shown: under the role select, under the deactivate box,
/// or at the top of their section.
enum Slot {
    Role,
    Active,
    Alert,
}

/// Shows a refused person form's problem next to it (field errors and conflicts);
/// anything else is the usual error page.
async fn refuse(
    state: &AppState,
    session: &WebSession,
    e: AppError,
    mut refused: Refused,
    slot: Slot,
) -> Result<HttpResponse, UiError> {
    use actix_web::ResponseError;
    let status = e.status_code();
    let message = match e {
        AppError::Invalid(errs) => errs
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join("; "),
        e @ AppError::Conflict { .. } => e.to_string(),
        other => return Err(other.into()),
    };
    *match slot {
        Slot::Role => &mut refused.role_error,
        Slot::Active => &mut refused.active_error,
        Slot::Alert => &mut refused.alert,
    } = Some(message);
    let outcome = Outcome {
        refused,
        ..Outcome::default()
    };
    staff_view(state, session, outcome, status).await
}

/// A new invitation for someone already listed (it replaces their earlier ones).
async fn reinvite(
    req: &HttpRequest,
    cfg: &WebConfig,
    state: &AppState,
    session: &WebSession,
    id: StaffId,
) -> Result<HttpResponse, UiError> {
    let (actor, target, addr) = (session.actor.clone(), id.clone(), client_addr(req));
    let result = run(state, move |conn| {
        accounts::invite(conn, &actor, &target, &addr)
    })
    .await;
    match result {
        Ok((code, expires_at)) => {
            let outcome = Outcome {
                invited: Some(Invited {
                    staff_id: id,
                    name: String::new(),
                    link: invitation_link(req, cfg, &code),
                    expires: when(expires_at),
                }),
                ..Outcome::default()
            };
            staff_view(state, session, outcome, StatusCode::OK).await
        }
        Err(e) => {
            let refused = Refused {
                staff_id: id,
                ..Refused::default()
            };
            refuse(state, session, e, refused, Slot::Alert).await
        }
    }
}

/// Revokes one of a person's tokens (`services::accounts::revoke_staff_token`).
#[post("/staff/{id}/tokens/{token_id}/revoke")]
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    path: web::Path<(StaffId, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    super::check_posted(&req, &cfg, &session, &body)?;
    let (id, token_id) = path.into_inner();
    let (actor, addr) = (session.actor.clone(), client_addr(&req));
    let hash = run(&state, move |conn| {
        accounts::revoke_staff_token(conn, &actor, &id, &token_id, &addr)
    })
    .await?;
    state.tokens.forget(&hash);
    Ok(see_other("/staff?done=revoke"))
}
