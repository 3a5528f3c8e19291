//! Money: an exact decimal amount with an ISO 4217 currency. Stored as a fixed-point integer with
//! four decimal places, which holds every currency's minor unit and sums exactly in SQL on both
//! backends.

use rust_decimal::Decimal;

/// Decimal places kept in storage.
pub const SCALE: u32 = 4;

/// Why an amount or currency was rejected; the message is shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts have at most {SCALE} decimal places")]
    TooPrecise,
    #[error("the amount is too large")]
    TooLarge,
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
}

/// Converts an amount to its stored fixed-point form.
///
/// # Errors
/// When the amount has more than four decimal places or does not fit.
pub fn to_e4(amount: Decimal) -> Result<i64, MoneyError> {
    let normalized = amount.normalize();
    if normalized.scale() > SCALE {
        return Err(MoneyError::TooPrecise);
    }
    let scaled = normalized
        .checked_mul(Decimal::from(10_000))
        .ok_or(MoneyError::TooLarge)?;
    i64::try_from(scaled).map_err(|_| MoneyError::TooLarge)
}

/// The decimal value of a stored fixed-point amount, with two decimals at least, as amounts are
/// usually written (`"1250000.00"`).
#[must_use]
pub fn from_e4(stored: i64) -> Decimal {
    let mut amount = Decimal::new(stored, SCALE).normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}

/// Parses an ISO 4217 currency code, in any case, into its upper-case form.
///
/// # Errors
/// When the code is not in ISO 4217.
pub fn parse_currency(code: &str) -> Result<String, MoneyError> {
    let upper = code.trim().to_ascii_uppercase();
    iso_currency::Currency::from_code(&upper)
        .map(|currency| currency.code().to_owned())
        .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_keep_their_value_through_storage() {
        let amount: Decimal = "1250000.00".parse().unwrap_or_default();
        assert_eq!(to_e4(amount), Ok(12_500_000_000));
        assert_eq!(from_e4(12_500_000_000).to_string(), "1250000.00");
        assert_eq!(from_e4(12_345).to_string(), "1.2345");
    }

    #[test]
    fn a_fifth_decimal_place_is_refused() {
        let amount: Decimal = "0.00001".parse().unwrap_or_default();
        assert_eq!(to_e4(amount), Err(MoneyError::TooPrecise));
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!(parse_currency("rub"), Ok("RUB".to_owned()));
        assert!(parse_currency("XYZ1").is_err());
        assert!(parse_currency("ABC").is_err());
    }

    proptest! {
        #[test]
        fn storage_round_trips(stored in any::<i64>()) {
            prop_assert_eq!(to_e4(from_e4(stored)), Ok(stored));
        }
    }
}
