//! A clinic's catalogue kept in memory: every product (archived too) and the clinic's own
//! contraindication rules. The stock views need every product on every request and each
//! session needs its products and the rules, while both change rarely. Triggers on
//! `products` and `contraindication_rules` renew the clinic's `catalog_version` (a random
//! token) on every write, whoever makes it (the service, the CLI, an import, a hand-made
//! fix); a reader reads the token first and reloads when it changed. Random rather than a
//! counter, so two databases served by one process never share a token for different
//! catalogues. The token is read before the rows, so a catalogue kept under a token is
//! never older than that token.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use diesel::prelude::*;

use super::products::{self, Product};
use super::rules::{self, ClinicRule};
use super::schema::clinics;
use super::Conn;
use crate::domain::ids::{ClinicId, ProductId};

/// Clinics whose catalogue is kept at most; past it, the kept ones are dropped and reloaded
/// as asked for.
const KEPT: usize = 64;

pub struct Catalogue {
    /// By sku, as `products::list` reads them.
    pub products: Vec<Product>,
    index: HashMap<ProductId, usize>,
    /// The clinic's own rules, oldest first, as `rules::list` reads them.
    pub rules: Vec<ClinicRule>,
}

impl Catalogue {
    pub fn get(&self, id: &ProductId) -> Option<&Product> {
        self.index.get(id).and_then(|&i| self.products.get(i))
    }

    /// The products with these ids (unknown ids left out).
    pub fn get_many(&self, ids: &[&ProductId]) -> Vec<Product> {
        ids.iter().filter_map(|id| self.get(id)).cloned().collect()
    }
}

/// A clinic's catalogue in memory: its `catalog_version` when read, and the catalogue.
type Kept = (String, Arc<Catalogue>);

static KEPT_CATALOGUES: LazyLock<Mutex<HashMap<ClinicId, Kept>>> = LazyLock::new(Default::default);

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
        None => Ok(Arc::new(Catalogue {
            products: Vec::new(),
            index: HashMap::new(),
            rules: Vec::new(),
        })),
    }
}

/// The clinic's catalogue as of `version` (read from its row just before) or newer.
pub fn at(conn: &mut Conn, clinic_id: &ClinicId, version: String) -> QueryResult<Arc<Catalogue>> {
    let kept = KEPT_CATALOGUES
        .lock()
        .ok()
        .and_then(|m| m.get(clinic_id).filter(|(v, _)| *v == version).cloned());
    if let Some((_, catalogue)) = kept {
        return Ok(catalogue);
    }
    let products = products::list(conn, clinic_id, None)?;
    let index = products
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let catalogue = Arc::new(Catalogue {
        products,
        index,
        rules: rules::list(conn, clinic_id)?,
    });
    if let Ok(mut m) = KEPT_CATALOGUES.lock() {
        if m.len() >= KEPT && !m.contains_key(clinic_id) {
            m.clear();
        }
        m.insert(clinic_id.clone(), (version, catalogue.clone()));
    }
    Ok(catalogue)
}
