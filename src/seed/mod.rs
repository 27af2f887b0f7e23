//! The four partnerships' arrangements, loaded from the plain files under
//! `seed/`, and the demo accounts `start` creates.
//!
//! Loading is idempotent: running it again updates what changed and adds
//! what is new, keyed by slug and organisation name.

pub mod demo;

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use uuid::Uuid;

use crate::partnerships::Scope;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipFile {
    pub slug: String,
    pub name: String,
    pub short_name: String,
    pub scope: ScopeCode,
    #[serde(default)]
    pub organisations: Vec<OrganisationEntry>,
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

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    LocalAuthority,
    Health,
    Police,
    Education,
    Probation,
    Voluntary,
    Other,
}

impl Sector {
    pub fn code(self) -> &'static str {
        match self {
            Sector::LocalAuthority => "local_authority",
            Sector::Health => "health",
            Sector::Police => "police",
            Sector::Education => "education",
            Sector::Probation => "probation",
            Sector::Voluntary => "voluntary",
            Sector::Other => "other",
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
        let partnership_id = sqlx::query_scalar!(
            "insert into partnership (id, slug, name, short_name, scope) values ($1, $2, $3, $4, $5)
             on conflict (slug) do update set name = excluded.name, short_name = excluded.short_name, scope = excluded.scope
             returning id",
            Uuid::new_v4(),
            file.slug,
            file.name,
            file.short_name,
            scope.code(),
        )
        .fetch_one(&mut *tx)
        .await?;
        for org in &file.organisations {
            sqlx::query!(
                "insert into organisation (partnership_id, id, name, sector, is_statutory_partner)
                 values ($1, $2, $3, $4, $5)
                 on conflict (partnership_id, name) do update
                 set sector = excluded.sector, is_statutory_partner = excluded.is_statutory_partner",
                partnership_id,
                Uuid::new_v4(),
                org.name,
                org.sector.code(),
                org.statutory_partner,
            )
            .execute(&mut *tx)
            .await?;
        }
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
        let err = parse("slug = \"x\"\nname = \"X\"\nshort_name = \"X\"\nscope = \"children\"\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn duplicate_organisations_are_refused() {
        let text = "slug = \"x\"\nname = \"X\"\nshort_name = \"X\"\nscope = \"children\"\n\
            [[organisations]]\nname = \"A\"\nsector = \"police\"\n[[organisations]]\nname = \"A\"\nsector = \"police\"\n";
        assert!(parse(text).unwrap_err().to_string().contains("twice"));
    }
}
