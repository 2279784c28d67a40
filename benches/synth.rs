//! Synthesis benchmarks (`cargo bench --bench synth`), with
//! [divan](https://docs.rs/divan).
//!
//! - `tree/*`: a stack of 500 resources (100 IAM roles with grants, 400
//!   topics that reference them): building the construct tree alone, then
//!   building and synthesizing it (render, validation, canonical JSON text);
//! - `stages`: the same stack in 1 to 50 stages (up to 25,000 resources), to
//!   show that the time grows linearly with the stages;
//! - `example/*`: the example app, both stages: synthesis, then the rule pack
//!   and the cost estimate over its templates.
//!
//! Whole-process figures (start, synth, write `out/`) are measured with
//! hyperfine on the release binary; the README gives both.

#[path = "../examples/deploy/stack.rs"]
mod stack;

use divan::{Bencher, black_box};
use mlcdk::prelude::*;

fn main() {
    divan::main();
}

fn five_hundred(stack: &mut Stack, _: &()) {
    let mut roles = Vec::new();
    for i in 0..100 {
        let role = Role::new(
            stack,
            &format!("Role{i}"),
            RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
        );
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["s3:GetObject"])
                .resources([Expr::sub(format!(
                    "arn:${{AWS::Partition}}:s3:::bucket-{i}/*"
                ))]),
        );
        roles.push(role);
    }
    for t in 0..20 {
        let mut team = stack.node(&format!("Team{t}"));
        for i in 0..20 {
            team.add_resource(
                &format!("Topic{i}"),
                CfnResource::new("AWS::SNS::Topic")
                    .set("KmsMasterKeyId", "alias/aws/sns")
                    .set("DisplayName", roles[(t * 20 + i) % 100].name()),
            );
        }
    }
}

/// The 500-resource stack in `stages` stages.
fn big_app(stages: usize) -> App<()> {
    let mut app = App::new("bench", five_hundred);
    for i in 0..stages {
        app = app.stage(Stage::custom(
            format!("s{i}"),
            StageKind::Other,
            Env::new("111111111111", "us-east-1"),
            (),
        ));
    }
    let once = app.synth(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(once.stacks.len(), stages);
    assert!(
        once.stacks
            .iter()
            .all(|s| s.template.resources.len() == 500)
    );
    app
}

mod tree {
    use super::*;

    #[divan::bench]
    fn build_500_resources(bencher: Bencher) {
        let app = big_app(1);
        let stage = &app.stages()[0];
        bencher.bench_local(|| black_box(app.build(stage)));
    }

    #[divan::bench]
    fn build_and_synth_500_resources(bencher: Bencher) {
        let app = big_app(1);
        bencher.bench_local(|| black_box(app.synth(None).unwrap()));
    }
}

/// Build and synthesize `n` stages of 500 resources each.
#[divan::bench(args = [1, 5, 10, 25, 50], sample_count = 10, sample_size = 1)]
fn stages(bencher: Bencher, n: usize) {
    let app = big_app(n);
    bencher
        .counter(divan::counter::ItemsCount::new(n * 500))
        .bench_local(|| black_box(app.synth(None).unwrap()));
}

mod example {
    use super::*;

    #[divan::bench]
    fn synth_both_stages(bencher: Bencher) {
        let app = stack::app();
        bencher.bench_local(|| black_box(app.synth(None).unwrap()));
    }

    #[divan::bench]
    fn checks_and_cost_both_stages(bencher: Bencher) {
        let assembly = stack::app().synth(None).unwrap();
        let prices = mlcdk::cost::PriceTable::builtin();
        bencher.bench_local(|| {
            for s in &assembly.stacks {
                let options = mlcdk::checks::Options {
                    production: s.info.is_production(),
                    ..Default::default()
                };
                black_box(mlcdk::checks::check(&s.template, &options));
                black_box(mlcdk::cost::estimate(
                    &s.template,
                    &prices,
                    &Default::default(),
                ));
            }
        });
    }
}
