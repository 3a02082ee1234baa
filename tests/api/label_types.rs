//! Every label type through HTTP: per dataset type, a valid sample is added, each bad
//! variant fails alone with ModelArts.0101 and stores nothing, and a bad relabel of the
//! stored sample leaves its labels as they were.

use base64::Engine;
use labelhive_domain::ids::sample_id_for_path;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{dataset_body, Backend, TestApp};

both_backends!(every_label_type_is_checked_through_http);

const SHAPE: &str = "@modelarts:shape";
const FEATURE: &str = "@modelarts:feature";
const SIZE: &str = "@modelarts:size";
const START: &str = "@modelarts:start_index";
const END: &str = "@modelarts:end_index";

/// One dataset type: its labels, the sample text, a valid label list with its
/// metadata, and bad label lists (with metadata) that must each be refused.
struct Case {
    what: &'static str,
    dataset_type: i64,
    labels: Value,
    text: &'static str,
    valid: (Value, Value),
    bad: Vec<(&'static str, Value, Value)>,
}

fn shape(name: &str, shape: &str, feature: Value) -> Value {
    json!([{"name": name, "property": {SHAPE: shape, FEATURE: feature}}])
}

fn span(name: &str, start: i64, end: Value) -> Value {
    json!([{"name": name, "property": {START: start, END: end}}])
}

fn cases() -> Vec<Case> {
    let size = json!({SIZE: [100, 100]});
    let none = json!({});
    let entity = |id: &str, name: &str, s: i64, e: i64| json!({"id": id, "name": name, "property": {START: s, END: e}});
    let rel = |from: &str, to: &str| json!({"name": "rel", "property": {"@modelarts:from": from, "@modelarts:to": to}});
    let (alice, paris) = (entity("e1", "person", 0, 5), entity("e2", "city", 15, 20));
    let times = |s: &str, e: &str| json!([{"name": "para", "property": {"@modelarts:start_time": s, "@modelarts:end_time": e}}]);
    vec![
        Case {
            what: "image classification",
            dataset_type: 0,
            labels: json!([{"name": "cat"}]),
            text: "",
            valid: (json!([{"name": "cat"}]), none.clone()),
            bad: vec![
                ("unknown name", json!([{"name": "dog"}]), none.clone()),
                (
                    "wrong type",
                    json!([{"name": "cat", "type": 1}]),
                    none.clone(),
                ),
                (
                    "score above 1",
                    json!([{"name": "cat", "score": 1.5}]),
                    none.clone(),
                ),
            ],
        },
        Case {
            what: "object detection",
            dataset_type: 1,
            labels: json!([{"name": "box", "type": 1}]),
            text: "",
            valid: (
                shape("box", "bndbox", json!([[0, 10], [50, 95]])),
                size.clone(),
            ),
            bad: vec![
                (
                    "bndbox of 3 points",
                    shape("box", "bndbox", json!([[0, 1], [5, 9], [6, 9]])),
                    size.clone(),
                ),
                (
                    "polygon of 2 points",
                    shape("box", "polygon", json!([[0, 1], [5, 9]])),
                    size.clone(),
                ),
                (
                    "circle without radius",
                    shape("box", "circle", json!([[50, 50]])),
                    size.clone(),
                ),
                (
                    "point of 2 points",
                    shape("box", "point", json!([[1, 1], [2, 2]])),
                    size.clone(),
                ),
                (
                    "polyline of 1 point",
                    shape("box", "polyline", json!([[1, 1]])),
                    size.clone(),
                ),
                (
                    "dashed of 1 point",
                    shape("box", "dashed", json!([[1, 1]])),
                    size.clone(),
                ),
                (
                    "point outside",
                    shape("box", "point", json!([[101, 5]])),
                    size.clone(),
                ),
                (
                    "unknown shape",
                    shape("box", "star", json!([[1, 1]])),
                    size.clone(),
                ),
                (
                    "no image size",
                    shape("box", "line", json!([[0, 10], [50, 95]])),
                    none.clone(),
                ),
            ],
        },
        Case {
            what: "image segmentation",
            dataset_type: 3,
            labels: json!([{"name": "seg", "type": 3}]),
            text: "",
            valid: (
                shape("seg", "polygon", json!([[0, 0], [9, 0], [9, 9]])),
                size.clone(),
            ),
            bad: vec![
                (
                    "polygon of 2 points",
                    shape("seg", "polygon", json!([[0, 0], [9, 0]])),
                    size.clone(),
                ),
                (
                    "not a polygon",
                    shape("seg", "bndbox", json!([[0, 0], [9, 9]])),
                    size.clone(),
                ),
            ],
        },
        Case {
            what: "text classification",
            dataset_type: 100,
            labels: json!([{"name": "pos"}]),
            text: "good",
            valid: (json!([{"name": "pos"}]), none.clone()),
            bad: vec![("unknown name", json!([{"name": "neg"}]), none.clone())],
        },
        Case {
            what: "named entities",
            dataset_type: 101,
            labels: json!([{"name": "ner"}]),
            text: "hello world",
            valid: (span("ner", 0, json!(5)), none.clone()),
            bad: vec![
                (
                    "span past the text",
                    span("ner", 0, json!(12)),
                    none.clone(),
                ),
                ("empty span", span("ner", 4, json!(4)), none.clone()),
                (
                    "index as a string",
                    span("ner", 0, json!("5")),
                    none.clone(),
                ),
            ],
        },
        Case {
            what: "text triplets",
            dataset_type: 102,
            labels: json!([
                {"name": "person", "type": 103}, {"name": "city", "type": 103},
                {"name": "rel", "type": 102, "property": {"@modelarts:from_type": "person", "@modelarts:to_type": "city"}}
            ]),
            text: "Alice lives in Paris",
            valid: (json!([alice, paris, rel("e1", "e2")]), none.clone()),
            bad: vec![
                (
                    "relation to a missing entity",
                    json!([alice, rel("e1", "e9")]),
                    none.clone(),
                ),
                (
                    "relation reversed",
                    json!([alice, paris, rel("e2", "e1")]),
                    none.clone(),
                ),
                (
                    "entity past the text",
                    json!([entity("e1", "person", 15, 21)]),
                    none.clone(),
                ),
            ],
        },
        Case {
            what: "sound classification",
            dataset_type: 200,
            labels: json!([{"name": "bark"}]),
            text: "",
            valid: (json!([{"name": "bark"}]), none.clone()),
            bad: vec![(
                "wrong type",
                json!([{"name": "bark", "type": 0}]),
                none.clone(),
            )],
        },
        Case {
            what: "speech content",
            dataset_type: 201,
            labels: json!([{"name": "speech"}]),
            text: "",
            valid: (
                json!([{"name": "speech", "property": {"@modelarts:content": "hi"}}]),
                none.clone(),
            ),
            bad: vec![
                ("no content", json!([{"name": "speech"}]), none.clone()),
                (
                    "content not a string",
                    json!([{"name": "speech", "property": {"@modelarts:content": 5}}]),
                    none.clone(),
                ),
            ],
        },
        Case {
            what: "speech paragraphs",
            dataset_type: 202,
            labels: json!([{"name": "para"}]),
            text: "",
            valid: (times("00:00:01.000", "00:00:02.500"), none.clone()),
            bad: vec![
                (
                    "end before start",
                    times("00:00:03.000", "00:00:02.500"),
                    none.clone(),
                ),
                (
                    "time without milliseconds",
                    times("00:00:01", "00:00:02.500"),
                    none.clone(),
                ),
            ],
        },
        Case {
            what: "video",
            dataset_type: 600,
            labels: json!([{"name": "car"}]),
            text: "",
            valid: (json!([{"name": "car"}]), none.clone()),
            bad: vec![("wrong type", json!([{"name": "car", "type": 1}]), none)],
        },
    ]
}

async fn every_label_type_is_checked_through_http(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/out").await;
    let b64 = base64::engine::general_purpose::STANDARD;
    for (k, case) in cases().into_iter().enumerate() {
        let what = case.what;
        let input = format!("bkt/in{k}");
        app.mkdir(&input).await;
        let mut body = dataset_body(&format!("types{k}"), &format!("/{input}/"), "/bkt/out/");
        body["dataset_type"] = json!(case.dataset_type);
        body["labels"] = case.labels.clone();
        let id = app.create_dataset(&body).await["dataset_id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.wait_for_dataset_status(&id, 1).await;
        let samples = format!("/datasets/{id}/data-annotations/samples");
        let data = b64.encode(if case.text.is_empty() {
            "bytes"
        } else {
            case.text
        });
        let mut batch = vec![
            json!({"name": "ok.txt", "data": data, "labels": case.valid.0, "metadata": case.valid.1}),
        ];
        for (i, (_, labels, metadata)) in case.bad.iter().enumerate() {
            batch.push(json!({"name": format!("bad{i}.txt"), "data": data, "labels": labels, "metadata": metadata}));
        }
        let r = app.post(&samples, &json!({ "samples": batch })).await;
        assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
        let results = r.body["results"].as_array().unwrap();
        assert_eq!(
            results[0]["success"], true,
            "{what}: valid sample: {}",
            r.body
        );
        for (i, (why, _, _)) in case.bad.iter().enumerate() {
            let res = &results[i + 1];
            assert_eq!(res["success"], false, "{what}: {why}: {}", r.body);
            assert_eq!(res["error_code"], "ModelArts.0101", "{what}: {why}: {res}");
            assert!(
                !app.obs().join(format!("{input}/bad{i}.txt")).exists(),
                "{what}: {why}: a refused sample's file is not stored"
            );
        }
        let listed = app.get(&samples).await.body;
        assert_eq!(listed["sample_count"], 1, "{what}: only the valid sample");

        // A bad relabel of the stored sample fails alone and changes nothing.
        let sid = sample_id_for_path(&format!("/{input}/ok.txt"));
        let before = app.get(&format!("{samples}/{sid}")).await.body;
        let (why, labels, _) = &case.bad[0];
        let r = app
            .put(
                &samples,
                &json!({"samples": [{"sample_id": sid, "labels": labels}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
        assert_eq!(
            r.body["results"][0]["error_code"], "ModelArts.0101",
            "{what}: relabel {why}: {}",
            r.body
        );
        let after = app.get(&format!("{samples}/{sid}")).await.body;
        assert_eq!(
            before["labels"], after["labels"],
            "{what}: labels unchanged"
        );
        assert!(
            !before["labels"].as_array().unwrap().is_empty(),
            "{what}: {before}"
        );
    }
    app.stop().await;
}
