//! `serve --demo`: a realistic mesotherapy clinic (fixtures/demo.json, built into the
//! binary) loaded through the same use cases as the API, so demo data obeys every rule.

use std::collections::HashMap;

use serde::Deserialize;

use super::{accounts, auth, catalog, courses, formulations, lots, today, Actor};
use crate::db::accounts as accounts_repo;
use crate::db::staff::{self as staff_repo, Staff};
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, ProductId, StaffId};
use crate::domain::requests::{
    ComponentInput, CourseInput, FormulationInput, ProductInput, ReceiveLotInput, SupplierInput,
};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};

pub const DEMO_FIXTURE: &str = include_str!("../../fixtures/demo.json");

#[derive(Deserialize)]
struct Fixture {
    clinic: String,
    suppliers: Vec<SupplierInput>,
    products: Vec<serde_json::Value>,
    lots: Vec<FixtureLot>,
    formulations: Vec<FixtureFormulation>,
    courses: Vec<FixtureCourse>,
}

#[derive(Deserialize)]
struct FixtureCourse {
    patient_ref: String,
    formulation: String,
    area: String,
    starts_in_days: i64,
}

#[derive(Deserialize)]
struct FixtureFormulation {
    name: String,
    method: String,
    areas: Vec<String>,
    components: Vec<FixtureComponent>,
}

#[derive(Deserialize)]
struct FixtureComponent {
    sku: String,
    amount: rust_decimal::Decimal,
}

#[derive(Deserialize)]
struct FixtureLot {
    sku: String,
    lot_number: String,
    /// Relative to today, so "expiring soon" and "expired" stay true whenever it is loaded.
    expires_in_days: i64,
    containers: i64,
}

/// The demo clinic and a fresh token for each of its roles.
#[derive(Debug)]
pub struct DemoLogin {
    pub clinic_id: ClinicId,
    /// False when the demo clinic was already there and only new tokens were issued.
    pub created: bool,
    pub tokens: Vec<(Role, String)>,
    /// A sign-in email and a fresh random password per role, printed once.
    pub logins: Vec<(Role, String, String)>,
}

const DEMO_ROLES: [(Role, &str, &str); 3] = [
    (
        Role::Manager,
        "Camille Martin",
        "manager@demo.mesoledger.example",
    ),
    (
        Role::Practitioner,
        "Dr Inès Moreau",
        "practitioner@demo.mesoledger.example",
    ),
    (
        Role::Auditor,
        "Paul Girard",
        "auditor@demo.mesoledger.example",
    ),
];

/// Gives a demo member their email (when an older demo database lacks it) and a new
/// random password; answers the login to print.
fn demo_login(conn: &mut Conn, member: &Staff, role: Role) -> AppResult<(Role, String, String)> {
    let email = match (
        &member.email,
        DEMO_ROLES.iter().find(|(r, _, _)| *r == role),
    ) {
        (Some(e), _) => e.clone(),
        (None, Some((_, _, e))) => e.to_string(),
        (None, None) => return Err(AppError::Internal("demo role without an email".into())),
    };
    let member = Staff {
        email: Some(email.clone()),
        ..member.clone()
    };
    accounts_repo::update_staff(conn, &member)?;
    let password = accounts::random_password();
    accounts::set_password(conn, &member, &password)?;
    Ok((role, email, password))
}

/// How long ago the demo's stock arrived: sessions entered after the fact (up to this
/// many days back) find it on the shelf.
const DEMO_STOCK_AGE_DAYS: i64 = 30;

/// Loads the demo clinic into the database unless it is there already. Either way the
/// demo staff get new tokens, because tokens are shown only once and the previous run's
/// are gone.
pub fn load(conn: &mut Conn) -> AppResult<DemoLogin> {
    let fixture: Fixture = serde_json::from_str(DEMO_FIXTURE)?;
    let existing = staff_repo::list_clinics(conn)?
        .into_iter()
        .find(|c| c.name == fixture.clinic);
    match existing {
        Some(clinic) => rotate_tokens(conn, &clinic.id),
        None => db::write_tx(conn, |conn| create(conn, fixture)),
    }
}

fn rotate_tokens(conn: &mut Conn, clinic_id: &ClinicId) -> AppResult<DemoLogin> {
    let mut tokens = Vec::new();
    let mut logins = Vec::new();
    for member in staff_repo::list_staff(conn, clinic_id)? {
        let role = member.role;
        accounts_repo::revoke_all_tokens(conn, &member.id, db::now())?;
        let (_, token) = accounts::issue_token(conn, &member.id, "demo")?;
        tokens.push((role, token));
        if member.active && DEMO_ROLES.iter().any(|(_, name, _)| *name == member.name) {
            logins.push(demo_login(conn, &member, role)?);
        }
    }
    Ok(DemoLogin {
        clinic_id: clinic_id.clone(),
        created: false,
        tokens,
        logins,
    })
}

fn create(conn: &mut Conn, fixture: Fixture) -> AppResult<DemoLogin> {
    let system = Actor {
        staff_id: StaffId::default(),
        name: "demo loader".into(),
        role: Role::Admin,
        clinic_id: None,
    };
    let clinic = auth::create_clinic(conn, &system, &fixture.clinic)?;
    let DemoStaff {
        manager,
        tokens,
        logins,
    } = create_staff(conn, &system, &clinic.id)?;
    let product_ids = create_stock(
        conn,
        &manager,
        fixture.suppliers,
        fixture.products,
        fixture.lots,
    )?;
    create_plans(
        conn,
        &manager,
        fixture.formulations,
        fixture.courses,
        &product_ids,
    )?;
    Ok(DemoLogin {
        clinic_id: clinic.id,
        created: true,
        tokens,
        logins,
    })
}

/// The demo's people, one per role: the manager who loads the rest, their tokens and
/// sign-in details.
fn create_staff(conn: &mut Conn, system: &Actor, clinic_id: &ClinicId) -> AppResult<DemoStaff> {
    let mut tokens = Vec::new();
    let mut logins = Vec::new();
    let mut manager = None;
    for (role, name, email) in DEMO_ROLES {
        let (member, token): (Staff, String) =
            auth::create_member(conn, system, clinic_id, name, role.as_str(), Some(email))?;
        logins.push(demo_login(conn, &member, role)?);
        if role == Role::Manager {
            manager = Some(Actor {
                staff_id: member.id.clone(),
                name: member.name.clone(),
                role,
                clinic_id: Some(clinic_id.clone()),
            });
        }
        tokens.push((role, token));
    }
    let manager = manager.ok_or_else(|| AppError::Internal("demo manager missing".into()))?;
    Ok(DemoStaff {
        manager,
        tokens,
        logins,
    })
}

struct DemoStaff {
    manager: Actor,
    /// (role, bearer token)
    tokens: Vec<(Role, String)>,
    /// (role, email, password)
    logins: Vec<(Role, String, String)>,
}

/// Suppliers, products and lots; answers each product's id by SKU.
fn create_stock(
    conn: &mut Conn,
    manager: &Actor,
    suppliers: Vec<SupplierInput>,
    products: Vec<serde_json::Value>,
    lots_in: Vec<FixtureLot>,
) -> AppResult<HashMap<String, ProductId>> {
    let mut supplier_ids = HashMap::new();
    for s in suppliers {
        let created = catalog::create_supplier(conn, manager, s)?;
        supplier_ids.insert(created.name.clone(), created.id);
    }
    let mut product_ids = HashMap::new();
    for mut value in products {
        let supplier = value
            .as_object_mut()
            .and_then(|o| o.remove("supplier"))
            .and_then(|v| v.as_str().map(str::to_string));
        let mut input: ProductInput = serde_json::from_value(value)?;
        input.supplier_id = supplier.and_then(|name| supplier_ids.get(&name).cloned());
        let created = catalog::create_product(conn, manager, input)?;
        product_ids.insert(created.sku.clone(), created.id);
    }
    for l in lots_in {
        let product_id = product_ids
            .get(&l.sku)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("demo lot for unknown sku {}", l.sku)))?;
        lots::receive_lot(
            conn,
            manager,
            ReceiveLotInput {
                product_id,
                lot_number: l.lot_number,
                expires_on: today() + chrono::Duration::days(l.expires_in_days),
                containers: l.containers,
                unit_cost: None,
                supplier_id: None,
                received_at: Some(chrono::Utc::now() - chrono::Duration::days(DEMO_STOCK_AGE_DAYS)),
                fridge_id: None,
            },
        )?;
    }
    Ok(product_ids)
}

/// Cocktails and planned courses, so the forecast and reorder suggestions have data.
fn create_plans(
    conn: &mut Conn,
    manager: &Actor,
    formulations_in: Vec<FixtureFormulation>,
    courses_in: Vec<FixtureCourse>,
    product_ids: &HashMap<String, ProductId>,
) -> AppResult<()> {
    for f in formulations_in {
        let components = f
            .components
            .into_iter()
            .map(|c| {
                let product_id = product_ids.get(&c.sku).cloned().ok_or_else(|| {
                    AppError::Internal(format!("demo cocktail uses unknown sku {}", c.sku))
                })?;
                Ok(ComponentInput {
                    product_id,
                    amount: c.amount,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        formulations::create(
            conn,
            manager,
            FormulationInput {
                name: f.name,
                method: f.method,
                areas: f.areas,
                components,
            },
        )?;
    }
    // Planned courses, so the forecast and reorder suggestions have something to say.
    let cocktails = formulations::list(conn, manager)?;
    for c in courses_in {
        let formulation_id = cocktails
            .iter()
            .find(|f| f.name == c.formulation)
            .map(|f| f.formulation_id.clone())
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "demo course uses unknown cocktail {}",
                    c.formulation
                ))
            })?;
        courses::create(
            conn,
            manager,
            CourseInput {
                patient_ref: c.patient_ref,
                formulation_id,
                area: c.area,
                start_on: today() + chrono::Duration::days(c.starts_in_days),
                sessions: None,
                interval_days: None,
                maintenance_every_days: None,
            },
        )?;
    }
    Ok(())
}
