//! Every route of the application, in one list, and the layers around them.
//!
//! The list is data as well as wiring: [`route_table`] hands it to the tests
//! that walk every route (no route without a session, none for another
//! partnership's member), so a route added here is covered by them at once.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::routing::{self, MethodRouter};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::web::{AppState, csrf, headers};
use crate::{
    actions, assurance, auth, budget, decisions, engagement, home, library, meetings, minutes, partnerships, people, reviews, scrutiny,
    site, structure, training,
};

/// One route: a method, an address pattern and what answers it.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Route {
    Route { method: Method::GET, path, handler: routing::get(handler) }
}

fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Route {
    Route { method: Method::POST, path, handler: routing::post(handler) }
}

/// A POST carrying a document (multipart): its body may be as large as the largest document.
fn upload<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Route {
    let limit = DefaultBodyLimit::max(crate::files::MAX_DOCUMENT_BYTES + 64 * 1024);
    Route { method: Method::POST, path, handler: routing::post(handler).layer(limit) }
}

/// Every route behind the session and anti-forgery layers.
fn routes() -> Vec<Route> {
    vec![
        // Choosing a partnership, the role home pages and the audit log
        get("/", home::choose),
        get("/p/{slug}/", home::role_home),
        get("/p/{slug}", home::workspace_root),
        get("/p/{slug}/audit", home::audit::audit_log),
        get("/p/{slug}/audit.csv", home::audit::export),
        // Passwords and invitations
        get("/invitations/{token}", auth::invitations::accept_page),
        post("/invitations/{token}", auth::invitations::accept),
        get("/invitations/{token}/join", auth::invitations::join_page),
        post("/invitations/{token}/join", auth::invitations::join),
        // The footer's pages, for everyone
        get("/accessibility", site::accessibility),
        get("/privacy", site::privacy),
        get("/cookies", site::cookies),
        // Signing in and out
        get("/login", auth::login_page),
        post("/login", auth::login),
        post("/logout", auth::logout),
        get("/login/code", auth::two_factor::code_page),
        post("/login/code", auth::two_factor::check_code),
        get("/account/two-factor", auth::two_factor::account_page),
        post("/account/two-factor", auth::two_factor::confirm),
        get("/account/password", auth::password_page),
        post("/account/password", auth::change_password),
        // Platform administration
        get("/admin/partnerships", partnerships::list),
        get("/admin/partnerships/new", partnerships::new_page),
        post("/admin/partnerships/new", partnerships::create),
        // People in a partnership
        get("/p/{slug}/people", people::pages::index),
        get("/p/{slug}/people.csv", people::pages::export),
        get("/p/{slug}/people/new", people::pages::new_page),
        post("/p/{slug}/people/new", people::pages::create),
        get("/p/{slug}/people/{membership_id}", people::pages::edit_page),
        post("/p/{slug}/people/{membership_id}", people::pages::update),
        post("/p/{slug}/people/{membership_id}/remove", people::pages::remove),
        post("/p/{slug}/people/{membership_id}/two-factor/reset", people::pages::reset_two_factor),
        post("/p/{slug}/people/sign-in", people::pages::save_sign_in),
        // The arrangements: partners, groups, agencies, posts, links
        get("/p/{slug}/groups/new", structure::groups::new_group_page),
        post("/p/{slug}/groups/new", structure::groups::create_group),
        get("/p/{slug}/groups/{group_id}/edit", structure::groups::edit_group_page),
        post("/p/{slug}/groups/{group_id}/edit", structure::groups::update_group),
        post("/p/{slug}/groups/{group_id}/retire", structure::groups::retire_group),
        get("/p/{slug}/groups/{group_id}/members/new", structure::seats::new_seat_page),
        post("/p/{slug}/groups/{group_id}/members/new", structure::seats::create_seat),
        get("/p/{slug}/groups/{group_id}/members/{seat_id}", structure::seats::link_page),
        post("/p/{slug}/groups/{group_id}/members/{seat_id}", structure::seats::link_seat),
        post("/p/{slug}/groups/{group_id}/members/{seat_id}/end", structure::seats::end_seat),
        get("/p/{slug}/groups/{group_id}/terms/new", structure::terms::new_terms_page),
        post("/p/{slug}/groups/{group_id}/terms/new", structure::terms::create_terms),
        get("/p/{slug}/agencies/new", structure::organisations::new_organisation_page),
        post("/p/{slug}/agencies/new", structure::organisations::create_organisation),
        get("/p/{slug}/agencies/{organisation_id}", structure::organisations::edit_organisation_page),
        post("/p/{slug}/agencies/{organisation_id}", structure::organisations::update_organisation),
        post("/p/{slug}/agencies/{organisation_id}/retire", structure::organisations::retire_organisation),
        get("/p/{slug}/structure/posts/new", structure::posts::new_post_page),
        post("/p/{slug}/structure/posts/new", structure::posts::create_post),
        get("/p/{slug}/structure/posts/{post_id}", structure::posts::post_page),
        post("/p/{slug}/structure/posts/{post_id}", structure::posts::add_holder),
        post("/p/{slug}/structure/posts/{post_id}/holders/{holder_id}/end", structure::posts::end_holder),
        post("/p/{slug}/structure/posts/{post_id}/retire", structure::posts::retire_post),
        get("/p/{slug}/structure/links/new", structure::links::new_link_page),
        post("/p/{slug}/structure/links/new", structure::links::create_link),
        post("/p/{slug}/structure/links/{link_id}/retire", structure::links::retire_link),
        get("/p/{slug}/structure/arrangements", structure::arrangements::arrangements_page),
        post("/p/{slug}/structure/arrangements", structure::arrangements::update_arrangements),
        get("/p/{slug}/structure", structure::overview::structure_page),
        get("/p/{slug}/groups/{group_id}", structure::groups::group_page),
        get("/p/{slug}/agencies", structure::organisations::agencies_page),
        get("/p/{slug}/agencies.csv", structure::organisations::export_agencies),
        // Meetings, agendas, attendance, papers and calendars
        get("/account/calendar", meetings::feed::feed_page),
        post("/account/calendar", meetings::feed::reset_feed),
        get("/calendar/{token}", meetings::feed::feed),
        get("/p/{slug}/meetings/{meeting_id}/ics", meetings::feed::one_meeting),
        get("/p/{slug}/meetings", meetings::schedule::index),
        get("/p/{slug}/meetings.csv", meetings::schedule::export),
        get("/p/{slug}/groups/{group_id}/meetings/plan", meetings::schedule::plan_page),
        post("/p/{slug}/groups/{group_id}/meetings/plan", meetings::schedule::plan),
        get("/p/{slug}/groups/{group_id}/meetings/new", meetings::schedule::new_meeting_page),
        post("/p/{slug}/groups/{group_id}/meetings/new", meetings::schedule::create_meeting),
        get("/p/{slug}/meetings/{meeting_id}", meetings::meeting::meeting_page),
        get("/p/{slug}/meetings/{meeting_id}/edit", meetings::schedule::edit_meeting_page),
        post("/p/{slug}/meetings/{meeting_id}/edit", meetings::schedule::update_meeting),
        post("/p/{slug}/meetings/{meeting_id}/cancel", meetings::schedule::cancel_meeting),
        post("/p/{slug}/meetings/{meeting_id}/items", meetings::agenda::submit_item),
        post("/p/{slug}/meetings/{meeting_id}/items/{item_id}/decide", meetings::agenda::decide_item),
        post("/p/{slug}/meetings/{meeting_id}/agenda", meetings::agenda::order_agenda),
        post("/p/{slug}/meetings/{meeting_id}/attendance", meetings::attendance::record_attendance),
        post("/p/{slug}/meetings/{meeting_id}/circulate", meetings::meeting::circulate_pack),
        upload("/p/{slug}/meetings/{meeting_id}/papers", meetings::papers::upload),
        get("/p/{slug}/meetings/{meeting_id}/papers/{paper_id}", meetings::papers::download),
        get("/p/{slug}/meetings/{meeting_id}/agenda", meetings::pack::agenda_page),
        get("/p/{slug}/meetings/{meeting_id}/pack.pdf", meetings::pack::board_pack),
        get("/p/{slug}/meetings/{meeting_id}/interests/new", meetings::interests::declare_page),
        post("/p/{slug}/meetings/{meeting_id}/interests/new", meetings::interests::declare),
        post("/p/{slug}/meetings/{meeting_id}/interests/{declaration_id}/withdraw", meetings::interests::withdraw),
        get("/p/{slug}/interests", meetings::interests::own_page),
        // Minutes
        get("/p/{slug}/meetings/{meeting_id}/minutes", minutes::minutes_page),
        post("/p/{slug}/meetings/{meeting_id}/minutes", minutes::drafting::save_sections),
        post("/p/{slug}/meetings/{meeting_id}/minutes/start", minutes::drafting::start),
        post("/p/{slug}/meetings/{meeting_id}/minutes/sections", minutes::drafting::add_section),
        post("/p/{slug}/meetings/{meeting_id}/minutes/actions", minutes::drafting::add_action),
        post("/p/{slug}/meetings/{meeting_id}/minutes/circulate", minutes::circulation::circulate),
        post("/p/{slug}/meetings/{meeting_id}/minutes/comments", minutes::circulation::comment),
        post("/p/{slug}/meetings/{meeting_id}/minutes/approve", minutes::circulation::approve),
        post("/p/{slug}/meetings/{meeting_id}/minutes/publish", minutes::circulation::publish),
        get("/p/{slug}/meetings/{meeting_id}/minutes/published", minutes::published::published_page),
        // Decisions, deputies, decision rules and the public register
        get("/p/{slug}/deputies", decisions::deputies::deputies_page),
        post("/p/{slug}/deputies", decisions::deputies::nominate),
        post("/p/{slug}/deputies/{nomination_id}/revoke", decisions::deputies::revoke),
        get("/p/{slug}/decisions", decisions::register::register),
        get("/p/{slug}/decisions.csv", decisions::register::export),
        post("/p/{slug}/decisions", decisions::raise::raise),
        get("/p/{slug}/decisions/new", decisions::raise::new_decision),
        get("/p/{slug}/decisions/{decision_id}", decisions::decision::decision_page),
        post("/p/{slug}/decisions/{decision_id}/respond", decisions::respond::respond),
        get("/p/{slug}/decisions/{decision_id}/proxy/{organisation_id}", decisions::respond::proxy_page),
        post("/p/{slug}/decisions/{decision_id}/proxy/{organisation_id}", decisions::respond::record_proxy),
        post("/p/{slug}/decisions/{decision_id}/vote", decisions::stage::call_vote),
        post("/p/{slug}/decisions/{decision_id}/withdraw", decisions::stage::withdraw),
        upload("/p/{slug}/decisions/{decision_id}/papers", decisions::papers::upload_paper),
        get("/p/{slug}/decisions/{decision_id}/papers/{decision_paper_id}", decisions::papers::download_paper),
        get("/public/{slug}/decisions", decisions::public::public_register),
        get("/public/{slug}/decisions/{decision_id}", decisions::public::public_decision),
        get("/p/{slug}/decisions/rules", decisions::rules::rules_page),
        post("/p/{slug}/decisions/rules", decisions::rules::save_rules),
        // Reviews: notifications, rapid reviews, practice reviews, SARs and learning reviews
        get("/p/{slug}/reviews", reviews::register::dashboard),
        get("/p/{slug}/reviews/new", reviews::register::new_page),
        get("/p/{slug}/reviews/settings", reviews::settings::settings_page),
        post("/p/{slug}/reviews/settings", reviews::settings::save_settings),
        post("/p/{slug}/reviews/new", reviews::register::record),
        get("/p/{slug}/reviews/{review_id}", reviews::review::review_page),
        post("/p/{slug}/reviews/{review_id}/stage", reviews::review::record_step),
        post("/p/{slug}/reviews/{review_id}/panel", reviews::review::record_panel),
        post("/p/{slug}/reviews/{review_id}/told", reviews::review::record_told),
        get("/p/{slug}/reviews/{review_id}/case", reviews::case::case_page),
        post("/p/{slug}/reviews/{review_id}/case", reviews::case::save_case),
        get("/p/{slug}/reviews/{review_id}/rapid-review.pdf", reviews::case::rapid_review_report),
        post("/p/{slug}/reviews/{review_id}/people", reviews::case::add_person),
        post("/p/{slug}/reviews/{review_id}/remove-details", reviews::case::remove_details),
        post("/p/{slug}/reviews/{review_id}/meeting", reviews::meeting::choose_meeting),
        get("/p/{slug}/reviews/{review_id}/actions/new", reviews::learning::action_page),
        post("/p/{slug}/reviews/{review_id}/actions", reviews::learning::set_action),
        post("/p/{slug}/reviews/{review_id}/findings", reviews::learning::add_finding),
        post("/p/{slug}/reviews/{review_id}/findings/{review_finding_id}/not-implemented", reviews::learning::not_implemented),
        get("/p/{slug}/reviews/{review_id}/requests/new", reviews::requests::ask_page),
        post("/p/{slug}/reviews/{review_id}/requests", reviews::requests::ask),
        get("/p/{slug}/reviews/{review_id}/requests/{request_id}", reviews::requests::request_page),
        post("/p/{slug}/reviews/{review_id}/requests/{request_id}", reviews::requests::answer),
        upload("/p/{slug}/reviews/{review_id}/requests/{request_id}/papers", reviews::requests::upload_chronology),
        get("/p/{slug}/reviews/{review_id}/requests/{request_id}/papers/{request_paper_id}", reviews::requests::download),
        get("/public/{slug}/reviews", reviews::public::public_reviews),
        // Assurance: the risk register
        get("/p/{slug}/risks", assurance::register::register),
        get("/p/{slug}/risks/new", assurance::register::new_page),
        post("/p/{slug}/risks/new", assurance::register::record),
        get("/p/{slug}/risks/{risk_id}", assurance::risk::risk_page),
        get("/p/{slug}/risks/{risk_id}/edit", assurance::risk::edit_page),
        post("/p/{slug}/risks/{risk_id}/edit", assurance::risk::update),
        post("/p/{slug}/risks/{risk_id}/reviews", assurance::risk::record_review),
        post("/p/{slug}/risks/{risk_id}/actions", assurance::risk::set_action),
        post("/p/{slug}/risks/{risk_id}/close", assurance::risk::close),
        // Assurance: self-assessment rounds (Section 11, Section 175, local) and their returns
        get("/p/{slug}/assurance", assurance::rounds::index),
        get("/p/{slug}/assurance/rounds/new", assurance::rounds::new_page),
        post("/p/{slug}/assurance/rounds/new", assurance::rounds::open),
        get("/p/{slug}/assurance/rounds/{round_id}", assurance::rounds::round_page),
        get("/p/{slug}/assurance/returns/{return_id}", assurance::returns::return_page),
        post("/p/{slug}/assurance/returns/{return_id}", assurance::returns::save),
        post("/p/{slug}/assurance/returns/{return_id}/challenges", assurance::returns::challenge),
        post("/p/{slug}/assurance/returns/{return_id}/challenges/{challenge_id}", assurance::returns::answer),
        post("/p/{slug}/assurance/returns/{return_id}/accept", assurance::returns::accept),
        post("/p/{slug}/assurance/returns/{return_id}/actions", assurance::returns::set_action),
        post("/p/{slug}/assurance/returns/{return_id}/contact", assurance::returns::set_contact),
        upload("/p/{slug}/assurance/returns/{return_id}/papers", assurance::returns::upload),
        get("/p/{slug}/assurance/returns/{return_id}/papers/{return_paper_id}", assurance::returns::download),
        // Assurance: multi-agency case audits
        get("/p/{slug}/audits", assurance::case_audits::index),
        get("/p/{slug}/audits/new", assurance::case_audits::new_page),
        post("/p/{slug}/audits/new", assurance::case_audits::start),
        get("/p/{slug}/audits/{audit_id}", assurance::case_audits::audit_page),
        post("/p/{slug}/audits/{audit_id}", assurance::case_audits::save_findings),
        post("/p/{slug}/audits/{audit_id}/cases", assurance::case_audits::add_case),
        post("/p/{slug}/audits/{audit_id}/actions", assurance::case_audits::set_action),
        post("/p/{slug}/audits/{audit_id}/report", assurance::case_audits::report),
        // Assurance: the performance data set
        // The pooled budget
        get("/p/{slug}/budget", budget::years::index),
        post("/p/{slug}/budget", budget::years::set_up),
        post("/p/{slug}/budget/split", budget::years::save_split),
        get("/p/{slug}/budget/{year}", budget::year::year_page),
        post("/p/{slug}/budget/{year}/lines", budget::year::add_line),
        post("/p/{slug}/budget/{year}/contributions", budget::year::add_contribution),
        post("/p/{slug}/budget/{year}/entries", budget::year::add_entry),
        post("/p/{slug}/budget/{year}/spending", budget::year::add_spending),
        post("/p/{slug}/budget/{year}/agreement", budget::year::ask_agreement),
        // The training offer, and each session's link for its participants (no account: the key is the way in)
        get("/p/{slug}/training", training::offer::offer),
        post("/p/{slug}/training/needs", training::offer::add_need),
        post("/p/{slug}/training/courses", training::offer::add_course),
        get("/p/{slug}/training/courses/{course_id}", training::course::course_page),
        post("/p/{slug}/training/courses/{course_id}/sessions", training::course::add_session),
        get("/p/{slug}/training/sessions/{session_id}", training::session::session_page),
        post("/p/{slug}/training/sessions/{session_id}/bookings", training::session::book),
        post("/p/{slug}/training/sessions/{session_id}/attendance", training::session::take_attendance),
        post("/p/{slug}/training/sessions/{session_id}/observation", training::session::observe),
        post("/p/{slug}/training/sessions/{session_id}/cancel", training::session::cancel),
        get("/p/{slug}/training/reports/{quarter}", training::report::report_page),
        post("/p/{slug}/training/reports/{quarter}/paper", training::report::add_paper),
        get("/training/{token}", training::link::link_page),
        post("/training/{token}/attendance", training::link::attend),
        post("/training/{token}/evaluation", training::link::evaluate),
        post("/training/{token}/follow-up", training::link::follow_up),
        // Engagement with children, adults and families
        get("/p/{slug}/engagement", engagement::record::index),
        post("/p/{slug}/engagement", engagement::record::record),
        post("/p/{slug}/engagement/settings", engagement::record::save_settings),
        get("/p/{slug}/engagement/{engagement_id}", engagement::activity::activity_page),
        post("/p/{slug}/engagement/{engagement_id}", engagement::activity::save_outcome),
        post("/p/{slug}/engagement/{engagement_id}/actions", engagement::activity::set_action),
        post("/p/{slug}/engagement/{engagement_id}/report", engagement::activity::report),
        // The library of policies, procedures and agreements
        get("/p/{slug}/library", library::shelf::shelf),
        post("/p/{slug}/library", library::shelf::add),
        get("/p/{slug}/library/{document_id}", library::document::document_page),
        post("/p/{slug}/library/{document_id}", library::document::update),
        upload("/p/{slug}/library/{document_id}/versions", library::document::upload_version),
        post("/p/{slug}/library/{document_id}/withdraw", library::document::withdraw),
        get("/p/{slug}/library/{document_id}/versions/{version}", library::document::download),
        get("/p/{slug}/performance", assurance::performance::data_set),
        get("/p/{slug}/performance/new", assurance::performance::new_page),
        post("/p/{slug}/performance/new", assurance::performance::define),
        get("/p/{slug}/performance/upload", assurance::performance::upload_page),
        upload("/p/{slug}/performance/upload", assurance::performance::upload),
        post("/p/{slug}/performance/paper", assurance::performance::add_paper),
        get("/p/{slug}/performance/{indicator_id}", assurance::indicator::indicator_page),
        post("/p/{slug}/performance/{indicator_id}/values", assurance::indicator::enter_value),
        // Independent scrutiny
        get("/p/{slug}/scrutiny/arrangements", scrutiny::arrangements::page),
        post("/p/{slug}/scrutiny/appointments", scrutiny::arrangements::add_appointment),
        post("/p/{slug}/scrutiny/programme", scrutiny::arrangements::add_programme_item),
        post("/p/{slug}/scrutiny/reviews", scrutiny::arrangements::add_review),
        post("/p/{slug}/scrutiny/settings", scrutiny::arrangements::save_settings),
        get("/p/{slug}/scrutiny", scrutiny::dashboard),
        get("/p/{slug}/scrutiny/reports/new", scrutiny::reports::new_report),
        post("/p/{slug}/scrutiny/reports", scrutiny::reports::create_report),
        get("/p/{slug}/scrutiny/reports/{report_id}", scrutiny::reports::report_page),
        post("/p/{slug}/scrutiny/reports/{report_id}", scrutiny::reports::save_draft),
        get("/p/{slug}/scrutiny/reports/{report_id}/file", scrutiny::reports::file_page),
        upload("/p/{slug}/scrutiny/reports/{report_id}/file", scrutiny::reports::upload_file),
        get("/p/{slug}/scrutiny/reports/{report_id}/versions/{version}/file", scrutiny::reports::download_file),
        post("/p/{slug}/scrutiny/reports/{report_id}/findings", scrutiny::findings::add_finding),
        get("/p/{slug}/scrutiny/reports/{report_id}/findings/{finding_id}", scrutiny::findings::finding_page),
        post("/p/{slug}/scrutiny/reports/{report_id}/findings/{finding_id}", scrutiny::findings::add_recommendation),
        post("/p/{slug}/scrutiny/reports/{report_id}/findings/{finding_id}/remove", scrutiny::findings::remove_finding),
        post("/p/{slug}/scrutiny/reports/{report_id}/submit", scrutiny::reports::submit),
        post("/p/{slug}/scrutiny/reports/{report_id}/correct", scrutiny::reports::correct),
        get("/p/{slug}/scrutiny/recommendations", scrutiny::recommendations::index),
        get("/p/{slug}/scrutiny/recommendations.csv", scrutiny::recommendations::export),
        get("/p/{slug}/scrutiny/recommendations/{recommendation_id}", scrutiny::responses::recommendation_page),
        post("/p/{slug}/scrutiny/recommendations/{recommendation_id}", scrutiny::responses::respond),
        post("/p/{slug}/scrutiny/recommendations/{recommendation_id}/actions", scrutiny::responses::add_action),
        // Actions
        get("/p/{slug}/actions", actions::tracker::index),
        get("/p/{slug}/actions.csv", actions::tracker::export),
        get("/p/{slug}/actions/{action_id}", actions::action::action_page),
        post("/p/{slug}/actions/{action_id}", actions::action::update_status),
        post("/p/{slug}/actions/{action_id}/confirm", actions::action::confirm_completion),
    ]
}

/// Every declared route as (method, pattern), for the tests that walk them all.
pub fn route_table() -> Vec<(Method, &'static str)> {
    let mut table: Vec<_> = routes().into_iter().map(|r| (r.method, r.path)).collect();
    table.push((Method::GET, "/healthz"));
    table
}

/// The application: every route, the session and anti-forgery layers, static assets, tracing and security headers.
pub fn build_router(state: AppState) -> Router {
    let store = crate::auth::sessions::SessionRows::new(state.db.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name("hub_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(8)));

    let govuk = state.config.node_modules_dir.join("govuk-frontend/dist/govuk");
    let assets = Router::new()
        .nest_service("/assets", ServeDir::new(govuk.join("assets")))
        .nest_service("/govuk", ServeDir::new(&govuk))
        .nest_service("/static", ServeDir::new(&state.config.static_dir))
        .layer(headers::cache_static());

    // Routes sharing a pattern (a page and its form) merge into one method router.
    let pages = routes().into_iter().fold(Router::new(), |router, route| router.route(route.path, route.handler));
    Router::new()
        .route("/healthz", routing::get(healthz))
        .merge(pages)
        .fallback(crate::error::not_found)
        // Pages hold personal and case information: no browser or proxy keeps a copy (downloads set their own).
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ))
        .layer(middleware::from_fn(crate::tenant::end_untaken_transaction))
        // Outside the transaction's end, so a write is committed before what pages keep is dropped.
        .layer(middleware::from_fn_with_state(state.changes.clone(), crate::web::note_writes))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        // Room for the session row a request's own statement reads (see `auth::sessions`).
        .layer(middleware::from_fn(crate::auth::sessions::with_prefetch))
        .layer(sessions)
        .merge(assets)
        .layer(middleware::from_fn(crate::web::screen_path))
        .layer(TraceLayer::new_for_http())
        .layer(headers::security())
        .with_state(state)
}

/// 200 when the database answers, 503 otherwise: for load balancers.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> StatusCode {
    match sqlx::query!("select 1 as one").fetch_one(&state.db).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
