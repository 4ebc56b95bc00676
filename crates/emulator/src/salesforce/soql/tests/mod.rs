//! Unit tests for the SOQL subset, against a small in-memory catalog.

mod errors;
mod filter;
mod fixtures;
mod parse;
mod shape;
mod strings;
