//! What `synth` and the plan leave in the output directory: a consistent set
//! of templates and manifest, or the directory as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mlcdk::cli::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, run};
use mlcdk::prelude::*;
use mlcdk_testkit::Scratch;

fn run_cli<K>(app: &App<K>, args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["deploy"];
    argv.extend_from_slice(args);
    let code = run(app, argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// An app named `name` whose stages hold `staging` and `production` topics:
/// the sizes of the templates are chosen by the test.
fn topics(name: &str, staging: usize, production: usize) -> App<usize> {
    App::new(name, |stack: &mut Stack, n: &usize| {
        for i in 0..*n {
            stack.add_resource(&format!("Topic{i}"), CfnResource::new("AWS::SNS::Topic"));
        }
    })
    .stage(Stage::staging(
        Env::new("111111111111", "us-east-1"),
        staging,
    ))
    .stage(Stage::production(
        Env::new("222222222222", "us-east-1"),
        production,
    ))
}

/// Every file and directory under `dir` (hidden ones too), with the files'
/// contents: equal snapshots mean nothing was added, removed or changed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                into.insert(name, None);
                walk(root, &path, into);
            } else {
                into.insert(name, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

fn names(snapshot: &BTreeMap<PathBuf, Option<Vec<u8>>>) -> Vec<String> {
    snapshot.keys().map(|p| p.display().to_string()).collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The stages a manifest lists, after checking that each listed template
/// exists with the size the manifest gives.
fn listed_stages(dir: &Path) -> Vec<String> {
    let manifest = manifest(dir);
    manifest["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let file = dir.join(s["template_file"].as_str().unwrap());
            let bytes = std::fs::metadata(&file)
                .unwrap_or_else(|e| panic!("{} is listed but {e}", file.display()))
                .len();
            assert_eq!(
                Some(bytes),
                s["template_bytes"].as_u64(),
                "{}",
                file.display()
            );
            s["name"].as_str().unwrap().to_string()
        })
        .collect()
}

const CHILD: &str = "MLCDK_TEST_FILE_SIZE_LIMITED_OUT";

/// A write that fails in the middle of a file, as on a full disk: the child
/// process runs with a maximum file size (`ulimit -f`, SIGXFSZ ignored, so
/// the write fails with EFBIG) that the staging template fits in and the
/// production one does not.
#[cfg(unix)]
#[test]
fn a_write_failing_midway_leaves_the_directory_as_it_was() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = PathBuf::from(dir);
        let new = topics("churn", 1, 400);
        for out in [dir.join("out"), dir.join("fresh").join("out")] {
            for args in [vec!["synth"], vec![]] {
                let mut args = args;
                args.extend(["--out", out.to_str().unwrap()]);
                let (code, _, err) = run_cli(&new, &args);
                assert_eq!(code, EXIT_FAILED, "{args:?}: {err}");
                let file = out.join("churn-production.template.json");
                assert!(
                    err.contains(&format!("cannot write {}: ", file.display()))
                        && err.contains("os error"),
                    "{args:?}: {err}"
                );
            }
        }
        return;
    }

    let scratch = Scratch::new("atomic-efbig");
    let out = scratch.join("out");
    let (code, _, err) = run_cli(
        &topics("churn", 2, 1),
        &["synth", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    let before = snapshot(&scratch);

    // 64 blocks is 32 KiB (512-byte blocks) or 64 KiB (1 KiB blocks, bash):
    // the staging template is about 1 KiB, the production one over 64 KiB.
    let size = |n| {
        topics("churn", n, n).synth(Some("staging")).unwrap().stacks[0]
            .text
            .len()
    };
    assert!(size(1) < 32 * 1024 && size(400) > 64 * 1024);
    let test = "a_write_failing_midway_leaves_the_directory_as_it_was";
    let child = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64 && exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, scratch.path())
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(child.status.success(), "{report}");
    assert!(
        report.contains("1 passed"),
        "the child ran no test:\n{report}"
    );

    let after = snapshot(&scratch);
    assert_eq!(
        names(&before),
        names(&after),
        "no temporary left, no directory created"
    );
    assert!(before == after, "every file keeps its previous contents");
}

/// The last rename fails (a directory stands where the production template
/// goes): the staging template, already renamed into place, is put back.
#[test]
fn a_rename_failing_midway_puts_back_the_files_already_replaced() {
    let scratch = Scratch::new("atomic-rename");
    let out = scratch.join("out");
    let (code, _, err) = run_cli(
        &topics("churn", 2, 1),
        &["synth", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    let blocker = out.join("churn-production.template.json");
    std::fs::remove_file(&blocker).unwrap();
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("keep"), "not mlcdk's").unwrap();
    let before = snapshot(&scratch);

    let (code, _, err) = run_cli(
        &topics("churn", 1, 3),
        &["synth", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, EXIT_FAILED, "{err}");
    assert!(
        err.contains(&format!("cannot write {}: ", blocker.display())) && err.contains("os error"),
        "{err}"
    );
    let after = snapshot(&scratch);
    assert_eq!(names(&before), names(&after), "no temporary or backup left");
    assert!(before == after, "every file keeps its previous contents");
}

#[test]
fn a_partial_synth_updates_its_stage_and_keeps_the_others() {
    let scratch = Scratch::new("partial-synth");
    let out = scratch.join("out");
    let dir = out.to_str().unwrap();
    let (code, _, err) = run_cli(&topics("churn", 1, 1), &["synth", "--out", dir]);
    assert_eq!(code, EXIT_OK, "{err}");
    let production = std::fs::read(out.join("churn-production.template.json")).unwrap();

    let (code, out_text, err) = run_cli(
        &topics("churn", 3, 5),
        &["synth", "--out", dir, "--stage", "staging"],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(
        out_text.contains("churn-staging.template.json"),
        "{out_text}"
    );
    assert_eq!(listed_stages(&out), ["staging", "production"]);
    let manifest = manifest(&out);
    assert_eq!(manifest["stages"][0]["resource_count"], 3, "staging is new");
    assert_eq!(
        manifest["stages"][1]["resource_count"], 1,
        "production is kept"
    );
    assert_eq!(
        std::fs::read(out.join("churn-production.template.json")).unwrap(),
        production,
        "a partial synth writes only its own stage"
    );

    // An entry whose template is gone is no longer listed.
    std::fs::remove_file(out.join("churn-production.template.json")).unwrap();
    let (code, _, err) = run_cli(
        &topics("churn", 2, 5),
        &["synth", "--out", dir, "--stage", "staging"],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(listed_stages(&out), ["staging"]);

    // A partial synth into an empty directory lists its stage alone; a full
    // synth lists every stage.
    let (code, _, err) = run_cli(
        &topics("churn", 2, 5),
        &["synth", "--out", dir, "--stage", "production"],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(listed_stages(&out), ["staging", "production"]);
    let fresh = scratch.join("fresh");
    let (code, _, err) = run_cli(
        &topics("churn", 2, 5),
        &[
            "synth",
            "--out",
            fresh.to_str().unwrap(),
            "--stage",
            "production",
        ],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(listed_stages(&fresh), ["production"]);
    let (code, _, err) = run_cli(&topics("churn", 2, 5), &["synth", "--out", dir]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(listed_stages(&out), ["staging", "production"]);
}

#[test]
fn a_partial_synth_refuses_a_manifest_it_cannot_merge_with() {
    let scratch = Scratch::new("partial-synth-other");
    let out = scratch.join("out");
    let dir = out.to_str().unwrap();
    let (code, _, err) = run_cli(&topics("other", 1, 1), &["synth", "--out", dir]);
    assert_eq!(code, EXIT_OK, "{err}");
    let before = snapshot(&scratch);
    let manifest_path = out.join("manifest.json").display().to_string();

    let args = ["synth", "--out", dir, "--stage", "staging"];
    let (code, _, err) = run_cli(&topics("churn", 1, 1), &args);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains(&format!(
            "[{manifest_path}] belongs to app 'other', not 'churn'"
        )),
        "{err}"
    );
    assert!(err.contains("nothing was written."), "{err}");
    assert!(snapshot(&scratch) == before, "nothing was written");

    std::fs::write(out.join("manifest.json"), "{ half a manifest").unwrap();
    let before = snapshot(&scratch);
    let (code, _, err) = run_cli(&topics("churn", 1, 1), &args);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains(&format!("[{manifest_path}] is not an mlcdk manifest")),
        "{err}"
    );
    assert!(snapshot(&scratch) == before, "nothing was written");

    // A full synth replaces the manifest: it needs nothing from it.
    let (code, _, err) = run_cli(&topics("churn", 1, 1), &["synth", "--out", dir]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(listed_stages(&out), ["staging", "production"]);
    assert_eq!(manifest(&out)["app"], "churn");
}

#[test]
fn generated_assets_are_written_with_the_templates_or_not_at_all() {
    let app = |content: &'static str| {
        App::new("churn", move |stack: &mut Stack, _: &()| {
            stack.asset(Asset::generated(
                "train.pipeline.json",
                content.as_bytes().to_vec(),
            ));
            stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
        })
        .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()))
    };
    let scratch = Scratch::new("atomic-assets");
    let out = scratch.join("out");
    let dir = out.to_str().unwrap();
    // The manifest goes last: the template and the asset are in place when
    // it fails, and must go again, with the assets directory.
    let blocker = out.join("manifest.json");
    std::fs::create_dir_all(&blocker).unwrap();
    let before = snapshot(&scratch);
    let (code, _, err) = run_cli(&app("one"), &["synth", "--out", dir]);
    assert_eq!(code, EXIT_FAILED, "{err}");
    assert!(err.contains(&blocker.display().to_string()), "{err}");
    assert_eq!(
        names(&before),
        names(&snapshot(&scratch)),
        "no template, no asset, no assets directory"
    );

    std::fs::remove_dir(&blocker).unwrap();
    let (code, _, err) = run_cli(&app("one"), &["synth", "--out", dir]);
    assert_eq!(code, EXIT_OK, "{err}");
    let asset = &manifest(&out)["stages"][0]["assets"][0];
    let file = PathBuf::from(asset["file"].as_str().unwrap());
    assert_eq!(
        file,
        out.join(asset["key"].as_str().unwrap()),
        "the deployer reads the written copy"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "one");
}
