//! Exports, recall cases, imports and the audit log.

use serde_json::{json, Value};

use crate::helpers::{day, s, spawn_app, Clinic, TestApp};

fn rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

/// A clinic with a cocktail session and a plain one, on two lots.
async fn scenario(app: &TestApp) -> (Clinic, Value, Value, Value) {
    let c = app.clinic("Trace").await;
    // A clinic whose own pattern lets anything through: the exports still neutralise
    // formulas in patient codes.
    let open = app
        .patch(
            &format!("/api/v1/clinics/{}", c.id),
            &c.manager,
            json!({"patient_code_pattern": ".+"}),
        )
        .await;
    assert_eq!(open.status, 200, "{open:?}");
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA-2", "name": "Hyaluronic acid, 2 ml", "gtin": "09501101020917"}),
        )
        .await;
    // Received before the back-dated first session.
    let lot_a = app
        .receive_days_ago(&c.manager, s(&ha["id"]), "=1+2", &day(100), 5, 3)
        .await;
    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "Glow", "method": "injectable", "areas": ["face"], "components": [{"product_id": ha["id"], "amount": "2"}]}))
        .await;
    let first = app
        .log_session(&c.practitioner, json!({"patient_ref": "=HYPERLINK(\"http://x\",\"y\")", "area": "face", "method": "injectable", "conditions": [], "formulation_id": f.body["id"],
            "performed_at": (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339()}))
        .await;
    assert_eq!(first.status, 201, "{first:?}");
    let second = app
        .log_session(&c.practitioner, json!({"patient_ref": "PAT-2", "area": "neck", "method": "injectable", "conditions": [], "items": [{"product_id": ha["id"], "quantity": "1.5"}]}))
        .await;
    assert_eq!(second.status, 201);
    (c, lot_a, first.body, second.body)
}

#[actix_web::test]
async fn traceability_csv_has_the_spec_columns_and_neutralises_formulas() {
    let app = spawn_app().await;
    let (c, _, first, second) = scenario(&app).await;
    let csv_answer = app
        .get("/api/v1/exports/traceability.csv", &c.auditor)
        .await;
    assert_eq!(csv_answer.status, 200, "{csv_answer:?}");
    assert!(csv_answer.content_type.starts_with("text/csv"));
    assert!(csv_answer.text.contains("\r\n"), "RFC 4180 line ends");
    let all = rows(&csv_answer.text);
    assert_eq!(
        all[0],
        "session_id,performed_at,patient_ref,practitioner,area,method,formulation,formulation_version,product_sku,product_name,gtin,lot_number,expires_on,quantity,unit,session_status,override_reason,gs1_serial,gs1_raw,area_override_reason,excursions"
            .split(',')
            .collect::<Vec<_>>()
    );
    assert_eq!(all.len(), 3);
    // Oldest first; the patient code and the lot number are kept but made inert.
    assert_eq!(all[1][0], s(&first["id"]));
    assert_eq!(all[1][2], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(all[1][6], "Glow");
    assert_eq!(all[1][7], "1");
    assert_eq!(all[1][10], "09501101020917");
    assert_eq!(all[1][11], "'=1+2");
    assert_eq!(
        (
            all[1][13].as_str(),
            all[1][14].as_str(),
            all[1][15].as_str()
        ),
        ("2", "ml", "recorded")
    );
    assert_eq!(all[2][0], s(&second["id"]));
    assert_eq!(all[2][13], "1.5");
    assert!(all[2][1].ends_with('Z'));

    // Filters: time window, product, lot number.
    let since = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let recent = rows(
        &app.get(
            &format!("/api/v1/exports/traceability.csv?from={since}"),
            &c.manager,
        )
        .await
        .text,
    );
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[1][0], s(&second["id"]));
    let until = rows(
        &app.get(
            &format!("/api/v1/exports/traceability.csv?to={since}"),
            &c.manager,
        )
        .await
        .text,
    );
    assert_eq!(until.len(), 2);
    assert_eq!(until[1][0], s(&first["id"]));
    let by_lot = rows(
        &app.get(
            "/api/v1/exports/traceability.csv?lot_number=%3D1%2B2",
            &c.manager,
        )
        .await
        .text,
    );
    assert_eq!(by_lot.len(), 3);
    let none = rows(
        &app.get(
            "/api/v1/exports/traceability.csv?lot_number=OTHER",
            &c.manager,
        )
        .await
        .text,
    );
    assert_eq!(none.len(), 1, "just the header");
    let by_product = rows(
        &app.get(
            &format!(
                "/api/v1/exports/traceability.csv?product_id={}",
                s(&first["usage"][0]["product_id"])
            ),
            &c.manager,
        )
        .await
        .text,
    );
    assert_eq!(by_product.len(), 3);
    let bom = app
        .get("/api/v1/exports/traceability.csv?bom=true", &c.manager)
        .await;
    assert!(bom.text.starts_with('\u{feff}'));

    assert_eq!(
        app.get("/api/v1/exports/traceability.csv", &c.practitioner)
            .await
            .status,
        403
    );
    assert_eq!(
        app.get("/api/v1/exports/movements.csv", &c.practitioner)
            .await
            .status,
        403
    );
    let bad = app
        .get("/api/v1/exports/traceability.csv?from=someday", &c.manager)
        .await;
    assert_eq!(bad.status, 422);
}

#[actix_web::test]
async fn movements_and_variance_csv() {
    let app = spawn_app().await;
    let (c, _, first, _) = scenario(&app).await;
    let m = rows(
        &app.get("/api/v1/exports/movements.csv", &c.auditor)
            .await
            .text,
    );
    assert_eq!(
        m[0][..4],
        ["created_at", "movement_id", "kind", "product_sku"]
    );
    assert_eq!(
        m[0][13..],
        ["gs1_serial", "gs1_raw"],
        "new columns at the end"
    );
    let kinds: Vec<&str> = m[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(kinds, vec!["receive", "consume", "consume", "waste"]);
    assert_eq!(
        m[2][7], "-2",
        "quantities stay numbers, minus sign included"
    );
    assert!(m[1][9].contains("manager"), "actor named");
    assert_eq!(m[4][10], "single-use container: the rest is discarded");
    let v = rows(
        &app.get("/api/v1/exports/variance.csv", &c.auditor)
            .await
            .text,
    );
    assert_eq!(v.len(), 2, "only sessions logged from a cocktail");
    assert_eq!(v[1][0], s(&first["id"]));
    assert_eq!(
        (v[1][8].as_str(), v[1][9].as_str(), v[1][10].as_str()),
        ("2", "2", "0")
    );
}

#[actix_web::test]
async fn recall_case_contacts_and_closing() {
    let app = spawn_app().await;
    let (c, lot, first, second) = scenario(&app).await;
    let lid = s(&lot["id"]).to_string();
    let recall = app
        .post(
            &format!("/api/v1/lots/{lid}/recall"),
            &c.manager,
            json!({"reason": "manufacturer notice 42"}),
        )
        .await;
    assert_eq!(recall.status, 200);
    let case_id = s(&recall.body["recall_case_id"]).to_string();
    let case = app
        .get(&format!("/api/v1/recalls/{case_id}"), &c.auditor)
        .await;
    assert_eq!(case.status, 200, "{case:?}");
    assert_eq!(case.body["status"], "open");
    assert_eq!(case.body["pending"], 2);
    let contacts = case.body["contacts"].as_array().unwrap().clone();
    let patients: Vec<&str> = contacts.iter().map(|c| s(&c["patient_ref"])).collect();
    assert!(patients.contains(&"PAT-2") && patients.contains(&s(&first["patient_ref"])));
    let close = format!("/api/v1/recalls/{case_id}/close");
    let early = app.post(&close, &c.manager, json!({})).await;
    assert_eq!(early.status, 409, "patients still pending");
    assert!(s(&early.body["detail"]).contains("2 patient"));
    let contact = |i: usize| {
        format!(
            "/api/v1/recalls/{case_id}/contacts/{}",
            s(&contacts[i]["id"])
        )
    };
    assert_eq!(
        app.post(&contact(0), &c.auditor, json!({"status": "contacted"}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.post(&contact(0), &c.manager, json!({"status": "called"}))
            .await
            .status,
        422
    );
    let one = app
        .post(
            &contact(0),
            &c.manager,
            json!({"status": "contacted", "note": "phoned, no symptoms"}),
        )
        .await;
    assert_eq!(one.status, 200, "{one:?}");
    assert_eq!(one.body["pending"], 1);
    assert_eq!(
        app.post(
            &contact(1),
            &c.manager,
            json!({"status": "unreachable", "note": "letter sent"})
        )
        .await
        .body["pending"],
        0
    );

    // The recall CSV shows each session with its patient's contact status.
    let csv_answer = app
        .get(&format!("/api/v1/exports/recall/{lid}.csv"), &c.auditor)
        .await;
    let r = rows(&csv_answer.text);
    assert_eq!(
        r[0][..5],
        [
            "lot_number",
            "product_sku",
            "session_id",
            "performed_at",
            "patient_ref"
        ]
    );
    assert_eq!(r.len(), 3);
    let ids: Vec<&str> = r[1..].iter().map(|row| row[2].as_str()).collect();
    assert_eq!(ids, vec![s(&first["id"]), s(&second["id"])]);
    assert!(r[1..]
        .iter()
        .all(|row| row[8] == "contacted" || row[8] == "unreachable"));
    assert_eq!(r[1][0], "'=1+2");

    let closed = app
        .post(&close, &c.manager, json!({"note": "all informed"}))
        .await;
    assert_eq!(closed.status, 200, "{closed:?}");
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(
        app.post(&contact(0), &c.manager, json!({"status": "pending"}))
            .await
            .status,
        409,
        "a closed case is final"
    );
    assert_eq!(
        app.get("/api/v1/recalls", &c.manager)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let other = app.clinic("Other").await;
    assert_eq!(
        app.get(&format!("/api/v1/recalls/{case_id}"), &other.auditor)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/exports/recall/{lid}.csv"), &other.auditor)
            .await
            .status,
        404
    );
    let by_number = app
        .get("/api/v1/trace?lot_number=%3D1%2B2", &c.auditor)
        .await;
    assert_eq!(by_number.body[0]["sessions"].as_array().unwrap().len(), 2);
}

pub(crate) async fn import(
    app: &TestApp,
    c: &Clinic,
    what: &str,
    body: &str,
) -> crate::helpers::Answer {
    let mut res = app
        .client
        .post(format!("{}/api/v1/imports/{what}", app.address))
        .insert_header(("Authorization", format!("Bearer {}", c.manager)))
        .insert_header(("Content-Type", "text/csv"))
        .send_body(body.to_string())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let bytes = res.body().await.unwrap();
    crate::helpers::Answer {
        status,
        content_type: String::new(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[actix_web::test]
async fn imports_are_all_or_nothing_and_name_bad_lines() {
    let app = spawn_app().await;
    let c = app.clinic("Imports").await;
    app.post(
        "/api/v1/suppliers",
        &c.manager,
        json!({"name": "MesoPharma", "lead_time_days": 5}),
    )
    .await;
    let bad = "sku,name,kind,ingredients,gtin,stock_unit,content,single_use,storage,reorder_point,supplier,unit_cost\r\n\
               HA-2,HA 2 ml,vial,hyaluronic acid,,ml,2,true,room,10,MesoPharma,14.50\r\n\
               SIL-5,Silicon,ampoule,organic silicon,09501101020918,ml,5,true,room,5,,6.2\r\n\
               N-30,Needle 30G,needle,,,piece,100,maybe,room,100,Nobody,12\r\n";
    let refused = import(&app, &c, "products", bad).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    let errors = refused.body["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert!(
        lines.iter().all(|l| *l == 3 || *l == 4) && lines.contains(&3) && lines.contains(&4),
        "{errors:?}"
    );
    assert!(errors
        .iter()
        .any(|e| e["line"] == 3 && e["field"] == "gtin"));
    assert!(errors
        .iter()
        .any(|e| e["line"] == 4 && e["field"] == "single_use"));
    assert!(errors
        .iter()
        .any(|e| e["line"] == 4 && e["field"] == "supplier"));
    assert_eq!(
        app.get("/api/v1/products", &c.manager).await.body,
        json!([]),
        "nothing written"
    );

    let good = bad
        .replace("09501101020918", "09501101020917")
        .replace("maybe", "true")
        .replace("Nobody", "MesoPharma");
    let ok = import(&app, &c, "products", &good).await;
    assert_eq!(ok.status, 201, "{ok:?}");
    assert_eq!(ok.body["imported"], 3);
    let products = app.get("/api/v1/products", &c.manager).await;
    assert_eq!(products.body.as_array().unwrap().len(), 3);
    let again = import(&app, &c, "products", &good).await;
    assert_eq!(again.status, 422, "duplicate skus are refused by line");
    assert_eq!(again.body["errors"][0]["line"], 2);

    let lots = "sku,lot_number,expires_on,containers,unit_cost\n\
                HA-2,L-1,2030-01-31,4,\n\
                SIL-5,L 2,2030-01-31,2,\n\
                N-30,L-3,2030-02-30,1,\n\
                N-30,L-4,2030-02-01,0,\n";
    let refused = import(&app, &c, "lots", lots).await;
    assert_eq!(refused.status, 422);
    let lines: Vec<u64> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5]);
    assert_eq!(app.get("/api/v1/lots", &c.manager).await.body, json!([]));
    let fixed = lots
        .replace("L 2", "L-2")
        .replace("2030-02-30", "2030-02-28")
        .replace(",0,", ",1,");
    let ok = import(&app, &c, "lots", &fixed).await;
    assert_eq!(ok.body["imported"], 4, "{ok:?}");
    let stock = app.get("/api/v1/stock", &c.manager).await;
    let ha = stock
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "HA-2")
        .unwrap();
    assert_eq!(ha["on_hand"], "8");
    let header = import(
        &app,
        &c,
        "lots",
        "sku,lot,expires_on,containers\nHA-2,X,2030-01-01,1\n",
    )
    .await;
    assert_eq!(header.status, 422);
    assert_eq!(header.body["errors"][0]["line"], 1);
    assert_eq!(import(&app, &c, "lots", "").await.status, 422);
}

#[actix_web::test]
async fn a_lots_file_enters_yesterdays_delivery_with_its_time() {
    let app = spawn_app().await;
    let c = app.clinic("Late delivery").await;
    let ha = app.product(&c.manager, json!({"sku": "HA-LATE"})).await;
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let old = chrono::Utc::now() - chrono::Duration::days(120);
    let file = format!(
        "sku,lot_number,expires_on,containers,received_at\n\
         HA-LATE,Y-1,2030-01-31,2,{}\n\
         HA-LATE,Y-2,2030-01-31,2,yesterday\n\
         HA-LATE,Y-3,2030-01-31,2,{}\n",
        yesterday.to_rfc3339(),
        old.to_rfc3339()
    );
    let refused = import(&app, &c, "lots", &file).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    let errors: Vec<(u64, String, String)> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                s(&e["field"]).to_string(),
                s(&e["message"]).to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1.as_str()), (3, "received_at"));
    assert!(errors[0].2.contains("is not a time"), "{errors:?}");
    assert_eq!((errors[1].0, errors[1].1.as_str()), (4, "received_at"));
    assert!(errors[1].2.contains("90 days"), "{errors:?}");

    let ok = import(&app, &c, "lots", &format!(
        "sku,lot_number,expires_on,containers,received_at\nHA-LATE,Y-1,2030-01-31,2,{}\nHA-LATE,Y-4,2030-01-31,1,\n",
        yesterday.to_rfc3339()
    )).await;
    assert_eq!(ok.status, 201, "{ok:?}");
    let lots = app
        .get(
            &format!("/api/v1/lots?product_id={}", s(&ha["id"])),
            &c.manager,
        )
        .await;
    let received = |n: &str| {
        let lot = lots
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lot_number"] == n)
            .unwrap();
        chrono::DateTime::parse_from_rfc3339(s(&lot["received_at"])).unwrap()
    };
    assert!((received("Y-1").timestamp() - yesterday.timestamp()).abs() <= 1);
    assert!(
        chrono::Utc::now().timestamp() - received("Y-4").timestamp() < 120,
        "empty means now"
    );
}

#[actix_web::test]
async fn cli_export_equals_the_api_export_byte_for_byte() {
    let app = spawn_app().await;
    let (c, lot, _, _) = scenario(&app).await;
    app.post(
        &format!("/api/v1/lots/{}/recall", s(&lot["id"])),
        &c.manager,
        json!({"reason": "notice"}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    for (what, path, extra) in [
        (
            "traceability",
            "/api/v1/exports/traceability.csv".to_string(),
            vec![],
        ),
        (
            "movements",
            "/api/v1/exports/movements.csv".to_string(),
            vec![],
        ),
        (
            "variance",
            "/api/v1/exports/variance.csv".to_string(),
            vec![],
        ),
        (
            "recall",
            format!("/api/v1/exports/recall/{}.csv", s(&lot["id"])),
            vec!["--lot-id".to_string(), s(&lot["id"]).to_string()],
        ),
    ] {
        let out = dir.path().join(format!("{what}.csv"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_mesoledger"))
            .env("DATABASE_URL", app.db.url())
            .args([
                "export",
                what,
                "--clinic",
                &c.id,
                "--output",
                out.to_str().unwrap(),
            ])
            .args(&extra)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let file = std::fs::read(&out).unwrap();
        let api = app.get(&path, &c.auditor).await;
        assert_eq!(String::from_utf8(file).unwrap(), api.text, "{what}");
        assert!(api.text.lines().count() >= 2, "{what} has rows");
    }
}

#[actix_web::test]
async fn audit_log_records_changes_and_nothing_can_be_deleted() {
    let app = spawn_app().await;
    let (c, lot, first, _) = scenario(&app).await;
    let p = s(&first["usage"][0]["product_id"]).to_string();
    app.patch(
        &format!("/api/v1/products/{p}"),
        &c.manager,
        json!({"reorder_point": "12"}),
    )
    .await;
    app.post(
        &format!("/api/v1/lots/{}/quarantine", s(&lot["id"])),
        &c.manager,
        json!({"reason": "check"}),
    )
    .await;
    let log = app
        .get("/api/v1/audit-log?entity=product", &c.auditor)
        .await;
    assert_eq!(log.status, 200, "{log:?}");
    let entries = log.body.as_array().unwrap();
    assert_eq!(entries.len(), 2, "create and update");
    assert_eq!(entries[1]["action"], "update");
    assert_eq!(entries[1]["changes"]["reorder_point"], json!(["4", "12"]));
    assert!(
        entries[1]["changes"].get("name").is_none(),
        "only what changed"
    );
    assert!(s(&entries[1]["actor"]).contains("manager"));
    let lots = app.get("/api/v1/audit-log?entity=lot", &c.manager).await;
    assert_eq!(
        lots.body[0]["changes"]["status"],
        json!(["available", "quarantined"])
    );
    let all = app.get("/api/v1/audit-log", &c.manager).await;
    let entities: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["entity"]))
        .collect();
    for e in ["clinic", "staff", "product", "formulation", "lot"] {
        assert!(entities.contains(&e), "{e} missing from {entities:?}");
    }
    assert!(!all.text.contains("token"), "no token or hash in the log");
    assert_eq!(
        app.get("/api/v1/audit-log", &c.practitioner).await.status,
        403
    );
    let other = app.clinic("Other").await;
    let theirs = app.get("/api/v1/audit-log", &other.auditor).await;
    assert!(
        !theirs.text.contains(&p) && !theirs.text.contains(&c.id),
        "another clinic's log is its own"
    );

    let sid = s(&first["id"]);
    for path in [
        format!("/api/v1/sessions/{sid}"),
        format!("/api/v1/lots/{}", s(&lot["id"])),
        "/api/v1/audit-log".into(),
        "/api/v1/movements".into(),
    ] {
        let d = app.request("DELETE", &path, Some(&c.manager), None).await;
        assert!(d.status == 404 || d.status == 405, "{path}: {d:?}");
    }
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{sid}"), &c.manager)
            .await
            .status,
        200
    );
}
