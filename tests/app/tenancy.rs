use axum::http::{Method, StatusCode};
use partnership_hub::db::begin_tenant;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;
use crate::security::declared_routes;

/// Plausible form fields for any of our forms, so a refusal is about the partnership, not the input.
const FIELDS: [(&str, &str); 4] = [("name", "Intruder"), ("email", "intruder@example.org"), ("roles", "viewer"), ("job_title", "x")];

#[tokio::test]
async fn every_partnership_route_refuses_another_partnerships_member() {
    let app = TestApp::spawn().await;
    let swindon_member = app.add_member("bm@swindon.example", "swindon", &Role::ALL).await;
    let warwickshire_member = app.add_member("bm@warwickshire.example", "warwickshire", &Role::ALL).await;
    let swindon_changes = "select count(*) from audit_log where partnership_id = (select id from partnership where slug = 'swindon')";
    let before: i64 = sqlx::query_scalar(swindon_changes).fetch_one(&app.owner).await.unwrap();

    // A member of Warwickshire holding every role there.
    let mut intruder = app.signed_in("bm@warwickshire.example").await;
    intruder.get("/p/warwickshire/").await;
    let mut checked = 0;
    let swindon_ids = app.record_ids("swindon").await;
    let mut swindon_records_under_warwickshire = swindon_ids.clone();
    swindon_records_under_warwickshire.insert("slug", "warwickshire".to_owned());
    // The public register is for everyone by design; its own tests prove it shows nothing confidential or open.
    for (method, pattern) in declared_routes().into_iter().filter(|(_, p)| p.contains("{slug}") && !p.starts_with("/public/")) {
        // Swindon's address with Swindon's records, and Warwickshire's address with Swindon's records.
        // (A quarter or a financial year in the address names a period, not a record: Warwickshire's is its own.)
        let mut attempts = vec![crate::paths::fill(&pattern, &swindon_ids)];
        let periods = ["{quarter}", "{year}"].iter().filter(|p| pattern.contains(**p)).count();
        if pattern.matches('{').count() > 1 + periods {
            attempts.push(crate::paths::fill(&pattern, &swindon_records_under_warwickshire));
        }
        for path in attempts {
            let page = match method {
                Method::POST => intruder.post(&path, &FIELDS).await,
                _ => intruder.get(&path).await,
            };
            assert!(
                matches!(page.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{method} {path} answered {} to another partnership's member",
                page.status
            );
            assert!(!page.contains("Swindon"), "{method} {path} showed Swindon's data");
            assert!(!page.contains("bm@swindon.example"), "{method} {path} showed a Swindon person");
            assert!(!page.contains("Wiltshire Police"), "{method} {path} showed a Swindon organisation");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} requests were checked");
    // The same member can use their own partnership's pages, so the refusals above are about tenancy.
    assert_eq!(intruder.get("/p/warwickshire/people").await.status, StatusCode::OK);
    assert_eq!(intruder.get(&format!("/p/warwickshire/people/{warwickshire_member}")).await.status, StatusCode::OK);

    let after: i64 = sqlx::query_scalar(swindon_changes).fetch_one(&app.owner).await.unwrap();
    assert_eq!(after, before, "nothing changed in Swindon");
    let swindon_roles: i64 = sqlx::query_scalar("select count(*) from membership_role where membership_id = $1")
        .bind(swindon_member)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(swindon_roles, Role::ALL.len() as i64, "Swindon's member kept every role");
}

#[tokio::test]
async fn row_level_security_shows_one_partnership_only() {
    let app = TestApp::spawn().await;
    app.add_member("a@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("b@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let swindon = app.partnership_id("swindon").await;
    let warwickshire = app.partnership_id("warwickshire").await;

    let mut tx = begin_tenant(&app.app_pool, swindon, None).await.unwrap();
    for table in ["organisation", "membership", "membership_role", "audit_log"] {
        let foreign: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where partnership_id <> $1"))
            .bind(swindon)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(foreign, 0, "{table} shows other partnerships' rows");
    }
    let own: i64 = sqlx::query_scalar("select count(*) from organisation").fetch_one(&mut *tx).await.unwrap();
    assert!(own >= 3, "Swindon's own organisations are visible");
    let planted = sqlx::query("insert into organisation (partnership_id, id, name, sector) values ($1, $2, 'Planted', 'other')")
        .bind(warwickshire)
        .bind(Uuid::new_v4())
        .execute(&mut *tx)
        .await;
    assert!(planted.is_err(), "a row for another partnership cannot be written");
    drop(tx);

    // With no partnership set, tenant tables show nothing at all.
    let mut conn = app.app_pool.acquire().await.unwrap();
    for table in ["organisation", "membership", "membership_role"] {
        let visible: i64 = sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&mut *conn).await.unwrap();
        assert_eq!(visible, 0, "{table} without a partnership context");
    }
    let role: (bool, bool) =
        sqlx::query_as("select rolsuper, rolbypassrls from pg_roles where rolname = current_user").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(role, (false, false), "the application runs as a role RLS binds");
    let random_read: String = sqlx::query_scalar("show random_page_cost").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(random_read, "1.1", "the planner costs a read by key as the memory-resident read it is");
    drop(conn);

    // As one person outside any partnership: their own memberships through the one function that lists them, nobody else's,
    // and no partnership's rows directly.
    let a: Uuid = sqlx::query_scalar("select id from app_user where email = 'a@swindon.example'").fetch_one(&app.owner).await.unwrap();
    let mut personal = partnership_hub::db::begin_personal(&app.app_pool, a).await.unwrap();
    let theirs: Vec<(Uuid, Vec<String>)> =
        sqlx::query_as("select partnership_id, roles from app_my_memberships()").fetch_all(&mut *personal).await.unwrap();
    assert_eq!(theirs, [(swindon, vec!["business_manager".to_owned()])]);
    for table in ["membership", "membership_role"] {
        let visible: i64 = sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&mut *personal).await.unwrap();
        assert_eq!(visible, 0, "{table} outside a partnership, even one's own");
    }
    drop(personal);
    // Entered in Swindon, the function still answers for that person only.
    let mut tx = begin_tenant(&app.app_pool, swindon, Some(a)).await.unwrap();
    let everyone: i64 = sqlx::query_scalar("select count(*) from app_my_memberships()").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(everyone, 1);
}

#[tokio::test]
async fn every_table_of_a_partnerships_records_is_bound_by_row_level_security_and_notes_its_changes() {
    let app = TestApp::spawn().await;
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "select c.relname::text, c.relrowsecurity,
                exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = c.relname || '_notes_change')
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r'
           and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'partnership_id' and not a.attisdropped)
         order by 1",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert!(tables.len() > 50, "{tables:?}");
    for (table, secured, notes) in &tables {
        // An invitation is found by its key alone, before the person it invites is in any partnership, as an account is.
        assert!(*secured || table == "invitation", "{table} has no row-level security");
        // Mail waiting to leave is on no page; the audit log's rows come with the change to the record they describe,
        // which notifies (or with a sign-in or a reading, which change nothing kept): see migration 55.
        assert!(
            *notes || table == "outbox" || table == "audit_log",
            "{table} does not notify its changes (see migration 53): pages keeping readings would not hear of them"
        );
    }
}

#[tokio::test]
async fn a_membership_kept_between_views_is_read_again_once_its_partnership_changes() {
    let app = TestApp::spawn().await;
    // As a served instance: change notices heard, so entering a partnership keeps what it found of the person.
    app.listen().await;
    let membership = app.add_member("rep@warwickshire.example", "warwickshire", &[Role::GroupMember]).await;
    let mut rep = app.signed_in("rep@warwickshire.example").await;
    let page = "/p/warwickshire/actions";
    // The first view learns which partnership the address names; the second reads the membership and keeps it.
    for _ in 0..2 {
        assert_eq!(rep.get(page).await.status, StatusCode::OK);
    }
    let before = app.statements_by_text().await;
    assert_eq!(rep.get(page).await.status, StatusCode::OK);
    let after = app.statements_by_text().await;
    let ran = |text: &str| -> i64 {
        after.iter().filter(|(query, _)| query.contains(text)).map(|(query, calls)| calls - before.get(query).copied().unwrap_or(0)).sum()
    };
    assert_eq!(ran("app_enter_again("), 1, "the third view entered from the kept membership");
    assert_eq!(ran("app_enter(p.id, u.id)"), 0, "the third view did not read the membership again");

    // Their membership ended by someone else (another instance, an operator): refused once the notice is heard.
    let warwickshire = app.partnership_id("warwickshire").await;
    let mut tx = app.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.partnership_id', $1, true)").bind(warwickshire.to_string()).execute(&mut *tx).await.unwrap();
    sqlx::query("update membership set removed_at = now() where partnership_id = $1 and id = $2")
        .bind(warwickshire)
        .bind(membership)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut refused = false;
    for _ in 0..500 {
        if rep.get(page).await.status == StatusCode::NOT_FOUND {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "a membership ended elsewhere is refused once its partnership's change is heard");
}

#[tokio::test]
async fn a_session_ended_is_refused_though_its_membership_was_kept() {
    let app = TestApp::spawn().await;
    app.listen().await;
    app.add_member("rep@warwickshire.example", "warwickshire", &[Role::GroupMember]).await;
    let mut rep = app.signed_in("rep@warwickshire.example").await;
    let page = "/p/warwickshire/actions";
    for _ in 0..3 {
        assert_eq!(rep.get(page).await.status, StatusCode::OK);
    }
    // Ended in the store itself (signed out on another instance, or swept): the kept membership admits nobody.
    let deleted = sqlx::query("delete from tower_sessions.session").execute(&app.owner).await.unwrap().rows_affected();
    assert!(deleted >= 1, "the session was in the store");
    let after = rep.get(page).await;
    assert!(after.status.is_redirection(), "{}", after.status);
    assert!(after.location.as_deref().unwrap_or_default().starts_with("/login"), "{:?}", after.location);
}
