//! The four partnerships' arrangements, loaded from the plain files under
//! `seed/`, and the demo accounts `start` creates.
//!
//! Loading is idempotent: running it again adds what is missing (keyed by
//! slug and by name) and never overwrites what people have changed since.

pub mod demo;
pub mod national;
mod structure;

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use uuid::Uuid;

use chrono::NaiveDate;

pub use crate::structure::{GroupKind, PostKind, RoleInGroup, Sector};
use crate::tenant::Scope;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipFile {
    pub slug: String,
    pub name: String,
    pub short_name: String,
    pub scope: ScopeCode,
    #[serde(default)]
    pub organisations: Vec<OrganisationEntry>,
    #[serde(default)]
    pub arrangements: Option<ArrangementsEntry>,
    #[serde(default)]
    pub posts: Vec<PostEntry>,
    #[serde(default)]
    pub groups: Vec<GroupEntry>,
    #[serde(default)]
    pub links: Vec<LinkEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementsEntry {
    /// When the arrangements took effect: the start date of seeded group seats.
    pub since: NaiveDate,
    #[serde(default)]
    pub chair: String,
    #[serde(default)]
    pub scrutiny: String,
    #[serde(default)]
    pub decision_making: String,
    #[serde(default)]
    pub section11_interval_months: Option<i32>,
    #[serde(default)]
    pub agenda_cutoff_working_days: Option<i32>,
    #[serde(default)]
    pub papers_working_days: Option<i32>,
    /// Sectors that must each be represented for decisions; an entry like
    /// "local_authority|education" is met by either.
    #[serde(default)]
    pub quorum: Vec<String>,
    #[serde(default)]
    pub quorum_description: String,
    /// The group independent scrutiny reports go to.
    #[serde(default)]
    pub scrutiny_reports_to: Option<String>,
    /// The group that conducts rapid reviews and oversees children's practice reviews.
    #[serde(default)]
    pub child_reviews_by: Option<String>,
    /// The group that oversees safeguarding adult reviews.
    #[serde(default)]
    pub adult_reviews_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostEntry {
    pub kind: PostKind,
    pub title: String,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub holders: Vec<HolderEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderEntry {
    pub name: String,
    pub starts_on: NaiveDate,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    pub name: String,
    pub kind: GroupKind,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub meetings_per_year: Option<i32>,
    #[serde(default)]
    pub reports_to: Option<String>,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    /// When the current terms of reference were adopted; the review falls due a year on.
    #[serde(default)]
    pub terms_adopted_on: Option<NaiveDate>,
    #[serde(default)]
    pub members: Vec<GroupMemberEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMemberEntry {
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
    pub role: RoleInGroup,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkEntry {
    pub board: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeCode {
    Children,
    Adults,
    AllAge,
}

impl From<ScopeCode> for Scope {
    fn from(s: ScopeCode) -> Self {
        match s {
            ScopeCode::Children => Scope::Children,
            ScopeCode::Adults => Scope::Adults,
            ScopeCode::AllAge => Scope::AllAge,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationEntry {
    pub name: String,
    pub sector: Sector,
    #[serde(default)]
    pub statutory_partner: bool,
    #[serde(default)]
    pub relevant_agency: bool,
    #[serde(default)]
    pub last_section11: Option<NaiveDate>,
    /// What it was called before (a clinical commissioning group that became an integrated care board).
    #[serde(default)]
    pub former_names: Vec<String>,
}

/// The folder with the partnership files: `SEED_DIR`, or `seed/`.
pub fn seed_dir() -> PathBuf {
    std::env::var("SEED_DIR").unwrap_or_else(|_| "seed".into()).into()
}

/// Read and check one file; errors name the file and, for syntax and type errors, the line.
pub fn parse_file(path: &Path) -> anyhow::Result<PartnershipFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> anyhow::Result<PartnershipFile> {
    let file: PartnershipFile = toml::from_str(text)?;
    crate::partnerships::parse_slug(&file.slug).map_err(|e| anyhow::anyhow!("slug {:?}: {e}", file.slug))?;
    anyhow::ensure!(!file.name.trim().is_empty() && file.name.len() <= 200, "name must be 1 to 200 characters");
    anyhow::ensure!(!file.short_name.trim().is_empty() && file.short_name.len() <= 80, "short_name must be 1 to 80 characters");
    let mut seen = std::collections::HashSet::new();
    for org in &file.organisations {
        anyhow::ensure!(!org.name.trim().is_empty(), "an organisation has an empty name");
        anyhow::ensure!(seen.insert(org.name.as_str()), "organisation {:?} is listed twice", org.name);
    }
    let known_org = |name: &Option<String>, whose: &str| -> anyhow::Result<()> {
        match name {
            Some(n) if !seen.contains(n.as_str()) => anyhow::bail!("{whose} names organisation {n:?}, which is not listed"),
            _ => Ok(()),
        }
    };
    for post in &file.posts {
        known_org(&post.organisation, &format!("post {:?}", post.title))?;
        for h in &post.holders {
            anyhow::ensure!(h.ends_on.is_none_or(|e| e >= h.starts_on), "post {:?}: a holder ends before starting", post.title);
        }
    }
    let groups: std::collections::HashSet<&str> = file.groups.iter().map(|g| g.name.as_str()).collect();
    anyhow::ensure!(groups.len() == file.groups.len(), "a group is listed twice");
    for group in &file.groups {
        if let Some(parent) = &group.reports_to {
            anyhow::ensure!(groups.contains(parent.as_str()), "group {:?} reports to {parent:?}, which is not listed", group.name);
            anyhow::ensure!(parent != &group.name, "group {:?} reports to itself", group.name);
        }
        anyhow::ensure!(
            group.meetings_per_year.is_none_or(|m| (1..=52).contains(&m)),
            "group {:?}: meetings_per_year must be 1 to 52",
            group.name
        );
        let mut seats = std::collections::HashSet::new();
        for m in &group.members {
            known_org(&m.organisation, &format!("a member of {:?}", group.name))?;
            anyhow::ensure!(
                seats.insert((m.name.as_str(), m.role.code())),
                "group {:?} lists {:?} as {} twice",
                group.name,
                m.name,
                m.role.code()
            );
        }
    }
    if let Some(a) = &file.arrangements {
        if let Some(g) = &a.scrutiny_reports_to {
            anyhow::ensure!(groups.contains(g.as_str()), "scrutiny reports go to group {g:?}, which is not listed");
        }
        for g in a.child_reviews_by.iter().chain(&a.adult_reviews_by) {
            anyhow::ensure!(groups.contains(g.as_str()), "reviews are overseen by group {g:?}, which is not listed");
        }
        for requirement in &a.quorum {
            for sector in requirement.split('|') {
                anyhow::ensure!(Sector::from_code(sector).is_some(), "quorum names sector {sector:?}, which is not one of the sectors");
            }
        }
    }
    for link in &file.links {
        if let Some(g) = &link.group {
            anyhow::ensure!(groups.contains(g.as_str()), "link {:?} names group {g:?}, which is not listed", link.board);
        }
    }
    Ok(file)
}

/// Every `*.toml` file in the folder, in name order.
pub fn load_dir(dir: &Path) -> anyhow::Result<Vec<PartnershipFile>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the seed folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| parse_file(p)).collect()
}

/// Load every partnership file into the database (as the owning role).
pub async fn run(pool: &PgPool, dir: &Path) -> anyhow::Result<Vec<PartnershipFile>> {
    let files = load_dir(dir)?;
    let mut tx = pool.begin().await?;
    for file in &files {
        let scope: Scope = file.scope.into();
        // Adds what is missing and never overwrites what people have since changed.
        sqlx::query!(
            "insert into partnership (id, slug, name, short_name, scope) values ($1, $2, $3, $4, $5)
             on conflict (slug) do nothing",
            Uuid::new_v4(),
            file.slug,
            file.name,
            file.short_name,
            scope.code(),
        )
        .execute(&mut *tx)
        .await?;
        let partnership_id = sqlx::query_scalar!("select id from partnership where slug = $1", file.slug).fetch_one(&mut *tx).await?;
        for org in &file.organisations {
            // Loaded under a former name: renamed, keeping the records that name it and the name it had.
            sqlx::query!(
                "update organisation o set name = $2, former_names = o.former_names || $3::text[]
                 where o.partnership_id = $1 and o.name = any($3)
                   and not exists (select 1 from organisation n where n.partnership_id = $1 and n.name = $2)",
                partnership_id,
                org.name,
                &org.former_names
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "insert into organisation (partnership_id, id, name, sector, is_statutory_partner, is_relevant_agency, last_section11_on, former_names)
                 values ($1, $2, $3, $4, $5, $6, $7, $8)
                 on conflict (partnership_id, name) do nothing",
                partnership_id,
                Uuid::new_v4(),
                org.name,
                org.sector.code(),
                org.statutory_partner,
                org.relevant_agency,
                org.last_section11 as _,
                &org.former_names,
            )
            .execute(&mut *tx)
            .await?;
        }
        structure::load(&mut tx, partnership_id, file).await.with_context(|| format!("loading the structure of {}", file.slug))?;
    }
    tx.commit().await?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_seed_files_parse() {
        let files = load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/seed"))).unwrap();
        let slugs: Vec<_> = files.iter().map(|f| f.slug.as_str()).collect();
        assert_eq!(slugs, ["swindon", "telford-wrekin", "warwickshire", "windsor-maidenhead"]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("slug = \"x\"\nname = \"X\"\nshort_name = \"X\"\nscope = \"everyone\"\n").unwrap_err().to_string();
        assert!(err.contains("line 4"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err =
            parse("slug = \"x\"\nname = \"X\"\nshort_name = \"X\"\nscope = \"children\"\ncolour = \"red\"\n").unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn duplicate_organisations_are_refused() {
        let text = "slug = \"x\"\nname = \"X\"\nshort_name = \"X\"\nscope = \"children\"\n\
            [[organisations]]\nname = \"A\"\nsector = \"police\"\n[[organisations]]\nname = \"A\"\nsector = \"police\"\n";
        assert!(parse(text).unwrap_err().to_string().contains("twice"));
    }
}
