//! An e-mail address, checked and lower-cased at the boundary.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Email, String> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err("Enter an email address".into());
        }
        if value.len() > Self::MAX_LEN {
            return Err(format!("Email address must be {} characters or fewer", Self::MAX_LEN));
        }
        let valid = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && !value.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
            }
            None => false,
        };
        if !valid {
            return Err("Enter an email address in the correct format, like name@example.org".into());
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn accepts_and_lowercases_ordinary_addresses() {
        assert_eq!(Email::parse("  Jo.Bloggs@Swindon.gov.uk ").unwrap().as_str(), "jo.bloggs@swindon.gov.uk");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in ["", "   ", "jo", "jo@", "@x.org", "jo@x", "jo@@x.org", "jo @x.org", "jo@x..org", "jo@.x.org", "<jo>@x.org"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn refuses_over_long_addresses() {
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().contains("254"));
    }
}
