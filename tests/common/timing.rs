//! Whether answers of several kinds take the same time (an unknown number must not answer
//! faster than a known one): requests sent in rounds, one of each kind per round, and each
//! kind compared with the others of its own round — a burst of load on the machine slows a
//! whole round, and cancels out.

use std::time::Duration;

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Asserts that no kind's requests took longer than the rest of their round beyond noise:
/// `timings[kind][round]`, `names[kind]` for the message. Noise on a loaded 2-core machine is a
/// fraction of a millisecond; an SMS sent on the request path, or a database round trip only
/// some numbers make, costs more.
pub fn assert_alike(what: &str, names: &[&str], timings: &[Vec<Duration>]) {
    let medians: Vec<Duration> = timings.iter().cloned().map(median).collect();
    let fastest = *medians.iter().min().unwrap();
    let beyond_round: Vec<Duration> = (0..timings.len())
        .map(|kind| {
            let excess = (0..timings[kind].len()).map(|round| {
                let others = (0..timings.len()).filter(|k| *k != kind).map(|k| timings[k][round]).collect();
                timings[kind][round].saturating_sub(median(others))
            });
            median(excess.collect())
        })
        .collect();
    eprintln!(
        "{what} latency medians over {} requests each: {:?}; beyond the rest of their round: {beyond_round:?}",
        timings[0].len(),
        names.iter().zip(&medians).collect::<Vec<_>>()
    );
    let slowest = *beyond_round.iter().max().unwrap();
    assert!(slowest < Duration::from_micros(500).max(fastest / 4), "{beyond_round:?}, medians {medians:?}");
}
