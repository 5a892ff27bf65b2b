//! A clinic's catalogue kept in memory: every product (archived too) and the clinic's own
//! contraindication rules. The stock views need every product on every request and each
//! session needs its products and the rules, while both change rarely. Triggers on
//! `products` and `contraindication_rules` renew the clinic's `catalog_version` (a random
//! token) on every write; see `db::kept`. Random rather than a counter, so two databases
//! served by one process never share a token for different catalogues.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;

use super::kept::Kept;
use super::products::{self, Product};
use super::rules::{self, ClinicRule};
use super::schema::clinics;
use super::Conn;
use crate::domain::ids::{ClinicId, ProductId};

pub struct Catalogue {
    /// By sku, as `products::list` reads them.
    pub products: Vec<Product>,
    index: HashMap<ProductId, usize>,
    /// The clinic's own rules, oldest first, as `rules::list` reads them.
    pub rules: Vec<ClinicRule>,
}

impl Catalogue {
    /// An unknown clinic's: nothing.
    pub fn empty() -> Catalogue {
        Catalogue {
            products: Vec::new(),
            index: HashMap::new(),
            rules: Vec::new(),
        }
    }

    pub fn get(&self, id: &ProductId) -> Option<&Product> {
        self.position(id).and_then(|i| self.products.get(i))
    }

    /// Where the product is in `products`: per-product data kept in a vector beside them
    /// is found without a map of its own.
    pub fn position(&self, id: &ProductId) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The products with these ids (unknown ids left out).
    pub fn get_many(&self, ids: &[&ProductId]) -> Vec<Product> {
        ids.iter().filter_map(|id| self.get(id)).cloned().collect()
    }
}

static KEPT_CATALOGUES: Kept<Catalogue> = Kept::new();

/// What a session reads of its clinic's row: (patient code pattern, catalogue version);
/// none for an unknown clinic.
pub fn head(
    conn: &mut Conn,
    clinic_id: &ClinicId,
) -> QueryResult<Option<(Option<String>, String)>> {
    clinics::table
        .find(clinic_id)
        .select((clinics::patient_code_pattern, clinics::catalog_version))
        .first(conn)
        .optional()
}

/// The clinic's catalogue, from memory while its version is unchanged.
pub fn of(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Arc<Catalogue>> {
    match head(conn, clinic_id)? {
        Some((_, version)) => at(conn, clinic_id, version),
        None => Ok(Arc::new(Catalogue::empty())),
    }
}

/// The clinic's catalogue as of `version` (read from its row just before) or newer.
pub fn at(conn: &mut Conn, clinic_id: &ClinicId, version: String) -> QueryResult<Arc<Catalogue>> {
    KEPT_CATALOGUES.get_or_load(clinic_id, version, || {
        let products = products::list(conn, clinic_id, None)?;
        let index = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Ok(Catalogue {
            products,
            index,
            rules: rules::list(conn, clinic_id)?,
        })
    })
}
