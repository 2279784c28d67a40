//! The deployer: change-set deployment with progress, diff, destroy and
//! bootstrap, over the AWS SDK. The only crate of mlcdk that depends on the SDK.
//!
//! Part of mlcdk: use it as `mlcdk::deploy`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

pub mod api;
pub mod aws;
pub mod bootstrap;
pub mod deployer;
pub mod error;
pub mod ui;

use std::io::Write;

use mlcdk_core::SynthesizedStack;

pub use deployer::{DeployOptions, DeployOutcome, Deployer, assets_bucket};
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
}

/// Exit code: success (as the CLI documents them).
pub const EXIT_OK: u8 = 0;
/// Exit code: the deploy (or diff, destroy, bootstrap) failed or was declined.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: the bootstrap stack for the stage's environment does not validate.
pub const EXIT_USAGE: u8 = 2;

/// Run `command` for one synthesized stage against the AWS account the
/// standard credential chain (or the stage's profile) points at. Blocks.
pub fn run(
    command: Command,
    stack: &SynthesizedStack,
    options: DeployOptions,
    err: &mut dyn Write,
) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    let bootstrap;
    let target = if command == Command::Bootstrap {
        bootstrap = match bootstrap::bootstrap_stack(&stack.info.env) {
            Ok(b) => b,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return EXIT_USAGE;
            }
        };
        &bootstrap
    } else {
        stack
    };
    let mut ui = ui::TerminalUi::new();
    let result = runtime.block_on(async {
        let env = &stack.info.env;
        let config = aws::load_config(&env.region, env.profile.as_deref(), true).await;
        let deployer = Deployer::new(
            aws::SdkCloudFormation::new(&config),
            aws::SdkS3::new(&config),
            aws::SdkSts::new(&config),
            options,
        );
        match command {
            Command::Deploy | Command::Bootstrap => {
                deployer.deploy(target, &mut ui).await.map(|_| ())
            }
            Command::Diff => deployer.diff(target, &mut ui).await.map(|_| ()),
            Command::Destroy => deployer.destroy(target, &mut ui).await.map(|_| ()),
        }
    });
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_FAILED
        }
    }
}
