//! GLEIF LEI API (JSON:API, no key): identity, legal form, addresses, entity and LEI
//! registration status, and parent links.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use entity::enums::RegistryScheme;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

use super::{
    Address, AddressKind, Candidate, CompanyProfile, Identifier, IdentifierKind, LegalForm,
    ParentLink, ParentRelation, Provider, ProviderError, ProviderId, RegistryStatus, StatusInfo,
    check_scheme,
    de::{non_blank, null_default, opt_date},
    endpoint,
    http::HttpClient,
    settings::ProviderConfig,
};

const ID: ProviderId = ProviderId::Gleif;
const SCHEMES: &[RegistryScheme] = &[RegistryScheme::Lei];
/// Candidates asked for per search.
const SEARCH_PAGE_SIZE: &str = "20";

/// The GLEIF client.
#[derive(Debug)]
pub struct Gleif {
    http: HttpClient,
    base_url: reqwest::Url,
}

impl Gleif {
    /// A GLEIF client; GLEIF needs no key.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.api+json"));
        Ok(Self {
            http: HttpClient::new(ID, config.policy, headers, Vec::new())?,
            base_url: config.base_url,
        })
    }

    async fn record(
        &self,
        segments: &[&str],
        what: &'static str,
    ) -> Result<(Value, Record), ProviderError> {
        let url = endpoint(ID, &self.base_url, segments)?;
        let (raw, single) = self
            .http
            .get_json::<Single, _>(what, |client| client.get(url.clone()))
            .await?;
        Ok((raw, single.data))
    }

    /// The parent behind a relationship, when GLEIF reports one; a 404 means none.
    async fn parent(
        &self,
        lei: &str,
        relation: ParentRelation,
        path: &str,
        profile: &mut CompanyProfile,
    ) -> Result<(), ProviderError> {
        match self
            .record(&["lei-records", lei, path], "parent record")
            .await
        {
            Ok((raw, parent)) => {
                profile.keep_raw(path, raw);
                profile.parents.push(ParentLink {
                    relation,
                    lei: parent.attributes.lei,
                    name: parent.attributes.entity.legal_name.and_then(|n| n.name),
                });
                Ok(())
            }
            Err(ProviderError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[async_trait]
impl Provider for Gleif {
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
        let (raw, record) = self.record(&["lei-records", id], "LEI record").await?;
        let mut profile = CompanyProfile::new(
            ID,
            Identifier {
                kind: IdentifierKind::Lei,
                value: id.to_owned(),
            },
        );
        profile.keep_raw("lei-record", raw);
        let has_parent = |name: &str| {
            record
                .relationships
                .get(name)
                .is_some_and(|r| r.links.contains_key("related"))
        };
        let (direct, ultimate) = (has_parent("direct-parent"), has_parent("ultimate-parent"));
        let lei = record.attributes.lei.clone();
        fill(&mut profile, record.attributes);
        // Only ask for parents GLEIF says exist: a reporting exception costs no call.
        if direct {
            self.parent(&lei, ParentRelation::Direct, "direct-parent", &mut profile)
                .await?;
        }
        if ultimate {
            self.parent(
                &lei,
                ParentRelation::Ultimate,
                "ultimate-parent",
                &mut profile,
            )
            .await?;
        }
        Ok(profile)
    }

    async fn search_by_name(
        &self,
        name: &str,
        country: Option<&str>,
    ) -> Result<Vec<Candidate>, ProviderError> {
        let mut url = endpoint(ID, &self.base_url, &["lei-records"])?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("filter[entity.legalName]", name);
            if let Some(country) = country {
                query.append_pair(
                    "filter[entity.legalAddress.country]",
                    &country.to_ascii_uppercase(),
                );
            }
            query.append_pair("page[size]", SEARCH_PAGE_SIZE);
        }
        let (_, list) = self
            .http
            .get_json::<List, _>("LEI search", |client| client.get(url.clone()))
            .await?;
        let retrieved_at = Utc::now();
        Ok(list
            .data
            .into_iter()
            .filter_map(|record| {
                let attributes = record.attributes;
                let entity = attributes.entity;
                Some(Candidate {
                    source: ID,
                    retrieved_at,
                    scheme: RegistryScheme::Lei,
                    registry_id: attributes.lei,
                    name: entity.legal_name.as_ref().and_then(|n| n.name.clone())?,
                    status: Some(status(&entity, attributes.registration.status.as_deref())),
                    address: entity.legal_address.as_ref().map(one_line),
                    country: entity
                        .legal_address
                        .as_ref()
                        .and_then(|a| a.country.clone()),
                    founded_on: opt_date(entity.creation_date.as_deref()),
                })
            })
            .collect())
    }
}

fn fill(profile: &mut CompanyProfile, attributes: Attributes) {
    let entity = attributes.entity;
    profile.identifiers.push(Identifier {
        kind: IdentifierKind::Lei,
        value: attributes.lei,
    });
    if let Some(number) = non_blank(entity.registered_as.as_deref()) {
        let authority = entity
            .registered_at
            .as_ref()
            .and_then(|r| non_blank(r.id.as_deref()));
        // RA000585 is Companies House: there the local number is a GB company number.
        let kind = if authority.as_deref() == Some("RA000585") {
            IdentifierKind::GbCompanyNumber
        } else {
            IdentifierKind::LocalRegistration
        };
        let value = match (kind, authority) {
            (IdentifierKind::LocalRegistration, Some(authority)) => format!("{authority}:{number}"),
            _ => number,
        };
        profile.identifiers.push(Identifier { kind, value });
    }
    profile.status = Some(status(&entity, attributes.registration.status.as_deref()));
    profile.legal_name = entity.legal_name.as_ref().and_then(|n| n.name.clone());
    profile.legal_form = entity.legal_form.as_ref().and_then(|form| {
        let code = non_blank(form.id.as_deref());
        let name = non_blank(form.other.as_deref());
        (code.is_some() || name.is_some()).then_some(LegalForm { code, name })
    });
    profile.founded_on = opt_date(entity.creation_date.as_deref());
    profile.jurisdiction = non_blank(entity.jurisdiction.as_deref());
    for (kind, address) in [
        (AddressKind::Legal, entity.legal_address),
        (AddressKind::Headquarters, entity.headquarters_address),
    ] {
        if let Some(address) = address {
            profile.addresses.push(Address {
                kind,
                full: None,
                lines: address.address_lines.clone(),
                city: address.city,
                region: address.region,
                postal_code: address.postal_code,
                country: address.country,
            });
        }
    }
}

/// `entity.status` is the company; `registration.status` is only the LEI subscription (a
/// LAPSED LEI does not mean the company is gone), so it is kept as detail, never mapped.
fn status(entity: &Entity, registration: Option<&str>) -> StatusInfo {
    let original = entity.status.clone().unwrap_or_default();
    let reason = entity.expiration.as_ref().and_then(|e| e.reason.as_deref());
    let events: Vec<&str> = entity
        .event_groups
        .iter()
        .flat_map(|group| {
            group
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|event| event.get("type").and_then(Value::as_str))
        .collect();
    let has = |kind: &str| events.contains(&kind);
    let common = match original.as_str() {
        "ACTIVE" if has("LIQUIDATION") => RegistryStatus::Liquidating,
        "ACTIVE" => RegistryStatus::Active,
        "INACTIVE" if has("BANKRUPTCY") || has("INSOLVENCY") => RegistryStatus::Bankrupt,
        "INACTIVE" if has("LIQUIDATION") => RegistryStatus::Liquidated,
        "INACTIVE" if reason == Some("DISSOLVED") || has("DISSOLUTION") => {
            RegistryStatus::Dissolved
        }
        "INACTIVE" => RegistryStatus::Inactive,
        _ => RegistryStatus::Unknown,
    };
    StatusInfo {
        status: common,
        original,
        detail: registration.map(|r| format!("LEI registration {r}")),
        since: opt_date(entity.expiration.as_ref().and_then(|e| e.date.as_deref())),
    }
}

fn one_line(address: &GleifAddress) -> String {
    address
        .address_lines
        .iter()
        .cloned()
        .chain(address.postal_code.clone())
        .chain(address.city.clone())
        .chain(address.country.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Deserialize)]
struct Single {
    data: Record,
}

#[derive(Debug, Deserialize)]
struct List {
    #[serde(default, deserialize_with = "null_default")]
    data: Vec<Record>,
}

#[derive(Debug, Deserialize)]
struct Record {
    attributes: Attributes,
    #[serde(default, deserialize_with = "null_default")]
    relationships: HashMap<String, Relationship>,
}

#[derive(Debug, Default, Deserialize)]
struct Relationship {
    #[serde(default, deserialize_with = "null_default")]
    links: HashMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct Attributes {
    lei: String,
    entity: Entity,
    #[serde(default, deserialize_with = "null_default")]
    registration: Registration,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entity {
    legal_name: Option<Name>,
    legal_address: Option<GleifAddress>,
    headquarters_address: Option<GleifAddress>,
    registered_at: Option<IdOther>,
    registered_as: Option<String>,
    jurisdiction: Option<String>,
    legal_form: Option<IdOther>,
    status: Option<String>,
    expiration: Option<Expiration>,
    creation_date: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    event_groups: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Registration {
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Name {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GleifAddress {
    #[serde(default, deserialize_with = "null_default")]
    address_lines: Vec<String>,
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
    postal_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdOther {
    id: Option<String>,
    other: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Expiration {
    date: Option<String>,
    reason: Option<String>,
}
