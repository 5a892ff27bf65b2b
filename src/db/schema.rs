//! Table definitions, kept by hand in step with `migrations/*/up.sql` (a test compares
//! the two backends' migrated tables).

diesel::table! {
    clinics (id) {
        id -> Text,
        name -> Text,
        expiry_warning_days -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    staff (id) {
        id -> Text,
        clinic_id -> Nullable<Text>,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    suppliers (id) {
        id -> Text,
        clinic_id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        lead_time_days -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        clinic_id -> Text,
        sku -> Text,
        name -> Text,
        kind -> Text,
        ingredients -> Text,
        gtin -> Nullable<Text>,
        stock_unit -> Text,
        content -> BigInt,
        single_use -> Bool,
        beyond_use_days -> Nullable<BigInt>,
        storage -> Text,
        reorder_point -> BigInt,
        reorder_quantity -> BigInt,
        supplier_id -> Nullable<Text>,
        unit_cost -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lots (id) {
        id -> Text,
        clinic_id -> Text,
        product_id -> Text,
        lot_number -> Text,
        expires_on -> Date,
        supplier_id -> Nullable<Text>,
        containers -> BigInt,
        received_quantity -> BigInt,
        unit_cost -> BigInt,
        status -> Text,
        status_reason -> Nullable<Text>,
        on_hand -> BigInt,
        received_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    movements (id) {
        id -> Text,
        clinic_id -> Text,
        lot_id -> Text,
        product_id -> Text,
        kind -> Text,
        quantity -> BigInt,
        actor_id -> Text,
        reason -> Nullable<Text>,
        session_id -> Nullable<Text>,
        reverses_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(staff -> clinics (clinic_id));
diesel::joinable!(suppliers -> clinics (clinic_id));
diesel::joinable!(products -> suppliers (supplier_id));
diesel::joinable!(lots -> products (product_id));
diesel::joinable!(movements -> lots (lot_id));
diesel::joinable!(movements -> staff (actor_id));

diesel::allow_tables_to_appear_in_same_query!(clinics, staff, suppliers, products, lots, movements);
