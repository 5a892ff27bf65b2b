//! Cocktails and their immutable versions.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{
    formulation_components as comps, formulation_versions as versions, formulations, products,
};
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, FormulationId, ProductId, StaffId};
use crate::domain::treatment::{Area, Method};

/// One version of a formulation, with its components.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormulationVersion {
    pub formulation_id: FormulationId,
    pub version: i64,
    pub latest_version: i64,
    pub name: String,
    pub method: Method,
    pub areas: Vec<Area>,
    pub components: Vec<(ProductId, Decimal)>,
    /// (SKU, name) of each component's product, in the order of `components`: what people
    /// who read a forwarded cocktail recognise. Not part of the audited content.
    #[serde(skip)]
    pub component_labels: Vec<(String, String)>,
    pub created_by: StaffId,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = versions)]
struct VersionRow {
    id: String,
    formulation_id: FormulationId,
    version: i64,
    name: String,
    method: Method,
    /// JSON array of area names.
    areas: String,
    created_by: StaffId,
    created_at: NaiveDateTime,
}

pub struct NewVersion<'a> {
    pub clinic_id: &'a ClinicId,
    pub formulation_id: &'a str,
    pub name: &'a str,
    pub method: Method,
    pub areas: &'a [Area],
    pub components: &'a [(ProductId, Decimal)],
    pub created_by: &'a str,
}

fn json_err(e: serde_json::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(e.into())
}

/// Creates the formulation row when `version` is 1, else bumps it; then writes the
/// version and its components. Call inside a write transaction.
pub fn insert_version(conn: &mut Conn, v: &NewVersion<'_>, version: i64) -> QueryResult<()> {
    let now = super::now();
    if version == 1 {
        diesel::insert_into(formulations::table)
            .values((
                formulations::id.eq(v.formulation_id),
                formulations::clinic_id.eq(v.clinic_id),
                formulations::current_version.eq(1),
                formulations::created_at.eq(now),
                formulations::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::update(formulations::table.find(v.formulation_id))
            .set((
                formulations::current_version.eq(version),
                formulations::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    let version_id = super::new_id();
    diesel::insert_into(versions::table)
        .values((
            versions::id.eq(&version_id),
            versions::clinic_id.eq(v.clinic_id),
            versions::formulation_id.eq(v.formulation_id),
            versions::version.eq(version),
            versions::name.eq(v.name),
            versions::method.eq(v.method),
            versions::areas.eq(serde_json::to_string(v.areas).map_err(json_err)?),
            versions::created_by.eq(v.created_by),
            versions::created_at.eq(now),
        ))
        .execute(conn)?;
    for (i, (product_id, amount)) in v.components.iter().enumerate() {
        diesel::insert_into(comps::table)
            .values((
                comps::id.eq(super::new_id()),
                comps::clinic_id.eq(v.clinic_id),
                comps::version_id.eq(&version_id),
                comps::position.eq(i as i64),
                comps::product_id.eq(product_id),
                comps::amount.eq(Scaled(*amount)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The current version number, if the formulation exists in the clinic.
pub fn current_version(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: &FormulationId,
) -> QueryResult<Option<i64>> {
    formulations::table
        .filter(formulations::clinic_id.eq(clinic_id))
        .filter(formulations::id.eq(id))
        .select(formulations::current_version)
        .first(conn)
        .optional()
}

/// A version (the current one when `version` is None).
pub fn get(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: &FormulationId,
    version: Option<i64>,
) -> QueryResult<Option<FormulationVersion>> {
    // The version and the cocktail's current version number in one statement.
    let mut q = versions::table
        .inner_join(formulations::table.on(formulations::id.eq(versions::formulation_id)))
        .filter(versions::clinic_id.eq(clinic_id))
        .filter(versions::formulation_id.eq(id))
        .into_boxed();
    q = match version {
        Some(v) => q.filter(versions::version.eq(v)),
        None => q.filter(versions::version.eq(formulations::current_version)),
    };
    let row: Option<(VersionRow, i64)> = q
        .select((VersionRow::as_select(), formulations::current_version))
        .first(conn)
        .optional()?;
    let Some((row, latest)) = row else {
        return Ok(None);
    };
    let components: Vec<(ProductId, Scaled, String, String)> = comps::table
        .inner_join(products::table)
        .filter(comps::version_id.eq(&row.id))
        .order(comps::position)
        .select((
            comps::product_id,
            comps::amount,
            products::sku,
            products::name,
        ))
        .load(conn)?;
    Ok(Some(FormulationVersion {
        formulation_id: row.formulation_id,
        version: row.version,
        latest_version: latest,
        name: row.name,
        method: row.method,
        areas: serde_json::from_str(&row.areas)
            .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?,
        component_labels: components
            .iter()
            .map(|(_, _, sku, name)| (sku.clone(), name.clone()))
            .collect(),
        components: components
            .into_iter()
            .map(|(p, a, _, _)| (p, a.0))
            .collect(),
        created_by: row.created_by,
        created_at: row.created_at,
    }))
}

/// The current version of every formulation of the clinic, by name.
pub fn list_current(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<FormulationVersion>> {
    let ids: Vec<FormulationId> = formulations::table
        .filter(formulations::clinic_id.eq(clinic_id))
        .select(formulations::id)
        .load(conn)?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(v) = get(conn, clinic_id, &id, None)? {
            out.push(v);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
