//! Company registry identifiers, parsed into a canonical form with their check digits verified.

use entity::enums::RegistryScheme;

/// A registry identifier known to be well-formed for its scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryIdValue {
    scheme: RegistryScheme,
    value: String,
}

/// Why an identifier was rejected; the message is shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRegistryId(String);

impl RegistryIdValue {
    /// Parses `raw` for `scheme`, tolerating spaces, dashes and lower case.
    ///
    /// # Errors
    /// When the identifier has the wrong shape or its check digits do not match.
    pub fn parse(scheme: RegistryScheme, raw: &str) -> Result<Self, InvalidRegistryId> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        let value = match scheme {
            RegistryScheme::Lei => parse_lei(&compact)?,
            RegistryScheme::RuInn => parse_inn(&compact)?,
            RegistryScheme::RuOgrn => parse_ogrn(&compact)?,
            RegistryScheme::GbCompanyNumber => parse_gb_company_number(&compact)?,
            RegistryScheme::UsCik => parse_cik(&compact)?,
        };
        Ok(Self { scheme, value })
    }

    #[must_use]
    pub const fn scheme(&self) -> RegistryScheme {
        self.scheme
    }

    /// The canonical form, as stored and as registries expect it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

fn invalid(message: &str) -> InvalidRegistryId {
    InvalidRegistryId(message.to_owned())
}

fn digits(text: &str) -> Option<Vec<u32>> {
    text.chars().map(|c| c.to_digit(10)).collect()
}

/// ISO 17442: 20 alphanumerics, the last two check digits by ISO 7064 MOD 97-10.
fn parse_lei(text: &str) -> Result<String, InvalidRegistryId> {
    if text.len() != 20 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid("an LEI has 20 letters and digits"));
    }
    if !text[18..].chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("an LEI ends in two check digits"));
    }
    let remainder = text.chars().fold(0u32, |acc, c| {
        // Letters count as two digits (A = 10 ... Z = 35); folding keeps the number small.
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    if remainder == 1 {
        Ok(text.to_owned())
    } else {
        Err(invalid("the LEI check digits do not match (ISO 17442)"))
    }
}

fn weighted_check(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11 % 10
}

/// Russian taxpayer number: 10 digits for companies, 12 for individuals, with check digits.
fn parse_inn(text: &str) -> Result<String, InvalidRegistryId> {
    const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let d = digits(text).ok_or_else(|| invalid("an INN has only digits"))?;
    let valid = match d.len() {
        10 => weighted_check(&d, &W10) == d[9],
        12 => weighted_check(&d, &W11) == d[10] && weighted_check(&d, &W12) == d[11],
        _ => return Err(invalid("an INN has 10 digits (company) or 12 (individual)")),
    };
    if valid {
        Ok(text.to_owned())
    } else {
        Err(invalid("the INN check digits do not match"))
    }
}

/// Russian state registration number: 13 digits (OGRN) or 15 (OGRNIP); the last digit is the
/// rest of the others divided by 11 (or 13), modulo 10.
fn parse_ogrn(text: &str) -> Result<String, InvalidRegistryId> {
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("an OGRN has only digits"));
    }
    let divisor = match text.len() {
        13 => 11,
        15 => 13,
        _ => return Err(invalid("an OGRN has 13 digits (OGRNIP: 15)")),
    };
    let (body, check) = text.split_at(text.len() - 1);
    let body: u64 = body
        .parse()
        .map_err(|_| invalid("an OGRN has only digits"))?;
    let expected = body % divisor % 10;
    if check == expected.to_string() {
        Ok(text.to_owned())
    } else {
        Err(invalid("the OGRN check digit does not match"))
    }
}

/// UK Companies House number: eight digits, or a two-letter prefix (SC, NI, OC, ...) and six
/// digits. Shorter all-digit numbers are zero-padded, as Companies House does.
fn parse_gb_company_number(text: &str) -> Result<String, InvalidRegistryId> {
    const SHAPE: &str =
        "a UK company number has 8 characters: 8 digits, or a 2-letter prefix and 6 digits";
    if !text.is_ascii() {
        return Err(invalid(SHAPE));
    }
    let all_digits = text.chars().all(|c| c.is_ascii_digit());
    if all_digits && (1..=8).contains(&text.len()) {
        return Ok(format!("{text:0>8}"));
    }
    let (prefix, rest) = text.split_at(text.len().min(2));
    if text.len() == 8
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && prefix.chars().any(|c| c.is_ascii_alphabetic())
        && rest.chars().all(|c| c.is_ascii_digit())
    {
        return Ok(text.to_owned());
    }
    Err(invalid(SHAPE))
}

/// SEC Central Index Key: up to ten digits, kept zero-padded to ten as EDGAR's URLs use it.
fn parse_cik(text: &str) -> Result<String, InvalidRegistryId> {
    let number = text.strip_prefix("CIK").unwrap_or(text);
    if number.is_empty() || number.len() > 10 || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("a CIK has 1 to 10 digits"));
    }
    if number.chars().all(|c| c == '0') {
        return Err(invalid("a CIK is not zero"));
    }
    Ok(format!("{number:0>10}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(scheme: RegistryScheme, raw: &str) -> String {
        RegistryIdValue::parse(scheme, raw)
            .map(|id| id.as_str().to_owned())
            .unwrap_or_else(|e| panic!("{raw} rejected: {e}"))
    }

    #[test]
    fn real_identifiers_are_accepted_in_canonical_form() {
        assert_eq!(
            ok(RegistryScheme::Lei, "inr2ejn1eran0w5zp974"),
            "INR2EJN1ERAN0W5ZP974"
        );
        assert_eq!(ok(RegistryScheme::RuInn, "7707083893"), "7707083893");
        assert_eq!(ok(RegistryScheme::RuInn, "7704123450"), "7704123450");
        assert_eq!(ok(RegistryScheme::RuInn, "500100732259"), "500100732259");
        assert_eq!(ok(RegistryScheme::RuOgrn, "1027700132195"), "1027700132195");
        assert_eq!(ok(RegistryScheme::RuOgrn, "1177746123455"), "1177746123455");
        assert_eq!(
            ok(RegistryScheme::RuOgrn, "304500116000157"),
            "304500116000157"
        );
        assert_eq!(ok(RegistryScheme::GbCompanyNumber, "445790"), "00445790");
        assert_eq!(ok(RegistryScheme::GbCompanyNumber, "sc123456"), "SC123456");
        assert_eq!(ok(RegistryScheme::UsCik, "320193"), "0000320193");
        assert_eq!(ok(RegistryScheme::UsCik, "CIK0000320193"), "0000320193");
    }

    #[test]
    fn wrong_check_digits_are_rejected() {
        for (scheme, raw) in [
            (RegistryScheme::Lei, "INR2EJN1ERAN0W5ZP975"),
            (RegistryScheme::RuInn, "7707083894"),
            (RegistryScheme::RuInn, "500100732258"),
            (RegistryScheme::RuOgrn, "1027700132196"),
            (RegistryScheme::RuInn, "770708389"),
            (RegistryScheme::GbCompanyNumber, "ABCDEFGH"),
            (RegistryScheme::UsCik, "12345678901"),
        ] {
            assert!(
                RegistryIdValue::parse(scheme, raw).is_err(),
                "{raw} accepted"
            );
        }
    }

    proptest! {
        #[test]
        fn a_changed_inn_check_digit_is_caught(delta in 1u32..10) {
            let check = (3 + delta) % 10;
            let raw = format!("770708389{check}");
            prop_assert!(RegistryIdValue::parse(RegistryScheme::RuInn, &raw).is_err());
        }

        #[test]
        fn an_lei_with_computed_check_digits_is_accepted(body in "[0-9A-Z]{18}") {
            let number: String = body.chars().map(|c| c.to_digit(36).unwrap_or(0).to_string()).collect::<String>() + "00";
            let remainder = number.chars().fold(0u32, |acc, c| (acc * 10 + c.to_digit(10).unwrap_or(0)) % 97);
            let lei = format!("{body}{:02}", 98 - remainder);
            prop_assert!(RegistryIdValue::parse(RegistryScheme::Lei, &lei).is_ok());
        }

        #[test]
        fn parsing_never_panics(scheme_index in 0usize..5, raw in "\\PC{0,30}") {
            let scheme = [RegistryScheme::Lei, RegistryScheme::RuInn, RegistryScheme::RuOgrn, RegistryScheme::GbCompanyNumber, RegistryScheme::UsCik][scheme_index];
            let _ = RegistryIdValue::parse(scheme, &raw);
        }
    }
}
