//! A bounded, seeded fuzz over every form the route table lists: malformed
//! variants of what our forms send (missing fields, 100 KB strings, NUL and
//! control characters, invalid UTF-8, huge and negative numbers, impossible
//! dates, repeated fields), posted by people in several roles with real
//! record ids. Any 5xx fails, with the seed and the request to repeat it.

use axum::http::{Method, StatusCode};
use partnership_hub::roles::Role;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::harness::{Browser, TestApp};
use crate::security::declared_routes;

const SEED: u64 = 0x5AFE_6A2D;
/// Variants posted to each form by each person.
const ROUNDS: usize = 12;

/// Every field name our forms use, read from the templates, so that the fuzz
/// aims at what handlers read rather than at names nobody looks at.
fn field_names() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut names = std::collections::BTreeSet::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["name=\"", "(errors, \""] {
                for part in text.split(marker).skip(1) {
                    let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() && name != "csrf_token" {
                        names.insert(name);
                    }
                }
            }
        }
    }
    assert!(names.len() > 40, "too few field names found: {names:?}");
    names.into_iter().collect()
}

/// One malformed value, as it would appear percent-encoded in a body.
fn nasty_value(rng: &mut StdRng, ids: &[String]) -> String {
    let plain = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    match rng.gen_range(0..16) {
        0 => String::new(),
        1 => plain(&"x".repeat(100 * 1024)),
        2 => plain("Child\0H"),
        3 => plain("line\r\nbreak\u{7}\u{1b}[31m"),
        4 => "%FF%FE%C0%80".to_owned(),
        5 => "99999999999999999999999".to_owned(),
        6 => ["-1", "-2147483649", "0", "2147483648", "1e309", "NaN"].choose(rng).unwrap().to_string(),
        7 => ["31", "0", "32", "-5"].choose(rng).unwrap().to_string(),
        8 => ["2", "13", "0", "February"].choose(rng).unwrap().to_string(),
        9 => ["0", "99999", "1899", "-2026"].choose(rng).unwrap().to_string(),
        10 => ["2026-02-30", "2026-13-45", "25:61", "99:99", "00:00"].choose(rng).unwrap().to_string(),
        11 => ids.choose(rng).cloned().unwrap_or_default(),
        12 => uuid::Uuid::new_v4().to_string(),
        13 => plain(&"\u{202e}\u{fe0f}😀".repeat(rng.gen_range(1..500))),
        14 => "%".to_owned(),
        _ => {
            plain(["yes", "no", "agree", "accept", "complete", "viewer", "business_manager", "votes_cast", "children"].choose(rng).unwrap())
        }
    }
}

fn nasty_body(rng: &mut StdRng, names: &[String], ids: &[String], token: &str) -> String {
    let mut pairs = vec![format!("csrf_token={token}")];
    if rng.gen_bool(0.1) {
        return pairs.remove(0); // every field missing
    }
    for _ in 0..rng.gen_range(1..14) {
        let name = names.choose(rng).unwrap();
        let copies = if rng.gen_bool(0.2) { 2 } else { 1 }; // repeated fields
        for _ in 0..copies {
            pairs.push(format!("{name}={}", nasty_value(rng, ids)));
        }
    }
    pairs.shuffle(rng);
    pairs.join("&")
}

fn token_of(browser: &Browser) -> String {
    browser.csrf_token().unwrap_or_default()
}

#[tokio::test]
async fn no_malformed_form_gets_a_server_error() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &Role::ALL).await;
    app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer]).await;
    app.make_platform_admin("admin@hub.example").await;
    let ids = app.record_ids("swindon").await;
    let id_values: Vec<String> = ids.values().cloned().collect();
    let names = field_names();
    let routes: Vec<_> = declared_routes().into_iter().filter(|(m, _)| *m == Method::POST).collect();
    assert!(routes.len() > 50, "only {} forms", routes.len());
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut sent = 0;
    for email in ["bm@swindon.example", "viewer@swindon.example", "admin@hub.example"] {
        let mut browser = app.signed_in(email).await;
        for (_, pattern) in &routes {
            if pattern == "/logout" {
                continue;
            }
            let path = crate::paths::fill(pattern, &ids);
            for round in 0..ROUNDS {
                // A page first, as a browser would, so the form carries this session's token.
                if browser.csrf_token().is_none() || round == 0 {
                    browser.visit("/").await;
                }
                let body = nasty_body(&mut rng, &names, &id_values, &token_of(&browser));
                let page = browser.request(Method::POST, &path, Some(body.clone())).await;
                sent += 1;
                assert!(
                    !page.status.is_server_error(),
                    "{email}: POST {path} answered {} (seed {SEED:#x}, round {round}); body began {:?}",
                    page.status,
                    body.chars().take(300).collect::<String>()
                );
                if page.status == StatusCode::SEE_OTHER && page.location.as_deref().is_some_and(|l| l.starts_with("/login")) {
                    browser = app.signed_in(email).await;
                }
            }
            // A document upload with odd fields and odd bytes.
            if pattern.ends_with("/papers") || pattern.ends_with("/file") {
                let junk: Vec<u8> = (0..rng.gen_range(0..4096)).map(|_| rng.r#gen()).collect();
                let title = if rng.gen_bool(0.5) { "Child\0H" } else { "ok" };
                let page = browser.upload_as(&path, &[("paper_title", title), ("title", title)], "paper_file", ("a\0b.pdf", &junk)).await;
                sent += 1;
                assert!(!page.status.is_server_error(), "{email}: upload to {path} answered {}", page.status);
            }
        }
    }
    // And the pages: odd and repeated query parameters on every GET.
    let mut browser = app.signed_in("bm@swindon.example").await;
    for (method, pattern) in declared_routes() {
        if method != Method::GET {
            continue;
        }
        let path = crate::paths::fill(&pattern, &ids);
        for query in ["?next=%00&next=/x", "?overdue=%FF&overdue=1&version=-1", "?year=99999999999999999999&quarter=%0D%0A"] {
            let page = browser.get(&format!("{path}{query}")).await;
            sent += 1;
            assert!(!page.status.is_server_error(), "GET {path}{query} answered {}", page.status);
        }
    }
    assert!(sent > 2000, "only {sent} requests were sent");
}
