//! The structure part of a partnership file: arrangements, posts and their
//! holders, groups with members and terms of reference, links to other boards.

use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

use super::PartnershipFile;
use crate::audit::Change;
use crate::db::Tx;
use crate::structure::default_review_date;

pub async fn load(tx: &mut Tx, partnership_id: Uuid, file: &PartnershipFile) -> anyhow::Result<()> {
    let organisations: HashMap<String, Uuid> = sqlx::query!("select name, id from organisation where partnership_id = $1", partnership_id)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|r| (r.name, r.id))
        .collect();
    let org_id = |name: &Option<String>| name.as_ref().and_then(|n| organisations.get(n).copied());
    let since = file.arrangements.as_ref().map(|a| a.since).unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut added = HashMap::<&str, usize>::new();

    if let Some(a) = &file.arrangements {
        let inserted = sqlx::query!(
            "insert into arrangement (partnership_id, chair_arrangements, scrutiny_arrangements, decision_making, section11_interval_months,
                                      agenda_cutoff_working_days, papers_working_days)
             values ($1, $2, $3, $4, $5, $6, $7) on conflict (partnership_id) do nothing",
            partnership_id,
            a.chair,
            a.scrutiny,
            a.decision_making,
            a.section11_interval_months.unwrap_or(24),
            a.agenda_cutoff_working_days.unwrap_or(10),
            a.papers_working_days.unwrap_or(5),
        )
        .execute(&mut **tx)
        .await?;
        *added.entry("arrangements").or_default() += inserted.rows_affected() as usize;
        if !a.quorum.is_empty() {
            let inserted = sqlx::query!(
                "insert into quorum_rule (partnership_id, id, group_id, required_sectors, description) values ($1, $2, null, $3, $4)
                 on conflict do nothing",
                partnership_id,
                Uuid::new_v4(),
                &a.quorum,
                a.quorum_description,
            )
            .execute(&mut **tx)
            .await?;
            *added.entry("quorum rules").or_default() += inserted.rows_affected() as usize;
        }
    }

    for post in &file.posts {
        let post_id = Uuid::new_v4();
        let inserted = sqlx::query!(
            "insert into post (partnership_id, id, kind, title, organisation_id, notes) values ($1, $2, $3, $4, $5, $6)
             on conflict (partnership_id, title) do nothing",
            partnership_id,
            post_id,
            post.kind.code(),
            post.title,
            org_id(&post.organisation),
            post.notes,
        )
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 0 {
            continue;
        }
        *added.entry("posts").or_default() += 1;
        for holder in &post.holders {
            sqlx::query!(
                "insert into post_holder (partnership_id, id, post_id, holder_name, starts_on, ends_on) values ($1, $2, $3, $4, $5, $6)",
                partnership_id,
                Uuid::new_v4(),
                post_id,
                holder.name,
                holder.starts_on as _,
                holder.ends_on as _,
            )
            .execute(&mut **tx)
            .await?;
            // Scrutineers and independent persons are also the scrutiny arrangements' people.
            let kind = match (post.kind, &post.organisation) {
                (super::PostKind::IndependentScrutineer, Some(_)) => Some("scrutiny_agency"),
                (super::PostKind::IndependentScrutineer, None) => Some("independent_scrutineer"),
                (super::PostKind::IndependentPerson, _) => Some("independent_person"),
                _ => None,
            };
            if let Some(kind) = kind {
                let inserted = sqlx::query!(
                    "insert into scrutiny_appointment (partnership_id, id, kind, name, agency, starts_on, ends_on, notes)
                     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
                    partnership_id,
                    Uuid::new_v4(),
                    kind,
                    holder.name,
                    post.organisation.clone().unwrap_or_default(),
                    holder.starts_on as _,
                    holder.ends_on as _,
                    post.notes,
                )
                .execute(&mut **tx)
                .await?;
                *added.entry("scrutiny appointments").or_default() += inserted.rows_affected() as usize;
            }
        }
    }

    // Groups first, then who reports to whom, for the groups this run added.
    let mut new_groups = HashMap::<&str, Uuid>::new();
    for (order, group) in file.groups.iter().enumerate() {
        let group_id = Uuid::new_v4();
        let inserted = sqlx::query!(
            "insert into partnership_group (partnership_id, id, name, kind, purpose, meetings_per_year, ends_on, sort_order)
             values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (partnership_id, name) do nothing",
            partnership_id,
            group_id,
            group.name,
            group.kind.code(),
            group.purpose,
            group.meetings_per_year,
            group.ends_on as _,
            order as i32,
        )
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 1 {
            new_groups.insert(group.name.as_str(), group_id);
        }
    }
    *added.entry("groups").or_default() += new_groups.len();
    let group_ids: HashMap<String, Uuid> = sqlx::query!("select name, id from partnership_group where partnership_id = $1", partnership_id)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|r| (r.name, r.id))
        .collect();
    for group in &file.groups {
        let Some(&group_id) = new_groups.get(group.name.as_str()) else { continue };
        if let Some(parent) = group.reports_to.as_ref().and_then(|p| group_ids.get(p)) {
            sqlx::query!(
                "update partnership_group set reports_to_id = $3 where partnership_id = $1 and id = $2",
                partnership_id,
                group_id,
                parent
            )
            .execute(&mut **tx)
            .await?;
        }
        for member in &group.members {
            sqlx::query!(
                "insert into group_member (partnership_id, id, group_id, person_name, organisation_id, role_in_group, starts_on)
                 values ($1, $2, $3, $4, $5, $6, $7)",
                partnership_id,
                Uuid::new_v4(),
                group_id,
                member.name,
                org_id(&member.organisation),
                member.role.code(),
                since as _,
            )
            .execute(&mut **tx)
            .await?;
        }
        if let Some(adopted) = group.terms_adopted_on {
            sqlx::query!(
                "insert into terms_of_reference (partnership_id, id, group_id, summary, adopted_on, review_due_on)
                 values ($1, $2, $3, $4, $5, $6)",
                partnership_id,
                Uuid::new_v4(),
                group_id,
                group.purpose,
                adopted as _,
                default_review_date(adopted) as _,
            )
            .execute(&mut **tx)
            .await?;
        }
    }

    for link in &file.links {
        let inserted = sqlx::query!(
            "insert into board_link (partnership_id, id, board_name, description, group_id) values ($1, $2, $3, $4, $5)
             on conflict (partnership_id, board_name) do nothing",
            partnership_id,
            Uuid::new_v4(),
            link.board,
            link.description,
            link.group.as_ref().and_then(|g| group_ids.get(g)).copied(),
        )
        .execute(&mut **tx)
        .await?;
        *added.entry("links").or_default() += inserted.rows_affected() as usize;
    }

    // Where scrutiny reports go, unless someone has already chosen.
    if let Some(group) = file.arrangements.as_ref().and_then(|a| a.scrutiny_reports_to.as_ref()) {
        let updated = sqlx::query!(
            "update arrangement set scrutiny_group_id = (select id from partnership_group where partnership_id = $1 and name = $2)
             where partnership_id = $1 and scrutiny_group_id is null",
            partnership_id,
            group
        )
        .execute(&mut **tx)
        .await?;
        *added.entry("scrutiny settings").or_default() += updated.rows_affected() as usize;
    }

    // Which groups oversee reviews, unless the partnership has already set it.
    if let Some(a) = &file.arrangements
        && (a.child_reviews_by.is_some() || a.adult_reviews_by.is_some())
    {
        let inserted = sqlx::query!(
            "insert into review_arrangement (partnership_id, child_group_id, adult_group_id)
             values ($1, (select id from partnership_group where partnership_id = $1 and name = $2),
                     (select id from partnership_group where partnership_id = $1 and name = $3))
             on conflict (partnership_id) do nothing",
            partnership_id,
            a.child_reviews_by,
            a.adult_reviews_by
        )
        .execute(&mut **tx)
        .await?;
        *added.entry("review settings").or_default() += inserted.rows_affected() as usize;
    }

    if added.values().any(|n| *n > 0) {
        Change::new("structure.seeded", "partnership")
            .in_partnership(partnership_id)
            .subject(partnership_id)
            .after(json!({ "source": format!("seed/{}.toml", file.slug), "added": added }))
            .record(tx)
            .await?;
    }
    Ok(())
}
