//! Checko API v2 (Russian companies by INN or OGRN; `key` query parameter): the ЕГРЮЛ card,
//! financial statements per year, arbitration cases (count and claims) and government
//! contracts under 44-FZ and 223-FZ. Field names are Russian, as Checko sends them.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use entity::enums::RegistryScheme;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;

use super::{
    Address, AddressKind, Candidate, CompanyProfile, FinancialYear, GovernmentContracts,
    Identifier, IdentifierKind, IndustryCode, LegalForm, Litigation, Officer, Provider,
    ProviderError, ProviderId, RegistryStatus, StatusInfo, check_scheme, covers,
    de::{decimal_from_value, lenient_decimal, non_blank, null_default, opt_date},
    endpoint,
    http::HttpClient,
    settings::{ProviderConfig, required_key},
};

const ID: ProviderId = ProviderId::Checko;
const SCHEMES: &[RegistryScheme] = &[RegistryScheme::RuInn, RegistryScheme::RuOgrn];
/// Procurement laws asked about; Checko takes one per call.
const CONTRACT_LAWS: [&str; 2] = ["44", "223"];
/// The upstream page-size cap, so that contract sums cover as much as one call can.
const PAGE_LIMIT: &str = "100";
const SEARCH_LIMIT: &str = "20";

/// The Checko client.
#[derive(Debug)]
pub struct Checko {
    http: HttpClient,
    base_url: reqwest::Url,
    api_key: String,
}

impl Checko {
    /// A Checko client.
    ///
    /// # Errors
    /// [`ProviderError::Disabled`] without an API key; `Config` when the client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let api_key = required_key(ID, config.api_key.as_ref(), "KAIM_CHECKO_API_KEY")?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(Self {
            http: HttpClient::new(ID, config.policy, headers, vec![api_key.clone()])?,
            base_url: config.base_url,
            api_key,
        })
    }

    /// Calls `path` with `params`; returns the raw body and its `data`, parsed as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<(Value, T), ProviderError> {
        let mut url = endpoint(ID, &self.base_url, &[path])?;
        url.query_pairs_mut()
            .append_pair("key", &self.api_key)
            .extend_pairs(params);
        let (raw, envelope) = self
            .http
            .get_json::<Envelope, _>(what, |client| client.get(url.clone()))
            .await?;
        // Checko reports some errors with 200 and `meta.status: "error"`.
        if envelope.meta.status.as_deref() == Some("error") {
            return Err(ProviderError::Rejected {
                provider: ID,
                status: 200,
                message: envelope
                    .meta
                    .message
                    .map(|m| m.replace(&self.api_key, "***"))
                    .unwrap_or_default(),
            });
        }
        let data = T::deserialize(&envelope.data).map_err(|e| ProviderError::Malformed {
            provider: ID,
            what,
            detail: e.to_string(),
        })?;
        Ok((raw, data))
    }
}

#[async_trait]
impl Provider for Checko {
    fn id(&self) -> ProviderId {
        ID
    }

    fn schemes(&self) -> &'static [RegistryScheme] {
        SCHEMES
    }

    fn supports_search(&self) -> bool {
        true
    }

    async fn lookup(
        &self,
        scheme: RegistryScheme,
        id: &str,
    ) -> Result<CompanyProfile, ProviderError> {
        check_scheme(ID, SCHEMES, scheme)?;
        let (kind, param) = if scheme == RegistryScheme::RuOgrn {
            (IdentifierKind::RuOgrn, "ogrn")
        } else {
            (IdentifierKind::RuInn, "inn")
        };
        let (raw, card) = self
            .call::<Option<Card>>("company card", "company", &[(param, id)])
            .await?;
        // An unknown identifier comes back as 200 with empty `data`.
        let card = card
            .filter(|c| c.inn.is_some() || c.ogrn.is_some())
            .ok_or(ProviderError::NotFound { provider: ID })?;
        let mut profile = CompanyProfile::new(
            ID,
            Identifier {
                kind,
                value: id.to_owned(),
            },
        );
        profile.keep_raw("company", raw);
        let inn = card.inn.clone().unwrap_or_else(|| id.to_owned());
        fill(&mut profile, card);

        let (raw, years) = self
            .call::<Option<HashMap<String, HashMap<String, Value>>>>(
                "finances",
                "finances",
                &[("inn", &inn)],
            )
            .await?;
        profile.keep_raw("finances", raw);
        profile.financials = financials(years.unwrap_or_default(), profile.employees);

        let (raw, cases) = self
            .call::<Option<Page<Value>>>(
                "legal cases",
                "legal-cases",
                &[("inn", &inn), ("limit", PAGE_LIMIT)],
            )
            .await?;
        profile.keep_raw("legal-cases", raw);
        let cases = cases.unwrap_or_default();
        profile.litigation = Some(Litigation {
            cases: cases.total.unwrap_or(0),
            claims_total: cases.claims_total,
            currency: "RUB".to_owned(),
        });

        for law in CONTRACT_LAWS {
            let (raw, contracts) = self
                .call::<Option<Page<Contract>>>(
                    "contracts",
                    "contracts",
                    &[
                        ("inn", &inn),
                        ("law", law),
                        ("role", "supplier"),
                        ("limit", PAGE_LIMIT),
                    ],
                )
                .await?;
            profile.keep_raw(&format!("contracts-{law}"), raw);
            let contracts = contracts.unwrap_or_default();
            profile.government_contracts.push(GovernmentContracts {
                law: law.to_owned(),
                count: contracts.total.unwrap_or(0),
                total: contracts
                    .records
                    .iter()
                    .filter_map(|c| c.price)
                    .reduce(|a, b| a + b),
                currency: "RUB".to_owned(),
            });
        }
        Ok(profile)
    }

    async fn search_by_name(
        &self,
        name: &str,
        country: Option<&str>,
    ) -> Result<Vec<Candidate>, ProviderError> {
        if !covers(country, &["RU"]) {
            return Ok(Vec::new());
        }
        let (_, page) = self
            .call::<Option<Page<SearchRecord>>>(
                "company search",
                "search",
                &[
                    ("by", "name"),
                    ("obj", "org"),
                    ("query", name),
                    ("limit", SEARCH_LIMIT),
                ],
            )
            .await?;
        let retrieved_at = Utc::now();
        Ok(page
            .unwrap_or_default()
            .records
            .into_iter()
            .filter_map(|r| {
                Some(Candidate {
                    source: ID,
                    retrieved_at,
                    scheme: RegistryScheme::RuInn,
                    registry_id: non_blank(r.inn.as_deref())?,
                    name: non_blank(r.short_name.as_deref())
                        .or_else(|| non_blank(r.full_name.as_deref()))?,
                    status: r.status.as_ref().map(status),
                    address: non_blank(r.address.as_deref()),
                    country: Some("RU".to_owned()),
                    founded_on: opt_date(r.registered_on.as_deref()),
                })
            })
            .collect())
    }
}

fn fill(profile: &mut CompanyProfile, card: Card) {
    for (kind, value) in [
        (IdentifierKind::RuInn, &card.inn),
        (IdentifierKind::RuOgrn, &card.ogrn),
        (IdentifierKind::RuKpp, &card.kpp),
    ] {
        if let Some(value) = non_blank(value.as_deref()) {
            profile.identifiers.push(Identifier { kind, value });
        }
    }
    profile.legal_name = non_blank(card.full_name.as_deref());
    profile.short_name = non_blank(card.short_name.as_deref());
    profile.status = card.status.as_ref().map(status);
    profile.founded_on = opt_date(card.registered_on.as_deref());
    profile.jurisdiction = Some("RU".to_owned());
    profile.legal_form = card.okopf.map(|f| LegalForm {
        code: non_blank(f.code.as_deref()),
        name: non_blank(f.name.as_deref()),
    });
    if let Some(address) = card.address {
        profile.addresses.push(Address {
            kind: AddressKind::Legal,
            lines: Vec::new(),
            city: non_blank(address.city.as_deref()),
            region: None,
            postal_code: None,
            country: Some("RU".to_owned()),
            full: non_blank(address.full.as_deref()),
        });
    }
    let main = card.okved.into_iter().map(|o| (o, true));
    let extra = card.okved_extra.into_iter().map(|o| (o, false));
    profile.industry_codes = main
        .chain(extra)
        .filter_map(|(o, main)| {
            Some(IndustryCode {
                scheme: "OKVED2",
                code: non_blank(o.code.as_deref())?,
                description: non_blank(o.name.as_deref()),
                main,
            })
        })
        .collect();
    profile.officers = card
        .managers
        .into_iter()
        .filter_map(|m| {
            Some(Officer {
                name: non_blank(m.name.as_deref())?,
                role: non_blank(m.post.as_deref()),
                appointed_on: opt_date(m.since.as_deref()),
                resigned_on: None,
            })
        })
        .collect();
    profile.employees = card.headcount;
}

/// Statement lines (ГИР БО codes) per year: 2110 revenue, 2400 net profit, 1600 total
/// assets, 1300 equity, 1500 short-term liabilities. Sums are roubles.
fn financials(
    years: HashMap<String, HashMap<String, Value>>,
    employees: Option<u32>,
) -> Vec<FinancialYear> {
    let latest = years.keys().filter_map(|y| y.parse::<i32>().ok()).max();
    let mut list: Vec<FinancialYear> = years
        .into_iter()
        .filter_map(|(year, lines)| {
            let fiscal_year: i32 = year.parse().ok()?;
            let line = |code: &str| lines.get(code).and_then(decimal_from_value);
            Some(FinancialYear {
                fiscal_year,
                period_end: chrono::NaiveDate::from_ymd_opt(fiscal_year, 12, 31),
                currency: "RUB".to_owned(),
                revenue: line("2110"),
                net_income: line("2400"),
                assets: line("1600"),
                equity: line("1300"),
                debt: line("1500"),
                // The headcount on the card is current: it belongs to the latest year only.
                employees: employees.filter(|_| Some(fiscal_year) == latest),
            })
        })
        .collect();
    list.sort_by_key(|y| y.fiscal_year);
    list
}

/// Checko's status text to the common set. Texts vary ("Действует", "В стадии ликвидации",
/// "Ликвидировано", "Исключено из ЕГРЮЛ", ...), so words are matched, most specific first.
fn status(raw: &CheckoStatus) -> StatusInfo {
    let (code, name) = match raw {
        CheckoStatus::Text(name) => (None, name.clone()),
        CheckoStatus::Coded { code, name } => (code.clone(), name.clone().unwrap_or_default()),
    };
    let lower = name.to_lowercase();
    let common = if lower.contains("банкрот") {
        RegistryStatus::Bankrupt
    } else if lower.contains("ликвидац") {
        RegistryStatus::Liquidating
    } else if lower.contains("ликвидирован") {
        RegistryStatus::Liquidated
    } else if lower.contains("исключ") || lower.contains("прекрат") || lower.contains("прекращ")
    {
        RegistryStatus::Dissolved
    } else if lower.contains("недейств") {
        RegistryStatus::Inactive
    } else if lower.contains("действ") || lower.contains("реорганиз") {
        // Reorganisation, as with DaData: the company exists until it completes.
        RegistryStatus::Active
    } else {
        RegistryStatus::Unknown
    };
    StatusInfo {
        status: common,
        original: name,
        detail: code.map(|c| format!("code {c}")),
        since: None,
    }
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Value,
    #[serde(default, deserialize_with = "null_default")]
    meta: Meta,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    status: Option<String>,
    message: Option<String>,
}

/// `Статус` is an object on the card and a plain string in search results.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CheckoStatus {
    Text(String),
    Coded {
        #[serde(rename = "Код")]
        code: Option<String>,
        #[serde(rename = "Наим")]
        name: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
struct Card {
    #[serde(rename = "ИНН")]
    inn: Option<String>,
    #[serde(rename = "ОГРН")]
    ogrn: Option<String>,
    #[serde(rename = "КПП")]
    kpp: Option<String>,
    #[serde(rename = "ДатаРег")]
    registered_on: Option<String>,
    #[serde(rename = "НаимСокр")]
    short_name: Option<String>,
    #[serde(rename = "НаимПолн")]
    full_name: Option<String>,
    #[serde(rename = "Статус")]
    status: Option<CheckoStatus>,
    #[serde(rename = "ЮрАдрес")]
    address: Option<CardAddress>,
    #[serde(rename = "ОКВЭД")]
    okved: Option<CodeName>,
    #[serde(rename = "ОКВЭДДоп", default, deserialize_with = "null_default")]
    okved_extra: Vec<CodeName>,
    #[serde(rename = "ОКОПФ")]
    okopf: Option<CodeName>,
    #[serde(rename = "Руковод", default, deserialize_with = "null_default")]
    managers: Vec<Manager>,
    #[serde(rename = "СЧР")]
    headcount: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct CardAddress {
    #[serde(rename = "АдресРФ")]
    full: Option<String>,
    #[serde(rename = "НасПункт")]
    city: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CodeName {
    #[serde(rename = "Код")]
    code: Option<String>,
    #[serde(rename = "Наим")]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Manager {
    #[serde(rename = "ФИО")]
    name: Option<String>,
    #[serde(rename = "НаимДолжн")]
    post: Option<String>,
    #[serde(rename = "ДатаЗаписи")]
    since: Option<String>,
}

/// A page of records with Checko's totals.
#[derive(Debug, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct Page<T> {
    #[serde(rename = "ЗапВсего")]
    total: Option<u32>,
    #[serde(rename = "ОбщСуммИск", default, deserialize_with = "lenient_decimal")]
    claims_total: Option<Decimal>,
    #[serde(
        rename = "Записи",
        default = "Vec::new",
        deserialize_with = "null_default"
    )]
    records: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            total: None,
            claims_total: None,
            records: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Contract {
    #[serde(rename = "Цена", default, deserialize_with = "lenient_decimal")]
    price: Option<Decimal>,
}

#[derive(Debug, Deserialize)]
struct SearchRecord {
    #[serde(rename = "ИНН")]
    inn: Option<String>,
    #[serde(rename = "НаимСокр")]
    short_name: Option<String>,
    #[serde(rename = "НаимПолн")]
    full_name: Option<String>,
    #[serde(rename = "ДатаРег")]
    registered_on: Option<String>,
    #[serde(rename = "Статус")]
    status: Option<CheckoStatus>,
    #[serde(rename = "ЮрАдрес")]
    address: Option<String>,
}
