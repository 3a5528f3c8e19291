//! SEC EDGAR (data.sec.gov, no key, a declared User-Agent is mandatory): identity from
//! `submissions`, and revenue, net income, assets and equity per fiscal year from XBRL
//! `companyfacts`, de-duplicated across the filings that repeat each figure.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use entity::enums::RegistryScheme;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::{
    Address, AddressKind, CompanyProfile, FinancialYear, Identifier, IdentifierKind, IndustryCode,
    LegalForm, Provider, ProviderError, ProviderId, RegistryStatus, StatusInfo, check_scheme,
    de::{decimal_from_value, non_blank, null_default, opt_date},
    endpoint,
    http::HttpClient,
    settings::ProviderConfig,
};

const ID: ProviderId = ProviderId::SecEdgar;
const SCHEMES: &[RegistryScheme] = &[RegistryScheme::UsCik];
/// Revenue concepts, most specific first: filers moved to ASC 606 around 2018.
const REVENUE: &[&str] = &[
    "RevenueFromContractWithCustomerExcludingAssessedTax",
    "Revenues",
    "SalesRevenueNet",
    "RevenueFromContractWithCustomerIncludingAssessedTax",
];
const NET_INCOME: &[&str] = &["NetIncomeLoss", "ProfitLoss"];
const ASSETS: &[&str] = &["Assets"];
const EQUITY: &[&str] = &[
    "StockholdersEquity",
    "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
];
/// Forms by which a company leaves SEC reporting.
const DEREGISTRATION_FORMS: &[&str] = &["15-12B", "15-12G", "15-15D"];
/// How long the SEC blocks an address that exceeded its threshold.
const BLOCK_DURATION: std::time::Duration = std::time::Duration::from_secs(600);

/// The SEC EDGAR client.
#[derive(Debug)]
pub struct SecEdgar {
    http: HttpClient,
    base_url: reqwest::Url,
}

impl SecEdgar {
    /// An EDGAR client declaring itself with `user_agent`.
    ///
    /// # Errors
    /// [`ProviderError::Disabled`] without a User-Agent (the SEC blocks undeclared tools);
    /// `Config` when it is not a valid header value.
    pub fn new(config: ProviderConfig, user_agent: Option<&str>) -> Result<Self, ProviderError> {
        let user_agent = non_blank(user_agent).ok_or_else(|| ProviderError::Disabled {
            provider: ID,
            reason: "KAIM_SEC_EDGAR_USER_AGENT is not set (the SEC requires a declared \
                     User-Agent such as `Example Corp admin@example.com`)"
                .into(),
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&user_agent).map_err(|_| ProviderError::Config {
                provider: ID,
                reason: "KAIM_SEC_EDGAR_USER_AGENT is not a valid header value".into(),
            })?,
        );
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(Self {
            http: HttpClient::new(ID, config.policy, headers, Vec::new())?,
            base_url: config.base_url,
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        segments: &[&str],
    ) -> Result<(Value, T), ProviderError> {
        let url = endpoint(ID, &self.base_url, segments)?;
        let response = self
            .http
            .execute(|client| client.get(url.clone()))
            .await
            .map_err(blocked)?;
        // Some clients see the block page with status 200: an HTML body is the same block.
        if is_block_page(&String::from_utf8_lossy(&response.body)) {
            return Err(ProviderError::RateLimited {
                provider: ID,
                retry_after: Some(BLOCK_DURATION),
            });
        }
        self.http.parse_json(what, &response.body)
    }
}

/// The SEC answers excess or undeclared traffic with 403 and an HTML page, not 429.
fn blocked(error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Unauthorized { message, .. } if is_block_page(&message) => {
            ProviderError::RateLimited {
                provider: ID,
                retry_after: Some(BLOCK_DURATION),
            }
        }
        other => other,
    }
}

fn is_block_page(text: &str) -> bool {
    text.contains("Request Rate Threshold Exceeded") || text.contains("Undeclared Automated Tool")
}

/// `CIK` and the number zero-padded to ten digits, as EDGAR's file names want it.
fn padded_cik(id: &str) -> String {
    let digits = id.trim().trim_start_matches("CIK");
    format!("CIK{digits:0>10}")
}

#[async_trait]
impl Provider for SecEdgar {
    fn id(&self) -> ProviderId {
        ID
    }

    fn schemes(&self) -> &'static [RegistryScheme] {
        SCHEMES
    }

    async fn lookup(
        &self,
        scheme: RegistryScheme,
        id: &str,
    ) -> Result<CompanyProfile, ProviderError> {
        check_scheme(ID, SCHEMES, scheme)?;
        let cik = padded_cik(id);
        let (raw, submissions) = self
            .get::<Submissions>("submissions", &["submissions", &format!("{cik}.json")])
            .await?;
        let mut profile = CompanyProfile::new(
            ID,
            Identifier {
                kind: IdentifierKind::UsCik,
                value: id.to_owned(),
            },
        );
        profile.keep_raw("submissions", raw);
        fill(&mut profile, &cik, submissions);
        // Companies that never filed XBRL have no facts file: identity without figures.
        match self
            .get::<CompanyFacts>(
                "company facts",
                &["api", "xbrl", "companyfacts", &format!("{cik}.json")],
            )
            .await
        {
            Ok((raw, facts)) => {
                profile.keep_raw("companyfacts", raw);
                profile.financials = annual_financials(&facts);
            }
            Err(ProviderError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
        Ok(profile)
    }
}

fn fill(profile: &mut CompanyProfile, cik: &str, submissions: Submissions) {
    profile.identifiers.push(Identifier {
        kind: IdentifierKind::UsCik,
        value: cik.trim_start_matches("CIK").to_owned(),
    });
    for (kind, value) in [
        (IdentifierKind::UsEin, &submissions.ein),
        (IdentifierKind::Lei, &submissions.lei),
    ] {
        if let Some(value) = non_blank(value.as_deref()) {
            profile.identifiers.push(Identifier { kind, value });
        }
    }
    profile.legal_name = non_blank(submissions.name.as_deref());
    profile.legal_form = non_blank(submissions.entity_type.as_deref()).map(|kind| LegalForm {
        code: None,
        name: Some(kind),
    });
    profile.jurisdiction = non_blank(submissions.state_of_incorporation.as_deref())
        .map(|s| if s.len() == 2 { format!("US-{s}") } else { s });
    if let Some(code) = non_blank(submissions.sic.as_deref()) {
        profile.industry_codes.push(IndustryCode {
            scheme: "US SIC",
            code,
            description: non_blank(submissions.sic_description.as_deref()),
            main: true,
        });
    }
    for (kind, address) in [
        (AddressKind::Business, submissions.addresses.business),
        (AddressKind::Mailing, submissions.addresses.mailing),
    ] {
        if let Some(address) = address {
            let foreign = address.is_foreign_location.is_some_and(|f| f != 0);
            profile.addresses.push(Address {
                kind,
                lines: [address.street1, address.street2]
                    .into_iter()
                    .flatten()
                    .filter(|l| !l.trim().is_empty())
                    .collect(),
                city: address.city,
                region: address.state_or_country,
                postal_code: address.zip_code,
                country: if foreign {
                    address.country_code.or(address.country)
                } else {
                    Some("US".to_owned())
                },
                full: None,
            });
        }
    }
    // EDGAR has no status; a deregistration form is the one definite signal it gives.
    let recent = submissions.filings.recent;
    if let Some((index, form)) = recent
        .form
        .iter()
        .enumerate()
        .find(|(_, form)| DEREGISTRATION_FORMS.contains(&form.as_str()))
    {
        profile.status = Some(StatusInfo {
            status: RegistryStatus::Inactive,
            original: format!("form {form} filed"),
            detail: None,
            since: opt_date(recent.filing_date.get(index).map(String::as_str)),
        });
    }
}

/// One figure per fiscal year from the annual reports: only 10-K facts for a full fiscal
/// year count; a period repeated by later filings takes the latest filing's value (which
/// carries restatements) and the fiscal-year label of the first filing that reported it.
fn annual_financials(facts: &CompanyFacts) -> Vec<FinancialYear> {
    let gaap = facts.facts.get("us-gaap");
    let series = |concepts: &[&str], duration: bool| {
        let mut merged: BTreeMap<i32, (NaiveDate, Decimal)> = BTreeMap::new();
        for concept in concepts {
            let Some(usd) = gaap
                .and_then(|g| g.get(*concept))
                .and_then(|c| c.units.get("USD"))
            else {
                continue;
            };
            for (year, value) in annual(usd, duration) {
                merged.entry(year).or_insert(value);
            }
        }
        merged
    };
    let revenue = series(REVENUE, true);
    let net_income = series(NET_INCOME, true);
    let assets = series(ASSETS, false);
    let equity = series(EQUITY, false);
    let mut years: BTreeMap<i32, FinancialYear> = BTreeMap::new();
    for (map, set) in [
        (
            &revenue,
            (|y: &mut FinancialYear, v| y.revenue = Some(v)) as fn(&mut FinancialYear, Decimal),
        ),
        (&net_income, |y, v| y.net_income = Some(v)),
        (&assets, |y, v| y.assets = Some(v)),
        (&equity, |y, v| y.equity = Some(v)),
    ] {
        for (fiscal_year, (end, value)) in map {
            let year = years.entry(*fiscal_year).or_insert_with(|| FinancialYear {
                fiscal_year: *fiscal_year,
                period_end: Some(*end),
                currency: "USD".to_owned(),
                revenue: None,
                net_income: None,
                assets: None,
                equity: None,
                debt: None,
                employees: None,
            });
            set(year, *value);
        }
    }
    years.into_values().collect()
}

/// Annual values of one concept by fiscal year, each with its period end.
fn annual(facts: &[Fact], duration: bool) -> BTreeMap<i32, (NaiveDate, Decimal)> {
    let mut periods: HashMap<(Option<NaiveDate>, NaiveDate), Vec<&Fact>> = HashMap::new();
    for fact in facts {
        let annual_report = fact.form.as_deref().is_some_and(|f| f.starts_with("10-K"))
            && fact.fp.as_deref() == Some("FY");
        let Some(end) = opt_date(fact.end.as_deref()) else {
            continue;
        };
        let start = opt_date(fact.start.as_deref());
        // A 10-K also repeats quarterly figures; a fiscal year is 52/53 weeks (or twelve months).
        let full_year = match start {
            Some(start) => duration && (350..=380).contains(&(end - start).num_days()),
            None => !duration,
        };
        if annual_report && full_year {
            periods.entry((start, end)).or_default().push(fact);
        }
    }
    let mut by_year: BTreeMap<i32, (NaiveDate, Decimal)> = BTreeMap::new();
    for ((_, end), filings) in periods {
        let filed = |f: &&&Fact| {
            (
                f.filed.clone().unwrap_or_default(),
                f.accn.clone().unwrap_or_default(),
            )
        };
        let (Some(latest), Some(first)) = (
            filings.iter().max_by_key(filed),
            filings.iter().min_by_key(filed),
        ) else {
            continue;
        };
        let Some(value) = decimal_from_value(&latest.val) else {
            continue;
        };
        let fiscal_year = first.fy.unwrap_or_else(|| end.year());
        // Two periods labelled the same year (a changed fiscal year end): the later one wins.
        if by_year
            .get(&fiscal_year)
            .is_none_or(|(known, _)| *known < end)
        {
            by_year.insert(fiscal_year, (end, value));
        }
    }
    by_year
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Submissions {
    name: Option<String>,
    entity_type: Option<String>,
    sic: Option<String>,
    sic_description: Option<String>,
    ein: Option<String>,
    lei: Option<String>,
    state_of_incorporation: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    addresses: Addresses,
    #[serde(default, deserialize_with = "null_default")]
    filings: Filings,
}

#[derive(Debug, Default, Deserialize)]
struct Addresses {
    business: Option<EdgarAddress>,
    mailing: Option<EdgarAddress>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EdgarAddress {
    street1: Option<String>,
    street2: Option<String>,
    city: Option<String>,
    state_or_country: Option<String>,
    zip_code: Option<String>,
    is_foreign_location: Option<i64>,
    country: Option<String>,
    country_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Filings {
    #[serde(default, deserialize_with = "null_default")]
    recent: Recent,
}

/// Column arrays, zipped by index.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recent {
    #[serde(default, deserialize_with = "null_default")]
    form: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    filing_date: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CompanyFacts {
    #[serde(default, deserialize_with = "null_default")]
    facts: HashMap<String, HashMap<String, Concept>>,
}

#[derive(Debug, Deserialize)]
struct Concept {
    #[serde(default, deserialize_with = "null_default")]
    units: HashMap<String, Vec<Fact>>,
}

#[derive(Debug, Deserialize)]
struct Fact {
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    val: Value,
    accn: Option<String>,
    fy: Option<i32>,
    fp: Option<String>,
    form: Option<String>,
    filed: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::padded_cik;

    #[test]
    fn ciks_are_padded_to_ten_digits() {
        assert_eq!(padded_cik("320193"), "CIK0000320193");
        assert_eq!(padded_cik("0000320193"), "CIK0000320193");
    }
}
