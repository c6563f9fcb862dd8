//! Culture and religion (reference §2.6).

use serde::{Deserialize, Serialize};

use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Degree or kind of spirituality.
    Spirituality as "spirituality" {
        VeryLow = "very-low",
        Low = "low",
        Moderate = "moderate",
        High = "high",
        VeryHigh = "very-high",
        None = "none",
        SpiritualNotReligious = "spiritual-not-religious",
        Religious = "religious",
        DeeplyReligious = "deeply-religious",
    }
}

vocabulary! {
    /// A dietary restriction.
    DietaryRestriction as "dietary_restriction" {
        Vegetarian = "vegetarian",
        Vegan = "vegan",
        Pescatarian = "pescatarian",
        Halal = "halal",
        Kosher = "kosher",
        GlutenFree = "gluten-free",
        DairyFree = "dairy-free",
        NutFree = "nut-free",
        ShellfishFree = "shellfish-free",
        LowSodium = "low-sodium",
        LowSugar = "low-sugar",
        Keto = "keto",
        Paleo = "paleo",
        Raw = "raw",
        OrganicOnly = "organic-only",
        NoPork = "no-pork",
        NoBeef = "no-beef",
        NoAlcohol = "no-alcohol",
    }
}

/// Culture, religion and their practices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CulturalReligious {
    /// Religion (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub religion: Option<String>,
    /// Degree or kind of spirituality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spirituality: Option<Vocab<Spirituality>>,
    /// Cultural background (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cultural_background: Option<String>,
    /// Traditions kept (at most 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traditions: Vec<String>,
    /// Holidays observed (at most 30).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Dietary restrictions (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dietary_restrictions: Vec<Vocab<DietaryRestriction>>,
}
