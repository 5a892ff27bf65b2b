//! Table definitions, kept by hand in step with `migrations/*/up.sql` (a test compares
//! the two backends' migrated tables).

diesel::table! {
    clinics (id) {
        id -> Text,
        name -> Text,
        expiry_warning_days -> BigInt,
        created_at -> Timestamp,
        patient_code_pattern -> Nullable<Text>,
        catalog_version -> Text,
        plan_version -> Text,
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
        email -> Nullable<Text>,
        active -> Bool,
        password_hash -> Nullable<Text>,
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
        archived -> Bool,
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
        archived -> Bool,
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
        gs1_serial -> Nullable<Text>,
        gs1_raw -> Nullable<Text>,
    }
}

diesel::joinable!(staff -> clinics (clinic_id));
diesel::joinable!(suppliers -> clinics (clinic_id));
diesel::joinable!(products -> suppliers (supplier_id));
diesel::joinable!(lots -> products (product_id));
diesel::joinable!(movements -> lots (lot_id));
diesel::joinable!(movements -> staff (actor_id));

diesel::table! {
    formulations (id) {
        id -> Text,
        clinic_id -> Text,
        current_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    formulation_versions (id) {
        id -> Text,
        clinic_id -> Text,
        formulation_id -> Text,
        version -> BigInt,
        name -> Text,
        method -> Text,
        areas -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    formulation_components (id) {
        id -> Text,
        clinic_id -> Text,
        version_id -> Text,
        position -> BigInt,
        product_id -> Text,
        amount -> BigInt,
    }
}

diesel::table! {
    contraindication_rules (id) {
        id -> Text,
        clinic_id -> Text,
        ingredient -> Nullable<Text>,
        product_id -> Nullable<Text>,
        condition -> Text,
        message -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        clinic_id -> Text,
        patient_ref -> Text,
        practitioner_id -> Text,
        performed_at -> Timestamp,
        area -> Text,
        method -> Text,
        formulation_id -> Nullable<Text>,
        formulation_version -> Nullable<BigInt>,
        conditions -> Text,
        contraindications -> Text,
        override_reason -> Nullable<Text>,
        status -> Text,
        void_reason -> Nullable<Text>,
        voided_by -> Nullable<Text>,
        voided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        area_override_reason -> Nullable<Text>,
    }
}

diesel::table! {
    session_usage (id) {
        id -> Text,
        clinic_id -> Text,
        session_id -> Text,
        product_id -> Text,
        lot_id -> Text,
        quantity -> BigInt,
        wasted -> BigInt,
        position -> BigInt,
        gs1_serial -> Nullable<Text>,
        gs1_raw -> Nullable<Text>,
    }
}

diesel::table! {
    session_lines (id) {
        id -> Text,
        clinic_id -> Text,
        session_id -> Text,
        product_id -> Text,
        planned -> Nullable<BigInt>,
        actual -> BigInt,
        position -> BigInt,
    }
}

diesel::table! {
    open_containers (id) {
        id -> Text,
        clinic_id -> Text,
        lot_id -> Text,
        product_id -> Text,
        opened_at -> Timestamp,
        beyond_use_at -> Timestamp,
        remaining -> BigInt,
        closed_at -> Nullable<Timestamp>,
        opened_in_session -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (clinic_id, staff_id, idem_key) {
        clinic_id -> Text,
        staff_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status -> BigInt,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(formulation_versions -> formulations (formulation_id));
diesel::joinable!(formulation_components -> formulation_versions (version_id));
diesel::joinable!(formulation_components -> products (product_id));
diesel::joinable!(session_usage -> sessions (session_id));
diesel::joinable!(session_usage -> lots (lot_id));
diesel::joinable!(session_lines -> sessions (session_id));
diesel::joinable!(sessions -> staff (practitioner_id));
diesel::joinable!(open_containers -> lots (lot_id));

diesel::table! {
    recall_cases (id) {
        id -> Text,
        clinic_id -> Text,
        lot_id -> Text,
        reason -> Text,
        status -> Text,
        opened_by -> Text,
        opened_at -> Timestamp,
        closed_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        closing_note -> Nullable<Text>,
    }
}

diesel::table! {
    recall_contacts (id) {
        id -> Text,
        clinic_id -> Text,
        case_id -> Text,
        patient_ref -> Text,
        status -> Text,
        note -> Nullable<Text>,
        updated_by -> Nullable<Text>,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        clinic_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
        entity -> Text,
        entity_id -> Text,
        action -> Text,
        changes -> Text,
    }
}

diesel::table! {
    courses (id) {
        id -> Text,
        clinic_id -> Text,
        patient_ref -> Text,
        formulation_id -> Text,
        area -> Text,
        start_on -> Date,
        sessions -> BigInt,
        interval_days -> BigInt,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        maintenance_every_days -> Nullable<BigInt>,
    }
}

diesel::table! {
    course_sessions (id) {
        id -> Text,
        clinic_id -> Text,
        course_id -> Text,
        seq -> BigInt,
        planned_on -> Date,
        session_id -> Nullable<Text>,
    }
}

diesel::table! {
    purchase_orders (id) {
        id -> Text,
        clinic_id -> Text,
        supplier_id -> Text,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cancel_reason -> Nullable<Text>,
    }
}

diesel::table! {
    purchase_order_lines (id) {
        id -> Text,
        clinic_id -> Text,
        order_id -> Text,
        position -> BigInt,
        product_id -> Text,
        containers -> BigInt,
        unit_cost -> BigInt,
        received_containers -> BigInt,
        reason -> Nullable<Text>,
    }
}

diesel::joinable!(course_sessions -> courses (course_id));
diesel::joinable!(purchase_order_lines -> purchase_orders (order_id));
diesel::joinable!(recall_contacts -> recall_cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    clinics,
    staff,
    suppliers,
    products,
    lots,
    movements,
    formulations,
    formulation_versions,
    formulation_components,
    contraindication_rules,
    sessions,
    session_usage,
    session_lines,
    open_containers,
    idempotency_keys,
    recall_cases,
    recall_contacts,
    audit_log,
    courses,
    course_sessions,
    purchase_orders,
    purchase_order_lines,
    tokens,
    browser_sessions,
    invitations,
    sign_in_failures,
    product_balances,
    product_daily_use,
    fridges,
    fridge_readings,
    lot_places,
    excursions,
    excursion_lots,
);

diesel::table! {
    fridges (id) {
        id -> Text,
        clinic_id -> Text,
        name -> Text,
        min_celsius -> BigInt,
        max_celsius -> BigInt,
        tolerance_minutes -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fridge_readings (fridge_id, at) {
        fridge_id -> Text,
        at -> Timestamp,
        celsius -> BigInt,
    }
}

diesel::table! {
    lot_places (id) {
        id -> Text,
        clinic_id -> Text,
        lot_id -> Text,
        fridge_id -> Text,
        from_at -> Timestamp,
        to_at -> Nullable<Timestamp>,
        moved_by -> Text,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    excursions (id) {
        id -> Text,
        clinic_id -> Text,
        fridge_id -> Text,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        min_celsius -> BigInt,
        max_celsius -> BigInt,
    }
}

diesel::table! {
    excursion_lots (excursion_id, lot_id) {
        excursion_id -> Text,
        lot_id -> Text,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        staff_id -> Text,
        name -> Text,
        prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    browser_sessions (id_hash) {
        id_hash -> Text,
        staff_id -> Text,
        csrf_token -> Text,
        client_addr -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    invitations (code_hash) {
        code_hash -> Text,
        staff_id -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Text,
        email -> Text,
        client_addr -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(tokens -> staff (staff_id));
diesel::joinable!(browser_sessions -> staff (staff_id));

diesel::table! {
    product_balances (clinic_id, product_id) {
        clinic_id -> Text,
        product_id -> Text,
        on_hand -> BigInt,
        available -> BigInt,
        expired -> BigInt,
        quarantined -> BigInt,
        recalled -> BigInt,
        next_expiry -> Nullable<Date>,
        next_stale -> Bool,
        swept_on -> Date,
        recent_use -> BigInt,
        use_since -> Date,
    }
}

diesel::table! {
    product_daily_use (clinic_id, day, product_id) {
        clinic_id -> Text,
        product_id -> Text,
        day -> Date,
        quantity -> BigInt,
    }
}
