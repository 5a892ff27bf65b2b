//! Per-clinic data kept in memory under a version token that triggers renew on every write
//! to its tables (`clinics.catalog_version`, `clinics.plan_version`). A reader reads the
//! token first and reloads when it changed, so what is kept under a token is never older
//! than that token, whoever wrote (the service, the CLI, an import, a hand-made fix).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use diesel::prelude::*;

use super::schema::clinics;
use super::Conn;
use crate::domain::ids::ClinicId;

/// The clinic's (`catalog_version`, `plan_version`) in one read, for a reader that needs
/// both (the stock views); none for an unknown clinic.
pub fn versions(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Option<(String, String)>> {
    clinics::table
        .find(clinic_id)
        .select((clinics::catalog_version, clinics::plan_version))
        .first(conn)
        .optional()
}

/// Clinics kept at most; past it, the kept ones are dropped and reloaded as asked for.
const KEPT: usize = 64;

type Map<T> = HashMap<ClinicId, (String, Arc<T>)>;

pub struct Kept<T> {
    map: LazyLock<Mutex<Map<T>>>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Kept<T> {
    /// Const, so a store can be a `static`.
    pub const fn new() -> Self {
        Kept {
            map: LazyLock::new(Mutex::default),
        }
    }

    /// What is kept for the clinic under exactly this version.
    fn get(&self, clinic_id: &ClinicId, version: &str) -> Option<Arc<T>> {
        self.map
            .lock()
            .ok()?
            .get(clinic_id)
            .filter(|(v, _)| v == version)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value`, read after `version` was, for the clinic.
    fn put(&self, clinic_id: &ClinicId, version: String, value: Arc<T>) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= KEPT && !m.contains_key(clinic_id) {
                m.clear();
            }
            m.insert(clinic_id.clone(), (version, value));
        }
    }

    /// The value kept under `version`, or the one `load` reads (then kept).
    pub fn get_or_load<E>(
        &self,
        clinic_id: &ClinicId,
        version: String,
        load: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Some(value) = self.get(clinic_id, &version) {
            return Ok(value);
        }
        let value = Arc::new(load()?);
        self.put(clinic_id, version, value.clone());
        Ok(value)
    }
}
