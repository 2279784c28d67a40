pub use mlcdk_core as core;
