//! "Did you mean …": the known name nearest to a misspelt one, by edit distance.

/// The edit distance between `a` and `b` (insertions, deletions, substitutions and
/// transpositions of two adjacent characters, each one edit: the optimal string alignment
/// distance), counted in characters, ignoring ASCII case. Stops early, returning
/// `limit + 1`, once every alignment is further than `limit`.
fn distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 0..a.len() {
        current[0] = i + 1;
        for j in 0..b.len() {
            let mut d = (previous[j] + usize::from(a[i] != b[j]))
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            current[j + 1] = d;
        }
        if current.iter().all(|&d| d > limit) {
            return limit + 1;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The most edits a name of `len` characters may be from a suggestion: one per three
/// characters, at least one ("ag" → "age", "churnd" → "churned", "tierss" → "tiers").
fn allowed_edits(len: usize) -> usize {
    (len / 3).max(1)
}

/// The candidate nearest to `name`: one equal but for ASCII case first, else the one with
/// the fewest edits, if that is few enough for a typo (see [`allowed_edits`]) and leaves
/// something of the name (a 2-letter name is never "near" an unrelated 2-letter one).
/// Ties go to the earlier candidate. `None` for an exact match: that is not a misspelling.
pub fn nearest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let len = name.chars().count();
    let limit = allowed_edits(len);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            return None;
        }
        let d = if candidate.eq_ignore_ascii_case(name) {
            0
        } else {
            // Case differences count as edits only when the letters differ otherwise.
            distance(name, candidate, limit).max(1)
        };
        if d <= limit && d < len && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(distance("kitten", "sitting", 10), 3);
        assert_eq!(distance("flaw", "lawn", 10), 2);
        assert_eq!(distance("", "abc", 10), 3);
        assert_eq!(distance("abc", "abc", 10), 0);
        assert_eq!(distance("Tenure", "tenure", 10), 0);
        // A swap of two neighbours is one edit.
        assert_eq!(distance("medain", "median", 10), 1);
        assert_eq!(distance("medain", "mean", 10), 2);
        // Past the limit the exact value does not matter, only that it is over.
        assert!(distance("abcdefgh", "zzzzzzzz", 2) > 2);
    }

    #[test]
    fn nearest_finds_a_typo_and_prefers_a_case_only_difference() {
        let columns = ["age", "tenure", "spend", "Spend_total"];
        assert_eq!(nearest("tenrue", columns), Some("tenure"));
        assert_eq!(nearest("ag", columns), Some("age"));
        assert_eq!(nearest("SPEND", columns), Some("spend"));
        assert_eq!(nearest("spend_total", columns), Some("Spend_total"));
        // Too far from everything: no guess.
        assert_eq!(nearest("country", columns), None);
        assert_eq!(nearest("xy", ["ab", "cd"]), None);
        // An exact match is no misspelling.
        assert_eq!(nearest("age", columns), None);
        assert_eq!(nearest("anything", std::iter::empty()), None);
    }

    #[test]
    fn nearest_option_names() {
        let keys = crate::model::options::OPTIONS.iter().map(|o| o.name);
        assert_eq!(nearest("test_fracton", keys.clone()), Some("test_fraction"));
        assert_eq!(nearest("l1", keys.clone()), Some("l2"));
        assert_eq!(nearest("segment", keys.clone()), Some("segments"));
        assert_eq!(nearest("learning_rate", keys), None);
    }
}
