//! Secret values: one-time codes and access tokens.
//!
//! Each type zeroizes its memory on drop and prints `[redacted]` in Debug, so "never log a
//! secret" is enforced by the compiler. Reading the value needs an explicit `expose()`.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::from(value.into()))
            }

            /// The secret itself; keep the borrow short and never log it.
            pub fn expose(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                use subtle::ConstantTimeEq;
                self.expose().as_bytes().ct_eq(other.expose().as_bytes()).into()
            }
        }
    };
}

secret_string!(
    /// A one-time sign-in code as typed or as generated.
    OtpCode
);

secret_string!(
    /// An opaque bearer token issued at sign-in.
    AccessToken
);

secret_string!(
    /// A temporary access pass (TAP) as typed or as issued: the way in when no text comes.
    AccessPass
);

secret_string!(
    /// A provider's refresh token: kept in the kiosk's memory only (never on disk, never given to
    /// the session), revoked and zeroized at sign-out.
    RefreshToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_value() {
        let code = OtpCode::new("123456");
        let token = AccessToken::new("tok_abcdef");
        let shown = format!("{code:?} {token:?}");
        assert_eq!(shown, "OtpCode([redacted]) AccessToken([redacted])");
        assert_eq!(code.expose(), "123456");
    }

    #[test]
    fn equal_secrets_compare_equal() {
        assert_eq!(OtpCode::new("123456"), OtpCode::new("123456"));
        assert_ne!(OtpCode::new("123456"), OtpCode::new("123457"));
    }
}
