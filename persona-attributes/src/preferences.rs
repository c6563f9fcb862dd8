//! Preferences: hobbies, interests, tastes, technology and travel (reference §2.9).

use serde::{Deserialize, Serialize};

use crate::category::Categories;
use crate::keywords::{self, KeywordTable};
use crate::processor::{AnalysisContext, Processor};
use crate::psychographics::Level;
use crate::text;
use crate::validate::{FieldPath, ValidationReport, rules};
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

/// Hobby categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HobbyCategory {
    /// reading, writing, chess, puzzles
    Intellectual,
    /// running, cycling, swimming, hiking, yoga, gym
    Physical,
    /// painting, drawing, photography, music, singing, dancing, cooking, gardening
    Creative,
    /// gaming, programming, blogging, social-media
    Digital,
    /// traveling, volunteering, networking
    Social,
    /// collecting
    Collecting,
    /// crafting, woodworking, mechanics
    HandsOn,
    /// Anything else.
    Other,
}

static HOBBY_CATEGORIES: KeywordTable<HobbyCategory> = KeywordTable::new(
    HobbyCategory::Other,
    &[
        (
            HobbyCategory::Intellectual,
            &["reading", "writing", "chess", "puzzles"],
        ),
        (
            HobbyCategory::Physical,
            &["running", "cycling", "swimming", "hiking", "yoga", "gym"],
        ),
        (
            HobbyCategory::Creative,
            &[
                "painting",
                "drawing",
                "photography",
                "music",
                "singing",
                "dancing",
                "cooking",
                "gardening",
            ],
        ),
        (
            HobbyCategory::Digital,
            &["gaming", "programming", "blogging", "social-media"],
        ),
        (
            HobbyCategory::Social,
            &["traveling", "volunteering", "networking"],
        ),
        (HobbyCategory::Collecting, &["collecting"]),
        (
            HobbyCategory::HandsOn,
            &["crafting", "woodworking", "mechanics"],
        ),
    ],
);

/// Interest categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InterestCategory {
    /// science, history, philosophy, psychology, literature, mathematics
    Academic,
    /// technology, ai, robotics, space
    Technology,
    /// environment, politics, economics, culture
    Social,
    /// art, design, fashion, architecture
    Creative,
    /// sports, fitness, health, nutrition
    Physical,
    /// travel, food, wine, nature, animals
    Lifestyle,
    /// business, finance, marketing, leadership
    Professional,
    /// Anything else.
    Other,
}

static INTEREST_CATEGORIES: KeywordTable<InterestCategory> = KeywordTable::new(
    InterestCategory::Other,
    &[
        (
            InterestCategory::Academic,
            &[
                "science",
                "history",
                "philosophy",
                "psychology",
                "literature",
                "mathematics",
            ],
        ),
        (
            InterestCategory::Technology,
            &["technology", "ai", "robotics", "space"],
        ),
        (
            InterestCategory::Social,
            &["environment", "politics", "economics", "culture"],
        ),
        (
            InterestCategory::Creative,
            &["art", "design", "fashion", "architecture"],
        ),
        (
            InterestCategory::Physical,
            &["sports", "fitness", "health", "nutrition"],
        ),
        (
            InterestCategory::Lifestyle,
            &["travel", "food", "wine", "nature", "animals"],
        ),
        (
            InterestCategory::Professional,
            &["business", "finance", "marketing", "leadership"],
        ),
    ],
);

/// Food categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoodCategory {
    /// italian, chinese, japanese, mexican, indian, thai, french, greek
    Cuisine,
    /// pizza, burger, pasta, ice-cream, chocolate
    Comfort,
    /// sushi, wine, cheese, seafood, steak
    Sophisticated,
    /// salad, fruit, vegetables, smoothie, quinoa
    Healthy,
    /// spicy, sweet, savory, bitter
    FlavorProfile,
    /// Anything else.
    Other,
}

static FOOD_CATEGORIES: KeywordTable<FoodCategory> = KeywordTable::new(
    FoodCategory::Other,
    &[
        (
            FoodCategory::Cuisine,
            &[
                "italian", "chinese", "japanese", "mexican", "indian", "thai", "french", "greek",
            ],
        ),
        (
            FoodCategory::Comfort,
            &["pizza", "burger", "pasta", "ice-cream", "chocolate"],
        ),
        (
            FoodCategory::Sophisticated,
            &["sushi", "wine", "cheese", "seafood", "steak"],
        ),
        (
            FoodCategory::Healthy,
            &["salad", "fruit", "vegetables", "smoothie", "quinoa"],
        ),
        (
            FoodCategory::FlavorProfile,
            &["spicy", "sweet", "savory", "bitter"],
        ),
    ],
);

/// Music genres (keyword match; `rap` counts as hip-hop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MusicGenre {
    /// rock
    Rock,
    /// pop
    Pop,
    /// jazz
    Jazz,
    /// classical
    Classical,
    /// hip-hop, rap
    HipHop,
    /// country
    Country,
    /// blues
    Blues,
    /// electronic
    Electronic,
    /// folk
    Folk,
    /// reggae
    Reggae,
    /// metal
    Metal,
    /// punk
    Punk,
    /// indie
    Indie,
    /// alternative
    Alternative,
    /// Anything else.
    Other,
}

static MUSIC_GENRES: KeywordTable<MusicGenre> = KeywordTable::new(
    MusicGenre::Other,
    &[
        (MusicGenre::Rock, &["rock"]),
        (MusicGenre::Pop, &["pop"]),
        (MusicGenre::Jazz, &["jazz"]),
        (MusicGenre::Classical, &["classical"]),
        (MusicGenre::HipHop, &["hip-hop", "rap"]),
        (MusicGenre::Country, &["country"]),
        (MusicGenre::Blues, &["blues"]),
        (MusicGenre::Electronic, &["electronic"]),
        (MusicGenre::Folk, &["folk"]),
        (MusicGenre::Reggae, &["reggae"]),
        (MusicGenre::Metal, &["metal"]),
        (MusicGenre::Punk, &["punk"]),
        (MusicGenre::Indie, &["indie"]),
        (MusicGenre::Alternative, &["alternative"]),
    ],
);

/// Movie genres (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MovieGenre {
    /// action
    Action,
    /// comedy
    Comedy,
    /// drama
    Drama,
    /// horror
    Horror,
    /// thriller
    Thriller,
    /// romance
    Romance,
    /// sci-fi
    SciFi,
    /// fantasy
    Fantasy,
    /// documentary
    Documentary,
    /// animation
    Animation,
    /// mystery
    Mystery,
    /// crime
    Crime,
    /// war
    War,
    /// western
    Western,
    /// Anything else.
    Other,
}

static MOVIE_GENRES: KeywordTable<MovieGenre> = KeywordTable::new(
    MovieGenre::Other,
    &[
        (MovieGenre::Action, &["action"]),
        (MovieGenre::Comedy, &["comedy"]),
        (MovieGenre::Drama, &["drama"]),
        (MovieGenre::Horror, &["horror"]),
        (MovieGenre::Thriller, &["thriller"]),
        (MovieGenre::Romance, &["romance"]),
        (MovieGenre::SciFi, &["sci-fi"]),
        (MovieGenre::Fantasy, &["fantasy"]),
        (MovieGenre::Documentary, &["documentary"]),
        (MovieGenre::Animation, &["animation"]),
        (MovieGenre::Mystery, &["mystery"]),
        (MovieGenre::Crime, &["crime"]),
        (MovieGenre::War, &["war"]),
        (MovieGenre::Western, &["western"]),
    ],
);

/// Book genres (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BookGenre {
    /// fiction
    Fiction,
    /// non-fiction
    NonFiction,
    /// biography
    Biography,
    /// history
    History,
    /// science
    Science,
    /// philosophy
    Philosophy,
    /// psychology
    Psychology,
    /// business
    Business,
    /// self-help
    SelfHelp,
    /// romance
    Romance,
    /// mystery
    Mystery,
    /// thriller
    Thriller,
    /// fantasy
    Fantasy,
    /// sci-fi
    SciFi,
    /// poetry
    Poetry,
    /// Anything else.
    Other,
}

static BOOK_GENRES: KeywordTable<BookGenre> = KeywordTable::new(
    BookGenre::Other,
    &[
        (BookGenre::Fiction, &["fiction"]),
        (BookGenre::NonFiction, &["non-fiction"]),
        (BookGenre::Biography, &["biography"]),
        (BookGenre::History, &["history"]),
        (BookGenre::Science, &["science"]),
        (BookGenre::Philosophy, &["philosophy"]),
        (BookGenre::Psychology, &["psychology"]),
        (BookGenre::Business, &["business"]),
        (BookGenre::SelfHelp, &["self-help"]),
        (BookGenre::Romance, &["romance"]),
        (BookGenre::Mystery, &["mystery"]),
        (BookGenre::Thriller, &["thriller"]),
        (BookGenre::Fantasy, &["fantasy"]),
        (BookGenre::SciFi, &["sci-fi"]),
        (BookGenre::Poetry, &["poetry"]),
    ],
);

/// Diversity by number of categories: ≥6 very-diverse, ≥4 diverse, ≥2 moderate, 1 focused,
/// 0 none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Diversity {
    /// No categories.
    None,
    /// One.
    Focused,
    /// 2–3.
    Moderate,
    /// 4–5.
    Diverse,
    /// 6 or more.
    VeryDiverse,
}

impl Diversity {
    /// The diversity of `categories` categories.
    pub const fn of(categories: usize) -> Self {
        match categories {
            6.. => Diversity::VeryDiverse,
            4.. => Diversity::Diverse,
            2.. => Diversity::Moderate,
            1 => Diversity::Focused,
            0 => Diversity::None,
        }
    }
}

/// Breadth of interests by number of categories: ≥7 very-broad, ≥5 broad, ≥3 moderate,
/// ≥1 narrow, 0 none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Breadth {
    /// No categories.
    None,
    /// 1–2.
    Narrow,
    /// 3–4.
    Moderate,
    /// 5–6.
    Broad,
    /// 7 or more.
    VeryBroad,
}

impl Breadth {
    /// The breadth of `categories` categories.
    pub const fn of(categories: usize) -> Self {
        match categories {
            7.. => Breadth::VeryBroad,
            5.. => Breadth::Broad,
            3.. => Breadth::Moderate,
            1.. => Breadth::Narrow,
            0 => Breadth::None,
        }
    }
}

/// Culinary adventurousness from the number of cuisine and sophisticated foods: ≥8
/// very-adventurous, ≥5 adventurous, ≥2 moderate, 1 somewhat-adventurous, 0 traditional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Adventurousness {
    /// None.
    Traditional,
    /// One.
    SomewhatAdventurous,
    /// 2–4.
    Moderate,
    /// 5–7.
    Adventurous,
    /// 8 or more.
    VeryAdventurous,
}

impl Adventurousness {
    /// The adventurousness of `count` cuisine and sophisticated foods.
    pub const fn of(count: usize) -> Self {
        match count {
            8.. => Adventurousness::VeryAdventurous,
            5.. => Adventurousness::Adventurous,
            2.. => Adventurousness::Moderate,
            1 => Adventurousness::SomewhatAdventurous,
            0 => Adventurousness::Traditional,
        }
    }
}

/// Movie taste, first match wins: documentary or drama serious; comedy or animation
/// light-hearted; action or thriller excitement-seeking; sci-fi or fantasy imaginative; else
/// varied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoviePreference {
    /// Documentary or drama.
    Serious,
    /// Comedy or animation.
    LightHearted,
    /// Action or thriller.
    ExcitementSeeking,
    /// Sci-fi or fantasy.
    Imaginative,
    /// None of those.
    Varied,
}

/// Reading taste: more non-fiction than fiction educational; more fiction entertainment; else
/// self-improvement with self-help or business books; else balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadingPreference {
    /// More non-fiction than fiction.
    Educational,
    /// More fiction than non-fiction.
    Entertainment,
    /// Self-help or business books.
    SelfImprovement,
    /// None of those.
    Balanced,
}

/// Entertainment part of a [`PreferencesProfile`] (always present).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntertainmentProfile {
    /// Favourite music by genre.
    pub music_genres: Categories<MusicGenre>,
    /// From the number of music genres.
    pub music_diversity: Diversity,
    /// Favourite movies by genre.
    pub movie_genres: Categories<MovieGenre>,
    /// From the movie genres.
    pub movie_preferences: MoviePreference,
    /// Favourite books by genre.
    pub book_genres: Categories<BookGenre>,
    /// From the book genres.
    pub reading_preferences: ReadingPreference,
}

/// What a way of travelling says about the traveller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TravelPersonality {
    /// luxury
    ComfortSeeker,
    /// budget
    ValueConscious,
    /// backpacking
    Adventurous,
    /// business
    Efficient,
    /// family
    FamilyOriented,
    /// adventure
    ThrillSeeker,
    /// cultural
    CultureEnthusiast,
    /// relaxation
    RelaxationFocused,
    /// eco-tourism
    EnvironmentallyConscious,
    /// solo
    Independent,
    /// group
    Social,
    /// domestic
    LocalExplorer,
    /// international
    GlobalExplorer,
    /// none
    Homebody,
}

impl TravelPersonality {
    /// The personality of a travel style.
    pub const fn of(style: TravelStyle) -> Self {
        use TravelPersonality as P;
        use TravelStyle as S;
        match style {
            S::Luxury => P::ComfortSeeker,
            S::Budget => P::ValueConscious,
            S::Backpacking => P::Adventurous,
            S::Business => P::Efficient,
            S::Family => P::FamilyOriented,
            S::Adventure => P::ThrillSeeker,
            S::Cultural => P::CultureEnthusiast,
            S::Relaxation => P::RelaxationFocused,
            S::EcoTourism => P::EnvironmentallyConscious,
            S::Solo => P::Independent,
            S::Group => P::Social,
            S::Domestic => P::LocalExplorer,
            S::International => P::GlobalExplorer,
            S::None => P::Homebody,
        }
    }
}

impl TechnologyUse {
    /// Digital engagement: expert and early-adopter very-high; tech-savvy, digital-native and
    /// advanced high; moderate moderate; basic low; minimal and luddite very-low.
    pub const fn engagement(self) -> Level {
        use TechnologyUse as T;
        match self {
            T::Expert | T::EarlyAdopter => Level::VeryHigh,
            T::TechSavvy | T::DigitalNative | T::Advanced => Level::High,
            T::Moderate => Level::Moderate,
            T::Basic => Level::Low,
            T::Minimal | T::Luddite => Level::VeryLow,
        }
    }
}

/// The analysis of [`Preferences`] (reference `GetPreferencesProfile`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreferencesProfile {
    /// Hobbies by category.
    pub hobby_categories: Categories<HobbyCategory>,
    /// From the number of hobby categories (other included, as in the reference).
    pub hobby_diversity: Diversity,
    /// Interests by category.
    pub interest_categories: Categories<InterestCategory>,
    /// From the number of interest categories (other included).
    pub interest_breadth: Breadth,
    /// Favourite foods by category.
    pub food_categories: Categories<FoodCategory>,
    /// From the number of cuisine and sophisticated foods.
    pub culinary_adventurousness: Adventurousness,
    /// Music, movies and books.
    pub entertainment_profile: EntertainmentProfile,
    /// Technology use, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technology_use: Option<TechnologyUse>,
    /// [`TechnologyUse::engagement`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_engagement: Option<Level>,
    /// Travel style, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel_style: Option<TravelStyle>,
    /// [`TravelPersonality::of`] the style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel_personality: Option<TravelPersonality>,
}

fn entertainment(preferences: &Preferences) -> EntertainmentProfile {
    let music_genres = keywords::group(&MUSIC_GENRES, &preferences.favorite_music);
    let movie_genres = keywords::group(&MOVIE_GENRES, &preferences.favorite_movies);
    let book_genres = keywords::group(&BOOK_GENRES, &preferences.favorite_books);
    let has = |genre| movie_genres.contains(genre);
    let movie_preferences = if has(MovieGenre::Documentary) || has(MovieGenre::Drama) {
        MoviePreference::Serious
    } else if has(MovieGenre::Comedy) || has(MovieGenre::Animation) {
        MoviePreference::LightHearted
    } else if has(MovieGenre::Action) || has(MovieGenre::Thriller) {
        MoviePreference::ExcitementSeeking
    } else if has(MovieGenre::SciFi) || has(MovieGenre::Fantasy) {
        MoviePreference::Imaginative
    } else {
        MoviePreference::Varied
    };
    let fiction = book_genres.count(BookGenre::Fiction);
    let non_fiction = book_genres.count(BookGenre::NonFiction);
    let reading_preferences = if non_fiction > fiction {
        ReadingPreference::Educational
    } else if fiction > non_fiction {
        ReadingPreference::Entertainment
    } else if book_genres.contains(BookGenre::SelfHelp) || book_genres.contains(BookGenre::Business)
    {
        ReadingPreference::SelfImprovement
    } else {
        ReadingPreference::Balanced
    };
    EntertainmentProfile {
        music_diversity: Diversity::of(music_genres.len()),
        music_genres,
        movie_genres,
        movie_preferences,
        book_genres,
        reading_preferences,
    }
}

impl Processor for Preferences {
    const CATEGORY: &'static str = "preferences";
    type Profile = PreferencesProfile;

    /// Trims and de-duplicates the six lists, keeping case; canonicalises technology use and
    /// travel style.
    fn normalize(&mut self) {
        text::list(&mut self.hobbies, text::Case::Keep);
        text::list(&mut self.interests, text::Case::Keep);
        text::list(&mut self.favorite_foods, text::Case::Keep);
        text::list(&mut self.favorite_music, text::Case::Keep);
        text::list(&mut self.favorite_movies, text::Case::Keep);
        text::list(&mut self.favorite_books, text::Case::Keep);
        text::vocab(&mut self.technology_use);
        text::vocab(&mut self.travel_style);
    }

    /// At most 30 hobbies, 40 interests, 25 foods and 20 each of music, movies and books;
    /// technology use and travel style in their vocabularies.
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        rules::max_items(self.hobbies.len(), 30, &at.field("hobbies"), report);
        rules::max_items(self.interests.len(), 40, &at.field("interests"), report);
        let foods = at.field("favorite_foods");
        rules::max_items(self.favorite_foods.len(), 25, &foods, report);
        let music = at.field("favorite_music");
        rules::max_items(self.favorite_music.len(), 20, &music, report);
        let movies = at.field("favorite_movies");
        rules::max_items(self.favorite_movies.len(), 20, &movies, report);
        let books = at.field("favorite_books");
        rules::max_items(self.favorite_books.len(), 20, &books, report);
        if let Some(usage) = &self.technology_use {
            rules::vocabulary(usage, &at.field("technology_use"), report);
        }
        if let Some(style) = &self.travel_style {
            rules::vocabulary(style, &at.field("travel_style"), report);
        }
    }

    /// Hobby, interest and food categories with their diversity, breadth and adventurousness; the
    /// entertainment profile; digital engagement and travel personality.
    fn analyze(&self, _context: &AnalysisContext) -> PreferencesProfile {
        let hobby_categories = keywords::group(&HOBBY_CATEGORIES, &self.hobbies);
        let interest_categories = keywords::group(&INTEREST_CATEGORIES, &self.interests);
        let food_categories = keywords::group(&FOOD_CATEGORIES, &self.favorite_foods);
        let adventurous = food_categories.count(FoodCategory::Cuisine)
            + food_categories.count(FoodCategory::Sophisticated);
        let technology_use = self.technology_use.as_ref().and_then(Vocab::known).copied();
        let travel_style = self.travel_style.as_ref().and_then(Vocab::known).copied();
        PreferencesProfile {
            hobby_diversity: Diversity::of(hobby_categories.len()),
            hobby_categories,
            interest_breadth: Breadth::of(interest_categories.len()),
            interest_categories,
            culinary_adventurousness: Adventurousness::of(adventurous),
            food_categories,
            entertainment_profile: entertainment(self),
            technology_use,
            digital_engagement: technology_use.map(TechnologyUse::engagement),
            travel_style,
            travel_personality: travel_style.map(TravelPersonality::of),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;
    use serde_json::json;

    fn preferences(value: serde_json::Value) -> Preferences {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn normalize_is_idempotent() {
        let mut value = preferences(json!({
            "hobbies": [" Chess", "Chess ", "", "chess"],
            "technology_use": "Early_Adopter", "travel_style": "Eco Tourism"
        }));
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(value.hobbies, ["Chess", "chess"]);
        assert_eq!(
            value.technology_use,
            Some(Vocab::Known(TechnologyUse::EarlyAdopter))
        );
        assert_eq!(
            value.travel_style,
            Some(Vocab::Known(TravelStyle::EcoTourism))
        );
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let list = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let value = preferences(json!({
            "hobbies": list(31), "interests": list(41), "favorite_foods": list(26),
            "favorite_music": list(21), "favorite_movies": list(21), "favorite_books": list(21),
            "technology_use": "some", "travel_style": "teleport"
        }));
        let p = "rich_attributes.preferences";
        let got: Vec<_> = value
            .validate()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        let want: Vec<_> = [
            ("hobbies", Code::TooManyItems),
            ("interests", Code::TooManyItems),
            ("favorite_foods", Code::TooManyItems),
            ("favorite_music", Code::TooManyItems),
            ("favorite_movies", Code::TooManyItems),
            ("favorite_books", Code::TooManyItems),
            ("technology_use", Code::NotInVocabulary),
            ("travel_style", Code::NotInVocabulary),
        ]
        .into_iter()
        .map(|(path, code)| (format!("{p}.{path}"), code))
        .collect();
        assert_eq!(got, want);
        let at_caps = preferences(json!({
            "hobbies": list(30), "interests": list(40), "favorite_foods": list(25),
            "favorite_music": list(20), "favorite_movies": list(20), "favorite_books": list(20)
        }));
        assert!(at_caps.validate().is_valid());
    }

    #[test]
    fn categorisation_is_by_whole_tokens() {
        let value = preferences(json!({
            "hobbies": ["Reading", "trail running", "Social Media", "knitting", "Video gaming"],
            "interests": ["email marketing", "AI", "training", "space exploration", "Art history"],
            "favorite_foods": ["Italian", "sushi", "Ice cream", "Thai curry", "eggs"],
            "favorite_music": ["Hip-Hop", "rap", "K-pop", "Metallica"],
            "favorite_movies": ["Star Wars", "comedies"],
            "favorite_books": ["non-fiction", "Non Fiction essays", "fiction"],
            "technology_use": "luddite", "travel_style": "none"
        }));
        let profile = value.analyze(&AnalysisContext::default());
        let hobbies = &profile.hobby_categories;
        assert_eq!(hobbies.count(HobbyCategory::Intellectual), 1);
        assert_eq!(hobbies.count(HobbyCategory::Physical), 1);
        assert_eq!(hobbies.count(HobbyCategory::Digital), 2);
        assert_eq!(hobbies.count(HobbyCategory::Other), 1);
        assert_eq!(profile.hobby_diversity, Diversity::Diverse);
        let interests = &profile.interest_categories;
        // "email" is not "ai", "training" is not "ai".
        assert_eq!(
            interests
                .get(InterestCategory::Professional)
                .collect::<Vec<_>>(),
            ["email marketing"]
        );
        assert_eq!(
            interests
                .get(InterestCategory::Technology)
                .collect::<Vec<_>>(),
            ["AI", "space exploration"]
        );
        assert_eq!(
            interests.get(InterestCategory::Other).collect::<Vec<_>>(),
            ["training"]
        );
        // "Art history": history (7) is longer than art (3).
        assert_eq!(interests.count(InterestCategory::Academic), 1);
        assert_eq!(profile.interest_breadth, Breadth::Moderate);
        let foods = &profile.food_categories;
        assert_eq!(foods.count(FoodCategory::Cuisine), 2);
        assert_eq!(foods.count(FoodCategory::Sophisticated), 1);
        assert_eq!(foods.count(FoodCategory::Comfort), 1);
        assert_eq!(foods.count(FoodCategory::Other), 1);
        assert_eq!(profile.culinary_adventurousness, Adventurousness::Moderate);
        let fun = &profile.entertainment_profile;
        assert_eq!(fun.music_genres.count(MusicGenre::HipHop), 2);
        assert_eq!(fun.music_genres.count(MusicGenre::Pop), 1);
        assert_eq!(fun.music_genres.count(MusicGenre::Other), 1);
        assert_eq!(fun.music_diversity, Diversity::Moderate);
        assert_eq!(fun.movie_genres.count(MovieGenre::War), 1);
        assert_eq!(fun.movie_genres.count(MovieGenre::Comedy), 1);
        assert_eq!(fun.movie_preferences, MoviePreference::LightHearted);
        assert_eq!(fun.book_genres.count(BookGenre::NonFiction), 2);
        assert_eq!(fun.book_genres.count(BookGenre::Fiction), 1);
        assert_eq!(fun.reading_preferences, ReadingPreference::Educational);
        assert_eq!(profile.digital_engagement, Some(Level::VeryLow));
        assert_eq!(
            profile.travel_personality,
            Some(TravelPersonality::Homebody)
        );
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(
            json["entertainment_profile"]["book_genres"]["non-fiction"][0],
            "non-fiction"
        );
        assert_eq!(json["travel_personality"], "homebody");
    }

    #[test]
    fn preference_rules() {
        let fun = |movies: &[&str], books: &[&str]| {
            entertainment(&Preferences {
                favorite_movies: movies.iter().map(|s| s.to_string()).collect(),
                favorite_books: books.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            })
        };
        let e = fun(&["drama", "comedy"], &["fiction"]);
        assert_eq!(e.movie_preferences, MoviePreference::Serious);
        assert_eq!(e.reading_preferences, ReadingPreference::Entertainment);
        let e = fun(&["action"], &["self-help"]);
        assert_eq!(e.movie_preferences, MoviePreference::ExcitementSeeking);
        assert_eq!(e.reading_preferences, ReadingPreference::SelfImprovement);
        let e = fun(&["fantasy"], &["poetry"]);
        assert_eq!(e.movie_preferences, MoviePreference::Imaginative);
        assert_eq!(e.reading_preferences, ReadingPreference::Balanced);
        let e = fun(&[], &[]);
        assert_eq!(e.movie_preferences, MoviePreference::Varied);
        assert_eq!(e.music_diversity, Diversity::None);
        assert_eq!(
            [0, 1, 2, 4, 6].map(Diversity::of),
            [
                Diversity::None,
                Diversity::Focused,
                Diversity::Moderate,
                Diversity::Diverse,
                Diversity::VeryDiverse
            ]
        );
        assert_eq!(
            [0, 1, 3, 5, 7].map(Breadth::of),
            [
                Breadth::None,
                Breadth::Narrow,
                Breadth::Moderate,
                Breadth::Broad,
                Breadth::VeryBroad
            ]
        );
        assert_eq!(
            [0, 1, 2, 5, 8].map(Adventurousness::of),
            [
                Adventurousness::Traditional,
                Adventurousness::SomewhatAdventurous,
                Adventurousness::Moderate,
                Adventurousness::Adventurous,
                Adventurousness::VeryAdventurous
            ]
        );
    }
}
