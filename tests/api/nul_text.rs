//! Text holding the NUL character (`\u0000`, `%00`) is refused with a clear error on
//! both backends and changes nothing: PostgreSQL text cannot hold it, so it once
//! reached the database there and failed as a 500.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::imports::{import, put, put_manifest};
use crate::sample_helpers::{add, b64, enc, list};

both_backends!(text_with_nul_is_refused_and_changes_nothing);

async fn text_with_nul_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("nul").await;
    app.wait_for_dataset_status(&id, 1).await;
    add(
        &app,
        &id,
        json!({"samples": [{"name": "a.jpg", "data": b64("a")}]}),
    )
    .await;
    let samples = format!("/datasets/{id}/data-annotations/samples");
    let before = app.get(&format!("/datasets/{id}")).await.body;

    let nul = "x\u{0}y";
    let bodies = [
        (
            "a property",
            json!({"samples": [{"name": "b.jpg", "data": b64("b"),
                "labels": [{"name": "Rabbits", "property": {"note": nul}}]}]}),
        ),
        (
            "metadata",
            json!({"samples": [{"name": "c.jpg", "data": b64("c"), "metadata": {"k": nul}}]}),
        ),
    ];
    for (case, body) in bodies {
        let r = app.post(&samples, &body).await;
        assert_error_in(&r, 400, "ModelArts.0101", case);
        assert!(
            r.body["error_msg"].as_str().unwrap().contains("NUL"),
            "{}",
            r.body
        );
    }
    let r = app
        .put(&format!("/datasets/{id}"), &json!({"description": nul}))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "a description");
    let conds = json!([{ "sample_name": nul }]);
    let r = app
        .get(&format!("{samples}?search_conditions={}", enc(&conds)))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "a search condition");
    let r = app.get(&format!("{samples}?label_name=a%00b")).await;
    assert_error_in(&r, 400, "ModelArts.0101", "a query parameter");
    let r = app
        .delete(&format!("/datasets/{id}/data-annotations/labels/a%00b"))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "a label name in the path");

    assert_eq!(list(&app, &id, "").await["sample_count"], 1);
    let after = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(after["description"], before["description"]);
    assert_eq!(after["labels"], before["labels"]);

    // A manifest line with NUL text fails alone, with its line number.
    put(&app, "bkt/src/d.jpg", "d").await;
    put(&app, "bkt/src/e.jpg", "e").await;
    let lines = [
        json!({"source": "s3://bkt/src/d.jpg", "property": {"k": nul}}).to_string(),
        json!({"source": "s3://bkt/src/e.jpg"}).to_string(),
    ];
    put_manifest(&app, "bkt/m/nul.manifest", &lines).await;
    let t = import(
        &app,
        &id,
        &json!({"import_type": "manifest", "import_path": "obs://bkt/m/nul.manifest"}),
    )
    .await;
    assert_eq!(t["imported_sample_count"], 1, "{t}");
    assert_eq!(t["failed_sample_count"], 1, "{t}");
    assert_eq!(t["failures"][0]["line"], 1, "{t}");
    assert!(
        t["failures"][0]["error_msg"]
            .as_str()
            .unwrap()
            .contains("NUL"),
        "{t}"
    );
    assert_eq!(list(&app, &id, "").await["sample_count"], 2);
}
