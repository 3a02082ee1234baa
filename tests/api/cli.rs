//! The run contract, through the real binary: `project create` and the first `serve`.

use std::process::{Command, Stdio};

use reqwest::Method;

use crate::helpers::{free_port, sdk_date_now, send_signed_to, wait_healthy, Creds};

fn labelhive() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_labelhive"));
    cmd.env_remove("LABELHIVE_DATABASE_URL")
        .env_remove("LABELHIVE_DATA_DIR");
    cmd
}

#[test]
fn project_create_prints_one_json_line_and_refuses_bad_or_taken_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = labelhive()
        .args(["project", "create", "team-a", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access_key", "project_id", "secret_key"]);
    assert_eq!(v["project_id"].as_str().unwrap().len(), 32);
    assert_eq!(v["access_key"].as_str().unwrap().len(), 20);
    assert_eq!(v["secret_key"].as_str().unwrap().len(), 40);

    let again = labelhive()
        .args(["project", "create", "team-a", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success(), "a taken name is refused");
    let bad = labelhive()
        .args(["project", "create", "bad name", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success(), "a bad name is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_serve_prints_credentials_once_and_they_work() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |port: u16, out: &std::path::Path| {
        labelhive()
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .stdout(std::fs::File::create(out).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let client = reqwest::Client::new();
    let port = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let first_out = dir.path().join("first.out");
    let mut first = serve(port, &first_out);
    wait_healthy(&client, addr).await;
    let file = dir.path().join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let creds =
        Creds::from_json(&serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap());
    let path = format!("/v2/{}/datasets", creds.project_id);
    let r = send_signed_to(
        &client,
        addr,
        &creds,
        Method::GET,
        &path,
        Vec::new(),
        &sdk_date_now(),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        std::fs::read_to_string(&first_out)
            .unwrap()
            .contains(&creds.secret_key),
        "printed once"
    );

    let second_out = dir.path().join("second.out");
    let mut second = serve(port, &second_out);
    wait_healthy(&client, addr).await;
    let r = send_signed_to(
        &client,
        addr,
        &creds,
        Method::GET,
        &path,
        Vec::new(),
        &sdk_date_now(),
    )
    .await;
    assert_eq!(
        r.status.as_u16(),
        200,
        "the same credentials after a restart"
    );
    second.kill().unwrap();
    second.wait().unwrap();
    let printed = std::fs::read_to_string(&second_out).unwrap();
    assert!(
        !printed.contains(&creds.secret_key),
        "not printed again: {printed}"
    );
}
