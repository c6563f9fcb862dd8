//! Text search terms: the Rust-computed tokens as `tsvector` lexemes and `tsquery` terms.
//!
//! The database never tokenises: a record's tokens ([`IndexFields::tokens`]) become lexemes
//! verbatim through `array_to_tsvector`, and query words become quoted `tsquery` lexemes, which
//! the server takes as they are (no parser, no dictionary, no stemming). Matching is therefore
//! exact whole-token equality, the reference semantics.
//!
//! A `tsvector` lexeme holds at most 2,047 bytes, so tokens longer than [`MAX_LEXEME_BYTES`] are
//! stored and searched as `#` followed by a 128-bit FNV-1a hash of the token. Real tokens are
//! alphanumeric, so a hashed lexeme can never equal one.
//!
//! [`IndexFields::tokens`]: persona_core::query::IndexFields::tokens

use std::borrow::Cow;

/// Tokens longer than this many bytes are indexed by their hash.
pub(crate) const MAX_LEXEME_BYTES: usize = 512;

fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u128::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The lexeme stored and searched for `token`.
pub(crate) fn lexeme(token: &str) -> Cow<'_, str> {
    if token.len() > MAX_LEXEME_BYTES {
        Cow::Owned(format!("#{:032x}", fnv1a_128(token.as_bytes())))
    } else {
        Cow::Borrowed(token)
    }
}

/// The tokens as one space-separated string (tokens hold no whitespace), split again by
/// `string_to_array` on the server.
pub(crate) fn joined(tokens: &[String]) -> String {
    let mut out = String::with_capacity(tokens.iter().map(|t| t.len() + 1).sum());
    for token in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&lexeme(token));
    }
    out
}

/// A `tsquery` that matches a document holding every one of `words`: `'w1' & 'w2' & …`.
pub(crate) fn tsquery(words: &[String]) -> String {
    let mut out = String::new();
    for word in words {
        if !out.is_empty() {
            out.push_str(" & ");
        }
        out.push('\'');
        for c in lexeme(word).chars() {
            // Quoting rules of tsquery input; tokens are alphanumeric, this is defensive.
            if c == '\'' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('\'');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tokens_are_hashed_and_stable() {
        let long = "a".repeat(MAX_LEXEME_BYTES + 1);
        let lexeme = lexeme(&long);
        assert!(lexeme.starts_with('#'));
        assert_eq!(lexeme.len(), 33);
        assert_ne!(super::lexeme(&"a".repeat(MAX_LEXEME_BYTES + 2)), lexeme);
        assert_eq!(super::lexeme("short"), "short");
    }

    #[test]
    fn queries_quote_every_word() {
        let words = vec!["élodie".to_owned(), "ai".to_owned()];
        assert_eq!(tsquery(&words), "'élodie' & 'ai'");
        assert_eq!(joined(&words), "élodie ai");
        assert_eq!(tsquery(&["it's".to_owned()]), "'it\\'s'");
    }
}
