//! Politics and social engagement (reference §2.7).

use serde::{Deserialize, Serialize};

use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Political leaning.
    PoliticalLeaning as "political_leaning" {
        FarLeft = "far-left",
        Left = "left",
        CenterLeft = "center-left",
        Center = "center",
        CenterRight = "center-right",
        Right = "right",
        FarRight = "far-right",
        Libertarian = "libertarian",
        Authoritarian = "authoritarian",
        Progressive = "progressive",
        Conservative = "conservative",
        Moderate = "moderate",
        Independent = "independent",
        Apolitical = "apolitical",
    }
}

vocabulary! {
    /// How often a person votes.
    VotingHistory as "voting_history" {
        NeverVoted = "never-voted",
        RarelyVotes = "rarely-votes",
        SometimesVotes = "sometimes-votes",
        UsuallyVotes = "usually-votes",
        AlwaysVotes = "always-votes",
        EligibleButNeverVoted = "eligible-but-never-voted",
        NotEligible = "not-eligible",
        FirstTimeVoter = "first-time-voter",
    }
}

vocabulary! {
    /// Where a leaning sits on the spectrum: far-left/left/progressive → left; center/moderate → center;
    /// right/far-right/conservative → right; the others map to themselves.
    PoliticalSpectrum as "political_spectrum" {
        Left = "left",
        CenterLeft = "center-left",
        Center = "center",
        CenterRight = "center-right",
        Right = "right",
        Libertarian = "libertarian",
        Authoritarian = "authoritarian",
        Independent = "independent",
        Apolitical = "apolitical",
    }
}

impl PoliticalSpectrum {
    /// The spectrum position of a leaning.
    pub const fn of(leaning: PoliticalLeaning) -> PoliticalSpectrum {
        use PoliticalLeaning as L;
        match leaning {
            L::FarLeft | L::Left | L::Progressive => PoliticalSpectrum::Left,
            L::CenterLeft => PoliticalSpectrum::CenterLeft,
            L::Center | L::Moderate => PoliticalSpectrum::Center,
            L::CenterRight => PoliticalSpectrum::CenterRight,
            L::Right | L::FarRight | L::Conservative => PoliticalSpectrum::Right,
            L::Libertarian => PoliticalSpectrum::Libertarian,
            L::Authoritarian => PoliticalSpectrum::Authoritarian,
            L::Independent => PoliticalSpectrum::Independent,
            L::Apolitical => PoliticalSpectrum::Apolitical,
        }
    }
}

/// Political views and social engagement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoliticalSocial {
    /// Political leaning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_leaning: Option<Vocab<PoliticalLeaning>>,
    /// Forms of activism (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub activism: Vec<String>,
    /// Social groups (at most 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub social_groups: Vec<String>,
    /// Causes supported (at most 30).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// How often the person votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voting_history: Option<Vocab<VotingHistory>>,
    /// Media consumed (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_consumption: Vec<String>,
}
