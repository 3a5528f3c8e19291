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
