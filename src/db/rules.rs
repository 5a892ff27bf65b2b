//! A clinic's own contraindication rules (the built-in ones live in domain::screening).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::contraindication_rules as rules;
use super::Conn;
use crate::domain::ids::{ClinicId, ProductId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = rules, treat_none_as_null = true)]
pub struct ClinicRule {
    pub id: String,
    pub clinic_id: ClinicId,
    pub ingredient: Option<String>,
    pub product_id: Option<ProductId>,
    pub condition: String,
    pub message: String,
    pub active: bool,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, r: &ClinicRule) -> QueryResult<()> {
    diesel::insert_into(rules::table)
        .values(r)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut Conn, r: &ClinicRule) -> QueryResult<()> {
    diesel::update(
        rules::table
            .find(&r.id)
            .filter(rules::clinic_id.eq(&r.clinic_id)),
    )
    .set(r)
    .execute(conn)
    .map(|_| ())
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &str) -> QueryResult<Option<ClinicRule>> {
    rules::table
        .filter(rules::clinic_id.eq(clinic_id))
        .filter(rules::id.eq(id))
        .select(ClinicRule::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<ClinicRule>> {
    rules::table
        .filter(rules::clinic_id.eq(clinic_id))
        .select(ClinicRule::as_select())
        .order(rules::created_at)
        .load(conn)
}
