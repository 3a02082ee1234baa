//! Who labels what: spreading samples over a task's labelers, and handing a departing
//! labeler's unfinished samples to the others. Pure functions over load counts.

use std::collections::HashMap;

/// Allocates each of `samples` to `repetition` distinct labelers, always the least
/// loaded ones (ties in `loads` order), so no labeler gets more than one sample beyond
/// another. `loads` carries each labeler's count in and out.
pub fn allocate(
    loads: &mut [(String, i64)],
    samples: &[String],
    repetition: usize,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(samples.len() * repetition);
    let mut order: Vec<usize> = (0..loads.len()).collect();
    for sample in samples {
        // Stable: equal loads keep their member order, which spreads ties evenly.
        order.sort_by_key(|&i| loads[i].1);
        for &i in order.iter().take(repetition) {
            loads[i].1 += 1;
            out.push((sample.clone(), loads[i].0.clone()));
        }
    }
    out
}

/// An unfinished item handed from a labeler who left the task to one who stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// The sample.
    pub sample_id: String,
    /// The labeler who left.
    pub from: String,
    /// The labeler who takes it.
    pub to: String,
}

/// Hands each `(sample, from)` item to the least loaded labeler of `loads` who does
/// not hold that sample yet (`holders`: each sample's labelers). `None` when some
/// sample has no such labeler left, so the departure cannot be absorbed.
pub fn hand_over(
    loads: &mut [(String, i64)],
    items: &[(String, String)],
    holders: &HashMap<String, Vec<String>>,
) -> Option<Vec<Handover>> {
    let mut out = Vec::with_capacity(items.len());
    let mut order: Vec<usize> = (0..loads.len()).collect();
    // Labelers handed each sample so far in this call: a sample two leavers held must
    // not go twice to the same one. A map, so the check stays flat however many move.
    let mut given: HashMap<&str, Vec<usize>> = HashMap::new();
    let none = Vec::new();
    for (sample, from) in items {
        order.sort_by_key(|&i| loads[i].1);
        let held = holders.get(sample).unwrap_or(&none);
        let taken = given.entry(sample.as_str()).or_default();
        let i = *order
            .iter()
            .find(|&&i| !held.contains(&loads[i].0) && !taken.contains(&i))?;
        taken.push(i);
        loads[i].1 += 1;
        out.push(Handover {
            sample_id: sample.clone(),
            from: from.clone(),
            to: loads[i].0.clone(),
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_balanced_and_distinct() {
        let mut loads: Vec<(String, i64)> = ["a", "b", "c", "d"]
            .iter()
            .map(|w| (w.to_string(), 0))
            .collect();
        loads[3].1 = 2; // d joined with two samples already
        let samples: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
        let pairs = allocate(&mut loads, &samples, 3);
        assert_eq!(pairs.len(), 33);
        for s in &samples {
            let mut who: Vec<&str> = pairs
                .iter()
                .filter(|(x, _)| x == s)
                .map(|(_, w)| w.as_str())
                .collect();
            who.dedup();
            assert_eq!(who.len(), 3, "{s} goes to three distinct labelers");
        }
        let max = loads.iter().map(|l| l.1).max().unwrap();
        let min = loads.iter().map(|l| l.1).min().unwrap();
        assert!(max - min <= 1, "{loads:?}");
        assert_eq!(loads.iter().map(|l| l.1).sum::<i64>(), 35);
    }

    #[test]
    fn a_departing_labelers_samples_go_to_the_least_loaded_who_lack_them() {
        let mut loads = vec![("b".to_string(), 3), ("c".to_string(), 1)];
        let items: Vec<(String, String)> = ["s1", "s2", "s3"]
            .iter()
            .map(|s| (s.to_string(), "a".to_string()))
            .collect();
        let mut holders = HashMap::new();
        holders.insert("s1".to_string(), vec!["a".to_string(), "c".to_string()]);
        let moves = hand_over(&mut loads, &items, &holders).unwrap();
        let to: Vec<&str> = moves.iter().map(|m| m.to.as_str()).collect();
        // s1 cannot go to c, who labels it already; the rest fill c up first.
        assert_eq!(to, ["b", "c", "c"]);
        assert!(moves.iter().all(|m| m.from == "a"));
        assert_eq!(loads, vec![("b".to_string(), 4), ("c".to_string(), 3)]);
        holders.insert("s2".to_string(), vec!["b".to_string(), "c".to_string()]);
        assert_eq!(hand_over(&mut loads, &items, &holders), None);
        // Two leavers labeling one sample hand it to two different labelers.
        let both = [
            ("s9".to_string(), "a".to_string()),
            ("s9".to_string(), "d".to_string()),
        ];
        holders.insert("s9".to_string(), vec!["a".to_string(), "d".to_string()]);
        let moves = hand_over(&mut loads, &both, &holders).unwrap();
        let mut to: Vec<&str> = moves.iter().map(|m| m.to.as_str()).collect();
        to.sort_unstable();
        assert_eq!(to, ["b", "c"]);
        assert_eq!(
            hand_over(
                &mut loads,
                &[both[0].clone(), both[0].clone(), both[1].clone()],
                &holders
            ),
            None,
            "a third copy has nobody left"
        );
    }
}
