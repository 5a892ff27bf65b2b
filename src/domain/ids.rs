//! Ids of the things a clinic keeps, one type each, so a product id cannot be passed
//! where a lot or clinic id is expected. Each is a UUID (or, for older rows, any text)
//! stored as TEXT; `db::types` maps them to the column.

/// A new id, stored as text: a UUID version 7, whose leading
/// timestamp makes ids of rows written together sort together, so each index on an id
/// takes them on the same few pages instead of one random page per row (a SQLite group
/// commit of 16 sessions wrote a page per row per index with random version 4 ids).
/// Ids name rows; they are not secrets (tokens and codes come from `getrandom`).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Declares an id type over text.
macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            ::serde::Serialize, ::serde::Deserialize,
            ::diesel::expression::AsExpression, ::diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        pub struct $name(pub String);

        impl $name {
            /// A new id: see `db::new_id`.
            pub fn generate() -> Self {
                $name(new_id())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Any stored or submitted text names an id; whether it exists is the
            /// repository's answer (not found), never a parse error.
            pub fn parse(s: &str) -> Result<Self, std::convert::Infallible> {
                Ok($name(s.to_string()))
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        // Maps keyed by id can be looked up with a borrowed `&str` (same hash as `String`).
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

id_type!(
    /// A clinic: every row belongs to one, and every query is scoped to the caller's.
    ClinicId,
    /// A product of a clinic's catalog.
    ProductId,
    /// A lot (batch) of a product, as received.
    LotId,
    /// A treatment session: what was used on one patient, once.
    SessionId,
    /// A supplier the clinic orders from.
    SupplierId,
    /// A cocktail (all its versions share the id).
    FormulationId,
    /// A patient's planned course of sessions.
    CourseId,
    /// The recall case opened for a recalled lot.
    RecallCaseId,
    /// A purchase order to a supplier.
    PurchaseOrderId,
    /// A person of a clinic (or the admin): who acted, who treated, who opened a case.
    StaffId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_uuids_that_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..2000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "rows written together index together");
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        let parsed = uuid::Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert!(LotId::generate() > LotId(ids[1999].clone()));
    }
}
