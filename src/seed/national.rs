//! National-scale data for benchmarks and for the tests that keep pages flat
//! as data grows: many partnerships, years of history each (`national.sql`).

use anyhow::Context;
use sqlx::PgPool;

/// How much to generate: partnerships, and years of history for each (plus the year ahead).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub partnerships: u32,
    pub years: u32,
}

/// The slug of the n-th generated partnership (from 1); the first is the largest.
pub fn slug(n: u32) -> String {
    format!("area-{n:03}")
}

/// What was generated, for the command's report.
#[derive(Debug)]
pub struct Generated {
    pub partnerships: i64,
    pub people: i64,
    pub meetings: i64,
    pub decisions: i64,
    pub actions: i64,
    pub audit_rows: i64,
}

/// Generate `scale` into the database behind `owner` (the owning role: the
/// rows of every partnership are written at once), the partnerships shared
/// out among `jobs` connections working at once. Refuses to run twice.
pub async fn generate(owner: &PgPool, scale: Scale, jobs: u32) -> anyhow::Result<Generated> {
    anyhow::ensure!((1..=999).contains(&scale.partnerships), "partnerships must be between 1 and 999");
    anyhow::ensure!((1..=30).contains(&scale.years), "years must be between 1 and 30");
    let already =
        sqlx::query_scalar!(r#"select exists (select 1 from partnership where slug = $1) as "e!""#, slug(1)).fetch_one(owner).await?;
    anyhow::ensure!(!already, "national-scale data is already here ({} exists)", slug(1));
    let jobs = jobs.clamp(1, scale.partnerships);
    let mut shares = tokio::task::JoinSet::new();
    for job in 0..jobs {
        let first = 1 + scale.partnerships * job / jobs;
        let last = scale.partnerships * (job + 1) / jobs;
        shares.spawn(generate_share(owner.clone(), first, last, scale.years));
    }
    while let Some(outcome) = shares.join_next().await {
        outcome??;
    }
    // Fresh statistics, so the first plans at this size are the right ones.
    sqlx::raw_sql("analyze").execute(owner).await?;
    Ok(sqlx::query_as!(
        Generated,
        r#"select (select count(*) from partnership where slug like 'area-%') as "partnerships!",
                  (select count(*) from membership m join partnership p on p.id = m.partnership_id where p.slug like 'area-%') as "people!",
                  (select count(*) from meeting m join partnership p on p.id = m.partnership_id where p.slug like 'area-%') as "meetings!",
                  (select count(*) from decision d join partnership p on p.id = d.partnership_id where p.slug like 'area-%') as "decisions!",
                  (select count(*) from action_point a join partnership p on p.id = a.partnership_id where p.slug like 'area-%') as "actions!",
                  (select count(*) from audit_log a join partnership p on p.id = a.partnership_id where p.slug like 'area-%') as "audit_rows!""#
    )
    .fetch_one(owner)
    .await?)
}

/// Partnerships `first` to `last`, in one transaction of their own (one
/// simple-protocol batch: the numbers are ours, formatted, not user input).
async fn generate_share(owner: PgPool, first: u32, last: u32, years: u32) -> anyhow::Result<()> {
    let batch = format!(
        "begin;
         select set_config('gen.first', '{first}', true), set_config('gen.last', '{last}', true), set_config('gen.years', '{years}', true);
         {}
         commit;",
        include_str!("national.sql")
    );
    sqlx::raw_sql(&batch).execute(&owner).await.with_context(|| format!("generating partnerships {first} to {last}"))?;
    Ok(())
}
