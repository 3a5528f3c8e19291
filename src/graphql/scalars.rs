//! Custom scalars of the API.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// An exact decimal number, written as a string such as `"1250000.00"` so that no client parses
/// money into a float. Inputs also accept a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal number, written as a string such as `"1250000.00"` so that no client parses
/// money into a float. Inputs also accept a JSON number.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => {
                text.trim().parse().map(Self).map_err(|_| {
                    InputValueError::custom(format!("`{text}` is not a decimal number"))
                })
            }
            Value::Number(number) => number.to_string().parse().map(Self).map_err(|_| {
                InputValueError::custom(format!("`{number}` is not a decimal number"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Self(value)
    }
}

/// A length of time: a number of seconds (`3600`) or a duration such as `"90d"`, `"12h"` or
/// `"1h 30m"`. Only accepted as input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration(String);

/// A length of time: a number of seconds (`3600`) or a duration such as `"90d"`, `"12h"` or
/// `"1h 30m"`. Only accepted as input.
#[Scalar(name = "Duration")]
impl ScalarType for Duration {
    // Read as text and parsed by the resolver, so that a bad value is a `BAD_USER_INPUT`
    // naming its field like every other input error.
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Self(text)),
            Value::Number(number) => Ok(Self(number.to_string())),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl Duration {
    /// The length of time given in input `field`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `field` when it is neither whole seconds nor a duration.
    pub fn parse(&self, field: &str) -> crate::error::AppResult<std::time::Duration> {
        let text = self.0.trim();
        text.parse::<u64>()
            .map(std::time::Duration::from_secs)
            .or_else(|_| crate::config::parse_duration(text))
            .map_err(|_| {
                crate::error::AppError::bad_input(
                    field,
                    format!(
                        "`{field}` is a number of seconds or a duration such as \"90d\" or \"12h\""
                    ),
                )
            })
    }
}
