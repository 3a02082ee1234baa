//! Shared helpers of the sample and label scenarios: base64 bytes, a sample body,
//! adding and listing samples, a dataset's statistics, a label's counts in them, the
//! names and ids of a listing, and percent-encoding JSON for a query string.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub(crate) fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

pub(crate) fn sample(name: &str, labels: Value) -> Value {
    json!({"name": name, "data": b64(&format!("bytes of {name}")), "labels": labels})
}

pub(crate) async fn add(app: &TestApp, id: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/datasets/{id}/data-annotations/samples"), &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

pub(crate) async fn list(app: &TestApp, id: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/datasets/{id}/data-annotations/samples?{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    r.body
}

/// The dataset's statistics, expecting 200.
pub(crate) async fn stats(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/datasets/{id}/data-annotations/stats"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// (count, sample_count) of a label in a statistics answer.
pub(crate) fn label_stat(stats: &Value, name: &str) -> (i64, i64) {
    let l = stats["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap();
    (
        l["count"].as_i64().unwrap(),
        l["sample_count"].as_i64().unwrap(),
    )
}

/// The sorted names of the samples a listing holds.
pub(crate) fn names(listing: &Value) -> Vec<String> {
    let mut n: Vec<String> = listing["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

pub(crate) fn ids(listing: &Value) -> Vec<String> {
    listing["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Percent-encodes a JSON value for a query string.
pub(crate) fn enc(v: &Value) -> String {
    let mut out = String::new();
    for b in v.to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
