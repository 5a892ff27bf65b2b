//! Cocktails and the clinic's contraindication rules: `/cocktails` (the list, a create
//! form, the rules and an add-rule form), `/cocktails/{id}` (every version and an edit
//! form that makes the next version) and `/cocktail-rules/{id}` (edit a rule). Every
//! write goes through `services::formulations`, as the JSON API does; practitioners and
//! auditors read without write buttons, and the service refuses their writes anyway.

use crate::domain::ids::{FormulationId, ProductId};
use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use rust_decimal::Decimal;

use super::forecast::unit_label;
use super::session::WebConfig;
use super::treatment::{human, select_options, Opt};
use super::{check_posted, page, see_other, Frame, Signed, UiError};
use crate::db::formulations::FormulationVersion;
use crate::db::products::Product;
use crate::db::rules::ClinicRule;
use crate::domain::quantity;
use crate::domain::requests::{ComponentInput, FormulationInput, RuleInput, RulePatch};
use crate::domain::role::{allows, Action};
use crate::domain::screening::{builtin_rules, Target};
use crate::domain::treatment::{Area, Method};
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::catalog;
use crate::services::formulations::{self};

/// Empty component rows offered below the filled ones (the page works without script, so
/// it cannot add rows on demand).
const SPARE_ROWS: usize = 2;
/// Rows read from a posted form at most.
const MAX_ROWS: usize = 50;

// ---- the cocktail form

#[derive(Debug, Default, Clone)]
struct ComponentRow {
    product_id: String,
    amount: String,
    product_error: Option<String>,
    amount_error: Option<String>,
}

/// The cocktail form as posted (every field is text) and its errors.
#[derive(Debug, Default, Clone)]
struct CocktailForm {
    name: String,
    method: String,
    areas: Vec<String>,
    rows: Vec<ComponentRow>,
    name_error: Option<String>,
    method_error: Option<String>,
    areas_error: Option<String>,
    components_error: Option<String>,
    other: Vec<String>,
}

impl CocktailForm {
    fn of(v: &FormulationVersion) -> CocktailForm {
        CocktailForm {
            name: v.name.clone(),
            method: v.method.to_string(),
            areas: v.areas.iter().map(|a| a.to_string()).collect(),
            rows: v
                .components
                .iter()
                .map(|(product_id, amount)| ComponentRow {
                    product_id: product_id.to_string(),
                    amount: amount.normalize().to_string(),
                    ..ComponentRow::default()
                })
                .collect(),
            ..CocktailForm::default()
        }
    }

    /// Rows are `component_product_{i}` / `component_amount_{i}`; a row without a product
    /// is an unused spare and is dropped.
    fn parse(body: &[u8]) -> CocktailForm {
        let mut f = CocktailForm::default();
        let mut rows: BTreeMap<usize, ComponentRow> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "name" => f.name = v,
                "method" => f.method = v,
                "area" => f.areas.push(v),
                other => {
                    let Some((field, i)) = other.rsplit_once('_') else {
                        continue;
                    };
                    let Some(i) = i.parse::<usize>().ok().filter(|i| *i < MAX_ROWS) else {
                        continue;
                    };
                    let row = rows.entry(i).or_default();
                    match field {
                        "component_product" => row.product_id = v,
                        "component_amount" => row.amount = v,
                        _ => {}
                    }
                }
            }
        }
        f.rows = rows
            .into_values()
            .filter(|r| !r.product_id.is_empty())
            .collect();
        f
    }

    /// The API's request, or none after marking the amounts that are not numbers.
    fn input(&mut self) -> Option<FormulationInput> {
        let mut components = Vec::new();
        for row in &mut self.rows {
            match quantity::parse_decimal(row.amount.trim()) {
                Ok(amount) => components.push(ComponentInput {
                    product_id: ProductId::from(row.product_id.as_str()),
                    amount,
                }),
                Err(_) => {
                    row.amount_error = Some(if row.amount.is_empty() {
                        "give the amount per session".into()
                    } else {
                        "must be a number, e.g. 2 or 0.5".into()
                    })
                }
            }
        }
        if self.rows.iter().any(|r| r.amount_error.is_some()) {
            return None;
        }
        Some(FormulationInput {
            name: self.name.clone(),
            method: self.method.clone(),
            areas: self.areas.clone(),
            components,
        })
    }

    /// Puts a refused write's field errors next to their field (`components[1].amount`
    /// → the second row's Amount); anything else above the form.
    fn place(&mut self, e: AppError) {
        let errs = match e {
            AppError::Invalid(errs) => errs,
            other => {
                self.other.push(other.to_string());
                return;
            }
        };
        for e in errs {
            let field = e.field.as_str();
            let row = field
                .strip_prefix("components[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, name)| Some((i.parse::<usize>().ok()?, name)));
            let slot = match (field, row) {
                ("name", _) => &mut self.name_error,
                ("method", _) => &mut self.method_error,
                ("components", _) => &mut self.components_error,
                (_, Some((i, name))) if i < self.rows.len() => {
                    let r = &mut self.rows[i];
                    if name == "amount" {
                        &mut r.amount_error
                    } else {
                        &mut r.product_error
                    }
                }
                (f, _) if f == "areas" || f.starts_with("areas[") => &mut self.areas_error,
                _ => {
                    self.other.push(format!("{}: {}", human(field), e.message));
                    continue;
                }
            };
            *slot = Some(e.message);
        }
    }
}

/// A component row as the template draws it.
struct RowView {
    n: usize,
    products: Vec<Opt>,
    amount: String,
    product_error: Option<String>,
    amount_error: Option<String>,
}

/// The form with its choices, ready to draw.
struct FormView {
    action: String,
    button: &'static str,
    name: String,
    methods: Vec<Opt>,
    areas: Vec<Opt>,
    rows: Vec<RowView>,
    name_error: Option<String>,
    method_error: Option<String>,
    areas_error: Option<String>,
    components_error: Option<String>,
    other: Vec<String>,
}

fn product_label(p: &Product) -> String {
    format!("{} ({}, {})", p.name, p.sku, p.stock_unit)
}

fn form_view(
    action: String,
    button: &'static str,
    f: CocktailForm,
    products: &[Product],
) -> FormView {
    let options = |selected: &str| {
        select_options(
            "— none —",
            selected,
            products
                .iter()
                // Archived products are no choice, unless already chosen.
                .filter(|p| !p.archived || p.id.as_str() == selected)
                .map(|p| (p.id.to_string(), product_label(p))),
        )
    };
    let mut rows: Vec<RowView> = f
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| RowView {
            n: i + 1,
            products: options(&r.product_id),
            amount: r.amount,
            product_error: r.product_error,
            amount_error: r.amount_error,
        })
        .collect();
    for _ in 0..SPARE_ROWS {
        rows.push(RowView {
            n: rows.len() + 1,
            products: options(""),
            amount: String::new(),
            product_error: None,
            amount_error: None,
        });
    }
    let methods = select_options(
        "— choose —",
        &f.method,
        Method::ALL
            .iter()
            .map(|m| (m.as_str().to_string(), m.label().to_string())),
    );
    FormView {
        action,
        button,
        name: f.name,
        methods,
        areas: Area::ALL
            .iter()
            .map(|a| Opt {
                value: a.as_str().into(),
                label: human(a.as_str()),
                selected: f.areas.iter().any(|s| s == a.as_str()),
            })
            .collect(),
        rows,
        name_error: f.name_error,
        method_error: f.method_error,
        areas_error: f.areas_error,
        components_error: f.components_error,
        other: f.other,
    }
}

// ---- the rule forms

#[derive(Debug, Default, Clone)]
struct RuleForm {
    condition: String,
    ingredient: String,
    product_id: String,
    message: String,
    active: bool,
    condition_error: Option<String>,
    ingredient_error: Option<String>,
    product_error: Option<String>,
    message_error: Option<String>,
    other: Vec<String>,
}

impl RuleForm {
    fn parse(body: &[u8]) -> RuleForm {
        let mut f = RuleForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "condition" => f.condition = v,
                "ingredient" => f.ingredient = v,
                "product_id" => f.product_id = v,
                "message" => f.message = v,
                "active" => f.active = true,
                _ => {}
            }
        }
        f
    }

    fn of(r: &ClinicRule) -> RuleForm {
        RuleForm {
            condition: r.condition.clone(),
            ingredient: r.ingredient.clone().unwrap_or_default(),
            product_id: r
                .product_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            message: r.message.clone(),
            active: r.active,
            ..RuleForm::default()
        }
    }

    fn place(&mut self, e: AppError) {
        match e {
            AppError::Invalid(errs) => {
                for f in errs {
                    let slot = match f.field.as_str() {
                        "condition" => &mut self.condition_error,
                        "ingredient" => &mut self.ingredient_error,
                        "product_id" => &mut self.product_error,
                        "message" => &mut self.message_error,
                        other => {
                            self.other.push(format!("{}: {}", human(other), f.message));
                            continue;
                        }
                    };
                    *slot = Some(f.message);
                }
            }
            other => self.other.push(other.to_string()),
        }
    }
}

fn optional(s: &str) -> Option<String> {
    Some(s.to_string()).filter(|s| !s.is_empty())
}

/// A rule as listed.
struct RuleRow {
    id: Option<String>,
    applies_to: String,
    condition: String,
    message: String,
    state: &'static str,
}

fn applies_to(
    ingredient: Option<&str>,
    product: Option<&str>,
    names: &HashMap<&str, String>,
) -> String {
    match (ingredient, product) {
        (Some(i), _) => format!("ingredient {i}"),
        (None, Some(p)) => names.get(p).cloned().unwrap_or_else(|| p.to_string()),
        (None, None) => "every treatment".into(),
    }
}

fn product_options(products: &[Product], selected: &str) -> Vec<Opt> {
    select_options(
        "— none (use the ingredient, or every treatment) —",
        selected,
        products
            .iter()
            .filter(|p| !p.archived || p.id.as_str() == selected)
            .map(|p| (p.id.to_string(), product_label(p))),
    )
}

// ---- /cocktails

struct CocktailRow {
    id: FormulationId,
    name: String,
    version: i64,
    method: String,
    areas: String,
    components: String,
}

#[derive(Template)]
#[template(path = "cocktails/index.html")]
struct IndexPage {
    frame: Frame,
    csrf_token: String,
    manages: bool,
    notice: Option<String>,
    cocktails: Vec<CocktailRow>,
    form: FormView,
    rules: Vec<RuleRow>,
    rule: RuleForm,
    rule_products: Vec<Opt>,
}

/// An amount per session with its unit ("2 ml", "1 pcs").
fn amount_text(amount: Decimal, p: &Product) -> String {
    format!("{} {}", amount.normalize(), unit_label(p.stock_unit))
}

/// "2 ml Hyaluronic acid 2 ml; 1 pcs Needle 30G": amount first, as names hold commas.
fn components_text(v: &FormulationVersion, by_id: &HashMap<&str, &Product>) -> String {
    v.components
        .iter()
        .map(|(pid, amount)| match by_id.get(pid.as_str()) {
            Some(p) => format!("{} {}", amount_text(*amount, p), p.name),
            None => format!("{} {pid}", amount.normalize()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn areas_text(v: &FormulationVersion) -> String {
    v.areas
        .iter()
        .map(|a| human(a.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn index_view(
    state: &AppState,
    session: &WebSession,
    cocktail: Option<CocktailForm>,
    rule: Option<RuleForm>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (list, products, own) = run(state, move |conn| {
        Ok((
            formulations::list(conn, &actor)?,
            catalog::list_products(conn, &actor, None)?,
            formulations::list_rules(conn, &actor)?,
        ))
    })
    .await?;
    let by_id: HashMap<&str, &Product> = products.iter().map(|p| (p.id.as_str(), p)).collect();
    let names: HashMap<&str, String> = products
        .iter()
        .map(|p| (p.id.as_str(), format!("product {}", p.name)))
        .collect();
    let mut rules: Vec<RuleRow> = builtin_rules()
        .into_iter()
        .map(|r| {
            let (ingredient, product) = match &r.target {
                Target::Ingredient(i) => (Some(i.as_str()), None),
                Target::Product(p) => (None, Some(p.as_str())),
                Target::Any => (None, None),
            };
            RuleRow {
                id: None,
                applies_to: applies_to(ingredient, product, &names),
                condition: human(&r.condition),
                message: r.message.clone(),
                state: "Built in",
            }
        })
        .collect();
    rules.extend(own.iter().map(|r| RuleRow {
        id: Some(r.id.clone()),
        applies_to: applies_to(r.ingredient.as_deref(), r.product_id.as_deref(), &names),
        condition: human(&r.condition),
        message: r.message.clone(),
        state: if r.active { "Active" } else { "Inactive" },
    }));
    let rule = rule.unwrap_or(RuleForm {
        active: true,
        ..RuleForm::default()
    });
    Ok(page(
        status,
        &IndexPage {
            frame: Frame::at("Cocktails", "/cocktails", Some(session)),
            csrf_token: session.csrf_token.clone(),
            manages: allows(session.actor.role, Action::ManageStock),
            notice,
            cocktails: list
                .iter()
                .map(|v| CocktailRow {
                    id: v.formulation_id.clone(),
                    name: v.name.clone(),
                    version: v.version,
                    method: v.method.label().into(),
                    areas: areas_text(v),
                    components: components_text(v, &by_id),
                })
                .collect(),
            form: form_view(
                "/cocktails".into(),
                "Create cocktail",
                cocktail.unwrap_or_default(),
                &products,
            ),
            rule_products: product_options(&products, &rule.product_id),
            rules,
            rule,
        },
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

/// The cocktails, the clinic's rules, and for a manager the forms that add them.
#[get("/cocktails")]
pub async fn cocktails_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = match q.done.as_str() {
        "rule" => Some("Rule added.".to_string()),
        "rule-saved" => Some("Rule saved.".to_string()),
        _ => None,
    };
    index_view(&state, &session, None, None, notice, StatusCode::OK).await
}

/// The status of a refused write, for the page drawn again with its errors.
fn refused(e: &AppError) -> Option<StatusCode> {
    matches!(e, AppError::Invalid(_) | AppError::Conflict { .. }).then(|| e.status_code())
}

/// Creates a cocktail (`services::formulations::create`), then shows it.
#[post("/cocktails")]
pub async fn create_cocktail(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let mut form = CocktailForm::parse(&body);
    let Some(input) = form.input() else {
        return index_view(
            &state,
            &session,
            Some(form),
            None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let actor = session.actor.clone();
    match run(&state, move |conn| {
        formulations::create(conn, &actor, input)
    })
    .await
    {
        Ok(v) => Ok(see_other(&format!(
            "/cocktails/{}?done=created",
            v.formulation_id
        ))),
        Err(e) => match refused(&e) {
            Some(status) => {
                form.place(e);
                index_view(&state, &session, Some(form), None, None, status).await
            }
            None => Err(e.into()),
        },
    }
}

/// Adds one of the clinic's own rules (`services::formulations::create_rule`).
#[post("/cocktail-rules")]
pub async fn add_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let mut form = RuleForm::parse(&body);
    let input = RuleInput {
        ingredient: optional(&form.ingredient),
        product_id: optional(&form.product_id).map(ProductId::from),
        condition: form.condition.clone(),
        message: form.message.clone(),
        active: form.active,
    };
    let actor = session.actor.clone();
    match run(&state, move |conn| {
        formulations::create_rule(conn, &actor, input)
    })
    .await
    {
        Ok(_) => Ok(see_other("/cocktails?done=rule#rules")),
        Err(e) => match refused(&e) {
            Some(status) => {
                form.place(e);
                index_view(&state, &session, None, Some(form), None, status).await
            }
            None => Err(e.into()),
        },
    }
}

// ---- /cocktails/{id}

struct VersionView {
    version: i64,
    current: bool,
    created_at: String,
    name: String,
    method: String,
    areas: String,
    components: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "cocktails/show.html")]
struct ShowPage {
    frame: Frame,
    csrf_token: String,
    manages: bool,
    notice: Option<String>,
    name: String,
    version: i64,
    versions: Vec<VersionView>,
    form: FormView,
}

async fn show_view(
    state: &AppState,
    session: &WebSession,
    id: FormulationId,
    edited: Option<CocktailForm>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let target = id.clone();
    let (versions, products) = run(state, move |conn| {
        Ok((
            formulations::versions(conn, &actor, &target)?,
            catalog::list_products(conn, &actor, None)?,
        ))
    })
    .await?;
    let Some(current) = versions.first() else {
        return Err(AppError::not_found(format!("formulation {id}")).into());
    };
    let by_id: HashMap<&str, &Product> = products.iter().map(|p| (p.id.as_str(), p)).collect();
    let form = edited.unwrap_or_else(|| CocktailForm::of(current));
    Ok(page(
        status,
        &ShowPage {
            frame: Frame::at(&current.name, "/cocktails", Some(session)),
            csrf_token: session.csrf_token.clone(),
            manages: allows(session.actor.role, Action::ManageStock),
            notice,
            name: current.name.clone(),
            version: current.version,
            versions: versions
                .iter()
                .map(|v| VersionView {
                    version: v.version,
                    current: v.version == v.latest_version,
                    created_at: v.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    name: v.name.clone(),
                    method: v.method.label().into(),
                    areas: areas_text(v),
                    components: v
                        .components
                        .iter()
                        .map(|(pid, amount)| match by_id.get(pid.as_str()) {
                            Some(p) => (format!("{} ({})", p.name, p.sku), amount_text(*amount, p)),
                            None => (pid.to_string(), amount.normalize().to_string()),
                        })
                        .collect(),
                })
                .collect(),
            form: form_view(
                format!("/cocktails/{id}"),
                "Save as a new version",
                form,
                &products,
            ),
        },
    ))
}

/// A cocktail with every version, newest first; a manager's edit form below.
#[get("/cocktails/{id}")]
pub async fn cocktail_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<FormulationId>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = match q.done.as_str() {
        "created" => Some("Cocktail created.".to_string()),
        "saved" => {
            Some("Saved as a new version; earlier versions are kept as they were.".to_string())
        }
        _ => None,
    };
    show_view(
        &state,
        &session,
        id.into_inner(),
        None,
        notice,
        StatusCode::OK,
    )
    .await
}

/// Saves the edit form as the next version (`services::formulations::update`).
#[post("/cocktails/{id}")]
pub async fn edit_cocktail(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<FormulationId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let id = id.into_inner();
    let mut form = CocktailForm::parse(&body);
    let Some(input) = form.input() else {
        return show_view(
            &state,
            &session,
            id,
            Some(form),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (actor, target) = (session.actor.clone(), id.clone());
    match run(&state, move |conn| {
        formulations::update(conn, &actor, &target, input)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!("/cocktails/{id}?done=saved"))),
        Err(e) => match refused(&e) {
            Some(status) => {
                form.place(e);
                show_view(&state, &session, id, Some(form), None, status).await
            }
            None => Err(e.into()),
        },
    }
}

// ---- /cocktail-rules/{id}

#[derive(Template)]
#[template(path = "cocktails/rule.html")]
struct RulePage {
    frame: Frame,
    csrf_token: String,
    id: String,
    applies_to: String,
    rule: RuleForm,
}

async fn rule_view(
    state: &AppState,
    session: &WebSession,
    id: String,
    edited: Option<RuleForm>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    session.actor.clinic_for(Action::ManageStock)?;
    let actor = session.actor.clone();
    let (own, products) = run(state, move |conn| {
        Ok((
            formulations::list_rules(conn, &actor)?,
            catalog::list_products(conn, &actor, None)?,
        ))
    })
    .await?;
    let Some(rule) = own.into_iter().find(|r| r.id == id) else {
        return Err(AppError::not_found(format!("rule {id}")).into());
    };
    let names: HashMap<&str, String> = products
        .iter()
        .map(|p| (p.id.as_str(), format!("product {}", p.name)))
        .collect();
    Ok(page(
        status,
        &RulePage {
            frame: Frame::at("Edit a contraindication rule", "/cocktails", Some(session)),
            csrf_token: session.csrf_token.clone(),
            applies_to: applies_to(
                rule.ingredient.as_deref(),
                rule.product_id.as_deref(),
                &names,
            ),
            rule: edited.unwrap_or_else(|| RuleForm::of(&rule)),
            id,
        },
    ))
}

/// The edit form of one of the clinic's rules (managers).
#[get("/cocktail-rules/{id}")]
pub async fn rule_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    rule_view(&state, &session, id.into_inner(), None, StatusCode::OK).await
}

/// Saves a rule's condition, message and whether it applies
/// (`services::formulations::update_rule`).
#[post("/cocktail-rules/{id}")]
pub async fn edit_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let id = id.into_inner();
    let mut form = RuleForm::parse(&body);
    let patch = RulePatch {
        message: Some(form.message.clone()),
        active: Some(form.active),
        condition: Some(form.condition.clone()),
    };
    let (actor, target) = (session.actor.clone(), id.clone());
    match run(&state, move |conn| {
        formulations::update_rule(conn, &actor, &target, patch)
    })
    .await
    {
        Ok(_) => Ok(see_other("/cocktails?done=rule-saved#rules")),
        Err(e) => match refused(&e) {
            Some(status) => {
                form.place(e);
                rule_view(&state, &session, id, Some(form), status).await
            }
            None => Err(e.into()),
        },
    }
}
