//! The account import against a real client: the AWS CLI creating an account in a local moto
//! server (tests/moto/make-account.sh), the commands `rewrap export-script` prints exporting it,
//! `rewrap import` reading what they wrote, `rewrap check` on the result. The test starts its own
//! `moto_server` on a free port of 127.0.0.1. `.ci/run` installs the AWS CLI and moto in a
//! virtual environment and puts it on PATH; without `aws` and `moto_server` on PATH this test
//! says it was skipped (and fails when `REWRAP_REQUIRE_MOTO` is set).

#![allow(clippy::print_stderr)] // notes for whoever runs the tests, not user output

use std::path::{Path, PathBuf};
use std::process::Command;

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

/// A moto server of this test's own, stopped when dropped.
struct Moto {
    child: std::process::Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Option<Moto> {
    if !(on_path("aws") && on_path("moto_server")) {
        assert!(
            std::env::var_os("REWRAP_REQUIRE_MOTO").is_none(),
            "REWRAP_REQUIRE_MOTO is set but `aws` and `moto_server` are not on PATH (pip install awscli 'moto[server]')"
        );
        eprintln!(
            "skipped: `aws` and `moto_server` are not on PATH (pip install awscli 'moto[server]')"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "moto_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Some(moto)
}

fn sh(script: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new("sh");
    c.arg(script).args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn an_account_made_with_the_aws_cli_in_moto_exports_imports_and_checks() {
    let Some(server) = moto() else {
        return;
    };
    let url = server.url.clone();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = std::env::temp_dir().join(format!("rewrap-moto-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let creds = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    let made = sh(&root.join("tests/moto/make-account.sh"), &[&url], &creds);
    assert!(made.status.success(), "{made:?}");
    let script = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(["export-script", "--region", "us-east-1"])
        .output()
        .unwrap();
    assert!(script.status.success());
    std::fs::write(work.join("export.sh"), &script.stdout).unwrap();
    let dir = work.join("export");
    let exported = sh(
        &work.join("export.sh"),
        &[dir.to_str().unwrap(), "--endpoint-url", &url],
        &creds,
    );
    assert!(exported.status.success(), "{exported:?}");
    let files = std::fs::read_dir(&dir).unwrap().count();
    // rewrap-export.json, 2 lists of keys and aliases, 3 files for each of 4 keys, list-tables,
    // 2 for each of 4 tables, list-backups and 2 describe-backup.
    assert_eq!(files, 1 + 2 + 3 * 4 + 1 + 2 * 4 + 1 + 2, "{files} files");
    let world = work.join("world.toml");
    let imported = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .arg("import")
        .arg(&dir)
        .arg("-o")
        .arg(&world)
        .output()
        .unwrap();
    assert!(imported.status.success(), "{imported:?}");
    let text = std::fs::read_to_string(&world).unwrap();
    // The deletion date is 7 days after the scheduling; the export is taken a moment later,
    // in the same second when the machine is quick.
    assert!(
        text.contains("id = \"audit\"\nstate = \"pending-deletion\"\ndeletion_in = \"6d 23h 59m")
            || text.contains("id = \"audit\"\nstate = \"pending-deletion\"\ndeletion_in = \"7d\""),
        "{text}"
    );
    for line in [
        "id = \"reports\"\nstate = \"disabled\"",
        "id = \"orders\"\nrotation_days = 365",
        "name = \"Sessions\"\nkey = \"aws-owned\"",
        "name = \"orders-nightly\"\ntable = \"Orders\"\nkey = \"orders\"",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let check = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .arg("check")
        .arg(&world)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    let _ = std::fs::remove_dir_all(&work);
}
