//! UK Companies House public data API (HTTP basic auth, the key as user): profile, status,
//! officers and insolvency. It publishes no financial figures.

use async_trait::async_trait;
use chrono::Utc;
use entity::enums::RegistryScheme;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Deserialize;

use super::{
    Address, AddressKind, Candidate, CompanyProfile, Identifier, IdentifierKind, IndustryCode,
    InsolvencyCase, LegalForm, Officer, Provider, ProviderError, ProviderId, RegistryStatus,
    StatusInfo, check_scheme, covers,
    de::{date, non_blank, null_default, opt_date},
    endpoint,
    http::HttpClient,
    settings::{ProviderConfig, required_key},
};

const ID: ProviderId = ProviderId::CompaniesHouse;
const SCHEMES: &[RegistryScheme] = &[RegistryScheme::GbCompanyNumber];
/// The upstream cap on `items_per_page`.
const PAGE_SIZE: &str = "100";
const SEARCH_PAGE_SIZE: &str = "20";

/// The Companies House client.
#[derive(Debug)]
pub struct CompaniesHouse {
    http: HttpClient,
    base_url: reqwest::Url,
    api_key: String,
}

impl CompaniesHouse {
    /// A Companies House client.
    ///
    /// # Errors
    /// [`ProviderError::Disabled`] without an API key; `Config` when the client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let api_key = required_key(ID, config.api_key.as_ref(), "KAIM_COMPANIES_HOUSE_API_KEY")?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(Self {
            http: HttpClient::new(ID, config.policy, headers, vec![api_key.clone()])?,
            base_url: config.base_url,
            api_key,
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        url: reqwest::Url,
    ) -> Result<(serde_json::Value, T), ProviderError> {
        self.http
            .get_json(what, |client| {
                client
                    .get(url.clone())
                    .basic_auth(&self.api_key, None::<&str>)
            })
            .await
    }
}

#[async_trait]
impl Provider for CompaniesHouse {
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
        let (raw, company) = self
            .get::<Company>(
                "company profile",
                endpoint(ID, &self.base_url, &["company", id])?,
            )
            .await?;
        let mut profile = CompanyProfile::new(
            ID,
            Identifier {
                kind: IdentifierKind::GbCompanyNumber,
                value: id.to_owned(),
            },
        );
        profile.keep_raw("company", raw);

        let mut officers_url = endpoint(ID, &self.base_url, &["company", id, "officers"])?;
        officers_url
            .query_pairs_mut()
            .append_pair("items_per_page", PAGE_SIZE);
        match self.get::<OfficerList>("officer list", officers_url).await {
            Ok((raw, list)) => {
                profile.keep_raw("officers", raw);
                profile.officers = list.items.into_iter().map(Officer::from).collect();
            }
            // A company without an officer register (old or stub profiles) answers 404.
            Err(ProviderError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }

        // `/insolvency` answers 404 for every company without a case, so ask only when the
        // profile says there is a history, and read a 404 as "no cases".
        profile.insolvency_cases = Some(if company.has_insolvency_history == Some(true) {
            let url = endpoint(ID, &self.base_url, &["company", id, "insolvency"])?;
            match self.get::<Insolvency>("insolvency", url).await {
                Ok((raw, insolvency)) => {
                    profile.keep_raw("insolvency", raw);
                    insolvency
                        .cases
                        .into_iter()
                        .map(InsolvencyCase::from)
                        .collect()
                }
                Err(ProviderError::NotFound { .. }) => Vec::new(),
                Err(error) => return Err(error),
            }
        } else {
            Vec::new()
        });

        fill(&mut profile, company);
        Ok(profile)
    }

    async fn search_by_name(
        &self,
        name: &str,
        country: Option<&str>,
    ) -> Result<Vec<Candidate>, ProviderError> {
        if !covers(country, &["GB", "UK"]) {
            return Ok(Vec::new());
        }
        let mut url = endpoint(ID, &self.base_url, &["search", "companies"])?;
        url.query_pairs_mut()
            .append_pair("q", name)
            .append_pair("items_per_page", SEARCH_PAGE_SIZE);
        let (_, results) = self.get::<SearchResults>("company search", url).await?;
        let retrieved_at = Utc::now();
        Ok(results
            .items
            .into_iter()
            .filter_map(|item| {
                Some(Candidate {
                    source: ID,
                    retrieved_at,
                    scheme: RegistryScheme::GbCompanyNumber,
                    registry_id: non_blank(item.company_number.as_deref())?,
                    name: non_blank(item.title.as_deref())?,
                    status: Some(status(
                        item.company_status.as_deref(),
                        None,
                        item.date_of_cessation.as_deref(),
                    )),
                    address: non_blank(item.address_snippet.as_deref()),
                    country: Some("GB".to_owned()),
                    founded_on: opt_date(item.date_of_creation.as_deref()),
                })
            })
            .collect())
    }
}

fn fill(profile: &mut CompanyProfile, company: Company) {
    if let Some(number) = non_blank(company.company_number.as_deref()) {
        profile.identifiers.push(Identifier {
            kind: IdentifierKind::GbCompanyNumber,
            value: number,
        });
    }
    profile.legal_name = non_blank(company.company_name.as_deref());
    profile.status = Some(status(
        company.company_status.as_deref(),
        company.company_status_detail.as_deref(),
        company.date_of_cessation.as_deref(),
    ));
    profile.legal_form = non_blank(company.company_type.as_deref()).map(|code| LegalForm {
        code: Some(code),
        name: None,
    });
    profile.founded_on = opt_date(company.date_of_creation.as_deref());
    profile.jurisdiction = Some("GB".to_owned());
    if let Some(address) = company.registered_office_address {
        profile.addresses.push(Address {
            kind: AddressKind::Legal,
            lines: [
                address.premises,
                address.address_line_1,
                address.address_line_2,
            ]
            .into_iter()
            .flatten()
            .filter(|line| !line.trim().is_empty())
            .collect(),
            city: address.locality,
            region: address.region,
            postal_code: address.postal_code,
            country: address.country,
            full: None,
        });
    }
    profile.industry_codes = company
        .sic_codes
        .into_iter()
        .enumerate()
        .map(|(index, code)| IndustryCode {
            scheme: "UK SIC 2007",
            code,
            description: None,
            main: index == 0,
        })
        .collect();
}

/// Companies House's `company_status` to the common set; a missing status (stub profiles of
/// charities and registered societies) is `Unknown`.
fn status(status: Option<&str>, detail: Option<&str>, ceased: Option<&str>) -> StatusInfo {
    let original = status.unwrap_or_default().to_owned();
    let common = match original.as_str() {
        "active" | "open" | "registered" => RegistryStatus::Active,
        "liquidation" => RegistryStatus::Liquidating,
        "administration" | "receivership" | "voluntary-arrangement" | "insolvency-proceedings" => {
            RegistryStatus::Bankrupt
        }
        "dissolved" | "removed" => RegistryStatus::Dissolved,
        "converted-closed" | "closed" => RegistryStatus::Inactive,
        _ => RegistryStatus::Unknown,
    };
    StatusInfo {
        status: common,
        original,
        detail: non_blank(detail),
        since: opt_date(ceased),
    }
}

impl From<OfficerItem> for Officer {
    fn from(item: OfficerItem) -> Self {
        Self {
            name: item.name.unwrap_or_default(),
            role: item.officer_role,
            appointed_on: opt_date(item.appointed_on.as_deref()),
            resigned_on: opt_date(item.resigned_on.as_deref()),
        }
    }
}

impl From<Case> for InsolvencyCase {
    fn from(case: Case) -> Self {
        Self {
            kind: case.kind.unwrap_or_default(),
            number: case
                .number
                .map(|n| n.to_string().trim_matches('"').to_owned()),
            dates: case
                .dates
                .into_iter()
                .filter_map(|d| Some((d.kind?, date(d.date.as_deref()?)?)))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Company {
    company_name: Option<String>,
    company_number: Option<String>,
    company_status: Option<String>,
    company_status_detail: Option<String>,
    date_of_creation: Option<String>,
    date_of_cessation: Option<String>,
    #[serde(rename = "type")]
    company_type: Option<String>,
    has_insolvency_history: Option<bool>,
    registered_office_address: Option<ChAddress>,
    #[serde(default, deserialize_with = "null_default")]
    sic_codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ChAddress {
    premises: Option<String>,
    address_line_1: Option<String>,
    address_line_2: Option<String>,
    locality: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OfficerList {
    #[serde(default, deserialize_with = "null_default")]
    items: Vec<OfficerItem>,
}

#[derive(Debug, Deserialize)]
struct OfficerItem {
    name: Option<String>,
    officer_role: Option<String>,
    appointed_on: Option<String>,
    resigned_on: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Insolvency {
    #[serde(default, deserialize_with = "null_default")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// A number or a string, depending on the record's age.
    number: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "null_default")]
    dates: Vec<CaseDate>,
}

#[derive(Debug, Deserialize)]
struct CaseDate {
    #[serde(rename = "type")]
    kind: Option<String>,
    date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SearchResults {
    #[serde(default, deserialize_with = "null_default")]
    items: Vec<SearchItem>,
}

#[derive(Debug, Deserialize)]
struct SearchItem {
    company_number: Option<String>,
    title: Option<String>,
    company_status: Option<String>,
    date_of_creation: Option<String>,
    date_of_cessation: Option<String>,
    address_snippet: Option<String>,
}
