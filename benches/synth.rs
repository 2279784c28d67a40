//! Synthesis benchmark (`cargo bench --bench synth`): a plain timing harness,
//! no criterion, so it costs nothing to build.
//!
//! Measures, in a release build:
//! - a stack of 500 resources (100 IAM roles with grants, 400 topics that
//!   reference them): building the construct tree alone, then building and
//!   synthesizing it (render, checks, canonical JSON text);
//! - the example app, every stage;
//! - the rule pack and the cost estimate over the example's templates.

#[path = "../examples/deploy/stack.rs"]
mod stack;

use std::hint::black_box;
use std::time::{Duration, Instant};

use mlcdk::prelude::*;

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

fn measure(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f(); // warm up
    }
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    println!(
        "{name:<40} median {:>8.3} ms   p90 {:>8.3} ms   min {:>8.3} ms   ({iterations} runs)",
        median.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
    );
}

fn main() {
    let big = App::new("bench", five_hundred)
        .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()));
    let once = big.synth(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(once.stacks[0].template.resources.len(), 500);
    println!(
        "template of 500 resources: {} bytes",
        once.stacks[0].text.len()
    );
    let stage = &big.stages()[0];
    measure("build only: 500 resources", 200, || {
        black_box(big.build(stage));
    });
    measure("build + synth: 500 resources", 200, || {
        black_box(big.synth(None).unwrap());
    });
    let example = stack::app();
    measure("build + synth: example app, both stages", 1000, || {
        black_box(example.synth(None).unwrap());
    });
    let assembly = example.synth(None).unwrap();
    let prices = mlcdk::cost::PriceTable::builtin();
    measure("checks + cost: example app, both stages", 1000, || {
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
