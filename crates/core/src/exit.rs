//! The exit codes of an mlcdk app's command line, in one place: the
//! command line (`mlcdk::cli`) and the deployer (`mlcdk::deploy`) both
//! return them.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | error findings, a failed or refused deploy, a budget exceeded, drift found, an I/O error |
//! | 2 | usage or validation errors (nothing was written), or a refusal to act without `--yes` where no terminal can ask |
//! | 130 | interrupted by Ctrl-C (128 + SIGINT, as shells report it) |

/// Success.
pub const EXIT_OK: u8 = 0;
/// Error findings, a failed or refused deploy, a budget exceeded, drift
/// found (`drift`), or an I/O error.
pub const EXIT_FAILED: u8 = 1;
/// Usage or validation errors (nothing was written), or a refusal to act
/// without `--yes` where no terminal can ask.
pub const EXIT_USAGE: u8 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;
