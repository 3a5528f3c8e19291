//! The speed target of issue 4: re-scoring 100,000 clients with 2,000,000 interactions in under
//! 60 seconds, on SQLite and on PostgreSQL. Also streams the BI score and client exports of the
//! whole portfolio and reports the process's peak memory while it does.
//!
//! ```text
//! cargo bench --bench rescore                      # SQLite (a temporary file)
//! KAIM_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench rescore                  # then PostgreSQL too (a fresh database)
//! ```
//!
//! `KAIM_BENCH_CLIENTS` and `KAIM_BENCH_INTERACTIONS` change the size (defaults 100,000 and
//! 2,000,000). The data set is generated from a fixed seed, in one transaction, in large
//! multi-row inserts. Results go into `BENCHMARKS.md` by hand.

#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports on standard output"
)]

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use entity::{client, enums, factor_rating, financial_check, interaction};
use futures::TryStreamExt as _;
use kaim::{config::ScoringSettings, db};
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait as _, DatabaseConnection, EntityTrait, TransactionTrait as _,
};
use uuid::Uuid;

/// Rows per `INSERT`: 2,000 rows of 14 columns (interactions) stay below SQLite's 32,766
/// parameters; the wider tables (20 columns) take half as many.
const CHUNK: usize = 2000;

const CURRENCIES: [&str; 4] = ["RUB", "EUR", "USD", "GBP"];
const OTHER_KINDS: [enums::InteractionKind; 4] = [
    enums::InteractionKind::Meeting,
    enums::InteractionKind::Call,
    enums::InteractionKind::Email,
    enums::InteractionKind::Negotiation,
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients = env_number("KAIM_BENCH_CLIENTS", 100_000)?;
    let interactions = env_number("KAIM_BENCH_INTERACTIONS", 2_000_000)?;
    println!(
        "machine: {} CPUs, {}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        cpu_model()
    );
    println!("data set: {clients} clients, {interactions} interactions");

    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    run("SQLite", &url, clients, interactions).await?;

    if let Ok(base) = std::env::var("KAIM_BENCH_POSTGRES_URL") {
        let admin = db::connect(&base, 2).await?;
        let name = format!("kaim_bench_{}", Uuid::now_v7().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (prefix, _) = base
            .rsplit_once('/')
            .context("the PostgreSQL URL names a database")?;
        let result = run(
            "PostgreSQL",
            &format!("{prefix}/{name}"),
            clients,
            interactions,
        )
        .await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        result?;
    } else {
        println!("PostgreSQL skipped: set KAIM_BENCH_POSTGRES_URL to run it");
    }
    Ok(())
}

async fn run(backend: &str, url: &str, clients: usize, interactions: usize) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = db::connect(url, 4).await?;
    db::migrate(&db).await?;

    let started = Instant::now();
    generate(&db, clients, interactions).await?;
    println!("generate: {}", seconds(started.elapsed()));

    let settings = ScoringSettings::default();
    let filter = db::clients::ClientFilter::default();
    let started = Instant::now();
    let outcome = db::scoring::rescore(&db, &settings, db::scoring::Scope::Filter(&filter))
        .await
        .map_err(|e| anyhow::anyhow!(e.into_error()))?;
    let rescore = started.elapsed();
    println!(
        "rescore: {} ({} clients rescored)  peak RSS so far {}",
        seconds(rescore),
        outcome.rescored,
        memory("VmHWM")
    );

    // The peak is reset so that it measures the exports alone.
    reset_peak_memory();
    let before = memory("VmRSS");
    let started = Instant::now();
    let (rows, bytes) = drain_scores(&db).await?;
    println!(
        "export scores: {rows} rows, {} MB of JSON in {}; RSS before {before}, peak {}",
        bytes / 1_000_000,
        seconds(started.elapsed()),
        memory("VmHWM")
    );
    let started = Instant::now();
    let mut pages = std::pin::pin!(db::exports::clients(db.clone(), filter, db::now()));
    let mut client_rows = 0;
    while let Some(page) = pages
        .try_next()
        .await
        .map_err(|e| anyhow::anyhow!(e.into_error()))?
    {
        client_rows += page.len();
    }
    println!(
        "export clients: {client_rows} rows in {}; peak {}",
        seconds(started.elapsed()),
        memory("VmHWM")
    );
    db.close().await?;
    if rescore > Duration::from_secs(60) {
        println!("MISSED: re-scoring took over 60 s");
    }
    Ok(())
}

/// Streams every current score and serialises each row (as the NDJSON export does).
async fn drain_scores(db: &DatabaseConnection) -> anyhow::Result<(usize, usize)> {
    let mut pages = std::pin::pin!(db::exports::scores(
        db.clone(),
        db::clients::ClientFilter::default(),
        None
    ));
    let (mut rows, mut bytes) = (0, 0);
    while let Some(page) = pages
        .try_next()
        .await
        .map_err(|e| anyhow::anyhow!(e.into_error()))?
    {
        for row in &page {
            bytes += serde_json::to_vec(&row.factors)?.len() + row.client_name.len();
        }
        rows += page.len();
    }
    Ok((rows, bytes))
}

/// Clients, their interactions (half of them orders), a financial check for every other client
/// and ratings for every tenth, in one transaction.
async fn generate(
    db: &DatabaseConnection,
    clients: usize,
    interactions: usize,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(4);
    let now = db::now();
    let tx = db.begin().await?;
    let ids: Vec<Uuid> = (0..clients).map(|_| Uuid::now_v7()).collect();
    for chunk in ids.chunks(CHUNK / 2) {
        let rows = chunk.iter().enumerate().map(|(i, id)| client::ActiveModel {
            id: Set(*id),
            name: Set(format!("Клиент {i}, \"{}\"", id.simple())),
            legal_name: Set(None),
            search_text: Set(format!("клиент {i}")),
            industry_code: Set(None),
            industry: Set(Some("Retail".into())),
            country: Set(Some(if i % 2 == 0 { "RU" } else { "GB" }.into())),
            region: Set(None),
            employees: Set(None),
            revenue_band: Set(None),
            markets: Set(serde_json::json!([])),
            strategic_plans: Set(None),
            website: Set(None),
            status: Set(enums::ClientStatus::Active),
            manager_id: Set(None),
            archived_at: Set(None),
            last_interaction_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        client::Entity::insert_many(rows)
            .exec_without_returning(&tx)
            .await?;
    }

    let mut remaining = interactions;
    let mut batch = Vec::with_capacity(CHUNK);
    let per_client = interactions.div_ceil(clients.max(1)).max(1);
    for id in ids.iter().cycle() {
        if remaining == 0 {
            break;
        }
        // Between 0 and twice the mean per client, so some clients order often and some never.
        let count = rng.random_range(0..=2 * per_client).min(remaining);
        remaining -= count;
        for _ in 0..count {
            batch.push(interaction_row(&mut rng, *id, now));
            if batch.len() == CHUNK {
                interaction::Entity::insert_many(std::mem::take(&mut batch))
                    .exec_without_returning(&tx)
                    .await?;
            }
        }
    }
    if !batch.is_empty() {
        interaction::Entity::insert_many(batch)
            .exec_without_returning(&tx)
            .await?;
    }

    for chunk in ids.chunks(CHUNK) {
        let checks = chunk
            .iter()
            .step_by(2)
            .map(|id| check_row(&mut rng, *id, now))
            .collect::<Vec<_>>();
        financial_check::Entity::insert_many(checks)
            .exec_without_returning(&tx)
            .await?;
        let ratings = chunk.iter().step_by(10).flat_map(|id| {
            ["growth_prospects", "transparency", "service_quality"].map(|key| {
                factor_rating::ActiveModel {
                    client_id: Set(*id),
                    factor_key: Set(key.to_owned()),
                    rating: Set(f64::from(1 + (id.as_u128() % 10) as u8)),
                    rated_by: Set(None),
                    rated_at: Set(now),
                }
            })
        });
        factor_rating::Entity::insert_many(ratings.collect::<Vec<_>>())
            .exec_without_returning(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn interaction_row(
    rng: &mut StdRng,
    client_id: Uuid,
    now: DateTime<Utc>,
) -> interaction::ActiveModel {
    let order = rng.random_bool(0.5);
    let occurred_at = now - chrono::Duration::minutes(rng.random_range(0..3 * 365 * 24 * 60));
    interaction::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client_id),
        contact_id: Set(None),
        kind: Set(if order {
            enums::InteractionKind::Order
        } else {
            OTHER_KINDS[rng.random_range(0..OTHER_KINDS.len())]
        }),
        occurred_at: Set(occurred_at),
        subject: Set(None),
        summary: Set(None),
        amount_e4: Set(order.then(|| rng.random_range(1_000..100_000_000) * 10_000)),
        currency: Set(order.then(|| CURRENCIES[rng.random_range(0..CURRENCIES.len())].to_owned())),
        outcome: Set(None),
        source: Set(None),
        external_id: Set(None),
        recorded_by: Set(None),
        created_at: Set(now),
    }
}

fn check_row(
    rng: &mut StdRng,
    client_id: Uuid,
    now: DateTime<Utc>,
) -> financial_check::ActiveModel {
    let revenue: i64 = rng.random_range(1_000_000..10_000_000_000);
    financial_check::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client_id),
        source: Set("bench".into()),
        checked_at: Set(now - chrono::Duration::days(rng.random_range(0..700))),
        fiscal_year: Set(Some(2025)),
        currency: Set(Some("RUB".into())),
        revenue_e4: Set(Some(revenue * 10_000)),
        net_income_e4: Set(Some(rng.random_range(-revenue / 10..revenue / 5) * 10_000)),
        assets_e4: Set(None),
        equity_e4: Set(None),
        debt_e4: Set(None),
        employees: Set(None),
        registry_status: Set(Some("active".into())),
        litigation_count: Set(Some(rng.random_range(0..5))),
        litigation_amount_e4: Set(None),
        government_contracts_count: Set(None),
        government_contracts_amount_e4: Set(None),
        raw_payload: Set(None),
        recorded_by: Set(None),
        created_at: Set(now),
    }
}

fn env_number(name: &str, default: usize) -> anyhow::Result<usize> {
    std::env::var(name).map_or(Ok(default), |text| {
        text.parse()
            .with_context(|| format!("{name} must be a number"))
    })
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// A `/proc/self/status` memory line (`VmRSS`, `VmHWM`), such as `41 MB`.
fn memory(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(|| "unknown".into(), |kb| format!("{} MB", kb / 1024))
}

/// Resets `VmHWM` to the current RSS (Linux 4.0+), so a later reading is the peak since now.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
