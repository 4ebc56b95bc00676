//! Integration tests of the cosell binary crate (one test binary, modules per area).

mod config;
mod config_check;
mod config_support;
