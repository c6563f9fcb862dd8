//! Controlled vocabularies: the enumerated values of the reference model as Rust enums.
//!
//! A vocabulary field is stored as [`Vocab<T>`]: either a [`Vocab::Known`] value of the enum, or the
//! raw [`Vocab::Unknown`] string that was read. Keeping unknown strings (rather than failing to
//! deserialise) lets the SDK read data written by other systems as-is, report every out-of-vocabulary
//! value through validation, and repair it with `normalize` and the public
//! [alias table](crate::aliases::ALIASES).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An enumerated vocabulary: a closed set of canonical kebab-case values.
pub trait Vocabulary: Sized + Clone + PartialEq + fmt::Debug + Send + Sync + 'static {
    /// The vocabulary's name as used in the [alias table](crate::aliases::ALIASES), e.g. `"education"`.
    const NAME: &'static str;
    /// Every canonical value, in the reference model's order.
    const VALUES: &'static [&'static str];
    /// Parses a canonical value (exact match, no normalisation).
    fn parse(value: &str) -> Option<Self>;
    /// The canonical wire value.
    fn as_str(&self) -> &str;
}

/// A vocabulary field's value: a known enum value or the raw string that was read.
///
/// Serialises as the plain string either way, so data round-trips unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Vocab<T> {
    /// A value of the vocabulary.
    Known(T),
    /// A string outside the vocabulary, kept verbatim; validation reports it.
    Unknown(String),
}

impl<T: Vocabulary> Vocab<T> {
    /// Parses `value` exactly; anything outside the vocabulary becomes [`Vocab::Unknown`].
    pub fn from_raw(value: impl Into<String>) -> Self {
        let value = value.into();
        match T::parse(&value) {
            Some(known) => Vocab::Known(known),
            None => Vocab::Unknown(value),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Vocab::Known(value) => value.as_str(),
            Vocab::Unknown(raw) => raw,
        }
    }

    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            Vocab::Known(value) => Some(value),
            Vocab::Unknown(_) => None,
        }
    }

    /// True when the raw value is empty or whitespace only (treated as "not set").
    pub fn is_blank(&self) -> bool {
        matches!(self, Vocab::Unknown(raw) if raw.trim().is_empty())
    }
}

impl<T> From<T> for Vocab<T> {
    fn from(value: T) -> Self {
        Vocab::Known(value)
    }
}

impl<T: Vocabulary> fmt::Display for Vocab<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: Vocabulary> Serialize for Vocab<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, T: Vocabulary> Deserialize<'de> for Vocab<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<T: Vocabulary> serde::de::Visitor<'_> for Visitor<T> {
            type Value = Vocab<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a {} string", T::NAME)
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(match T::parse(value) {
                    Some(known) => Vocab::Known(known),
                    None => Vocab::Unknown(value.to_owned()),
                })
            }
            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Self::Value, E> {
                Ok(Vocab::from_raw(value))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// Error returned by `FromStr` on a vocabulary enum for a value outside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// The vocabulary's name.
    pub vocabulary: &'static str,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a {} value", self.vocabulary)
    }
}

impl std::error::Error for UnknownValue {}

/// Defines a closed vocabulary enum with its canonical strings.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident as $vocab:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $value, "`")] $variant, )+
        }

        impl $crate::vocab::Vocabulary for $name {
            const NAME: &'static str = $vocab;
            const VALUES: &'static [&'static str] = &[$($value),+];
            fn parse(value: &str) -> Option<Self> {
                match value {
                    $( $value => Some(Self::$variant), )+
                    _ => None,
                }
            }
            fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )+
                }
            }
        }

        impl $name {
            /// The canonical wire value.
            pub const fn as_static_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $value, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_static_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                <Self as $crate::vocab::Vocabulary>::parse(value)
                    .ok_or($crate::vocab::UnknownValue { vocabulary: $vocab })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_static_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                <Self as $crate::vocab::Vocabulary>::parse(&raw).ok_or_else(|| {
                    ::serde::de::Error::unknown_variant(&raw, <Self as $crate::vocab::Vocabulary>::VALUES)
                })
            }
        }
    };
}
pub(crate) use vocabulary;

/// Gender: the reference vocabulary plus any self-described value.
///
/// The reference accepted "any custom value" whose normalised form is 1–50 characters and contains
/// none of `< > { } [ ]`. Such a value is [`Gender::Other`] carrying the text; the bare word `other`
/// is `Other` with an empty string. A value breaking the custom-value rule does not parse and is kept
/// as [`Vocab::Unknown`], which validation reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gender {
    /// `male`
    Male,
    /// `female`
    Female,
    /// `non-binary`
    NonBinary,
    /// `prefer-not-to-say`
    PreferNotToSay,
    /// `other` (empty string) or a self-described gender (the text).
    Other(String),
}

/// The longest self-described gender, in characters.
pub const GENDER_CUSTOM_MAX_CHARS: usize = 50;
const GENDER_FORBIDDEN: &[char] = &['<', '>', '{', '}', '[', ']'];

impl Vocabulary for Gender {
    const NAME: &'static str = "gender";
    const VALUES: &'static [&'static str] =
        &["male", "female", "non-binary", "other", "prefer-not-to-say"];

    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "male" => Gender::Male,
            "female" => Gender::Female,
            "non-binary" => Gender::NonBinary,
            "prefer-not-to-say" => Gender::PreferNotToSay,
            "other" => Gender::Other(String::new()),
            custom => {
                let chars = custom.chars().count();
                if chars == 0
                    || chars > GENDER_CUSTOM_MAX_CHARS
                    || custom.trim() != custom
                    || custom.contains(GENDER_FORBIDDEN)
                {
                    return None;
                }
                Gender::Other(custom.to_owned())
            }
        })
    }

    fn as_str(&self) -> &str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::NonBinary => "non-binary",
            Gender::PreferNotToSay => "prefer-not-to-say",
            Gender::Other(custom) if custom.is_empty() => "other",
            Gender::Other(custom) => custom,
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gender {
    type Err = UnknownValue;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Gender::parse(value).ok_or(UnknownValue {
            vocabulary: "gender",
        })
    }
}

impl Serialize for Gender {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Gender {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        // The error names the rule, not the value: a gender is personal data.
        Gender::parse(&raw).ok_or_else(|| {
            serde::de::Error::custom(
                "expected a gender value or a self-description of 1 to 50 characters without \
                 < > { } [ ]",
            )
        })
    }
}
