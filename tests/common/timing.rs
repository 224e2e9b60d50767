//! Whether answers of several kinds take the same time (an unknown number must not answer
//! faster than a known one): requests sent in rounds, one of each kind per round, and each
//! kind compared with the others of its own round — a burst of load on the machine slows a
//! whole round, and cancels out.

use std::time::{Duration, Instant};

use serde_json::Value;

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

/// POSTs each of `bodies` to `url`, one after another, `rounds` times over: the first round's
/// answers (status, JSON), and each body's timings (`[kind][round]`).
pub async fn post_in_rounds(url: &str, bodies: &[Value], rounds: usize) -> (Vec<(u16, Value)>, Vec<Vec<Duration>>) {
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    let mut timings = vec![Vec::new(); bodies.len()];
    for round in 0..rounds {
        for (kind, body) in bodies.iter().enumerate() {
            let started = Instant::now();
            let response = client.post(url).json(body).send().await.unwrap();
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap();
            timings[kind].push(started.elapsed());
            if round == 0 {
                answers.push((status, answer));
            }
        }
    }
    (answers, timings)
}
