//! Money in the API: an exact `Decimal` amount with its ISO 4217 currency.

use async_graphql::SimpleObject;

use super::scalars::Decimal;

use crate::{
    domain::money::{self, MoneyError},
    error::{AppError, AppResult},
};

/// An amount of money in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct Money {
    /// The amount, exact (a string such as `"1250000.00"`).
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
}

impl Money {
    /// From a stored fixed-point amount.
    #[must_use]
    pub fn from_e4(e4: i64, currency: String) -> Self {
        Self {
            amount: Decimal(money::from_e4(e4)),
            currency,
        }
    }
}

/// A stored amount as an API decimal.
#[must_use]
pub fn decimal(e4: Option<i64>) -> Option<Decimal> {
    e4.map(|v| Decimal(money::from_e4(v)))
}

/// Validates an optional amount and currency given in `prefix.amount` and `prefix.currency`:
/// an amount needs a currency, a currency alone is allowed, and amounts have at most four
/// decimal places. Returns the stored amount and the canonical currency.
///
/// # Errors
/// `BAD_USER_INPUT` naming the field at fault.
pub fn parse_amount(
    prefix: &str,
    amount_field: &str,
    amount: Option<Decimal>,
    currency: Option<&str>,
) -> AppResult<(Option<i64>, Option<String>)> {
    let currency_field = format!("{prefix}currency");
    let currency = currency
        .map(|code| {
            money::parse_currency(code)
                .map_err(|err| AppError::bad_input(currency_field.clone(), err.to_string()))
        })
        .transpose()?;
    let amount_field = format!("{prefix}{amount_field}");
    let amount = amount
        .map(|value| {
            money::to_e4(value.0).map_err(|err: MoneyError| {
                AppError::bad_input(amount_field.clone(), err.to_string())
            })
        })
        .transpose()?;
    if amount.is_some() && currency.is_none() {
        return Err(AppError::bad_input(
            currency_field,
            "an amount needs its ISO 4217 currency",
        ));
    }
    Ok((amount, currency))
}
