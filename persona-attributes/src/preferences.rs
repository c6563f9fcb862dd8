//! Preferences: hobbies, interests, tastes, technology and travel (reference §2.9).

use serde::{Deserialize, Serialize};

use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Relationship with technology.
    TechnologyUse as "technology_use" {
        Minimal = "minimal",
        Basic = "basic",
        Moderate = "moderate",
        Advanced = "advanced",
        Expert = "expert",
        EarlyAdopter = "early-adopter",
        TechSavvy = "tech-savvy",
        DigitalNative = "digital-native",
        Luddite = "luddite",
    }
}

vocabulary! {
    /// Preferred way to travel.
    TravelStyle as "travel_style" {
        Luxury = "luxury",
        Budget = "budget",
        Backpacking = "backpacking",
        Business = "business",
        Family = "family",
        Adventure = "adventure",
        Cultural = "cultural",
        Relaxation = "relaxation",
        EcoTourism = "eco-tourism",
        Solo = "solo",
        Group = "group",
        Domestic = "domestic",
        International = "international",
        None = "none",
    }
}

/// What a person likes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// Hobbies (at most 30).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hobbies: Vec<String>,
    /// Interests (at most 40).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<String>,
    /// Favourite foods (at most 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub favorite_foods: Vec<String>,
    /// Favourite music (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub favorite_music: Vec<String>,
    /// Favourite movies (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub favorite_movies: Vec<String>,
    /// Favourite books (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub favorite_books: Vec<String>,
    /// Relationship with technology.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technology_use: Option<Vocab<TechnologyUse>>,
    /// Preferred way to travel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel_style: Option<Vocab<TravelStyle>>,
}
