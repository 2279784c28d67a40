//! The README's output blocks come from the commands they show.
//!
//! Each generated block in README.md is a ```` ```text ```` block right after
//! an `<!-- output: NAME -->` comment; `NAME` is one of [`COMMANDS`]. This test
//! runs each command in-process (`mlcdk::cli::run`) and compares its output
//! with the block, character for character. With `MLCDK_UPDATE_README=1` it
//! rewrites the blocks in README.md instead of failing; review that diff like
//! a snapshot diff.

#[path = "../examples/deploy/stack.rs"]
mod stack;

#[path = "support/drift_fake.rs"]
mod drift_fake;

#[path = "../examples/strategies/stack.rs"]
mod strategies;

use std::path::{Path, PathBuf};

use mlcdk::cli::{EXIT_OK, EXIT_USAGE, run};
use mlcdk::deploy::{Command, DeployOptions};
use mlcdk::prelude::*;
use mlcdk_testkit::Scratch;

/// The marker names the README uses: each appears exactly once.
const COMMANDS: &[&str] = &[
    "deploy",
    "deploy check",
    "deploy cost --stage production",
    "deploy cost --stage staging --against out-main",
    "deploy deploy --stage production --yes, against the drift fake, its change set updating Serve/PrimaryScaling (upload lines left out)",
    "deploy diff --stages staging,production: its monthly cost",
    "deploy drift --stage production, against the fake CloudFormation of tests/support/drift_fake.rs",
    "deploy, its checks and cost lines",
    "strategies cost: Bedrock",
    "strategies cost: JumpStart",
    "strategies cost: fine-tune",
    "strategies cost: train from scratch",
    "synth of the invalid app in tests/readme.rs",
];

/// What `NAME` prints: stdout, then stderr (only one of them is non-empty
/// for these commands), ending in exactly one newline.
fn output_of(name: &str, scratch: &Path) -> String {
    match name {
        // The plan writes to a scratch directory here; the README shows the
        // default `--out out`, so the scratch path is replaced by `out` (the
        // directory is the only thing that differs from a real run).
        "deploy" => plan(scratch),
        "deploy, its checks and cost lines" => plan(scratch)
            .lines()
            .filter(|l| l.starts_with("checks ") || l.starts_with("cost "))
            .map(|l| format!("{l}\n"))
            .collect(),
        "deploy check" => cli(&stack::app(), &["check"], EXIT_OK),
        "deploy cost --stage production" => {
            cli(&stack::app(), &["cost", "--stage", "production"], EXIT_OK)
        }
        "deploy drift --stage production, against the fake CloudFormation of tests/support/drift_fake.rs" =>
        {
            let cloud = drift_fake::FakeCloud::new(production(), &[]);
            let (code, text) = drift_fake::run(&cloud, Command::Drift, fake_options());
            assert_eq!(code, mlcdk::cli::EXIT_FAILED, "drift exits 1:\n{text}");
            text
        }
        "deploy deploy --stage production --yes, against the drift fake, its change set updating Serve/PrimaryScaling (upload lines left out)" =>
        {
            let cloud = drift_fake::FakeCloud::new(production(), &["Serve/PrimaryScaling"]);
            let options = DeployOptions {
                yes: true,
                ..fake_options()
            };
            let (code, text) = drift_fake::run(&cloud, Command::Deploy, options);
            assert_eq!(
                code,
                mlcdk::cli::EXIT_FAILED,
                "the deploy is refused:\n{text}"
            );
            // Upload lines name content hashes that change with every edit
            // of the example; they are not what this block shows.
            text.lines()
                .filter(|l| !l.starts_with("asset ") && !l.starts_with("template is "))
                .map(|l| format!("{l}\n"))
                .collect()
        }
        // A review of a change to the staging file: the templates of the
        // main branch (`synth --out out-main`) against the changed ones.
        "deploy cost --stage staging --against out-main" => {
            let main = scratch.join("out-main");
            let main = main.to_str().unwrap();
            cli(
                &stack::app(),
                &["synth", "--stage", "staging", "--out", main],
                EXIT_OK,
            );
            let stages = scratch.join("stages");
            std::fs::create_dir_all(&stages).unwrap();
            let staging = std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy/stages/staging.toml"),
            )
            .unwrap();
            let changed = staging
                .replace("endpoint_capacity = [1, 2]", "endpoint_capacity = [2, 4]")
                .replace("tuning_max_jobs = 4", "tuning_max_jobs = 8");
            assert_ne!(
                changed, staging,
                "the example's staging file changed: update this change"
            );
            std::fs::write(stages.join("staging.toml"), changed).unwrap();
            let app = App::new("churn", stack::ml_platform)
                .base_dir(env!("CARGO_MANIFEST_DIR"))
                .stages_dir(&stages)
                .stage_file(
                    "staging",
                    StageKind::Staging,
                    Env::new("111111111111", "us-east-1"),
                );
            cli(
                &app,
                &["cost", "--stage", "staging", "--against", main],
                EXIT_OK,
            )
            .replace(main, "out-main")
        }
        "deploy diff --stages staging,production: its monthly cost" => {
            let out = cli(
                &stack::app(),
                &["diff", "--stages", "staging,production"],
                EXIT_OK,
            );
            let at = out
                .find("monthly cost, ")
                .expect("the stage diff's monthly cost");
            out[at..].to_string()
        }
        "synth of the invalid app in tests/readme.rs" => {
            let out = scratch.join("invalid");
            let text = cli(
                &invalid_app(),
                &["synth", "--out", out.to_str().unwrap()],
                EXIT_USAGE,
            );
            assert!(!out.exists(), "nothing may be written while errors stand");
            text
        }
        // The model strategies of examples/strategies, priced for the same
        // traffic.
        "strategies cost: train from scratch" => cli(
            &strategies::app("scratch", strategies::from_scratch),
            &["cost"],
            EXIT_OK,
        ),
        "strategies cost: fine-tune" => cli(
            &strategies::app("finetune", strategies::fine_tune),
            &["cost"],
            EXIT_OK,
        ),
        "strategies cost: JumpStart" => cli(
            &strategies::app("vision", strategies::jumpstart),
            &["cost"],
            EXIT_OK,
        ),
        "strategies cost: Bedrock" => cli(
            &strategies::app("assistant", strategies::bedrock),
            &["cost"],
            EXIT_OK,
        ),
        other => panic!("README.md has an output block for an unknown command {other:?}"),
    }
}

fn production() -> mlcdk::core::SynthesizedStack {
    stack::app()
        .synth(Some("production"))
        .unwrap()
        .stacks
        .remove(0)
}

/// No pauses: the fake answers at once.
fn fake_options() -> DeployOptions {
    DeployOptions {
        poll_interval: std::time::Duration::ZERO,
        retry_base: std::time::Duration::ZERO,
        ..Default::default()
    }
}

fn plan(scratch: &Path) -> String {
    let dir = scratch.join("out");
    let dir = dir.to_str().unwrap();
    cli(&stack::app(), &["--out", dir], EXIT_OK).replace(dir, "out")
}

fn cli<K>(app: &App<K>, args: &[&str], expected_code: u8) -> String {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(app, ["deploy"].iter().chain(args), &mut out, &mut err);
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    assert_eq!(code, expected_code, "{args:?}:\n{out}{err}");
    format!("{}\n", format!("{out}{err}").trim_end())
}

/// Every mistake reported at once: a stack name with a space, an id used
/// twice (which also makes two logical IDs collide), and 502 resources.
fn invalid_app() -> App<()> {
    fn define(stack: &mut Stack, _: &()) {
        let topic = || CfnResource::new("AWS::SNS::Topic");
        stack.add_resource("Alerts", topic());
        stack.add_resource("Alerts", topic());
        for i in 0..501 {
            stack.add_resource(&format!("Topic{i}"), topic());
        }
    }
    App::new("bad app", define).stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()))
}

/// An output block: the marker's name and the byte range of the block's body
/// (the lines between the fences).
struct Block {
    name: String,
    body: std::ops::Range<usize>,
}

const MARKER: &str = "<!-- output: ";

fn blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    // Each line with the offset of its start.
    let mut lines = readme
        .split_inclusive('\n')
        .scan(0, |offset, l| {
            let start = *offset;
            *offset += l.len();
            Some((start, l))
        })
        .peekable();
    while let Some((_, line)) = lines.next() {
        let Some(rest) = line.trim_end().strip_prefix(MARKER) else {
            continue;
        };
        let name = rest
            .strip_suffix(" -->")
            .unwrap_or_else(|| panic!("malformed marker: {line}"));
        let fence = lines.next().map(|(_, l)| l.trim_end());
        assert_eq!(
            fence,
            Some("```text"),
            "the marker {name:?} must be followed by a ```text block"
        );
        let start = lines.peek().map_or(readme.len(), |(at, _)| *at);
        let end = loop {
            match lines.next() {
                Some((at, l)) if l.trim_end() == "```" => break at,
                Some(_) => {}
                None => panic!("the block after {name:?} is not closed"),
            }
        };
        blocks.push(Block {
            name: name.to_string(),
            body: start..end,
        });
    }
    blocks
}

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

#[test]
fn readme_output_blocks_match_their_commands() {
    let scratch = Scratch::new("readme");
    let readme = std::fs::read_to_string(readme_path()).unwrap();
    let found = blocks(&readme);
    let mut names: Vec<&str> = found.iter().map(|b| b.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names, COMMANDS,
        "README.md's output markers and the commands this test knows differ"
    );

    let mut stale = Vec::new();
    for block in &found {
        let actual = output_of(&block.name, &scratch);
        if readme[block.body.clone()] != actual {
            stale.push((block, actual));
        }
    }
    if stale.is_empty() {
        return;
    }
    if std::env::var("MLCDK_UPDATE_README").is_ok_and(|v| v == "1") {
        // Re-read and re-find: others may have edited other parts meanwhile.
        let mut readme = std::fs::read_to_string(readme_path()).unwrap();
        for block in blocks(&readme).iter().rev() {
            if let Some((_, actual)) = stale.iter().find(|(b, _)| b.name == block.name) {
                readme.replace_range(block.body.clone(), actual);
            }
        }
        std::fs::write(readme_path(), readme).unwrap();
        eprintln!(
            "updated {} README block(s): {:?}",
            stale.len(),
            stale.iter().map(|(b, _)| &b.name).collect::<Vec<_>>()
        );
        return;
    }
    let mut message = String::new();
    for (block, actual) in &stale {
        let expected = &readme[block.body.clone()];
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        message.push_str(&format!(
            "\n--- README.md, block `{}`, first difference at its line {}:\n{}\n--- the command prints:\n{}",
            block.name,
            line + 1,
            expected,
            actual
        ));
    }
    panic!(
        "{} README output block(s) are stale; run `MLCDK_UPDATE_README=1 cargo test -p mlcdk --test readme` and review the diff{message}",
        stale.len()
    );
}
