//! DaData "party" (Russian companies by INN or OGRN; `Authorization: Token <key>`): identity,
//! status, management and, on paid plans, the finance block. Dates are epoch milliseconds.

use async_trait::async_trait;
use chrono::Utc;
use entity::enums::RegistryScheme;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::{
    Address, AddressKind, Candidate, CompanyProfile, FinancialYear, Identifier, IdentifierKind,
    IndustryCode, LegalForm, Officer, Provider, ProviderError, ProviderId, RegistryStatus,
    StatusInfo, check_scheme, covers,
    de::{epoch_ms_date, lenient_decimal, non_blank, null_default},
    endpoint,
    http::HttpClient,
    settings::{ProviderConfig, required_key},
};

const ID: ProviderId = ProviderId::Dadata;
const SCHEMES: &[RegistryScheme] = &[RegistryScheme::RuInn, RegistryScheme::RuOgrn];
/// The upstream cap on suggestions.
const SEARCH_COUNT: u32 = 20;

/// The DaData client.
#[derive(Debug)]
pub struct Dadata {
    http: HttpClient,
    base_url: reqwest::Url,
}

impl Dadata {
    /// A DaData client.
    ///
    /// # Errors
    /// [`ProviderError::Disabled`] without an API key; `Config` when the key is not a valid
    /// header value or the client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let api_key = required_key(ID, config.api_key.as_ref(), "KAIM_DADATA_API_KEY")?;
        let mut token = HeaderValue::from_str(&format!("Token {api_key}")).map_err(|_| {
            ProviderError::Config {
                provider: ID,
                reason: "the API key is not a valid header value".into(),
            }
        })?;
        token.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, token);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(Self {
            // DaData echoes the token in its 403 body: redact it from messages.
            http: HttpClient::new(ID, config.policy, headers, vec![api_key])?,
            base_url: config.base_url,
        })
    }

    async fn party(
        &self,
        what: &'static str,
        path: &[&str],
        body: serde_json::Value,
    ) -> Result<(serde_json::Value, Suggestions), ProviderError> {
        let url = endpoint(ID, &self.base_url, path)?;
        self.http
            .get_json(what, |client| client.post(url.clone()).json(&body))
            .await
    }
}

#[async_trait]
impl Provider for Dadata {
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
        // Head office only: an INN is shared by the company's branches.
        let (raw, answer) = self
            .party(
                "party",
                &["findById", "party"],
                json!({ "query": id, "branch_type": "MAIN" }),
            )
            .await?;
        // DaData answers an unknown INN with 200 and no suggestions.
        let party = answer
            .suggestions
            .into_iter()
            .next()
            .ok_or(ProviderError::NotFound { provider: ID })?;
        let kind = if scheme == RegistryScheme::RuOgrn {
            IdentifierKind::RuOgrn
        } else {
            IdentifierKind::RuInn
        };
        let mut profile = CompanyProfile::new(
            ID,
            Identifier {
                kind,
                value: id.to_owned(),
            },
        );
        profile.keep_raw("findById/party", raw);
        fill(&mut profile, party);
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
        let (_, answer) = self
            .party(
                "party suggestions",
                &["suggest", "party"],
                json!({ "query": name, "count": SEARCH_COUNT }),
            )
            .await?;
        let retrieved_at = Utc::now();
        Ok(answer
            .suggestions
            .into_iter()
            // Branches repeat the head office's INN; the company is the candidate.
            .filter(|s| s.data.branch_type.as_deref() != Some("BRANCH"))
            .filter_map(|s| {
                let data = s.data;
                Some(Candidate {
                    source: ID,
                    retrieved_at,
                    scheme: RegistryScheme::RuInn,
                    registry_id: non_blank(data.inn.as_deref())?,
                    name: non_blank(s.value.as_deref())
                        .or_else(|| data.name.as_ref().and_then(|n| n.short_with_opf.clone()))?,
                    status: data.state.as_ref().map(status),
                    address: data
                        .address
                        .as_ref()
                        .and_then(|a| non_blank(a.value.as_deref())),
                    country: Some("RU".to_owned()),
                    founded_on: data
                        .state
                        .as_ref()
                        .and_then(|s| epoch_ms_date(s.registration_date)),
                })
            })
            .collect())
    }
}

fn fill(profile: &mut CompanyProfile, party: Suggestion) {
    let data = party.data;
    for (kind, value) in [
        (IdentifierKind::RuInn, &data.inn),
        (IdentifierKind::RuOgrn, &data.ogrn),
        (IdentifierKind::RuKpp, &data.kpp),
    ] {
        if let Some(value) = non_blank(value.as_deref()) {
            profile.identifiers.push(Identifier { kind, value });
        }
    }
    if let Some(name) = &data.name {
        profile.legal_name = non_blank(name.full_with_opf.as_deref());
        profile.short_name = non_blank(name.short_with_opf.as_deref());
    }
    profile.legal_form = data.opf.as_ref().map(|opf| LegalForm {
        code: non_blank(opf.code.as_deref()),
        name: non_blank(opf.full.as_deref()),
    });
    profile.status = data.state.as_ref().map(status);
    profile.founded_on = data
        .state
        .as_ref()
        .and_then(|s| epoch_ms_date(s.registration_date))
        .or_else(|| epoch_ms_date(data.ogrn_date));
    profile.jurisdiction = Some("RU".to_owned());
    if let Some(address) = data.address {
        let parts = address.data.unwrap_or_default();
        profile.addresses.push(Address {
            kind: AddressKind::Legal,
            lines: Vec::new(),
            city: parts.city,
            region: parts.region_with_type,
            postal_code: parts.postal_code,
            country: parts.country_iso_code.or_else(|| Some("RU".to_owned())),
            full: non_blank(address.unrestricted_value.as_deref())
                .or_else(|| non_blank(address.value.as_deref())),
        });
    }
    profile.industry_codes = if data.okveds.is_empty() {
        non_blank(data.okved.as_deref())
            .map(|code| IndustryCode {
                scheme: "OKVED2",
                code,
                description: None,
                main: true,
            })
            .into_iter()
            .collect()
    } else {
        data.okveds
            .into_iter()
            .filter_map(|o| {
                Some(IndustryCode {
                    scheme: "OKVED2",
                    code: non_blank(o.code.as_deref())?,
                    description: non_blank(o.name.as_deref()),
                    main: o.main.unwrap_or(false),
                })
            })
            .collect()
    };
    // The paid `managers` list is complete; `management` is the free plan's head only.
    profile.officers = if data.managers.is_empty() {
        data.management
            .into_iter()
            .filter_map(|m| {
                Some(Officer {
                    name: non_blank(m.name.as_deref())?,
                    role: non_blank(m.post.as_deref()),
                    appointed_on: epoch_ms_date(m.start_date),
                    resigned_on: None,
                })
            })
            .collect()
    } else {
        data.managers
            .into_iter()
            .filter_map(|m| {
                let fio = m.fio?;
                let name = [fio.surname, fio.name, fio.patronymic]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(Officer {
                    name: non_blank(Some(&name))?,
                    role: non_blank(m.post.as_deref()),
                    appointed_on: epoch_ms_date(m.start_date),
                    resigned_on: None,
                })
            })
            .collect()
    };
    profile.employees = data.employee_count;
    if let Some(finance) = data.finance
        && let Some(year) = finance.year
    {
        profile.financials.push(FinancialYear {
            fiscal_year: year,
            period_end: None,
            currency: "RUB".to_owned(),
            revenue: finance.revenue,
            // income − expense is not net profit (it ignores taxes and adjustments): leave it.
            net_income: None,
            assets: None,
            equity: None,
            debt: finance.debt,
            employees: data.employee_count,
        });
    }
}

/// DaData's `state.status` to the common set. A company being reorganised still exists and
/// trades until the reorganisation completes, so it counts as active; the original says more.
fn status(state: &State) -> StatusInfo {
    let original = state.status.clone().unwrap_or_default();
    let common = match original.as_str() {
        "ACTIVE" | "REORGANIZING" => RegistryStatus::Active,
        "LIQUIDATING" => RegistryStatus::Liquidating,
        "LIQUIDATED" => RegistryStatus::Liquidated,
        "BANKRUPT" => RegistryStatus::Bankrupt,
        _ => RegistryStatus::Unknown,
    };
    StatusInfo {
        status: common,
        original,
        detail: state.code.as_ref().map(|c| match c {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        since: epoch_ms_date(state.liquidation_date),
    }
}

#[derive(Debug, Deserialize)]
struct Suggestions {
    #[serde(default, deserialize_with = "null_default")]
    suggestions: Vec<Suggestion>,
}

#[derive(Debug, Deserialize)]
struct Suggestion {
    value: Option<String>,
    data: PartyData,
}

#[derive(Debug, Deserialize)]
struct PartyData {
    inn: Option<String>,
    ogrn: Option<String>,
    kpp: Option<String>,
    ogrn_date: Option<i64>,
    branch_type: Option<String>,
    name: Option<PartyName>,
    opf: Option<Opf>,
    state: Option<State>,
    okved: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    okveds: Vec<Okved>,
    address: Option<PartyAddress>,
    management: Option<Management>,
    #[serde(default, deserialize_with = "null_default")]
    managers: Vec<Manager>,
    finance: Option<Finance>,
    employee_count: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct PartyName {
    full_with_opf: Option<String>,
    short_with_opf: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Opf {
    code: Option<String>,
    full: Option<String>,
}

#[derive(Debug, Deserialize)]
struct State {
    status: Option<String>,
    code: Option<serde_json::Value>,
    registration_date: Option<i64>,
    liquidation_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Okved {
    main: Option<bool>,
    code: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PartyAddress {
    value: Option<String>,
    unrestricted_value: Option<String>,
    data: Option<AddressData>,
}

#[derive(Debug, Default, Deserialize)]
struct AddressData {
    postal_code: Option<String>,
    country_iso_code: Option<String>,
    region_with_type: Option<String>,
    city: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Management {
    name: Option<String>,
    post: Option<String>,
    start_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Manager {
    fio: Option<Fio>,
    post: Option<String>,
    start_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Fio {
    surname: Option<String>,
    name: Option<String>,
    patronymic: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Finance {
    #[serde(default, deserialize_with = "lenient_decimal")]
    revenue: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient_decimal")]
    debt: Option<Decimal>,
    year: Option<i32>,
}
