//! The deployer: change-set deployment with progress, diff, destroy,
//! bootstrap and drift detection, over the AWS SDK. The only crate of mlcdk
//! that depends on the SDK.
//!
//! It depends on `mlcdk-core` alone: the bootstrap stack is defined by the
//! command line (`mlcdk_cli::bootstrap`) and comes here synthesized, as an
//! input of [`run_bootstrap`].
//!
//! Part of mlcdk: use it as `mlcdk::deploy`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

pub mod api;
pub mod aws;
pub mod deployer;
pub mod drift;
pub mod error;
pub mod ui;

use std::io::Write;

use mlcdk_core::SynthesizedStack;

pub use deployer::{
    DeployOptions, DeployOutcome, Deployer, assets_bucket, autoscaled_instance_changes,
};
pub use error::DeployError;

/// What the command line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Deploy the stage's stack through a change set.
    Deploy,
    /// Show what a deploy would change (a change set created and deleted).
    Diff,
    /// Delete the stage's stack; retained resources are listed.
    Destroy,
    /// Create the assets bucket of the stage's account and region.
    Bootstrap,
    /// Detect and print the drift of the stage's deployed stack: exit 1 when
    /// anything drifted or detection failed, 0 when in sync.
    Drift,
}

/// The exit codes the deployer returns: the command line's, defined once in
/// core (`mlcdk_core::exit`). `EXIT_FAILED`: the deploy (or diff, destroy,
/// bootstrap) failed or was declined, or `drift` found drift or could not
/// finish; `EXIT_USAGE`: a refusal to act without `--yes` where no terminal
/// can ask.
pub use mlcdk_core::exit::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};

/// Run `command` for one synthesized stage against the AWS account the
/// standard credential chain (or the stage's profile) points at. Blocks.
///
/// `Command::Bootstrap` deploys `stack` itself as the bootstrap stack; the
/// command line calls [`run_bootstrap`] instead, which names the user's stage
/// in its errors.
pub fn run(
    command: Command,
    stack: &SynthesizedStack,
    options: DeployOptions,
    err: &mut dyn Write,
) -> u8 {
    run_on(command, stack, stack, options, err)
}

/// Deploy `bootstrap`, the synthesized bootstrap stack of `stage`'s account
/// and region (the assets bucket), against the account `stage` points at.
/// Errors name `stage`, not the internal bootstrap stack. Blocks.
pub fn run_bootstrap(
    stage: &SynthesizedStack,
    bootstrap: &SynthesizedStack,
    options: DeployOptions,
    err: &mut dyn Write,
) -> u8 {
    run_on(Command::Bootstrap, stage, bootstrap, options, err)
}

/// Run `command` on `target`, with the credentials, region and name of
/// `stack` (the user's stage; the same stack except for a bootstrap).
fn run_on(
    command: Command,
    stack: &SynthesizedStack,
    target: &SynthesizedStack,
    options: DeployOptions,
    err: &mut dyn Write,
) -> u8 {
    // One worker thread besides this one: it watches for Ctrl-C while this
    // thread runs the deploy, and while a question blocks on standard input.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    let mut ui = ui::TerminalUi::new();
    let interrupt = std::sync::Arc::new(tokio::sync::Notify::new());
    {
        let interrupt = interrupt.clone();
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                ui::set_interrupted();
                interrupt.notify_one();
            }
        });
    }
    let result = runtime.block_on(async {
        let env = &stack.info.env;
        let config = aws::load_config(&env.region, env.profile.as_deref(), true).await;
        let deployer = Deployer::new(
            aws::SdkCloudFormation::new(&config),
            aws::SdkS3::new(&config),
            aws::SdkSts::new(&config),
            options,
        );
        let work = execute(&deployer, command, target, &mut ui);
        let outcome = tokio::select! {
            r = work => Some(r),
            () = interrupt.notified() => None,
        };
        match outcome {
            // Interrupted at the question: the deploy already cleaned up as
            // for a "no"; say it was the interrupt.
            Some(Err(DeployError::Declined)) if ui::interrupted() => Err(Stopped::Interrupted(
                "interrupted at the question; nothing was deployed".into(),
            )),
            Some(r) => r.map_err(Stopped::Error),
            None => Err(Stopped::Interrupted(deployer.recover().await)),
        }
    });
    finish(command, stack, result, err)
}

/// Runs `command` on `target` with a deployer over any clients. `drift`
/// returns an error when anything drifted or detection failed, so that every
/// command ends the same way, through [`finish`]. [`run`] calls this with the
/// SDK clients; tests (and the README's drift report) with a fake.
pub async fn execute<C, S, I>(
    deployer: &Deployer<C, S, I>,
    command: Command,
    target: &SynthesizedStack,
    ui: &mut dyn ui::Ui,
) -> Result<(), DeployError>
where
    C: api::CloudFormationApi,
    S: api::ObjectStore,
    I: api::Identity,
{
    match command {
        Command::Deploy | Command::Bootstrap => deployer.deploy(target, ui).await.map(|_| ()),
        Command::Diff => deployer.diff(target, ui).await.map(|_| ()),
        Command::Destroy => deployer.destroy(target, ui).await.map(|_| ()),
        Command::Drift => {
            let report = deployer.drift(target, ui).await?;
            if report.has_drift() {
                Err(DeployError::Drifted {
                    stack: report.stack.clone(),
                    drifted: report.drifted.len(),
                    security: report.security_relevant(),
                })
            } else if let Some(reason) = report.failure {
                Err(DeployError::DriftDetectionFailed {
                    stack: report.stack,
                    reason,
                })
            } else {
                Ok(())
            }
        }
    }
}

/// The exit code of a run of `command` for the stage `stack`, and its error
/// line on `err`; `Ok(())` is [`EXIT_OK`].
pub fn finish(
    command: Command,
    stack: &SynthesizedStack,
    result: Result<(), Stopped>,
    err: &mut dyn Write,
) -> u8 {
    match result {
        Ok(()) => EXIT_OK,
        Err(Stopped::Interrupted(what)) => {
            let _ = writeln!(err, "{what}");
            EXIT_INTERRUPTED
        }
        Err(Stopped::Error(DeployError::AccountMismatch {
            expected, actual, ..
        })) if command == Command::Bootstrap => {
            // The bootstrap stack is internal: name the user's stage.
            let e = DeployError::AccountMismatch {
                stage: stack.info.name.clone(),
                expected,
                actual,
            };
            let _ = writeln!(err, "error: {e}");
            EXIT_FAILED
        }
        Err(Stopped::Error(e)) => {
            let _ = writeln!(err, "error: {e}");
            match e {
                DeployError::NeedsConfirmation { .. } => EXIT_USAGE,
                _ => EXIT_FAILED,
            }
        }
    }
}

/// How a run ended without success.
pub enum Stopped {
    /// An error, a refusal, or (for `drift`) drift found.
    Error(DeployError),
    /// Ctrl-C; what was left behind.
    Interrupted(String),
}
