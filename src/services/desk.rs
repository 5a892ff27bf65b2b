//! What the practitioner's pages need to know, gathered through the same use cases as
//! the API: today's planned course sessions and sessions, and the choices of the
//! session form (cocktails, products, usable lots, known screening conditions).

use crate::domain::ids::{CourseId, FormulationId};
use chrono::NaiveDateTime;

use super::{courses, formulations, lots, sessions, today, Actor};
use crate::db::formulations::FormulationVersion;
use crate::db::lots::Lot;
use crate::db::products::Product;
use crate::db::sessions::SessionFilter;
use crate::db::Conn;
use crate::domain::course::CourseStatus;
use crate::domain::role::Action;
use crate::error::AppResult;

/// A course session planned for today (or overdue) that is not recorded yet.
#[derive(Debug, Clone)]
pub struct PlannedToday {
    pub course_id: CourseId,
    pub patient_ref: String,
    pub area: String,
    pub formulation_id: FormulationId,
    pub cocktail: String,
    pub method: String,
    pub planned_on: chrono::NaiveDate,
}

/// The practitioner's day.
pub struct Today {
    pub planned: Vec<PlannedToday>,
    /// Sessions the actor performed today, newest first.
    pub sessions: Vec<sessions::SessionDetail>,
}

pub fn today_of(conn: &mut Conn, actor: &Actor) -> AppResult<Today> {
    actor.require(Action::Treat)?;
    let day = today();
    let cocktails = formulations::list(conn, actor)?;
    let mut planned = Vec::new();
    for (course, dates) in courses::list(conn, actor, None)? {
        if course.status != CourseStatus::Active {
            continue;
        }
        // The next date still open, if it is due.
        let Some(next) = dates.iter().find(|d| d.session_id.is_none()) else {
            continue;
        };
        if next.planned_on > day {
            continue;
        }
        let cocktail = cocktails
            .iter()
            .find(|f| f.formulation_id == course.formulation_id);
        planned.push(PlannedToday {
            course_id: course.id.clone(),
            patient_ref: course.patient_ref.clone(),
            area: course.area.clone(),
            formulation_id: course.formulation_id.clone(),
            cocktail: cocktail.map(|f| f.name.clone()).unwrap_or_default(),
            method: cocktail.map(|f| f.method.to_string()).unwrap_or_default(),
            planned_on: next.planned_on,
        });
    }
    planned.sort_by(|a, b| (a.planned_on, &a.patient_ref).cmp(&(b.planned_on, &b.patient_ref)));
    let start: NaiveDateTime = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let mine = sessions::list(
        conn,
        actor,
        SessionFilter {
            patient_ref: None,
            from: Some(start),
            to: None,
            limit: 500,
        },
    )?
    .into_iter()
    .filter(|s| s.session.practitioner_id == actor.staff_id)
    .collect();
    Ok(Today {
        planned,
        sessions: mine,
    })
}

/// The choices of the session form.
pub struct FormChoices {
    pub cocktails: Vec<FormulationVersion>,
    pub products: Vec<Product>,
    /// Usable lots (available, not expired, in stock), by expiry.
    pub lots: Vec<Lot>,
    /// Known screening conditions: the built-in ones and the clinic's own.
    pub conditions: Vec<String>,
}

pub fn form_choices(conn: &mut Conn, actor: &Actor) -> AppResult<FormChoices> {
    let clinic = actor.clinic_for(Action::Treat)?.clone();
    let (_, conditions) = formulations::rules_of(conn, &clinic)?;
    let lots = lots::list_lots(conn, actor, None, None, Some("usable"), None)?;
    // An archived product is offered only while it has usable stock left to use up.
    let mut products = super::catalog::list_products(conn, actor, None)?;
    products.retain(|p| !p.archived || lots.iter().any(|l| l.product_id == p.id));
    Ok(FormChoices {
        cocktails: formulations::list(conn, actor)?,
        products,
        lots,
        conditions,
    })
}
