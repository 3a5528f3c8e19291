//! The demo portfolio behind `kaim seed --demo`: invented but realistic clients from several
//! countries, with contacts and their decision structure, three years of interactions,
//! financial checks, needs and account plans, owned by a handful of managers.
//!
//! Generation is deterministic: the same seed gives the same portfolio (dates count back from
//! the day of seeding). Names, countries and registry identifiers come from one random stream
//! that nothing else draws from, so they do not even depend on that day. Everything is written
//! with multi-row inserts inside one transaction, so a failed seed leaves nothing behind.

use std::{
    collections::{HashMap, HashSet},
    fmt,
};

use DecisionRole::{Approver, DecisionMaker, Gatekeeper, Influencer, User as EndUser};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, SubsecRound, Utc, Weekday};
use entity::{
    account_plan, client, contact,
    enums::{
        Attitude, ClientStatus, ContactChannel, DecisionRole, InteractionKind, NeedKind,
        NeedStatus, PlanStatus, RegistryScheme, Role, SpinStage, TaskStatus,
    },
    financial_check, interaction, need, plan_action, plan_objective, registry_id, user,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    InsertMany, IntoActiveModel, Iterable, PaginatorTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    domain::{registry_id::RegistryIdValue, text},
    error::{AppError, AppResult},
};

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 2024;

/// How many clients the demo portfolio has unless told otherwise.
pub const DEFAULT_CLIENTS: u32 = 300;

/// Rows per multi-row `INSERT`, and bound parameters per statement: well inside SQLite's limit
/// (32 766) and PostgreSQL's (65 535).
const MAX_ROWS: usize = 500;
const MAX_PARAMETERS: usize = 30_000;

/// Where demo staff get their e-mail addresses; `.example` is reserved, so no one receives mail.
const STAFF_DOMAIN: &str = "demo.kaim.example";

/// What to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// How many clients to create.
    pub clients: u32,
    /// The same seed gives the same portfolio.
    pub seed: u64,
    /// Add the portfolio even when the database already has clients.
    pub force: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            clients: DEFAULT_CLIENTS,
            seed: DEFAULT_SEED,
            force: false,
        }
    }
}

/// How many rows of each kind a seed wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Users created (demo staff already present are reused, not counted).
    pub users: usize,
    pub clients: usize,
    pub registry_ids: usize,
    pub contacts: usize,
    pub interactions: usize,
    pub financial_checks: usize,
    pub needs: usize,
    pub account_plans: usize,
    pub plan_objectives: usize,
    pub plan_actions: usize,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} clients, {} users, {} registry ids, {} contacts, {} interactions, {} financial checks, {} needs, {} account plans ({} objectives, {} actions)",
            self.clients,
            self.users,
            self.registry_ids,
            self.contacts,
            self.interactions,
            self.financial_checks,
            self.needs,
            self.account_plans,
            self.plan_objectives,
            self.plan_actions,
        )
    }
}

/// Seeds the demo portfolio in one transaction.
///
/// # Errors
/// `CONFLICT` when the database already has clients and `force` is not set; database failures.
/// Either way nothing is written.
pub async fn demo(db: &DatabaseConnection, options: DemoOptions) -> AppResult<DemoSummary> {
    let txn = super::begin_write(db).await?;
    let existing = client::Entity::find().count(&txn).await?;
    if existing > 0 && !options.force {
        return Err(AppError::Conflict(format!(
            "the database already has {existing} clients; the demo portfolio is only seeded into an empty database unless forced"
        )));
    }
    let taken: HashSet<(RegistryScheme, String)> = if existing > 0 {
        registry_id::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| (row.scheme, row.value))
            .collect()
    } else {
        HashSet::new()
    };
    let emails: Vec<String> = STAFF.iter().map(Staff::email).collect();
    let known_staff: HashMap<String, Uuid> = user::Entity::find()
        .filter(user::Column::Email.is_in(emails))
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|row| row.email.map(|email| (email, row.id)))
        .collect();

    let mut generator = Generator::new(options.seed, super::now().trunc_subsecs(0), taken);
    generator.staff(&known_staff);
    generator.portfolio(options.clients)?;
    let summary = generator.out.write(&txn).await?;
    txn.commit().await?;
    super::optimize(db).await?;
    Ok(summary)
}

/// Everything the demo writes, in foreign-key order.
#[derive(Default)]
struct Portfolio {
    users: Vec<user::Model>,
    clients: Vec<client::Model>,
    registry_ids: Vec<registry_id::Model>,
    contacts: Vec<contact::Model>,
    interactions: Vec<interaction::Model>,
    checks: Vec<financial_check::Model>,
    needs: Vec<need::Model>,
    plans: Vec<account_plan::Model>,
    objectives: Vec<plan_objective::Model>,
    actions: Vec<plan_action::Model>,
}

impl Portfolio {
    async fn write<C: ConnectionTrait>(self, db: &C) -> Result<DemoSummary, DbErr> {
        let summary = DemoSummary {
            users: self.users.len(),
            clients: self.clients.len(),
            registry_ids: self.registry_ids.len(),
            contacts: self.contacts.len(),
            interactions: self.interactions.len(),
            financial_checks: self.checks.len(),
            needs: self.needs.len(),
            account_plans: self.plans.len(),
            plan_objectives: self.objectives.len(),
            plan_actions: self.actions.len(),
        };
        insert_all(db, self.users).await?;
        insert_all(db, self.clients).await?;
        insert_all(db, self.registry_ids).await?;
        // A contact only reports to one created before it, so each chunk's references exist.
        insert_all(db, self.contacts).await?;
        insert_all(db, self.interactions).await?;
        insert_all(db, self.checks).await?;
        insert_all(db, self.needs).await?;
        insert_all(db, self.plans).await?;
        insert_all(db, self.objectives).await?;
        insert_all(db, self.actions).await?;
        Ok(summary)
    }
}

/// Inserts `rows` with as few statements as the parameter limits allow.
async fn insert_all<C, A, M>(db: &C, rows: Vec<M>) -> Result<(), DbErr>
where
    C: ConnectionTrait,
    A: ActiveModelTrait,
    M: IntoActiveModel<A>,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (MAX_PARAMETERS / columns).clamp(1, MAX_ROWS);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<M> = rows.by_ref().take(per_statement).collect();
        InsertMany::<A>::many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// One element of a constant, non-empty list.
fn pick<T: Copy, const N: usize>(rng: &mut StdRng, items: &[T; N]) -> T {
    const { assert!(N > 0, "a list to pick from is never empty") };
    items.choose(rng).copied().unwrap_or(items[0])
}

/// One element of a list, or the type's default for an empty one.
fn pick_in<T: Copy + Default>(rng: &mut StdRng, items: &[T]) -> T {
    items.choose(rng).copied().unwrap_or_default()
}

/// One element of a constant, non-empty list, in proportion to its weight.
fn weighted<T: Copy, const N: usize>(rng: &mut StdRng, items: &[(T, u32); N]) -> T {
    const { assert!(N > 0, "a list to pick from is never empty") };
    items
        .choose_weighted(rng, |item| item.1)
        .map_or(items[0].0, |item| item.0)
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A moment on a working day at or after `day`, in office hours.
fn office_time(rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    let mut day = day;
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    let seconds = rng.random_range(7 * 3600..17 * 3600);
    day.and_time(NaiveTime::MIN).and_utc() + Duration::seconds(seconds)
}

/// A uniformly random moment between `from` and `to`.
fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds();
    if span <= 0 {
        return to;
    }
    from + Duration::seconds(rng.random_range(0..=span))
}

/// A stored fixed-point amount (four decimals) of `amount` rounded to a multiple of `step`.
fn e4(amount: f64, step: f64) -> i64 {
    ((amount / step).round() * step * 10_000.0) as i64
}

/// Lower-case ASCII letters and digits of `text`, transliterating Cyrillic and folding Latin
/// diacritics: for e-mail addresses and domains.
fn ascii_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            continue;
        }
        out.push_str(match c {
            'а' | 'à' | 'â' | 'á' => "a",
            'ä' | 'ә' => "ae",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'ғ' => "gh",
            'д' => "d",
            'е' | 'ё' | 'э' | 'é' | 'è' | 'ê' | 'ë' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'і' | 'î' | 'ï' => "i",
            'й' | 'ы' => "y",
            'к' | 'қ' => "k",
            'л' => "l",
            'м' => "m",
            'н' | 'ң' => "n",
            'о' | 'ө' | 'ô' => "o",
            'ö' => "oe",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' | 'ұ' | 'ү' | 'ù' | 'û' => "u",
            'ü' => "ue",
            'ф' => "f",
            'х' | 'һ' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' => "yu",
            'я' => "ya",
            'ß' => "ss",
            'ç' => "c",
            _ => "",
        });
    }
    out
}

/// Languages of job titles; interaction notes, needs and plans are Russian or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Ru,
    En,
    De,
    Fr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Land {
    Ru,
    Kz,
    Gb,
    Us,
    De,
    Fr,
    Nl,
}

const LANDS: [(Land, u32); 7] = [
    (Land::Ru, 30),
    (Land::Kz, 8),
    (Land::Gb, 15),
    (Land::Us, 17),
    (Land::De, 13),
    (Land::Fr, 10),
    (Land::Nl, 7),
];

/// A region and the code registries use for it (Russian tax region, UK company-number prefix).
type Region = (&'static str, &'static str);

impl Land {
    const fn code(self) -> &'static str {
        match self {
            Self::Ru => "RU",
            Self::Kz => "KZ",
            Self::Gb => "GB",
            Self::Us => "US",
            Self::De => "DE",
            Self::Fr => "FR",
            Self::Nl => "NL",
        }
    }

    const fn currency(self) -> &'static str {
        match self {
            Self::Ru => "RUB",
            Self::Kz => "KZT",
            Self::Gb => "GBP",
            Self::Us => "USD",
            Self::De | Self::Fr | Self::Nl => "EUR",
        }
    }

    /// Units of the local currency per US dollar, roughly: enough for plausible amounts.
    const fn per_usd(self) -> f64 {
        match self {
            Self::Ru => 90.0,
            Self::Kz => 480.0,
            Self::Gb => 0.79,
            Self::Us => 1.0,
            Self::De | Self::Fr | Self::Nl => 0.92,
        }
    }

    /// Amounts are rounded to this many units (no kopecks on a RUB invoice of millions).
    const fn amount_step(self) -> f64 {
        match self {
            Self::Ru | Self::Kz => 1.0,
            _ => 0.01,
        }
    }

    const fn lang(self) -> Lang {
        match self {
            Self::Ru | Self::Kz => Lang::Ru,
            Self::Gb | Self::Us | Self::Nl => Lang::En,
            Self::De => Lang::De,
            Self::Fr => Lang::Fr,
        }
    }

    const fn tld(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::Kz => "kz",
            Self::Gb => "co.uk",
            Self::Us => "com",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Nl => "nl",
        }
    }

    const fn regions(self) -> &'static [Region] {
        match self {
            Self::Ru => &[
                ("Москва", "77"),
                ("Санкт-Петербург", "78"),
                ("Московская область", "50"),
                ("Свердловская область", "66"),
                ("Республика Татарстан", "16"),
                ("Новосибирская область", "54"),
                ("Краснодарский край", "23"),
                ("Нижегородская область", "52"),
                ("Самарская область", "63"),
                ("Челябинская область", "74"),
            ],
            Self::Kz => &[
                ("Алматы", ""),
                ("Астана", ""),
                ("Карагандинская область", ""),
                ("Атырауская область", ""),
                ("Павлодарская область", ""),
                ("Шымкент", ""),
            ],
            Self::Gb => &[
                ("London", ""),
                ("South East", ""),
                ("North West", ""),
                ("West Midlands", ""),
                ("Yorkshire and the Humber", ""),
                ("Scotland", "SC"),
                ("Wales", ""),
                ("Northern Ireland", "NI"),
            ],
            Self::Us => &[
                ("California", ""),
                ("New York", ""),
                ("Texas", ""),
                ("Illinois", ""),
                ("Massachusetts", ""),
                ("Washington", ""),
                ("Georgia", ""),
                ("Ohio", ""),
            ],
            Self::De => &[
                ("Bayern", ""),
                ("Nordrhein-Westfalen", ""),
                ("Baden-Württemberg", ""),
                ("Hessen", ""),
                ("Hamburg", ""),
                ("Berlin", ""),
                ("Niedersachsen", ""),
            ],
            Self::Fr => &[
                ("Île-de-France", ""),
                ("Auvergne-Rhône-Alpes", ""),
                ("Provence-Alpes-Côte d'Azur", ""),
                ("Hauts-de-France", ""),
                ("Occitanie", ""),
                ("Nouvelle-Aquitaine", ""),
            ],
            Self::Nl => &[
                ("Noord-Holland", ""),
                ("Zuid-Holland", ""),
                ("Noord-Brabant", ""),
                ("Utrecht", ""),
                ("Gelderland", ""),
            ],
        }
    }

    /// The home market and the ones a company from here often also serves.
    const fn markets(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Ru => (
                "Russia",
                &[
                    "CIS",
                    "Kazakhstan",
                    "Belarus",
                    "China",
                    "Middle East",
                    "India",
                ],
            ),
            Self::Kz => ("Kazakhstan", &["Central Asia", "Russia", "China", "CIS"]),
            Self::Gb => (
                "United Kingdom",
                &["EU", "North America", "Middle East", "Asia-Pacific"],
            ),
            Self::Us => (
                "United States",
                &["Canada", "Latin America", "EU", "Asia-Pacific"],
            ),
            Self::De => ("Germany", &["EU", "DACH", "North America", "China"]),
            Self::Fr => ("France", &["EU", "Africa", "Middle East", "North America"]),
            Self::Nl => (
                "Netherlands",
                &["EU", "Benelux", "United Kingdom", "Asia-Pacific"],
            ),
        }
    }

    /// The first four characters of LEIs issued here (the issuing LOU's prefix).
    const fn lei_prefix(self) -> &'static str {
        match self {
            Self::Ru => "2534",
            Self::Gb => "2138",
            Self::De => "5299",
            Self::Fr => "9695",
            Self::Nl => "7245",
            Self::Kz | Self::Us => "5493",
        }
    }
}

/// An industry with its NACE Rev. 2 division and the word companies of it put in their names.
#[derive(Debug, Clone, Copy)]
struct Industry {
    code: &'static str,
    label: &'static str,
    ru: &'static str,
    en: &'static str,
    de: &'static str,
    fr: &'static str,
    nl: &'static str,
    /// Revenue per employee, thousand US dollars.
    revenue_per_employee: f64,
}

const fn industry(
    code: &'static str,
    label: &'static str,
    names: [&'static str; 5],
    revenue_per_employee: f64,
) -> Industry {
    let [ru, en, de, fr, nl] = names;
    Industry {
        code,
        label,
        ru,
        en,
        de,
        fr,
        nl,
        revenue_per_employee,
    }
}

const INDUSTRIES: [Industry; 17] = [
    industry(
        "C28",
        "Machinery manufacturing",
        [
            "Маш",
            "Engineering",
            "Maschinenbau",
            "Mécanique",
            "Machinebouw",
        ],
        220.0,
    ),
    industry(
        "C20",
        "Chemicals",
        ["Хим", "Chemicals", "Chemie", "Chimie", "Chemie"],
        450.0,
    ),
    industry(
        "C24",
        "Metallurgy",
        ["Металл", "Metals", "Stahl", "Métaux", "Metaal"],
        380.0,
    ),
    industry(
        "B06",
        "Oil and gas",
        ["Нефтегаз", "Petroleum", "Erdöl", "Pétrole", "Olie en Gas"],
        900.0,
    ),
    industry(
        "D35",
        "Energy utilities",
        ["Энерго", "Power", "Energie", "Énergie", "Energie"],
        600.0,
    ),
    industry(
        "F41",
        "Construction",
        ["Строй", "Construction", "Bau", "Construction", "Bouw"],
        200.0,
    ),
    industry(
        "G46",
        "Wholesale trade",
        ["Снаб", "Supplies", "Handel", "Distribution", "Groothandel"],
        500.0,
    ),
    industry(
        "G47",
        "Retail",
        ["Торг", "Retail", "Handelshaus", "Commerce", "Retail"],
        180.0,
    ),
    industry(
        "H52",
        "Logistics",
        ["Транс", "Logistics", "Logistik", "Transports", "Logistiek"],
        170.0,
    ),
    industry(
        "J62",
        "IT services",
        ["Софт", "Digital", "Software", "Numérique", "Software"],
        190.0,
    ),
    industry(
        "J61",
        "Telecommunications",
        ["Телеком", "Telecom", "Telekom", "Télécom", "Telecom"],
        400.0,
    ),
    industry(
        "K64",
        "Financial services",
        ["Финанс", "Capital", "Finanz", "Finance", "Finance"],
        350.0,
    ),
    industry(
        "C10",
        "Food processing",
        ["Продукт", "Foods", "Lebensmittel", "Alimentaire", "Voeding"],
        260.0,
    ),
    industry(
        "C21",
        "Pharmaceuticals",
        ["Фарм", "Pharma", "Pharma", "Pharma", "Pharma"],
        480.0,
    ),
    industry(
        "A01",
        "Agriculture",
        ["Агро", "Farms", "Agrar", "Agricole", "Agri"],
        150.0,
    ),
    industry(
        "C29",
        "Automotive",
        ["Авто", "Motors", "Automobil", "Automobile", "Automotive"],
        330.0,
    ),
    industry(
        "M71",
        "Engineering services",
        [
            "Проект",
            "Consulting Engineers",
            "Ingenieure",
            "Ingénierie",
            "Ingenieurs",
        ],
        160.0,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    Small,
    Mid,
    Large,
    Huge,
}

const SIZES: [(Size, u32); 4] = [
    (Size::Small, 30),
    (Size::Mid, 40),
    (Size::Large, 22),
    (Size::Huge, 8),
];

impl Size {
    const fn factor(self) -> f64 {
        match self {
            Self::Small => 0.5,
            Self::Mid => 1.0,
            Self::Large => 1.8,
            Self::Huge => 3.0,
        }
    }

    const fn is_big(self) -> bool {
        matches!(self, Self::Large | Self::Huge)
    }
}

/// How much a client buys from us: key clients order often, occasional ones rarely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Key,
    Regular,
    Occasional,
}

// Company names.
const RU_GEO: [&str; 18] = [
    "Урал",
    "Сиб",
    "Волга",
    "Север",
    "Балт",
    "Дон",
    "Кама",
    "Енисей",
    "Амур",
    "Нева",
    "Алтай",
    "Байкал",
    "Центр",
    "Юг",
    "Ока",
    "Вятка",
    "Печора",
    "Ладога",
];
const RU_SUFFIX: [&str; 9] = [
    "Сервис",
    "Холдинг",
    "Инвест",
    "Комплект",
    "Ресурс",
    "Пром",
    "Групп",
    "Техника",
    "Альянс",
];
const RU_PHRASES: [&str; 20] = [
    "Северная Звезда",
    "Русский Лес",
    "Золотой Колос",
    "Новый Век",
    "Белый Медведь",
    "Зелёная Долина",
    "Прогресс",
    "Вектор",
    "Импульс",
    "Меридиан",
    "Горизонт",
    "Стандарт",
    "Атлант",
    "Гранит",
    "Кристалл",
    "Оптима",
    "Восход",
    "Заря",
    "Профиль",
    "Эталон",
];
const KZ_GEO: [&str; 15] = [
    "Каз",
    "Алатау",
    "Астана",
    "Сарыарка",
    "Жетысу",
    "Каспий",
    "Тенгиз",
    "Иртыш",
    "Алтын",
    "Евразия",
    "Арал",
    "Тараз",
    "Кокше",
    "Улытау",
    "Балхаш",
];
const KZ_PHRASES: [&str; 10] = [
    "Алтын Дала",
    "Ак Жол",
    "Номад",
    "Береке",
    "Достык",
    "Кайнар",
    "Шапагат",
    "Жулдыз",
    "Тулпар",
    "Бирлик",
];
const GB_PLACES: [&str; 24] = [
    "Ashford",
    "Bramley",
    "Calder",
    "Dunmore",
    "Elland",
    "Fenwick",
    "Glenmore",
    "Harrow",
    "Kingsbridge",
    "Lydford",
    "Marlow",
    "Northgate",
    "Pennine",
    "Redcliffe",
    "Severn",
    "Thornbury",
    "Wexley",
    "Whitcombe",
    "Ravensworth",
    "Stanton",
    "Avonmore",
    "Blackwater",
    "Castlegate",
    "Thames Valley",
];
const US_PLACES: [&str; 22] = [
    "Redwood",
    "Summit",
    "Lakeshore",
    "Granite",
    "Pioneer",
    "Liberty",
    "Cascade",
    "Bluewater",
    "Ironwood",
    "Prairie",
    "Keystone",
    "Silverline",
    "Evergreen",
    "Hudson",
    "Sierra",
    "Atlantic",
    "Frontier",
    "Copperfield",
    "Mesa",
    "Harbor",
    "Lone Star",
    "Great Lakes",
];
const DE_NAMES: [&str; 18] = [
    "Müller",
    "Hoffmann",
    "Brandt",
    "Kessler",
    "Albrecht",
    "Vogel",
    "Rhein",
    "Elbe",
    "Hansa",
    "Nordstern",
    "Schwarzwald",
    "Weser",
    "Alpen",
    "Sachsen",
    "Bavaria",
    "Lindner",
    "Hartmann",
    "Falk",
];
const FR_NAMES: [&str; 18] = [
    "Lambert",
    "Dubois",
    "Moreau",
    "Garnier",
    "Rousseau",
    "Lefèvre",
    "Girard",
    "Provence",
    "Atlantique",
    "Loire",
    "Alpes",
    "Rhône",
    "Normandie",
    "Bretagne",
    "Mercier",
    "Fontaine",
    "Chevalier",
    "Beaumont",
];
const NL_NAMES: [&str; 15] = [
    "Van Dijk",
    "De Vries",
    "Bakker",
    "Hollandia",
    "Noordzee",
    "Delta",
    "Oranje",
    "Maas",
    "IJssel",
    "Zeeland",
    "Rijnmond",
    "Van Leeuwen",
    "Veluwe",
    "Kempen",
    "Zuiderzee",
];

// People.
const RU_MALE: [&str; 16] = [
    "Алексей",
    "Андрей",
    "Дмитрий",
    "Сергей",
    "Михаил",
    "Игорь",
    "Павел",
    "Владимир",
    "Николай",
    "Евгений",
    "Олег",
    "Константин",
    "Артём",
    "Максим",
    "Роман",
    "Виктор",
];
const RU_FEMALE: [&str; 14] = [
    "Анна",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Мария",
    "Екатерина",
    "Светлана",
    "Юлия",
    "Марина",
    "Ксения",
    "Дарья",
    "Вера",
];
const RU_PATRONYMICS: [(&str, &str); 12] = [
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Владимирович", "Владимировна"),
    ("Николаевич", "Николаевна"),
    ("Петрович", "Петровна"),
    ("Игоревич", "Игоревна"),
    ("Михайлович", "Михайловна"),
    ("Андреевич", "Андреевна"),
    ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"),
    ("Олегович", "Олеговна"),
    ("Анатольевич", "Анатольевна"),
];
/// Male forms; the female form adds `а`.
const RU_SURNAMES: [&str; 30] = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
];
const KZ_MALE: [&str; 12] = [
    "Нурлан",
    "Ерлан",
    "Асхат",
    "Даурен",
    "Серик",
    "Бауыржан",
    "Марат",
    "Арман",
    "Канат",
    "Ержан",
    "Тимур",
    "Руслан",
];
const KZ_FEMALE: [&str; 10] = [
    "Айгерим",
    "Асель",
    "Динара",
    "Гульнара",
    "Жанна",
    "Алия",
    "Сауле",
    "Мадина",
    "Камила",
    "Айжан",
];
const KZ_PATRONYMICS: [(&str, &str); 8] = [
    ("Нурланович", "Нурлановна"),
    ("Маратович", "Маратовна"),
    ("Серикович", "Сериковна"),
    ("Ерланович", "Ерлановна"),
    ("Канатович", "Канатовна"),
    ("Болатович", "Болатовна"),
    ("Сапарович", "Сапаровна"),
    ("Аскарович", "Аскаровна"),
];
const KZ_SURNAMES: [&str; 16] = [
    "Абенов",
    "Жумабаев",
    "Искаков",
    "Кенжебаев",
    "Омаров",
    "Сатпаев",
    "Тулеев",
    "Нурпеисов",
    "Бекмуханбетов",
    "Ахметов",
    "Сулейменов",
    "Касымов",
    "Байжанов",
    "Мусин",
    "Есенов",
    "Жаксыбеков",
];
const GB_FIRST: [&str; 20] = [
    "James",
    "Oliver",
    "William",
    "Thomas",
    "George",
    "Harry",
    "Jack",
    "Daniel",
    "Michael",
    "David",
    "Emily",
    "Sophie",
    "Charlotte",
    "Amelia",
    "Olivia",
    "Jessica",
    "Hannah",
    "Lucy",
    "Rachel",
    "Sarah",
];
const GB_SURNAMES: [&str; 25] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Hughes", "Edwards", "Turner",
];
const US_FIRST: [&str; 20] = [
    "Ashley",
    "Jennifer",
    "Brian",
    "Kevin",
    "Jason",
    "Megan",
    "Tyler",
    "Lauren",
    "Christopher",
    "Matthew",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Jessica",
    "Robert",
    "Maria",
    "Daniel",
    "Amanda",
    "Joshua",
];
const US_SURNAMES: [&str; 25] = [
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Martinez",
    "Anderson",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Thompson",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Scott",
    "Nguyen",
    "Hill",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
];
const DE_FIRST: [&str; 20] = [
    "Thomas",
    "Michael",
    "Andreas",
    "Stefan",
    "Christian",
    "Markus",
    "Jan",
    "Tobias",
    "Matthias",
    "Florian",
    "Sabine",
    "Katrin",
    "Julia",
    "Anna",
    "Claudia",
    "Nicole",
    "Laura",
    "Susanne",
    "Andrea",
    "Lena",
];
const DE_SURNAMES: [&str; 20] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
];
const FR_FIRST: [&str; 20] = [
    "Jean",
    "Pierre",
    "Nicolas",
    "Julien",
    "Thomas",
    "Antoine",
    "Philippe",
    "Laurent",
    "Mathieu",
    "François",
    "Marie",
    "Camille",
    "Julie",
    "Sophie",
    "Claire",
    "Isabelle",
    "Céline",
    "Nathalie",
    "Émilie",
    "Chloé",
];
const FR_SURNAMES: [&str; 20] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier",
];
const NL_FIRST: [&str; 20] = [
    "Jan", "Pieter", "Daan", "Sander", "Bas", "Joost", "Ruben", "Thijs", "Maarten", "Wouter",
    "Anouk", "Sanne", "Lotte", "Eva", "Femke", "Iris", "Marloes", "Lisa", "Inge", "Eline",
];
const NL_SURNAMES: [&str; 20] = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
];

/// A job at a client: level 0 runs the company, level 1 heads a function, level 2 works in one.
#[derive(Debug, Clone, Copy)]
struct Position {
    title: &'static str,
    department: &'static str,
    level: u8,
    role: DecisionRole,
    influence: (i16, i16),
}

const fn job(
    title: &'static str,
    department: &'static str,
    level: u8,
    role: DecisionRole,
    influence: (i16, i16),
) -> Position {
    Position {
        title,
        department,
        level,
        role,
        influence,
    }
}

const RU_JOBS: [Position; 15] = [
    job(
        "Генеральный директор",
        "Руководство",
        0,
        DecisionMaker,
        (5, 5),
    ),
    job("Финансовый директор", "Финансы", 1, Approver, (4, 5)),
    job("Коммерческий директор", "Коммерция", 1, Influencer, (4, 5)),
    job("Директор по закупкам", "Закупки", 1, DecisionMaker, (4, 5)),
    job(
        "Технический директор",
        "Производство",
        1,
        Influencer,
        (3, 5),
    ),
    job("Директор по ИТ", "ИТ", 1, Influencer, (3, 4)),
    job("Директор по логистике", "Логистика", 1, Influencer, (3, 4)),
    job("Начальник отдела закупок", "Закупки", 2, Influencer, (3, 4)),
    job("Менеджер по закупкам", "Закупки", 2, EndUser, (2, 3)),
    job("Главный инженер", "Производство", 2, Influencer, (3, 4)),
    job("Главный бухгалтер", "Финансы", 2, Approver, (2, 3)),
    job("Специалист по тендерам", "Закупки", 2, Gatekeeper, (2, 3)),
    job(
        "Помощник генерального директора",
        "Руководство",
        2,
        Gatekeeper,
        (2, 3),
    ),
    job("Инженер-технолог", "Производство", 2, EndUser, (1, 2)),
    job("Начальник склада", "Логистика", 2, EndUser, (1, 2)),
];
const EN_JOBS: [Position; 15] = [
    job(
        "Chief Executive Officer",
        "Executive",
        0,
        DecisionMaker,
        (5, 5),
    ),
    job("Chief Financial Officer", "Finance", 1, Approver, (4, 5)),
    job("Commercial Director", "Commercial", 1, Influencer, (4, 5)),
    job(
        "Procurement Director",
        "Procurement",
        1,
        DecisionMaker,
        (4, 5),
    ),
    job("Operations Director", "Operations", 1, Influencer, (3, 5)),
    job("Chief Information Officer", "IT", 1, Influencer, (3, 4)),
    job(
        "Head of Supply Chain",
        "Supply Chain",
        1,
        Influencer,
        (3, 4),
    ),
    job("Head of Procurement", "Procurement", 2, Influencer, (3, 4)),
    job("Category Manager", "Procurement", 2, EndUser, (2, 3)),
    job("Plant Manager", "Operations", 2, Influencer, (3, 4)),
    job("Financial Controller", "Finance", 2, Approver, (2, 3)),
    job("Senior Buyer", "Procurement", 2, Gatekeeper, (2, 3)),
    job("Executive Assistant", "Executive", 2, Gatekeeper, (2, 3)),
    job("Maintenance Engineer", "Operations", 2, EndUser, (1, 2)),
    job("Warehouse Manager", "Supply Chain", 2, EndUser, (1, 2)),
];
const DE_JOBS: [Position; 15] = [
    job(
        "Geschäftsführer",
        "Geschäftsleitung",
        0,
        DecisionMaker,
        (5, 5),
    ),
    job("Leiter Finanzen", "Finanzen", 1, Approver, (4, 5)),
    job("Vertriebsleiter", "Vertrieb", 1, Influencer, (4, 5)),
    job("Leiter Einkauf", "Einkauf", 1, DecisionMaker, (4, 5)),
    job("Technischer Leiter", "Produktion", 1, Influencer, (3, 5)),
    job("IT-Leiter", "IT", 1, Influencer, (3, 4)),
    job("Leiter Logistik", "Logistik", 1, Influencer, (3, 4)),
    job("Teamleiter Einkauf", "Einkauf", 2, Influencer, (3, 4)),
    job("Einkäufer", "Einkauf", 2, EndUser, (2, 3)),
    job("Werksleiter", "Produktion", 2, Influencer, (3, 4)),
    job("Controller", "Finanzen", 2, Approver, (2, 3)),
    job("Strategischer Einkäufer", "Einkauf", 2, Gatekeeper, (2, 3)),
    job(
        "Assistenz der Geschäftsführung",
        "Geschäftsleitung",
        2,
        Gatekeeper,
        (2, 3),
    ),
    job("Instandhaltungsingenieur", "Produktion", 2, EndUser, (1, 2)),
    job("Lagerleiter", "Logistik", 2, EndUser, (1, 2)),
];
const FR_JOBS: [Position; 15] = [
    job(
        "Directeur général",
        "Direction générale",
        0,
        DecisionMaker,
        (5, 5),
    ),
    job("Directeur financier", "Finance", 1, Approver, (4, 5)),
    job("Directeur commercial", "Commercial", 1, Influencer, (4, 5)),
    job("Directeur des achats", "Achats", 1, DecisionMaker, (4, 5)),
    job("Directeur industriel", "Production", 1, Influencer, (3, 5)),
    job("DSI", "Informatique", 1, Influencer, (3, 4)),
    job("Directeur logistique", "Logistique", 1, Influencer, (3, 4)),
    job("Responsable achats", "Achats", 2, Influencer, (3, 4)),
    job("Acheteur", "Achats", 2, EndUser, (2, 3)),
    job("Directeur d'usine", "Production", 2, Influencer, (3, 4)),
    job("Contrôleur de gestion", "Finance", 2, Approver, (2, 3)),
    job("Acheteur projets", "Achats", 2, Gatekeeper, (2, 3)),
    job(
        "Assistante de direction",
        "Direction générale",
        2,
        Gatekeeper,
        (2, 3),
    ),
    job("Ingénieur maintenance", "Production", 2, EndUser, (1, 2)),
    job("Responsable entrepôt", "Logistique", 2, EndUser, (1, 2)),
];

impl Lang {
    const fn jobs(self) -> &'static [Position; 15] {
        match self {
            Self::Ru => &RU_JOBS,
            Self::En => &EN_JOBS,
            Self::De => &DE_JOBS,
            Self::Fr => &FR_JOBS,
        }
    }

    /// Notes, needs and plans are written by our own staff: Russian for Russian-speaking
    /// clients, English otherwise.
    const fn prose(self) -> Prose {
        match self {
            Self::Ru => Prose::Ru,
            Self::En | Self::De | Self::Fr => Prose::En,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prose {
    Ru,
    En,
}

impl Prose {
    const fn strategic_plans(self) -> &'static [&'static str] {
        match self {
            Self::Ru => &[
                "Выход на рынки Центральной Азии к 2027 году",
                "Модернизация производственных мощностей",
                "Импортозамещение ключевых комплектующих",
                "Цифровизация закупок и переход на ЭДО",
                "Строительство нового логистического центра",
                "Снижение себестоимости на 10% за три года",
                "Подготовка к IPO на Московской бирже",
                "Расширение сети филиалов в регионах",
            ],
            Self::En => &[
                "Expansion into Central and Eastern Europe by 2027",
                "Modernisation of production lines",
                "Net-zero operations by 2035",
                "Digitalisation of procurement",
                "A new regional distribution centre",
                "Cost reduction of 10% over three years",
                "Acquisitions in adjacent markets",
                "Growing services to 30% of revenue",
            ],
        }
    }

    const fn contact_notes(self) -> &'static [&'static str] {
        match self {
            Self::Ru => &[
                "Предпочитает встречи в первой половине дня",
                "Решения принимает после консультации с финансовым директором",
                "Интересуется новыми технологиями",
                "Чувствителен к срокам поставки",
                "Ранее работал у конкурента",
            ],
            Self::En => &[
                "Prefers morning meetings",
                "Decides after consulting the CFO",
                "Keen on new technology",
                "Sensitive to delivery dates",
                "Previously worked for a competitor",
            ],
        }
    }

    const fn products(self) -> &'static [&'static str] {
        match self {
            Self::Ru => &[
                "промышленное оборудование",
                "запасные части",
                "расходные материалы",
                "сервисное обслуживание",
                "комплектующие",
                "измерительные приборы",
                "инструмент",
            ],
            Self::En => &[
                "industrial equipment",
                "spare parts",
                "consumables",
                "a service contract",
                "components",
                "measuring instruments",
                "tooling",
            ],
        }
    }

    fn order(self, year: i32, number: u32, product: &str) -> (String, String) {
        match self {
            Self::Ru => (
                format!("Заказ № {year}-{number:04}"),
                format!("Поставка: {product}"),
            ),
            Self::En => (
                format!("Purchase order PO-{year}-{number:05}"),
                format!("Supply of {product}"),
            ),
        }
    }

    const fn order_outcomes(self, open: bool) -> &'static [&'static str] {
        match (self, open) {
            (Self::Ru, true) => &["В работе", "Ожидает отгрузки"],
            (Self::Ru, false) => &["Отгружено", "Доставлено", "Оплачено"],
            (Self::En, true) => &["In fulfilment", "Awaiting shipment"],
            (Self::En, false) => &["Delivered", "Invoiced", "Paid"],
        }
    }

    /// Subjects and outcomes of interactions other than orders.
    const fn touch(
        self,
        kind: InteractionKind,
    ) -> (&'static [&'static str], &'static [&'static str]) {
        use InteractionKind as K;
        match (self, kind) {
            (Self::Ru, K::Meeting) => (
                &[
                    "Квартальная встреча по итогам поставок",
                    "Визит на производство клиента",
                    "Встреча с закупками по условиям на следующий год",
                    "Презентация новой продуктовой линейки",
                    "Встреча с генеральным директором",
                ],
                &[
                    "Договорились о следующих шагах",
                    "Запрошено коммерческое предложение",
                    "Клиент взял паузу на согласование",
                    "Позитивно, ждём решения",
                ],
            ),
            (Self::Ru, K::Call) => (
                &[
                    "Уточнение сроков поставки",
                    "Звонок по рекламации",
                    "Обсуждение цен",
                    "Согласование графика отгрузок",
                    "Звонок после поставки",
                ],
                &[
                    "Вопрос решён",
                    "Перезвонить через неделю",
                    "Передано в сервис",
                    "Без изменений",
                ],
            ),
            (Self::Ru, K::Email) => (
                &[
                    "Направлен прайс-лист",
                    "Коммерческое предложение",
                    "Счёт и закрывающие документы",
                    "Ответ на запрос технических характеристик",
                    "Приглашение на вебинар",
                ],
                &[
                    "Получено подтверждение",
                    "Без ответа",
                    "Запрошены уточнения",
                ],
            ),
            (Self::Ru, K::Negotiation) => (
                &[
                    "Переговоры по рамочному договору",
                    "Скидка за объём",
                    "Условия оплаты",
                    "Продление договора на сервис",
                ],
                &[
                    "Условия согласованы",
                    "Нужна ещё одна встреча",
                    "Клиент просит скидку 5%",
                    "Отложено до нового бюджета",
                ],
            ),
            (Self::Ru, K::Request) => (
                &[
                    "Запрос коммерческого предложения",
                    "Запрос на техническую поддержку",
                    "Рекламация по качеству",
                    "Запрос сертификатов",
                    "Запрос на срочную поставку",
                ],
                &[
                    "Ответ отправлен в течение дня",
                    "Решено",
                    "В работе",
                    "Передано инженерам",
                ],
            ),
            (Self::Ru, K::Project) => (
                &[
                    "Пилотный проект по модернизации линии",
                    "Совместный проект по импортозамещению",
                    "Внедрение сервисного контракта",
                ],
                &["Пилот запущен", "Проект завершён", "Этап 1 сдан"],
            ),
            (Self::Ru, K::LoyaltyProgram) => (
                &[
                    "Подключение к программе лояльности",
                    "Переход на уровень «Золото» программы лояльности",
                    "Начислены бонусы за год",
                ],
                &["Подключено", "Уровень повышен", "Бонусы использованы"],
            ),
            (Self::Ru, K::Event | K::Order) => (
                &[
                    "Приглашение на отраслевую выставку",
                    "День клиента на нашем заводе",
                    "Отраслевая конференция",
                    "Вебинар о новых продуктах",
                ],
                &[
                    "Участвовал",
                    "Не смог прийти",
                    "Участвовали два специалиста",
                ],
            ),
            (Self::En, K::Meeting) => (
                &[
                    "Quarterly business review",
                    "Site visit",
                    "Next year's terms with procurement",
                    "New product line presentation",
                    "Meeting with the CEO",
                ],
                &[
                    "Agreed next steps",
                    "Quote requested",
                    "Client needs time for internal approval",
                    "Positive, awaiting decision",
                ],
            ),
            (Self::En, K::Call) => (
                &[
                    "Delivery date check",
                    "Complaint follow-up",
                    "Pricing discussion",
                    "Shipping schedule",
                    "Post-delivery call",
                ],
                &[
                    "Resolved",
                    "Call back next week",
                    "Passed to service",
                    "No change",
                ],
            ),
            (Self::En, K::Email) => (
                &[
                    "Price list sent",
                    "Quotation",
                    "Invoice and delivery documents",
                    "Technical specification answered",
                    "Webinar invitation",
                ],
                &["Acknowledged", "No reply", "Clarification requested"],
            ),
            (Self::En, K::Negotiation) => (
                &[
                    "Framework agreement",
                    "Volume discount",
                    "Payment terms",
                    "Service contract renewal",
                ],
                &[
                    "Terms agreed",
                    "Another meeting needed",
                    "Client asks for 5% off",
                    "Postponed to the next budget",
                ],
            ),
            (Self::En, K::Request) => (
                &[
                    "Request for quotation",
                    "Technical support request",
                    "Quality complaint",
                    "Certificates requested",
                    "Rush order request",
                ],
                &[
                    "Answered the same day",
                    "Resolved",
                    "In progress",
                    "Passed to engineering",
                ],
            ),
            (Self::En, K::Project) => (
                &[
                    "Line modernisation pilot",
                    "Joint cost-down project",
                    "Service contract roll-out",
                ],
                &["Pilot started", "Project completed", "Phase 1 delivered"],
            ),
            (Self::En, K::LoyaltyProgram) => (
                &[
                    "Joined the loyalty programme",
                    "Moved up to Gold tier",
                    "Annual rebate credited",
                ],
                &["Enrolled", "Tier raised", "Rebate used"],
            ),
            (Self::En, K::Event | K::Order) => (
                &[
                    "Invited to the trade fair",
                    "Customer day at our plant",
                    "Industry conference",
                    "New products webinar",
                ],
                &["Attended", "Could not attend", "Two engineers attended"],
            ),
        }
    }

    const fn needs(self) -> &'static [&'static str] {
        match self {
            Self::Ru => &[
                "Сократить сроки поставки запасных частей до 5 дней",
                "Единый договор на сервисное обслуживание всех площадок",
                "Снизить совокупную стоимость владения оборудованием",
                "Отсрочка платежа 60 дней",
                "Электронный документооборот (ЭДО) для счетов и накладных",
                "Локализация производства комплектующих",
                "Обучение персонала работе с новым оборудованием",
                "Замена импортного оборудования",
                "Прогноз потребности в расходных материалах",
                "Склад ответственного хранения в регионе",
                "Интеграция заказов с их ERP (1С)",
                "Документы для участия в госзакупках",
                "Снижение энергопотребления на производстве",
                "Расширенная гарантия на 3 года",
                "Персональный менеджер и ответ в течение 4 часов",
            ],
            Self::En => &[
                "Spare parts delivered within five days",
                "One service agreement covering all sites",
                "Lower total cost of ownership",
                "60-day payment terms",
                "E-invoicing integrated with their ERP (SAP)",
                "Fewer suppliers for maintenance and repair items",
                "Training for their maintenance staff",
                "Carbon data for every shipment (Scope 3 reporting)",
                "Demand forecasting for consumables",
                "Consignment stock near their main plant",
                "Volume-based rebates",
                "Compliance documents for public tenders",
                "Energy efficiency of installed equipment",
                "Extended three-year warranty",
                "A dedicated account team answering within four hours",
            ],
        }
    }

    fn plan_title(self, year: i32, client: &str) -> String {
        match self {
            Self::Ru => format!("План развития клиента на {year} год: {client}"),
            Self::En => format!("{year} account plan: {client}"),
        }
    }

    /// Objectives with how their achievement is measured.
    const fn objectives(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Ru => &[
                (
                    "Увеличить объём заказов на 20%",
                    "Выручка за 12 месяцев +20% к прошлому году",
                ),
                (
                    "Выйти на уровень генерального директора",
                    "Ежеквартальные встречи с генеральным директором",
                ),
                ("Продать сервисный контракт", "Подписан сервисный контракт"),
                (
                    "Получить статус приоритетного поставщика",
                    "Включение в список приоритетных поставщиков",
                ),
                (
                    "Снизить долю конкурента в закупках",
                    "Наша доля в категории не ниже 50%",
                ),
                (
                    "Запустить пилотный проект",
                    "Пилот завершён, отчёт согласован",
                ),
                (
                    "Перевести документооборот в ЭДО",
                    "100% документов через ЭДО",
                ),
            ],
            Self::En => &[
                (
                    "Grow order volume by 20%",
                    "12-month revenue up 20% year on year",
                ),
                (
                    "Build a relationship at CEO level",
                    "Quarterly meetings with the CEO",
                ),
                ("Sell a service contract", "Service contract signed"),
                (
                    "Become a preferred supplier",
                    "On the preferred supplier list",
                ),
                (
                    "Win share from the main competitor",
                    "Category share of at least 50%",
                ),
                ("Run a pilot project", "Pilot completed and report accepted"),
                (
                    "Move all paperwork to e-invoicing",
                    "All invoices electronic",
                ),
            ],
        }
    }

    const fn actions(self) -> &'static [&'static str] {
        match self {
            Self::Ru => &[
                "Провести квартальный обзор с отделом закупок",
                "Подготовить коммерческое предложение по сервисному контракту",
                "Организовать визит на наше производство",
                "Пригласить на отраслевую выставку",
                "Согласовать рамочный договор на год",
                "Представить нового технического специалиста",
                "Провести презентацию новой продуктовой линейки",
                "Собрать обратную связь по последним поставкам",
                "Подготовить расчёт экономии для финансового директора",
                "Запустить тестовые поставки",
            ],
            Self::En => &[
                "Hold a quarterly review with procurement",
                "Prepare a service contract proposal",
                "Organise a visit to our plant",
                "Invite them to the trade fair",
                "Agree a one-year framework contract",
                "Introduce our new applications engineer",
                "Present the new product line",
                "Collect feedback on recent deliveries",
                "Prepare a savings case for the CFO",
                "Start trial deliveries",
            ],
        }
    }
}

/// A member of the demo's own staff, with the countries they mostly cover.
struct Staff {
    name: &'static str,
    login: &'static str,
    role: Role,
    covers: &'static [Land],
}

impl Staff {
    fn email(&self) -> String {
        format!("{}@{STAFF_DOMAIN}", self.login)
    }
}

const STAFF: [Staff; 9] = [
    Staff {
        name: "Анна Волкова",
        login: "anna.volkova",
        role: Role::Manager,
        covers: &[Land::Ru],
    },
    Staff {
        name: "Дмитрий Соколов",
        login: "dmitry.sokolov",
        role: Role::Manager,
        covers: &[Land::Ru],
    },
    Staff {
        name: "Айгерим Сейткали",
        login: "aigerim.seitkali",
        role: Role::Manager,
        covers: &[Land::Kz, Land::Ru],
    },
    Staff {
        name: "Emma Clarke",
        login: "emma.clarke",
        role: Role::Manager,
        covers: &[Land::Gb],
    },
    Staff {
        name: "James Porter",
        login: "james.porter",
        role: Role::Manager,
        covers: &[Land::Us],
    },
    Staff {
        name: "Lena Hoffmann",
        login: "lena.hoffmann",
        role: Role::Manager,
        covers: &[Land::De, Land::Nl],
    },
    Staff {
        name: "Claire Martin",
        login: "claire.martin",
        role: Role::Manager,
        covers: &[Land::Fr, Land::Nl],
    },
    Staff {
        name: "Olivia Grant",
        login: "olivia.grant",
        role: Role::Analyst,
        covers: &[],
    },
    Staff {
        name: "ERP connector",
        login: "erp-connector",
        role: Role::Integrator,
        covers: &[],
    },
];

/// What is decided about a client before its details: who it is and how it buys.
struct Profile {
    id: Uuid,
    land: Land,
    industry: Industry,
    size: Size,
    tier: Tier,
    status: ClientStatus,
    region: Region,
    employees: i32,
    /// Annual revenue, US dollars.
    revenue_usd: f64,
    name: String,
    legal_name: String,
    domain: String,
    manager: Option<Uuid>,
}

struct Generator {
    /// Draws who the clients are (names, countries, registry ids), and nothing else.
    basics: StdRng,
    /// Draws everything else, much of which depends on the day of seeding.
    rng: StdRng,
    seed: u64,
    now: DateTime<Utc>,
    taken: HashSet<(RegistryScheme, String)>,
    names: HashSet<String>,
    /// Managers' ids, in `STAFF` order.
    managers: Vec<(Uuid, &'static [Land])>,
    out: Portfolio,
}

impl Generator {
    fn new(seed: u64, now: DateTime<Utc>, taken: HashSet<(RegistryScheme, String)>) -> Self {
        Self {
            basics: StdRng::seed_from_u64(seed),
            rng: StdRng::seed_from_u64(seed ^ 0x5EED_DE7A_11ED_0001),
            seed,
            now,
            taken,
            names: HashSet::new(),
            managers: Vec::new(),
            out: Portfolio::default(),
        }
    }

    /// The demo staff, reusing those an earlier seed created.
    fn staff(&mut self, known: &HashMap<String, Uuid>) {
        for member in &STAFF {
            let email = member.email();
            let id = if let Some(id) = known.get(&email) {
                *id
            } else {
                let id = Uuid::now_v7();
                let created_at = self.now - days(1200);
                self.out.users.push(user::Model {
                    id,
                    name: member.name.to_owned(),
                    email: Some(email),
                    role: member.role,
                    external_subject: None,
                    created_at,
                    updated_at: created_at,
                });
                id
            };
            if member.role == Role::Manager {
                self.managers.push((id, member.covers));
            }
        }
    }

    fn portfolio(&mut self, clients: u32) -> AppResult<()> {
        let mut profiles = Vec::with_capacity(clients as usize);
        for _ in 0..clients {
            profiles.push(self.profile()?);
        }
        for profile in &profiles {
            self.details(profile);
        }
        Ok(())
    }

    fn profile(&mut self) -> AppResult<Profile> {
        let rng = &mut self.basics;
        let land = weighted(rng, &LANDS);
        let industry = pick(rng, &INDUSTRIES);
        let size = weighted(rng, &SIZES);
        let region = pick_in(rng, land.regions());
        let status = weighted(
            rng,
            &[
                (ClientStatus::Active, 72),
                (ClientStatus::Prospect, 12),
                (ClientStatus::Dormant, 10),
                (ClientStatus::Lost, 6),
            ],
        );
        let tier = match size {
            Size::Large | Size::Huge => weighted(
                rng,
                &[(Tier::Key, 35), (Tier::Regular, 45), (Tier::Occasional, 20)],
            ),
            Size::Mid => weighted(
                rng,
                &[(Tier::Key, 12), (Tier::Regular, 50), (Tier::Occasional, 38)],
            ),
            Size::Small => weighted(
                rng,
                &[(Tier::Key, 3), (Tier::Regular, 35), (Tier::Occasional, 62)],
            ),
        };
        let employees = match size {
            Size::Small => rng.random_range(15..250),
            Size::Mid => rng.random_range(250..2_000),
            Size::Large => rng.random_range(2_000..20_000),
            Size::Huge => rng.random_range(20_000..120_000),
        };
        let revenue_usd = f64::from(employees)
            * industry.revenue_per_employee
            * 1_000.0
            * rng.random_range(0.6..1.5);
        let manager = self.manager(land);
        let (name, legal_name) = self.company_name(land, industry, size);
        // Under the reserved `.example` TLD, so no demo address can reach a real company.
        let domain = format!("{}.{}.example", ascii_slug(&name), land.tld());
        let id = Uuid::now_v7();
        self.registry_ids(id, land, size, region)?;
        Ok(Profile {
            id,
            land,
            industry,
            size,
            tier,
            status,
            region,
            employees,
            revenue_usd,
            name,
            legal_name,
            domain,
            manager,
        })
    }

    /// A manager covering `land` mostly, anyone sometimes, no one for a few accounts.
    fn manager(&mut self, land: Land) -> Option<Uuid> {
        let rng = &mut self.basics;
        let roll = rng.random_range(0..100);
        if roll < 5 {
            return None;
        }
        let covering: Vec<Uuid> = self
            .managers
            .iter()
            .filter(|(_, covers)| covers.contains(&land))
            .map(|(id, _)| *id)
            .collect();
        let pool: Vec<Uuid> = if roll < 85 && !covering.is_empty() {
            covering
        } else {
            self.managers.iter().map(|(id, _)| *id).collect()
        };
        pool.choose(rng).copied()
    }

    /// A brand and a legal name, unique in this portfolio.
    fn company_name(&mut self, land: Land, industry: Industry, size: Size) -> (String, String) {
        for attempt in 0..40 {
            let (mut name, form) = self.brand(land, industry, size);
            if attempt >= 30 {
                name = format!("{name} {}", attempt - 28);
            }
            if self.names.insert(name.clone()) {
                let legal = match land {
                    Land::Ru | Land::Kz => format!("{form} «{name}»"),
                    Land::Us if form.starts_with(',') => format!("{name}{form}"),
                    _ => format!("{name} {form}"),
                };
                return (name, legal);
            }
        }
        let name = format!("{} {}", industry.en, self.names.len());
        self.names.insert(name.clone());
        (name.clone(), name)
    }

    /// A brand name and the legal form that goes with it.
    fn brand(&mut self, land: Land, industry: Industry, size: Size) -> (String, &'static str) {
        let rng = &mut self.basics;
        let pattern = rng.random_range(0..10);
        match land {
            Land::Ru => {
                let name = match pattern {
                    0..=4 => {
                        let suffix = if rng.random_bool(0.35) {
                            pick(rng, &RU_SUFFIX)
                        } else {
                            ""
                        };
                        format!("{}{}{suffix}", pick(rng, &RU_GEO), industry.ru)
                    }
                    5..=7 => format!("{}{}", industry.ru, pick(rng, &RU_SUFFIX)),
                    _ => pick(rng, &RU_PHRASES).to_owned(),
                };
                let form = match size {
                    Size::Small | Size::Mid => weighted(rng, &[("ООО", 75), ("АО", 25)]),
                    Size::Large => weighted(rng, &[("ООО", 15), ("АО", 45), ("ПАО", 40)]),
                    Size::Huge => "ПАО",
                };
                (name, form)
            }
            Land::Kz => {
                let name = match pattern {
                    0..=6 => format!("{}{}", pick(rng, &KZ_GEO), industry.ru),
                    _ => pick(rng, &KZ_PHRASES).to_owned(),
                };
                let form = if size.is_big() {
                    "АО"
                } else {
                    weighted(rng, &[("ТОО", 80), ("АО", 20)])
                };
                (name, form)
            }
            Land::Gb => {
                let partnership = pattern >= 8 && !size.is_big();
                let name = if partnership {
                    format!("{} & {}", pick(rng, &GB_SURNAMES), pick(rng, &GB_SURNAMES))
                } else if pattern == 7 {
                    format!("{} {} Group", pick(rng, &GB_PLACES), industry.en)
                } else {
                    format!("{} {}", pick(rng, &GB_PLACES), industry.en)
                };
                let form = if partnership {
                    "LLP"
                } else if size.is_big() {
                    "plc"
                } else {
                    "Limited"
                };
                (name, form)
            }
            Land::Us => {
                let name = if pattern >= 8 && size.is_big() {
                    format!("{} {} Holdings", pick(rng, &US_PLACES), industry.en)
                } else {
                    format!("{} {}", pick(rng, &US_PLACES), industry.en)
                };
                let form = match size {
                    Size::Small => weighted(rng, &[(" LLC", 50), (", Inc.", 50)]),
                    Size::Mid => ", Inc.",
                    Size::Large | Size::Huge => {
                        weighted(rng, &[(" Corporation", 50), (", Inc.", 50)])
                    }
                };
                (name, form.trim_start_matches(' '))
            }
            Land::De => {
                let name = format!("{} {}", pick(rng, &DE_NAMES), industry.de);
                let form = match size {
                    Size::Small => "GmbH",
                    Size::Mid => weighted(rng, &[("GmbH", 60), ("GmbH & Co. KG", 40)]),
                    Size::Large => "AG",
                    Size::Huge => weighted(rng, &[("SE", 50), ("AG", 50)]),
                };
                (name, form)
            }
            Land::Fr => {
                let name = if pattern >= 6 && size.is_big() {
                    format!("Groupe {}", pick(rng, &FR_NAMES))
                } else {
                    format!("{} {}", pick(rng, &FR_NAMES), industry.fr)
                };
                let form = match size {
                    Size::Small => weighted(rng, &[("SARL", 50), ("SAS", 50)]),
                    Size::Mid => "SAS",
                    Size::Large | Size::Huge => "SA",
                };
                (name, form)
            }
            Land::Nl => {
                let name = format!("{} {}", pick(rng, &NL_NAMES), industry.nl);
                (name, if size.is_big() { "N.V." } else { "B.V." })
            }
        }
    }

    /// The client's registry identifiers, valid and unique.
    fn registry_ids(
        &mut self,
        client_id: Uuid,
        land: Land,
        size: Size,
        region: Region,
    ) -> AppResult<()> {
        let rng = &mut self.basics;
        let mut schemes = Vec::new();
        match land {
            Land::Ru => schemes.extend([RegistryScheme::RuInn, RegistryScheme::RuOgrn]),
            Land::Gb => schemes.push(RegistryScheme::GbCompanyNumber),
            Land::Us => {
                let listed = match size {
                    Size::Huge => 0.9,
                    Size::Large => 0.6,
                    Size::Mid => 0.15,
                    Size::Small => 0.0,
                };
                if rng.random_bool(listed) {
                    schemes.push(RegistryScheme::UsCik);
                }
            }
            Land::Kz | Land::De | Land::Fr | Land::Nl => {}
        }
        let lei = match (land, size) {
            (_, Size::Huge) => 0.9,
            (Land::Ru | Land::Kz, Size::Large) => 0.4,
            (_, Size::Large) => 0.7,
            (Land::De | Land::Fr | Land::Nl | Land::Gb, Size::Mid) => 0.3,
            _ => 0.05,
        };
        if rng.random_bool(lei) {
            schemes.push(RegistryScheme::Lei);
        }
        for scheme in schemes {
            for _ in 0..100 {
                let raw = match scheme {
                    RegistryScheme::RuInn => inn(rng, region.1),
                    RegistryScheme::RuOgrn => ogrn(rng, region.1),
                    RegistryScheme::GbCompanyNumber => gb_company_number(rng, region.1),
                    RegistryScheme::UsCik => rng.random_range(700_000..2_000_000u32).to_string(),
                    RegistryScheme::Lei => lei_code(rng, land.lei_prefix()),
                };
                let id = RegistryIdValue::parse(scheme, &raw).map_err(AppError::internal)?;
                if self.taken.insert((scheme, id.as_str().to_owned())) {
                    self.out.registry_ids.push(registry_id::Model {
                        id: Uuid::now_v7(),
                        client_id,
                        scheme,
                        value: id.as_str().to_owned(),
                        created_at: self.now,
                    });
                    break;
                }
            }
        }
        Ok(())
    }

    fn details(&mut self, p: &Profile) {
        let now = self.now;
        let horizon = now - days(3 * 365);
        let rng = &mut self.rng;
        let until = match p.status {
            ClientStatus::Active | ClientStatus::Prospect => now,
            ClientStatus::Dormant => now - days(rng.random_range(180..540)),
            ClientStatus::Lost => now - days(rng.random_range(365..900)),
        };
        let mut since = if p.status == ClientStatus::Prospect {
            now - days(rng.random_range(20..240))
        } else {
            now - days(rng.random_range(180..1_095))
        };
        if since > until - days(90) {
            since = until - days(rng.random_range(90..400));
        }
        let since = since.max(horizon);
        let created_at = since - days(rng.random_range(7..120));

        let contacts = self.contacts(p, created_at);
        let last = self.interactions(p, &contacts, since, until);
        self.checks(p);
        self.needs(p, created_at);
        self.plans(p);

        let rng = &mut self.rng;
        let (home, abroad) = p.land.markets();
        let mut markets = vec![home.to_owned()];
        let extra = if p.size.is_big() {
            rng.random_range(1..=3)
        } else {
            rng.random_range(0..=1)
        };
        markets.extend(abroad.choose_multiple(rng, extra).map(|m| (*m).to_owned()));
        let prose = p.land.lang().prose();
        let strategic_plans = rng.random_bool(0.8).then(|| {
            let count = rng.random_range(1..=2);
            prose
                .strategic_plans()
                .choose_multiple(rng, count)
                .copied()
                .collect::<Vec<_>>()
                .join("; ")
        });
        let website = rng
            .random_bool(0.85)
            .then(|| format!("https://www.{}", p.domain));
        let updated_at = between(rng, created_at, now);
        self.out.clients.push(client::Model {
            id: p.id,
            search_text: text::client_search_text(&p.name, Some(p.legal_name.as_str())),
            name: p.name.clone(),
            legal_name: Some(p.legal_name.clone()),
            industry_code: Some(p.industry.code.to_owned()),
            industry: Some(p.industry.label.to_owned()),
            country: Some(p.land.code().to_owned()),
            region: Some(p.region.0.to_owned()),
            employees: Some(p.employees),
            revenue_band: Some(revenue_band(p.revenue_usd).to_owned()),
            markets: json!(markets),
            strategic_plans,
            website,
            status: p.status,
            manager_id: p.manager,
            archived_at: None,
            last_interaction_at: last,
            version: 1,
            created_at,
            updated_at,
        });
    }

    /// Contacts, top of the hierarchy first so that every reports-to link points backwards.
    fn contacts(&mut self, p: &Profile, client_created: DateTime<Utc>) -> Vec<Uuid> {
        let rng = &mut self.rng;
        let count: usize = match (p.status, p.tier) {
            (ClientStatus::Prospect, _) | (_, Tier::Occasional) => rng.random_range(1..=3),
            (_, Tier::Key) => rng.random_range(3..=6),
            (_, Tier::Regular) => rng.random_range(2..=5),
        };
        let lang = p.land.lang();
        let jobs = lang.jobs();
        let prose = lang.prose();
        let mut chosen: Vec<(Uuid, Position)> = Vec::with_capacity(count);
        let mut used: HashSet<&'static str> = HashSet::new();
        for index in 0..count {
            let level = match index {
                0 if rng.random_bool(0.6) => 0,
                0 => 1,
                _ if rng.random_bool(0.4) => 1,
                _ => 2,
            };
            let candidates: Vec<&Position> = jobs
                .iter()
                .filter(|job| job.level == level && !used.contains(job.title))
                .collect();
            let Some(job) = candidates.choose(rng).map(|job| **job) else {
                continue;
            };
            used.insert(job.title);
            let boss = chosen
                .iter()
                .find(|(_, other)| other.level == 0)
                .map(|(id, _)| *id);
            let reports_to = match job.level {
                0 => None,
                1 => boss,
                _ => chosen
                    .iter()
                    .find(|(_, other)| other.level == 1 && other.department == job.department)
                    .or_else(|| chosen.iter().find(|(_, other)| other.level == 1))
                    .map(|(id, _)| *id)
                    .or(boss),
            };
            let roll = rng.random_range(0..100);
            let role = if job.level > 0 && roll < 10 {
                DecisionRole::Champion
            } else if job.level > 0 && roll < 16 {
                DecisionRole::Blocker
            } else {
                job.role
            };
            let attitude = match role {
                DecisionRole::Champion => Attitude::Supportive,
                DecisionRole::Blocker => {
                    weighted(rng, &[(Attitude::Sceptical, 70), (Attitude::Hostile, 30)])
                }
                _ => weighted(
                    rng,
                    &[
                        (Attitude::Supportive, 35),
                        (Attitude::Neutral, 42),
                        (Attitude::Sceptical, 17),
                        (Attitude::Hostile, 6),
                    ],
                ),
            };
            let (full_name, email_local) = person(rng, p.land);
            let created_at = (client_created + days(rng.random_range(0..60))).min(self.now);
            let consent_at = rng
                .random_bool(0.85)
                .then(|| (created_at + days(rng.random_range(0..14))).min(self.now));
            let id = Uuid::now_v7();
            self.out.contacts.push(contact::Model {
                id,
                client_id: p.id,
                full_name,
                position: Some(job.title.to_owned()),
                department: Some(job.department.to_owned()),
                email: rng
                    .random_bool(0.9)
                    .then(|| format!("{email_local}@{}", p.domain)),
                phone: rng.random_bool(0.75).then(|| phone(rng, p.land)),
                preferred_channel: Some(weighted(
                    rng,
                    &[
                        (ContactChannel::Email, 45),
                        (ContactChannel::Phone, 30),
                        (ContactChannel::Messenger, 15),
                        (ContactChannel::InPerson, 10),
                    ],
                )),
                decision_role: Some(role),
                influence: Some(rng.random_range(job.influence.0..=job.influence.1)),
                attitude: Some(attitude),
                reports_to_id: reports_to,
                notes: rng
                    .random_bool(0.15)
                    .then(|| pick_in(rng, prose.contact_notes()).to_owned()),
                consent_at,
                created_at,
                updated_at: created_at,
            });
            chosen.push((id, job));
        }
        chosen.into_iter().map(|(id, _)| id).collect()
    }

    /// The history between `since` and `until`; returns the latest moment.
    fn interactions(
        &mut self,
        p: &Profile,
        contacts: &[Uuid],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let now = self.now;
        let rng = &mut self.rng;
        let prose = p.land.lang().prose();
        let mut events: Vec<(DateTime<Utc>, InteractionKind)> = Vec::new();

        if p.status != ClientStatus::Prospect {
            let mean_gap = f64::from(match p.tier {
                Tier::Key => rng.random_range(12..35),
                Tier::Regular => rng.random_range(40..100),
                Tier::Occasional => rng.random_range(120..300),
            });
            let mut day = since + gap(mean_gap * rng.random_range(0.1..1.0));
            while day <= until {
                events.push((office_time(rng, day.date_naive()), InteractionKind::Order));
                day += gap(mean_gap * rng.random_range(0.5..1.5));
            }
        }
        let per_month = match (p.status, p.tier) {
            (ClientStatus::Prospect, _) => 1.2,
            (_, Tier::Key) => 1.5,
            (_, Tier::Regular) => 0.7,
            (_, Tier::Occasional) => 0.3,
        };
        let months = (until - since).num_days() as f64 / 30.0;
        let touches = (months * per_month * rng.random_range(0.7..1.3))
            .round()
            .max(1.0) as usize;
        for _ in 0..touches {
            let kind = if p.status == ClientStatus::Prospect {
                weighted(
                    rng,
                    &[
                        (InteractionKind::Call, 35),
                        (InteractionKind::Email, 30),
                        (InteractionKind::Meeting, 20),
                        (InteractionKind::Request, 10),
                        (InteractionKind::Event, 5),
                    ],
                )
            } else {
                weighted(
                    rng,
                    &[
                        (InteractionKind::Call, 30),
                        (InteractionKind::Email, 25),
                        (InteractionKind::Meeting, 15),
                        (InteractionKind::Request, 12),
                        (InteractionKind::Negotiation, 8),
                        (InteractionKind::Event, 4),
                        (InteractionKind::Project, 3),
                        (InteractionKind::LoyaltyProgram, 3),
                    ],
                )
            };
            let at = between(rng, since, until);
            events.push((office_time(rng, at.date_naive()), kind));
        }
        events.retain(|(at, _)| *at <= now);
        events.sort_by_key(|(at, _)| *at);

        let order_usd = match p.tier {
            Tier::Key => rng.random_range(40_000.0..250_000.0),
            Tier::Regular => rng.random_range(8_000.0..60_000.0),
            Tier::Occasional => rng.random_range(2_000.0..20_000.0),
        } * p.size.factor();
        let mut number = rng.random_range(100..900);
        for (at, kind) in &events {
            let (subject, summary, amount, currency, outcome) = if *kind == InteractionKind::Order {
                number += 1;
                let product = pick_in(rng, prose.products());
                let (subject, summary) = prose.order(at.year(), number, product);
                let amount = order_usd * p.land.per_usd() * rng.random_range(0.4..1.7);
                let open = now - *at < days(21);
                let outcome = pick_in(rng, prose.order_outcomes(open));
                (
                    subject,
                    Some(summary),
                    Some(e4(amount, p.land.amount_step())),
                    Some(p.land.currency().to_owned()),
                    outcome,
                )
            } else {
                let (subjects, outcomes) = prose.touch(*kind);
                (
                    pick_in(rng, subjects).to_owned(),
                    None,
                    None,
                    None,
                    pick_in(rng, outcomes),
                )
            };
            let contact_id = if rng.random_bool(0.75) {
                contacts.choose(rng).copied()
            } else {
                None
            };
            self.out.interactions.push(interaction::Model {
                id: Uuid::now_v7(),
                client_id: p.id,
                contact_id,
                kind: *kind,
                occurred_at: *at,
                subject: Some(subject),
                summary,
                amount_e4: amount,
                currency,
                outcome: Some(outcome.to_owned()),
                source: Some("demo".to_owned()),
                external_id: None,
                recorded_by: p.manager,
                created_at: *at,
            });
        }
        events.last().map(|(at, _)| *at)
    }

    /// One to three yearly checks, the latest fiscal year with filed accounts last.
    fn checks(&mut self, p: &Profile) {
        let now = self.now;
        let rng = &mut self.rng;
        let today = now.date_naive();
        let latest_year = if today.month() >= 5 {
            today.year() - 1
        } else {
            today.year() - 2
        };
        let count: i32 = if p.status == ClientStatus::Prospect {
            1
        } else {
            rng.random_range(1..=3)
        };
        let growth: f64 = rng.random_range(-0.08..0.2);
        let margin = if p.status == ClientStatus::Lost && rng.random_bool(0.5) {
            rng.random_range(-0.12..0.0)
        } else {
            rng.random_range(-0.03..0.16)
        };
        let rate = p.land.per_usd();
        let public_buyer = match p.land {
            Land::Ru | Land::Kz => 0.4,
            _ => 0.15,
        };
        let sells_to_state = rng.random_bool(public_buyer);
        let litigious = rng.random_range(0..4) == 0 || p.status == ClientStatus::Lost;
        for year in (latest_year - count + 1)..=latest_year {
            let trend = (1.0 + growth).powi(year - latest_year);
            let revenue = p.revenue_usd * trend * rate;
            let assets = revenue * rng.random_range(0.5..1.6);
            let employees = f64::from(p.employees) * trend.sqrt() * rng.random_range(0.95..1.05);
            let checked_at = NaiveDate::from_ymd_opt(
                year + 1,
                rng.random_range(4..=9),
                rng.random_range(1..=28),
            )
            .map_or(now, |day| office_time(rng, day))
            .min(now - days(rng.random_range(1..30)));
            let (litigation_count, litigation_amount) = if litigious {
                let cases = rng.random_range(1..12);
                (
                    cases,
                    Some(e4(revenue * rng.random_range(0.001..0.02), 1_000.0)),
                )
            } else {
                (0, None)
            };
            let (contracts, contracts_amount) = if sells_to_state {
                let count = rng.random_range(1..40);
                (
                    count,
                    Some(e4(revenue * rng.random_range(0.01..0.2), 1_000.0)),
                )
            } else {
                (0, None)
            };
            let registry_status =
                if p.status == ClientStatus::Lost && year == latest_year && rng.random_bool(0.3) {
                    "liquidating"
                } else {
                    "active"
                };
            let employees = employees.round() as i32;
            self.out.checks.push(financial_check::Model {
                id: Uuid::now_v7(),
                client_id: p.id,
                source: "demo".to_owned(),
                checked_at,
                fiscal_year: Some(year),
                currency: Some(p.land.currency().to_owned()),
                revenue_e4: Some(e4(revenue, 1_000.0)),
                net_income_e4: Some(e4(revenue * margin, 1_000.0)),
                assets_e4: Some(e4(assets, 1_000.0)),
                equity_e4: Some(e4(assets * rng.random_range(0.15..0.6), 1_000.0)),
                debt_e4: Some(e4(assets * rng.random_range(0.1..0.5), 1_000.0)),
                employees: Some(employees),
                registry_status: Some(registry_status.to_owned()),
                litigation_count: Some(litigation_count),
                litigation_amount_e4: litigation_amount,
                government_contracts_count: Some(contracts),
                government_contracts_amount_e4: contracts_amount,
                raw_payload: Some(json!({
                    "generator": "kaim seed --demo",
                    "seed": self.seed,
                    "fiscalYear": year,
                    "note": "synthetic figures for trying the API",
                })),
                recorded_by: None,
                created_at: checked_at,
            });
        }
    }

    fn needs(&mut self, p: &Profile, client_created: DateTime<Utc>) {
        let now = self.now;
        let rng = &mut self.rng;
        let mut count: usize = weighted(rng, &[(0, 20), (1, 30), (2, 25), (3, 15), (4, 10)]);
        if p.tier == Tier::Key {
            count = count.clamp(1, 4);
        }
        let prose = p.land.lang().prose();
        let descriptions: Vec<&str> = prose.needs().choose_multiple(rng, count).copied().collect();
        for description in descriptions {
            let created_at = between(rng, client_created.max(now - days(400)), now);
            let status = weighted(
                rng,
                &[
                    (NeedStatus::Open, 65),
                    (NeedStatus::Addressed, 25),
                    (NeedStatus::Dropped, 10),
                ],
            );
            let updated_at = if status == NeedStatus::Open {
                created_at
            } else {
                between(rng, created_at, now)
            };
            self.out.needs.push(need::Model {
                id: Uuid::now_v7(),
                client_id: p.id,
                kind: weighted(rng, &[(NeedKind::Current, 65), (NeedKind::Future, 35)]),
                spin_stage: rng.random_bool(0.9).then(|| {
                    pick(
                        rng,
                        &[
                            SpinStage::Situation,
                            SpinStage::Problem,
                            SpinStage::Implication,
                            SpinStage::NeedPayoff,
                        ],
                    )
                }),
                description: description.to_owned(),
                priority: weighted(rng, &[(1, 10), (2, 30), (3, 35), (4, 15), (5, 10)]),
                status,
                created_at,
                updated_at,
            });
        }
    }

    /// This year's plan for about a third of the clients, key ones above all; some key clients
    /// also keep last year's completed plan.
    fn plans(&mut self, p: &Profile) {
        let rng = &mut self.rng;
        let chance = match (p.status, p.tier) {
            (ClientStatus::Prospect, _) => 0.3,
            (ClientStatus::Lost, _) => 0.15,
            (_, Tier::Key) => 0.9,
            (_, Tier::Regular) => 0.35,
            (_, Tier::Occasional) => 0.12,
        };
        if !rng.random_bool(chance) {
            return;
        }
        let year = self.now.year();
        if p.tier == Tier::Key && p.status == ClientStatus::Active && rng.random_bool(0.4) {
            self.plan(p, year - 1, PlanStatus::Completed);
        }
        let rng = &mut self.rng;
        let status = match p.status {
            ClientStatus::Lost => PlanStatus::Abandoned,
            _ => weighted(rng, &[(PlanStatus::Active, 75), (PlanStatus::Draft, 25)]),
        };
        self.plan(p, year, status);
    }

    fn plan(&mut self, p: &Profile, year: i32, status: PlanStatus) {
        let now = self.now;
        let today = now.date_naive();
        let rng = &mut self.rng;
        let prose = p.land.lang().prose();
        let (Some(start), Some(end)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return;
        };
        let drafted = start - days(rng.random_range(5..40));
        let created_at = office_time(rng, drafted).min(now - days(1));
        let plan_id = Uuid::now_v7();
        self.out.plans.push(account_plan::Model {
            id: plan_id,
            client_id: p.id,
            title: prose.plan_title(year, &p.name),
            period_start: Some(start),
            period_end: Some(end),
            status,
            created_at,
            updated_at: between(rng, created_at, now),
        });
        let task_status = |rng: &mut StdRng, due: NaiveDate| match status {
            PlanStatus::Draft => TaskStatus::Planned,
            PlanStatus::Completed => {
                weighted(rng, &[(TaskStatus::Done, 85), (TaskStatus::Cancelled, 15)])
            }
            PlanStatus::Abandoned => TaskStatus::Cancelled,
            PlanStatus::Active if due < today => weighted(
                rng,
                &[
                    (TaskStatus::Done, 70),
                    (TaskStatus::InProgress, 20),
                    (TaskStatus::Cancelled, 10),
                ],
            ),
            PlanStatus::Active => weighted(
                rng,
                &[(TaskStatus::Planned, 60), (TaskStatus::InProgress, 40)],
            ),
        };
        let objective_count = rng.random_range(2..=4);
        let objectives: Vec<(&str, &str)> = prose
            .objectives()
            .choose_multiple(rng, objective_count)
            .copied()
            .collect();
        let mut objective_ids = Vec::with_capacity(objectives.len());
        for (position, (description, measure)) in (0..).zip(objectives) {
            let due_on = start + days(rng.random_range(90..365));
            let id = Uuid::now_v7();
            objective_ids.push(id);
            self.out.objectives.push(plan_objective::Model {
                id,
                plan_id,
                description: description.to_owned(),
                measure: Some(measure.to_owned()),
                due_on: Some(due_on),
                status: task_status(rng, due_on),
                position,
            });
        }
        let owners: Vec<Uuid> = self.managers.iter().map(|(id, _)| *id).collect();
        let count = rng.random_range(2..=6);
        let actions: Vec<&str> = prose
            .actions()
            .choose_multiple(rng, count)
            .copied()
            .collect();
        let mut dues: Vec<NaiveDate> = (0..actions.len())
            .map(|_| start + days(rng.random_range(10..350)))
            .collect();
        dues.sort_unstable();
        for ((position, description), due_on) in (0..).zip(actions).zip(dues) {
            let owner_id = if rng.random_bool(0.8) {
                p.manager
            } else {
                owners.choose(rng).copied()
            };
            self.out.actions.push(plan_action::Model {
                id: Uuid::now_v7(),
                plan_id,
                objective_id: if rng.random_bool(0.8) {
                    objective_ids.choose(rng).copied()
                } else {
                    None
                },
                description: description.to_owned(),
                owner_id,
                due_on: Some(due_on),
                status: task_status(rng, due_on),
                position,
            });
        }
    }
}

/// A span of `days` days, fractions included.
fn gap(days: f64) -> Duration {
    Duration::seconds((days * 86_400.0) as i64)
}

fn revenue_band(usd: f64) -> &'static str {
    match usd {
        x if x < 10e6 => "< $10M",
        x if x < 50e6 => "$10M–50M",
        x if x < 250e6 => "$50M–250M",
        x if x < 1e9 => "$250M–1B",
        _ => "> $1B",
    }
}

/// A person's full name as written in their country, and the local part of their e-mail.
fn person(rng: &mut StdRng, land: Land) -> (String, String) {
    let cyrillic = |rng: &mut StdRng,
                    male: &[&str],
                    female: &[&str],
                    patronymics: &[(&'static str, &'static str)],
                    surnames: &[&str]| {
        let surname = pick_in(rng, surnames);
        let (first, patronymic, surname) = if rng.random_bool(0.55) {
            (
                pick_in(rng, male),
                pick_in(rng, patronymics).0,
                surname.to_owned(),
            )
        } else {
            (
                pick_in(rng, female),
                pick_in(rng, patronymics).1,
                format!("{surname}а"),
            )
        };
        let initial: String = ascii_slug(first).chars().take(1).collect();
        (
            format!("{surname} {first} {patronymic}"),
            format!("{initial}.{}", ascii_slug(&surname)),
        )
    };
    let latin = |rng: &mut StdRng, first: &[&str], last: &[&str]| {
        let (first, last) = (pick_in(rng, first), pick_in(rng, last));
        (
            format!("{first} {last}"),
            format!("{}.{}", ascii_slug(first), ascii_slug(last)),
        )
    };
    match land {
        Land::Ru => cyrillic(rng, &RU_MALE, &RU_FEMALE, &RU_PATRONYMICS, &RU_SURNAMES),
        Land::Kz => cyrillic(rng, &KZ_MALE, &KZ_FEMALE, &KZ_PATRONYMICS, &KZ_SURNAMES),
        Land::Gb => latin(rng, &GB_FIRST, &GB_SURNAMES),
        Land::Us => latin(rng, &US_FIRST, &US_SURNAMES),
        Land::De => latin(rng, &DE_FIRST, &DE_SURNAMES),
        Land::Fr => latin(rng, &FR_FIRST, &FR_SURNAMES),
        Land::Nl => latin(rng, &NL_FIRST, &NL_SURNAMES),
    }
}

/// A phone number in the country's format; UK and US numbers are in the ranges reserved for
/// fiction, so no one real is dialled.
fn phone(rng: &mut StdRng, land: Land) -> String {
    match land {
        Land::Ru => format!(
            "+7 {} {:03}-{:02}-{:02}",
            pick(rng, &["495", "499", "812", "343", "843", "383"]),
            rng.random_range(100..1000),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        Land::Kz => format!(
            "+7 {} {:03} {:02} {:02}",
            pick(rng, &["727", "7172", "7212"]),
            rng.random_range(100..1000),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        Land::Gb => format!("+44 20 7946 0{:03}", rng.random_range(0..1000)),
        Land::Us => format!(
            "+1 {} 555-01{:02}",
            pick(rng, &["212", "312", "415", "512", "617", "206"]),
            rng.random_range(0..100)
        ),
        Land::De => format!(
            "+49 {} {:07}",
            pick(rng, &["30", "40", "89", "69", "211"]),
            rng.random_range(1_000_000..10_000_000)
        ),
        Land::Fr => format!(
            "+33 1 {:02} {:02} {:02} {:02}",
            rng.random_range(10..100),
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        Land::Nl => format!(
            "+31 {} {:03} {:04}",
            pick(rng, &["20", "10", "30", "40"]),
            rng.random_range(100..1000),
            rng.random_range(0..10_000)
        ),
    }
}

/// A company INN: tax office (region and inspection), record number, check digit.
fn inn(rng: &mut StdRng, region: &str) -> String {
    const WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let body = format!(
        "{region:0>2}{:02}{:05}",
        rng.random_range(1..52),
        rng.random_range(0..100_000)
    );
    let check = body
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(WEIGHTS)
        .map(|(digit, weight)| digit * weight)
        .sum::<u32>()
        % 11
        % 10;
    format!("{body}{check}")
}

/// A company OGRN: sign 1, year, region, inspection, record number, check digit.
fn ogrn(rng: &mut StdRng, region: &str) -> String {
    let body = format!(
        "1{:02}{region:0>2}{:02}{:05}",
        rng.random_range(2..25),
        rng.random_range(1..52),
        rng.random_range(0..100_000)
    );
    let check = body.parse::<u64>().map_or(0, |number| number % 11 % 10);
    format!("{body}{check}")
}

/// An England and Wales number, or a Scottish (SC) or Northern Irish (NI) one.
fn gb_company_number(rng: &mut StdRng, prefix: &str) -> String {
    if prefix.is_empty() {
        format!("{:08}", rng.random_range(1_000_000..16_000_000))
    } else {
        format!("{prefix}{:06}", rng.random_range(100_000..700_000))
    }
}

/// An LEI: the issuer's prefix, `00`, twelve entity characters and ISO 7064 MOD 97-10 check
/// digits.
fn lei_code(rng: &mut StdRng, prefix: &str) -> String {
    let mut body = format!("{prefix}00");
    for _ in 0..12 {
        let value = rng.random_range(0..36);
        body.push(
            char::from_digit(value, 36)
                .unwrap_or('0')
                .to_ascii_uppercase(),
        );
    }
    let remainder = format!("{body}00").chars().fold(0u32, |acc, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    format!("{body}{:02}", 98 - remainder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identifiers_pass_their_check_digits() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..500 {
            for (scheme, raw) in [
                (RegistryScheme::RuInn, inn(&mut rng, "77")),
                (RegistryScheme::RuOgrn, ogrn(&mut rng, "16")),
                (
                    RegistryScheme::GbCompanyNumber,
                    gb_company_number(&mut rng, ""),
                ),
                (
                    RegistryScheme::GbCompanyNumber,
                    gb_company_number(&mut rng, "SC"),
                ),
                (RegistryScheme::Lei, lei_code(&mut rng, "2534")),
            ] {
                let parsed = RegistryIdValue::parse(scheme, &raw);
                assert_eq!(parsed.map(|id| id.as_str().to_owned()), Ok(raw));
            }
        }
    }

    #[test]
    fn names_become_ascii_slugs() {
        assert_eq!(ascii_slug("ВолгаСтрой"), "volgastroy");
        assert_eq!(ascii_slug("Müller Maschinenbau"), "muellermaschinenbau");
        assert_eq!(ascii_slug("Lefèvre Énergie"), "lefevreenergie");
        assert_eq!(ascii_slug("Щукин"), "shchukin");
    }
}
